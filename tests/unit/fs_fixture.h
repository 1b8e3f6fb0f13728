// Shared fixture of the fs/ unit tests without a mount: a Filesystem (prefix
// "pre/") over a FakeObjectStore and a real WriteCache in a TempDir, time from
// a FakeClock. SetUp mounts and TearDown unmounts; a test may Unmount() and
// Mount() again to be the next mount over the same cache directory and store.
// Derived fixtures adjust fs_options_ / recover_at_mount_ in their constructor.
#ifndef PARTFS_TESTS_UNIT_FS_FIXTURE_H_
#define PARTFS_TESTS_UNIT_FS_FIXTURE_H_

#include <fcntl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cache/write_cache.h"
#include "fs/filesystem.h"
#include "gtest/gtest.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {

inline constexpr int64_t kFsFixtureMountTime = 1'600'000'000;

class FsFixture : public ::testing::Test {
 protected:
  explicit FsFixture(const std::string& dir_prefix) : dir_(dir_prefix) {
    fs_options_.prefix = "pre/";
    fs_options_.logger = Logger::Quiet();
    fs_options_.clock = &clock_;
  }

  void SetUp() override { Mount(); }
  void TearDown() override { Unmount(); }

  // Opens the cache (and, when recover_at_mount_, runs its recovery so
  // journaled renames roll forward before the filesystem serves), then the
  // filesystem over it.
  void Mount() {
    CacheOptions options;
    options.cache_dir = dir_.Sub("cache");
    options.cache_size = 64 << 20;
    options.part_size = 5 << 20;
    options.endpoint = "http://fake";
    options.bucket = "bucket";
    options.logger = Logger::Quiet();
    options.clock = &clock_;
    auto cache = WriteCache::Open(options, &store_);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
    if (recover_at_mount_) {
      ASSERT_TRUE(cache_->StartRecovery().ok());
      cache_->WaitForRecovery();
    }
    fs_ = std::make_unique<Filesystem>(fs_options_, &store_, cache_.get());
  }
  void Unmount() {
    fs_.reset();  // writers before the cache
    cache_.reset();
  }

  // Creates `name` in `parent` and writes `data` from offset 0, as kWriter;
  // std::nullopt when the create failed (a failed expectation either way).
  std::optional<CreateResult> CreateAndWrite(uint64_t parent, const std::string& name,
                                             const std::string& data) {
    auto created = fs_->Create(parent, name, 0644, O_WRONLY | O_CREAT, kWriter);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    if (!created.ok()) return std::nullopt;
    auto written = fs_->Write(created->fh, 0, data.data(), data.size(), kWriter);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    return *created;
  }
  // Flushes and releases a handle of CreateAndWrite.
  void Close(uint64_t fh) {
    EXPECT_TRUE(fs_->Flush(fh, kWriter).ok());
    EXPECT_TRUE(fs_->Release(fh).ok());
  }

  static constexpr RequestContext kWriter{1, 2, 100};  // uid, gid, pid

  TempDir dir_;
  FakeClock clock_{kFsFixtureMountTime};  // outlives cache_ and fs_
  FakeObjectStore store_;
  FilesystemOptions fs_options_;  // used by every Mount()
  bool recover_at_mount_ = false;
  std::unique_ptr<WriteCache> cache_;
  std::unique_ptr<Filesystem> fs_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_UNIT_FS_FIXTURE_H_
