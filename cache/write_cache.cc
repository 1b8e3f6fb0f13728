// WriteCache::Open and the WriteCache implementation: owns the locked cache
// directory, the journal, the byte budget, the upload pool and the recovery
// thread; hands out FileWriterImpl instances.
#include "cache/write_cache.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <thread>

#include "base/mutex.h"
#include "cache/cache_budget.h"
#include "cache/cache_dir.h"
#include "cache/file_writer_impl.h"
#include "cache/object_copy.h"
#include "cache/part_schedule.h"
#include "cache/prefix_rename.h"
#include "cache/recovery.h"
#include "cache/recovery_local.h"
#include "cache/upload_pool.h"

namespace partfs {
namespace {

// The files/<id>/ directories left by an earlier mount. A directory whose
// record is gone belonged to a finished file (the record is deleted first,
// the data after; or a crash came between mkdir and the first journal write):
// it is removed. Directories of damaged records are kept.
std::vector<std::string> ExistingFileDirs(const CacheLayout& layout, const std::set<uint64_t>& keep,
                                          Logger* logger) {
  namespace fs = std::filesystem;
  std::vector<std::string> dirs;
  std::error_code ec;
  for (fs::directory_iterator it(layout.FilesDir(), ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    uint64_t id = 0;
    auto [end_of_id, error] = std::from_chars(name.data(), name.data() + name.size(), id);
    const bool numeric = error == std::errc() && end_of_id == name.data() + name.size();
    if (numeric && !keep.count(id)) {
      std::error_code rm;
      std::filesystem::remove_all(it->path(), rm);
      if (rm) logger->Warn("cannot remove finished " + it->path().string() + ": " + rm.message());
      continue;
    }
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
                 std::unique_ptr<Journal> journal, const std::vector<FileRecord>& records,
                 const std::vector<uint64_t>& corrupt_ids)
      : options_(options),
        store_(store),
        dir_(std::move(dir)),
        journal_(std::move(journal)),
        budget_(options.cache_size),
        pool_(options.upload_threads),
        recovery_(std::make_unique<RecoveryRunner>(dir_->layout(), *journal_, *store_, options_,
                                                   &key_locks_)) {
    std::set<uint64_t> keep(corrupt_ids.begin(), corrupt_ids.end());
    for (const auto& record : records) {
      keep.insert(record.file_id);
      preexisting_ids_.push_back(record.file_id);
      pending_keys_[record.file_id] = record.key;
    }
    for (uint64_t id : corrupt_ids) {
      options_.logger->Error("journal record " + std::to_string(id) +
                             " is damaged and set aside (not resumed, its part files kept in " +
                             dir_->layout().FileDir(id) + "); `partfs status` lists it");
    }
    // Part files of earlier mounts count until recovery (or orphan GC) removes them.
    preexisting_dirs_ = ExistingFileDirs(dir_->layout(), keep, options_.logger);
    for (const auto& d : preexisting_dirs_) preexisting_bytes_ += PartBytesInDir(d, nullptr);
    budget_.Add(preexisting_bytes_);
    retry_thread_ = std::thread([this] { RetryLoop(); });
  }

  ~WriteCacheImpl() override {
    recovery_->Cancel();
    {
      MutexLock lock(&retry_mu_);
      retry_stop_ = true;
      retry_cv_.SignalAll();
    }
    retry_thread_.join();
    WaitForRecovery();
    pool_.Shutdown();
    budget_.Shutdown();
  }

  Result<std::shared_ptr<FileWriter>> StartWrite(const std::string& key,
                                                 const UserMetadata& metadata) override {
    auto writer = NewWriter(key, metadata, BaseState::kNone, 0, "", /*exclusive=*/false);
    if (!writer.ok()) return writer.status();
    return std::shared_ptr<FileWriter>(std::move(writer).value());
  }

  Result<std::shared_ptr<FileWriter>> StartExclusiveWrite(const std::string& key,
                                                          const UserMetadata& metadata) override {
    auto writer = NewWriter(key, metadata, BaseState::kNone, 0, "", /*exclusive=*/true);
    if (!writer.ok()) return writer.status();
    return std::shared_ptr<FileWriter>(std::move(writer).value());
  }

  Result<std::shared_ptr<FileWriter>> StartModify(const std::string& key,
                                                  const UserMetadata& metadata, uint64_t base_size,
                                                  const std::string& base_etag) override {
    auto writer =
        NewWriter(key, metadata, BaseState::kLoading, base_size, base_etag, /*exclusive=*/false);
    if (!writer.ok()) return writer.status();
    Status loaded = (*writer)->LoadBase();
    if (!loaded.ok()) {
      // Nothing of the new version may land: abort its upload, drop its record.
      (*writer)->MarkRetired();
      Status dropped = (*writer)->Finish();
      if (!dropped.ok())
        options_.logger->Warn("dropping a failed in-place change: " + dropped.ToString());
      return loaded.WithContext("copying " + key + " to change it in place");
    }
    return std::shared_ptr<FileWriter>(std::move(writer).value());
  }

  KeyLocks::Guard LockKey(const std::string& key) override { return key_locks_.Lock(key); }
  KeyLocks::Guard LockKeys(const std::string& a, const std::string& b) override {
    return key_locks_.LockPair(a, b);
  }

  Status RetireKey(const std::string& key) override {
    std::vector<uint64_t> retired;
    PARTFS_RETURN_IF_ERROR(journal_->RetireKey(options_.endpoint, options_.bucket, key, &retired));
    MarkRetired(retired);
    return Status::OK();
  }

  Result<uint64_t> BeginRename(const std::string& from, const std::string& to) override {
    return journal_->BeginRename(RenameOf(from, to), LiveIds());
  }

  Status CommitRename(const std::string& from, const std::string& to) override {
    std::vector<uint64_t> retired;
    PARTFS_RETURN_IF_ERROR(journal_->CommitRename(RenameOf(from, to), LiveIds(), &retired));
    MarkRetired(retired);
    return Status::OK();
  }

  Status EndRename(uint64_t rename_id) override { return journal_->EndRename(rename_id); }

  Status PutPendingMetadata(const std::string& key, const std::string& etag, uint64_t size,
                            const UserMetadata& metadata) override {
    PendingMetadataRecord record;
    record.endpoint = options_.endpoint;
    record.bucket = options_.bucket;
    record.key = key;
    record.etag = etag;
    record.size = size;
    record.metadata = metadata;
    record.updated_at = options_.clock->WallSeconds();
    return journal_->PutPendingMetadata(record);
  }

  Status DropPendingMetadata(const std::string& key) override {
    return journal_->DropPendingMetadata(options_.endpoint, options_.bucket, key);
  }

  Result<std::vector<PendingMetadataRecord>> ListPendingMetadata() override {
    auto all = journal_->ListPendingMetadata();
    if (!all.ok()) return all.status();
    std::vector<PendingMetadataRecord> own;
    for (auto& record : *all) {
      if (record.endpoint == options_.endpoint && record.bucket == options_.bucket) {
        own.push_back(std::move(record));
      }
    }
    return own;
  }

  Result<uint64_t> BeginPrefixRename(const std::string& from, const std::string& to) override {
    RenameRecord rename = RenameOf(from, to);
    rename.prefix = true;
    return journal_->BeginRename(rename, LiveIds());
  }

  Status FinishPrefixRename(uint64_t rename_id, const std::string& from, const std::string& to,
                            const std::set<std::string>& skip_copy) override {
    RenameRecord rename = RenameOf(from, to);
    rename.prefix = true;
    PrefixMove move{from, to, skip_copy, options_.upload_threads};
    PARTFS_RETURN_IF_ERROR(MovePrefix(*store_, options_.profile, key_locks_, move, [&] {
      std::vector<uint64_t> retired;
      PARTFS_RETURN_IF_ERROR(journal_->CommitRename(rename, LiveIds(), &retired));
      MarkRetired(retired);
      RefreshPendingKeys();
      return Status::OK();
    }));
    return journal_->EndRename(rename_id);
  }

  Result<std::string> CopyObject(const std::string& source_key, uint64_t source_size,
                                 const std::string& dest_key, MetadataDirective directive,
                                 const UserMetadata& metadata) override {
    return CopyObjectOfAnySize(*store_, options_.profile, source_key, source_size, dest_key,
                               directive, metadata, options_.upload_threads);
  }

  Status JournalHealth() const override { return journal_->Health(); }

  size_t RetriesPending() const override {
    MutexLock lock(&retry_mu_);
    return retry_due_.size() + (retry_running_ ? 1 : 0);
  }

  Status StartRecovery() override {
    MutexLock lock(&mu_);
    if (recovery_started_) return Status::OK();
    recovery_started_ = true;
    recovery_->OnFileDone([this](uint64_t file_id) {
      const RecoveryOutcome outcome = recovery_->LastResult(file_id).outcome;
      Metrics::Add(options_.metrics, &Metrics::recoveries_run);
      if (outcome == RecoveryOutcome::kCompleted || outcome == RecoveryOutcome::kAlreadyCompleted) {
        Metrics::Add(options_.metrics, &Metrics::recoveries_completed);
      }
      // A transient failure stays pending: the in-mount retry takes it over.
      if (outcome != RecoveryOutcome::kRetryLater) {
        RecoveryDone(file_id);
      }
    });
    {
      MutexLock pending_lock(&pending_mu_);
      recovery_begun_ = true;
    }
    // Renames first and before the mount serves: a rename rolled forward later
    // could copy over a newer write of its target or move a newer source.
    uint32_t renames = recovery_->FinishRenames();
    if (renames > 0) {
      options_.logger->Info("recovery: " + std::to_string(renames) + " renames finished");
      RefreshPendingKeys();
    }
    // Only the records found at Open: writers started since own theirs.
    recovery_thread_ = std::thread([this, ids = preexisting_ids_] {
      RecoveryReport report = recovery_->ResumeFiles(ids, options_.upload_threads);
      // Transient failures are retried in this mount, with backoff.
      std::set<uint64_t> retrying;
      for (const auto& file : report.files) {
        if (file.outcome != RecoveryOutcome::kRetryLater) continue;
        ScheduleRetry(file.file_id);
        retrying.insert(file.file_id);
      }
      options_.logger->Info("recovery finished: " + std::to_string(report.files_seen) + " files, " +
                            std::to_string(report.files_completed) + " completed, " +
                            std::to_string(report.files_failed) + " failed, " +
                            std::to_string(report.files_retry_later) + " retry later");
      // Recovery deleted or moved what it finished; count what is left.
      uint64_t left = 0;
      for (const auto& d : preexisting_dirs_) left += PartBytesInDir(d, nullptr);
      if (left < preexisting_bytes_) budget_.Release(preexisting_bytes_ - left);
      RecoveryRunEnded(retrying);  // also records that vanished before their turn
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
    const Clock::SteadyTime deadline = options_.clock->SteadyNow() + timeout;
    MutexLock lock(&pending_mu_);
    while (IsPending(key)) {
      if (!options_.clock->WaitUntil(&pending_done_, deadline)) return;
    }
  }

  std::optional<FileRecord> RecoveringRecord(const std::string& key) override {
    std::vector<uint64_t> ids;
    {
      MutexLock lock(&pending_mu_);
      if (!recovery_begun_) return std::nullopt;
      for (const auto& [id, pending_key] : pending_keys_) {
        if (pending_key == key) ids.push_back(id);
      }
    }
    std::optional<FileRecord> newest;
    for (uint64_t id : ids) {
      auto record = journal_->GetFile(id);
      if (!record.ok() || record->state == UploadState::kRetired) continue;
      if (!newest || record->file_id > newest->file_id) newest = std::move(record).value();
    }
    return newest;
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

  // Renames rolled forward moved records to new keys: stat and open of the
  // new names wait for (and the old names no longer see) their recovery.
  void RefreshPendingKeys() {
    std::vector<uint64_t> ids;
    {
      MutexLock lock(&pending_mu_);
      for (const auto& [id, key] : pending_keys_) ids.push_back(id);
    }
    for (uint64_t id : ids) {
      auto record = journal_->GetFile(id);
      if (!record.ok()) continue;
      MutexLock lock(&pending_mu_);
      auto it = pending_keys_.find(id);
      if (it != pending_keys_.end()) it->second = record->key;
    }
  }

  // One record resumed (or retried) for good.
  void RecoveryDone(uint64_t file_id) {
    MutexLock lock(&pending_mu_);
    pending_keys_.erase(file_id);
    pending_done_.SignalAll();
  }

  // The mount's recovery run ended: only records waiting for a retry stay pending.
  void RecoveryRunEnded(const std::set<uint64_t>& retrying) {
    MutexLock lock(&pending_mu_);
    for (auto it = pending_keys_.begin(); it != pending_keys_.end();) {
      it = retrying.count(it->first) ? std::next(it) : pending_keys_.erase(it);
    }
    pending_done_.SignalAll();
  }

  // Journals a new record of `key` (retiring older ones: this is the newest
  // version) and registers its writer.
  Result<std::shared_ptr<FileWriterImpl>> NewWriter(const std::string& key,
                                                    const UserMetadata& metadata, BaseState base,
                                                    uint64_t base_size,
                                                    const std::string& base_etag, bool exclusive) {
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
    record.created_at = record.updated_at = options_.clock->WallSeconds();
    record.metadata = metadata;
    record.base_state = base;
    record.base_size = base_size;
    record.base_etag = base_etag;
    record.exclusive = exclusive;
    std::vector<uint64_t> retired;
    PARTFS_RETURN_IF_ERROR(journal_->PutFileRetiringOthers(record, &retired));
    MarkRetired(retired);
    auto writer = std::make_shared<FileWriterImpl>(WriterContextFor(), std::move(record));
    {
      MutexLock lock(&live_mu_);
      for (auto it = live_.begin(); it != live_.end();) {
        it = it->second.expired() ? live_.erase(it) : std::next(it);
      }
      live_[writer->file_id()] = writer;
    }
    return writer;
  }

  WriterContext WriterContextFor() {
    WriterContext ctx;
    ctx.layout = dir_->layout();
    ctx.journal = journal_.get();
    ctx.store = store_;
    ctx.pool = &pool_;
    ctx.budget = &budget_;
    ctx.logger = options_.logger;
    ctx.key_locks = &key_locks_;
    ctx.profile = options_.profile;
    ctx.max_parts_in_flight = options_.upload_threads + 1;
    ctx.boot_id = options_.boot_id;
    ctx.clock = options_.clock;
    ctx.on_retired = [this](const std::vector<uint64_t>& ids) { MarkRetired(ids); };
    ctx.on_failed_abandoned = [this](uint64_t file_id) { ScheduleRetry(file_id); };
    return ctx;
  }

  RenameRecord RenameOf(const std::string& from, const std::string& to) const {
    RenameRecord rename;
    rename.endpoint = options_.endpoint;
    rename.bucket = options_.bucket;
    rename.from = from;
    rename.to = to;
    rename.created_at = options_.clock->WallSeconds();
    return rename;
  }

  std::vector<uint64_t> LiveIds() {
    std::vector<uint64_t> ids;
    MutexLock lock(&live_mu_);
    for (const auto& [id, writer] : live_) {
      if (!writer.expired()) ids.push_back(id);
    }
    return ids;
  }

  // Tells the live writers among `ids` that their records were retired.
  void MarkRetired(const std::vector<uint64_t>& ids) {
    std::vector<std::shared_ptr<FileWriterImpl>> writers;
    {
      MutexLock lock(&live_mu_);
      for (uint64_t id : ids) {
        auto it = live_.find(id);
        if (it == live_.end()) continue;
        if (auto writer = it->second.lock()) writers.push_back(std::move(writer));
      }
    }
    for (const auto& writer : writers) writer->MarkRetired();
  }

  // Queues `file_id` for a retry after its backoff; journals the attempt count
  // and time so `partfs status` shows them.
  void ScheduleRetry(uint64_t file_id) {
    auto record = journal_->GetFile(file_id);
    if (!record.ok()) return;
    const bool retired = record->state == UploadState::kRetired;
    if (!retired) {
      // Until it lands, stat answers from the record and readers wait (bounded).
      MutexLock lock(&pending_mu_);
      recovery_begun_ = true;
      pending_keys_[file_id] = record->key;
    }
    // A retired record only needs its upload aborted: at once the first time,
    // then with the same backoff. Its attempts are counted in memory (PutFile
    // refuses to rewrite a retired record, which is what keeps it retired).
    uint32_t attempts = record->retries;
    if (retired) {
      MutexLock lock(&retry_mu_);
      attempts = retired_attempts_[file_id]++;
    }
    auto delay = options_.retry_backoff;
    for (uint32_t i = 0; i < attempts && delay < options_.retry_backoff_max; ++i) delay *= 2;
    delay = std::min(delay, options_.retry_backoff_max);
    if (retired && attempts == 0) delay = std::chrono::milliseconds(0);
    const int64_t delay_s = std::chrono::ceil<std::chrono::seconds>(delay).count();
    if (!retired) {
      record->retries = attempts + 1;
      record->retry_at = options_.clock->WallSeconds() + delay_s;
      Status journaled = journal_->PutFile(*record);
      if (!journaled.ok() && !IsRetired(journaled)) {
        options_.logger->Warn("journal update of retry of " + record->key + ": " +
                              journaled.ToString());
      }
      options_.logger->Info("upload of " + record->key + " will be retried in " +
                            std::to_string(delay_s) + " s (attempt " +
                            std::to_string(record->retries) + ")");
    }
    MutexLock lock(&retry_mu_);
    if (retry_stop_) return;
    retry_due_[file_id] = options_.clock->SteadyNow() + delay;
    retry_cv_.SignalAll();
  }

  void RetryLoop() NO_THREAD_SAFETY_ANALYSIS {
    MutexLock lock(&retry_mu_);
    while (!retry_stop_) {
      if (retry_due_.empty()) {
        retry_cv_.Wait();
        continue;
      }
      auto next =
          std::min_element(retry_due_.begin(), retry_due_.end(),
                           [](const auto& a, const auto& b) { return a.second < b.second; });
      if (next->second > options_.clock->SteadyNow()) {
        options_.clock->WaitUntil(&retry_cv_, next->second);
        continue;
      }
      const uint64_t file_id = next->first;
      retry_due_.erase(next);
      retry_running_ = true;
      retry_mu_.unlock();
      RetryOnce(file_id);
      retry_mu_.lock();
      retry_running_ = false;
    }
  }

  void RetryOnce(uint64_t file_id) NO_THREAD_SAFETY_ANALYSIS {
    const std::string dir = dir_->layout().FileDir(file_id);
    const uint64_t before = PartBytesInDir(dir, nullptr);
    Status status = recovery_->ResumeFile(file_id);
    const uint64_t after = PartBytesInDir(dir, nullptr);
    if (after < before) budget_.Release(before - after);
    FileRecoveryResult result = recovery_->LastResult(file_id);
    if (result.outcome == RecoveryOutcome::kRetryLater && status.code() != Status::Code::kAborted) {
      ScheduleRetry(file_id);
      return;
    }
    if (status.ok()) budget_.UploadsRecovered();
    RecoveryDone(file_id);
  }

  CacheOptions options_;
  ObjectStore* const store_;
  const std::unique_ptr<CacheDir> dir_;  // declared first: the lock is released last
  const std::unique_ptr<Journal> journal_;
  CacheBudget budget_;
  UploadPool pool_;
  // Written by the constructor only, read-only afterwards (no lock needed).
  uint64_t preexisting_bytes_ = 0;
  std::vector<std::string> preexisting_dirs_;
  std::vector<uint64_t> preexisting_ids_;  // journal records found at Open

  KeyLocks key_locks_;
  const std::unique_ptr<RecoveryRunner> recovery_;  // shared by mount recovery and retries

  Mutex mu_;  // guards the recovery members; held while joining (the thread never takes it)
  bool recovery_started_ GUARDED_BY(mu_) = false;
  std::thread recovery_thread_ GUARDED_BY(mu_);

  // Writers handed out and not destroyed yet, by file id.
  Mutex live_mu_;
  std::map<uint64_t, std::weak_ptr<FileWriterImpl>> live_ GUARDED_BY(live_mu_);

  // In-mount retries of failed uploads: file id -> when.
  mutable Mutex retry_mu_;
  CondVar retry_cv_{&retry_mu_};
  std::map<uint64_t, Clock::SteadyTime> retry_due_ GUARDED_BY(retry_mu_);
  bool retry_running_ GUARDED_BY(retry_mu_) = false;
  std::map<uint64_t, uint32_t> retired_attempts_ GUARDED_BY(retry_mu_);
  bool retry_stop_ GUARDED_BY(retry_mu_) = false;
  std::thread retry_thread_;  // started by the constructor, joined by the destructor only

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
  if (opts.clock == nullptr) opts.clock = SystemClock();
  auto dir = CacheDir::Open(opts.cache_dir);
  if (!dir.ok()) return dir.status();
  auto journal = Journal::Open((*dir)->layout().JournalDir(), false);
  if (!journal.ok()) return journal.status();
  std::unique_ptr<Journal> opened = std::move(journal).value();
  if (opts.wrap_journal) opened = opts.wrap_journal(std::move(opened));
  auto records = opened->ListFiles();
  if (!records.ok()) return records.status();
  auto corrupt = opened->CorruptFileIds();
  if (!corrupt.ok()) return corrupt.status();
  if (opts.boot_id.empty()) opts.boot_id = CurrentBootId();
  return std::unique_ptr<WriteCache>(
      new WriteCacheImpl(opts, store, std::move(*dir), std::move(opened), *records, *corrupt));
}

}  // namespace partfs
