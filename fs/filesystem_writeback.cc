// Filesystem: write-back mode (-o writeback). close() makes a file durable in
// the cache and the upload runs later from the WritebackQueue; until then the
// file is an unfinished WriteSession that stat, reads, listings, chmod/utimens,
// rename and unlink already handle (they fold into the pending upload).
#include "fs/file_metadata.h"
#include "fs/filesystem.h"

namespace partfs {

void Filesystem::SetCloseTime(Inode& inode, WriteSession& session) {
  MutexLock lock(&inode.mu);
  // Once the upload was created, a close-time mtime would cost a CopyObject of
  // the whole object: without one, stat falls back to the object's Last-Modified.
  if (session.writer->Finished() || session.mtime_explicit || session.writer->UploadCreated()) {
    return;
  }
  FileMetadata fields;
  fields.mtime = Now();
  StoreFileMetadata(fields, &session.metadata);
  session.writer->SetMetadata(session.metadata);
}

Status Filesystem::PersistSession(Inode& inode, const std::shared_ptr<WriteSession>& session) {
  if (!session || session->writer->Finished()) return Status::OK();
  // Backpressure: a full queue holds close() until uploads make room.
  writeback_->WaitForRoom();
  SetCloseTime(inode, *session);
  Status persisted = session->writer->Persist();
  if (!persisted.ok()) {
    logger_->Error("write-back: " + session->writer->Key() +
                   " could not be made durable in the cache: " + persisted.ToString());
    return persisted;
  }
  session->persisted = true;
  return Status::OK();
}

void Filesystem::QueueUpload(const std::shared_ptr<Inode>& inode,
                             const std::shared_ptr<WriteSession>& session) {
  bool pin = false;
  {
    MutexLock lock(&inode->mu);
    if (!session->queued) session->queued = pin = true;
  }
  // Pinned: lookups of the name find the session until its upload ran.
  if (pin) inodes_.Opened(inode->ino);
  writeback_->Schedule(session.get(), [this, inode, session] { RunQueuedUpload(inode, session); });
}

void Filesystem::RunQueuedUpload(const std::shared_ptr<Inode>& inode,
                                 const std::shared_ptr<WriteSession>& session) {
  bool reopened;
  {
    MutexLock lock(&inode->mu);
    // Open for writing again: its last close queues it anew.
    reopened = session->handles > 0;
    if (reopened) session->queued = false;
  }
  if (reopened) {
    inodes_.Closed(inode->ino);
    return;
  }
  // A retired writer (unlinked, renamed over, replaced) drops its data here.
  Status finished = session->writer->Finish();
  if (!finished.ok()) {
    logger_->Error(
        "write-back upload of " + session->writer->Key() +
        " failed (data kept in the cache, retried in the background): " + finished.ToString());
  }
  if (finished.ok()) NoteFinished(inode->ino, *session);
  {
    MutexLock lock(&inode->mu);
    session->queued = false;
    if (!finished.ok()) session->finish_failed = true;
    if (inode->session == session && session->handles == 0) inode->session.reset();
  }
  inodes_.Closed(inode->ino);
}

WritebackQueue::Stats Filesystem::WritebackStats() const {
  return writeback_ ? writeback_->GetStats() : WritebackQueue::Stats{};
}

WritebackQueue::Stats Filesystem::PendingMetadataStats() const {
  return deferred_ ? deferred_->QueueStats() : WritebackQueue::Stats{};
}

}  // namespace partfs
