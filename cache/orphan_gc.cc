#include "cache/orphan_gc.h"

#include <algorithm>
#include <ctime>
#include <optional>

namespace partfs {

std::string_view GcActionName(GcAction action) {
  switch (action) {
    case GcAction::kAborted:
      return "aborted";
    case GcAction::kWouldAbort:
      return "would-abort";
    case GcAction::kTracked:
      return "kept-tracked";
    case GcAction::kTrackedKey:
      return "kept-tracked-key";
    case GcAction::kTooYoung:
      return "kept-too-young";
    case GcAction::kAbortFailed:
      return "abort-failed";
  }
  return "unknown";
}

Status CheckGcAge(std::string_view what, int64_t seconds, int64_t min_age) {
  if (seconds >= min_age) return Status::OK();
  return Status::InvalidArgument(
      std::string(what) + " is below the safe floor of " +
      (min_age == kMinGcAgeSeconds ? std::string("1h") : std::to_string(min_age) + "s") +
      " for gc ages (a younger upload may belong to a writer that has "
      "not journaled it yet)");
}

Result<TrackedUploads> ReadTrackedUploads(Journal& journal) {
  auto records = journal.ListFiles();
  if (!records.ok()) return records.status();
  TrackedUploads tracked;
  for (const auto& r : *records) {
    if (!r.upload_id.empty()) tracked.upload_ids.insert(r.upload_id);
    tracked.objects.emplace(r.bucket, r.key);
  }
  return tracked;
}

namespace {

// How `tracked` keeps `upload`, nullopt when it does not.
std::optional<GcAction> TrackedAs(const TrackedUploads& tracked, const UploadEntry& upload,
                                  const std::string& bucket) {
  if (tracked.upload_ids.count(upload.upload_id)) return GcAction::kTracked;
  if (!bucket.empty()) {
    if (tracked.objects.count({bucket, upload.key})) return GcAction::kTrackedKey;
    return std::nullopt;
  }
  for (const auto& object : tracked.objects) {
    if (object.second == upload.key) return GcAction::kTrackedKey;
  }
  return std::nullopt;
}

void Count(GcAction action, GcReport* report) {
  switch (action) {
    case GcAction::kAborted:
      ++report->aborted;
      break;
    case GcAction::kWouldAbort:
      ++report->would_abort;
      break;
    case GcAction::kTracked:
      ++report->tracked;
      break;
    case GcAction::kTrackedKey:
      ++report->tracked_key;
      break;
    case GcAction::kTooYoung:
      ++report->too_young;
      break;
    case GcAction::kAbortFailed:
      ++report->failed;
      break;
  }
}

// Aborts the orphan of `entry` unless the journal, read once more right before,
// tracks it now. Sets entry->action (and error).
void AbortUnlessTracked(ObjectStore& store, const TrackedSource& tracked_source,
                        const GcOptions& options, Logger* logger, GcEntry* entry) {
  const UploadEntry& upload = entry->upload;
  auto fresh = tracked_source();
  if (!fresh.ok()) {
    entry->action = GcAction::kAbortFailed;
    entry->error = "not aborted, reading the journal failed: " + fresh.status().ToString();
  } else if (auto kept = TrackedAs(*fresh, upload, options.bucket)) {
    entry->action = *kept;
    return;
  } else {
    Status st = store.AbortMultipartUpload(upload.key, upload.upload_id);
    if (st.ok() || st.IsNotFound()) {  // NotFound: someone else finished or aborted it
      entry->action = GcAction::kAborted;
      if (logger != nullptr) {
        logger->Info("gc: aborted orphan upload " + upload.upload_id + " of key '" + upload.key +
                     "'");
      }
      return;
    }
    entry->action = GcAction::kAbortFailed;
    entry->error = st.ToString();
  }
  if (logger != nullptr) {
    logger->Warn("gc: cannot abort upload " + upload.upload_id + " of key '" + upload.key +
                 "': " + entry->error);
  }
}

// The newest part's LastModified, or the initiation when there is none or it
// is newer. NotFound (finished or aborted meanwhile) comes back as such.
Result<int64_t> LastActivity(ObjectStore& store, const UploadEntry& upload) {
  auto parts = ListAllParts(store, upload.key, upload.upload_id);
  if (!parts.ok()) return parts.status();
  int64_t newest = upload.initiated;
  for (const PartEntry& part : *parts) newest = std::max(newest, part.last_modified);
  return newest;
}

}  // namespace

Result<GcReport> AbortOrphanUploads(ObjectStore& store, const TrackedSource& tracked_source,
                                    const GcOptions& options, Logger* logger) {
  PARTFS_RETURN_IF_ERROR(CheckGcAge("gc age " + std::to_string(options.older_than_seconds) + "s",
                                    options.older_than_seconds, options.min_age_seconds));
  auto uploads = ListAllUploads(store, options.prefix);
  if (!uploads.ok()) return uploads.status().WithContext("ListMultipartUploads");
  // Only now: an upload the (long) listing returned may have been journaled meanwhile.
  auto tracked = tracked_source();
  if (!tracked.ok()) return tracked.status().WithContext("reading the journal");
  const int64_t now = options.now != 0 ? options.now : static_cast<int64_t>(std::time(nullptr));
  const int64_t cutoff = now - options.older_than_seconds;
  GcReport report;
  for (auto& upload : *uploads) {
    // The listing filters by prefix already; check again in case a server ignores it.
    if (upload.key.compare(0, options.prefix.size(), options.prefix) != 0) continue;
    GcEntry entry;
    entry.upload = std::move(upload);
    if (auto kept = TrackedAs(*tracked, entry.upload, options.bucket)) {
      entry.action = *kept;
    } else if (entry.upload.initiated > cutoff) {
      entry.action = GcAction::kTooYoung;
    } else if (auto active = LastActivity(store, entry.upload);
               !active.ok() && !active.status().IsNotFound()) {
      entry.action = GcAction::kAbortFailed;
      entry.error = "not aborted, ListParts failed: " + active.status().ToString();
    } else if (active.ok() && (entry.last_activity = *active) > cutoff) {
      entry.action = GcAction::kTooYoung;  // another host's live upload, most likely
    } else if (options.dry_run) {
      entry.action = GcAction::kWouldAbort;
    } else {
      // NotFound from ListParts: gone meanwhile; the abort reports it as done.
      AbortUnlessTracked(store, tracked_source, options, logger, &entry);
    }
    Count(entry.action, &report);
    report.entries.push_back(std::move(entry));
  }
  return report;
}

Result<GcReport> AbortOrphanUploads(ObjectStore& store, Journal& journal, const GcOptions& options,
                                    Logger* logger) {
  return AbortOrphanUploads(
      store, [&journal] { return ReadTrackedUploads(journal); }, options, logger);
}

}  // namespace partfs
