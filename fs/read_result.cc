#include "fs/read_result.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace partfs {

void ReadResult::AddHeld(std::shared_ptr<const void> hold, const char* data, size_t size) {
  if (size == 0) return;
  // iovec's base is not const; the reply only reads through it.
  pieces_.push_back({const_cast<char*>(data), size});
  holds_.push_back(std::move(hold));
  size_ += size;
}

char* ReadResult::AddOwned(size_t size) {
  owned_.push_back(std::unique_ptr<char[]>(new char[size]));
  pieces_.push_back({owned_.back().get(), size});
  size_ += size;
  return owned_.back().get();
}

void ReadResult::TrimLast(size_t size) {
  if (pieces_.empty()) return;
  iovec& last = pieces_.back();
  size = std::min(size, last.iov_len);
  size_ -= last.iov_len - size;
  last.iov_len = size;
  if (size == 0) pieces_.pop_back();
}

void ReadResult::CopyTo(char* buf) const {
  for (const iovec& piece : pieces_) {
    std::memcpy(buf, piece.iov_base, piece.iov_len);
    buf += piece.iov_len;
  }
}

}  // namespace partfs
