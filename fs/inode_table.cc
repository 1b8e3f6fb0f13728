#include "fs/inode_table.h"

namespace partfs {

InodeTable::InodeTable() {
  MutexLock lock(&mu_);
  Entry root;
  root.inode = std::make_shared<Inode>(kRootIno, /*directory=*/true);
  root.nlookup = 1;  // the kernel never forgets the root
  by_ino_.emplace(kRootIno, std::move(root));
  by_path_.emplace("", kRootIno);
}

std::optional<InodeTable::Ref> InodeTable::Get(uint64_t ino) const {
  MutexLock lock(&mu_);
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return std::nullopt;
  return Ref{it->second.inode, it->second.path, it->second.linked};
}

std::shared_ptr<Inode> InodeTable::Find(const std::string& path) const {
  MutexLock lock(&mu_);
  auto it = by_path_.find(path);
  if (it == by_path_.end()) return nullptr;
  return by_ino_.at(it->second).inode;
}

std::shared_ptr<Inode> InodeTable::Lookup(const std::string& path, bool is_dir) {
  MutexLock lock(&mu_);
  auto it = by_path_.find(path);
  if (it != by_path_.end()) {
    Entry& entry = by_ino_.at(it->second);
    if (entry.inode->is_dir == is_dir) {
      ++entry.nlookup;
      return entry.inode;
    }
    DetachLocked(path);
  }
  uint64_t ino = next_ino_++;
  Entry entry;
  entry.inode = std::make_shared<Inode>(ino, is_dir);
  entry.path = path;
  entry.nlookup = 1;
  auto inode = entry.inode;
  by_ino_.emplace(ino, std::move(entry));
  by_path_[path] = ino;
  return inode;
}

std::optional<uint64_t> InodeTable::Forget(uint64_t ino, uint64_t count) {
  if (ino == kRootIno) return std::nullopt;
  MutexLock lock(&mu_);
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return std::nullopt;
  Entry& entry = it->second;
  std::optional<uint64_t> underflow;
  if (count > entry.nlookup) underflow = entry.nlookup;
  entry.nlookup = count >= entry.nlookup ? 0 : entry.nlookup - count;
  MaybeEraseLocked(ino);
  return underflow;
}

void InodeTable::Opened(uint64_t ino) {
  MutexLock lock(&mu_);
  auto it = by_ino_.find(ino);
  if (it != by_ino_.end()) ++it->second.opens;
}

void InodeTable::Closed(uint64_t ino) {
  MutexLock lock(&mu_);
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return;
  if (it->second.opens > 0) --it->second.opens;
  MaybeEraseLocked(ino);
}

void InodeTable::Unlink(const std::string& path) {
  MutexLock lock(&mu_);
  DetachLocked(path);
}

void InodeTable::Rename(const std::string& from, const std::string& to) {
  MutexLock lock(&mu_);
  auto it = by_path_.find(from);
  if (it == by_path_.end()) {
    DetachLocked(to);
    return;
  }
  uint64_t ino = it->second;
  by_path_.erase(it);
  DetachLocked(to);
  by_path_[to] = ino;
  by_ino_.at(ino).path = to;
}

void InodeTable::RenameTree(const std::string& from, const std::string& to) {
  auto at_or_below = [](const std::string& path, const std::string& dir) {
    return path == dir || path.compare(0, dir.size() + 1, dir + "/") == 0;
  };
  MutexLock lock(&mu_);
  std::vector<std::pair<std::string, uint64_t>> moving;
  for (auto it = by_path_.lower_bound(from); it != by_path_.end(); ++it) {
    if (!at_or_below(it->first, from)) {
      // "from/..." sorts after "from" and after names like "from-x": keep scanning those.
      if (it->first.compare(0, from.size(), from) != 0) break;
      continue;
    }
    moving.emplace_back(it->first, it->second);
  }
  std::vector<std::string> replaced;
  for (auto it = by_path_.lower_bound(to); it != by_path_.end(); ++it) {
    if (it->first.compare(0, to.size(), to) != 0) break;
    if (at_or_below(it->first, to)) replaced.push_back(it->first);
  }
  for (const auto& [path, ino] : moving) by_path_.erase(path);
  for (const auto& path : replaced) DetachLocked(path);
  for (const auto& [path, ino] : moving) {
    std::string moved = to + path.substr(from.size());
    by_path_[moved] = ino;
    by_ino_.at(ino).path = std::move(moved);
  }
}

std::vector<std::pair<std::string, std::shared_ptr<Inode>>> InodeTable::Below(
    const std::string& dir, bool direct_only) const {
  std::string start = dir.empty() ? "" : dir + "/";
  std::vector<std::pair<std::string, std::shared_ptr<Inode>>> out;
  MutexLock lock(&mu_);
  for (auto it = by_path_.lower_bound(start); it != by_path_.end(); ++it) {
    const std::string& path = it->first;
    if (path.compare(0, start.size(), start) != 0) break;
    if (path.size() == start.size()) continue;  // the root itself
    if (direct_only && path.find('/', start.size()) != std::string::npos) continue;
    out.emplace_back(path, by_ino_.at(it->second).inode);
  }
  return out;
}

size_t InodeTable::size() const {
  MutexLock lock(&mu_);
  return by_ino_.size();
}

void InodeTable::DetachLocked(const std::string& path) {
  auto it = by_path_.find(path);
  if (it == by_path_.end() || it->second == kRootIno) return;
  uint64_t ino = it->second;
  by_path_.erase(it);
  by_ino_.at(ino).linked = false;
  MaybeEraseLocked(ino);
}

void InodeTable::MaybeEraseLocked(uint64_t ino) {
  if (ino == kRootIno) return;
  auto it = by_ino_.find(ino);
  if (it == by_ino_.end()) return;
  Entry& entry = it->second;
  if (entry.nlookup > 0 || entry.opens > 0) return;
  if (entry.linked) {
    auto path_it = by_path_.find(entry.path);
    if (path_it != by_path_.end() && path_it->second == ino) by_path_.erase(path_it);
  }
  by_ino_.erase(it);
}

}  // namespace partfs
