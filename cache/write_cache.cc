// WriteCache::Open and the WriteCache implementation: owns the locked cache
// directory, the journal, the byte budget, the upload pool and the recovery
// thread; hands out FileWriterImpl instances.
#include "cache/write_cache.h"

#include <sys/stat.h>
#include <time.h>

#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "base/mutex.h"
#include "cache/cache_budget.h"
#include "cache/cache_dir.h"
#include "cache/file_writer_impl.h"
#include "cache/part_schedule.h"
#include "cache/recovery.h"
#include "cache/upload_pool.h"

namespace partfs {
namespace {

// Bytes of the regular files directly in `path`.
uint64_t DirBytes(const std::string& path) {
  namespace fs = std::filesystem;
  uint64_t total = 0;
  std::error_code ec;
  for (fs::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
    struct stat st;
    if (stat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      total += static_cast<uint64_t>(st.st_size);
    }
  }
  return total;
}

// The files/<id>/ directories left by an earlier mount.
std::vector<std::string> ExistingFileDirs(const CacheLayout& layout) {
  namespace fs = std::filesystem;
  std::vector<std::string> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(layout.FilesDir(), ec), end; !ec && it != end; it.increment(ec)) {
    dirs.push_back(it->path().string());
  }
  return dirs;
}

Status ValidateOptions(const CacheOptions& options, ObjectStore* store) {
  if (store == nullptr) return Status::InvalidArgument("write cache needs an object store");
  if (options.cache_dir.empty()) return Status::InvalidArgument("cache directory is not set");
  if (options.upload_threads == 0) return Status::InvalidArgument("upload_threads must be >= 1");
  if (options.cache_size == 0) return Status::InvalidArgument("cache_size must be > 0");
  return PartSchedule::Validate(options.part_size,
                                PartSchedule::PartsPerStepFor(options.part_size, options.profile),
                                options.profile);
}

class WriteCacheImpl : public WriteCache {
 public:
  WriteCacheImpl(const CacheOptions& options, ObjectStore* store, std::unique_ptr<CacheDir> dir,
                 std::unique_ptr<Journal> journal, const std::vector<FileRecord>& records)
      : options_(options),
        store_(store),
        dir_(std::move(dir)),
        journal_(std::move(journal)),
        budget_(options.cache_size),
        pool_(options.upload_threads) {
    for (const auto& record : records) {
      preexisting_ids_.push_back(record.file_id);
      pending_keys_[record.file_id] = record.key;
    }
    // Part files of earlier mounts count until recovery (or orphan GC) removes them.
    preexisting_dirs_ = ExistingFileDirs(dir_->layout());
    for (const auto& d : preexisting_dirs_) preexisting_bytes_ += DirBytes(d);
    budget_.Add(preexisting_bytes_);
  }

  ~WriteCacheImpl() override {
    {
      MutexLock lock(&mu_);
      if (recovery_) recovery_->Cancel();
    }
    WaitForRecovery();
    pool_.Shutdown();
    budget_.Shutdown();
  }

  Result<std::shared_ptr<FileWriter>> StartWrite(const std::string& key,
                                                 const UserMetadata& metadata) override {
    if (key.empty()) return Status::InvalidArgument("object key is empty");
    auto id = journal_->AllocateFileId();
    if (!id.ok()) return id.status();
    const CacheLayout& layout = dir_->layout();
    PARTFS_RETURN_IF_ERROR(MakeDir(layout.FileDir(*id), 0700));
    PARTFS_RETURN_IF_ERROR(SyncDir(layout.FilesDir()));
    FileRecord record;
    record.file_id = *id;
    record.endpoint = options_.endpoint;
    record.bucket = options_.bucket;
    record.key = key;
    record.base_part_size = options_.part_size;
    record.parts_per_step = PartSchedule::PartsPerStepFor(options_.part_size, options_.profile);
    record.state = UploadState::kWriting;
    record.created_at = record.updated_at = static_cast<int64_t>(time(nullptr));
    record.metadata = metadata;
    PARTFS_RETURN_IF_ERROR(journal_->PutFile(record));
    return std::shared_ptr<FileWriter>(
        std::make_shared<FileWriterImpl>(WriterContextFor(), std::move(record)));
  }

  Status StartRecovery() override {
    MutexLock lock(&mu_);
    if (recovery_started_) return Status::OK();
    recovery_started_ = true;
    recovery_ = std::make_unique<RecoveryRunner>(dir_->layout(), *journal_, *store_, options_);
    recovery_->OnFileDone([this](uint64_t file_id) { RecoveryDone(file_id); });
    {
      MutexLock pending_lock(&pending_mu_);
      recovery_begun_ = true;
    }
    // Only the records found at Open: writers started since own theirs.
    recovery_thread_ = std::thread([this, ids = preexisting_ids_] {
      RecoveryReport report = recovery_->ResumeFiles(ids, options_.upload_threads);
      options_.logger->Info("recovery finished: " + std::to_string(report.files_seen) + " files, " +
                            std::to_string(report.files_completed) + " completed, " +
                            std::to_string(report.files_failed) + " failed, " +
                            std::to_string(report.files_retry_later) + " retry later");
      // Recovery deleted or moved what it finished; count what is left.
      uint64_t left = 0;
      for (const auto& d : preexisting_dirs_) left += DirBytes(d);
      if (left < preexisting_bytes_) budget_.Release(preexisting_bytes_ - left);
      RecoveryDone(std::nullopt);  // also records that vanished before their turn
    });
    return Status::OK();
  }

  void WaitForRecovery() override {
    MutexLock lock(&mu_);
    if (recovery_thread_.joinable()) recovery_thread_.join();
  }

  bool RecoveryPendingFor(const std::string& key) const override {
    MutexLock lock(&pending_mu_);
    return IsPending(key);
  }

  void WaitForRecoveryOf(const std::string& key, std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    MutexLock lock(&pending_mu_);
    while (IsPending(key)) {
      auto left =
          std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left <= std::chrono::milliseconds(0)) return;
      pending_done_.WaitFor(left);
    }
  }

  uint64_t CachedBytes() const override { return budget_.used(); }
  Journal& journal() override { return *journal_; }

 private:
  bool IsPending(const std::string& key) const EXCLUSIVE_LOCKS_REQUIRED(pending_mu_) {
    if (!recovery_begun_) return false;
    for (const auto& [id, pending_key] : pending_keys_) {
      if (pending_key == key) return true;
    }
    return false;
  }

  // One record resumed, or (nullopt) the whole recovery run ended.
  void RecoveryDone(std::optional<uint64_t> file_id) {
    MutexLock lock(&pending_mu_);
    if (file_id) {
      pending_keys_.erase(*file_id);
    } else {
      pending_keys_.clear();
    }
    pending_done_.SignalAll();
  }

  WriterContext WriterContextFor() {
    WriterContext ctx;
    ctx.layout = dir_->layout();
    ctx.journal = journal_.get();
    ctx.store = store_;
    ctx.pool = &pool_;
    ctx.budget = &budget_;
    ctx.logger = options_.logger;
    ctx.profile = options_.profile;
    ctx.max_parts_in_flight = options_.upload_threads + 1;
    return ctx;
  }

  const CacheOptions options_;
  ObjectStore* const store_;
  const std::unique_ptr<CacheDir> dir_;  // declared first: the lock is released last
  const std::unique_ptr<Journal> journal_;
  CacheBudget budget_;
  UploadPool pool_;
  uint64_t preexisting_bytes_ = 0;
  std::vector<std::string> preexisting_dirs_;
  std::vector<uint64_t> preexisting_ids_;  // journal records found at Open

  Mutex mu_;  // guards the recovery members; held while joining (the thread never takes it)
  bool recovery_started_ = false;
  std::unique_ptr<RecoveryRunner> recovery_;  // set once under mu_ before its thread starts
  std::thread recovery_thread_;

  // Records found at Open that recovery has not resumed yet (file id -> key).
  mutable Mutex pending_mu_;
  CondVar pending_done_{&pending_mu_};
  bool recovery_begun_ GUARDED_BY(pending_mu_) = false;
  std::map<uint64_t, std::string> pending_keys_ GUARDED_BY(pending_mu_);
};

}  // namespace

Result<std::unique_ptr<WriteCache>> WriteCache::Open(const CacheOptions& options,
                                                     ObjectStore* store) {
  PARTFS_RETURN_IF_ERROR(ValidateOptions(options, store));
  CacheOptions opts = options;
  if (opts.logger == nullptr) opts.logger = Logger::Quiet();
  auto dir = CacheDir::Open(opts.cache_dir);
  if (!dir.ok()) return dir.status();
  auto journal = Journal::Open((*dir)->layout().JournalDir(), false);
  if (!journal.ok()) return journal.status();
  auto records = (*journal)->ListFiles();
  if (!records.ok()) return records.status();
  return std::unique_ptr<WriteCache>(
      new WriteCacheImpl(opts, store, std::move(*dir), std::move(*journal), *records));
}

}  // namespace partfs
