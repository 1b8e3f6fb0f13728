// ObjectCopy: a server-side copy of one object of any size.
//
// Up to the provider's single-request limit (profile.max_part_size, 5 GiB on
// S3) it is one CopyObject. Above it: CreateMultipartUpload with the metadata
// the copy must carry, UploadPartCopy of consecutive ranges (in parallel,
// every part but the last at least min_part_size, at most max_part_count
// parts), CompleteMultipartUpload; any failure aborts the upload, so the
// destination keeps whatever it held before. Used by renames (file and
// directory, also when recovery rolls them forward) and metadata changes of
// completed objects.
//
// Thread-safe (stateless); borrows the store for the duration of the call.
#ifndef PARTFS_CACHE_OBJECT_COPY_H_
#define PARTFS_CACHE_OBJECT_COPY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "transfer/object_store.h"
#include "transfer/provider_profile.h"

namespace partfs {

// One part of a multipart copy: bytes [first, last] of the source.
struct CopyRange {
  uint32_t part_number = 0;
  uint64_t first = 0;
  uint64_t last = 0;
};

// Parts of kCopyPartSize, clamped to the profile's part size limits and grown
// so that at most max_part_count parts cover `size`. TooLarge when even parts
// of max_part_size do not fit in max_part_count, or `size` is over
// max_object_size. Pure.
inline constexpr uint64_t kCopyPartSize = 512ull << 20;
Result<std::vector<CopyRange>> PlanCopyRanges(uint64_t size, const ProviderProfile& profile);

// Copies `source_key` (`source_size` bytes, as HEAD or LIST reported) to
// `dest_key` (may equal source_key: a metadata change). With kReplace the copy
// carries `metadata`, else the source's (a multipart copy HEADs the source for
// it). `parallelism` bounds the UploadPartCopy requests in flight. Returns the
// new ETag.
Result<std::string> CopyObjectOfAnySize(ObjectStore& store, const ProviderProfile& profile,
                                        const std::string& source_key, uint64_t source_size,
                                        const std::string& dest_key, MetadataDirective directive,
                                        const UserMetadata& metadata, uint32_t parallelism);

}  // namespace partfs

#endif  // PARTFS_CACHE_OBJECT_COPY_H_
