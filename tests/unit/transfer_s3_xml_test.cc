// Parsers against response bodies captured from the local S3 server
// (tests/data/*.xml, written by tests/data/capture_responses.py).
#include "transfer/s3_xml.h"

#include <gtest/gtest.h>

#include <pugixml.hpp>
#include "tests/support/test_data.h"

namespace partfs {
namespace {

using testing::ReadTestData;

// The raw text of every <tag>...</tag> in `xml`, found without an XML parser,
// so expectations follow the captured files when they are captured again.
std::vector<std::string> TagValues(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag + ">", close = "</" + tag + ">";
  for (size_t pos = xml.find(open); pos != std::string::npos; pos = xml.find(open, pos)) {
    pos += open.size();
    out.push_back(xml.substr(pos, xml.find(close, pos) - pos));
  }
  return out;
}

TEST(TransferS3XmlTest, InitiateMultipartUpload) {
  const std::string xml = ReadTestData("InitiateMultipartUpload.xml");
  auto id = ParseInitiateMultipartUploadResult(xml);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_FALSE(id->empty());
  EXPECT_EQ(*id, TagValues(xml, "UploadId").at(0));
}

TEST(TransferS3XmlTest, CompleteMultipartUploadEtagUnquoted) {
  const std::string xml = ReadTestData("CompleteMultipartUpload.xml");
  auto etag = ParseCompleteMultipartUploadResult(xml);
  ASSERT_TRUE(etag.ok());
  const std::string raw = TagValues(xml, "ETag").at(0);  // "&quot;...&quot;" or "\"...\""
  EXPECT_NE(raw.find(*etag), std::string::npos);
  EXPECT_EQ(etag->find('"'), std::string::npos);
  EXPECT_EQ(etag->size(), 34u);  // 32 hex digits, "-1"
  EXPECT_TRUE(etag->ends_with("-1"));
}

TEST(TransferS3XmlTest, CopyObject) {
  const std::string xml = ReadTestData("CopyObject.xml");
  auto etag = ParseCopyResult(xml);
  ASSERT_TRUE(etag.ok());
  EXPECT_EQ(etag->size(), 32u);
  EXPECT_NE(TagValues(xml, "ETag").at(0).find(*etag), std::string::npos);
  auto part = ParseCopyResult("<CopyPartResult><ETag>\"abc\"</ETag></CopyPartResult>");
  ASSERT_TRUE(part.ok());
  EXPECT_EQ(*part, "abc");
}

TEST(TransferS3XmlTest, DeleteResultQuietAllDeleted) {
  auto failed = ParseDeleteResult(ReadTestData("DeleteObjects.xml"));
  ASSERT_TRUE(failed.ok());
  EXPECT_TRUE(failed->empty());
  auto some = ParseDeleteResult(
      "<DeleteResult><Error><Key>a b</Key><Code>AccessDenied</Code></Error></DeleteResult>");
  ASSERT_TRUE(some.ok());
  EXPECT_EQ(*some, std::vector<std::string>{"a b"});
}

TEST(TransferS3XmlTest, ListObjectsTruncated) {
  auto page = ParseListObjectsV2Result(ReadTestData("ListObjectsV2_truncated.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "ZGlyMS9iLnR4dA==");
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "dir1/a.txt");
  EXPECT_EQ(page->objects[0].size, 16u);
  EXPECT_EQ(page->objects[0].etag, "283d8a1b83cd0554ad6f76fcd3ae4945");
  EXPECT_EQ(
      page->objects[0].last_modified,
      ParseIso8601(TagValues(ReadTestData("ListObjectsV2_truncated.xml"), "LastModified").at(0)));
  EXPECT_GT(page->objects[0].last_modified, 1700000000);
}

TEST(TransferS3XmlTest, ListObjectsContinuedWithEscapedKey) {
  auto page = ParseListObjectsV2Result(ReadTestData("ListObjectsV2_continued.xml"));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[1].key, "odd key+&=%.txt");
}

TEST(TransferS3XmlTest, ListObjectsDelimiter) {
  auto page = ParseListObjectsV2Result(ReadTestData("ListObjectsV2_delimiter.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->truncated);
  EXPECT_EQ(page->common_prefixes, (std::vector<std::string>{"dir1/", "dir2/"}));
  ASSERT_GE(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].key, "odd key+&=%.txt");
}

TEST(TransferS3XmlTest, ListObjectsUrlEncoded) {
  auto page = ParseListObjectsV2Result(ReadTestData("ListObjectsV2_encoded.xml"));
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "odd key+&=%.txt");
}

TEST(TransferS3XmlTest, ListObjectsEmpty) {
  auto page = ParseListObjectsV2Result(ReadTestData("ListObjectsV2_empty.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_TRUE(page->common_prefixes.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(TransferS3XmlTest, ListParts) {
  auto page = ParseListPartsResult(ReadTestData("ListParts.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->parts.size(), 3u);
  EXPECT_EQ(page->parts[0].number, 1u);
  EXPECT_EQ(page->parts[0].size, 1000u);
  EXPECT_EQ(page->parts[0].etag, "f0835dbe66a7e90b0e0e8647354d0c0b");
  EXPECT_EQ(page->parts[0].last_modified, 1795572021);  // 2026-11-25T02:00:21Z
  EXPECT_EQ(page->parts[2].number, 3u);
}

TEST(TransferS3XmlTest, ListPartsTruncated) {
  auto page = ParseListPartsResult(ReadTestData("ListParts_truncated.xml"));
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_part_number_marker, 2u);
  EXPECT_EQ(page->parts.size(), 2u);
}

TEST(TransferS3XmlTest, ListMultipartUploads) {
  const std::string xml = ReadTestData("ListMultipartUploads.xml");
  auto page = ParseListMultipartUploadsResult(xml);
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE(page->truncated);
  ASSERT_EQ(page->uploads.size(), 3u);
  EXPECT_EQ(page->uploads[0].key, "mpu/big.bin");
  const auto ids = TagValues(xml, "UploadId");  // UploadIdMarker is a different tag
  ASSERT_EQ(ids.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(page->uploads[i].upload_id, ids[i]);
  EXPECT_GT(page->uploads[0].initiated, 1700000000);
}

TEST(TransferS3XmlTest, ListMultipartUploadsTruncated) {
  const std::string xml = ReadTestData("ListMultipartUploads_truncated.xml");
  auto page = ParseListMultipartUploadsResult(xml);
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_key_marker, "mpu/other.bin");
  EXPECT_EQ(page->next_upload_id_marker, TagValues(xml, "NextUploadIdMarker").at(0));
  EXPECT_EQ(page->next_upload_id_marker, page->uploads.back().upload_id);
  EXPECT_EQ(page->uploads.size(), 2u);
}

TEST(TransferS3XmlTest, WrongDocumentIsAnError) {
  EXPECT_FALSE(ParseListPartsResult(ReadTestData("Error_NoSuchUpload.xml")).ok());
  EXPECT_FALSE(ParseInitiateMultipartUploadResult("not xml").ok());
  EXPECT_FALSE(ParseListObjectsV2Result("").ok());
}

TEST(TransferS3XmlTest, BuildCompleteBody) {
  const std::string xml = BuildCompleteMultipartUploadXml({{1, "aa"}, {2, "bb"}});
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto parts = doc.child("CompleteMultipartUpload").children("Part");
  std::vector<std::pair<std::string, std::string>> got;
  for (auto p : parts) got.emplace_back(p.child_value("PartNumber"), p.child_value("ETag"));
  EXPECT_EQ(got,
            (std::vector<std::pair<std::string, std::string>>{{"1", "\"aa\""}, {"2", "\"bb\""}}));
}

TEST(TransferS3XmlTest, BuildDeleteBodyEscapesKeys) {
  const std::string xml = BuildDeleteObjectsXml({"a&b<c>", "plain"});
  EXPECT_NE(xml.find("a&amp;b&lt;c&gt;"), std::string::npos);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  EXPECT_STREQ(doc.child("Delete").child_value("Quiet"), "true");
  EXPECT_STREQ(doc.child("Delete").child("Object").child_value("Key"), "a&b<c>");
}

TEST(TransferS3XmlTest, Dates) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:10.000Z"), 10);
  EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:01:00 GMT"), 60);
  EXPECT_EQ(ParseIso8601("garbage"), 0);
  EXPECT_EQ(StripEtagQuotes("\"x\""), "x");
  EXPECT_EQ(StripEtagQuotes("x"), "x");
}

}  // namespace
}  // namespace partfs
