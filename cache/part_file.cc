#include "cache/part_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace partfs {

Result<std::unique_ptr<PartFile>> PartFile::Create(const std::string& path) {
  int fd = open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "create part file " + path);
  return std::unique_ptr<PartFile>(new PartFile(path, fd));
}

PartFile::~PartFile() { close(fd_); }

Status PartFile::Write(uint64_t offset, const char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = pwrite(fd_, data + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Status status = Status::FromErrno(errno, "write part file " + path_);
      // Drop the partial write so the file only holds accepted bytes.
      if (ftruncate(fd_, static_cast<off_t>(size_)) != 0) md5_valid_ = false;
      if (offset < size_) md5_valid_ = false;  // may have overwritten accepted bytes
      return status;
    }
    done += static_cast<size_t>(n);
  }
  if (md5_valid_ && offset == md5_bytes_) {
    md5_.Update(data, size);
    md5_bytes_ += size;
  } else {
    md5_valid_ = false;
  }
  size_ = std::max(size_, offset + size);
  return Status::OK();
}

Status PartFile::Truncate(uint64_t size) {
  if (ftruncate(fd_, static_cast<off_t>(size)) != 0) {
    return Status::FromErrno(errno, "truncate part file " + path_);
  }
  if (size != md5_bytes_) md5_valid_ = false;
  size_ = size;
  return Status::OK();
}

Status PartFile::Sync() {
  if (fsync(fd_) != 0) return Status::FromErrno(errno, "fsync part file " + path_);
  return Status::OK();
}

Result<std::string> PartFile::Md5() {
  if (md5_valid_ && md5_bytes_ == size_) return md5_.Digest();
  return Md5OfFile(fd_, size_);
}

Status PartFile::Unlink() {
  if (unlinked_) return Status::OK();
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return Status::FromErrno(errno, "remove part file " + path_);
  }
  unlinked_ = true;
  return Status::OK();
}

}  // namespace partfs
