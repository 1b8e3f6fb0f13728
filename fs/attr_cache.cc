// AttrCache: see fs/attr_cache.h.
#include "fs/attr_cache.h"

namespace partfs {

namespace {
constexpr size_t kPruneEvery = 4096;  // puts between sweeps of expired entries
// How long a "missing" answer from the server is trusted (the kernel's own
// negative entries last as long).
constexpr std::chrono::milliseconds kServerMissingTtl{1000};

// "a/b/c" -> ("a/b", "c"); "c" -> ("", "c").
std::pair<std::string, std::string> SplitParent(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}
}  // namespace

AttrCache::AttrCache(std::chrono::milliseconds ttl, Clock* clock) : ttl_(ttl), clock_(clock) {}

std::chrono::steady_clock::time_point AttrCache::Expiry() const {
  return clock_->SteadyNow() + ttl_;
}

std::chrono::steady_clock::time_point AttrCache::MissingExpiry(bool own) const {
  return own ? Expiry() : clock_->SteadyNow() + std::min(ttl_, kServerMissingTtl);
}

std::optional<AttrCache::Entry> AttrCache::Get(const std::string& path) {
  if (!enabled()) return std::nullopt;
  const auto now = clock_->SteadyNow();
  MutexLock lock(&mu_);
  if (auto it = entries_.find(path); it != entries_.end()) {
    if (it->second.expires > now) return it->second.entry;
    entries_.erase(it);
  }
  auto [dir, name] = SplitParent(path);
  auto listing = listings_.find(dir);
  if (listing == listings_.end()) return std::nullopt;
  if (listing->second.expires <= now) {
    listings_.erase(listing);
    return std::nullopt;
  }
  if (!listing->second.complete) return std::nullopt;
  if (listing->second.dirs.count(name)) return Entry{Entry::kDir, std::nullopt};
  if (listing->second.files.count(name)) return Entry{Entry::kFile, std::nullopt};
  if (listing->second.missing_expires <= now) return std::nullopt;
  return Entry{Entry::kMissing, std::nullopt, listing->second.own};
}

void AttrCache::Put(const std::string& path, Entry entry, bool own) {
  if (!enabled()) return;
  const auto expires = entry.kind == Entry::kMissing ? MissingExpiry(own) : Expiry();
  MutexLock lock(&mu_);
  NoteInParent(path, entry.kind);
  entries_[path] = Stored{std::move(entry), expires};
  if (++puts_since_prune_ >= kPruneEvery) PruneLocked();
}

void AttrCache::PutFile(const std::string& path, const ObjectInfo& info) {
  Put(path, Entry{Entry::kFile, info});
}

void AttrCache::PutFileIfUnknown(const std::string& path, const ObjectInfo& info) {
  if (!enabled()) return;
  const auto now = clock_->SteadyNow();
  MutexLock lock(&mu_);
  auto it = entries_.find(path);
  if (it != entries_.end() && it->second.expires > now) return;
  NoteInParent(path, Entry::kFile);
  entries_[path] = Stored{Entry{Entry::kFile, info}, Expiry()};
}

void AttrCache::PutDir(const std::string& path) { Put(path, Entry{Entry::kDir, std::nullopt}); }

void AttrCache::PutMissing(const std::string& path, bool own) {
  Put(path, Entry{Entry::kMissing, std::nullopt, false}, own);
}

void AttrCache::PutListing(const std::string& dir, std::set<std::string> files,
                           std::set<std::string> dirs, bool own) {
  if (!enabled()) return;
  const auto missing_expires = MissingExpiry(own);
  MutexLock lock(&mu_);
  listings_[dir] = Listing{std::move(files), std::move(dirs), true, own, Expiry(), missing_expires};
}

void AttrCache::PutTooLargeToList(const std::string& dir) {
  if (!enabled()) return;
  MutexLock lock(&mu_);
  listings_[dir] = Listing{{}, {}, false, false, Expiry(), Expiry()};
}

bool AttrCache::HasListing(const std::string& dir) {
  if (!enabled()) return false;
  const auto now = clock_->SteadyNow();
  MutexLock lock(&mu_);
  auto listing = listings_.find(dir);
  return listing != listings_.end() && listing->second.expires > now;
}

std::vector<std::string> AttrCache::UnknownFilesAfter(const std::string& dir,
                                                      const std::string& name, size_t max) {
  std::vector<std::string> names;
  if (!enabled()) return names;
  const auto now = clock_->SteadyNow();
  MutexLock lock(&mu_);
  auto listing = listings_.find(dir);
  if (listing == listings_.end() || listing->second.expires <= now) return names;
  const std::string below = dir.empty() ? "" : dir + "/";
  const auto& files = listing->second.files;
  for (auto it = files.upper_bound(name); it != files.end() && names.size() < max; ++it) {
    auto entry = entries_.find(below + *it);
    if (entry != entries_.end() && entry->second.expires > now) continue;  // known already
    names.push_back(*it);
  }
  return names;
}

void AttrCache::Forget(const std::string& path, bool gone) {
  if (!enabled()) return;
  MutexLock lock(&mu_);
  entries_.erase(path);
  NoteInParent(path, gone ? std::optional<Entry::Kind>(Entry::kMissing)
                          : std::optional<Entry::Kind>(Entry::kFile));
}

void AttrCache::ForgetTree(const std::string& dir) {
  if (!enabled()) return;
  MutexLock lock(&mu_);
  const std::string below = dir.empty() ? "" : dir + "/";
  for (auto it = entries_.lower_bound(below); it != entries_.end();) {
    if (it->first.compare(0, below.size(), below) != 0) break;
    it = entries_.erase(it);
  }
  for (auto it = listings_.lower_bound(below); it != listings_.end();) {
    if (it->first.compare(0, below.size(), below) != 0) break;
    it = listings_.erase(it);
  }
  entries_.erase(dir);
  listings_.erase(dir);
  listings_.erase(SplitParent(dir).first);
}

void AttrCache::NoteInParent(const std::string& path, std::optional<Entry::Kind> kind) {
  auto [dir, name] = SplitParent(path);
  auto listing = listings_.find(dir);
  if (listing == listings_.end()) return;
  listing->second.files.erase(name);
  listing->second.dirs.erase(name);
  if (kind == Entry::kFile) listing->second.files.insert(name);
  if (kind == Entry::kDir) listing->second.dirs.insert(name);
}

void AttrCache::PruneLocked() {
  puts_since_prune_ = 0;
  const auto now = clock_->SteadyNow();
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = it->second.expires <= now ? entries_.erase(it) : std::next(it);
  }
  for (auto it = listings_.begin(); it != listings_.end();) {
    it = it->second.expires <= now ? listings_.erase(it) : std::next(it);
  }
}

}  // namespace partfs
