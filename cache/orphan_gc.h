// Orphan multipart-upload cleanup (`partfs gc`, and optionally at mount).
//
// Lists the multipart uploads under a prefix of the store's bucket and aborts
// those that no local journal record knows and whose last activity is older
// than a threshold (at least kMinGcAgeSeconds). A record knows an upload by its
// upload id (any state, any bucket) or, for a record of the same bucket, by its
// key. An upload the journal tracks is never aborted: its parts may be the only
// copy of data the cache already dropped. A dry run only reports.
//
// Races with a live mount: a writer journals its record (with the key) before
// CreateMultipartUpload and the upload id only after it returns, and the
// listing can take long. So the journal is read after the listing, and read
// again just before each abort; an upload whose key a record of the bucket has
// is kept (that record's writer or recovery owns it). The age floor covers the
// rest (a rename between CreateMultipartUpload and journaling the id).
//
// Several hosts on one bucket: another host's live upload is in no local
// journal, so age alone protects it. An upload's age is its last activity: the
// newest part's LastModified in ListParts, or its initiation when it has no
// parts. ListParts is asked only for uploads already older than the cutoff by
// initiation (one request per old candidate); a writer that uploads a part at
// least every threshold is never aborted, however long its file stays open.
//
// Thread-safe as far as the store and journal are; no state of its own.
#ifndef PARTFS_CACHE_ORPHAN_GC_H_
#define PARTFS_CACHE_ORPHAN_GC_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/logger.h"
#include "base/status.h"
#include "cache/journal.h"
#include "transfer/object_store.h"

namespace partfs {

// The least age threshold gc accepts (`--older-than`, `gc_on_mount=`): a
// younger upload may belong to a writer that has not journaled it yet.
inline constexpr int64_t kMinGcAgeSeconds = 3600;

// InvalidArgument "<what> is below the safe floor of 1h ..." when `seconds` is
// below `min_age` (kMinGcAgeSeconds outside tests). `what` names the option and
// value ("--older-than 30m").
Status CheckGcAge(std::string_view what, int64_t seconds, int64_t min_age = kMinGcAgeSeconds);

struct GcOptions {
  std::string bucket;  // the store's bucket: a record of it keeps uploads of its key
                       // ("" = a record of any bucket does)
  std::string prefix;  // only uploads whose key starts with this
  int64_t older_than_seconds = 86400;  // abort only uploads last active before now - this;
                                       // at least min_age_seconds
  // The floor of older_than_seconds: kMinGcAgeSeconds, lower only in tests
  // (PARTFS_TEST_GC_MIN_AGE_SECONDS, read by main).
  int64_t min_age_seconds = kMinGcAgeSeconds;
  bool dry_run = false;
  int64_t now = 0;  // seconds since the epoch; 0 = the current time (tests set it)
};

enum class GcAction {
  kAborted,      // orphan, aborted
  kWouldAbort,   // orphan, dry run
  kTracked,      // a journal record has its upload id: kept
  kTrackedKey,   // a journal record of the bucket has its key (may be about to journal it): kept
  kTooYoung,     // orphan but active (initiated or a part uploaded) within the threshold: kept
  kAbortFailed,  // orphan, abort failed (see error)
};

std::string_view GcActionName(GcAction action);

struct GcEntry {
  UploadEntry upload;
  GcAction action = GcAction::kTooYoung;
  std::string error;
  // Seconds since the epoch of the newest part (or the initiation when it has
  // none); 0 when ListParts was not asked (young by initiation, or tracked).
  int64_t last_activity = 0;
};

struct GcReport {
  std::vector<GcEntry> entries;  // in listing order
  uint32_t aborted = 0;
  uint32_t would_abort = 0;
  uint32_t tracked = 0;      // kTracked
  uint32_t tracked_key = 0;  // kTrackedKey
  uint32_t too_young = 0;
  uint32_t failed = 0;
};

// What the journal tracks, as gc sees it.
struct TrackedUploads {
  std::set<std::string> upload_ids;                       // of every record
  std::set<std::pair<std::string, std::string>> objects;  // (bucket, key) of every record
};

// Reads every record of `journal`.
Result<TrackedUploads> ReadTrackedUploads(Journal& journal);

// Reads the journal as it is now. AbortOrphanUploads calls it after the
// listing and again just before each abort (the journal changes meanwhile).
using TrackedSource = std::function<Result<TrackedUploads>()>;

// Lists, classifies and (unless dry_run) aborts. Fails when the age is below
// the floor, the listing fails or the journal cannot be read after it; a failed
// abort (or journal read before it) is reported in its entry. `logger` may be null.
Result<GcReport> AbortOrphanUploads(ObjectStore& store, const TrackedSource& tracked,
                                    const GcOptions& options, Logger* logger);

// Convenience for a mount (`gc_on_mount`): the above, reading `journal`.
// `journal` must stay valid during the call.
Result<GcReport> AbortOrphanUploads(ObjectStore& store, Journal& journal, const GcOptions& options,
                                    Logger* logger);

}  // namespace partfs

#endif  // PARTFS_CACHE_ORPHAN_GC_H_
