// Bucket creation and deletion for tests, scripts and tools (the mount itself
// never creates or deletes buckets). Each call builds a short-lived client
// from the options, so it is thread-safe.
#ifndef PARTFS_TRANSFER_S3_BUCKET_ADMIN_H_
#define PARTFS_TRANSFER_S3_BUCKET_ADMIN_H_

#include "base/status.h"
#include "transfer/s3_client.h"

namespace partfs {

// Creates options.bucket (with a LocationConstraint outside us-east-1). A
// bucket that already exists and is ours counts as success.
Status CreateBucket(const S3ClientOptions& options);

// Deletes options.bucket, which must be empty (Busy/BucketNotEmpty otherwise).
Status DeleteBucket(const S3ClientOptions& options);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_BUCKET_ADMIN_H_
