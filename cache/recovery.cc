#include "cache/recovery.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <set>
#include <thread>

#include "base/unique_fd.h"
#include "cache/object_copy.h"
#include "cache/part_uploader.h"
#include "cache/prefix_rename.h"
#include "cache/recovery_local.h"
#include "cache/upload_errors.h"
#include "transfer/hashing.h"

namespace partfs {
namespace {

std::string NormalizeEndpoint(std::string endpoint) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  std::transform(endpoint.begin(), endpoint.end(), endpoint.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return endpoint;
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
    case RecoveryOutcome::kDropped:
      return "dropped";
  }
  return "unknown";
}

// Resumes one file record. Not thread-safe; one job per record at a time.
class RecoveryRunner::FileJob {
 public:
  FileJob(RecoveryRunner& runner, FileRecord record)
      : r_(runner), uploader_(&r_.journal_, &r_.store_, r_.logger_), record_(std::move(record)) {
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
  // A retired record: abort its upload, keep accepted data in lost+found, drop it.
  Status DropRetired();
  // A completed object: apply the journaled metadata if it differs, drop the record.
  Status FinishCompleted();
  // Aborts uploads of the key created after the record's intent that no record tracks.
  Status AbortUntrackedUploads();
  // Takes the key lock and re-reads the record: RetiredStatus() when retired.
  Result<KeyLocks::Guard> LockForCompletion();
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

  UploadTarget Target() const {
    return UploadTarget{record_.file_id, record_.key, record_.upload_id};
  }

  RecoveryRunner& r_;
  PartUploader uploader_;
  FileRecord record_;
  std::vector<PartRecord> journal_parts_;
  LocalFile local_;
  FileRecoveryResult result_;
};

Status RecoveryRunner::FileJob::RunSteps() {
  // A crash while an in-place change was still copying its base: the old
  // object is untouched and whole; the half-made copy must never land.
  if (record_.state == UploadState::kRetired || record_.base_state == BaseState::kLoading) {
    return DropRetired();
  }
  auto parts = r_.journal_.GetParts(record_.file_id);
  if (!parts.ok()) return parts.status().WithContext("reading journal parts");
  journal_parts_ = std::move(parts).value();
  if (record_.state == UploadState::kCompleted) return FinishCompleted();
  PARTFS_RETURN_IF_ERROR(AbortUntrackedUploads());
  auto local = ScanLocalFile(r_.layout_, record_, journal_parts_, r_.options_.profile, true,
                             r_.options_.boot_id);
  if (!local.ok()) return local.status();
  local_ = std::move(local).value();
  if (record_.upload_id.empty() && local_.journaled_parts > 0) {
    return Status::Corruption("journal has uploaded parts but no upload id");
  }
  if (record_.base_state != BaseState::kNone && !local_.gap.empty()) {
    // A prefix of an in-place change would cut the old object short: keep the
    // old object, and the data in lost+found (HandleFailure).
    return Status::Corruption("in-place change of " + record_.key + " lost bytes (" + local_.gap +
                              "): the object keeps its previous version");
  }
  if (!local_.fragments.empty() || !local_.gap.empty()) {
    // Power loss beyond the last fsync: complete the valid prefix, keep the rest.
    std::string where = "(no part files after the gap)";
    if (!local_.fragments.empty()) {
      auto moved = MoveFragmentsToLostFound(r_.layout_, record_, local_.fragments, local_.gap,
                                            r_.options_.clock->WallSeconds());
      if (!moved.ok()) return moved.status().WithContext("keeping the fragments after the gap");
      where = *moved;
    }
    r_.logger_->Error("recovery: " + Name() + ": " + local_.gap + "; completing the first " +
                      std::to_string(local_.total_size) + " bytes (at least the last fsync); " +
                      std::to_string(local_.fragments.size()) +
                      " part files after the gap kept in " + where);
  }
  // The data is validated: record what the file is now (status shows it).
  if (record_.state != UploadState::kPendingComplete || record_.size != local_.total_size) {
    record_.state = UploadState::kPendingComplete;
    record_.size = local_.total_size;
    record_.accepted_size = std::min(record_.accepted_size, local_.total_size);
    record_.updated_at = r_.options_.clock->WallSeconds();
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

Result<KeyLocks::Guard> RecoveryRunner::FileJob::LockForCompletion() {
  KeyLocks::Guard guard = r_.key_locks_->Lock(record_.key);
  auto current = r_.journal_.GetFile(record_.file_id);
  if (!current.ok()) return current.status().WithContext("re-reading the record");
  if (current->state == UploadState::kRetired || current->key != record_.key) {
    return RetiredStatus();
  }
  return guard;
}

Status RecoveryRunner::FileJob::DropRetired() {
  if (!record_.upload_id.empty()) {
    Status aborted = r_.store_.AbortMultipartUpload(record_.key, record_.upload_id);
    if (!aborted.ok() && !aborted.IsNotFound()) return aborted.WithContext("AbortMultipartUpload");
  }
  PARTFS_RETURN_IF_ERROR(AbortUntrackedUploads());
  uint32_t files = 0;
  PartBytesInDir(r_.layout_.FileDir(record_.file_id), &files);
  std::string kept;
  if (record_.accepted_size > 0 && files > 0) {
    // Data close() had accepted but never landed, replaced by a newer version.
    auto parts = r_.journal_.GetParts(record_.file_id);
    auto moved =
        MoveToLostFound(r_.layout_, record_, parts.ok() ? *parts : std::vector<PartRecord>{},
                        "superseded by a newer write, rename or unlink of the key "
                        "before its upload completed",
                        r_.options_.clock->WallSeconds());
    if (!moved.ok()) return moved.status().WithContext("moving superseded data to lost+found");
    kept = *moved;
  }
  PARTFS_RETURN_IF_ERROR(r_.journal_.DeleteFile(record_.file_id));
  if (kept.empty()) {
    Status st = RemoveFileDir(r_.layout_, record_.file_id);
    if (!st.ok()) r_.logger_->Warn("recovery: " + st.ToString());
    r_.logger_->Info("recovery: " + Name() + " was superseded or unlinked: dropped");
  } else {
    r_.logger_->Warn("recovery: " + Name() + " was superseded before it completed; its data " +
                     "is kept in " + kept + ", the newer version wins");
  }
  result_.outcome = RecoveryOutcome::kDropped;
  return Status::OK();
}

Status RecoveryRunner::FileJob::FinishCompleted() {
  auto guard = LockForCompletion();
  if (!guard.ok()) return guard.status();
  auto info = r_.store_.HeadObject(record_.key);
  if (!info.ok() && !info.status().IsNotFound()) return info.status().WithContext("HEAD");
  // Only our own completed object gets the metadata (its ETag is the journaled one).
  if (info.ok() && NormalizeEtag(info->etag) == NormalizeEtag(record_.completed_etag) &&
      info->user_metadata != record_.metadata) {
    auto copied = CopyObjectOfAnySize(r_.store_, r_.options_.profile, record_.key, info->size,
                                      record_.key, MetadataDirective::kReplace, record_.metadata,
                                      r_.options_.upload_threads);
    if (!copied.ok()) {
      r_.logger_->Warn(
          "recovery: metadata of " + Name() +
          " could not be applied (the data is complete): " + copied.status().ToString());
    }
  }
  local_.total_size = info.ok() ? info->size : 0;
  return Done(RecoveryOutcome::kAlreadyCompleted);
}

Status RecoveryRunner::FileJob::AbortUntrackedUploads() {
  if (record_.upload_intent_at == 0) return Status::OK();
  auto uploads = ListAllUploads(r_.store_, record_.key);
  if (!uploads.ok()) return uploads.status().WithContext("ListMultipartUploads");
  auto records = r_.journal_.ListFiles();
  if (!records.ok()) return records.status();
  // Read after the listing: an upload in it was created after its writer
  // journaled the intent, so a live writer's not-yet-journaled upload shows up
  // here as another record of the key with an intent and no id: leave them all.
  std::set<std::string> tracked;
  for (const auto& r : *records) {
    if (r.file_id == record_.file_id) continue;
    if (!r.upload_id.empty()) tracked.insert(r.upload_id);
    if (r.key == record_.key && r.upload_id.empty() && r.upload_intent_at != 0) {
      return Status::OK();
    }
  }
  // Clocks of client and server differ a little: a minute of slack.
  const int64_t since = record_.upload_intent_at - 60;
  for (const auto& upload : *uploads) {
    if (upload.key != record_.key || upload.upload_id == record_.upload_id) continue;
    if (tracked.count(upload.upload_id) || upload.initiated < since) continue;
    Status aborted = r_.store_.AbortMultipartUpload(upload.key, upload.upload_id);
    if (!aborted.ok() && !aborted.IsNotFound()) return aborted.WithContext("AbortMultipartUpload");
    r_.logger_->Info("recovery: aborted upload " + upload.upload_id + " of '" + upload.key +
                     "' created before a crash but never journaled");
  }
  return Status::OK();
}

Status RecoveryRunner::FileJob::PutSingle() {
  auto guard = LockForCompletion();
  if (!guard.ok()) return guard.status();
  Result<std::string> etag = Status::IOError("unset");
  const bool exclusive = record_.exclusive;
  if (local_.parts.empty()) {
    etag = exclusive ? r_.store_.PutObjectFromStringIfAbsent(record_.key, "", record_.metadata)
                     : r_.store_.PutObjectFromString(record_.key, "", record_.metadata);
  } else {
    const LocalPart& part = local_.parts[0];
    UniqueFd fd(::open(part.file_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return Status::FromErrno(errno, "open " + part.file_path);
    const FileRange body{fd.get(), 0, part.size};
    etag = exclusive
               ? r_.store_.PutObjectIfAbsent(record_.key, body, record_.metadata,
                                             Base64Encode(part.md5))
               : r_.store_.PutObject(record_.key, body, record_.metadata, Base64Encode(part.md5));
    result_.bytes_sent += part.size;
  }
  if (!etag.ok()) return etag.status().WithContext("PutObject");
  return Done(RecoveryOutcome::kCompleted);
}

Status RecoveryRunner::FileJob::StartNewUpload() {
  // Intent first, as the writer does: a crash after Create cannot orphan the upload.
  record_.upload_intent_at = r_.options_.clock->WallSeconds();
  PARTFS_RETURN_IF_ERROR(r_.journal_.PutFile(record_));
  auto upload_id = r_.store_.CreateMultipartUpload(record_.key, record_.metadata);
  if (!upload_id.ok()) return upload_id.status().WithContext("CreateMultipartUpload");
  record_.upload_id = std::move(upload_id).value();
  record_.updated_at = r_.options_.clock->WallSeconds();
  return r_.journal_.PutFile(record_);
}

Status RecoveryRunner::FileJob::CheckAlreadyCompleted(bool* done) {
  *done = false;
  auto info = r_.store_.HeadObject(record_.key);
  if (!info.ok()) {
    if (info.status().IsNotFound()) return Status::OK();
    return info.status().WithContext("HEAD");
  }
  const std::string etag = NormalizeEtag(info->etag);
  *done = info->size == local_.total_size &&
          (etag == MultipartEtag(Md5s()) ||
           (!record_.completed_etag.empty() && etag == NormalizeEtag(record_.completed_etag)));
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
      if (!has_file) return LostJournaledPart(part.number, it != server.end());
      // Re-send from the copy still in the cache (crash between PutPart and
      // unlink), but only when it is the very bytes the journal recorded.
      auto md5 = Md5OfPartFile(part.file_path, nullptr);
      if (!md5.ok()) return md5.status();
      if (*md5 != part.journal.md5) {
        return DamagedPartFile(part.number, HexEncode(*md5), HexEncode(part.journal.md5));
      }
      part.journaled = false;
      continue;
    }
    if (it != server.end() && it->second.size == part.size &&
        NormalizeEtag(it->second.etag) == HexEncode(part.md5)) {
      // Uploaded before the crash but never journaled: adopt it, same order as the writer.
      PartRecord record{part.number, part.size, NormalizeEtag(it->second.etag), part.md5};
      PARTFS_RETURN_IF_ERROR(uploader_.RecordUploaded(record_.file_id, record, part.file_path));
      part.journaled = true;
      part.journal = record;
      ++result_.parts_adopted;
    }
  }
  const uint32_t last = static_cast<uint32_t>(local_.parts.size());
  // After a gap the prefix is completed on purpose: later server parts are left out.
  if (local_.gap.empty() && !server.empty() && server.rbegin()->first > last) {
    return Status::Corruption("the server holds part " + std::to_string(server.rbegin()->first) +
                              " but the cache only knows parts 1.." + std::to_string(last) +
                              " (part files lost)");
  }
  return Status::OK();
}

// Sent by the PartUploader, as the writer's parts: UploadPart, PutPart, unlink.
Status RecoveryRunner::FileJob::UploadPart(LocalPart& part) {
  UniqueFd fd(::open(part.file_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + part.file_path);
  auto sent = uploader_.Send(
      Target(), PartSource{part.number, fd.get(), part.size, part.md5, part.file_path});
  if (!sent.ok()) return sent.status();
  ++result_.parts_resent;
  result_.bytes_sent += part.size;
  part.journaled = true;
  part.journal = std::move(sent).value();
  return Status::OK();
}

Status RecoveryRunner::FileJob::Complete() {
  PARTFS_RETURN_IF_ERROR(CheckCancelled());
  auto guard = LockForCompletion();
  if (!guard.ok()) return guard.status();
  std::vector<PartRecord> parts;
  for (const auto& p : local_.parts) parts.push_back(p.journal);
  auto etag = uploader_.Complete(Target(), parts, record_.exclusive);
  if (!etag.ok()) return etag.status();
  // The object exists: journaled as the writer does, so a crash before Done
  // finds a completed record instead of completing it again.
  record_.state = UploadState::kCompleted;
  record_.completed_etag = *etag;
  record_.updated_at = std::time(nullptr);
  Status journaled = uploader_.RecordCompleted(record_, *etag);
  if (!journaled.ok() && !IsRetired(journaled)) {
    r_.logger_->Warn("recovery: journal update after completing " + Name() + ": " +
                     journaled.ToString());
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
  if (record_.exclusive && st.code() == Status::Code::kAlreadyExists) {
    // An O_EXCL file another writer created first (the conditional write
    // already told our own completed object from theirs): the file is lost.
    r_.logger_->Error("recovery: O_EXCL create of " + Name() +
                      " lost: another writer created the object first; its data is dropped (" +
                      st.ToString() + ")");
    if (!record_.upload_id.empty()) {
      Status aborted = r_.store_.AbortMultipartUpload(record_.key, record_.upload_id);
      if (!aborted.ok() && !aborted.IsNotFound()) {
        r_.logger_->Warn("recovery: abort of " + Name() + ": " + aborted.ToString());
      }
    }
    Status dropped = Done(RecoveryOutcome::kDropped);
    if (dropped.ok()) return;
    result_.error = dropped.ToString();
    result_.outcome = RecoveryOutcome::kRetryLater;
    return;
  }
  if (IsRetired(st)) {
    // Retired while we worked (a newer write or an unlink): the newer version wins.
    auto current = r_.journal_.GetFile(record_.file_id);
    if (current.ok()) {
      record_ = std::move(current).value();
      Status dropped = DropRetired();
      if (dropped.ok()) return;
      result_.error = dropped.ToString();
    }
    result_.outcome = RecoveryOutcome::kRetryLater;
    return;
  }
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
    auto moved = MoveToLostFound(r_.layout_, record_, journal_parts_, problem,
                                 r_.options_.clock->WallSeconds());
    r_.logger_->Error(
        "recovery: cannot complete " + Name() + ": " + problem +
        "; nothing was completed; data kept in " +
        (moved.ok() ? *moved : r_.layout_.FileDir(record_.file_id)) +
        (moved.ok() ? "" : " (moving to lost+found failed: " + moved.status().ToString() + ")"));
    result_.outcome = RecoveryOutcome::kFailed;
  } else {
    r_.logger_->Error("recovery: " + Name() + " not completed: " + problem +
                      "; data kept in the cache, retried later (with backoff)");
    result_.outcome = RecoveryOutcome::kRetryLater;
  }
  record_.state = UploadState::kFailed;
  record_.last_error =
      (permanent ? "recovery failed, data in lost+found: " : "recovery: ") + problem;
  record_.updated_at = r_.options_.clock->WallSeconds();
  Status put = r_.journal_.PutFile(record_);
  if (!put.ok())
    r_.logger_->Error("recovery: cannot journal failure of " + Name() + ": " + put.ToString());
}

RecoveryRunner::RecoveryRunner(const CacheLayout& layout, Journal& journal, ObjectStore& store,
                               const CacheOptions& options, KeyLocks* key_locks)
    : layout_(layout),
      journal_(journal),
      store_(store),
      options_(options),
      logger_(options.logger != nullptr ? options.logger : Logger::Quiet()),
      key_locks_(key_locks != nullptr ? key_locks : &own_locks_) {}

uint32_t RecoveryRunner::FinishRenames() {
  auto renames = journal_.ListRenames();
  if (!renames.ok()) {
    logger_->Error("recovery: cannot read journaled renames: " + renames.status().ToString());
    return 0;
  }
  uint32_t finished = 0;
  for (const auto& rename : *renames) {
    if (NormalizeEndpoint(rename.endpoint) != NormalizeEndpoint(options_.endpoint) ||
        rename.bucket != options_.bucket) {
      continue;
    }
    if (rename.prefix) {
      if (FinishPrefixRename(rename)) ++finished;
      continue;
    }
    KeyLocks::Guard guard = key_locks_->LockPair(rename.from, rename.to);
    // Rolling forward: the target's pending versions are superseded (again, if
    // the crash came after the commit).
    Status committed = journal_.CommitRename(rename, {}, nullptr);
    if (!committed.ok()) {
      logger_->Error("recovery: rename '" + rename.from + "' -> '" + rename.to +
                     "' not finished: " + committed.ToString());
      continue;
    }
    // The source still there means the delete (and maybe the copy) did not happen.
    auto source = store_.HeadObject(rename.from);
    if (!source.ok() && !source.status().IsNotFound()) {
      logger_->Error("recovery: rename '" + rename.from + "' -> '" + rename.to +
                     "' not finished: " + source.status().ToString());
      continue;
    }
    if (source.ok()) {
      // A chmod/utimens the rename was carrying (honest mode) rides on the copy
      // again: a plain copy would put the source's older metadata over it.
      auto metadata = PendingMetadataOf(rename.from, *source);
      auto copied =
          CopyObjectOfAnySize(store_, options_.profile, rename.from, source->size, rename.to,
                              metadata ? MetadataDirective::kReplace : MetadataDirective::kCopy,
                              metadata.value_or(UserMetadata{}), options_.upload_threads);
      Status st = copied.status();
      if (copied.ok()) st = store_.DeleteObject(rename.from);
      if (!st.ok() && !st.IsNotFound()) {
        logger_->Error("recovery: rename '" + rename.from + "' -> '" + rename.to +
                       "' not finished: " + st.ToString());
        continue;
      }
    }
    Status ended = journal_.EndRename(rename.id);
    if (!ended.ok()) {
      logger_->Error("recovery: " + ended.ToString());
      continue;
    }
    logger_->Info("recovery: rename '" + rename.from + "' -> '" + rename.to + "' finished");
    ++finished;
  }
  return finished;
}

std::optional<UserMetadata> RecoveryRunner::PendingMetadataOf(const std::string& key,
                                                              const ObjectInfo& info) {
  auto changes = journal_.ListPendingMetadata();
  if (!changes.ok()) return std::nullopt;
  for (auto& change : *changes) {
    if (change.key == key && change.bucket == options_.bucket &&
        NormalizeEndpoint(change.endpoint) == NormalizeEndpoint(options_.endpoint) &&
        change.size == info.size && change.etag == StripEtagQuotes(info.etag)) {
      return std::move(change.metadata);
    }
  }
  return std::nullopt;
}

bool RecoveryRunner::FinishPrefixRename(const RenameRecord& rename) {
  const std::string name = "directory rename '" + rename.from + "' -> '" + rename.to + "'";
  // The same steps as in the mount; pending records of files below follow.
  PrefixMove move{rename.from, rename.to, {}, options_.upload_threads};
  PrefixMoveCounts counts;
  Status moved = MovePrefix(
      store_, options_.profile, *key_locks_, move,
      [&] { return journal_.CommitRename(rename, {}, nullptr); }, &counts);
  if (moved.ok()) moved = journal_.EndRename(rename.id);
  if (!moved.ok()) {
    logger_->Error("recovery: " + name + " not finished: " + moved.ToString());
    return false;
  }
  logger_->Info("recovery: " + name + " finished (" + std::to_string(counts.copied) + " of " +
                std::to_string(counts.listed) + " keys copied)");
  return true;
}

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
  const std::string lost = layout_.LostFoundFileDir(file_id);
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
      case RecoveryOutcome::kDropped:
        ++report.files_dropped;
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
