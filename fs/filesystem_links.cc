// Filesystem: symlinks (stored the way s3fs stores them, so buckets stay
// interchangeable: body = target, x-amz-meta-mode = S_IFLNK|0777 in decimal),
// hard links (refused), access(2) and fallocate(2).
//
// Lock order: see fs/filesystem.h. Inode::mu is taken (in RefuseExisting)
// before, never under, a key lock.
#include <cstdint>
#include <string>
#include <vector>

#include "fs/access_check.h"
#include "fs/file_metadata.h"
#include "fs/filesystem.h"

namespace partfs {

Status Filesystem::RefuseExisting(const std::string& path) {
  if (auto known = inodes_.Find(path)) {
    if (known->is_dir) return Status::AlreadyExists("a directory exists at " + path);
    MutexLock lock(&known->mu);
    if (known->session && !known->session->writer->Finished()) {
      return Status::AlreadyExists("a file is being written at " + path);
    }
  }
  const std::string key = KeyFor(path);
  // A crashed or failed upload still in the cache will land: the name is taken.
  if (cache_->RecoveryPendingFor(key)) {
    return Status::AlreadyExists("a file is being recovered at " + path);
  }
  auto info = store_->HeadObject(key);
  if (info.ok()) return Status::AlreadyExists("file exists: " + path);
  if (!info.status().IsNotFound()) return info.status();
  return Status::OK();
}

Result<struct stat> Filesystem::Symlink(const std::string& target, uint64_t parent,
                                        const std::string& name, const RequestContext& ctx) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  if (target.empty()) return Status::NotFound("empty symlink target");
  if (target.size() > kMaxSymlinkTarget) {
    return Status::NameTooLong("symlink target longer than 4095 bytes");
  }
  PARTFS_RETURN_IF_ERROR(RefuseExisting(*path));
  UserMetadata metadata = NewMetadata(S_IFLNK, 0777, ctx);
  const std::string key = KeyFor(*path);
  {
    auto guard = cache_->LockKey(key);
    auto put = store_->PutObjectFromString(key, target, metadata);
    if (!put.ok()) return put.status();
  }
  // An inode left at this path (a file removed by another client) must not
  // change type under the kernel: the link gets a new one.
  inodes_.Unlink(*path);
  attrs_.Forget(*path);
  auto inode = inodes_.Lookup(*path, /*is_dir=*/false);
  ObjectInfo info;
  info.size = target.size();
  info.user_metadata = std::move(metadata);
  info.last_modified = Now();
  return ObjectAttr(inode->ino, info);
}

Result<std::string> Filesystem::Readlink(uint64_t ino) {
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode " + std::to_string(ino));
  if (ref->inode->is_dir) return Status::InvalidArgument("not a symlink: " + ref->path);
  // One byte more than the limit tells a too long body from one at the limit.
  std::string target(kMaxSymlinkTarget + 1, '\0');
  auto read = store_->GetObject(KeyFor(ref->path), 0, target.size(), target.data());
  if (!read.ok()) return read.status();
  if (*read > kMaxSymlinkTarget) {
    return Status::NameTooLong("symlink object " + ref->path + " is longer than 4095 bytes");
  }
  target.resize(*read);
  return target;
}

Status Filesystem::Link(uint64_t /*ino*/, uint64_t /*new_parent*/, const std::string& new_name) {
  return Status::NotPermitted("hard links are not supported (an object has one name): " + new_name);
}

Status Filesystem::Access(uint64_t ino, int mask, const RequestContext& ctx,
                          const std::vector<gid_t>& groups) {
  auto attr = GetAttr(ino);
  if (!attr.ok()) return attr.status();
  AccessCaller caller{ctx.uid, ctx.gid, groups};
  if (!AccessAllowed(*attr, mask, caller)) {
    return Status::PermissionDenied("access mask " + std::to_string(mask) + " denied for uid " +
                                    std::to_string(ctx.uid));
  }
  return Status::OK();
}

Status Filesystem::Fallocate(uint64_t ino, uint64_t fh, int mode, uint64_t offset, uint64_t length,
                             pid_t pid) {
  // Object storage has no blocks to reserve, holes to punch or ranges to zero
  // in place: only growing the size is meaningful.
  if (mode != 0) {
    return Status::NotSupported("fallocate mode " + std::to_string(mode) +
                                " is not supported (only mode 0)");
  }
  if (length == 0) return Status::InvalidArgument("fallocate of length 0");
  if (offset > UINT64_MAX - length) return Status::TooLarge("fallocate range overflows");
  auto attr = GetAttr(ino);
  if (!attr.ok()) return attr.status();
  const uint64_t end = offset + length;
  if (end <= static_cast<uint64_t>(attr->st_size)) return Status::OK();
  // Growth is ftruncate through the same handle.
  SetAttrRequest request;
  request.size = end;
  request.fh = fh;
  request.pid = pid;
  return SetAttr(ino, request).status();
}

}  // namespace partfs
