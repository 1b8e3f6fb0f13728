// Filesystem: the partfs file system semantics, independent of libfuse.
//
// Objects map to files and "a/b/" key prefixes (common prefixes and "dir/"
// marker objects) to directories, all below the mount's prefix. Writes go to
// FileWriters of the WriteCache (multipart upload while writing); reads are
// ranged GetObjects. The semantics of each operation and its errors are listed
// in docs/SEMANTICS.md; fs/fuse_ops.cc turns the Status values into errno.
//
// Thread-safe: every method may be called from any FUSE worker thread.
//
// Lock order (the one rule; fs/filesystem_io.cc and fs/inode_table.h refer here):
//   FileHandle::mu  ->  Inode::start_mu -> InodeTable::mu_ | Inode::mu | the cache's locks
//   FileHandle::mu  ->  InodeTable::mu_ | Inode::mu | handles_mu_ | the cache's locks
//   Inode::mu       ->  the cache's locks (FileWriter state, journal)
// InodeTable::mu_ and handles_mu_ are leaves: nothing is taken while either is
// held. A handle's mu and Inode::start_mu are the only locks held across a
// cache call or a request (starting a write session: HEAD, StartWrite or
// StartModify, so that two first writes start one version); no fs lock is held
// during Write, Read, Sync, Finish or a reply. DeferredMetadata's mutex may be
// taken under key locks (only the journal and its timer's mutex under it); its
// applies take a key lock themselves and are called with no fs lock and no key
// lock held (its timer, fsync, directory rename, unmount).
// Borrows `store` and `cache` (both must outlive the Filesystem); destroying
// the Filesystem drops every FileWriter it holds, so destroy it before the
// WriteCache.
#ifndef PARTFS_FS_FILESYSTEM_H_
#define PARTFS_FS_FILESYSTEM_H_

#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/logger.h"
#include "base/mutex.h"
#include "base/status.h"
#include "cache/attr_store.h"
#include "cache/write_cache.h"
#include "fs/attr_cache.h"
#include "fs/deferred_metadata.h"
#include "fs/inode_table.h"
#include "fs/read_ahead_pool.h"
#include "fs/read_result.h"
#include "fs/writeback_queue.h"
#include "transfer/object_store.h"

namespace partfs {

struct FilesystemOptions {
  std::string prefix;  // "" or "dir/" (see MountConfig::prefix)
  uid_t uid = 0;       // owner of objects and directories without metadata
  gid_t gid = 0;
  mode_t umask = 022;
  Logger* logger = nullptr;      // must not be null
  Clock* clock = SystemClock();  // mtimes ("now"); must not be null, must outlive the Filesystem
  // Write-back mode when set: close() makes the file durable in the cache and
  // its upload starts this long after the last close (fs/writeback_queue.h);
  // fsync and unmount wait for uploads. Unset: close() completes the upload.
  std::optional<std::chrono::milliseconds> writeback_delay;
  uint32_t writeback_threads = 4;
  size_t writeback_max_files = 512;  // queued files before close() waits
  uint64_t cache_size = 0;           // uploads hurry once half of it is used (0: never)
  // Metadata that survives a remount (may be null: HEAD after every remount).
  AttrStore* attr_store = nullptr;
  // How long attributes and missing names are trusted (fs/attr_cache.h); 0 = off.
  std::chrono::milliseconds stat_ttl{std::chrono::seconds(60)};
  // Files a listing shows without known metadata get attributes from the
  // listing (size, LastModified; the default owner and mode) instead of a
  // HEAD. Possible symlinks (small objects) are still HEADed.
  bool listing_attrs = false;
  // Read-ahead for sequential readers (fs/object_reader.h); must outlive the
  // Filesystem. Null: every read is one ranged GET.
  ReadAheadPool* read_ahead = nullptr;
};

// Who is calling (from the FUSE request).
struct RequestContext {
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t pid = 0;  // thread id of the caller, as the kernel reports it
};

struct SetAttrRequest {
  std::optional<uint64_t> size;
  std::optional<mode_t> mode;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::optional<int64_t> mtime;  // seconds since the epoch (already resolved for "now")
  std::optional<uint64_t> fh;    // the handle ftruncate/futimens came through
  // The caller (thread id): a truncate through a write handle counts as that
  // process writing, so its close() completes the file (see Flush).
  pid_t pid = 0;
};

struct DirEntry {
  std::string name;
  uint64_t ino = 0;  // 0 when the kernel has not looked it up yet
  bool is_dir = false;
  // A small object that may be a symlink (the listing has no metadata): its
  // type is left unknown (DT_UNKNOWN) so that tools lstat it.
  bool type_unknown = false;
};

struct CreateResult {
  struct stat attr;
  uint64_t fh = 0;
};

// renameat2(2) flags, decoded at the FUSE boundary.
struct RenameFlags {
  bool no_replace = false;  // RENAME_NOREPLACE: AlreadyExists when the target exists
  bool exchange = false;    // RENAME_EXCHANGE: not supported (InvalidArgument)
};

class Filesystem {
 public:
  Filesystem(FilesystemOptions options, ObjectStore* store, WriteCache* cache);
  ~Filesystem();
  Filesystem(const Filesystem&) = delete;
  Filesystem& operator=(const Filesystem&) = delete;

  // Namespace (filesystem.cc). Lookup counts one kernel lookup on success.
  Result<struct stat> Lookup(uint64_t parent, const std::string& name);
  void Forget(uint64_t ino, uint64_t nlookup);
  Result<struct stat> GetAttr(uint64_t ino);
  Result<struct stat> SetAttr(uint64_t ino, const SetAttrRequest& request);
  Result<uint64_t> OpenDir(uint64_t ino);
  // The whole listing taken at OpenDir ("." and ".." first); valid until ReleaseDir.
  Result<std::shared_ptr<const std::vector<DirEntry>>> ReadDir(uint64_t dh);
  void ReleaseDir(uint64_t dh);
  // readdirplus (filesystem_dir.cc): attributes of entries [first, first +
  // count) of handle `dh` of directory `dir_ino`, each returned one counted as
  // a kernel lookup. nullopt: no attributes ("." and "..", a name gone since
  // the listing, a failed HEAD); the kernel then looks the name up itself.
  // Files whose attributes are not cached are HEADed in parallel.
  Result<std::vector<std::optional<struct stat>>> ReadDirPlus(uint64_t dh, uint64_t dir_ino,
                                                              size_t first, size_t count);
  Result<struct stat> Mkdir(uint64_t parent, const std::string& name, mode_t mode,
                            const RequestContext& ctx);
  // NotEmpty while the directory holds entries (or a file being written).
  Status Rmdir(uint64_t parent, const std::string& name);
  Status Unlink(uint64_t parent, const std::string& name);
  // Renames a file, or a directory with every key below it (journaled, rolled
  // forward after a crash). Errors as rename(2): docs/SEMANTICS.md "rename".
  Status Rename(uint64_t parent, const std::string& name, uint64_t new_parent,
                const std::string& new_name, RenameFlags flags);
  struct statvfs StatFs() const;
  // How long the kernel may cache a lookup's "no such name" (0: not at all).
  double NegativeTimeoutSeconds() const {
    return options_.stat_ttl.count() > 0 ? std::min(1.0, options_.stat_ttl.count() / 1000.0) : 0;
  }
  // The wall time (seconds since the epoch) of the mount's clock, e.g. for utimens' UTIME_NOW.
  int64_t Now() const { return options_.clock->WallSeconds(); }

  // Symlinks, hard links, access, fallocate (filesystem_links.cc).
  // symlink(2): one PutObject of the target with s3fs's metadata (mode
  // S_IFLNK|0777); AlreadyExists when the name is taken, NameTooLong over 4095 bytes.
  Result<struct stat> Symlink(const std::string& target, uint64_t parent, const std::string& name,
                              const RequestContext& ctx);
  // The target: one GetObject of the link's body.
  Result<std::string> Readlink(uint64_t ino);
  // Hard links: objects have one name, so always NotPermitted (EPERM).
  Status Link(uint64_t ino, uint64_t new_parent, const std::string& new_name);
  // access(2): F_OK is existence; R/W/X_OK are checked against mode, uid and
  // gid (`groups`: the caller's supplementary groups).
  Status Access(uint64_t ino, int mask, const RequestContext& ctx,
                const std::vector<gid_t>& groups);
  // fallocate(2) through the open handle `fh`: mode 0 grows the file like
  // ftruncate (no-op within its size); other modes are NotSupported.
  Status Fallocate(uint64_t ino, uint64_t fh, int mode, uint64_t offset, uint64_t length,
                   pid_t pid = 0);

  // File I/O (filesystem_io.cc). `flags` are open(2) flags.
  Result<CreateResult> Create(uint64_t parent, const std::string& name, mode_t mode, int flags,
                              const RequestContext& ctx);
  // *keep_cache (when not null): true when the kernel may keep the file's
  // cached pages, a read-only open of an object the same as at the previous
  // read-only open (fresh attributes say so, this mount did not change it).
  Result<uint64_t> Open(uint64_t ino, int flags, const RequestContext& ctx,
                        bool* keep_cache = nullptr);
  Result<size_t> Read(uint64_t fh, uint64_t offset, size_t size, char* buf);
  // Read without the copy: bytes read ahead stay in their chunk (fs/read_result.h).
  Result<ReadResult> ReadInPlace(uint64_t fh, uint64_t offset, size_t size);
  Result<size_t> Write(uint64_t fh, uint64_t offset, const char* data, size_t size,
                       const RequestContext& ctx);
  Status Flush(uint64_t fh, const RequestContext& ctx);
  // Honest mode: full parts uploaded, the rest durable in the cache; for a
  // closed file, its deferred metadata change copied onto the object.
  // Write-back mode: the upload completed (the object exists).
  Status Fsync(uint64_t fh);
  Status Release(uint64_t fh);

  // At unmount: completes the queued uploads of write-back mode (honest mode:
  // copies the deferred metadata changes), makes
  // unfinished writes durable in the cache (Sync) so the next mount's recovery
  // completes them, then drops every handle.
  void Shutdown();
  // Write-back mode: uploads queued or running (0 otherwise).
  WritebackQueue::Stats WritebackStats() const;
  // Deferred metadata changes waiting to be copied onto their objects.
  WritebackQueue::Stats PendingMetadataStats() const;

 private:
  struct FileHandle;
  struct DirHandle;

  std::string KeyFor(const std::string& path) const { return options_.prefix + path; }
  // For a read-only open: whether the object is the version `inode` last
  // recorded for a read-only open; records the version seen now.
  bool SameVersionAsLastRead(Inode& inode, const std::string& path);
  // A file a crash left unfinished is absent or stale in the bucket until the
  // cache's recovery completes it. Waits for that at most `timeout`; true when
  // recovery of the file is still running afterwards.
  bool AwaitRecovery(const std::string& path, std::chrono::milliseconds timeout);
  // Attributes of a file still being recovered, from its journal record, after
  // a short wait (a lookup never holds a FUSE thread for long); nullopt when
  // the file is not being recovered.
  std::optional<struct stat> RecoveringAttr(uint64_t ino, const std::string& path);
  // Key prefix listing the children of directory `path`.
  std::string DirPrefix(const std::string& path) const;
  Result<std::string> ChildPath(uint64_t parent, const std::string& name) const;
  struct stat DirAttr(uint64_t ino) const;
  struct stat ObjectAttr(uint64_t ino, const ObjectInfo& info) const;
  struct stat SessionAttr(uint64_t ino, const WriteSession& session) const;
  // What `path` names in the bucket, from the attribute cache or else with a
  // HEAD of the file and a LIST of "path/" in parallel (one round trip); the
  // answer is cached. Files being written are the caller's business.
  struct PathKind;
  Result<PathKind> ProbePath(const std::string& path);
  // HeadObject of `path`, showing a deferred metadata change of that version.
  Result<ObjectInfo> HeadFile(const std::string& path);
  // After a session's upload completed: its attributes, known without a HEAD.
  void NoteFinished(uint64_t ino, const WriteSession& session);
  // Caches the attributes of `path` (a HEAD, a finished upload) and persists
  // its metadata with the ETag in the AttrStore.
  void RememberAttrs(const std::string& path, const ObjectInfo& info);
  // A listed file whose metadata the AttrStore has at the listed ETag and size
  // goes into the attribute cache as if HEAD had returned it; with
  // listing_attrs, any other listed file too, without metadata.
  void AdoptPersistedAttrs(const std::string& path, const ListedObject& object);
  // The HEAD of `path`, a file a listing showed (filesystem_dir.cc). When the
  // lookups walk its directory (ls -l, rsync, find -type: the previous one was
  // a sibling, within a second), the next listed siblings are HEADed in the
  // same round trip and cached.
  Result<ObjectInfo> HeadListedFile(const std::string& path);
  // Notes a HEAD of a listed file in `dir`; true when the previous one was in
  // the same directory within a second.
  bool WalkingDirectory(const std::string& dir);
  // Lists directory `dir` (a few pages at most) into the attribute cache, so
  // that lookups of its other names need no request.
  void CacheDirectoryListing(const std::string& dir);
  Result<struct stat> AttrForPath(uint64_t ino, const std::string& path, bool is_dir,
                                  const std::shared_ptr<Inode>& inode);
  Result<struct stat> SetObjectMetadata(uint64_t ino, const std::string& path,
                                        const SetAttrRequest& request);
  // AlreadyExists when `path` names a file (in the bucket, being written or
  // recovered) or a known directory: one HeadObject (O_EXCL create, symlink).
  Status RefuseExisting(const std::string& path);
  // What a path names: a file (being written, or in the bucket with its HEAD),
  // a directory, or nothing.
  struct PathKind {
    enum Kind { kNone, kFile, kDir } kind = kNone;
    std::optional<ObjectInfo> info;  // HEAD of a file in the bucket
  };
  Result<PathKind> KindOf(const std::string& path);
  // `info`: the source's HEAD when the caller has it (saves a request).
  Status RenameFile(const std::string& from, const std::string& to, std::optional<ObjectInfo> info);
  Status RenameDirectory(const std::string& from, const std::string& to, RenameFlags flags);
  // OK when directory `path` holds nothing but its own marker; else NotEmpty.
  Status CheckEmptyDirectory(const std::string& path);

  // filesystem_io.cc helpers.
  std::shared_ptr<FileHandle> GetHandle(uint64_t fh) const;
  uint64_t AddHandle(std::shared_ptr<FileHandle> handle);
  // A new write session of `path` for `handle`: an empty version, or with
  // `base` (the object's HEAD) an in-place change of it (StartModify), or
  // `exclusive` (O_EXCL) an empty version completed only if the key has no
  // object (StartExclusiveWrite).
  Status StartSession(FileHandle& handle, const std::string& path, UserMetadata metadata,
                      const ObjectInfo* base = nullptr, bool exclusive = false);
  // The unfinished write session a write through `handle` goes to: the
  // handle's, else the inode's (another handle started it), else a new one:
  // `replace` starts an empty version (truncate to 0), otherwise an in-place
  // change of the current object (an empty or missing object starts empty).
  Result<std::shared_ptr<WriteSession>> WriteSessionFor(FileHandle& handle, bool replace);
  // Completes `session`'s version now (the file stays open): the bytes asked
  // for were only in its unfinished upload. The next write starts a new one.
  Status Checkpoint(const std::shared_ptr<WriteSession>& session);
  void AttachSession(FileHandle& handle, const std::shared_ptr<WriteSession>& session);
  // The inode's session while its writer is unfinished, else null.
  static std::shared_ptr<WriteSession> OpenSession(Inode& inode);
  // truncate(2) of a file nobody writes: an in-place change cut or grown to `size`.
  Status TruncateClosedFile(const std::string& path, const ObjectInfo& info, uint64_t size);
  Status FinishSession(FileHandle& handle, bool from_release);
  // Write-back mode (filesystem_writeback.cc). Flush: the handle's session
  // durable in the cache, with the close-time mtime.
  Status PersistSession(Inode& inode, const std::shared_ptr<WriteSession>& session);
  // The last release: queues the upload of `session` (pins the inode).
  void QueueUpload(const std::shared_ptr<Inode>& inode,
                   const std::shared_ptr<WriteSession>& session);
  // The queued task: completes the upload unless a writer opened the file again.
  void RunQueuedUpload(const std::shared_ptr<Inode>& inode,
                       const std::shared_ptr<WriteSession>& session);
  // Sets the close time as the mtime unless utimens chose one (and the upload
  // was not created yet: then it would cost a copy).
  void SetCloseTime(Inode& inode, WriteSession& session);
  bool IsWritingProcess(const FileHandle& handle, pid_t pid) const;
  void NoteWriter(FileHandle& handle, pid_t pid);
  // Metadata of a new file or directory (`type` S_IFREG or S_IFDIR): mode, owner, now.
  UserMetadata NewMetadata(mode_t type, mode_t mode, const RequestContext& ctx) const;
  Status TruncateOpenFile(uint64_t ino, const SetAttrRequest& request, bool* handled);

  const FilesystemOptions options_;
  ObjectStore* const store_;
  WriteCache* const cache_;
  Logger* const logger_;
  const int64_t mount_time_;
  InodeTable inodes_;
  AttrCache attrs_;

  Mutex walk_mu_;  // leaf
  std::string walk_dir_ GUARDED_BY(walk_mu_);
  std::chrono::steady_clock::time_point walk_at_ GUARDED_BY(walk_mu_);
  mutable Mutex handles_mu_;
  std::map<uint64_t, std::shared_ptr<FileHandle>> files_ GUARDED_BY(handles_mu_);
  std::map<uint64_t, std::shared_ptr<const std::vector<DirEntry>>> dirs_ GUARDED_BY(handles_mu_);
  uint64_t next_handle_ GUARDED_BY(handles_mu_) = 1;
  // Write-back mode only; it stops (its tasks use the members above) before them.
  std::unique_ptr<WritebackQueue> writeback_;
  // Deferred metadata changes: made by honest mode only (write-back mode
  // carries metadata in its queued uploads), applied in both. Never null.
  std::unique_ptr<DeferredMetadata> deferred_;
};

}  // namespace partfs

#endif  // PARTFS_FS_FILESYSTEM_H_
