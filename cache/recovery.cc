#include "cache/recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <ctime>
#include <thread>

#include "base/unique_fd.h"
#include "cache/recovery_local.h"
#include "transfer/hashing.h"

namespace partfs {
namespace {

std::string NormalizeEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  std::transform(endpoint.begin(), endpoint.end(), endpoint.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return endpoint;
}

std::string NormalizeEtag(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  std::transform(etag.begin(), etag.end(), etag.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return etag;
}

// Used only on upload-scoped calls (ListParts, UploadPart, Complete), where
// NotFound can only mean the upload is gone.
bool IsNoSuchUpload(const Status& st) {
  return st.remote_code() == "NoSuchUpload" || st.IsNotFound();
}

// Errors after which the object can never be completed from this cache.
bool IsPermanent(const Status& st) {
  switch (st.code()) {
    case Status::Code::kCorruption:
    case Status::Code::kNotFound:
    case Status::Code::kInvalidArgument:
    case Status::Code::kTooLarge:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string_view RecoveryOutcomeName(RecoveryOutcome outcome) {
  switch (outcome) {
    case RecoveryOutcome::kCompleted:
      return "completed";
    case RecoveryOutcome::kAlreadyCompleted:
      return "already-completed";
    case RecoveryOutcome::kForeign:
      return "foreign";
    case RecoveryOutcome::kFailed:
      return "failed";
    case RecoveryOutcome::kRetryLater:
      return "retry-later";
    case RecoveryOutcome::kSkipped:
      return "skipped";
  }
  return "unknown";
}

// Resumes one file record. Not thread-safe; one job per record at a time.
class RecoveryRunner::FileJob {
 public:
  FileJob(RecoveryRunner& runner, FileRecord record) : r_(runner), record_(std::move(record)) {
    result_.file_id = record_.file_id;
    result_.key = record_.key;
  }

  FileRecoveryResult Run(Status* status) {
    *status = RunSteps();
    if (!status->ok()) HandleFailure(*status);
    return result_;
  }

 private:
  Status RunSteps();
  Status PutSingle();
  Status StartNewUpload();
  Status CheckAlreadyCompleted(bool* done);
  Status ReconcileWithServer();
  Status UploadPart(LocalPart& part);
  Status Complete();
  Status Done(RecoveryOutcome outcome);
  void HandleFailure(const Status& st);

  std::string Name() const {
    return "key '" + record_.key + "' (file id " + std::to_string(record_.file_id) +
           (record_.upload_id.empty() ? "" : ", upload " + record_.upload_id) + ")";
  }
  Status CheckCancelled() const {
    if (r_.cancelled_.load()) return Status::Aborted("recovery cancelled");
    return Status::OK();
  }
  std::vector<std::string> Md5s() const {
    std::vector<std::string> md5s;
    for (const auto& p : local_.parts) md5s.push_back(p.md5);
    return md5s;
  }

  RecoveryRunner& r_;
  FileRecord record_;
  std::vector<PartRecord> journal_parts_;
  LocalFile local_;
  FileRecoveryResult result_;
};

Status RecoveryRunner::FileJob::RunSteps() {
  auto parts = r_.journal_.GetParts(record_.file_id);
  if (!parts.ok()) return parts.status().WithContext("reading journal parts");
  journal_parts_ = std::move(parts).value();
  auto local = ScanLocalFile(r_.layout_, record_, journal_parts_, r_.options_.profile, true);
  if (!local.ok()) return local.status();
  local_ = std::move(local).value();
  if (record_.upload_id.empty() && local_.journaled_parts > 0) {
    return Status::Corruption("journal has uploaded parts but no upload id");
  }
  // The data is validated: record what the file is now (status shows it).
  if (record_.state != UploadState::kPendingComplete || record_.size != local_.total_size) {
    record_.state = UploadState::kPendingComplete;
    record_.size = local_.total_size;
    record_.updated_at = std::time(nullptr);
    PARTFS_RETURN_IF_ERROR(r_.journal_.PutFile(record_));
  }
  if (record_.upload_id.empty()) {
    if (local_.parts.size() <= 1) return PutSingle();
    PARTFS_RETURN_IF_ERROR(StartNewUpload());
  } else {
    bool done = false;
    PARTFS_RETURN_IF_ERROR(CheckAlreadyCompleted(&done));
    if (done) return Done(RecoveryOutcome::kAlreadyCompleted);
    Status st = ReconcileWithServer();
    if (!st.ok() && IsNoSuchUpload(st) && local_.journaled_parts == 0) {
      // Nothing of the lost upload is needed: every byte is still in the cache.
      r_.logger_->Warn("recovery: upload of " + Name() +
                       " no longer exists on the server; all data is in the cache, starting a "
                       "new upload");
      PARTFS_RETURN_IF_ERROR(StartNewUpload());
    } else if (!st.ok()) {
      return st;
    }
  }
  for (auto& part : local_.parts) {
    if (part.journaled) continue;
    PARTFS_RETURN_IF_ERROR(CheckCancelled());
    PARTFS_RETURN_IF_ERROR(UploadPart(part));
  }
  return Complete();
}

Status RecoveryRunner::FileJob::PutSingle() {
  Result<std::string> etag = Status::IOError("unset");
  if (local_.parts.empty()) {
    etag = r_.store_.PutObjectFromString(record_.key, "", record_.metadata);
  } else {
    const LocalPart& part = local_.parts[0];
    UniqueFd fd(::open(part.file_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Status::FromErrno(errno, "open " + part.file_path);
    etag = r_.store_.PutObject(record_.key, FileRange{fd.get(), 0, part.size}, record_.metadata,
                               Base64Encode(part.md5));
    result_.bytes_sent += part.size;
  }
  if (!etag.ok()) return etag.status().WithContext("PutObject");
  return Done(RecoveryOutcome::kCompleted);
}

Status RecoveryRunner::FileJob::StartNewUpload() {
  auto upload_id = r_.store_.CreateMultipartUpload(record_.key, record_.metadata);
  if (!upload_id.ok()) return upload_id.status().WithContext("CreateMultipartUpload");
  record_.upload_id = std::move(upload_id).value();
  record_.updated_at = std::time(nullptr);
  return r_.journal_.PutFile(record_);
}

Status RecoveryRunner::FileJob::CheckAlreadyCompleted(bool* done) {
  *done = false;
  auto info = r_.store_.HeadObject(record_.key);
  if (!info.ok()) {
    if (info.status().IsNotFound()) return Status::OK();
    return info.status().WithContext("HEAD");
  }
  *done = info->size == local_.total_size && NormalizeEtag(info->etag) == MultipartEtag(Md5s());
  return Status::OK();
}

// The server is the truth for the parts it holds; see recovery.h.
Status RecoveryRunner::FileJob::ReconcileWithServer() {
  auto listed = ListAllParts(r_.store_, record_.key, record_.upload_id);
  if (!listed.ok()) return listed.status().WithContext("ListParts");
  std::map<uint32_t, PartEntry> server;
  for (auto& p : *listed) server[p.number] = std::move(p);
  for (auto& part : local_.parts) {
    auto it = server.find(part.number);
    const bool has_file = !part.file_path.empty() && part.file_size == part.size;
    if (part.journaled) {
      if (it != server.end() && NormalizeEtag(it->second.etag) == NormalizeEtag(part.journal.etag))
        continue;
      if (!has_file) {
        return Status::Corruption("part " + std::to_string(part.number) +
                                  " is journaled as uploaded but the server " +
                                  (it == server.end() ? "does not hold it" : "holds other data") +
                                  ", and its part file is gone");
      }
      // Re-send from the copy still in the cache (crash between PutPart and unlink).
      auto md5 = Md5OfPartFile(part.file_path, nullptr);
      if (!md5.ok()) return md5.status();
      part.md5 = std::move(md5).value();
      part.journaled = false;
      continue;
    }
    if (it != server.end() && it->second.size == part.size &&
        NormalizeEtag(it->second.etag) == HexEncode(part.md5)) {
      // Uploaded before the crash but never journaled: adopt it, same order as the writer.
      PartRecord record{part.number, part.size, NormalizeEtag(it->second.etag), part.md5};
      PARTFS_RETURN_IF_ERROR(r_.journal_.PutPart(record_.file_id, record));
      ::unlink(part.file_path.c_str());
      part.journaled = true;
      part.journal = record;
      ++result_.parts_adopted;
    }
  }
  const uint32_t last = static_cast<uint32_t>(local_.parts.size());
  if (!server.empty() && server.rbegin()->first > last) {
    return Status::Corruption("the server holds part " + std::to_string(server.rbegin()->first) +
                              " but the cache only knows parts 1.." + std::to_string(last) +
                              " (part files lost)");
  }
  return Status::OK();
}

// UploadPart with Content-MD5, journal PutPart (durable), then unlink: the writer's order.
Status RecoveryRunner::FileJob::UploadPart(LocalPart& part) {
  UniqueFd fd(::open(part.file_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + part.file_path);
  auto etag = r_.store_.UploadPart(record_.key, record_.upload_id, part.number,
                                   FileRange{fd.get(), 0, part.size}, Base64Encode(part.md5));
  if (!etag.ok()) {
    return etag.status().WithContext("UploadPart " + std::to_string(part.number));
  }
  ++result_.parts_resent;
  result_.bytes_sent += part.size;
  PartRecord record{part.number, part.size, NormalizeEtag(*etag), part.md5};
  PARTFS_RETURN_IF_ERROR(r_.journal_.PutPart(record_.file_id, record));
  ::unlink(part.file_path.c_str());
  part.journaled = true;
  part.journal = record;
  return Status::OK();
}

Status RecoveryRunner::FileJob::Complete() {
  PARTFS_RETURN_IF_ERROR(CheckCancelled());
  std::vector<CompletedPart> parts;
  for (const auto& p : local_.parts) parts.push_back(CompletedPart{p.number, p.journal.etag});
  const std::string expected = MultipartEtag(Md5s());
  auto etag = r_.store_.CompleteMultipartUpload(record_.key, record_.upload_id, parts, expected);
  if (!etag.ok()) return etag.status().WithContext("CompleteMultipartUpload");
  if (NormalizeEtag(*etag) != expected) {
    r_.logger_->Warn("recovery: " + Name() + " completed with ETag " + *etag + ", expected " +
                     expected);
  }
  return Done(RecoveryOutcome::kCompleted);
}

// The object is complete: forget the record, then drop the (now redundant) part files.
Status RecoveryRunner::FileJob::Done(RecoveryOutcome outcome) {
  PARTFS_RETURN_IF_ERROR(r_.journal_.DeleteFile(record_.file_id));
  Status st = RemoveFileDir(r_.layout_, record_.file_id);
  if (!st.ok()) r_.logger_->Warn("recovery: " + st.ToString());
  result_.outcome = outcome;
  r_.logger_->Info("recovery: " + Name() + " " + std::string(RecoveryOutcomeName(outcome)) + ", " +
                   std::to_string(local_.total_size) + " bytes, " +
                   std::to_string(result_.parts_resent) + " parts sent, " +
                   std::to_string(result_.parts_adopted) + " adopted");
  return Status::OK();
}

void RecoveryRunner::FileJob::HandleFailure(const Status& st) {
  result_.error = st.ToString();
  if (st.code() == Status::Code::kAborted) {
    result_.outcome = RecoveryOutcome::kRetryLater;
    return;
  }
  std::string problem = st.ToString();
  if (IsNoSuchUpload(st)) {
    problem =
        "the multipart upload no longer exists on the server (aborted behind partfs's "
        "back?); parts already uploaded cannot be re-read from the cache (" +
        st.ToString() + ")";
  }
  const bool permanent = IsPermanent(st);
  if (permanent) {
    auto moved = MoveToLostFound(r_.layout_, record_, journal_parts_, problem);
    r_.logger_->Error(
        "recovery: cannot complete " + Name() + ": " + problem +
        "; nothing was completed; data kept in " +
        (moved.ok() ? *moved : r_.layout_.FileDir(record_.file_id)) +
        (moved.ok() ? "" : " (moving to lost+found failed: " + moved.status().ToString() + ")"));
    result_.outcome = RecoveryOutcome::kFailed;
  } else {
    r_.logger_->Error("recovery: " + Name() + " not completed: " + problem +
                      "; data kept in the cache, retried on the next mount");
    result_.outcome = RecoveryOutcome::kRetryLater;
  }
  record_.state = UploadState::kFailed;
  record_.last_error =
      (permanent ? "recovery failed, data in lost+found: " : "recovery: ") + problem;
  record_.updated_at = std::time(nullptr);
  Status put = r_.journal_.PutFile(record_);
  if (!put.ok())
    r_.logger_->Error("recovery: cannot journal failure of " + Name() + ": " + put.ToString());
}

RecoveryRunner::RecoveryRunner(const CacheLayout& layout, Journal& journal, ObjectStore& store,
                               const CacheOptions& options)
    : layout_(layout),
      journal_(journal),
      store_(store),
      options_(options),
      logger_(options.logger != nullptr ? options.logger : Logger::Quiet()) {}

Status RecoveryRunner::ResumeFile(uint64_t file_id) {
  FileRecoveryResult result;
  result.file_id = file_id;
  auto record = journal_.GetFile(file_id);
  if (!record.ok()) {
    result.error = record.status().ToString();
    Record(result);
    return record.status();
  }
  result.key = record->key;
  if (NormalizeEndpoint(record->endpoint) != NormalizeEndpoint(options_.endpoint) ||
      record->bucket != options_.bucket) {
    logger_->Info("recovery: key '" + record->key + "' (file id " + std::to_string(file_id) +
                  ") belongs to endpoint " + record->endpoint + " bucket " + record->bucket +
                  ", not to this mount (" + options_.endpoint + " bucket " + options_.bucket +
                  "); left untouched");
    result.outcome = RecoveryOutcome::kForeign;
    Record(result);
    return Status::OK();
  }
  struct stat st;
  const std::string lost = layout_.LostFoundDir() + "/" + std::to_string(file_id);
  if (record->state == UploadState::kFailed && ::stat(lost.c_str(), &st) == 0) {
    logger_->Warn("recovery: key '" + record->key + "' (file id " + std::to_string(file_id) +
                  ") failed earlier, its data is in " + lost + ": " + record->last_error);
    result.outcome = RecoveryOutcome::kSkipped;
    Record(result);
    return Status::OK();
  }
  Status status;
  FileJob job(*this, std::move(record).value());
  Record(job.Run(&status));
  return status;
}

void RecoveryRunner::Record(const FileRecoveryResult& result) {
  MutexLock lock(&mu_);
  results_[result.file_id] = result;
}

FileRecoveryResult RecoveryRunner::LastResult(uint64_t file_id) const {
  MutexLock lock(&mu_);
  auto it = results_.find(file_id);
  if (it != results_.end()) return it->second;
  FileRecoveryResult none;
  none.file_id = file_id;
  return none;
}

RecoveryReport RecoveryRunner::ResumeAll(uint32_t parallelism) {
  auto records = journal_.ListFiles();
  if (!records.ok()) {
    logger_->Error("recovery: cannot list the journal: " + records.status().ToString());
    return RecoveryReport{};
  }
  return RunJobs(std::move(records).value(), parallelism);
}

RecoveryReport RecoveryRunner::ResumeFiles(const std::vector<uint64_t>& file_ids,
                                           uint32_t parallelism) {
  std::vector<FileRecord> records;
  for (uint64_t id : file_ids) {
    auto record = journal_.GetFile(id);
    if (record.ok()) records.push_back(std::move(record).value());
  }
  return RunJobs(std::move(records), parallelism);
}

RecoveryReport RecoveryRunner::RunJobs(std::vector<FileRecord> records, uint32_t parallelism) {
  // Same key -> one group, oldest first, so the newest write of a key lands last.
  std::sort(records.begin(), records.end(), [](const FileRecord& a, const FileRecord& b) {
    return a.key != b.key ? a.key < b.key : a.file_id < b.file_id;
  });
  std::vector<std::vector<uint64_t>> groups;
  for (size_t i = 0; i < records.size(); ++i) {
    if (i == 0 || records[i].key != records[i - 1].key) groups.emplace_back();
    groups.back().push_back(records[i].file_id);
  }
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t g = next++; g < groups.size(); g = next++) {
      for (uint64_t id : groups[g]) {
        (void)ResumeFile(id);
        if (on_file_done_) on_file_done_(id);
      }
    }
  };
  const size_t threads = std::clamp<size_t>(parallelism, 1, std::max<size_t>(groups.size(), 1));
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();

  RecoveryReport report;
  std::vector<uint64_t> ids;
  for (const auto& r : records) ids.push_back(r.file_id);
  std::sort(ids.begin(), ids.end());
  for (uint64_t id : ids) {
    FileRecoveryResult result = LastResult(id);
    ++report.files_seen;
    switch (result.outcome) {
      case RecoveryOutcome::kCompleted:
        ++report.files_completed;
        break;
      case RecoveryOutcome::kAlreadyCompleted:
        ++report.files_already_completed;
        break;
      case RecoveryOutcome::kForeign:
        ++report.files_foreign;
        break;
      case RecoveryOutcome::kFailed:
        ++report.files_failed;
        break;
      case RecoveryOutcome::kRetryLater:
        ++report.files_retry_later;
        break;
      case RecoveryOutcome::kSkipped:
        ++report.files_skipped;
        break;
    }
    report.parts_resent += result.parts_resent;
    report.parts_adopted += result.parts_adopted;
    report.bytes_sent += result.bytes_sent;
    report.files.push_back(std::move(result));
  }
  if (report.files_seen > 0) {
    logger_->Info("recovery: " + std::to_string(report.files_seen) +
                  " files: " + std::to_string(report.files_completed) + " completed, " +
                  std::to_string(report.files_already_completed) + " already complete, " +
                  std::to_string(report.files_failed) + " failed, " +
                  std::to_string(report.files_retry_later) + " to retry, " +
                  std::to_string(report.files_foreign) + " foreign; " +
                  std::to_string(report.parts_resent) + " parts sent");
  }
  return report;
}

}  // namespace partfs
