// Orphan multipart-upload cleanup (`partfs gc`, and optionally at mount).
//
// Lists the multipart uploads under a prefix of the store's bucket and aborts
// those that no local journal record knows (by upload id, in any state, of any
// bucket) and that were initiated longer ago than a threshold. An upload the
// journal tracks is never aborted: its parts may be the only copy of data the
// cache already dropped. A dry run only reports.
//
// Races with a live mount are covered by the age threshold: a mount creates an
// upload and journals its id within moments, so keep the threshold well above
// seconds (the default is 24 h).
//
// Thread-safe as far as the store and journal are; no state of its own.
#ifndef PARTFS_CACHE_ORPHAN_GC_H_
#define PARTFS_CACHE_ORPHAN_GC_H_

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/logger.h"
#include "base/status.h"
#include "cache/journal.h"
#include "transfer/object_store.h"

namespace partfs {

struct GcOptions {
  std::string prefix;                  // only uploads whose key starts with this
  int64_t older_than_seconds = 86400;  // abort only uploads initiated before now - this
  bool dry_run = false;
  int64_t now = 0;  // seconds since the epoch; 0 = the current time (tests set it)
};

enum class GcAction {
  kAborted,      // orphan, aborted
  kWouldAbort,   // orphan, dry run
  kTracked,      // a journal record knows it: kept
  kTooYoung,     // orphan but newer than the threshold: kept
  kAbortFailed,  // orphan, abort failed (see error)
};

std::string_view GcActionName(GcAction action);

struct GcEntry {
  UploadEntry upload;
  GcAction action = GcAction::kTooYoung;
  std::string error;
};

struct GcReport {
  std::vector<GcEntry> entries;  // in listing order
  uint32_t aborted = 0;
  uint32_t would_abort = 0;
  uint32_t tracked = 0;
  uint32_t too_young = 0;
  uint32_t failed = 0;
};

// Upload ids of every record in `journal`.
Result<std::set<std::string>> TrackedUploadIds(Journal& journal);

// Lists, classifies and (unless dry_run) aborts. Fails only when the listing
// fails; a failed abort is reported in its entry. `logger` may be null.
Result<GcReport> CollectOrphanUploads(ObjectStore& store, const std::set<std::string>& tracked,
                                      const GcOptions& options, Logger* logger);

// Convenience for a mount (`gc_on_mount`): tracked ids from `journal`, then the above.
Result<GcReport> CollectOrphanUploads(ObjectStore& store, Journal& journal,
                                      const GcOptions& options, Logger* logger);

// "30s", "30m", "24h", "7d" (a bare number = seconds) -> seconds.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace partfs

#endif  // PARTFS_CACHE_ORPHAN_GC_H_
