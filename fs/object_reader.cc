#include "fs/object_reader.h"

#include <algorithm>
#include <utility>

namespace partfs {

struct ObjectReader::Chunk {
  Chunk(uint64_t start, uint64_t bytes_wanted, ReadAheadPool::Hold budget)
      : offset(start), length(bytes_wanted), hold(std::move(budget)) {}

  uint64_t end() const { return offset + length; }

  // The first completion wins (a cancelled job after an abandoned one, say).
  void Complete(Status result, uint64_t count) {
    MutexLock lock(&mu);
    if (done) return;
    status = std::move(result);
    bytes = count;
    done = true;
    done_cv.SignalAll();
  }

  const uint64_t offset;
  const uint64_t length;
  const ReadAheadPool::Hold hold;  // its bytes of the shared budget, until the chunk is freed
  Mutex mu;
  CondVar done_cv{&mu};
  bool done GUARDED_BY(mu) = false;
  bool abandoned GUARDED_BY(mu) = false;  // the reader dropped it: skip the GET if not started
  Status status GUARDED_BY(mu);
  uint64_t bytes GUARDED_BY(mu) = 0;  // < length: the object ends in this chunk
  ReadAheadPool::Buffer data;         // written by the fetch before `done`, read-only after
};

namespace {

class ChunkFetch : public ReadAheadPool::Job {
 public:
  ChunkFetch(ObjectStore* store, ReadAheadPool* pool, std::string key,
             std::shared_ptr<ObjectReader::Chunk> chunk)
      : store_(store), pool_(pool), key_(std::move(key)), chunk_(std::move(chunk)) {}

  void Run() override {
    if (Abandoned()) return chunk_->Complete(Status::Aborted("read-ahead dropped"), 0);
    chunk_->data = pool_->TakeBuffer();
    if (chunk_->data.data() == nullptr) {
      return chunk_->Complete(Status::NoSpace("no memory for a read-ahead chunk"), 0);
    }
    auto got = store_->GetObject(key_, chunk_->offset, chunk_->length, chunk_->data.data());
    if (!got.ok()) return chunk_->Complete(got.status(), 0);
    chunk_->Complete(Status::OK(), *got);
  }
  void Cancel() override { chunk_->Complete(Status::Aborted("read-ahead stopped"), 0); }

 private:
  bool Abandoned() {
    MutexLock lock(&chunk_->mu);
    return chunk_->abandoned;
  }

  ObjectStore* const store_;
  ReadAheadPool* const pool_;
  const std::string key_;
  const std::shared_ptr<ObjectReader::Chunk> chunk_;
};

}  // namespace

ObjectReader::ObjectReader(ObjectStore* store, ReadAheadPool* pool) : store_(store), pool_(pool) {}

ObjectReader::~ObjectReader() {
  MutexLock lock(&mu_);
  DropWindowLocked();
}

uint64_t ObjectReader::WindowBytes() const {
  MutexLock lock(&mu_);
  uint64_t bytes = 0;
  for (const auto& chunk : window_) bytes += chunk->length;
  return bytes;
}

Status ObjectReader::PlainRead(const std::string& key, uint64_t offset, size_t size,
                               ReadResult* out) {
  auto read = store_->GetObject(key, offset, size, out->AddOwned(size));
  out->TrimLast(read.ok() ? static_cast<size_t>(*read) : 0);
  return read.ok() ? Status::OK() : read.status();
}

void ObjectReader::DropWindowLocked() {
  for (const auto& chunk : window_) {
    MutexLock lock(&chunk->mu);
    chunk->abandoned = true;
  }
  window_.clear();
  ++generation_;
}

std::deque<std::shared_ptr<ObjectReader::Chunk>> ObjectReader::ChunksFor(uint64_t offset,
                                                                         uint64_t size) {
  std::deque<std::shared_ptr<Chunk>> hits;
  if (window_.empty() || offset < window_.front()->offset || offset >= window_.back()->end()) {
    return hits;
  }
  for (const auto& chunk : window_) {
    if (chunk->end() <= offset) continue;
    if (chunk->offset >= offset + size) break;
    hits.push_back(chunk);
  }
  return hits;
}

Result<size_t> ObjectReader::Read(const std::string& key, uint64_t changes, uint64_t offset,
                                  size_t size, char* buf) {
  auto read = ReadInPlace(key, changes, offset, size);
  if (!read.ok()) return read.status();
  read->CopyTo(buf);
  return read->size();
}

Result<ReadResult> ObjectReader::ReadInPlace(const std::string& key, uint64_t changes,
                                             uint64_t offset, size_t size) {
  ReadResult result;
  if (pool_ == nullptr || pool_->config().window == 0 || size == 0) {
    PARTFS_RETURN_IF_ERROR(PlainRead(key, offset, size, &result));
    return result;
  }
  std::deque<std::shared_ptr<Chunk>> chunks;
  bool sequential;
  {
    MutexLock lock(&mu_);
    if (key != key_ || changes != changes_) {
      DropWindowLocked();
      key_ = key;
      changes_ = changes;
      next_ = 0;
      streak_ = 0;
      size_.reset();
    }
    chunks = ChunksFor(offset, size);
    sequential = !chunks.empty() ||
                 (offset + kSequentialSlack >= next_ && offset <= next_ + kSequentialSlack);
    if (!sequential) {
      DropWindowLocked();
      streak_ = 0;
    }
  }
  PARTFS_RETURN_IF_ERROR(chunks.empty() ? PlainRead(key, offset, size, &result)
                                        : Serve(chunks, key, offset, size, &result));
  const uint64_t read = result.size();
  MutexLock lock(&mu_);
  if (key != key_ || changes != changes_) return result;  // another read moved on to a new version
  if (read < size) size_ = offset + read;                 // a short read ends at the object's end
  if (sequential) {
    streak_ += read;
    next_ = std::max(next_, offset + read);
  } else {
    streak_ = read;
    next_ = offset + read;
  }
  if (streak_ >= kStreakToPrefetch) FillLocked(offset + read);
  return result;
}

Status ObjectReader::Serve(const std::deque<std::shared_ptr<Chunk>>& chunks, const std::string& key,
                           uint64_t offset, size_t size, ReadResult* out) {
  for (const auto& chunk : chunks) {
    const size_t copied = out->size();
    const uint64_t position = offset + copied;
    if (copied == size || position < chunk->offset) break;
    Status status;
    uint64_t bytes;
    {
      MutexLock lock(&chunk->mu);
      while (!chunk->done) chunk->done_cv.Wait();
      status = chunk->status;
      bytes = chunk->bytes;
    }
    if (!status.ok()) {
      // The prefetch failed (or was dropped): fetch the rest again, once, now;
      // read-ahead restarts from here.
      {
        MutexLock lock(&mu_);
        DropWindowLocked();
      }
      // Never a short count on failure: that would read as EOF.
      return PlainRead(key, position, size - copied, out);
    }
    const uint64_t skip = position - chunk->offset;
    if (skip >= bytes) return Status::OK();  // the object ends before `position`
    const size_t n = static_cast<size_t>(std::min<uint64_t>(bytes - skip, size - copied));
    // The reply reads the chunk's buffer in place; the chunk lives until then.
    out->AddHeld(chunk, chunk->data.data() + skip, n);
    if (bytes < chunk->length) return Status::OK();  // the object ends in this chunk
  }
  if (out->size() < size) {  // the read reaches past the window
    return PlainRead(key, offset + out->size(), size - out->size(), out);
  }
  return Status::OK();
}

void ObjectReader::FillLocked(uint64_t position) {
  while (!window_.empty() && window_.front()->end() <= position) window_.pop_front();
  const ReadAheadConfig& config = pool_->config();
  const uint64_t chunk_size = pool_->chunk_size();
  // Ramp up: hold ahead twice what was read in a row, up to the window.
  const uint64_t target = std::min(config.window, std::max(chunk_size, 2 * streak_));
  uint64_t start = window_.empty() ? std::max(next_, position) : window_.back()->end();
  const uint64_t held_from = window_.empty() ? start : window_.front()->offset;
  while (start < position + target && (!size_ || start < *size_)) {
    uint64_t length = chunk_size;
    if (size_) length = std::min(length, *size_ - start);
    // The window counts what lies beyond the chunk being read, so that a
    // whole chunk is always on its way while the reader copies from one.
    if (start + length - held_from > config.window + chunk_size) break;
    ReadAheadPool::Hold hold;
    if (!pool_->TryReserve(length, &hold)) break;  // over the shared budget: plain reads
    auto chunk = std::make_shared<Chunk>(start, length, std::move(hold));
    window_.push_back(chunk);
    pool_->Submit(std::make_shared<ChunkFetch>(store_, pool_, key_, std::move(chunk)));
    start += length;
  }
}

}  // namespace partfs
