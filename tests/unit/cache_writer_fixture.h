// Shared fixture of the cache writer unit tests: a WriteCache in a TempDir
// over a FakeObjectStore, with 64 KiB parts so tests move many parts quickly.
#ifndef PARTFS_TESTS_UNIT_CACHE_WRITER_FIXTURE_H_
#define PARTFS_TESTS_UNIT_CACHE_WRITER_FIXTURE_H_

#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "cache/write_cache.h"
#include "tests/support/fake_clock.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"

namespace partfs::testing {

inline constexpr uint64_t kTestPart = 64 * 1024;

class CacheWriterFixture : public ::testing::Test {
 protected:
  CacheWriterFixture() : store_(kTestPart) {
    options_.cache_dir = dir_.Sub("cache");
    options_.part_size = kTestPart;
    options_.cache_size = 64 * kTestPart;
    options_.upload_threads = 3;
    options_.profile.min_part_size = kTestPart;
    options_.profile.max_part_size = 1ull << 30;
    options_.profile.max_object_size = 16ull << 30;
    options_.endpoint = "http://127.0.0.1:1";
    options_.bucket = "bucket";
    options_.clock = &clock_;  // time moves only when a test advances it
  }
  ~CacheWriterFixture() override {
    if (cache_) cache_->WaitForRecovery();
  }

  void OpenCache() {
    auto cache = WriteCache::Open(options_, &store_);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  std::shared_ptr<FileWriter> Start(const std::string& key, const UserMetadata& meta = {}) {
    auto writer = cache_->StartWrite(key, meta);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? *writer : nullptr;
  }

  // Writes `data` from offset 0 in `chunk`-sized writes.
  static Status WriteAll(FileWriter& w, const std::string& data, size_t chunk = 10000) {
    for (size_t off = 0; off < data.size(); off += chunk) {
      size_t n = std::min(chunk, data.size() - off);
      auto written = w.Write(off, data.data() + off, n);
      if (!written.ok()) return written.status();
      if (*written != n) return Status::IOError("short write");
    }
    return Status::OK();
  }

  uint64_t FileIdOf(const std::string& key) {
    auto files = cache_->journal().ListFiles();
    for (const auto& f : *files) {
      if (f.key == key) return f.file_id;
    }
    return 0;
  }

  std::string PartPath(uint64_t id, uint32_t n) const {
    return options_.cache_dir + "/files/" + std::to_string(id) + "/part-" + std::to_string(n);
  }

  static bool Exists(const std::string& path) { return std::filesystem::exists(path); }

  TempDir dir_{"partfs-cache"};
  FakeObjectStore store_;
  // Starts at the real time: the fake store stamps uploads with it, and
  // recovery compares those stamps with journaled intents. Outlives cache_.
  FakeClock clock_{static_cast<int64_t>(std::time(nullptr))};
  CacheOptions options_;
  std::unique_ptr<WriteCache> cache_;  // declared after store_: destroyed first
};

using Op = FakeObjectStore::Op;

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_UNIT_CACHE_WRITER_FIXTURE_H_
