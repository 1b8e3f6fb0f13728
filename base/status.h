// Status and Result<T>: errors as values, used by every layer of partfs.
//
// A Status is either OK or carries a Code, a human-readable message and, for
// errors that came from an object-storage server, the HTTP status and the
// server's error code (e.g. "NoSuchUpload"). Messages never contain secrets.
// errno is produced only at the FUSE boundary (fs/errno_mapping.h).
//
// Status and Result are value types; they are not synchronized, copy them
// across threads instead of sharing one instance.
#ifndef PARTFS_BASE_STATUS_H_
#define PARTFS_BASE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace partfs {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,          // no such object, key, upload or file
    kAlreadyExists,     // exclusive create of something that exists
    kInvalidArgument,   // bad option, bad request, EntityTooSmall, InvalidPart, ...
    kPermissionDenied,  // credentials rejected, access denied
    kIOError,           // local I/O failure or a server error that is not retryable
    kUnavailable,       // transport failure, timeout, 5xx after retries: try again later
    kNoSpace,           // cache disk full
    kTooLarge,          // object or part count over the provider's limits
    kCorruption,        // damaged journal, part file or checksum mismatch
    kNotSupported,      // operation partfs does not implement
    kBusy,              // resource locked by someone else (e.g. cache dir in use)
    kAborted,           // operation cancelled (shutdown)
    kNotEmpty,          // directory (prefix) still holds entries
    kCrossDevice,       // a rename partfs does not do in place (EXDEV: mv copies instead)
    kSuperseded,        // a write overtaken by a newer one of its key (unlink, rewrite, rename)
    // The bytes asked for are only in an unfinished multipart upload (not
    // readable): complete it (a checkpoint) and retry against the object.
    kNeedsCheckpoint,
    kNotPermitted,   // an operation the file system never allows (EPERM: hard links)
    kNameTooLong,    // a name or symlink target over its length limit
    kNotADirectory,  // a directory operation met a file (rename of a directory onto a file)
    kIsADirectory,   // a file operation met a directory (rename of a file onto a directory)
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status AlreadyExists(std::string msg) {
    return Status(Code::kAlreadyExists, std::move(msg));
  }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status PermissionDenied(std::string msg) {
    return Status(Code::kPermissionDenied, std::move(msg));
  }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status NoSpace(std::string msg) { return Status(Code::kNoSpace, std::move(msg)); }
  static Status TooLarge(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status NotSupported(std::string msg) {
    return Status(Code::kNotSupported, std::move(msg));
  }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Aborted(std::string msg) { return Status(Code::kAborted, std::move(msg)); }
  static Status NotEmpty(std::string msg) { return Status(Code::kNotEmpty, std::move(msg)); }
  static Status CrossDevice(std::string msg) { return Status(Code::kCrossDevice, std::move(msg)); }
  static Status Superseded(std::string msg) { return Status(Code::kSuperseded, std::move(msg)); }
  static Status NeedsCheckpoint(std::string msg) {
    return Status(Code::kNeedsCheckpoint, std::move(msg));
  }
  static Status NotPermitted(std::string msg) {
    return Status(Code::kNotPermitted, std::move(msg));
  }
  static Status NameTooLong(std::string msg) { return Status(Code::kNameTooLong, std::move(msg)); }
  static Status NotADirectory(std::string msg) {
    return Status(Code::kNotADirectory, std::move(msg));
  }
  static Status IsADirectory(std::string msg) {
    return Status(Code::kIsADirectory, std::move(msg));
  }

  // An error answered by an object-storage server.
  static Status Remote(Code code, int http_status, std::string remote_code, std::string msg) {
    Status s(code, std::move(msg));
    s.http_status_ = http_status;
    s.remote_code_ = std::move(remote_code);
    return s;
  }

  // Converts an errno saved right after a failing call; `context` names the operation and path.
  static Status FromErrno(int err, std::string_view context);

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  int http_status() const { return http_status_; }                 // 0 when not from a server
  const std::string& remote_code() const { return remote_code_; }  // "" when not from a server

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }

  // Returns a copy with "context: " prepended to the message.
  Status WithContext(std::string_view context) const;

  // "NotFound: <message>" style, for logs and one-line error messages.
  std::string ToString() const;
  static std::string_view CodeName(Code code);

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
  int http_status_ = 0;
  std::string remote_code_;
};

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an OK Status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  Status status_;  // OK exactly when value_ holds a value
  std::optional<T> value_;
};

}  // namespace partfs

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define PARTFS_RETURN_IF_ERROR(expr) \
  do {                               \
    ::partfs::Status _st = (expr);   \
    if (!_st.ok()) return _st;       \
  } while (0)

#endif  // PARTFS_BASE_STATUS_H_
