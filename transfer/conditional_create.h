// Create-only-if-absent requests (an O_EXCL file): the header each provider
// takes on PutObject and CompleteMultipartUpload, and how its answers read.
//   s3, obs: If-None-Match: *            refused: 412 PreconditionFailed
//   oss:     x-oss-forbid-overwrite: true refused: 409 FileAlreadyExists
// Servers without conditions answer 501 NotImplemented (Swift's s3api) or a
// 400; S3Client then falls back to a HEAD check before the plain request.
// Pure functions, thread-safe.
#ifndef PARTFS_TRANSFER_CONDITIONAL_CREATE_H_
#define PARTFS_TRANSFER_CONDITIONAL_CREATE_H_

#include <string>
#include <utility>

#include "base/status.h"
#include "transfer/provider_profile.h"

namespace partfs {

// The lower-case header name and its value for `profile`.
std::pair<std::string, std::string> IfAbsentHeader(const ProviderProfile& profile);

// The server refused the write because the key already has an object.
bool IsConditionFailed(const Status& status);

// The server does not understand the condition (so it wrote nothing).
bool IsConditionUnsupported(const Status& status);

// `status` (IsConditionFailed) as the AlreadyExists it means to a caller.
Status AsAlreadyExists(const Status& status);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_CONDITIONAL_CREATE_H_
