// Test helpers for the recovery unit tests: a cache directory with a real
// Journal, a store that counts and can fail calls, and builders that leave
// journal + part-file states exactly as a crashed writer would.
#ifndef PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_
#define PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/part_schedule.h"
#include "cache/recovery.h"
#include "cache/write_cache.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"
#include "transfer/object_store.h"

namespace partfs::testing {

inline constexpr uint64_t kRecPartSize = 5ull << 20;  // S3's minimum non-last part
inline constexpr char kRecEndpoint[] = "http://127.0.0.1:9";
inline constexpr char kRecBucket[] = "recovery-bucket";

// Delegates to an inner store; counts calls and can fail UploadPart/Complete.
class CountingStore : public ObjectStore {
 public:
  explicit CountingStore(ObjectStore* inner) : inner_(inner) {}

  std::atomic<int> upload_parts{0}, completes{0}, puts{0}, creates{0}, heads{0}, lists{0},
      aborts{0};
  std::atomic<bool> fail_upload_part{false};  // Unavailable from UploadPart

  Status HeadBucket() override { return inner_->HeadBucket(); }
  Result<ObjectInfo> HeadObject(const std::string& key) override {
    ++heads;
    return inner_->HeadObject(key);
  }
  Result<uint64_t> GetObject(const std::string& key, uint64_t offset, uint64_t length,
                             char* buf) override {
    return inner_->GetObject(key, offset, length, buf);
  }
  Result<std::string> PutObject(const std::string& key, const FileRange& body,
                                const UserMetadata& metadata,
                                const std::string& content_md5_base64) override {
    ++puts;
    return inner_->PutObject(key, body, metadata, content_md5_base64);
  }
  Result<std::string> PutObjectFromString(const std::string& key, const std::string& data,
                                          const UserMetadata& metadata) override {
    ++puts;
    return inner_->PutObjectFromString(key, data, metadata);
  }
  Status DeleteObject(const std::string& key) override { return inner_->DeleteObject(key); }
  Result<std::vector<std::string>> DeleteObjects(const std::vector<std::string>& keys) override {
    return inner_->DeleteObjects(keys);
  }
  Result<ListObjectsPage> ListObjects(const std::string& prefix, const std::string& delimiter,
                                      const std::string& token, uint32_t max_keys) override {
    return inner_->ListObjects(prefix, delimiter, token, max_keys);
  }
  Result<std::string> CopyObject(const std::string& source_key, const std::string& dest_key,
                                 MetadataDirective directive,
                                 const UserMetadata& metadata) override {
    return inner_->CopyObject(source_key, dest_key, directive, metadata);
  }
  Result<std::string> CreateMultipartUpload(const std::string& key,
                                            const UserMetadata& metadata) override {
    ++creates;
    return inner_->CreateMultipartUpload(key, metadata);
  }
  Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                 uint32_t part_number, const FileRange& body,
                                 const std::string& content_md5_base64) override {
    ++upload_parts;
    if (fail_upload_part.load()) return Status::Unavailable("injected: connection refused");
    return inner_->UploadPart(key, upload_id, part_number, body, content_md5_base64);
  }
  Result<std::string> UploadPartCopy(const std::string& key, const std::string& upload_id,
                                     uint32_t part_number, const std::string& source_key,
                                     uint64_t first, uint64_t last) override {
    return inner_->UploadPartCopy(key, upload_id, part_number, source_key, first, last);
  }
  Result<std::string> CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                              const std::vector<CompletedPart>& parts,
                                              const std::string& expected_etag) override {
    ++completes;
    return inner_->CompleteMultipartUpload(key, upload_id, parts, expected_etag);
  }
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id) override {
    ++aborts;
    return inner_->AbortMultipartUpload(key, upload_id);
  }
  Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                  uint32_t marker, uint32_t max_parts) override {
    ++lists;
    return inner_->ListParts(key, upload_id, marker, max_parts);
  }
  Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                               const std::string& key_marker,
                                               const std::string& upload_id_marker,
                                               uint32_t max_uploads) override {
    return inner_->ListMultipartUploads(prefix, key_marker, upload_id_marker, max_uploads);
  }

 private:
  ObjectStore* inner_;
};

// A cache dir, its journal and a fake store; builds crashed-writer states.
class RecoveryFixture : public ::testing::Test {
 protected:
  RecoveryFixture() : dir_("partfs-recovery"), layout_(dir_.path()), store_(&fake_) {}

  void SetUp() override {
    ASSERT_EQ(::mkdir(layout_.FilesDir().c_str(), 0700), 0);
    auto journal = Journal::Open(layout_.JournalDir(), false);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(journal).value();
    options_.cache_dir = dir_.path();
    options_.endpoint = kRecEndpoint;
    options_.bucket = kRecBucket;
    options_.part_size = kRecPartSize;
    options_.logger = Logger::Quiet();
    options_.clock = &clock_;  // time moves only when a test advances it
  }

  RecoveryRunner MakeRunner() { return RecoveryRunner(layout_, *journal_, store_, options_); }

  PartSchedule Schedule() const {
    return PartSchedule(kRecPartSize, PartSchedule::kDefaultPartsPerStep,
                        options_.profile.max_part_size, options_.profile.max_part_count);
  }

  // Puts a record (state kWriting unless told) for `key`; returns its id.
  uint64_t NewRecord(const std::string& key, const std::string& upload_id = "",
                     UploadState state = UploadState::kWriting, uint64_t size = 0,
                     const std::string& bucket = kRecBucket) {
    auto id = journal_->AllocateFileId();
    EXPECT_TRUE(id.ok());
    FileRecord r;
    r.file_id = *id;
    r.endpoint = kRecEndpoint;
    r.bucket = bucket;
    r.key = key;
    r.upload_id = upload_id;
    r.base_part_size = kRecPartSize;
    r.parts_per_step = PartSchedule::kDefaultPartsPerStep;
    r.state = state;
    r.size = size;
    r.created_at = clock_.WallSeconds() - 60;
    r.updated_at = r.created_at;
    r.metadata = {{"mode", "33188"}};
    EXPECT_TRUE(journal_->PutFile(r).ok());
    EXPECT_TRUE(::mkdir(layout_.FileDir(r.file_id).c_str(), 0700) == 0);
    return r.file_id;
  }

  std::string Create(const std::string& key) {
    auto id = fake_.CreateMultipartUpload(key, {{"mode", "33188"}});
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : "";
  }

  // Bytes of part `n` of `data` by the schedule.
  std::string PartBytes(const std::string& data, uint32_t n) const {
    PartSchedule s = Schedule();
    uint64_t start = s.PartStart(n);
    if (start >= data.size()) return "";
    return data.substr(start, std::min<uint64_t>(s.PartSize(n), data.size() - start));
  }

  // Uploads part n straight to the fake (bypassing the counter).
  std::string UploadToServer(const std::string& key, const std::string& upload_id, uint32_t n,
                             const std::string& bytes) {
    auto etag = UploadPartBytes(fake_, key, upload_id, n, bytes, dir_.Sub("upload.tmp"));
    EXPECT_TRUE(etag.ok()) << etag.status().ToString();
    return etag.ok() ? *etag : "";
  }

  // Part uploaded and journaled, part file gone (the writer's normal state).
  void UploadedPart(uint64_t id, const std::string& key, const std::string& upload_id, uint32_t n,
                    const std::string& bytes) {
    std::string etag = UploadToServer(key, upload_id, n, bytes);
    ASSERT_TRUE(journal_->PutPart(id, PartRecord{n, bytes.size(), etag, Md5(bytes)}).ok());
  }

  void CachedPart(uint64_t id, uint32_t n, const std::string& bytes) {
    WriteBytesToFile(layout_.PartPath(id, n), bytes);
  }

  std::string ReadObject(const std::string& key) {
    auto info = fake_.HeadObject(key);
    if (!info.ok()) return "<missing: " + info.status().ToString() + ">";
    std::string buf(info->size, '\0');
    auto n = fake_.GetObject(key, 0, info->size, buf.data());
    if (!n.ok()) return "<unreadable>";
    buf.resize(*n);
    return buf;
  }

  bool Exists(const std::string& path) const { return std::filesystem::exists(path); }

  TempDir dir_;
  CacheLayout layout_;
  FakeObjectStore fake_;
  CountingStore store_;
  std::unique_ptr<Journal> journal_;
  // Starts at the real time: the fake store stamps uploads with it, and
  // recovery compares those stamps with journaled intents.
  FakeClock clock_{static_cast<int64_t>(std::time(nullptr))};
  CacheOptions options_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_
