#include "fs/fuse_ops.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "fs/errno_mapping.h"
#include "fs/filesystem.h"

namespace partfs {

namespace {

// renameat2(2) flags (linux/fs.h), spelled here to avoid kernel headers.
constexpr unsigned kRenameNoReplace = 1u << 0;
constexpr unsigned kRenameExchange = 1u << 1;
// d_ino for entries the kernel has not looked up yet.
constexpr ino_t kUnknownIno = 0xffffffff;

Filesystem& Fs(fuse_req_t req) { return *static_cast<Filesystem*>(fuse_req_userdata(req)); }

RequestContext Ctx(fuse_req_t req) {
  const fuse_ctx* c = fuse_req_ctx(req);
  RequestContext ctx;
  ctx.uid = c->uid;
  ctx.gid = c->gid;
  ctx.pid = c->pid;
  return ctx;
}

void ReplyStatus(fuse_req_t req, const Status& status) { fuse_reply_err(req, ToErrno(status)); }

void ReplyEntry(fuse_req_t req, const struct stat& attr) {
  fuse_entry_param entry = {};
  entry.ino = attr.st_ino;
  entry.attr = attr;
  entry.attr_timeout = kAttrTimeoutSeconds;
  entry.entry_timeout = kEntryTimeoutSeconds;
  fuse_reply_entry(req, &entry);
}

void OnInit(void*, fuse_conn_info* conn) {
  conn->max_write = kMaxWriteBytes;
  // The kernel must not buffer writes: every error has to reach the writer.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // O_TRUNC arrives with open() instead of as a separate setattr.
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

void OnLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto attr = Fs(req).Lookup(parent, name);
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  ReplyEntry(req, *attr);
}

void OnForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  Fs(req).Forget(ino, nlookup);
  fuse_reply_none(req);
}

void OnForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  fuse_reply_none(req);
}

void OnGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  auto attr = Fs(req).GetAttr(ino);
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  fuse_reply_attr(req, &*attr, kAttrTimeoutSeconds);
}

void OnSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  SetAttrRequest request;
  if (to_set & FUSE_SET_ATTR_SIZE) request.size = static_cast<uint64_t>(attr->st_size);
  if (to_set & FUSE_SET_ATTR_MODE) request.mode = attr->st_mode;
  if (to_set & FUSE_SET_ATTR_UID) request.uid = attr->st_uid;
  if (to_set & FUSE_SET_ATTR_GID) request.gid = attr->st_gid;
  if (to_set & FUSE_SET_ATTR_MTIME_NOW) {
    request.mtime = Fs(req).Now();
  } else if (to_set & FUSE_SET_ATTR_MTIME) {
    request.mtime = static_cast<int64_t>(attr->st_mtim.tv_sec);
  }
  if (fi != nullptr) request.fh = fi->fh;
  auto result = Fs(req).SetAttr(ino, request);
  if (!result.ok()) return ReplyStatus(req, result.status());
  fuse_reply_attr(req, &*result, kAttrTimeoutSeconds);
}

void OnMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  auto attr = Fs(req).Mkdir(parent, name, mode, Ctx(req));
  if (!attr.ok()) return ReplyStatus(req, attr.status());
  ReplyEntry(req, *attr);
}

void OnUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  ReplyStatus(req, Fs(req).Unlink(parent, name));
}

void OnRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Status status = Fs(req).Rmdir(parent, name);
  // rmdir(2) reports a non-empty directory as ENOTEMPTY.
  if (status.code() == Status::Code::kAlreadyExists) {
    fuse_reply_err(req, ENOTEMPTY);
    return;
  }
  ReplyStatus(req, status);
}

void OnRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned int flags) {
  if (flags & kRenameExchange) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  auto outcome =
      Fs(req).Rename(parent, name, new_parent, new_name, (flags & kRenameNoReplace) != 0);
  if (!outcome.ok()) return ReplyStatus(req, outcome.status());
  // Directories are prefixes: EXDEV makes mv(1) copy them file by file.
  if (*outcome == RenameOutcome::kDirectoryDeclined) {
    fuse_reply_err(req, EXDEV);
    return;
  }
  fuse_reply_err(req, 0);
}

void OnCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  auto created = Fs(req).Create(parent, name, mode, fi->flags, Ctx(req));
  if (!created.ok()) return ReplyStatus(req, created.status());
  fuse_entry_param entry = {};
  entry.ino = created->attr.st_ino;
  entry.attr = created->attr;
  entry.attr_timeout = kAttrTimeoutSeconds;
  entry.entry_timeout = kEntryTimeoutSeconds;
  fi->fh = created->fh;
  fi->keep_cache = 0;
  // Write handles bypass the page cache: a writable shared mmap then fails at
  // mmap() (ENODEV) instead of its page writeback being refused later, unseen.
  fi->direct_io = 1;
  if (fuse_reply_create(req, &entry, fi) != 0) {
    // The kernel dropped the request (interrupted): it will never release this handle.
    Fs(req).Release(created->fh);
  }
}

void OnOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto fh = Fs(req).Open(ino, fi->flags, Ctx(req));
  if (!fh.ok()) return ReplyStatus(req, fh.status());
  fi->fh = *fh;
  fi->keep_cache = 0;  // the object may have changed since the last open
  fi->direct_io = (fi->flags & O_ACCMODE) != O_RDONLY;  // see OnCreate
  if (fuse_reply_open(req, fi) != 0) Fs(req).Release(*fh);
}

void OnRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  std::unique_ptr<char[]> buf(new char[size]);
  auto read = Fs(req).Read(fi->fh, static_cast<uint64_t>(off), size, buf.get());
  if (!read.ok()) return ReplyStatus(req, read.status());
  fuse_reply_buf(req, buf.get(), *read);
}

void OnWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
             fuse_file_info* fi) {
  auto written = Fs(req).Write(fi->fh, static_cast<uint64_t>(off), data, size, Ctx(req));
  if (!written.ok()) return ReplyStatus(req, written.status());
  fuse_reply_write(req, *written);
}

void OnFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  ReplyStatus(req, Fs(req).Flush(fi->fh, Ctx(req)));
}

void OnRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  // The kernel ignores release errors; Filesystem::Release logs them.
  Fs(req).Release(fi->fh);
  fuse_reply_err(req, 0);
}

void OnFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  ReplyStatus(req, Fs(req).Fsync(fi->fh));
}

void OnOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto dh = Fs(req).OpenDir(ino);
  if (!dh.ok()) return ReplyStatus(req, dh.status());
  fi->fh = *dh;
  if (fuse_reply_open(req, fi) != 0) Fs(req).ReleaseDir(*dh);
}

void OnReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  auto entries = Fs(req).ReadDir(fi->fh);
  if (!entries.ok()) return ReplyStatus(req, entries.status());
  std::vector<char> buf(size);
  size_t used = 0;
  const auto& list = **entries;
  for (size_t i = static_cast<size_t>(off); i < list.size(); ++i) {
    struct stat st = {};
    st.st_ino = list[i].ino != 0 ? list[i].ino : kUnknownIno;
    st.st_mode = list[i].is_dir ? S_IFDIR : S_IFREG;
    size_t need = fuse_add_direntry(req, buf.data() + used, size - used, list[i].name.c_str(), &st,
                                    static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OnReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  Fs(req).ReleaseDir(fi->fh);
  fuse_reply_err(req, 0);
}

void OnStatFs(fuse_req_t req, fuse_ino_t) {
  struct statvfs st = Fs(req).StatFs();
  fuse_reply_statfs(req, &st);
}

}  // namespace

void FillFuseOps(fuse_lowlevel_ops* ops) {
  *ops = fuse_lowlevel_ops{};
  ops->init = OnInit;
  ops->lookup = OnLookup;
  ops->forget = OnForget;
  ops->forget_multi = OnForgetMulti;
  ops->getattr = OnGetAttr;
  ops->setattr = OnSetAttr;
  ops->mkdir = OnMkdir;
  ops->unlink = OnUnlink;
  ops->rmdir = OnRmdir;
  ops->rename = OnRename;
  ops->create = OnCreate;
  ops->open = OnOpen;
  ops->read = OnRead;
  ops->write = OnWrite;
  ops->flush = OnFlush;
  ops->release = OnRelease;
  ops->fsync = OnFsync;
  ops->opendir = OnOpenDir;
  ops->readdir = OnReadDir;
  ops->releasedir = OnReleaseDir;
  ops->statfs = OnStatFs;
}

}  // namespace partfs
