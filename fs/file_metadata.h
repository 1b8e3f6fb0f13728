// FileMetadata: mode, owner and mtime of a file as stored in an object's user
// metadata, with s3fs-compatible names ("mode", "uid", "gid", "mtime", decimal
// strings; mode holds the full st_mode). Pure functions, thread-compatible.
#ifndef PARTFS_FS_FILE_METADATA_H_
#define PARTFS_FS_FILE_METADATA_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "transfer/object_store.h"

namespace partfs {

struct FileMetadata {
  std::optional<mode_t> mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<int64_t> mtime;  // seconds since the epoch
};

// True when the stored mode says symlink (s3fs: body = target, mode S_IFLNK|0777).
inline bool IsSymlink(const FileMetadata& fields) { return fields.mode && S_ISLNK(*fields.mode); }

// PATH_MAX less its terminating NUL: the longest target symlink(2) accepts.
constexpr size_t kMaxSymlinkTarget = 4095;
// Whether an object of `size` bytes could hold a symlink target.
inline bool MayBeSymlinkBody(uint64_t size) { return size > 0 && size <= kMaxSymlinkTarget; }

// Reads the known names (case-insensitively); malformed values are ignored.
FileMetadata ParseFileMetadata(const UserMetadata& metadata);
// Writes the set fields into `metadata`, keeping other entries.
void StoreFileMetadata(const FileMetadata& fields, UserMetadata* metadata);

}  // namespace partfs

#endif  // PARTFS_FS_FILE_METADATA_H_
