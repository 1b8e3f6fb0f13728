#include "fs/errno_mapping.h"

#include <cerrno>

namespace partfs {

int ToErrno(const Status& status) {
  using Code = Status::Code;
  switch (status.code()) {
    case Code::kOk: return 0;
    case Code::kNotFound: return ENOENT;
    case Code::kAlreadyExists: return EEXIST;
    case Code::kInvalidArgument: return EINVAL;
    case Code::kPermissionDenied: return EACCES;
    case Code::kIOError: return EIO;
    case Code::kUnavailable: return EIO;
    case Code::kNoSpace: return ENOSPC;
    case Code::kTooLarge: return EFBIG;
    case Code::kCorruption: return EIO;
    case Code::kNotSupported: return ENOTSUP;
    case Code::kBusy: return EBUSY;
    case Code::kAborted: return EINTR;
  }
  return EIO;
}

}  // namespace partfs
