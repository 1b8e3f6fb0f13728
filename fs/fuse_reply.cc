#include "fs/fuse_reply.h"

#include "fs/errno_mapping.h"
#include "fs/fuse_ops.h"

namespace partfs {

namespace {

fuse_entry_param EntryParam(const struct stat& attr) {
  fuse_entry_param entry = {};
  entry.ino = attr.st_ino;
  entry.attr = attr;
  entry.attr_timeout = kAttrTimeoutSeconds;
  entry.entry_timeout = kEntryTimeoutSeconds;
  return entry;
}

}  // namespace

void FuseReply::Error(const Status& status) {
  once_.MarkReplied();
  fuse_reply_err(req_, ToErrno(status));
}

void FuseReply::None() {
  once_.MarkReplied();
  fuse_reply_none(req_);
}

void FuseReply::Entry(const struct stat& attr) {
  once_.MarkReplied();
  fuse_entry_param entry = EntryParam(attr);
  fuse_reply_entry(req_, &entry);
}

void FuseReply::Attr(const struct stat& attr) {
  once_.MarkReplied();
  fuse_reply_attr(req_, &attr, kAttrTimeoutSeconds);
}

void FuseReply::NegativeEntry(double timeout) {
  once_.MarkReplied();
  fuse_entry_param entry = {};
  entry.ino = 0;  // a negative entry
  entry.entry_timeout = timeout;
  fuse_reply_entry(req_, &entry);
}

int FuseReply::Create(const struct stat& attr, const fuse_file_info* fi) {
  once_.MarkReplied();
  fuse_entry_param entry = EntryParam(attr);
  return fuse_reply_create(req_, &entry, fi);
}

int FuseReply::Open(const fuse_file_info* fi) {
  once_.MarkReplied();
  return fuse_reply_open(req_, fi);
}

void FuseReply::Buffer(const char* data, size_t size) {
  once_.MarkReplied();
  fuse_reply_buf(req_, data, size);
}

void FuseReply::Pieces(const std::vector<iovec>& pieces) {
  once_.MarkReplied();
  if (pieces.empty()) {
    fuse_reply_buf(req_, nullptr, 0);
  } else {
    fuse_reply_iov(req_, pieces.data(), static_cast<int>(pieces.size()));
  }
}

void FuseReply::Write(size_t count) {
  once_.MarkReplied();
  fuse_reply_write(req_, count);
}

void FuseReply::StatFs(const struct statvfs& st) {
  once_.MarkReplied();
  fuse_reply_statfs(req_, &st);
}

void FuseReply::Readlink(const std::string& target) {
  once_.MarkReplied();
  fuse_reply_readlink(req_, target.c_str());
}

}  // namespace partfs
