#include "cache/object_copy.h"

#include <algorithm>

#include "cache/run_parallel.h"

namespace partfs {

Result<std::vector<CopyRange>> PlanCopyRanges(uint64_t size, const ProviderProfile& profile) {
  if (profile.max_object_size != 0 && size > profile.max_object_size) {
    return Status::TooLarge("object of " + std::to_string(size) + " bytes is over the provider's " +
                            std::to_string(profile.max_object_size) + "-byte limit");
  }
  uint64_t part = std::clamp(kCopyPartSize, profile.min_part_size, profile.max_part_size);
  const uint64_t max_parts = std::max<uint64_t>(profile.max_part_count, 1);
  if ((size + part - 1) / part > max_parts) part = (size + max_parts - 1) / max_parts;
  if (part > profile.max_part_size) {
    return Status::TooLarge("object of " + std::to_string(size) + " bytes needs more than " +
                            std::to_string(max_parts) + " copy parts");
  }
  std::vector<CopyRange> ranges;
  for (uint64_t first = 0; first < size || ranges.empty(); first += part) {
    if (size == 0) break;
    CopyRange range;
    range.part_number = static_cast<uint32_t>(ranges.size() + 1);
    range.first = first;
    range.last = std::min(size, first + part) - 1;
    ranges.push_back(range);
  }
  return ranges;
}

namespace {

Result<std::string> MultipartCopy(ObjectStore& store, const std::vector<CopyRange>& ranges,
                                  const std::string& source_key, const std::string& dest_key,
                                  const UserMetadata& metadata, uint32_t parallelism) {
  auto upload_id = store.CreateMultipartUpload(dest_key, metadata);
  if (!upload_id.ok()) return upload_id.status();
  std::vector<CompletedPart> parts(ranges.size());
  Status copied = RunParallel(ranges.size(), parallelism, [&](size_t i) -> Status {
    const CopyRange& range = ranges[i];
    auto etag = store.UploadPartCopy(dest_key, *upload_id, range.part_number, source_key,
                                     range.first, range.last);
    if (!etag.ok()) return etag.status();
    parts[i] = CompletedPart{range.part_number, *etag};  // each thread writes its own slot
    return Status::OK();
  });
  Result<std::string> etag = copied.ok()
                                 ? store.CompleteMultipartUpload(dest_key, *upload_id, parts, "")
                                 : Result<std::string>(copied);
  if (!etag.ok()) {
    // Nothing of the copy may linger (or be billed): the destination is unchanged.
    Status aborted = store.AbortMultipartUpload(dest_key, *upload_id);
    (void)aborted;  // best effort; orphan GC lists what an abort left
  }
  return etag;
}

}  // namespace

Result<std::string> CopyObjectOfAnySize(ObjectStore& store, const ProviderProfile& profile,
                                        const std::string& source_key, uint64_t source_size,
                                        const std::string& dest_key, MetadataDirective directive,
                                        const UserMetadata& metadata, uint32_t parallelism) {
  if (source_size <= profile.max_part_size) {
    return store.CopyObject(source_key, dest_key, directive, metadata);
  }
  auto ranges = PlanCopyRanges(source_size, profile);
  if (!ranges.ok()) return ranges.status();
  if (directive == MetadataDirective::kReplace) {
    return MultipartCopy(store, *ranges, source_key, dest_key, metadata, parallelism);
  }
  // A multipart upload carries only the metadata it is created with.
  auto info = store.HeadObject(source_key);
  if (!info.ok()) return info.status();
  return MultipartCopy(store, *ranges, source_key, dest_key, info->user_metadata, parallelism);
}

}  // namespace partfs
