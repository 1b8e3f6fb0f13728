// Filesystem::ReadDirPlus: attributes for a batch of directory entries, so
// that `ls -l`, rsync and find need no lookup per name after a readdir.
#include <chrono>
#include <optional>

#include "cache/run_parallel.h"
#include "fs/filesystem.h"

namespace partfs {

namespace {

// HEADs in flight for one readdirplus batch (the kernel asks for about 25
// entries at a time): enough to hide the round trips, few enough for a
// shared server.
constexpr size_t kParallelHeads = 16;
// Siblings a lookup HEADs along once lookups walk a directory.
constexpr size_t kWalkAhead = 31;
// Lookups of listed files in one directory this close together are a walk.
constexpr std::chrono::seconds kWalkGap{1};

}  // namespace

Result<std::vector<std::optional<struct stat>>> Filesystem::ReadDirPlus(uint64_t dh,
                                                                        uint64_t dir_ino,
                                                                        size_t first,
                                                                        size_t count) {
  auto entries = ReadDir(dh);
  if (!entries.ok()) return entries.status();
  auto dir = inodes_.Get(dir_ino);
  if (!dir) return Status::NotFound("unknown inode " + std::to_string(dir_ino));
  const std::vector<DirEntry>& list = **entries;
  const size_t end = std::min(list.size(), first + count);
  std::vector<std::optional<struct stat>> attrs(end > first ? end - first : 0);

  // What needs no request: directories, files being written, cached HEADs.
  std::vector<size_t> unknown;  // indexes into `attrs` whose file needs a HEAD
  std::vector<std::optional<ObjectInfo>> infos(attrs.size());
  auto path_of = [&](const DirEntry& entry) {
    return dir->path.empty() ? entry.name : dir->path + "/" + entry.name;
  };
  for (size_t i = 0; i < attrs.size(); ++i) {
    const DirEntry& entry = list[first + i];
    if (entry.name == "." || entry.name == "..") continue;
    const std::string path = path_of(entry);
    if (entry.is_dir) {
      attrs[i] = DirAttr(inodes_.Lookup(path, /*is_dir=*/true)->ino);
      continue;
    }
    if (auto known = inodes_.Find(path); known && !known->is_dir) {
      bool writing;
      {
        MutexLock lock(&known->mu);
        writing = known->session != nullptr;
      }
      // The session's attributes can change between here and the reply;
      // Lookup takes them under the same rules.
      if (writing) {
        auto attr = Lookup(dir_ino, entry.name);
        if (attr.ok()) attrs[i] = *attr;
        continue;
      }
    }
    if (cache_->RecoveryPendingFor(KeyFor(path))) continue;  // Lookup waits for it
    if (auto cached = attrs_.Get(path);
        cached && cached->kind == AttrCache::Entry::kFile && cached->info) {
      infos[i] = cached->info;
    } else if (!cached || cached->kind == AttrCache::Entry::kFile) {
      unknown.push_back(i);
    }
  }
  // One round trip for the whole batch instead of one per name.
  (void)RunParallel(unknown.size(), kParallelHeads, [&](size_t u) {
    const size_t i = unknown[u];
    const std::string path = path_of(list[first + i]);
    auto info = HeadFile(path);
    if (info.ok()) {
      RememberAttrs(path, *info);
      infos[i] = std::move(*info);
    } else if (info.status().IsNotFound()) {
      attrs_.Forget(path, /*gone=*/true);  // deleted since the listing
    }
    return Status::OK();  // no attributes: the kernel looks the name up itself
  });
  for (size_t i = 0; i < attrs.size(); ++i) {
    if (!infos[i]) continue;
    auto inode = inodes_.Lookup(path_of(list[first + i]), /*is_dir=*/false);
    attrs[i] = ObjectAttr(inode->ino, *infos[i]);
  }
  return attrs;
}

bool Filesystem::WalkingDirectory(const std::string& dir) {
  const auto now = options_.clock->SteadyNow();
  MutexLock lock(&walk_mu_);
  const bool walking = walk_dir_ == dir && now - walk_at_ < kWalkGap;
  walk_dir_ = dir;
  walk_at_ = now;
  return walking;
}

Result<ObjectInfo> Filesystem::HeadListedFile(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash);
  std::vector<std::string> siblings;
  if (WalkingDirectory(dir)) {
    siblings = attrs_.UnknownFilesAfter(dir, path.substr(dir.empty() ? 0 : slash + 1), kWalkAhead);
  }
  Result<ObjectInfo> own = Status::IOError("HEAD not sent");
  (void)RunParallel(siblings.size() + 1, kParallelHeads, [&](size_t i) {
    if (i == 0) {
      own = HeadFile(path);
      return Status::OK();
    }
    const std::string sibling = dir.empty() ? siblings[i - 1] : dir + "/" + siblings[i - 1];
    auto info = HeadFile(sibling);
    if (info.ok()) {
      RememberAttrs(sibling, *info);
    } else if (info.status().IsNotFound()) {
      attrs_.Forget(sibling, /*gone=*/true);
    }
    return Status::OK();  // only a shortcut: its own lookup asks again
  });
  return own;
}

}  // namespace partfs
