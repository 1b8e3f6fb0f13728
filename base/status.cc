#include "base/status.h"

#include <cerrno>
#include <cstring>

namespace partfs {

Status Status::FromErrno(int err, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += std::strerror(err);
  switch (err) {
    case ENOENT:
      return NotFound(std::move(msg));
    case EEXIST:
      return AlreadyExists(std::move(msg));
    case ENOSPC:
    case EDQUOT:
      return NoSpace(std::move(msg));
    case EACCES:
    case EPERM:
      return PermissionDenied(std::move(msg));
    case EINVAL:
      return InvalidArgument(std::move(msg));
    case EFBIG:
      return TooLarge(std::move(msg));
    case EWOULDBLOCK:
      return Busy(std::move(msg));
    default:
      return IOError(std::move(msg));
  }
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status s = *this;
  s.message_ = std::string(context) + ": " + message_;
  return s;
}

std::string_view Status::CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kPermissionDenied:
      return "PermissionDenied";
    case Code::kIOError:
      return "IOError";
    case Code::kUnavailable:
      return "Unavailable";
    case Code::kNoSpace:
      return "NoSpace";
    case Code::kTooLarge:
      return "TooLarge";
    case Code::kCorruption:
      return "Corruption";
    case Code::kNotSupported:
      return "NotSupported";
    case Code::kBusy:
      return "Busy";
    case Code::kAborted:
      return "Aborted";
    case Code::kNotEmpty:
      return "NotEmpty";
    case Code::kCrossDevice:
      return "CrossDevice";
    case Code::kSuperseded:
      return "Superseded";
    case Code::kNeedsCheckpoint:
      return "NeedsCheckpoint";
    case Code::kNotPermitted:
      return "NotPermitted";
    case Code::kNameTooLong:
      return "NameTooLong";
    case Code::kNotADirectory:
      return "NotADirectory";
    case Code::kIsADirectory:
      return "IsADirectory";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string out(CodeName(code_));
  out += ": ";
  out += message_;
  if (!remote_code_.empty()) {
    out += " (";
    out += remote_code_;
    if (http_status_ != 0) out += ", HTTP " + std::to_string(http_status_);
    out += ")";
  }
  return out;
}

}  // namespace partfs
