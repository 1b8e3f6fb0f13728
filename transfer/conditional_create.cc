#include "transfer/conditional_create.h"

namespace partfs {

std::pair<std::string, std::string> IfAbsentHeader(const ProviderProfile& profile) {
  if (profile.provider == Provider::kOss) return {"x-oss-forbid-overwrite", "true"};
  return {"if-none-match", "*"};
}

bool IsConditionFailed(const Status& status) {
  if (status.http_status() == 412) return true;
  return status.http_status() == 409 && status.remote_code() == "FileAlreadyExists";
}

bool IsConditionUnsupported(const Status& status) {
  if (status.http_status() == 501 || status.remote_code() == "NotImplemented") return true;
  // A 400 that names the request rather than the data (a multipart error such
  // as InvalidPart or EntityTooSmall is a real failure, not the header).
  return status.http_status() == 400 &&
         (status.remote_code() == "InvalidArgument" || status.remote_code() == "InvalidRequest" ||
          status.remote_code() == "HTTP400");
}

Status AsAlreadyExists(const Status& status) {
  return Status::Remote(Status::Code::kAlreadyExists, status.http_status(), status.remote_code(),
                        status.message() + ": another writer created the object first");
}

}  // namespace partfs
