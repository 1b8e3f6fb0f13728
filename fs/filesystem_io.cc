// Filesystem: file I/O (create, open, read, write, flush, fsync, release).
//
// Lock order: see fs/filesystem.h (FileHandle::mu first; Open and Write take
// the InodeTable's mutex and Inode::mu under it).
#include <fcntl.h>

#include <algorithm>
#include <chrono>

#include "fs/file_metadata.h"
#include "fs/filesystem.h"
#include "fs/object_reader.h"
#include "fs/process_info.h"

namespace partfs {

namespace {
constexpr size_t kMaxTrackedWriters = 16;
// Longest an open for reading waits for the crash recovery of its file.
constexpr std::chrono::seconds kRecoveryOpenWait{10};
}  // namespace

// One open(2) of a file. Read handles read the object (or the inode's
// unfinished WriteSession); write handles share the inode's WriteSession. A
// write handle on a non-empty existing object starts "pending": its first
// write (at any offset) or truncate starts an in-place change of the object, a
// truncate to 0 a new empty version.
struct Filesystem::FileHandle {
  FileHandle(std::shared_ptr<Inode> file, bool write, pid_t opener, ObjectStore* store,
             ReadAheadPool* read_ahead)
      : inode(std::move(file)), writable(write), opener_pid(opener), reader(store, read_ahead) {}

  const std::shared_ptr<Inode> inode;
  const bool writable;
  const pid_t opener_pid;
  ObjectReader reader;            // reads of the object (thread-safe itself)
  UserMetadata replace_metadata;  // for a pending handle: metadata of the object it replaces
  Mutex mu;
  std::shared_ptr<WriteSession> session GUARDED_BY(mu);
  std::vector<pid_t> writer_pids GUARDED_BY(mu);  // threads that wrote through this handle
};

std::shared_ptr<Filesystem::FileHandle> Filesystem::GetHandle(uint64_t fh) const {
  MutexLock lock(&handles_mu_);
  auto it = files_.find(fh);
  return it == files_.end() ? nullptr : it->second;
}

uint64_t Filesystem::AddHandle(std::shared_ptr<FileHandle> handle) {
  inodes_.Opened(handle->inode->ino);
  MutexLock lock(&handles_mu_);
  uint64_t fh = next_handle_++;
  files_[fh] = std::move(handle);
  return fh;
}

UserMetadata Filesystem::NewMetadata(mode_t type, mode_t mode, const RequestContext& ctx) const {
  FileMetadata fields;
  fields.mode = type | (mode & 07777);
  fields.uid = ctx.uid;
  fields.gid = ctx.gid;
  fields.mtime = Now();
  UserMetadata metadata;
  StoreFileMetadata(fields, &metadata);
  return metadata;
}

// Requires handle.mu held (not annotated: FileHandle is private to this file).
Status Filesystem::StartSession(FileHandle& handle, const std::string& path, UserMetadata metadata,
                                const ObjectInfo* base, bool exclusive) NO_THREAD_SAFETY_ANALYSIS {
  // The mtime is set at close (or explicitly, by utimens): an inherited or
  // open-time value would travel with CreateMultipartUpload and stay stale.
  metadata.erase("mtime");
  auto writer = base != nullptr
                    ? cache_->StartModify(KeyFor(path), metadata, base->size, base->etag)
                : exclusive ? cache_->StartExclusiveWrite(KeyFor(path), metadata)
                            : cache_->StartWrite(KeyFor(path), metadata);
  if (!writer.ok()) {
    return writer.status().WithContext((base == nullptr ? "start write of " : "change of ") + path);
  }
  attrs_.Forget(path);  // the session answers until its upload completed
  auto session = std::make_shared<WriteSession>();
  session->writer = std::move(*writer);
  session->metadata = std::move(metadata);
  session->exclusive = exclusive;
  AttachSession(handle, session);
  return Status::OK();
}

// Requires handle.mu held. Moves the handle's count from its old (finished)
// session to `session`, which becomes the inode's.
void Filesystem::AttachSession(FileHandle& handle, const std::shared_ptr<WriteSession>& session)
    NO_THREAD_SAFETY_ANALYSIS {
  {
    MutexLock lock(&handle.inode->mu);
    if (handle.session && handle.session != session) --handle.session->handles;
    if (handle.session != session) ++session->handles;
    if (handle.inode->session != session) ++handle.inode->changes;
    handle.inode->session = session;
  }
  handle.session = session;
}

std::shared_ptr<WriteSession> Filesystem::OpenSession(Inode& inode) {
  MutexLock lock(&inode.mu);
  if (inode.session && !inode.session->writer->Finished()) return inode.session;
  return nullptr;
}

// Requires handle.mu held.
Result<std::shared_ptr<WriteSession>> Filesystem::WriteSessionFor(FileHandle& handle, bool replace)
    NO_THREAD_SAFETY_ANALYSIS {
  if (!replace && handle.session && !handle.session->writer->Finished()) return handle.session;
  MutexLock start(&handle.inode->start_mu);
  if (!replace) {
    if (auto current = OpenSession(*handle.inode)) {
      AttachSession(handle, current);
      return current;
    }
  }
  auto ref = inodes_.Get(handle.inode->ino);
  if (!ref || !ref->linked) return Status::NotFound("file was removed");
  if (replace) {
    PARTFS_RETURN_IF_ERROR(StartSession(handle, ref->path, handle.replace_metadata));
    return handle.session;
  }
  // An in-place change starts from the newest version: one a crash left
  // unfinished is completed first.
  if (AwaitRecovery(ref->path, kRecoveryOpenWait)) {
    return Status::Busy("file is still being recovered after a crash: " + ref->path);
  }
  auto info = HeadFile(ref->path);
  if (!info.ok() && !info.status().IsNotFound()) return info.status();
  // An empty or missing object starts empty; a non-empty one is copied first.
  const bool change = info.ok() && info->size > 0;
  PARTFS_RETURN_IF_ERROR(StartSession(handle, ref->path,
                                      info.ok() ? info->user_metadata : handle.replace_metadata,
                                      change ? &*info : nullptr));
  return handle.session;
}

Status Filesystem::Checkpoint(const std::shared_ptr<WriteSession>& session) {
  logger_->Debug("checkpoint of " + session->writer->Key() +
                 ": completing its upload to read or rewrite bytes only the upload holds");
  Status finished = session->writer->Finish();
  if (!finished.ok()) {
    logger_->Error("checkpoint of " + session->writer->Key() + " failed: " + finished.ToString());
  }
  return finished;
}

Result<CreateResult> Filesystem::Create(uint64_t parent, const std::string& name, mode_t mode,
                                        int flags, const RequestContext& ctx) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  // Known missing (the kernel's lookup just asked): a rename before the upload
  // then has no old object to delete.
  auto known = attrs_.Get(*path);
  const bool absent = known && known->kind == AttrCache::Entry::kMissing;
  // The kernel's lookup said the name was free; another client may have been
  // faster (one HEAD), unless the name is in a directory this mount just
  // created (cp -r, rsync, tar into a new directory).
  if ((flags & O_EXCL) && !(absent && known->in_new_dir)) {
    PARTFS_RETURN_IF_ERROR(RefuseExisting(*path));
  }
  // No wait for a recovery of this key: StartWrite retires its record, and the
  // key lock makes a completion in progress land before this newer version.
  auto inode = inodes_.Lookup(*path, /*is_dir=*/false);
  auto handle = std::make_shared<FileHandle>(inode, (flags & O_ACCMODE) != O_RDONLY, ctx.pid,
                                             store_, options_.read_ahead);
  Status started;
  {
    MutexLock lock(&handle->mu);
    started = StartSession(*handle, *path, NewMetadata(S_IFREG, mode, ctx), nullptr,
                           (flags & O_EXCL) != 0);
    if (started.ok()) handle->session->key_absent = absent;
  }
  if (!started.ok()) {
    inodes_.Forget(inode->ino, 1);  // the kernel never sees this entry
    return started;
  }
  CreateResult result;
  {
    MutexLock lock(&inode->mu);
    result.attr = SessionAttr(inode->ino, *inode->session);
  }
  result.fh = AddHandle(std::move(handle));
  return result;
}

bool Filesystem::SameVersionAsLastRead(Inode& inode, const std::string& path) {
  // Only attributes fresh within stat_ttl count: when in doubt, drop the pages.
  std::optional<ReadVersion> now;
  if (auto cached = attrs_.Get(path);
      cached && cached->kind == AttrCache::Entry::kFile && cached->info) {
    now = ReadVersion{path, cached->info->etag, cached->info->size, inode.changes.load()};
  }
  MutexLock lock(&inode.mu);
  if (inode.session) now.reset();  // being written: reads come from the writer
  const bool same = now && inode.last_read == now;
  inode.last_read = std::move(now);
  return same;
}

Result<uint64_t> Filesystem::Open(uint64_t ino, int flags, const RequestContext& ctx,
                                  bool* keep_cache) {
  if (keep_cache != nullptr) *keep_cache = false;
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode " + std::to_string(ino));
  if (ref->inode->is_dir) return Status::InvalidArgument("is a directory");
  const bool writable = (flags & O_ACCMODE) != O_RDONLY;
  // A reader needs the recovered bytes: wait, bounded, then EBUSY (try again).
  if (!writable && AwaitRecovery(ref->path, kRecoveryOpenWait)) {
    return Status::Busy("file is still being recovered after a crash: " + ref->path);
  }
  auto handle =
      std::make_shared<FileHandle>(ref->inode, writable, ctx.pid, store_, options_.read_ahead);
  std::shared_ptr<WriteSession> current;
  {
    MutexLock lock(&ref->inode->mu);
    current = ref->inode->session;
    if (current && current->writer->Finished()) current = nullptr;
    if (current && writable && !(flags & O_TRUNC)) ++current->handles;  // join the write
  }
  // A reader of a file being written reads the writer's bytes (see Read).
  if (!writable) {
    const bool same = SameVersionAsLastRead(*ref->inode, ref->path);
    if (keep_cache != nullptr) *keep_cache = same;
    return AddHandle(std::move(handle));
  }
  if (current && !(flags & O_TRUNC)) {
    MutexLock lock(&handle->mu);
    handle->session = std::move(current);
    return AddHandle(std::move(handle));
  }
  // Replacing a file still being written (or queued for upload in write-back
  // mode): it keeps that version's mode and owner.
  if (current) {
    UserMetadata metadata;
    {
      MutexLock lock(&ref->inode->mu);
      metadata = current->metadata;
    }
    MutexLock lock(&handle->mu);
    PARTFS_RETURN_IF_ERROR(StartSession(*handle, ref->path, std::move(metadata)));
    return AddHandle(std::move(handle));
  }
  // Replace the object: keep its mode and owner, the mtime becomes the close time.
  auto info = HeadFile(ref->path);
  if (!info.ok() && !info.status().IsNotFound()) return info.status();
  UserMetadata metadata =
      info.ok() ? info->user_metadata : NewMetadata(S_IFREG, 0666 & ~options_.umask, ctx);
  bool empty = !info.ok() || info->size == 0;
  MutexLock lock(&handle->mu);
  if ((flags & O_TRUNC) || empty) {
    PARTFS_RETURN_IF_ERROR(StartSession(*handle, ref->path, std::move(metadata)));
  } else {
    handle->replace_metadata = std::move(metadata);
  }
  return AddHandle(std::move(handle));
}

Result<size_t> Filesystem::Read(uint64_t fh, uint64_t offset, size_t size, char* buf) {
  auto read = ReadInPlace(fh, offset, size);
  if (!read.ok()) return read.status();
  read->CopyTo(buf);
  return read->size();
}

Result<ReadResult> Filesystem::ReadInPlace(uint64_t fh, uint64_t offset, size_t size) {
  auto handle = GetHandle(fh);
  if (!handle) return Status::InvalidArgument("unknown file handle");
  // A file being written reads as written so far, from the cache (and the
  // base object of an in-place change); bytes only its upload holds need a
  // checkpoint, after which the object has them all.
  if (auto session = OpenSession(*handle->inode)) {
    ReadResult result;
    auto read = session->writer->Read(offset, size, result.AddOwned(size));
    if (read.ok()) {
      result.TrimLast(*read);
      return result;
    }
    if (read.status().code() != Status::Code::kNeedsCheckpoint) return read.status();
    PARTFS_RETURN_IF_ERROR(Checkpoint(session));
  }
  auto ref = inodes_.Get(handle->inode->ino);
  if (!ref) return Status::NotFound("file is gone");
  return handle->reader.ReadInPlace(KeyFor(ref->path), handle->inode->changes.load(), offset, size);
}

Result<size_t> Filesystem::Write(uint64_t fh, uint64_t offset, const char* data, size_t size,
                                 const RequestContext& ctx) {
  auto handle = GetHandle(fh);
  if (!handle) return Status::InvalidArgument("unknown file handle");
  if (!handle->writable) return Status::PermissionDenied("file not open for writing");
  // A short count from the writer is followed by a write of the rest, which
  // tells why it stopped: bytes only an upload holds need a checkpoint (at
  // most twice per call), any other error ends the call with what was accepted.
  size_t accepted = 0;
  int checkpoints = 0;
  while (accepted < size) {
    std::shared_ptr<WriteSession> session;
    {
      MutexLock lock(&handle->mu);
      auto current = WriteSessionFor(*handle, /*replace=*/false);
      if (!current.ok()) {
        if (accepted > 0) break;
        return current.status();
      }
      session = std::move(current).value();
      NoteWriter(*handle, ctx.pid);
    }
    session->persisted = false;
    auto written = session->writer->Write(offset + accepted, data + accepted, size - accepted);
    if (written.ok()) {
      if (*written == 0) break;
      accepted += *written;
      continue;
    }
    if (written.status().code() == Status::Code::kNeedsCheckpoint && checkpoints++ < 2) {
      Status checkpointed = Checkpoint(session);
      if (checkpointed.ok()) continue;
      written = checkpointed;
    }
    if (accepted > 0) break;
    return written.status();
  }
  return accepted;
}

// Requires handle.mu held. Remembers `pid` as a thread that changed the file
// through this handle.
void Filesystem::NoteWriter(FileHandle& handle, pid_t pid) NO_THREAD_SAFETY_ANALYSIS {
  auto& pids = handle.writer_pids;
  if (pids.size() >= kMaxTrackedWriters) return;
  if (std::find(pids.begin(), pids.end(), pid) == pids.end()) pids.push_back(pid);
}

// Requires handle.mu held. A flush completes the upload only when it comes
// from the process that opened the file or wrote through it: a forked child
// closing its inherited copy must not complete the file early. (Flushes before
// the first write never complete; see Flush.)
bool Filesystem::IsWritingProcess(const FileHandle& handle,
                                  pid_t pid) const NO_THREAD_SAFETY_ANALYSIS {
  if (pid == handle.opener_pid) return true;
  const auto& pids = handle.writer_pids;
  if (std::find(pids.begin(), pids.end(), pid) != pids.end()) return true;
  // The kernel reports thread ids: compare the processes they belong to.
  auto process = ProcessOfThread(pid);
  if (!process) return false;
  if (ProcessOfThread(handle.opener_pid) == process) return true;
  for (pid_t writer : pids) {
    if (ProcessOfThread(writer) == process) return true;
  }
  return false;
}

Status Filesystem::Flush(uint64_t fh, const RequestContext& ctx) {
  auto handle = GetHandle(fh);
  if (!handle) return Status::InvalidArgument("unknown file handle");
  {
    MutexLock lock(&handle->mu);
    if (!handle->session) return Status::OK();
    // Nothing written through this handle yet: a shell's `> file` redirection
    // closes its first descriptor (after dup2) before the command writes. An
    // O_EXCL file completes anyway: an empty lock file's close must say EEXIST.
    if (handle->writer_pids.empty() && !handle->session->exclusive) return Status::OK();
    if (!IsWritingProcess(*handle, ctx.pid)) {
      logger_->Debug("flush from another process ignored; the upload completes later");
      return Status::OK();
    }
  }
  if (writeback_) {
    std::shared_ptr<WriteSession> session;
    {
      MutexLock lock(&handle->mu);
      session = handle->session;
    }
    // O_EXCL files are queued too (mkstemp's temp files of rsync and others
    // are O_EXCL): the condition still guards the winner's object when the
    // upload runs, but a loser learns it only from the log.
    return PersistSession(*handle->inode, session);
  }
  return FinishSession(*handle, /*from_release=*/false);
}

// Completes the handle's session: close-time mtime, Finish, delete if unlinked.
Status Filesystem::FinishSession(FileHandle& handle, bool from_release) NO_THREAD_SAFETY_ANALYSIS {
  std::shared_ptr<WriteSession> session;
  {
    MutexLock lock(&handle.mu);
    session = handle.session;
  }
  if (!session) return Status::OK();
  const auto& writer = session->writer;
  {
    MutexLock lock(&handle.inode->mu);
    if (from_release && session->finish_failed) return Status::OK();  // kept for recovery
  }
  // A release after the flush that completed the upload: the attributes
  // noted then may have changed since (a chmod/utimens after close, deferred
  // in honest mode); noting the session's metadata again would undo them.
  const bool finished_before = writer->Finished();
  SetCloseTime(*handle.inode, *session);
  // An unlinked or renamed-over writer aborts its upload here instead.
  Status finished = writer->Finish();
  {
    MutexLock lock(&handle.inode->mu);
    if (!finished.ok()) session->finish_failed = true;
  }
  if (finished.ok() && !finished_before) NoteFinished(handle.inode->ino, *session);
  if (finished.code() == Status::Code::kAlreadyExists) return finished;  // the writer logged it
  if (!finished.ok()) {
    logger_->Error(
        "upload of " + writer->Key() +
        " failed (data kept in the cache, retried in the background): " + finished.ToString());
    return finished;
  }
  return Status::OK();
}

Status Filesystem::Fsync(uint64_t fh) {
  auto handle = GetHandle(fh);
  if (!handle) return Status::InvalidArgument("unknown file handle");
  std::shared_ptr<WriteSession> session;
  {
    MutexLock lock(&handle->mu);
    session = handle->session;
  }
  if (writeback_) {
    // The durable point a backup tool asks for: the object on the server. A
    // reader's fsync counts too (the file may be queued after its last close).
    if (!session) session = OpenSession(*handle->inode);
    if (!session || session->writer->Finished()) return Status::OK();
    return Checkpoint(session);
  }
  if (!session || session->writer->Finished()) {
    // A deferred metadata change of the closed file lands now.
    auto ref = inodes_.Get(handle->inode->ino);
    if (!deferred_ || !ref || !ref->linked) return Status::OK();
    return deferred_->ApplyNow(KeyFor(ref->path));
  }
  return session->writer->Sync();
}

Status Filesystem::Release(uint64_t fh) {
  std::shared_ptr<FileHandle> handle;
  {
    MutexLock lock(&handles_mu_);
    auto it = files_.find(fh);
    if (it == files_.end()) return Status::InvalidArgument("unknown file handle");
    handle = std::move(it->second);
    files_.erase(it);
  }
  std::shared_ptr<WriteSession> session;
  {
    MutexLock lock(&handle->mu);
    session = handle->session;
  }
  Status status;
  if (session) {
    bool last;
    {
      MutexLock lock(&handle->inode->mu);
      last = --session->handles == 0;
    }
    if (last && writeback_ && !session->writer->Finished()) {
      // Changes since the flush (or a close from another process) are made
      // durable before the upload is queued.
      if (!session->persisted) status = PersistSession(*handle->inode, session);
      bool failed;
      {
        MutexLock lock(&handle->inode->mu);
        failed = session->finish_failed;
      }
      if (status.ok() && !failed) {
        QueueUpload(handle->inode, session);
        inodes_.Closed(handle->inode->ino);
        return Status::OK();
      }
    }
    // release errors never reach the application: log them (FinishSession does).
    if (last) status = FinishSession(*handle, /*from_release=*/true);
    if (last) {
      MutexLock lock(&handle->inode->mu);
      if (handle->inode->session == session) handle->inode->session.reset();
    }
  }
  inodes_.Closed(handle->inode->ino);
  return status;
}

Status Filesystem::TruncateOpenFile(uint64_t ino, const SetAttrRequest& request, bool* handled) {
  *handled = false;
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode");
  std::shared_ptr<WriteSession> session = OpenSession(*ref->inode);
  if (request.fh) {
    if (auto handle = GetHandle(*request.fh); handle && handle->writable) {
      MutexLock lock(&handle->mu);
      NoteWriter(*handle, request.pid);  // its close() then completes the change
      if (!session) {
        // ftruncate through a write handle starts its version: empty for size
        // 0, else an in-place change of the object.
        auto started = WriteSessionFor(*handle, /*replace=*/*request.size == 0);
        if (!started.ok()) return started.status();
        session = std::move(started).value();
      }
    }
  }
  if (!session) return Status::OK();  // nobody writes it: the caller changes the object
  *handled = true;
  session->persisted = false;
  Status truncated = session->writer->Truncate(*request.size);
  if (truncated.code() != Status::Code::kNeedsCheckpoint) return truncated;
  // Cut into bytes only the upload holds: complete it, then change the object.
  PARTFS_RETURN_IF_ERROR(Checkpoint(session));
  *handled = false;
  return Status::OK();
}

Status Filesystem::TruncateClosedFile(const std::string& path, const ObjectInfo& info,
                                      uint64_t size) {
  UserMetadata metadata = info.user_metadata;
  FileMetadata fields;
  fields.mtime = Now();
  StoreFileMetadata(fields, &metadata);
  auto writer = cache_->StartModify(KeyFor(path), metadata, info.size, info.etag);
  if (!writer.ok()) return writer.status().WithContext("truncate of " + path);
  Status truncated = (*writer)->Truncate(size);
  if (!truncated.ok()) {
    (*writer)->MarkRetired();  // nothing changed: drop the new version
    (void)(*writer)->Finish();
    return truncated;
  }
  Status finished = (*writer)->Finish();
  // The new version carries any deferred metadata change.
  if (finished.ok() && deferred_) deferred_->Drop(KeyFor(path));
  if (auto inode = inodes_.Find(path)) ++inode->changes;  // open readers drop their read-ahead
  return finished;
}

void Filesystem::Shutdown() {
  if (writeback_) {
    auto stats = writeback_->GetStats();
    if (stats.queued + stats.running > 0) {
      logger_->Info("unmount: completing " + std::to_string(stats.queued + stats.running) +
                    " queued upload(s) of write-back mode");
    }
    writeback_->Drain();
  }
  if (deferred_) deferred_->Drain();
  std::map<uint64_t, std::shared_ptr<FileHandle>> files;
  {
    MutexLock lock(&handles_mu_);
    files.swap(files_);
    dirs_.clear();
  }
  for (auto& [fh, handle] : files) {
    std::shared_ptr<WriteSession> session;
    {
      MutexLock lock(&handle->mu);
      session = handle->session;
    }
    if (!session || session->writer->Finished()) continue;
    logger_->Warn("unmounted while " + session->writer->Key() +
                  " was open for writing; it is completed by the next mount's recovery");
    Status synced = session->writer->Sync();
    if (!synced.ok())
      logger_->Error("sync of " + session->writer->Key() + ": " + synced.ToString());
  }
}

}  // namespace partfs
