// ReadResult: the bytes of one read, left where they already are (a
// prefetched read-ahead chunk) instead of copied into one buffer, so that the
// FUSE reply writes them to the kernel straight from there.
//
// Pieces are in order; each points into memory a `hold` keeps alive (a chunk)
// or into a buffer the result owns. Move-only; not thread-safe (one request's
// thread builds, replies and drops it).
#ifndef PARTFS_FS_READ_RESULT_H_
#define PARTFS_FS_READ_RESULT_H_

#include <sys/uio.h>

#include <cstddef>
#include <memory>
#include <vector>

namespace partfs {

class ReadResult {
 public:
  ReadResult() = default;
  ReadResult(ReadResult&&) = default;
  ReadResult& operator=(ReadResult&&) = default;
  ReadResult(const ReadResult&) = delete;
  ReadResult& operator=(const ReadResult&) = delete;

  // Appends `size` bytes at `data`, which `hold` keeps valid.
  void AddHeld(std::shared_ptr<const void> hold, const char* data, size_t size);
  // Appends a buffer of `size` bytes owned by the result, for the caller to
  // fill; TrimLast then cuts it to what was filled.
  char* AddOwned(size_t size);
  void TrimLast(size_t size);

  size_t size() const { return size_; }
  const std::vector<iovec>& pieces() const { return pieces_; }
  // Copies every byte to `buf` (size() of them).
  void CopyTo(char* buf) const;

 private:
  std::vector<iovec> pieces_;
  std::vector<std::shared_ptr<const void>> holds_;
  std::vector<std::unique_ptr<char[]>> owned_;
  size_t size_ = 0;
};

}  // namespace partfs

#endif  // PARTFS_FS_READ_RESULT_H_
