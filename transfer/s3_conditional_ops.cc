// Create-only-if-absent (O_EXCL): the condition header, its refusal, and the
// fallback for servers without conditions (transfer/conditional_create.h).
#include <optional>

#include "transfer/conditional_create.h"
#include "transfer/s3_client_impl.h"

namespace partfs {

Result<std::string> S3Client::SendIfAbsent(
    const char* operation, std::atomic<bool>& unsupported, const std::string& key,
    const std::string& ours_etag,
    const std::function<Result<std::string>(const HeaderList&)>& send) {
  // Our own object: a retry whose first attempt landed (its answer lost), or
  // a recovery of an upload completed before the crash.
  auto ours = [&]() -> std::optional<std::string> {
    if (ours_etag.empty()) return std::nullopt;
    auto head = HeadObject(key);
    if (head.ok() && head->etag == ours_etag) return head->etag;
    return std::nullopt;
  };
  if (!unsupported.load()) {
    auto header = IfAbsentHeader(options_.profile);
    auto result = send(HeaderList{{header.first, header.second}});
    if (result.ok()) return result;
    if (IsConditionFailed(result.status())) {
      if (auto etag = ours()) return *etag;
      return AsAlreadyExists(result.status());
    }
    if (!IsConditionUnsupported(result.status())) return result;
    if (!unsupported.exchange(true) && options_.logger != nullptr) {
      options_.logger->Warn("the server does not support conditional " + std::string(operation) +
                            " (" + header.first + ": " + result.status().ToString() +
                            "); O_EXCL files are only checked when created (two hosts creating "
                            "one name at once can both succeed)");
    }
  }
  // Today's check-then-write: the filesystem checked the name at create.
  return send(HeaderList{});
}

}  // namespace partfs
