// S3Client single-object and listing operations against the local S3 server.
#include <fcntl.h>
#include <unistd.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

class TransferObjectOpsTest : public TransferBucketTest {};

std::string Get(ObjectStore& store, const std::string& key, uint64_t offset, uint64_t length) {
  std::string buf(length, '\0');
  auto n = store.GetObject(key, offset, length, buf.data());
  EXPECT_TRUE(n.ok()) << n.status().ToString();
  buf.resize(n.ok() ? *n : 0);
  return buf;
}

TEST_F(TransferObjectOpsTest, HeadBucket) { EXPECT_TRUE(store_->HeadBucket().ok()); }

TEST_F(TransferObjectOpsTest, PutGetHeadDeleteWithMetadata) {
  const std::string data = "hello, partfs transfer layer";
  UserMetadata meta{{"mode", "100644"}, {"mtime", "1700000000.5"}, {"uid", "1000"}};
  auto etag = store_->PutObjectFromString("dir/hello.txt", data, meta);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, HexEncode(Md5(data)));  // no quotes

  auto info = store_->HeadObject("dir/hello.txt");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, data.size());
  EXPECT_EQ(info->etag, *etag);
  EXPECT_GT(info->last_modified, 1600000000);
  EXPECT_EQ(info->user_metadata, meta);

  EXPECT_EQ(Get(*store_, "dir/hello.txt", 0, 100), data);         // short read at the end
  EXPECT_EQ(Get(*store_, "dir/hello.txt", 7, 6), "partfs");       // ranged
  EXPECT_EQ(Get(*store_, "dir/hello.txt", data.size(), 10), "");  // at the end
  EXPECT_EQ(Get(*store_, "dir/hello.txt", 1000, 10), "");         // past the end

  ASSERT_TRUE(store_->DeleteObject("dir/hello.txt").ok());
  auto gone = store_->HeadObject("dir/hello.txt");
  ASSERT_FALSE(gone.ok());
  EXPECT_TRUE(gone.status().IsNotFound());
  EXPECT_TRUE(store_->DeleteObject("dir/hello.txt").ok()) << "deleting a missing key succeeds";
}

TEST_F(TransferObjectOpsTest, MissingKeyIsNotFound) {
  char buf[16];
  auto r = store_->GetObject("no/such/key", 0, sizeof(buf), buf);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsNotFound());
  EXPECT_EQ(r.status().remote_code(), "NoSuchKey");
  EXPECT_NE(r.status().message().find("no/such/key"), std::string::npos);
  auto h = store_->HeadObject("no/such/key");
  ASSERT_FALSE(h.ok());
  EXPECT_TRUE(h.status().IsNotFound());
}

// Errors name the key and carry the server's request id: from the <Error>
// body, or from the x-amz-request-id header when there is no body (HEAD).
TEST_F(TransferObjectOpsTest, FailedRequestsCarryTheRequestId) {
  char buf[16];
  auto get = store_->GetObject("no/such/key", 0, sizeof(buf), buf);
  ASSERT_FALSE(get.ok());
  EXPECT_NE(get.status().message().find("[request id "), std::string::npos)
      << get.status().ToString();
  S3ClientOptions wrong = options_;
  wrong.secret_key = "not-the-secret";
  Metrics metrics;
  wrong.metrics = &metrics;
  auto client = CreateS3Client(wrong);
  ASSERT_TRUE(client.ok());
  auto head = (*client)->HeadObject("some/key");
  ASSERT_FALSE(head.ok());
  EXPECT_EQ(head.status().code(), Status::Code::kPermissionDenied);
  EXPECT_NE(head.status().message().find("s3://" + options_.bucket + "/some/key"),
            std::string::npos)
      << head.status().ToString();
  EXPECT_NE(head.status().message().find("[request id "), std::string::npos)
      << head.status().ToString();
  EXPECT_EQ(metrics.failed_requests.load(), 1u);
  EXPECT_GE(metrics.requests.load(), 1u);
}

TEST_F(TransferObjectOpsTest, ZeroByteObject) {
  ASSERT_TRUE(store_->PutObjectFromString("empty", "", {}).ok());
  auto info = store_->HeadObject("empty");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, 0u);
  EXPECT_EQ(info->etag, "d41d8cd98f00b204e9800998ecf8427e");
  char buf[8];
  auto n = store_->GetObject("empty", 0, sizeof(buf), buf);
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 0u);
  auto zero = store_->GetObject("empty", 0, 0, buf);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, 0u);

  TempDir dir;
  const std::string path = dir.Sub("empty");
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  auto etag = store_->PutObject("empty-from-file", FileRange{fd, 0, 0}, {}, ContentMd5(""));
  close(fd);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, "d41d8cd98f00b204e9800998ecf8427e");
}

TEST_F(TransferObjectOpsTest, PutObjectFromFileRangeWithMd5) {
  TempDir dir;
  const std::string path = dir.Sub("src");
  std::string content(300000, '\0');
  for (size_t i = 0; i < content.size(); ++i) content[i] = static_cast<char>(i * 7 + i / 13);
  int fd = open(path.c_str(), O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
  const std::string slice = content.substr(1000, 200000);
  auto etag =
      store_->PutObject("slice", FileRange{fd, 1000, 200000}, {{"k", "v"}}, ContentMd5(slice));
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, HexEncode(Md5(slice)));
  EXPECT_EQ(Get(*store_, "slice", 0, 300000), slice);

  // A wrong Content-MD5 is refused by the server: the data never lands corrupted.
  auto bad = store_->PutObject("bad", FileRange{fd, 0, 1000}, {}, ContentMd5("other"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().remote_code(), "BadDigest");
  EXPECT_EQ(bad.status().code(), Status::Code::kCorruption);

  // A range past the end of the file is a local error, not a server one.
  auto short_file = store_->PutObject("short", FileRange{fd, 299000, 5000}, {}, "");
  EXPECT_FALSE(short_file.ok());
  EXPECT_EQ(short_file.status().code(), Status::Code::kIOError);
  close(fd);
}

TEST_F(TransferObjectOpsTest, SpecialCharacterKeysRoundTrip) {
  const std::vector<std::string> keys = {"with space/file name.txt",
                                         "plus+sign",
                                         "percent%41%zz",
                                         "hash#tag",
                                         "question?mark",
                                         "amp&eq=semi;",
                                         "unicode/caf\xc3\xa9-\xe1\x88\xb4",
                                         "quote'\"<>",
                                         "dots/./and/../x",
                                         "double//slash",
                                         "tilde~star*paren()",
                                         "comma,colon:at@dollar$"};
  for (const auto& key : keys) {
    auto etag = store_->PutObjectFromString(key, "data:" + key, {});
    ASSERT_TRUE(etag.ok()) << key << ": " << etag.status().ToString();
  }
  for (const auto& key : keys) {
    EXPECT_EQ(Get(*store_, key, 0, 1000), "data:" + key) << key;
    EXPECT_TRUE(store_->HeadObject(key).ok()) << key;
  }
  auto page = store_->ListObjects("", "", "", 0);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  std::set<std::string> listed;
  for (const auto& o : page->objects) listed.insert(o.key);
  EXPECT_EQ(listed, std::set<std::string>(keys.begin(), keys.end()));
  auto failed = store_->DeleteObjects(keys);
  ASSERT_TRUE(failed.ok()) << failed.status().ToString();
  EXPECT_TRUE(failed->empty());
  auto after = store_->ListObjects("", "", "", 0);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->objects.empty());
}

TEST_F(TransferObjectOpsTest, ListObjectsPaginationPrefixDelimiter) {
  std::set<std::string> expected;
  for (int i = 0; i < 7; ++i) {
    std::string key = "list/f" + std::to_string(i);
    ASSERT_TRUE(store_->PutObjectFromString(key, std::string(i, 'x'), {}).ok());
    expected.insert(key);
  }
  ASSERT_TRUE(store_->PutObjectFromString("list/sub/a", "a", {}).ok());
  ASSERT_TRUE(store_->PutObjectFromString("list/sub2/b", "b", {}).ok());
  ASSERT_TRUE(store_->PutObjectFromString("other", "o", {}).ok());

  std::set<std::string> keys, prefixes;
  std::string token;
  int pages = 0;
  for (; pages < 20; ++pages) {
    auto page = store_->ListObjects("list/", "/", token, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size() + page->common_prefixes.size(), 2u);
    for (const auto& o : page->objects) {
      keys.insert(o.key);
      EXPECT_EQ(o.size, static_cast<uint64_t>(o.key.back() - '0'));
      EXPECT_EQ(o.etag.size(), 32u);
    }
    for (const auto& p : page->common_prefixes) prefixes.insert(p);
    if (!page->truncated) break;
    token = page->next_continuation_token;
  }
  EXPECT_GE(pages, 4);
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(prefixes, (std::set<std::string>{"list/sub/", "list/sub2/"}));
}

TEST_F(TransferObjectOpsTest, CopyObjectCopyAndReplaceMetadata) {
  ASSERT_TRUE(store_->PutObjectFromString("src key", "copy me", {{"a", "1"}}).ok());
  auto copied = store_->CopyObject("src key", "dst/copy", MetadataDirective::kCopy, {});
  ASSERT_TRUE(copied.ok()) << copied.status().ToString();
  EXPECT_EQ(*copied, HexEncode(Md5("copy me")));
  auto info = store_->HeadObject("dst/copy");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->user_metadata, (UserMetadata{{"a", "1"}}));

  auto replaced =
      store_->CopyObject("src key", "src key", MetadataDirective::kReplace, {{"b", "2"}});
  ASSERT_TRUE(replaced.ok()) << replaced.status().ToString();
  auto info2 = store_->HeadObject("src key");
  ASSERT_TRUE(info2.ok());
  EXPECT_EQ(info2->user_metadata, (UserMetadata{{"b", "2"}}));
  EXPECT_EQ(Get(*store_, "src key", 0, 100), "copy me");

  auto missing = store_->CopyObject("nope", "x", MetadataDirective::kCopy, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST_F(TransferObjectOpsTest, WrongSecretIsPermissionDeniedWithoutTheSecret) {
  S3ClientOptions bad = options_;
  bad.secret_key = "wrong-secret-Zq9xK";
  auto client = ClientWith(bad);
  ASSERT_NE(client, nullptr);
  Status s = client->HeadBucket();
  EXPECT_EQ(s.code(), Status::Code::kPermissionDenied) << s.ToString();
  auto put = client->PutObjectFromString("k", "v", {});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().code(), Status::Code::kPermissionDenied);
  EXPECT_EQ(put.status().remote_code(), "SignatureDoesNotMatch");
  EXPECT_NE(put.status().message().find("rejected the credentials"), std::string::npos)
      << put.status().message();
  EXPECT_EQ(put.status().message().find("wrong-secret-Zq9xK"), std::string::npos);
  EXPECT_EQ(put.status().message().find("Signature="), std::string::npos);
}

TEST_F(TransferObjectOpsTest, MissingBucketIsNotFoundNoSuchBucket) {
  S3ClientOptions other = options_;
  other.bucket = UniqueBucketName("xfer-missing");
  auto client = ClientWith(other);
  ASSERT_NE(client, nullptr);
  Status head = client->HeadBucket();
  EXPECT_TRUE(head.IsNotFound()) << head.ToString();
  EXPECT_EQ(head.remote_code(), "NoSuchBucket");
  auto list = client->ListObjects("", "", "", 0);
  ASSERT_FALSE(list.ok());
  EXPECT_TRUE(list.status().IsNotFound());
  EXPECT_EQ(list.status().remote_code(), "NoSuchBucket");
  EXPECT_NE(list.status().message().find(other.bucket), std::string::npos);
  auto put = client->PutObjectFromString("k", "v", {});
  ASSERT_FALSE(put.ok());
  EXPECT_EQ(put.status().remote_code(), "NoSuchBucket");
}

TEST_F(TransferObjectOpsTest, InvalidOptionsAreRejected) {
  S3ClientOptions o = options_;
  o.endpoint = "ftp://127.0.0.1:1";
  EXPECT_EQ(CreateS3Client(o).status().code(), Status::Code::kInvalidArgument);
  o = options_;
  o.secret_key = "";
  EXPECT_EQ(CreateS3Client(o).status().code(), Status::Code::kInvalidArgument);
  o = options_;
  o.bucket = "Bad_Bucket";
  o.path_style = false;
  EXPECT_EQ(CreateS3Client(o).status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace partfs::testing
