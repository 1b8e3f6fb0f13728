// ObjectReader: the reads of one open file from its object, with read-ahead
// for a sequential reader.
//
// A read that starts near where the reader's previous reads ended (within
// kSequentialSlack, so that the kernel's parallel read-ahead requests arriving
// out of order still count) extends a sequential streak; after
// kStreakToPrefetch bytes in a row, ranged GETs of ReadAheadPool::chunk_size()
// are fetched ahead of the reader on the pool's threads, and reads are served
// from them. The bytes fetched ahead ramp up (twice the streak) to the pool's
// window per file; a reader holds at most the window and the chunk it is
// reading, and all readers stay within the pool's shared budget (over it:
// plain reads). Any other read (a jump) drops the window and is one ranged GET of
// exactly the bytes asked for, so a random reader never prefetches, and a
// reader that jumps after a sequential run wastes at most one window.
//
// A prefetch that failed surfaces only when its bytes are read: those are then
// fetched again synchronously, once, and that result is returned. EOF is
// learned from a short GET; nothing is prefetched past it.
//
// Each Read names the key and the file's local change count (Inode::changes):
// when either differs from the previous read (a rename, a write through this
// mount), the window is dropped, so bytes fetched before a change are never
// served after it.
//
// Thread-safe: the kernel sends parallel reads of one handle. Borrows `store`
// and `pool` (null: plain reads only), which must outlive the reader; chunks
// still being fetched when the reader is destroyed finish on the pool and are
// freed there.
#ifndef PARTFS_FS_OBJECT_READER_H_
#define PARTFS_FS_OBJECT_READER_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "base/mutex.h"
#include "base/status.h"
#include "fs/read_ahead_pool.h"
#include "fs/read_result.h"
#include "transfer/object_store.h"

namespace partfs {

class ObjectReader {
 public:
  static constexpr uint64_t kSequentialSlack = 1ull << 20;
  static constexpr uint64_t kStreakToPrefetch = 256ull << 10;

  ObjectReader(ObjectStore* store, ReadAheadPool* pool);
  ~ObjectReader();
  ObjectReader(const ObjectReader&) = delete;
  ObjectReader& operator=(const ObjectReader&) = delete;

  // Reads up to `size` bytes at `offset` of `key`; short at the end of the
  // object. `changes`: the file's local change count (see above). Bytes of
  // prefetched chunks stay in them (the result keeps those chunks alive).
  Result<ReadResult> ReadInPlace(const std::string& key, uint64_t changes, uint64_t offset,
                                 size_t size);
  // ReadInPlace, copied into `buf`.
  Result<size_t> Read(const std::string& key, uint64_t changes, uint64_t offset, size_t size,
                      char* buf);

  // Bytes this reader holds ahead now (prefetched or in flight); for tests.
  uint64_t WindowBytes() const;

  struct Chunk;  // one ranged GET ahead of the reader (object_reader.cc)

 private:
  // The prefetched chunks covering [offset, offset + size), in order, from
  // the one holding `offset`; empty when `offset` is outside the window.
  std::deque<std::shared_ptr<Chunk>> ChunksFor(uint64_t offset, uint64_t size)
      EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Appends to *out from `chunks` (waiting for each); a failed chunk is
  // fetched again synchronously, bytes past the window end come from a plain GET.
  Status Serve(const std::deque<std::shared_ptr<Chunk>>& chunks, const std::string& key,
               uint64_t offset, size_t size, ReadResult* out);
  // One ranged GET, appended to *out.
  Status PlainRead(const std::string& key, uint64_t offset, size_t size, ReadResult* out);
  // Drops every chunk; ones not started yet skip their GET.
  void DropWindowLocked() EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops chunks the reader has passed, then fetches ahead of `position`.
  void FillLocked(uint64_t position) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  ObjectStore* const store_;
  ReadAheadPool* const pool_;
  mutable Mutex mu_;
  std::string key_ GUARDED_BY(mu_);
  uint64_t changes_ GUARDED_BY(mu_) = 0;
  uint64_t generation_ GUARDED_BY(mu_) = 0;                    // bumped when the window is dropped
  std::deque<std::shared_ptr<Chunk>> window_ GUARDED_BY(mu_);  // contiguous, in order
  uint64_t next_ GUARDED_BY(mu_) = 0;             // end of the furthest read of the streak
  uint64_t streak_ GUARDED_BY(mu_) = 0;           // bytes read sequentially in a row
  std::optional<uint64_t> size_ GUARDED_BY(mu_);  // object size, once a short read showed it
};

}  // namespace partfs

#endif  // PARTFS_FS_OBJECT_READER_H_
