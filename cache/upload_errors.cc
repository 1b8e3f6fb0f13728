#include "cache/upload_errors.h"

namespace partfs {

Status MissingPartError(uint32_t number, const std::string& key) {
  return Status::Corruption("part " + std::to_string(number) + " of " + key + " is missing");
}

Status UnexpectedCompletedEtag(const std::string& key, const std::string& etag,
                               const std::string& expected) {
  return Status::Corruption(key + " completed with ETag " + etag + ", expected " + expected);
}

Status LostJournaledPart(uint32_t number, bool server_has_other) {
  return Status::Corruption(
      "part " + std::to_string(number) + " is journaled as uploaded but the server " +
      (server_has_other ? "holds other data" : "does not hold it") + ", and its part file is gone");
}

Status DamagedPartFile(uint32_t number, const std::string& file_md5_hex,
                       const std::string& journal_md5_hex) {
  return Status::Corruption("part " + std::to_string(number) +
                            " is journaled as uploaded but the server does not hold it, "
                            "and its leftover part file has other bytes (MD5 " +
                            file_md5_hex + ", journal " + journal_md5_hex + ")");
}

}  // namespace partfs
