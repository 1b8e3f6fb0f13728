// PartFile: one part file of the write cache (files/<id>/part-<n>, mode 0600).
//
// Owns the fd (closed on destruction; the file itself stays unless Unlink()
// is called). Keeps an incremental MD5 of bytes written in order from the
// start of the part, so an upload needs no re-read; a write out of order (a
// gap, an overwrite or a truncate) drops the running digest and Md5() then
// re-reads the file.
//
// Thread-compatible: the owning writer writes it; after hand-off to an upload
// worker only fd(), Md5(), Sync() and Unlink() are used (never concurrently
// with a write). Non-copyable.
#ifndef PARTFS_CACHE_PART_FILE_H_
#define PARTFS_CACHE_PART_FILE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "cache/digest.h"

namespace partfs {

class PartFile {
 public:
  // Creates (or truncates to empty) the part file at `path`.
  static Result<std::unique_ptr<PartFile>> Create(const std::string& path);
  ~PartFile();
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  // Writes all of `data` at `offset` within the part. On failure the file is
  // cut back to its previous size (bytes accepted earlier stay).
  Status Write(uint64_t offset, const char* data, size_t size);
  // Sets the file's length (a longer file reads back zeros past the old end).
  Status Truncate(uint64_t size);
  Status Sync();
  // Raw 16-byte MD5 of the whole file.
  Result<std::string> Md5();
  // Removes the file from the directory; the fd stays valid until destruction.
  Status Unlink();

  uint64_t size() const { return size_; }
  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

 private:
  PartFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}

  std::string path_;
  int fd_;
  uint64_t size_ = 0;
  Md5Hasher md5_;
  uint64_t md5_bytes_ = 0;  // bytes fed to md5_, always a prefix of the file
  bool md5_valid_ = true;   // false once bytes arrived out of order
  bool unlinked_ = false;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_PART_FILE_H_
