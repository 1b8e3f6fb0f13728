// RecoveryTestBase: the fixture of the crash-recovery tests of the unit and
// integration tiers. A cache directory with a real Journal, the store the
// crashed writer's uploads live in (a RecoveryBackend: the fake store, or an S3
// client on a fresh bucket of the local server), a CountingStore over it for
// the RecoveryRunner, and builders that leave journal + part-file states exactly
// as a crashed writer would. Builders that talk to the store bypass the counter.
// Not thread-safe (one per test).
#ifndef PARTFS_TESTS_SUPPORT_RECOVERY_FIXTURE_H_
#define PARTFS_TESTS_SUPPORT_RECOVERY_FIXTURE_H_

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/logger.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/part_schedule.h"
#include "cache/recovery.h"
#include "cache/write_cache.h"
#include "tests/support/counting_store.h"
#include "tests/support/fake_clock.h"
#include "tests/support/read_object.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"
#include "transfer/object_store.h"

namespace partfs::testing {

inline constexpr uint64_t kRecPartSize = 5ull << 20;  // S3's minimum non-last part

// Where the uploads of a recovery test live.
class RecoveryBackend {
 public:
  virtual ~RecoveryBackend() = default;
  // Makes the store usable (e.g. creates the bucket); called from SetUp.
  virtual Status Prepare() { return Status::OK(); }
  // The store itself; valid from construction to destruction.
  virtual ObjectStore& Store() = 0;
  virtual std::string Endpoint() const = 0;
  virtual std::string Bucket() const = 0;
  // UploadPart requests the store has received so far (all clients). A server
  // whose log lags is waited for until the count reaches `at_least` (bounded).
  virtual int UploadPartRequests(int at_least) = 0;
};

using RecoveryBackendFactory = std::unique_ptr<RecoveryBackend> (*)();

class RecoveryTestBase : public ::testing::Test {
 protected:
  explicit RecoveryTestBase(std::unique_ptr<RecoveryBackend> backend)
      : backend_(std::move(backend)),
        dir_("partfs-recovery"),
        layout_(dir_.path()),
        store_(&backend_->Store()) {}

  void SetUp() override {
    Status prepared = backend_->Prepare();
    ASSERT_TRUE(prepared.ok()) << prepared.ToString();
    ASSERT_EQ(::mkdir(layout_.FilesDir().c_str(), 0700), 0);
    auto journal = Journal::Open(layout_.JournalDir(), false);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(journal).value();
    options_.cache_dir = dir_.path();
    options_.endpoint = backend_->Endpoint();
    options_.bucket = backend_->Bucket();
    options_.part_size = kRecPartSize;
    options_.logger = Logger::Quiet();
    options_.clock = &clock_;  // time moves only when a test advances it
  }

  RecoveryRunner MakeRunner() { return RecoveryRunner(layout_, *journal_, store_, options_); }

  // The backend's store, uncounted.
  ObjectStore& server() { return backend_->Store(); }

  PartSchedule Schedule() const {
    return PartSchedule(kRecPartSize, PartSchedule::kDefaultPartsPerStep,
                        options_.profile.max_part_size, options_.profile.max_part_count);
  }

  // Puts a record (state kWriting unless told) for `key`; returns its id. An
  // empty `bucket` is the backend's.
  uint64_t NewRecord(const std::string& key, const std::string& upload_id = "",
                     UploadState state = UploadState::kWriting, uint64_t size = 0,
                     const std::string& bucket = "") {
    auto id = journal_->AllocateFileId();
    EXPECT_TRUE(id.ok());
    FileRecord r;
    r.file_id = *id;
    r.endpoint = backend_->Endpoint();
    r.bucket = bucket.empty() ? backend_->Bucket() : bucket;
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

  // Starts a multipart upload of `key` on the store (uncounted).
  std::string Create(const std::string& key) {
    auto id = server().CreateMultipartUpload(key, {{"mode", "33188"}});
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  // Bytes of part `n` of `data` by the schedule.
  std::string PartBytes(const std::string& data, uint32_t n) const {
    PartSchedule s = Schedule();
    uint64_t start = s.PartStart(n);
    if (start >= data.size()) return "";
    return data.substr(start, std::min<uint64_t>(s.PartSize(n), data.size() - start));
  }

  // Uploads part n straight to the store (bypassing the counter).
  std::string UploadToServer(const std::string& key, const std::string& upload_id, uint32_t n,
                             const std::string& bytes) {
    auto etag = UploadPartBytes(server(), key, upload_id, n, bytes, dir_.Sub("upload.tmp"));
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

  // The object's bytes, or "<missing: ...>".
  std::string ReadObject(const std::string& key) { return ReadObjectOrError(server(), key); }

  int UploadPartRequests(int at_least = 0) { return backend_->UploadPartRequests(at_least); }

  bool Exists(const std::string& path) const { return std::filesystem::exists(path); }

  std::string LostDir(uint64_t id) const { return layout_.LostFoundFileDir(id); }

  std::unique_ptr<RecoveryBackend> backend_;  // first: outlives the store wrappers
  TempDir dir_;
  CacheLayout layout_;
  CountingStore store_;
  std::unique_ptr<Journal> journal_;
  // Starts at the real time: stores stamp uploads with it, and recovery
  // compares those stamps with journaled intents.
  FakeClock clock_{static_cast<int64_t>(std::time(nullptr))};
  CacheOptions options_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_RECOVERY_FIXTURE_H_
