#include "fs/fuse_ops.h"

#include <fcntl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "fs/filesystem.h"
#include "fs/fuse_reply.h"

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

void OnInit(void*, fuse_conn_info* conn) {
  // Also sets max_pages (libfuse derives it from max_write): reads of up to
  // 1 MiB. conn->max_readahead stays the kernel's offer (its bdi read-ahead,
  // 128 KiB unless raised in /sys/class/bdi): INIT can only lower it. Sequential
  // speed comes from partfs's own read-ahead (fs/object_reader.h).
  conn->max_write = kMaxWriteBytes;
  // The kernel must not buffer writes: every error has to reach the writer.
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
  // O_TRUNC arrives with open() instead of as a separate setattr.
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

void OnLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseReply reply(req);
  auto attr = Fs(req).Lookup(parent, name);
  if (!attr.ok() && attr.status().IsNotFound() && Fs(req).NegativeTimeoutSeconds() > 0) {
    return reply.NegativeEntry(Fs(req).NegativeTimeoutSeconds());
  }
  if (!attr.ok()) return reply.Error(attr.status());
  reply.Entry(*attr);
}

void OnForget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup) {
  FuseReply reply(req);
  Fs(req).Forget(ino, nlookup);
  reply.None();
}

void OnForgetMulti(fuse_req_t req, size_t count, fuse_forget_data* forgets) {
  FuseReply reply(req);
  for (size_t i = 0; i < count; ++i) Fs(req).Forget(forgets[i].ino, forgets[i].nlookup);
  reply.None();
}

void OnGetAttr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  FuseReply reply(req);
  auto attr = Fs(req).GetAttr(ino);
  if (!attr.ok()) return reply.Error(attr.status());
  reply.Attr(*attr);
}

void OnSetAttr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  FuseReply reply(req);
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
  request.pid = Ctx(req).pid;
  auto result = Fs(req).SetAttr(ino, request);
  if (!result.ok()) return reply.Error(result.status());
  reply.Attr(*result);
}

void OnMkdir(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode) {
  FuseReply reply(req);
  auto attr = Fs(req).Mkdir(parent, name, mode, Ctx(req));
  if (!attr.ok()) return reply.Error(attr.status());
  reply.Entry(*attr);
}

void OnUnlink(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseReply reply(req);
  reply.Error(Fs(req).Unlink(parent, name));
}

void OnRmdir(fuse_req_t req, fuse_ino_t parent, const char* name) {
  FuseReply reply(req);
  reply.Error(Fs(req).Rmdir(parent, name));
}

void OnRename(fuse_req_t req, fuse_ino_t parent, const char* name, fuse_ino_t new_parent,
              const char* new_name, unsigned int flags) {
  FuseReply reply(req);
  RenameFlags rename_flags;
  rename_flags.no_replace = (flags & kRenameNoReplace) != 0;
  rename_flags.exchange = (flags & kRenameExchange) != 0;
  reply.Error(Fs(req).Rename(parent, name, new_parent, new_name, rename_flags));
}

void OnCreate(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode,
              fuse_file_info* fi) {
  FuseReply reply(req);
  auto created = Fs(req).Create(parent, name, mode, fi->flags, Ctx(req));
  if (!created.ok()) return reply.Error(created.status());
  fi->fh = created->fh;
  fi->keep_cache = 0;
  // Write handles bypass the page cache: a writable shared mmap then fails at
  // mmap() (ENODEV) instead of its page writeback being refused later, unseen.
  fi->direct_io = 1;
  if (reply.Create(created->attr, fi) != 0) {
    // The kernel dropped the request (interrupted): it will never release this handle.
    (void)Fs(req).Release(created->fh);  // errors are logged by Release
  }
}

void OnOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FuseReply reply(req);
  bool keep_cache = false;
  auto fh = Fs(req).Open(ino, fi->flags, Ctx(req), &keep_cache);
  if (!fh.ok()) return reply.Error(fh.status());
  fi->fh = *fh;
  // Else the kernel drops the file's cached pages: the object may have changed.
  fi->keep_cache = keep_cache ? 1 : 0;
  fi->direct_io = (fi->flags & O_ACCMODE) != O_RDONLY;  // see OnCreate
  if (reply.Open(fi) != 0) (void)Fs(req).Release(*fh);  // dropped request; logged by Release
}

void OnRead(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  FuseReply reply(req);
  auto read = Fs(req).ReadInPlace(fi->fh, static_cast<uint64_t>(off), size);
  if (!read.ok()) return reply.Error(read.status());
  reply.Pieces(read->pieces());  // before `read` drops the chunks the pieces point into
}

void OnWrite(fuse_req_t req, fuse_ino_t, const char* data, size_t size, off_t off,
             fuse_file_info* fi) {
  FuseReply reply(req);
  auto written = Fs(req).Write(fi->fh, static_cast<uint64_t>(off), data, size, Ctx(req));
  if (!written.ok()) return reply.Error(written.status());
  reply.Write(*written);
}

void OnFlush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FuseReply reply(req);
  reply.Error(Fs(req).Flush(fi->fh, Ctx(req)));
}

void OnRelease(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FuseReply reply(req);
  // The kernel ignores release errors; Filesystem::Release logs them.
  (void)Fs(req).Release(fi->fh);
  reply.Error(Status::OK());
}

void OnFsync(fuse_req_t req, fuse_ino_t, int, fuse_file_info* fi) {
  FuseReply reply(req);
  reply.Error(Fs(req).Fsync(fi->fh));
}

void OnOpenDir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  FuseReply reply(req);
  auto dh = Fs(req).OpenDir(ino);
  if (!dh.ok()) return reply.Error(dh.status());
  fi->fh = *dh;
  if (reply.Open(fi) != 0) Fs(req).ReleaseDir(*dh);
}

void OnReadDir(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  FuseReply reply(req);
  auto entries = Fs(req).ReadDir(fi->fh);
  if (!entries.ok()) return reply.Error(entries.status());
  std::vector<char> buf(size);
  size_t used = 0;
  const auto& list = **entries;
  for (size_t i = static_cast<size_t>(off); i < list.size(); ++i) {
    struct stat st = {};
    st.st_ino = list[i].ino != 0 ? list[i].ino : kUnknownIno;
    // A mode of 0 gives DT_UNKNOWN: the kernel's caller lstats the entry.
    st.st_mode = list[i].is_dir ? S_IFDIR : (list[i].type_unknown ? 0 : S_IFREG);
    size_t need = fuse_add_direntry(req, buf.data() + used, size - used, list[i].name.c_str(), &st,
                                    static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  reply.Buffer(buf.data(), used);
}

// Like OnReadDir, with each entry's attributes: the batch that fits in `size`
// is sized first, so every lookup ReadDirPlus counts reaches the kernel.
void OnReadDirPlus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  FuseReply reply(req);
  auto entries = Fs(req).ReadDir(fi->fh);
  if (!entries.ok()) return reply.Error(entries.status());
  const auto& list = **entries;
  const size_t first = static_cast<size_t>(off);
  size_t count = 0;
  for (size_t used = 0; first + count < list.size(); ++count) {
    used += fuse_add_direntry_plus(req, nullptr, 0, list[first + count].name.c_str(), nullptr, 0);
    if (used > size) break;
  }
  auto attrs = Fs(req).ReadDirPlus(fi->fh, ino, first, count);
  if (!attrs.ok()) return reply.Error(attrs.status());
  std::vector<char> buf(size);
  size_t used = 0;
  for (size_t i = 0; i < attrs->size(); ++i) {
    const DirEntry& entry = list[first + i];
    fuse_entry_param param = {};
    if (const auto& attr = (*attrs)[i]) {
      param.ino = attr->st_ino;
      param.attr = *attr;
      param.attr_timeout = kAttrTimeoutSeconds;
      param.entry_timeout = kEntryTimeoutSeconds;
    } else {
      // ino 0: the kernel fills in nothing and looks the name up when asked.
      param.attr.st_ino = entry.ino != 0 ? entry.ino : kUnknownIno;
      param.attr.st_mode = entry.is_dir ? S_IFDIR : (entry.type_unknown ? 0 : S_IFREG);
    }
    used += fuse_add_direntry_plus(req, buf.data() + used, size - used, entry.name.c_str(), &param,
                                   static_cast<off_t>(first + i + 1));
  }
  reply.Buffer(buf.data(), used);
}

void OnReleaseDir(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  FuseReply reply(req);
  Fs(req).ReleaseDir(fi->fh);
  reply.Error(Status::OK());
}

void OnStatFs(fuse_req_t req, fuse_ino_t) {
  FuseReply reply(req);
  reply.StatFs(Fs(req).StatFs());
}

void OnSymlink(fuse_req_t req, const char* link, fuse_ino_t parent, const char* name) {
  FuseReply reply(req);
  auto attr = Fs(req).Symlink(link, parent, name, Ctx(req));
  if (!attr.ok()) return reply.Error(attr.status());
  reply.Entry(*attr);
}

void OnReadlink(fuse_req_t req, fuse_ino_t ino) {
  FuseReply reply(req);
  auto target = Fs(req).Readlink(ino);
  if (!target.ok()) return reply.Error(target.status());
  reply.Readlink(*target);
}

void OnLink(fuse_req_t req, fuse_ino_t ino, fuse_ino_t new_parent, const char* new_name) {
  FuseReply reply(req);
  reply.Error(Fs(req).Link(ino, new_parent, new_name));
}

// The caller's supplementary groups (empty when the kernel cannot tell).
std::vector<gid_t> Groups(fuse_req_t req) {
  std::vector<gid_t> groups(32);
  int count = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
  if (count > static_cast<int>(groups.size())) {
    groups.resize(static_cast<size_t>(count));
    count = fuse_req_getgroups(req, count, groups.data());
  }
  if (count < 0) return {};
  groups.resize(std::min(groups.size(), static_cast<size_t>(count)));
  return groups;
}

// With default_permissions (partfs always sets it) the kernel checks mode bits
// itself and never sends access; answered correctly for mounts without it.
void OnAccess(fuse_req_t req, fuse_ino_t ino, int mask) {
  FuseReply reply(req);
  reply.Error(Fs(req).Access(ino, mask, Ctx(req), Groups(req)));
}

void OnFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t offset, off_t length,
                 fuse_file_info* fi) {
  FuseReply reply(req);
  reply.Error(Fs(req).Fallocate(ino, fi->fh, mode, static_cast<uint64_t>(offset),
                                static_cast<uint64_t>(length), Ctx(req).pid));
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
  ops->readdirplus = OnReadDirPlus;
  ops->releasedir = OnReleaseDir;
  ops->statfs = OnStatFs;
  ops->symlink = OnSymlink;
  ops->readlink = OnReadlink;
  ops->link = OnLink;
  ops->access = OnAccess;
  ops->fallocate = OnFallocate;
}

}  // namespace partfs
