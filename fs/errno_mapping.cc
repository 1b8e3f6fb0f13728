#include "fs/errno_mapping.h"

#include <cerrno>

namespace partfs {

int ToErrno(const Status& status) {
  using Code = Status::Code;
  switch (status.code()) {
    case Code::kOk:
      return 0;
    case Code::kNotFound:
      return ENOENT;
    case Code::kAlreadyExists:
      return EEXIST;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kPermissionDenied:
      return EACCES;
    case Code::kIOError:
      return EIO;
    case Code::kUnavailable:
      return EIO;
    case Code::kNoSpace:
      return ENOSPC;
    case Code::kTooLarge:
      return EFBIG;
    case Code::kCorruption:
      return EIO;
    case Code::kNotSupported:
      return ENOTSUP;
    case Code::kBusy:
      return EBUSY;
    // Cancelled (shutdown, a retired record): not a syscall interrupted by a
    // signal that the caller could simply restart, so not EINTR.
    case Code::kAborted:
      return EIO;
    case Code::kNotEmpty:
      return ENOTEMPTY;
    case Code::kCrossDevice:
      return EXDEV;
    // A superseded write's data dies with it, as on a local disk after unlink;
    // the operation that hit it did not complete.
    case Code::kSuperseded:
      return EIO;
    // The fs layer checkpoints and retries; reaching errno means that failed.
    case Code::kNeedsCheckpoint:
      return EIO;
    case Code::kNotPermitted:
      return EPERM;
    case Code::kNameTooLong:
      return ENAMETOOLONG;
    case Code::kNotADirectory:
      return ENOTDIR;
    case Code::kIsADirectory:
      return EISDIR;
  }
  return EIO;
}

}  // namespace partfs
