// UniqueFd: owns a file descriptor and closes it on destruction. Move-only.
// Thread-compatible.
#ifndef PARTFS_BASE_UNIQUE_FD_H_
#define PARTFS_BASE_UNIQUE_FD_H_

#include <unistd.h>

#include <utility>

namespace partfs {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { Reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) {
      Reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace partfs

#endif  // PARTFS_BASE_UNIQUE_FD_H_
