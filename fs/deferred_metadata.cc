// DeferredMetadata: see fs/deferred_metadata.h.
#include "fs/deferred_metadata.h"

#include <vector>

namespace partfs {

namespace {

WritebackQueue::Options TimerOptions(std::chrono::milliseconds delay) {
  WritebackQueue::Options options;
  options.delay = delay;
  options.threads = 1;  // copies of metadata are few: rsync merges its own into the rename
  options.capacity = SIZE_MAX;
  return options;
}

}  // namespace

bool DeferredMetadata::Change::AppliesTo(const ObjectInfo& info) const {
  return info.size == size && StripEtagQuotes(info.etag) == StripEtagQuotes(etag);
}

DeferredMetadata::DeferredMetadata(Options options, ObjectStore* store, WriteCache* cache)
    : options_(std::move(options)),
      store_(store),
      cache_(cache),
      timer_(TimerOptions(options_.delay)) {
  // Changes a crash (or an unapplied unmount) left in the journal.
  auto left = cache_->ListPendingMetadata();
  if (!left.ok()) {
    options_.logger->Error("journal: pending metadata changes not read: " +
                           left.status().ToString());
    return;
  }
  MutexLock lock(&mu_);
  for (auto& record : *left) {
    Change change{std::move(record.etag), record.size, std::move(record.metadata)};
    changes_[record.key] = std::move(change);
    Queue(record.key);
  }
  if (!left->empty()) {
    options_.logger->Info("applying " + std::to_string(left->size()) +
                          " metadata change(s) left by the previous mount");
  }
}

DeferredMetadata::~DeferredMetadata() = default;

void DeferredMetadata::Queue(const std::string& key) {
  auto it = changes_.find(key);
  timer_.Schedule(&it->first, [this, key] {
    Status applied = ApplyNow(key);
    if (!applied.ok()) {
      options_.logger->Error(
          "metadata change of " + key +
          " not applied (kept for fsync, unmount or the next mount): " + applied.ToString());
    }
  });
}

Status DeferredMetadata::Record(const std::string& key, Change change) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(
      cache_->PutPendingMetadata(key, StripEtagQuotes(change.etag), change.size, change.metadata));
  changes_[key] = std::move(change);
  Queue(key);
  return Status::OK();
}

std::optional<DeferredMetadata::Change> DeferredMetadata::Find(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = changes_.find(key);
  if (it == changes_.end()) return std::nullopt;
  return it->second;
}

void DeferredMetadata::Drop(const std::string& key) {
  MutexLock lock(&mu_);
  auto it = changes_.find(key);
  if (it == changes_.end()) return;
  Status dropped = cache_->DropPendingMetadata(key);
  if (!dropped.ok()) {
    options_.logger->Error(
        "journal: metadata change of " + key +
        " not dropped (it never applies to another version): " + dropped.ToString());
  }
  changes_.erase(it);
}

void DeferredMetadata::DropUnlessFor(const std::string& key, const std::string& etag) {
  auto change = Find(key);
  if (!change || (!etag.empty() && StripEtagQuotes(change->etag) == StripEtagQuotes(etag))) return;
  Drop(key);
}

Status DeferredMetadata::ApplyNow(const std::string& key, std::optional<ObjectInfo>* applied) {
  if (!Find(key)) return Status::OK();
  // The copy must not land between a newer completion and its metadata.
  auto guard = cache_->LockKey(key);
  auto change = Find(key);  // a rename may have merged it meanwhile
  if (!change) return Status::OK();
  auto info = store_->HeadObject(key);
  if (!info.ok() && !info.status().IsNotFound()) return info.status();
  if (!info.ok() || !change->AppliesTo(*info)) {
    // Gone or replaced by a newer version: that one wins.
    Drop(key);
    return Status::OK();
  }
  auto copied =
      cache_->CopyObject(key, info->size, key, MetadataDirective::kReplace, change->metadata);
  if (!copied.ok()) return copied.status();
  Drop(key);
  info->etag = *copied;
  info->user_metadata = change->metadata;
  if (options_.on_applied) options_.on_applied(key, *info);
  if (applied != nullptr) *applied = std::move(*info);
  return Status::OK();
}

Status DeferredMetadata::ApplyUnder(const std::string& prefix) {
  std::vector<std::string> keys;
  {
    MutexLock lock(&mu_);
    for (auto it = changes_.lower_bound(prefix);
         it != changes_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      keys.push_back(it->first);
    }
  }
  for (const std::string& key : keys) PARTFS_RETURN_IF_ERROR(ApplyNow(key));
  return Status::OK();
}

void DeferredMetadata::Drain() {
  std::vector<std::string> keys;
  {
    MutexLock lock(&mu_);
    for (const auto& [key, change] : changes_) keys.push_back(key);
  }
  for (const std::string& key : keys) {
    Status applied = ApplyNow(key);
    if (!applied.ok()) {
      options_.logger->Error("unmount: metadata change of " + key +
                             " not applied (the next mount applies it): " + applied.ToString());
    }
  }
}

}  // namespace partfs
