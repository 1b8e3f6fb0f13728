// Filesystem: namespace operations (lookup, attributes, directories, rename, unlink).
// File I/O lives in filesystem_io.cc.
#include "fs/filesystem.h"

#include <cassert>
#include <chrono>
#include <future>
#include <set>

#include "fs/file_metadata.h"

namespace partfs {

namespace {

constexpr size_t kMaxKeyLength = 1024;     // S3's limit on object key bytes
constexpr blksize_t kBlockSize = 1 << 20;  // hint for large application I/O
// How long a lookup/stat waits for the crash recovery of its file before it
// answers from the journal record: FUSE threads are few, recovery may be long.
constexpr std::chrono::seconds kRecoveryStatWait{1};

// Most pages one directory listing may take (1000 entries each: 10^9 entries).
constexpr uint64_t kMaxListPages = 1000000;
// Most pages a lookup lists of its parent directory to answer its siblings.
constexpr int kLookupListPages = 3;

// Runs `fn` for every page of a delimited listing of `prefix`. A server that
// hands out a continuation token it gave before (it would loop forever) or more
// than kMaxListPages pages gets an IOError instead.
template <typename Fn>
Status ForEachPage(ObjectStore& store, const std::string& prefix, Fn fn) {
  std::string token;
  std::set<std::string> seen_tokens;
  for (uint64_t pages = 1;; ++pages) {
    auto page = store.ListObjects(prefix, "/", token, 0);
    if (!page.ok()) return page.status();
    fn(*page);
    if (!page->truncated || page->next_continuation_token.empty()) return Status::OK();
    token = page->next_continuation_token;
    if (!seen_tokens.insert(token).second) {
      return Status::IOError("listing '" + prefix +
                             "': the server repeated a continuation token after " +
                             std::to_string(pages) + " page(s); stopped instead of looping");
    }
    if (pages >= kMaxListPages) {
      return Status::IOError("listing '" + prefix + "': more than " +
                             std::to_string(kMaxListPages) + " pages; stopped");
    }
  }
}

}  // namespace

Filesystem::Filesystem(FilesystemOptions options, ObjectStore* store, WriteCache* cache)
    : options_(std::move(options)),
      store_(store),
      cache_(cache),
      logger_(options_.logger),
      mount_time_(Now()),
      attrs_(options_.stat_ttl, options_.clock) {
  if (options_.writeback_delay) {
    WritebackQueue::Options queue;
    queue.delay = *options_.writeback_delay;
    queue.threads = options_.writeback_threads;
    queue.capacity = options_.writeback_max_files;
    if (options_.cache_size > 0) {
      queue.pressure = [this] { return cache_->CachedBytes() * 2 > options_.cache_size; };
    }
    writeback_ = std::make_unique<WritebackQueue>(std::move(queue));
  }
  {
    // Write-back mode makes no deferred changes of its own but applies (and
    // respects) those an honest mount left in the journal.
    DeferredMetadata::Options deferred;
    deferred.logger = logger_;
    deferred.on_applied = [this](const std::string& key, const ObjectInfo& info) {
      // The copy may change the ETag (multipart copy): persist the new one.
      if (key.compare(0, options_.prefix.size(), options_.prefix) == 0) {
        RememberAttrs(key.substr(options_.prefix.size()), info);
      }
    };
    deferred_ = std::make_unique<DeferredMetadata>(std::move(deferred), store_, cache_);
  }
}

Filesystem::~Filesystem() {
  deferred_.reset();  // its timer calls back into the members below
  MutexLock lock(&handles_mu_);
  files_.clear();
  dirs_.clear();
}

bool Filesystem::AwaitRecovery(const std::string& path, std::chrono::milliseconds timeout) {
  const std::string key = KeyFor(path);
  if (!cache_->RecoveryPendingFor(key)) return false;
  logger_->Info("waiting for the recovery of " + key);
  cache_->WaitForRecoveryOf(key, timeout);
  return cache_->RecoveryPendingFor(key);
}

std::optional<struct stat> Filesystem::RecoveringAttr(uint64_t ino, const std::string& path) {
  if (!AwaitRecovery(path, kRecoveryStatWait)) return std::nullopt;
  auto record = cache_->RecoveringRecord(KeyFor(path));
  if (!record) return std::nullopt;
  ObjectInfo info;
  info.size = std::max(record->accepted_size, record->size);
  info.user_metadata = record->metadata;
  info.last_modified = record->updated_at;
  return ObjectAttr(ino, info);
}

std::string Filesystem::DirPrefix(const std::string& path) const {
  return path.empty() ? options_.prefix : options_.prefix + path + "/";
}

Result<std::string> Filesystem::ChildPath(uint64_t parent, const std::string& name) const {
  auto ref = inodes_.Get(parent);
  if (!ref) return Status::NotFound("unknown directory inode " + std::to_string(parent));
  if (!ref->inode->is_dir) return Status::InvalidArgument("not a directory");
  if (name.empty() || name == "." || name == "..") {
    return Status::InvalidArgument("invalid name '" + name + "'");
  }
  std::string path = ref->path.empty() ? name : ref->path + "/" + name;
  if (options_.prefix.size() + path.size() + 1 > kMaxKeyLength) {
    return Status::InvalidArgument("object key longer than 1024 bytes");
  }
  return path;
}

struct stat Filesystem::DirAttr(uint64_t ino) const {
  struct stat st = {};
  st.st_ino = ino;
  st.st_mode = S_IFDIR | (0777 & ~options_.umask);
  st.st_nlink = 2;
  st.st_uid = options_.uid;
  st.st_gid = options_.gid;
  st.st_blksize = kBlockSize;
  st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = mount_time_;
  return st;
}

struct stat Filesystem::ObjectAttr(uint64_t ino, const ObjectInfo& info) const {
  FileMetadata meta = ParseFileMetadata(info.user_metadata);
  struct stat st = {};
  st.st_ino = ino;
  mode_t perms = meta.mode ? (*meta.mode & 07777) : (0666 & ~options_.umask);
  // A symlink's size is its target's length (the body), as lstat(2) reports it.
  st.st_mode = IsSymlink(meta) ? (S_IFLNK | 0777) : (S_IFREG | perms);
  st.st_nlink = 1;
  st.st_uid = meta.uid.value_or(options_.uid);
  st.st_gid = meta.gid.value_or(options_.gid);
  st.st_size = static_cast<off_t>(info.size);
  st.st_blocks = static_cast<blkcnt_t>((info.size + 511) / 512);
  st.st_blksize = kBlockSize;
  int64_t mtime = meta.mtime.value_or(info.last_modified);
  st.st_mtim.tv_sec = st.st_ctim.tv_sec = st.st_atim.tv_sec = mtime;
  return st;
}

struct stat Filesystem::SessionAttr(uint64_t ino, const WriteSession& session) const {
  ObjectInfo info;
  info.size = session.writer->Size();
  info.user_metadata = session.metadata;
  info.last_modified = Now();
  return ObjectAttr(ino, info);
}

Result<struct stat> Filesystem::AttrForPath(uint64_t ino, const std::string& path, bool is_dir,
                                            const std::shared_ptr<Inode>& inode) {
  if (is_dir) return DirAttr(ino);
  if (inode) {
    MutexLock lock(&inode->mu);
    if (inode->session) return SessionAttr(ino, *inode->session);
  }
  if (auto attr = RecoveringAttr(ino, path)) return *attr;
  if (auto cached = attrs_.Get(path);
      cached && cached->kind == AttrCache::Entry::kFile && cached->info) {
    return ObjectAttr(ino, *cached->info);
  }
  auto info = HeadFile(path);
  if (!info.ok()) {
    if (info.status().IsNotFound()) attrs_.PutMissing(path);
    return info.status();
  }
  RememberAttrs(path, *info);
  return ObjectAttr(ino, *info);
}

void Filesystem::RememberAttrs(const std::string& path, const ObjectInfo& info) {
  attrs_.PutFile(path, info);
  if (options_.attr_store != nullptr && attrs_.enabled()) {
    options_.attr_store->Put(KeyFor(path), StripEtagQuotes(info.etag), info.size,
                             info.user_metadata);
  }
}

void Filesystem::AdoptPersistedAttrs(const std::string& path, const ListedObject& object) {
  std::optional<UserMetadata> metadata;
  if (options_.attr_store != nullptr) {
    metadata = options_.attr_store->Find(KeyFor(path), StripEtagQuotes(object.etag), object.size);
  }
  if (!metadata && !(options_.listing_attrs && !MayBeSymlinkBody(object.size))) return;
  ObjectInfo info;
  info.size = object.size;
  info.etag = object.etag;
  info.last_modified = object.last_modified;
  if (metadata) info.user_metadata = std::move(*metadata);
  attrs_.PutFileIfUnknown(path, info);
}

void Filesystem::CacheDirectoryListing(const std::string& dir) {
  const std::string prefix = DirPrefix(dir);
  std::set<std::string> files, dirs;
  std::vector<ListedObject> objects;
  std::string token;
  for (int page = 0;; ++page) {
    if (page == kLookupListPages) {
      attrs_.PutTooLargeToList(dir);
      return;
    }
    auto listed = store_->ListObjects(prefix, "/", token, 0);
    if (!listed.ok()) return;  // only a shortcut: the lookup asks for itself
    for (const std::string& common : listed->common_prefixes) {
      std::string name = common.substr(prefix.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (!name.empty()) dirs.insert(name);
    }
    for (ListedObject& object : listed->objects) {
      std::string name = object.key.substr(prefix.size());
      if (name.empty()) continue;  // the directory's own marker
      files.insert(name);
      objects.push_back(std::move(object));
    }
    if (!listed->truncated || listed->next_continuation_token.empty()) break;
    token = listed->next_continuation_token;
  }
  // Files being written are not in the bucket yet.
  for (auto& [path, inode] : inodes_.Below(dir, /*direct_only=*/true)) {
    files.insert(path.substr(dir.empty() ? 0 : dir.size() + 1));
  }
  attrs_.PutListing(dir, std::move(files), std::move(dirs));
  for (const ListedObject& object : objects) {
    AdoptPersistedAttrs(object.key.substr(options_.prefix.size()), object);
  }
}

Result<Filesystem::PathKind> Filesystem::ProbePath(const std::string& path) {
  PathKind result;
  // A file found by HEAD: cached and persisted with its attributes.
  auto file_from_head = [&](ObjectInfo info) {
    RememberAttrs(path, info);
    result.kind = PathKind::kFile;
    result.info = std::move(info);
    return result;
  };
  if (auto cached = attrs_.Get(path)) {
    if (cached->kind == AttrCache::Entry::kFile && !cached->info) {
      // Listed as a file: only its metadata is unknown, one HEAD (ls -l).
      auto info = HeadListedFile(path);
      if (info.ok()) return file_from_head(std::move(*info));
      if (!info.status().IsNotFound()) return info.status();
      attrs_.Forget(path, /*gone=*/true);  // gone since the listing: ask afresh
    } else if (cached->kind == AttrCache::Entry::kFile) {
      result.kind = PathKind::kFile;
      result.info = cached->info;
    } else if (cached->kind == AttrCache::Entry::kDir) {
      result.kind = PathKind::kDir;
    }
    if (result.kind != PathKind::kNone || inodes_.Below(path, false).empty()) return result;
  }
  // The file and the "path/" prefix are asked in parallel: one round trip.
  // The parent directory is listed alongside (once per stat_ttl), so that
  // lookups of its other names (rsync, ls -l, cp -r) need no request.
  const size_t slash = path.rfind('/');
  const std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
  std::future<void> listing;
  if (attrs_.enabled() && !attrs_.HasListing(parent)) {
    listing = std::async(std::launch::async, [this, parent] { CacheDirectoryListing(parent); });
  }
  auto listed = std::async(std::launch::async, [this, &path] {
    return store_->ListObjects(DirPrefix(path), "/", "", 1);
  });
  auto info = HeadFile(path);
  auto page = listed.get();
  if (listing.valid()) listing.get();
  if (info.ok()) return file_from_head(std::move(*info));
  if (!info.status().IsNotFound()) return info.status();
  if (!page.ok()) return page.status();
  const bool is_dir = !page->objects.empty() || !page->common_prefixes.empty() ||
                      !inodes_.Below(path, /*direct_only=*/false).empty();
  if (is_dir) {
    result.kind = PathKind::kDir;
    attrs_.PutDir(path);
  } else {
    attrs_.PutMissing(path);
  }
  return result;
}

Result<ObjectInfo> Filesystem::HeadFile(const std::string& path) {
  auto info = store_->HeadObject(KeyFor(path));
  if (info.ok() && deferred_) {
    if (auto change = deferred_->Find(KeyFor(path)); change && change->AppliesTo(*info)) {
      info->user_metadata = change->metadata;
    }
  }
  return info;
}

void Filesystem::NoteFinished(uint64_t ino, const WriteSession& session) {
  auto ref = inodes_.Get(ino);
  if (!ref || !ref->linked || !session.writer->Finished()) return;
  // The new version started from a deferred metadata change and carries it.
  if (deferred_) deferred_->DropUnlessFor(KeyFor(ref->path), session.writer->ObjectEtag());
  ObjectInfo info;
  info.size = session.writer->Size();
  info.user_metadata = session.metadata;
  info.last_modified = Now();
  info.etag = session.writer->ObjectEtag();
  RememberAttrs(ref->path, info);
}

Result<struct stat> Filesystem::Lookup(uint64_t parent, const std::string& name) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  // A file being written (not in the bucket yet) answers from its writer.
  if (auto known = inodes_.Find(*path); known && !known->is_dir) {
    std::optional<struct stat> attr;
    {
      MutexLock lock(&known->mu);
      if (known->session) attr = SessionAttr(known->ino, *known->session);
    }
    if (attr) {
      inodes_.Lookup(*path, /*is_dir=*/false);  // counts the lookup (lock order: table first)
      return *attr;
    }
  }
  if (cache_->RecoveryPendingFor(KeyFor(*path))) {
    auto inode = inodes_.Lookup(*path, /*is_dir=*/false);
    if (auto attr = RecoveringAttr(inode->ino, *path)) return *attr;
    inodes_.Forget(inode->ino, 1);  // recovered meanwhile: look at the bucket
  }
  auto kind = ProbePath(*path);
  if (!kind.ok()) return kind.status();
  if (kind->kind == PathKind::kNone) return Status::NotFound("no such file or directory: " + *path);
  auto inode = inodes_.Lookup(*path, /*is_dir=*/kind->kind == PathKind::kDir);
  if (kind->kind == PathKind::kDir) return DirAttr(inode->ino);
  return ObjectAttr(inode->ino, *kind->info);
}

void Filesystem::Forget(uint64_t ino, uint64_t nlookup) {
  std::optional<uint64_t> had = inodes_.Forget(ino, nlookup);
  if (!had) return;
  logger_->Error("inode table: forget of " + std::to_string(nlookup) + " lookup(s) of inode " +
                 std::to_string(ino) + " which had " + std::to_string(*had) +
                 "; lookup count clamped to 0");
  assert(false && "forget exceeded the inode's lookup count");
}

Result<struct stat> Filesystem::GetAttr(uint64_t ino) {
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode " + std::to_string(ino));
  return AttrForPath(ino, ref->path, ref->inode->is_dir, ref->inode);
}

Result<struct stat> Filesystem::SetAttr(uint64_t ino, const SetAttrRequest& request) {
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode " + std::to_string(ino));
  // Directories are key prefixes without attributes of their own: mode, owner
  // and times are accepted and not stored (documented in docs/SEMANTICS.md).
  if (ref->inode->is_dir) {
    if (request.size) return Status::InvalidArgument("cannot truncate a directory");
    return DirAttr(ino);
  }
  if (request.size) {
    bool handled = false;
    PARTFS_RETURN_IF_ERROR(TruncateOpenFile(ino, request, &handled));
    if (!handled) {
      auto info = HeadFile(ref->path);
      if (!info.ok()) return info.status();
      attrs_.Forget(ref->path);
      if (info->size != *request.size && *request.size != 0) {
        PARTFS_RETURN_IF_ERROR(TruncateClosedFile(ref->path, *info, *request.size));
      } else if (info->size != *request.size) {
        UserMetadata metadata = info->user_metadata;
        FileMetadata fields;
        fields.mtime = Now();
        StoreFileMetadata(fields, &metadata);
        // A newer (empty) version: pending older versions must never land after it.
        auto guard = cache_->LockKey(KeyFor(ref->path));
        PARTFS_RETURN_IF_ERROR(cache_->RetireKey(KeyFor(ref->path)));
        auto put = store_->PutObjectFromString(KeyFor(ref->path), "", metadata);
        if (!put.ok()) return put.status();
      }
      // The new version carries any deferred metadata change.
      if (deferred_) deferred_->Drop(KeyFor(ref->path));
    }
  }
  if (request.mode || request.uid || request.gid || request.mtime) {
    std::shared_ptr<WriteSession> session;
    {
      MutexLock lock(&ref->inode->mu);
      session = ref->inode->session;
      if (session && !session->writer->Finished()) {
        FileMetadata fields;
        if (request.mode) fields.mode = S_IFREG | (*request.mode & 07777);
        fields.uid = request.uid;
        fields.gid = request.gid;
        fields.mtime = request.mtime;
        if (request.mtime) session->mtime_explicit = true;
        StoreFileMetadata(fields, &session->metadata);
        // Refused when the upload completed meanwhile (e.g. by a concurrent
        // release): the completed object then gets the change below.
        if (session->writer->SetMetadata(session->metadata)) return SessionAttr(ino, *session);
      }
    }
    return SetObjectMetadata(ino, ref->path, request);
  }
  return GetAttr(ino);
}

// chmod/chown/utimens of a completed object: a copy onto itself with the new
// metadata (S3 has no other way to change metadata); multipart above 5 GiB.
// Honest mode defers the copy (fs/deferred_metadata.h): the change is
// journaled for the object's ETag, shown at once and copied about a second
// later, or merged into a following rename's copy (rsync).
Result<struct stat> Filesystem::SetObjectMetadata(uint64_t ino, const std::string& path,
                                                  const SetAttrRequest& request) {
  std::string key = KeyFor(path);
  // The copy must not land between a newer completion and its metadata.
  auto guard = cache_->LockKey(key);
  std::optional<ObjectInfo> known;
  if (auto cached = attrs_.Get(path); !writeback_ && cached &&
                                      cached->kind == AttrCache::Entry::kFile && cached->info &&
                                      !cached->info->etag.empty()) {
    known = cached->info;  // a deferred change needs the ETag and size: no HEAD
  }
  auto info = known ? Result<ObjectInfo>(std::move(*known)) : HeadFile(path);
  if (!info.ok()) return info.status();
  FileMetadata current = ParseFileMetadata(info->user_metadata);
  FileMetadata fields;
  fields.mode = S_IFREG | (request.mode ? (*request.mode & 07777)
                                        : current.mode.value_or(0666 & ~options_.umask) & 07777);
  // lchown and lutimes (tar, rsync -a, cp -a) reach a symlink: it stays one.
  if (IsSymlink(current)) fields.mode = S_IFLNK | 0777;
  fields.uid = request.uid ? request.uid : current.uid;
  fields.gid = request.gid ? request.gid : current.gid;
  fields.mtime = request.mtime ? request.mtime : current.mtime.value_or(info->last_modified);
  UserMetadata metadata = info->user_metadata;
  StoreFileMetadata(fields, &metadata);
  if (!writeback_) {
    DeferredMetadata::Change change{info->etag, info->size, metadata};
    PARTFS_RETURN_IF_ERROR(deferred_->Record(key, std::move(change)));
    info->user_metadata = std::move(metadata);
    RememberAttrs(path, *info);
    return ObjectAttr(ino, *info);
  }
  attrs_.Forget(path);
  auto copied = cache_->CopyObject(key, info->size, key, MetadataDirective::kReplace, metadata);
  if (!copied.ok()) return copied.status();
  deferred_->Drop(key);  // a change an honest mount left is in this copy (HeadFile)
  info->user_metadata = metadata;
  // The copy may keep the ETag (same bytes): the persisted metadata must change with it.
  info->etag = *copied;
  info->last_modified = Now();
  RememberAttrs(path, *info);
  return ObjectAttr(ino, *info);
}

Result<uint64_t> Filesystem::OpenDir(uint64_t ino) {
  auto ref = inodes_.Get(ino);
  if (!ref) return Status::NotFound("unknown inode " + std::to_string(ino));
  if (!ref->inode->is_dir) return Status::InvalidArgument("not a directory");
  auto entries = std::make_shared<std::vector<DirEntry>>();
  entries->push_back({".", ino, true});
  entries->push_back({"..", 0, true});
  std::set<std::string> seen, files, dirs;
  auto add = [&](std::string name, bool is_dir, bool type_unknown = false) {
    if (name.empty() || name == "." || name == ".." || !seen.insert(name).second) return;
    (is_dir ? dirs : files).insert(name);
    std::string child = ref->path.empty() ? name : ref->path + "/" + name;
    auto known = inodes_.Find(child);
    entries->push_back({std::move(name), known ? known->ino : 0, is_dir, type_unknown});
  };
  const std::string prefix = DirPrefix(ref->path);
  Status listed = ForEachPage(*store_, prefix, [&](const ListObjectsPage& page) {
    for (const std::string& common : page.common_prefixes) {
      std::string name = common.substr(prefix.size());
      if (!name.empty() && name.back() == '/') name.pop_back();
      if (name.find('/') == std::string::npos) add(std::move(name), true);
    }
    for (const ListedObject& object : page.objects) {
      // The "dir/" marker itself gives "".
      add(object.key.substr(prefix.size()), false, MayBeSymlinkBody(object.size));
      if (object.key.size() > prefix.size()) {
        AdoptPersistedAttrs(object.key.substr(options_.prefix.size()), object);
      }
    }
  });
  if (!listed.ok()) return listed;
  // Files still being written are not in the bucket yet; show them too.
  for (auto& [path, inode] : inodes_.Below(ref->path, /*direct_only=*/true)) {
    bool writing;
    {
      MutexLock lock(&inode->mu);
      writing = inode->session != nullptr;
    }
    if (writing) add(path.substr(ref->path.empty() ? 0 : ref->path.size() + 1), false);
  }
  // The complete listing answers lookups of names it lacks (negative entries).
  attrs_.PutListing(ref->path, std::move(files), std::move(dirs));
  MutexLock lock(&handles_mu_);
  uint64_t dh = next_handle_++;
  dirs_[dh] = std::move(entries);
  return dh;
}

Result<std::shared_ptr<const std::vector<DirEntry>>> Filesystem::ReadDir(uint64_t dh) {
  MutexLock lock(&handles_mu_);
  auto it = dirs_.find(dh);
  if (it == dirs_.end()) return Status::InvalidArgument("unknown directory handle");
  return it->second;
}

void Filesystem::ReleaseDir(uint64_t dh) {
  MutexLock lock(&handles_mu_);
  dirs_.erase(dh);
}

Result<struct stat> Filesystem::Mkdir(uint64_t parent, const std::string& name, mode_t mode,
                                      const RequestContext& ctx) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  auto put = store_->PutObjectFromString(DirPrefix(*path), "", NewMetadata(S_IFDIR, mode, ctx));
  attrs_.ForgetTree(*path);
  if (!put.ok()) return put.status();
  // The kernel looked the name up (missing) before mkdir: the new directory is empty.
  attrs_.PutDir(*path);
  attrs_.PutListing(*path, {}, {}, /*own=*/true);
  auto inode = inodes_.Lookup(*path, /*is_dir=*/true);
  return DirAttr(inode->ino);
}

Status Filesystem::Rmdir(uint64_t parent, const std::string& name) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  for (auto& [child, inode] : inodes_.Below(*path, /*direct_only=*/false)) {
    MutexLock lock(&inode->mu);
    if (inode->session) return Status::NotEmpty("directory not empty: " + *path);
  }
  const std::string marker = DirPrefix(*path);
  auto page = store_->ListObjects(marker, "/", "", 2);
  if (!page.ok()) return page.status();
  if (!page->common_prefixes.empty()) return Status::NotEmpty("directory not empty");
  for (const ListedObject& object : page->objects) {
    if (object.key != marker) return Status::NotEmpty("directory not empty: " + *path);
  }
  attrs_.ForgetTree(*path);
  PARTFS_RETURN_IF_ERROR(store_->DeleteObject(marker));
  attrs_.PutMissing(*path, /*own=*/true);
  inodes_.Unlink(*path);
  return Status::OK();
}

Status Filesystem::Unlink(uint64_t parent, const std::string& name) {
  auto path = ChildPath(parent, name);
  if (!path.ok()) return path.status();
  // Journaled first: every pending version of the key retires (a writer still
  // open on it aborts its upload at close, its data dies with the last close
  // as on a local disk), so nothing brings the name back after a crash. The
  // key lock orders this with completions of the same key.
  const std::string key = KeyFor(*path);
  auto guard = cache_->LockKey(key);
  PARTFS_RETURN_IF_ERROR(cache_->RetireKey(key));
  if (deferred_) deferred_->Drop(key);  // never applied to a later object of the name
  inodes_.Unlink(*path);
  attrs_.Forget(*path, /*gone=*/true);
  Status deleted = store_->DeleteObject(key);
  if (!deleted.ok() && !deleted.IsNotFound()) return deleted;
  attrs_.PutMissing(*path, /*own=*/true);
  return Status::OK();
}

Status Filesystem::Rename(uint64_t parent, const std::string& name, uint64_t new_parent,
                          const std::string& new_name, RenameFlags flags) {
  // Two objects cannot trade names atomically.
  if (flags.exchange) return Status::InvalidArgument("RENAME_EXCHANGE is not supported");
  auto from = ChildPath(parent, name);
  if (!from.ok()) return from.status();
  auto to = ChildPath(new_parent, new_name);
  if (!to.ok()) return to.status();
  if (*from == *to) return Status::OK();
  auto source = KindOf(*from);
  if (!source.ok()) return source.status();
  if (source->kind == PathKind::kNone)
    return Status::NotFound("no such file or directory: " + *from);
  if (source->kind == PathKind::kDir) return RenameDirectory(*from, *to, flags);
  // A file onto a directory: EISDIR (one round trip unless cached or known).
  auto target_inode = inodes_.Find(*to);
  bool target_is_dir = target_inode && target_inode->is_dir;
  bool target_exists = target_inode != nullptr;
  if (!target_is_dir) {
    auto target = ProbePath(*to);
    if (!target.ok()) return target.status();
    target_is_dir = target->kind == PathKind::kDir;
    target_exists = target_exists || target->kind != PathKind::kNone;
  }
  if (target_is_dir) return Status::IsADirectory("rename of a file onto a directory: " + *to);
  if (flags.no_replace && target_exists) {
    return Status::AlreadyExists("rename target exists: " + *to);
  }
  attrs_.Forget(*to);
  Status renamed = RenameFile(*from, *to, source->info);
  attrs_.Forget(*from, /*gone=*/renamed.ok());
  return renamed;
}

Result<Filesystem::PathKind> Filesystem::KindOf(const std::string& path) {
  PathKind result;
  if (auto inode = inodes_.Find(path)) {
    if (inode->is_dir) {
      result.kind = PathKind::kDir;
      return result;
    }
    MutexLock lock(&inode->mu);
    if (inode->session && !inode->session->writer->Finished()) {
      result.kind = PathKind::kFile;  // being written: not in the bucket yet
      return result;
    }
  }
  return ProbePath(path);
}

Status Filesystem::RenameFile(const std::string& from, const std::string& to,
                              std::optional<ObjectInfo> info) {
  auto source = inodes_.Find(from);
  std::shared_ptr<WriteSession> session;
  if (source) {
    MutexLock lock(&source->mu);
    session = source->session;
  }
  // An upload is bound to its key: a file open for writing whose multipart
  // upload runs is completed first (a checkpoint; the key lock is not held yet)
  // and renamed as a closed object; its next write changes it in place.
  if (session && !session->writer->Finished() && session->writer->UploadCreated()) {
    PARTFS_RETURN_IF_ERROR(Checkpoint(session));
    info.reset();  // the object just changed
  }
  const std::string from_key = KeyFor(from), to_key = KeyFor(to);
  auto guard = cache_->LockKeys(from_key, to_key);
  // Still being written: the object does not exist yet, so only its key changes
  // (and older versions of the target retire with it).
  if (session && !session->writer->Finished()) {
    Status rekeyed = session->writer->Rekey(to_key);
    if (rekeyed.ok()) {
      if (deferred_) {
        // The old object of either name is gone or replaced by this write.
        deferred_->Drop(from_key);
        deferred_->Drop(to_key);
      }
      inodes_.Rename(from, to);
      bool absent;
      {
        MutexLock lock(&source->mu);
        absent = session->key_absent;
        session->key_absent = false;  // the new name may hold an older object
      }
      if (absent) return Status::OK();
      // An older version of the source object (replaced by this write) must go too.
      Status deleted = store_->DeleteObject(from_key);
      if (!deleted.ok() && !deleted.IsNotFound()) return deleted;
      return Status::OK();
    }
    if (!session->writer->Finished()) return rekeyed;
    // Completed meanwhile: fall through to copying the object.
    info.reset();
  }
  if (!info) {
    auto head = HeadFile(from);
    if (!head.ok()) return head.status();
    info = std::move(*head);
  }
  // A deferred metadata change of the source rides on the rename's copy.
  std::optional<DeferredMetadata::Change> change;
  if (deferred_) change = deferred_->Find(from_key);
  if (change && !change->AppliesTo(*info)) change.reset();
  // Journaled before the copy: a crash between copy and delete is rolled
  // forward at the next mount, so exactly one name holds the file.
  auto rename_id = cache_->BeginRename(from_key, to_key);
  if (!rename_id.ok()) return rename_id.status();
  auto copied =
      change ? cache_->CopyObject(from_key, info->size, to_key, MetadataDirective::kReplace,
                                  change->metadata)
             : cache_->CopyObject(from_key, info->size, to_key, MetadataDirective::kCopy, {});
  Status done = copied.status();
  // Only once the copy exists do the target's pending versions retire.
  if (done.ok()) done = cache_->CommitRename(from_key, to_key);
  if (done.ok() && deferred_) {
    // The copy carries the change; the target's old object is replaced.
    deferred_->Drop(from_key);
    deferred_->Drop(to_key);
    if (change) info->user_metadata = change->metadata;
  }
  if (done.ok()) {
    done = store_->DeleteObject(from_key);
    if (done.IsNotFound()) done = Status::OK();
  }
  Status ended = cache_->EndRename(*rename_id);
  if (!ended.ok()) logger_->Error("journal: rename record not removed: " + ended.ToString());
  if (!done.ok()) return done;
  inodes_.Rename(from, to);
  // The copy carries the source's size and metadata.
  info->etag = *copied;
  info->last_modified = Now();
  RememberAttrs(to, *info);
  return Status::OK();
}

Status Filesystem::RenameDirectory(const std::string& from, const std::string& to,
                                   RenameFlags flags) {
  if (to.compare(0, from.size() + 1, from + "/") == 0) {
    return Status::InvalidArgument("cannot move a directory into itself: " + from + " -> " + to);
  }
  // The target: nothing, or an empty directory (replaced), else an error.
  auto target = KindOf(to);
  if (!target.ok()) return target.status();
  if (target->kind == PathKind::kFile) {
    return Status::NotADirectory("rename of a directory onto a file: " + to);
  }
  if (target->kind == PathKind::kDir) {
    if (flags.no_replace) return Status::AlreadyExists("rename target exists: " + to);
    PARTFS_RETURN_IF_ERROR(CheckEmptyDirectory(to));
  }
  // Files being written below move with the directory by changing their key.
  // A multipart upload belongs to its key and cannot follow: those files are
  // completed first (checkpoints) and move as closed objects; their next write
  // changes them in place.
  std::vector<std::pair<std::string, std::shared_ptr<WriteSession>>> writers;
  std::vector<std::shared_ptr<WriteSession>> uploading;
  for (auto& [path, inode] : inodes_.Below(from, /*direct_only=*/false)) {
    MutexLock lock(&inode->mu);
    if (!inode->session || inode->session->writer->Finished()) continue;
    if (inode->session->writer->UploadCreated()) {
      uploading.push_back(inode->session);
    } else {
      writers.emplace_back(path, inode->session);
    }
  }
  for (const auto& session : uploading) PARTFS_RETURN_IF_ERROR(Checkpoint(session));
  const std::string from_prefix = DirPrefix(from), to_prefix = DirPrefix(to);
  // Deferred metadata changes land first: the keys they name move.
  if (deferred_) PARTFS_RETURN_IF_ERROR(deferred_->ApplyUnder(from_prefix));
  // Journaled before the first change: a crash from here on is rolled forward.
  auto rename_id = cache_->BeginPrefixRename(from_prefix, to_prefix);
  if (!rename_id.ok()) return rename_id.status();
  std::set<std::string> rekeyed;
  for (const auto& [path, session] : writers) {
    const std::string old_key = KeyFor(path);
    const std::string new_key = to_prefix + old_key.substr(from_prefix.size());
    auto guard = cache_->LockKeys(old_key, new_key);
    Status status = session->writer->Rekey(new_key);
    if (status.ok()) {
      rekeyed.insert(old_key);  // its old object is superseded: deleted, not copied
    } else if (!session->writer->Finished()) {
      // Its multipart upload started after the check above: busy, as there.
      logger_->Error("directory rename '" + from + "' -> '" + to +
                     "' stopped (the next mount finishes it): " + status.ToString());
      return Status::Busy(status.message());
    }
  }
  inodes_.RenameTree(from, to);
  attrs_.ForgetTree(from);
  attrs_.ForgetTree(to);
  Status moved = cache_->FinishPrefixRename(*rename_id, from_prefix, to_prefix, rekeyed);
  if (!moved.ok()) {
    logger_->Error("directory rename '" + from + "' -> '" + to +
                   "' stopped (the next mount finishes it): " + moved.ToString());
  }
  return moved;
}

Status Filesystem::CheckEmptyDirectory(const std::string& path) {
  for (auto& [child, inode] : inodes_.Below(path, /*direct_only=*/false)) {
    MutexLock lock(&inode->mu);
    if (inode->session) return Status::NotEmpty("directory not empty: " + path);
  }
  const std::string marker = DirPrefix(path);
  auto page = store_->ListObjects(marker, "", "", 2);
  if (!page.ok()) return page.status();
  for (const ListedObject& object : page->objects) {
    if (object.key != marker) return Status::NotEmpty("directory not empty: " + path);
  }
  return Status::OK();
}

struct statvfs Filesystem::StatFs() const {
  // Object storage has no capacity to report; advertise 1 PiB free.
  constexpr uint64_t kFragment = 4096;
  struct statvfs st = {};
  st.f_bsize = kBlockSize;
  st.f_frsize = kFragment;
  st.f_blocks = st.f_bfree = st.f_bavail = (1ull << 50) / kFragment;
  st.f_files = st.f_ffree = st.f_favail = 1ull << 32;
  st.f_namemax = 255;
  return st;
}

}  // namespace partfs
