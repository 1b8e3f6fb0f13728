// MovePrefix: the object-store half of a directory rename (every key under
// one prefix moved under another), shared by the mount and by recovery's
// roll-forward of a journaled prefix rename (one owner for the mechanism).
//
// Steps, in this durable order (docs/DESIGN.md "Generations", directory rename):
//   1. list every key under `from` and under `to`;
//   2. copy each source key whose name under `to` does not exist yet (so a
//      repeat after a crash copies only what is missing, and never copies an
//      older version over a file completed at the new name since), with at
//      most `parallelism` copies in flight, each under the key locks of both
//      names; keys in `skip_copy` (files whose writer was rekeyed to the new
//      name: their old object is superseded) are not copied;
//   3. commit() (the journal step moving pending records to the new names);
//   4. delete every listed source key (DeleteObjects, 1000 a request).
// Any failure stops before the next step and is returned: the journal record
// stays, and the next attempt (the next mount) repeats the steps.
//
// Thread-safe (stateless); borrows store and locks for the call.
#ifndef PARTFS_CACHE_PREFIX_RENAME_H_
#define PARTFS_CACHE_PREFIX_RENAME_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include "base/status.h"
#include "cache/key_locks.h"
#include "transfer/object_store.h"
#include "transfer/provider_profile.h"

namespace partfs {

struct PrefixMove {
  std::string from;                 // "a/b/": the source prefix, with its trailing '/'
  std::string to;                   // "a/c/"
  std::set<std::string> skip_copy;  // source keys deleted without a copy
  uint32_t parallelism = 4;         // copies (and delete batches) in flight
};

struct PrefixMoveCounts {
  uint64_t listed = 0;   // source keys found
  uint64_t copied = 0;   // copies made (the rest existed already or were skipped)
  uint64_t deleted = 0;  // source keys deleted
};

Status MovePrefix(ObjectStore& store, const ProviderProfile& profile, KeyLocks& locks,
                  const PrefixMove& move, const std::function<Status()>& commit,
                  PrefixMoveCounts* counts = nullptr);

}  // namespace partfs

#endif  // PARTFS_CACHE_PREFIX_RENAME_H_
