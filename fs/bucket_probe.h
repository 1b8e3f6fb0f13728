// What `partfs check` and the mount ask the server before anything else: is
// the endpoint reachable over TLS, are the credentials accepted, does the
// bucket exist in this region, may this user run multipart uploads. Each
// failure becomes one line naming what failed and how to fix it.
// Thread-compatible; every function sends real requests through `store`.
#ifndef PARTFS_FS_BUCKET_PROBE_H_
#define PARTFS_FS_BUCKET_PROBE_H_

#include <string>

#include "base/status.h"
#include "fs/mount_options.h"
#include "transfer/object_store.h"

namespace partfs {

// The one-line message for a failed request to the bucket: unreachable
// endpoint, TLS failure, rejected credentials, access denied, missing bucket,
// bucket in another region. `status` is the failure of a request to it.
std::string DescribeBucketFailure(const MountConfig& config, const Status& status);

// Lists one key under the prefix: proves reachability, credentials, the bucket
// and the list permission a mount needs. OK or a Status carrying
// DescribeBucketFailure's message.
Status ProbeBucketAccess(const MountConfig& config, ObjectStore* store);

// Starts and aborts a multipart upload of a probe key under the prefix
// (nothing is stored). OK or a one-line error.
Status ProbeMultipartUpload(const MountConfig& config, ObjectStore* store);

// Whether the server honours create-only-if-absent (If-None-Match: * or
// x-oss-forbid-overwrite): writes an empty probe object under the prefix,
// writes other bytes to it with the condition, deletes it. true when the second write
// was refused, false when the server ignored the condition or does not
// implement it (O_EXCL files then fall back to check-then-write).
Result<bool> ProbeConditionalCreate(const MountConfig& config, ObjectStore* store);

}  // namespace partfs

#endif  // PARTFS_FS_BUCKET_PROBE_H_
