// Shared fixture of the crash-safety unit tests (issue 10): a WriteCache over
// the FakeObjectStore that can be "crashed" (destroyed without finishing its
// writers) and mounted again, a store wrapper that holds chosen calls back at
// a gate (to order recovery against a newer write deterministically) and can
// give copies S3's new ETag, an optional FaultyJournal, and a log capture.
//
// Every wait is bounded: gates release themselves after kGateLimit, polls end
// at a deadline.
#ifndef PARTFS_TESTS_UNIT_CRASH_SAFETY_FIXTURE_H_
#define PARTFS_TESTS_UNIT_CRASH_SAFETY_FIXTURE_H_

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "base/logger.h"
#include "base/mutex.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/write_cache.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/faulty_journal.h"
#include "tests/unit/cache_writer_fixture.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {

// Polls `done` every millisecond until it holds or `timeout` passes.
inline bool WaitUntil(const std::function<bool()>& done,
                      std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

// A CountingStore over the fake whose calls of one operation on one key can be
// held at a gate, and whose CopyObject can behave like S3's (the copy is a new
// single-part object: its ETag becomes the MD5 of the data, not the source's
// multipart ETag, which the fake keeps).
class GatedStore : public CountingStore {
 public:
  static constexpr std::chrono::seconds kGateLimit{30};

  explicit GatedStore(FakeObjectStore* fake) : CountingStore(fake), fake_(fake) {}

  // From now on, calls of `op` on `key` wait until Open() (at most kGateLimit).
  void Close(FakeObjectStore::Op op, const std::string& key) {
    MutexLock lock(&mu_);
    closed_ = true;
    op_ = op;
    key_ = key;
    held_ = 0;
  }
  void Open() {
    MutexLock lock(&mu_);
    closed_ = false;
    cv_.SignalAll();
  }
  // True once a call waits at the gate.
  bool WaitUntilHeld(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(&mu_);
    while (held_ == 0) {
      auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) return false;
      cv_.WaitFor(left);
    }
    return true;
  }

  std::atomic<bool> s3_copy_etags{false};
  std::atomic<int> copies{0};

  Result<ObjectInfo> HeadObject(const std::string& key) override {
    Pass(FakeObjectStore::Op::kHeadObject, key);
    return CountingStore::HeadObject(key);
  }
  Result<std::string> PutObject(const std::string& key, const FileRange& body,
                                const UserMetadata& metadata,
                                const std::string& content_md5_base64) override {
    Pass(FakeObjectStore::Op::kPutObject, key);
    return CountingStore::PutObject(key, body, metadata, content_md5_base64);
  }
  Result<std::string> PutObjectFromString(const std::string& key, const std::string& data,
                                          const UserMetadata& metadata) override {
    Pass(FakeObjectStore::Op::kPutObject, key);
    return CountingStore::PutObjectFromString(key, data, metadata);
  }
  Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                 uint32_t part_number, const FileRange& body,
                                 const std::string& content_md5_base64) override {
    Pass(FakeObjectStore::Op::kUploadPart, key);
    return CountingStore::UploadPart(key, upload_id, part_number, body, content_md5_base64);
  }
  Result<std::string> CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                              const std::vector<CompletedPart>& parts,
                                              const std::string& expected_etag) override {
    Pass(FakeObjectStore::Op::kCompleteMultipartUpload, key);
    return CountingStore::CompleteMultipartUpload(key, upload_id, parts, expected_etag);
  }
  Result<std::string> CopyObject(const std::string& source_key, const std::string& dest_key,
                                 MetadataDirective directive,
                                 const UserMetadata& metadata) override {
    Pass(FakeObjectStore::Op::kCopyObject, dest_key);
    ++copies;
    if (!s3_copy_etags.load()) {
      return CountingStore::CopyObject(source_key, dest_key, directive, metadata);
    }
    auto info = fake_->HeadObject(source_key);
    if (!info.ok()) return info.status();
    std::string data(info->size, '\0');
    auto n = fake_->GetObject(source_key, 0, info->size, data.data());
    if (!n.ok()) return n.status();
    data.resize(*n);
    return fake_->PutObjectFromString(
        dest_key, data, directive == MetadataDirective::kReplace ? metadata : info->user_metadata);
  }

 private:
  void Pass(FakeObjectStore::Op op, const std::string& key) {
    const auto deadline = std::chrono::steady_clock::now() + kGateLimit;
    MutexLock lock(&mu_);
    if (!closed_ || op != op_ || key != key_) return;
    ++held_;
    cv_.SignalAll();
    while (closed_ && std::chrono::steady_clock::now() < deadline) {
      cv_.WaitFor(std::chrono::milliseconds(100));
    }
  }

  FakeObjectStore* const fake_;
  Mutex mu_;
  CondVar cv_{&mu_};
  bool closed_ = false;
  FakeObjectStore::Op op_ = FakeObjectStore::Op::kHeadObject;
  std::string key_;
  int held_ = 0;
};

// A Logger writing to a file; Text() returns what was logged so far.
class LogCapture {
 public:
  explicit LogCapture(const std::string& path)
      : path_(path),
        fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600)),
        logger_(fd_, LogLevel::kInfo) {}
  ~LogCapture() {
    if (fd_ >= 0) ::close(fd_);
  }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  Logger* logger() { return &logger_; }
  std::string Text() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  // The ERROR lines logged so far, one per line.
  std::string Errors() const {
    std::istringstream in(Text());
    std::string line, errors;
    while (std::getline(in, line)) {
      if (line.find(" ERROR partfs: ") != std::string::npos) errors += line + "\n";
    }
    return errors;
  }

 private:
  std::string path_;
  int fd_;
  Logger logger_;
};

class CrashSafetyFixture : public CacheWriterFixture {
 protected:
  CrashSafetyFixture() : gated_(&store_), layout_(options_.cache_dir) {
    // No in-mount retry unless a test asks for one; a fixed boot id (a test
    // changes it to act out a reboot between two mounts).
    options_.retry_backoff = std::chrono::minutes(10);
    options_.retry_backoff_max = std::chrono::minutes(10);
    options_.boot_id = "boot-1";
  }
  ~CrashSafetyFixture() override {
    gated_.Open();  // nothing may stay held back while the cache shuts down
    if (cache_) cache_->WaitForRecovery();
    cache_.reset();  // before gated_ (declared here) dies
  }

  // Wraps the journal of every later OpenCache in a FaultyJournal (faulty_).
  void UseFaultyJournal() {
    options_.wrap_journal = [this](std::unique_ptr<Journal> inner) {
      auto wrapped = std::make_unique<FaultyJournal>(std::move(inner));
      faulty_ = wrapped.get();
      return std::unique_ptr<Journal>(std::move(wrapped));
    };
  }

  // Opens the cache over the gated store (calls reach the fake through it).
  void OpenGatedCache() {
    auto cache = WriteCache::Open(options_, &gated_);
    ASSERT_TRUE(cache.ok()) << cache.status().ToString();
    cache_ = std::move(*cache);
  }

  // The process dies: the cache goes away without finishing anything. (Its
  // writers must already be destroyed: a writer never outlives its cache.)
  void Crash() {
    cache_.reset();
    faulty_ = nullptr;
  }

  // The next mount: opens the cache again and runs its recovery to the end.
  void RemountAndRecover(bool gated = false) {
    Crash();
    if (gated) {
      OpenGatedCache();
    } else {
      OpenCache();
    }
    ASSERT_NE(cache_, nullptr);
    ASSERT_TRUE(cache_->StartRecovery().ok());
    cache_->WaitForRecovery();
  }

  // Writes data[from, to) at offset `from`, in 10000-byte writes.
  static Status WriteRange(FileWriter& w, const std::string& data, size_t from, size_t to) {
    for (size_t off = from; off < to;) {
      size_t n = std::min<size_t>(10000, to - off);
      auto written = w.Write(off, data.data() + off, n);
      if (!written.ok()) return written.status();
      if (*written != n) return Status::IOError("short write");
      off += n;
    }
    return Status::OK();
  }

  std::string LostFound(uint64_t id) const { return layout_.LostFoundFileDir(id); }
  std::string FileDir(uint64_t id) const { return layout_.FileDir(id); }

  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  GatedStore gated_;
  CacheLayout layout_;
  FaultyJournal* faulty_ = nullptr;  // owned by cache_, set by UseFaultyJournal
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_UNIT_CRASH_SAFETY_FIXTURE_H_
