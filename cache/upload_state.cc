#include "cache/journal.h"

namespace partfs {

std::string_view UploadStateName(UploadState state) {
  switch (state) {
    case UploadState::kWriting:
      return "writing";
    case UploadState::kPendingComplete:
      return "pending-complete";
    case UploadState::kFailed:
      return "failed";
    case UploadState::kRetired:
      return "retired";
    case UploadState::kCompleted:
      return "completed";
  }
  return "unknown";
}

}  // namespace partfs
