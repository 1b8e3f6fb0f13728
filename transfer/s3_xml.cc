#include "transfer/s3_xml.h"

#include <cstdlib>
#include <ctime>
#include <sstream>

#include <pugixml.hpp>

#include "transfer/uri_encoding.h"

namespace partfs {

namespace {
Status BadXml(std::string_view what) {
  return Status::IOError("malformed " + std::string(what) + " response from the server");
}

// Loads `xml` and returns its root element if it is named `root_name`.
pugi::xml_node LoadRoot(pugi::xml_document& doc, std::string_view xml, const char* root_name) {
  if (!doc.load_buffer(xml.data(), xml.size())) return pugi::xml_node();
  return doc.child(root_name);
}

uint64_t ToU64(const char* text) { return std::strtoull(text, nullptr, 10); }
bool ToBool(const char* text) { return std::string_view(text) == "true"; }

int64_t TimegmOrZero(struct tm* tm) {
  time_t t = timegm(tm);
  return t == static_cast<time_t>(-1) ? 0 : static_cast<int64_t>(t);
}
}  // namespace

int64_t ParseIso8601(std::string_view text) {
  std::string s(text);
  struct tm tm = {};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return 0;
  return TimegmOrZero(&tm);
}

int64_t ParseHttpDate(std::string_view text) {
  std::string s(text);
  struct tm tm = {};
  if (strptime(s.c_str(), "%a, %d %b %Y %H:%M:%S", &tm) == nullptr) return 0;
  return TimegmOrZero(&tm);
}

Result<std::string> ParseInitiateMultipartUploadResult(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "InitiateMultipartUploadResult");
  std::string id = root.child_value("UploadId");
  if (!root || id.empty()) return BadXml("CreateMultipartUpload");
  return id;
}

Result<ListObjectsPage> ParseListObjectsV2Result(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "ListBucketResult");
  if (!root) return BadXml("ListObjectsV2");
  ListObjectsPage page;
  // With encoding-type=url, keys and prefixes arrive URL-encoded (AWS writes
  // a space as '+', a '+' as %2B), which keeps XML-invalid bytes listable.
  const bool url_encoded = std::string_view(root.child_value("EncodingType")) == "url";
  auto text = [url_encoded](const char* value) {
    return url_encoded ? UriDecode(value, true) : std::string(value);
  };
  for (auto c : root.children("Contents")) {
    ListedObject o;
    o.key = text(c.child_value("Key"));
    o.size = ToU64(c.child_value("Size"));
    o.etag = StripEtagQuotes(c.child_value("ETag"));
    o.last_modified = ParseIso8601(c.child_value("LastModified"));
    page.objects.push_back(std::move(o));
  }
  for (auto p : root.children("CommonPrefixes")) {
    page.common_prefixes.push_back(text(p.child_value("Prefix")));
  }
  page.truncated = ToBool(root.child_value("IsTruncated"));
  page.next_continuation_token = root.child_value("NextContinuationToken");
  if (page.truncated && page.next_continuation_token.empty()) {
    return BadXml("ListObjectsV2 (truncated without a continuation token)");
  }
  return page;
}

Result<ListPartsPage> ParseListPartsResult(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "ListPartsResult");
  if (!root) return BadXml("ListParts");
  ListPartsPage page;
  for (auto p : root.children("Part")) {
    PartEntry e;
    e.number = static_cast<uint32_t>(ToU64(p.child_value("PartNumber")));
    e.size = ToU64(p.child_value("Size"));
    e.etag = StripEtagQuotes(p.child_value("ETag"));
    e.last_modified = ParseIso8601(p.child_value("LastModified"));
    page.parts.push_back(std::move(e));
  }
  page.truncated = ToBool(root.child_value("IsTruncated"));
  page.next_part_number_marker =
      static_cast<uint32_t>(ToU64(root.child_value("NextPartNumberMarker")));
  return page;
}

Result<ListUploadsPage> ParseListMultipartUploadsResult(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "ListMultipartUploadsResult");
  if (!root) return BadXml("ListMultipartUploads");
  ListUploadsPage page;
  for (auto u : root.children("Upload")) {
    UploadEntry e;
    e.key = u.child_value("Key");
    e.upload_id = u.child_value("UploadId");
    e.initiated = ParseIso8601(u.child_value("Initiated"));
    page.uploads.push_back(std::move(e));
  }
  page.truncated = ToBool(root.child_value("IsTruncated"));
  page.next_key_marker = root.child_value("NextKeyMarker");
  page.next_upload_id_marker = root.child_value("NextUploadIdMarker");
  return page;
}

Result<std::string> ParseCompleteMultipartUploadResult(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "CompleteMultipartUploadResult");
  if (!root) return BadXml("CompleteMultipartUpload");
  return StripEtagQuotes(root.child_value("ETag"));
}

Result<std::string> ParseCopyResult(std::string_view xml) {
  pugi::xml_document doc;
  if (!doc.load_buffer(xml.data(), xml.size())) return BadXml("copy");
  auto root = doc.child("CopyObjectResult");
  if (!root) root = doc.child("CopyPartResult");
  if (!root) return BadXml("copy");
  return StripEtagQuotes(root.child_value("ETag"));
}

Result<std::vector<std::string>> ParseDeleteResult(std::string_view xml) {
  pugi::xml_document doc;
  auto root = LoadRoot(doc, xml, "DeleteResult");
  if (!root) return BadXml("DeleteObjects");
  std::vector<std::string> failed;
  for (auto e : root.children("Error")) failed.emplace_back(e.child_value("Key"));
  return failed;
}

namespace {
std::string Serialize(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "", pugi::format_raw);
  return out.str();
}
}  // namespace

std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts) {
  pugi::xml_document doc;
  auto root = doc.append_child("CompleteMultipartUpload");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  for (const auto& p : parts) {
    auto part = root.append_child("Part");
    part.append_child("PartNumber").text().set(p.number);
    part.append_child("ETag").text().set(("\"" + p.etag + "\"").c_str());
  }
  return Serialize(doc);
}

std::string BuildDeleteObjectsXml(const std::vector<std::string>& keys) {
  pugi::xml_document doc;
  auto root = doc.append_child("Delete");
  root.append_attribute("xmlns") = "http://s3.amazonaws.com/doc/2006-03-01/";
  root.append_child("Quiet").text().set("true");
  for (const auto& k : keys) {
    root.append_child("Object").append_child("Key").text().set(k.c_str());
  }
  return Serialize(doc);
}

}  // namespace partfs
