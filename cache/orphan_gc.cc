#include "cache/orphan_gc.h"

#include <cctype>
#include <ctime>

namespace partfs {

std::string_view GcActionName(GcAction action) {
  switch (action) {
    case GcAction::kAborted:
      return "aborted";
    case GcAction::kWouldAbort:
      return "would-abort";
    case GcAction::kTracked:
      return "kept-tracked";
    case GcAction::kTooYoung:
      return "kept-too-young";
    case GcAction::kAbortFailed:
      return "abort-failed";
  }
  return "unknown";
}

Result<std::set<std::string>> TrackedUploadIds(Journal& journal) {
  auto records = journal.ListFiles();
  if (!records.ok()) return records.status();
  std::set<std::string> ids;
  for (const auto& r : *records) {
    if (!r.upload_id.empty()) ids.insert(r.upload_id);
  }
  return ids;
}

Result<GcReport> CollectOrphanUploads(ObjectStore& store, const std::set<std::string>& tracked,
                                      const GcOptions& options, Logger* logger) {
  auto uploads = ListAllUploads(store, options.prefix);
  if (!uploads.ok()) return uploads.status().WithContext("ListMultipartUploads");
  const int64_t now = options.now != 0 ? options.now : static_cast<int64_t>(std::time(nullptr));
  const int64_t cutoff = now - options.older_than_seconds;
  GcReport report;
  for (auto& upload : *uploads) {
    // The listing filters by prefix already; check again in case a server ignores it.
    if (upload.key.compare(0, options.prefix.size(), options.prefix) != 0) continue;
    GcEntry entry;
    entry.upload = std::move(upload);
    if (tracked.count(entry.upload.upload_id)) {
      entry.action = GcAction::kTracked;
      ++report.tracked;
    } else if (entry.upload.initiated > cutoff) {
      entry.action = GcAction::kTooYoung;
      ++report.too_young;
    } else if (options.dry_run) {
      entry.action = GcAction::kWouldAbort;
      ++report.would_abort;
    } else {
      Status st = store.AbortMultipartUpload(entry.upload.key, entry.upload.upload_id);
      if (st.ok() || st.IsNotFound()) {  // NotFound: someone else finished or aborted it
        entry.action = GcAction::kAborted;
        ++report.aborted;
        if (logger != nullptr) {
          logger->Info("gc: aborted orphan upload " + entry.upload.upload_id + " of key '" +
                       entry.upload.key + "'");
        }
      } else {
        entry.action = GcAction::kAbortFailed;
        entry.error = st.ToString();
        ++report.failed;
        if (logger != nullptr) {
          logger->Warn("gc: cannot abort upload " + entry.upload.upload_id + " of key '" +
                       entry.upload.key + "': " + entry.error);
        }
      }
    }
    report.entries.push_back(std::move(entry));
  }
  return report;
}

Result<GcReport> CollectOrphanUploads(ObjectStore& store, Journal& journal,
                                      const GcOptions& options, Logger* logger) {
  auto tracked = TrackedUploadIds(journal);
  if (!tracked.ok()) return tracked.status().WithContext("reading the journal");
  return CollectOrphanUploads(store, *tracked, options, logger);
}

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t unit = 1;  // a bare number is seconds
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      if (!std::isdigit(static_cast<unsigned char>(text.back()))) {
        return Status::InvalidArgument("duration '" + std::string(text) +
                                       "' must be a number with s, m, h or d (e.g. 30m, 24h, 7d)");
      }
  }
  if (!std::isdigit(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty() || text.size() > 12) {
    return Status::InvalidArgument("duration needs 1 to 12 digits before its unit");
  }
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("duration '" + std::string(text) + "' is not a number");
    }
    value = value * 10 + (c - '0');
  }
  return value * unit;
}

}  // namespace partfs
