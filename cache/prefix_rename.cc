#include "cache/prefix_rename.h"

#include <algorithm>
#include <vector>

#include "cache/object_copy.h"
#include "cache/run_parallel.h"

namespace partfs {
namespace {

constexpr size_t kDeleteBatch = 1000;  // DeleteObjects takes at most 1000 keys
// A listing longer than this many pages is taken as a server that loops.
constexpr uint64_t kMaxListPages = 1000000;

// Every object under `prefix` (no delimiter: nested "directories" included).
Result<std::vector<ListedObject>> ListAll(ObjectStore& store, const std::string& prefix) {
  std::vector<ListedObject> objects;
  std::set<std::string> seen_tokens;
  std::string token;
  for (uint64_t pages = 1;; ++pages) {
    auto page = store.ListObjects(prefix, "", token, 0);
    if (!page.ok()) return page.status();
    for (auto& object : page->objects) objects.push_back(std::move(object));
    if (!page->truncated || page->next_continuation_token.empty()) return objects;
    token = page->next_continuation_token;
    if (!seen_tokens.insert(token).second || pages >= kMaxListPages) {
      return Status::IOError("listing '" + prefix + "': the server's pages do not end");
    }
  }
}

}  // namespace

Status MovePrefix(ObjectStore& store, const ProviderProfile& profile, KeyLocks& locks,
                  const PrefixMove& move, const std::function<Status()>& commit,
                  PrefixMoveCounts* counts) {
  if (move.from.empty() || move.to.empty() || move.from == move.to) {
    return Status::InvalidArgument("prefix rename needs two different non-empty prefixes");
  }
  auto sources = ListAll(store, move.from);
  if (!sources.ok()) return sources.status();
  auto targets = ListAll(store, move.to);
  if (!targets.ok()) return targets.status();
  std::set<std::string> existing;
  for (const auto& object : *targets) existing.insert(object.key);

  std::vector<const ListedObject*> to_copy;
  for (const auto& object : *sources) {
    const std::string dest = move.to + object.key.substr(move.from.size());
    if (move.skip_copy.count(object.key) || existing.count(dest)) continue;
    to_copy.push_back(&object);
  }
  PARTFS_RETURN_IF_ERROR(RunParallel(to_copy.size(), move.parallelism, [&](size_t i) -> Status {
    const ListedObject& object = *to_copy[i];
    const std::string dest = move.to + object.key.substr(move.from.size());
    // Ordered with a completion of either name (the newest version lands last).
    auto guard = locks.LockPair(object.key, dest);
    auto copied = CopyObjectOfAnySize(store, profile, object.key, object.size, dest,
                                      MetadataDirective::kCopy, {}, 1);
    // Gone meanwhile (deleted by an earlier attempt after its copy): nothing to move.
    if (!copied.ok() && !copied.status().IsNotFound()) return copied.status();
    return Status::OK();
  }));
  PARTFS_RETURN_IF_ERROR(commit());

  std::vector<std::string> keys;
  for (const auto& object : *sources) keys.push_back(object.key);
  const size_t batches = (keys.size() + kDeleteBatch - 1) / kDeleteBatch;
  PARTFS_RETURN_IF_ERROR(RunParallel(batches, move.parallelism, [&](size_t b) -> Status {
    std::vector<std::string> batch(keys.begin() + b * kDeleteBatch,
                                   keys.begin() + std::min(keys.size(), (b + 1) * kDeleteBatch));
    auto failed = store.DeleteObjects(batch);
    if (!failed.ok()) return failed.status();
    if (!failed->empty()) {
      return Status::IOError(std::to_string(failed->size()) + " key(s) under '" + move.from +
                             "' not deleted, first '" + failed->front() + "'");
    }
    return Status::OK();
  }));
  if (counts != nullptr) {
    counts->listed = sources->size();
    counts->copied = to_copy.size();
    counts->deleted = keys.size();
  }
  return Status::OK();
}

}  // namespace partfs
