#include "cache/file_writer_impl.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "cache/cache_dir.h"
#include "cache/object_copy.h"
#include "transfer/hashing.h"

namespace partfs {

FileWriterImpl::FileWriterImpl(const WriterContext& context, FileRecord record)
    : ctx_(context),
      file_id_(record.file_id),
      schedule_(record.base_part_size, record.parts_per_step, context.profile.max_part_size,
                context.profile.max_part_count),
      uploader_(context.journal, context.store, context.logger),
      record_(std::move(record)) {
  cur_size_ = schedule_.PartSize(1);
}

FileWriterImpl::~FileWriterImpl() {
  // Jobs reference this writer; an unfinished file stays in the journal for recovery.
  bool retry = false;
  {
    MutexLock lock(&mu_);
    while (in_flight_ > 0) cv_.Wait();
    retry = !finished_ && (retired_ || record_.state == UploadState::kFailed);
  }
  // Nobody will call Finish again: the cache retries the record in the background.
  if (retry && ctx_.on_failed_abandoned) ctx_.on_failed_abandoned(file_id_);
}

bool FileWriterImpl::Retired() const {
  MutexLock lock(&mu_);
  return retired_;
}

void FileWriterImpl::MarkRetired() {
  MutexLock lock(&mu_);
  retired_ = true;
}

uint64_t FileWriterImpl::Size() const {
  MutexLock lock(&mu_);
  return size_;
}

bool FileWriterImpl::UploadCreated() const {
  MutexLock lock(&mu_);
  return !record_.upload_id.empty();
}

bool FileWriterImpl::Finished() const {
  MutexLock lock(&mu_);
  return finished_ || on_server_;
}

std::string FileWriterImpl::Key() const {
  MutexLock lock(&mu_);
  return record_.key;
}

Status FileWriterImpl::CheckWritable() {
  MutexLock lock(&mu_);
  if (finished_) return Status::IOError("upload of " + record_.key + " is already finished");
  if (tail_handed_off_) {
    return Status::IOError("upload of " + record_.key +
                           " is being completed and takes no more writes: " + record_.last_error);
  }
  return Status::OK();
}

Result<size_t> FileWriterImpl::Write(uint64_t offset, const char* data, size_t size) {
  MutexLock op(&op_mu_);
  PARTFS_RETURN_IF_ERROR(CheckWritable());
  if (size == 0) return size_t{0};
  if (offset >= schedule_.MaxFileSize()) {
    return Status::TooLarge("write past " + std::to_string(schedule_.MaxFileSize()) +
                            " bytes, the largest file this part schedule can upload");
  }
  // A write straddling the limit is a short write, as write(2) at RLIMIT_FSIZE.
  size = static_cast<size_t>(std::min<uint64_t>(size, schedule_.MaxFileSize() - offset));
  size_t done = 0;
  // Bytes already accepted are never reported as failed: a short count instead.
  auto fail = [&done](const Status& status) -> Result<size_t> {
    if (done > 0) return done;
    return status;
  };
  while (size > 0 && offset < cur_start_) {
    // Into a part already handed off: rewritten locally, sent again at Finish.
    const uint32_t number = schedule_.PartForOffset(offset);
    const uint64_t in_part = offset - schedule_.PartStart(number);
    size_t len = static_cast<size_t>(
        std::min<uint64_t>({size, schedule_.PartSize(number) - in_part, cur_start_ - offset}));
    if (Status st = WriteEarlier(number, in_part, data, len); !st.ok()) return fail(st);
    offset += len;
    data += len;
    size -= len;
    done += len;
  }
  while (size > 0) {
    if (Status st = AdvanceTo(offset); !st.ok()) return fail(st);
    if (Status st = EnsureCurrentFile(); !st.ok()) return fail(st);
    uint64_t in_part = offset - cur_start_;
    size_t len = static_cast<size_t>(std::min<uint64_t>(size, cur_size_ - in_part));
    uint64_t old_len = cur_file_->size();
    uint64_t grow = in_part + len > old_len ? in_part + len - old_len : 0;
    if (Status st = ctx_.budget->Reserve(grow); !st.ok()) return fail(st);
    // Part data stops short of a full disk: the journal must still commit the
    // PutPart that lets an uploaded part file be deleted, or nothing could drain.
    Status status =
        grow > 0 ? CheckFreeSpace(ctx_.layout.root(), grow, kJournalHeadroom) : Status::OK();
    if (status.ok()) status = cur_file_->Write(in_part, data, len);
    if (!status.ok()) {
      ctx_.budget->Release(grow);
      LogCacheWriteFailure(status);
      return fail(status);
    }
    {
      MutexLock lock(&mu_);
      size_ = std::max(size_, offset + len);
    }
    offset += len;
    data += len;
    size -= len;
    done += len;
  }
  return done;
}

void FileWriterImpl::LogCacheWriteFailure(const Status& status) {
  if (status.code() == Status::Code::kNoSpace) {
    ctx_.logger->Error(
        "cache disk is full (" + ctx_.layout.root() + "): write to " + Key() +
        " refused with ENOSPC, bytes accepted earlier are kept: " + status.ToString());
    return;
  }
  ctx_.logger->Error("write to cache failed for " + Key() + ": " + status.ToString());
}

Status FileWriterImpl::AdvanceTo(uint64_t offset) {
  while (offset >= cur_start_ + cur_size_) {
    // A gap reaching past this part leaves zeros (sparse) up to its end.
    PARTFS_RETURN_IF_ERROR(ResizeCurrent(cur_size_));
    bool random_access = false;
    {
      MutexLock lock(&mu_);
      random_access = keep_uploaded_;
    }
    if (random_access && ctx_.budget->used() <= ctx_.budget->limit() / 2) {
      // A file written out of order may come back to this part: it stays a
      // local part file (sent at Finish) while the cache has room.
      dirty_[cur_part_] = cur_file_;
    } else {
      PARTFS_RETURN_IF_ERROR(HandOff(cur_part_, cur_file_, cur_size_));
    }
    cur_file_.reset();
    cur_start_ += cur_size_;
    ++cur_part_;
    cur_size_ = schedule_.PartSize(cur_part_);
    MutexLock lock(&mu_);
    size_ = std::max(size_, cur_start_);
  }
  return Status::OK();
}

Status FileWriterImpl::MaterializeSize() {
  // The current part must hold the last byte; the parts before it are handed off.
  const uint64_t size = Size();
  if (size > cur_start_ + cur_size_) PARTFS_RETURN_IF_ERROR(AdvanceTo(size - 1));
  return Status::OK();
}

Status FileWriterImpl::EnsureCurrentFile() {
  if (cur_file_) return Status::OK();
  auto file = PartFile::Create(ctx_.layout.PartPath(file_id_, cur_part_));
  if (!file.ok()) return file.status();
  cur_file_ = std::move(*file);
  return Status::OK();
}

Status FileWriterImpl::ResizeCurrent(uint64_t length) {
  PARTFS_RETURN_IF_ERROR(EnsureCurrentFile());
  uint64_t old_len = cur_file_->size();
  if (length == old_len) return Status::OK();
  if (length > old_len) PARTFS_RETURN_IF_ERROR(ctx_.budget->Reserve(length - old_len));
  Status status = cur_file_->Truncate(length);
  if (length > old_len && !status.ok()) ctx_.budget->Release(length - old_len);
  if (length < old_len && status.ok()) ctx_.budget->Release(old_len - length);
  return status;
}

Status FileWriterImpl::EnsureUpload() {
  std::string key;
  UserMetadata metadata;
  bool created = false;  // created earlier, but journaling its id failed
  {
    MutexLock lock(&mu_);
    if (!record_.upload_id.empty() && upload_id_journaled_) return Status::OK();
    key = record_.key;
    metadata = record_.metadata;
    created = !record_.upload_id.empty();
  }
  if (!created) {
    // Intent first: a crash after Create but before its id is journaled leaves
    // an upload that recovery finds by key and initiation time, and aborts.
    bool journal_intent = false;
    {
      MutexLock lock(&mu_);
      if (record_.upload_intent_at == 0) {
        record_.upload_intent_at = Now();
        journal_intent = true;
      }
    }
    if (journal_intent) PARTFS_RETURN_IF_ERROR(PersistRecord());
    auto upload_id = ctx_.store->CreateMultipartUpload(key, metadata);
    if (!upload_id.ok()) {
      ctx_.logger->Error("CreateMultipartUpload for " + key +
                         " failed: " + upload_id.status().ToString());
      return upload_id.status();
    }
    MutexLock lock(&mu_);
    record_.upload_id = *upload_id;
    created_metadata_ = metadata;
  }
  // The upload id must be durable before any part is sent, or a crash would orphan it.
  PARTFS_RETURN_IF_ERROR(PersistRecord());
  MutexLock lock(&mu_);
  upload_id_journaled_ = true;
  return Status::OK();
}

Status FileWriterImpl::HandOff(uint32_t number, std::shared_ptr<PartFile> file, uint64_t size) {
  if (Retired()) {
    // Unlinked or replaced while still being written: its data dies with its
    // last close, so full parts are dropped instead of uploaded.
    Status unlinked = file->Unlink();
    if (!unlinked.ok()) ctx_.logger->Warn(unlinked.ToString());
    ctx_.budget->Release(file->size());
    return Status::OK();
  }
  PARTFS_RETURN_IF_ERROR(EnsureUpload());
  MutexLock lock(&mu_);
  while (in_flight_ >= ctx_.max_parts_in_flight) cv_.Wait();
  Part& part = parts_[number];
  part.file = std::move(file);
  part.size = size;
  part.kept = false;
  part.from_base = false;
  SubmitLocked(number);
  return Status::OK();
}

void FileWriterImpl::SubmitLocked(uint32_t number) {
  Part& part = parts_[number];
  if (!part.file) return;  // a failed base copy: its in-place change is abandoned
  part.state = PartState::kUploading;
  part.error = Status::OK();
  ++in_flight_;
  ctx_.budget->Drain(part.size);
  bool queued = ctx_.pool->Submit(
      [this, number, file = part.file, size = part.size, key = record_.key,
       upload_id = record_.upload_id] { UploadJob(number, file, size, key, upload_id); });
  if (!queued) {
    ctx_.budget->DrainDone(part.size, false);
    part.state = PartState::kFailed;
    part.error = Status::Aborted("write cache is shutting down");
    --in_flight_;
  }
}

void FileWriterImpl::UploadJob(uint32_t number, std::shared_ptr<PartFile> file, uint64_t size,
                               std::string key, std::string upload_id) {
  auto md5 = file->Md5();
  Result<PartRecord> sent = md5.status();
  if (md5.ok()) {
    sent = uploader_.Send(UploadTarget{file_id_, key, upload_id},
                          PartSource{number, file->fd(), size, *md5, file->path()});
  }
  const Status status = sent.status();
  if (!status.ok()) {
    ctx_.logger->Error("upload of part " + std::to_string(number) + " of " + key +
                       " failed: " + status.ToString());
  }
  ctx_.budget->DrainDone(size, status.ok());
  MutexLock lock(&mu_);
  Part& part = parts_[number];
  if (status.ok()) {
    part.state = PartState::kDone;
    part.uploaded = std::move(sent).value();
    // The unlinked file's fd still holds the bytes: keep it for rereads while
    // the cache has room, else the part is only in the (unreadable) upload.
    part.kept = keep_uploaded_ && ctx_.budget->TryHold(size);
    if (!part.kept) part.file.reset();
  } else {
    part.state = PartState::kFailed;
    part.error = status;
  }
  --in_flight_;
  cv_.SignalAll();  // while holding mu_: the writer may be destroyed right after
}

void FileWriterImpl::RetryFailedParts() {
  MutexLock lock(&mu_);
  for (auto& [number, part] : parts_) {
    if (part.state == PartState::kFailed) SubmitLocked(number);
  }
}

Status FileWriterImpl::WaitForParts() {
  MutexLock lock(&mu_);
  while (in_flight_ > 0) cv_.Wait();
  for (const auto& [number, part] : parts_) {
    if (part.state == PartState::kFailed) {
      return part.error.WithContext("part " + std::to_string(number) + " of " + record_.key);
    }
  }
  return Status::OK();
}

Status FileWriterImpl::SyncPartFiles() {
  std::vector<std::shared_ptr<PartFile>> files;
  if (cur_file_) files.push_back(cur_file_);
  for (const auto& [number, file] : dirty_) files.push_back(file);
  {
    MutexLock lock(&mu_);
    for (const auto& [number, part] : parts_) {
      if (part.file && !part.kept) files.push_back(part.file);
    }
  }
  for (const auto& file : files) PARTFS_RETURN_IF_ERROR(file->Sync());
  // Makes the part files' directory entries durable too.
  return SyncDir(ctx_.layout.FileDir(file_id_));
}

Status FileWriterImpl::PersistRecord(const std::function<Status(const FileRecord&)>& put) {
  MutexLock record_lock(&record_mu_);
  FileRecord snapshot;
  {
    MutexLock lock(&mu_);
    if (finished_) return Status::OK();  // the record is gone with the finished file
    record_.updated_at = Now();
    snapshot = record_;
  }
  return put ? put(snapshot) : ctx_.journal->PutFile(snapshot);
}

Status FileWriterImpl::Truncate(uint64_t size) {
  MutexLock op(&op_mu_);
  PARTFS_RETURN_IF_ERROR(CheckWritable());
  if (size > schedule_.MaxFileSize()) {
    return Status::TooLarge("truncate past " + std::to_string(schedule_.MaxFileSize()) + " bytes");
  }
  if (size < cur_start_) return ShrinkBelowCurrent(size);
  if (size < cur_start_ + cur_size_) {
    uint64_t length = size - cur_start_;
    if (length > 0 || cur_file_) PARTFS_RETURN_IF_ERROR(ResizeCurrent(length));
  } else {
    // Growth past the current part only records the size: the zero parts are
    // made (and uploaded) when a write, fsync or close reaches them, so a
    // `truncate -s 1T` does not upload inside one setattr.
    PARTFS_RETURN_IF_ERROR(ResizeCurrent(cur_file_ ? cur_file_->size() : 0));
  }
  bool shrinks_durable_size;
  {
    MutexLock lock(&mu_);
    size_ = size;
    shrinks_durable_size = size < record_.size;
    if (shrinks_durable_size) record_.size = size;
  }
  // Recovery treats part files shorter than the journaled (fsync'd) size as
  // damage, so a shrink below it must be journaled before it can be lost.
  if (shrinks_durable_size) {
    Status persisted = PersistRecord();
    if (!IsRetired(persisted)) return persisted;
  }
  return Status::OK();
}

Status FileWriterImpl::Sync() {
  MutexLock op(&op_mu_);
  {
    MutexLock lock(&mu_);
    // Nothing of an unlinked or replaced file needs to survive a crash.
    if (finished_ || retired_) return Status::OK();
  }
  // A size grown by truncate is made real in part files before it is journaled.
  PARTFS_RETURN_IF_ERROR(MaterializeSize());
  RetryFailedParts();
  // Uploaded parts need no fsync: wait for them first, so only the tail (and
  // parts whose upload failed) are written to disk synchronously.
  Status uploaded = WaitForParts();
  PARTFS_RETURN_IF_ERROR(SyncPartFiles());
  {
    MutexLock lock(&mu_);
    record_.size = size_;
  }
  PARTFS_RETURN_IF_ERROR(PersistRecord());
  return uploaded;
}

Status FileWriterImpl::Persist() {
  MutexLock op(&op_mu_);
  {
    MutexLock lock(&mu_);
    if (finished_ || retired_) return Status::OK();
  }
  PARTFS_RETURN_IF_ERROR(MaterializeSize());
  // Parts in flight are still local files until their upload is journaled:
  // fsync'd with the rest, so recovery has every byte either way.
  PARTFS_RETURN_IF_ERROR(SyncPartFiles());
  {
    MutexLock lock(&mu_);
    record_.size = size_;
  }
  return PersistRecord();
}

std::string FileWriterImpl::ObjectEtag() const {
  MutexLock lock(&mu_);
  return finished_ ? object_etag_ : "";
}

bool FileWriterImpl::SetMetadata(const UserMetadata& metadata) {
  {
    MutexLock lock(&mu_);
    if (finished_ || metadata_sealed_) return false;
    record_.metadata = metadata;
  }
  Status status = PersistRecord();
  if (!status.ok() && !IsRetired(status)) {
    ctx_.logger->Warn("journal update failed: " + status.ToString());
  }
  return true;
}

Status FileWriterImpl::Rekey(const std::string& new_key) {
  // No op_mu_: Finish holds it while it waits for this key's lock, which the
  // caller of Rekey holds. Finish re-reads the key under that lock.
  MutexLock record_lock(&record_mu_);
  FileRecord snapshot;
  {
    MutexLock lock(&mu_);
    // on_server_: the object exists under the old key; the caller copies it instead.
    if (finished_ || on_server_) {
      return Status::IOError("upload of " + record_.key + " is already finished");
    }
    if (retired_) return RetiredStatus();
    if (!record_.upload_id.empty() || record_.upload_intent_at != 0) {
      return Status::NotSupported("renaming " + record_.key +
                                  " while its multipart upload is running is not supported");
    }
    snapshot = record_;
  }
  snapshot.key = new_key;
  snapshot.updated_at = Now();
  // A rename replaces what is at the new name (mkstemp + rename, as rsync
  // and git do): the O_EXCL condition was about the old name only.
  snapshot.exclusive = false;
  // The renamed file is now the newest version of new_key: older records of it retire.
  std::vector<uint64_t> retired;
  PARTFS_RETURN_IF_ERROR(ctx_.journal->PutFileRetiringOthers(snapshot, &retired));
  {
    MutexLock lock(&mu_);
    record_.key = new_key;
    record_.updated_at = snapshot.updated_at;
    record_.exclusive = false;
  }
  if (!retired.empty() && ctx_.on_retired) ctx_.on_retired(retired);
  return Status::OK();
}

Status FileWriterImpl::Finish() {
  MutexLock op(&op_mu_);
  {
    MutexLock lock(&mu_);
    if (finished_) return Status::OK();
  }
  if (Retired()) return AbandonRetired();
  if (!tail_handed_off_) {
    // A size grown by truncate: make its zero parts real first.
    PARTFS_RETURN_IF_ERROR(MaterializeSize());
    // A failed gap write may have left the current part longer than the file.
    // (or, after a growth to a part boundary, no file for a tail of zeros yet).
    uint64_t tail = Size() - cur_start_;
    if ((cur_file_ || tail > 0) && (!cur_file_ || cur_file_->size() != tail)) {
      PARTFS_RETURN_IF_ERROR(ResizeCurrent(tail));
    }
  }
  bool single = false;
  {
    MutexLock lock(&mu_);
    single = record_.upload_id.empty() && cur_part_ == 1;
  }
  // No fsync here: close() returns success only once the object exists, so
  // durability comes from the server. The journaled size stays the last
  // fsync'd one (recovery's lower bound); a failure below fsyncs before it
  // records the full size.
  {
    MutexLock lock(&mu_);
    record_.state = UploadState::kPendingComplete;
    // Recovery never completes fewer bytes than close() accepted while the
    // page cache that holds them survives (same boot).
    record_.accepted_size = size_;
    record_.boot_id = ctx_.boot_id;
  }
  Status status = PersistRecord();
  if (IsRetired(status)) return AbandonRetired();
  if (!status.ok()) return status;
  status = single ? FinishSingle() : FinishMultipart();
  if (IsRetired(status)) return AbandonRetired();
  if (status.code() == Status::Code::kAlreadyExists) return DropLostCreate(status);
  if (!status.ok()) return RecordFailure(status);
  return Cleanup();
}

Result<KeyLocks::Guard> FileWriterImpl::LockKeyForCompletion(std::string* key) {
  for (;;) {
    *key = Key();
    KeyLocks::Guard guard = ctx_.key_locks->Lock(*key);
    MutexLock lock(&mu_);
    if (retired_) return RetiredStatus();
    if (record_.key == *key) return guard;
    // Renamed while we waited: take the new key's lock instead.
  }
}

Status FileWriterImpl::AbandonRetired() {
  std::string key, upload_id;
  {
    MutexLock lock(&mu_);
    key = record_.key;
    upload_id = record_.upload_id;
  }
  (void)WaitForParts();  // nothing new is sent: only the parts in flight end
  if (!upload_id.empty()) {
    Status aborted = ctx_.store->AbortMultipartUpload(key, upload_id);
    if (!aborted.ok() && !aborted.IsNotFound()) {
      // Left to recovery/gc: the record stays (retired) so its upload stays known.
      ctx_.logger->Warn("abort of the superseded upload of " + key + ": " + aborted.ToString());
      return Status::OK();
    }
  }
  ctx_.logger->Debug("write of " + key + " was superseded (unlinked or replaced): dropped");
  return Cleanup();
}

Status FileWriterImpl::DropLostCreate(const Status& lost) {
  std::string key, upload_id;
  {
    MutexLock lock(&mu_);
    key = record_.key;
    upload_id = record_.upload_id;
  }
  if (!upload_id.empty()) {
    Status aborted = ctx_.store->AbortMultipartUpload(key, upload_id);
    if (!aborted.ok() && !aborted.IsNotFound()) {
      ctx_.logger->Warn("abort of the upload of " + key +
                        " that lost its O_EXCL create: " + aborted.ToString() + " (left to gc)");
    }
  }
  ctx_.logger->Warn("O_EXCL create of " + key +
                    " lost: another writer created the object first; this file's data was "
                    "dropped (" +
                    lost.ToString() + ")");
  (void)Cleanup();
  return lost;
}

Status FileWriterImpl::FinishSingle() {
  std::string key;
  auto guard = LockKeyForCompletion(&key);
  if (!guard.ok()) return guard.status();
  UserMetadata metadata;
  uint64_t size = 0;
  bool exclusive = false;
  {
    MutexLock lock(&mu_);
    metadata = record_.metadata;
    size = size_;
    exclusive = record_.exclusive;
  }
  Result<std::string> etag = Status::IOError("unset");
  if (size == 0) {
    etag = exclusive ? ctx_.store->PutObjectFromStringIfAbsent(key, "", metadata)
                     : ctx_.store->PutObjectFromString(key, "", metadata);
  } else {
    auto md5 = cur_file_->Md5();
    if (!md5.ok()) return md5.status();
    const FileRange body{cur_file_->fd(), 0, size};
    etag = exclusive ? ctx_.store->PutObjectIfAbsent(key, body, metadata, Base64Encode(*md5))
                     : ctx_.store->PutObject(key, body, metadata, Base64Encode(*md5));
  }
  if (!etag.ok() && etag.status().code() == Status::Code::kAlreadyExists) return etag.status();
  if (!etag.ok()) {
    ctx_.logger->Error("PutObject of " + key + " failed: " + etag.status().ToString());
    return etag.status();
  }
  MarkOnServer();  // still under the key lock: a rename from now on copies the object
  {
    MutexLock lock(&mu_);
    object_etag_ = *etag;
  }
  ApplyLateMetadata(std::move(metadata));
  return Status::OK();
}

Status FileWriterImpl::FinishMultipart() {
  if (!tail_handed_off_) {
    PARTFS_RETURN_IF_ERROR(HandOffDirty());
    uint64_t tail = Size() - cur_start_;
    if (tail > 0) {
      PARTFS_RETURN_IF_ERROR(HandOff(cur_part_, cur_file_, tail));
    } else if (cur_file_) {
      PARTFS_RETURN_IF_ERROR(cur_file_->Unlink());
    }
    cur_file_.reset();
    tail_handed_off_ = true;
  }
  RetryFailedParts();
  PARTFS_RETURN_IF_ERROR(WaitForParts());
  UploadTarget target{file_id_, "", ""};
  auto guard = LockKeyForCompletion(&target.key);
  if (!guard.ok()) return guard.status();
  std::vector<PartRecord> parts;
  bool exclusive = false;
  {
    MutexLock lock(&mu_);
    target.upload_id = record_.upload_id;
    exclusive = record_.exclusive;
    for (const auto& [number, part] : parts_) parts.push_back(part.uploaded);
  }
  auto etag = uploader_.Complete(target, parts, exclusive);
  if (!etag.ok() && etag.status().code() == Status::Code::kAlreadyExists) return etag.status();
  if (!etag.ok()) {
    ctx_.logger->Error(etag.status().ToString());
    return etag.status();
  }
  // The object exists: journal that (with its ETag) before anything changes it,
  // so recovery neither completes it twice nor mistakes the metadata copy's
  // new ETag for damage.
  MarkOnServer();
  UserMetadata sent;
  {
    MutexLock lock(&mu_);
    // In memory too: a later snapshot (SetMetadata) must not journal an older state.
    record_.state = UploadState::kCompleted;
    record_.completed_etag = *etag;
    object_etag_ = *etag;
    sent = created_metadata_.value_or(record_.metadata);
  }
  Status journaled = PersistRecord(
      [&](const FileRecord& snapshot) { return uploader_.RecordCompleted(snapshot, *etag); });
  if (!journaled.ok() && !IsRetired(journaled)) {
    ctx_.logger->Warn("journal update after completing " + target.key + ": " +
                      journaled.ToString());
  }
  ApplyLateMetadata(std::move(sent));
  return Status::OK();
}

void FileWriterImpl::ApplyLateMetadata(UserMetadata sent) {
  // Bounded: each round copies what a concurrent chmod/utimens changed meanwhile.
  for (int round = 0; round < 4; ++round) {
    std::string key;
    UserMetadata metadata;
    uint64_t size = 0;
    {
      MutexLock lock(&mu_);
      if (record_.metadata == sent || round == 3) {
        metadata_sealed_ = true;
        return;
      }
      key = record_.key;
      metadata = record_.metadata;
      size = size_;
    }
    // cp -a and tar set the mtime before close, rsync may chmod while release
    // completes: a copy onto itself applies it (multipart above one request's limit).
    auto copied =
        CopyObjectOfAnySize(*ctx_.store, ctx_.profile, key, size, key, MetadataDirective::kReplace,
                            metadata, ctx_.max_parts_in_flight);
    if (!copied.ok()) {
      ctx_.logger->Error("metadata of " + key + " could not be applied (the data is complete): " +
                         copied.status().ToString());
    }
    {
      MutexLock lock(&mu_);
      object_etag_ = copied.ok() ? *copied : "";
    }
    sent = std::move(metadata);
  }
}

Status FileWriterImpl::RecordFailure(const Status& status) {
  // Data is never dropped: make what is left durable and say why in the journal.
  Status synced = SyncPartFiles();
  if (!synced.ok()) ctx_.logger->Error(synced.ToString());
  {
    MutexLock lock(&mu_);
    record_.state = UploadState::kFailed;
    record_.last_error = status.ToString();
    // Only a size whose part files are on disk may become recovery's lower bound.
    if (synced.ok()) record_.size = size_;
  }
  Status persisted = PersistRecord();
  if (!persisted.ok()) ctx_.logger->Error("journal update failed: " + persisted.ToString());
  return status;
}

void FileWriterImpl::MarkOnServer() {
  MutexLock lock(&mu_);
  on_server_ = true;
}

Status FileWriterImpl::Cleanup() {
  {
    MutexLock record_lock(&record_mu_);
    MutexLock lock(&mu_);
    finished_ = true;
  }
  // The record goes first, the data after: a record never outlives its data,
  // so recovery can never PUT a shorter file over the object just written.
  Status deleted = ctx_.journal->DeleteFile(file_id_);
  if (!deleted.ok()) {
    ctx_.logger->Error("journal cleanup of " + Key() + " failed (" + deleted.ToString() +
                       "); its part files stay with the record until recovery handles it");
    return Status::OK();  // the object exists (or was superseded): close() succeeded
  }
  RemoveLocalData();
  return Status::OK();
}

void FileWriterImpl::DropLocalParts(uint32_t first) {
  for (auto it = dirty_.lower_bound(first); it != dirty_.end(); it = dirty_.erase(it)) {
    (void)it->second->Unlink();
    ctx_.budget->Release(it->second->size());
  }
  if (cur_file_) {
    Status unlinked = cur_file_->Unlink();
    if (!unlinked.ok()) ctx_.logger->Warn(unlinked.ToString());
    ctx_.budget->Release(cur_file_->size());
    cur_file_.reset();
  }
  MutexLock lock(&mu_);
  for (auto it = parts_.lower_bound(first); it != parts_.end(); it = parts_.erase(it)) {
    Part& part = it->second;
    if (part.kept) {
      DropKept(part);
    } else if (part.file && part.state != PartState::kDone) {
      (void)part.file->Unlink();
      ctx_.budget->Release(part.size);  // a failed upload never drained it
    }
  }
}

void FileWriterImpl::RemoveLocalData() {
  DropLocalParts(1);
  std::error_code ec;
  std::filesystem::remove_all(ctx_.layout.FileDir(file_id_), ec);
  if (ec) ctx_.logger->Warn("remove " + ctx_.layout.FileDir(file_id_) + ": " + ec.message());
}

}  // namespace partfs
