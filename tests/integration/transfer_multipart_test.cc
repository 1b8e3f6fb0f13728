// S3Client multipart upload operations against the local S3 server.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <future>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1024 * 1024;

class TransferMultipartTest : public TransferBucketTest {};

// A file filled with deterministic pseudo-random bytes; closes on destruction.
class DataFile {
 public:
  DataFile(const std::string& path, uint64_t size) : path_(path) {
    fd_ = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
    std::mt19937_64 rng(size);
    std::vector<uint64_t> block(kMiB / 8);
    for (uint64_t done = 0; done < size;) {
      for (auto& w : block) w = rng();
      const uint64_t n = std::min<uint64_t>(kMiB, size - done);
      if (write(fd_, block.data(), n) != static_cast<ssize_t>(n)) break;
      done += n;
    }
  }
  ~DataFile() {
    if (fd_ >= 0) close(fd_);
  }
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;
  int fd() const { return fd_; }
  std::string Read(uint64_t offset, uint64_t length) const {
    std::string out(length, '\0');
    ssize_t n = pread(fd_, out.data(), length, static_cast<off_t>(offset));
    out.resize(n < 0 ? 0 : static_cast<size_t>(n));
    return out;
  }

 private:
  std::string path_;
  int fd_ = -1;
};

struct UploadedPart {
  CompletedPart part;
  std::string md5;  // raw
};

Result<UploadedPart> Upload(ObjectStore& store, const std::string& key, const std::string& id,
                            uint32_t number, const DataFile& file, uint64_t offset,
                            uint64_t length) {
  const std::string md5 = Md5(file.Read(offset, length));
  auto etag =
      store.UploadPart(key, id, number, FileRange{file.fd(), offset, length}, Base64Encode(md5));
  if (!etag.ok()) return etag.status();
  return UploadedPart{{number, *etag}, md5};
}

TEST_F(TransferMultipartTest, UploadListCompleteWithMetadata) {
  TempDir dir;
  const uint64_t size = 11 * kMiB + 12345;
  DataFile file(dir.Sub("data"), size);
  const std::string key = "mpu/file one.bin";
  auto id = store_->CreateMultipartUpload(key, {{"mode", "100600"}});
  ASSERT_TRUE(id.ok()) << id.status().ToString();

  std::vector<UploadedPart> parts;
  const uint64_t part_size = 5 * kMiB;
  for (uint32_t n = 1; (n - 1) * part_size < size; ++n) {
    const uint64_t off = (n - 1) * part_size;
    auto p = Upload(*store_, key, *id, n, file, off, std::min(part_size, size - off));
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->part.etag, HexEncode(p->md5));
    parts.push_back(*p);
  }
  ASSERT_EQ(parts.size(), 3u);

  // ListParts, one part per page.
  std::vector<PartEntry> listed;
  uint32_t marker = 0;
  for (int page = 0; page < 10; ++page) {
    auto r = store_->ListParts(key, *id, marker, 1);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_LE(r->parts.size(), 1u);
    listed.insert(listed.end(), r->parts.begin(), r->parts.end());
    if (!r->truncated) break;
    marker = r->next_part_number_marker;
  }
  ASSERT_EQ(listed.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(listed[i].number, i + 1);
    EXPECT_EQ(listed[i].etag, parts[i].part.etag);
  }
  EXPECT_EQ(listed[2].size, size - 2 * part_size);
  auto all = ListAllParts(*store_, key, *id);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  std::vector<CompletedPart> completed;
  std::vector<std::string> md5s;
  for (const auto& p : parts) {
    completed.push_back(p.part);
    md5s.push_back(p.md5);
  }
  const std::string expected = MultipartEtag(md5s);
  auto etag = store_->CompleteMultipartUpload(key, *id, completed, expected);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, expected);

  auto info = store_->HeadObject(key);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->size, size);
  EXPECT_EQ(info->etag, expected);
  EXPECT_EQ(info->user_metadata, (UserMetadata{{"mode", "100600"}}));

  auto back = ReadObject(*store_, key);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), size);
  EXPECT_TRUE(*back == file.Read(0, size));

  // Completing again (a retry after a lost response, or after a crash)
  // succeeds because the object carries the expected ETag.
  auto again = store_->CompleteMultipartUpload(key, *id, completed, expected);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, expected);
}

TEST_F(TransferMultipartTest, ListMultipartUploadsPaginates) {
  std::set<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    auto id = store_->CreateMultipartUpload("up/k" + std::to_string(i % 3), {});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ids.insert(*id);
  }
  ASSERT_TRUE(store_->CreateMultipartUpload("elsewhere", {}).ok());
  std::set<std::string> seen;
  std::string key_marker, id_marker;
  int pages = 0;
  for (; pages < 20; ++pages) {
    auto page = store_->ListMultipartUploads("up/", key_marker, id_marker, 2);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->uploads.size(), 2u);
    for (const auto& u : page->uploads) {
      EXPECT_EQ(u.key.rfind("up/", 0), 0u);
      EXPECT_GT(u.initiated, 1600000000);
      seen.insert(u.upload_id);
    }
    if (!page->truncated) break;
    key_marker = page->next_key_marker;
    id_marker = page->next_upload_id_marker;
  }
  EXPECT_GE(pages, 2);
  EXPECT_EQ(seen, ids);
  auto all = ListAllUploads(*store_, "up/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 5u);
}

TEST_F(TransferMultipartTest, AbortThenUploadIsGone) {
  auto id = store_->CreateMultipartUpload("aborted", {});
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store_->PutObjectFromString("x", "x", {}).ok());
  ASSERT_TRUE(store_->AbortMultipartUpload("aborted", *id).ok());
  auto parts = store_->ListParts("aborted", *id, 0, 0);
  ASSERT_FALSE(parts.ok());
  EXPECT_TRUE(parts.status().IsNotFound());
  EXPECT_EQ(parts.status().remote_code(), "NoSuchUpload");
  auto complete = store_->CompleteMultipartUpload("aborted", *id, {{1, "abc"}}, "");
  ASSERT_FALSE(complete.ok());
  EXPECT_EQ(complete.status().remote_code(), "NoSuchUpload");
}

TEST_F(TransferMultipartTest, EntityTooSmallIsAClearError) {
  TempDir dir;
  DataFile file(dir.Sub("small"), 2048);
  auto id = store_->CreateMultipartUpload("small", {});
  ASSERT_TRUE(id.ok());
  auto p1 = Upload(*store_, "small", *id, 1, file, 0, 1024);
  auto p2 = Upload(*store_, "small", *id, 2, file, 1024, 1024);
  ASSERT_TRUE(p1.ok() && p2.ok());
  auto etag = store_->CompleteMultipartUpload("small", *id, {p1->part, p2->part}, "");
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(etag.status().remote_code(), "EntityTooSmall");
  EXPECT_NE(etag.status().message().find("minimum part size"), std::string::npos)
      << etag.status().message();
  EXPECT_NE(etag.status().message().find("CompleteMultipartUpload"), std::string::npos);
}

TEST_F(TransferMultipartTest, InvalidPartAndOrder) {
  TempDir dir;
  DataFile file(dir.Sub("p"), 1024);
  auto id = store_->CreateMultipartUpload("inv", {});
  ASSERT_TRUE(id.ok());
  auto p1 = Upload(*store_, "inv", *id, 1, file, 0, 1024);
  ASSERT_TRUE(p1.ok());
  auto bad = store_->CompleteMultipartUpload("inv", *id, {{1, std::string(32, '0')}}, "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().remote_code(), "InvalidPart");
  EXPECT_EQ(bad.status().code(), Status::Code::kInvalidArgument);
  auto order = store_->CompleteMultipartUpload("inv", *id, {{2, "a"}, {1, p1->part.etag}}, "");
  ASSERT_FALSE(order.ok());
  EXPECT_EQ(order.status().code(), Status::Code::kInvalidArgument);
}

TEST_F(TransferMultipartTest, UploadPartCopyRange) {
  TempDir dir;
  DataFile file(dir.Sub("src"), 6 * kMiB);
  ASSERT_TRUE(store_->PutObject("source", FileRange{file.fd(), 0, 6 * kMiB}, {}, "").ok());
  auto id = store_->CreateMultipartUpload("assembled", {});
  ASSERT_TRUE(id.ok());
  auto c1 = store_->UploadPartCopy("assembled", *id, 1, "source", 0, 5 * kMiB - 1);
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(*c1, HexEncode(Md5(file.Read(0, 5 * kMiB))));
  auto p2 = Upload(*store_, "assembled", *id, 2, file, 100, 1000);
  ASSERT_TRUE(p2.ok());
  auto etag = store_->CompleteMultipartUpload("assembled", *id, {{1, *c1}, p2->part}, "");
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  auto back = ReadObject(*store_, "assembled");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == file.Read(0, 5 * kMiB) + file.Read(100, 1000));

  auto missing = store_->UploadPartCopy("assembled2", *id, 1, "no-such-source", 0, 10);
  EXPECT_FALSE(missing.ok());
}

// 100 MiB from a file in 8 MiB parts, 4 in flight: streamed with pread, the
// downloaded SHA-256 must match. Prints the upload throughput.
TEST_F(TransferMultipartTest, HundredMegabytesFromFile) {
  TempDir dir;
  const uint64_t size = 100 * kMiB;
  const uint64_t part_size = 8 * kMiB;
  DataFile file(dir.Sub("big"), size);
  const std::string key = "big/100MiB.bin";
  auto id = store_->CreateMultipartUpload(key, {});
  ASSERT_TRUE(id.ok());
  const uint32_t count = static_cast<uint32_t>((size + part_size - 1) / part_size);

  std::vector<std::string> md5s(count);
  for (uint32_t n = 1; n <= count; ++n) {
    const uint64_t off = (n - 1) * part_size;
    md5s[n - 1] = Md5(file.Read(off, std::min(part_size, size - off)));
  }
  const auto start = std::chrono::steady_clock::now();
  std::vector<CompletedPart> parts(count);
  std::atomic<uint32_t> next{1};
  std::vector<std::future<Status>> workers;
  for (int w = 0; w < 4; ++w) {
    workers.push_back(std::async(std::launch::async, [&]() -> Status {
      for (uint32_t n = next++; n <= count; n = next++) {
        const uint64_t off = (n - 1) * part_size;
        auto etag = store_->UploadPart(key, *id, n,
                                       FileRange{file.fd(), off, std::min(part_size, size - off)},
                                       Base64Encode(md5s[n - 1]));
        if (!etag.ok()) return etag.status();
        parts[n - 1] = {n, *etag};
      }
      return Status::OK();
    }));
  }
  for (auto& w : workers) {
    Status s = w.get();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  auto etag = store_->CompleteMultipartUpload(key, *id, parts, MultipartEtag(md5s));
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[transfer] 100 MiB multipart upload (8 MiB x 4 threads): %.2f s, %.1f MiB/s\n", secs,
              100.0 / secs);
  EXPECT_EQ(*etag, MultipartEtag(md5s));

  const auto get_start = std::chrono::steady_clock::now();
  auto back = ReadObject(*store_, key);
  const double get_secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - get_start).count();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->size(), size);
  std::printf("[transfer] 100 MiB GetObject: %.2f s, %.1f MiB/s\n", get_secs, 100.0 / get_secs);
  EXPECT_EQ(Sha256Hex(*back), Sha256Hex(file.Read(0, size)));
}

}  // namespace
}  // namespace partfs::testing
