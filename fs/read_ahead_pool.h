// ReadAheadPool: the few threads that fetch read-ahead chunks for every open
// file of a mount, and the byte budget all read-ahead windows share.
//
// Created by the mount (fs/mount_command.cc) and borrowed by the Filesystem's
// ObjectReaders; it must outlive them and be destroyed before the ObjectStore
// its jobs use. Jobs run in submission order on `threads` workers. The budget
// is never waited for: a reader that cannot reserve a chunk simply reads
// without read-ahead. Stop() (also the destructor) cancels queued jobs
// (Job::Cancel), waits for running ones and joins the workers; a job submitted
// afterwards is cancelled at once.
//
// Thread-safe.
#ifndef PARTFS_FS_READ_AHEAD_POOL_H_
#define PARTFS_FS_READ_AHEAD_POOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace partfs {

struct ReadAheadConfig {
  uint64_t window = 16ull << 20;  // per open file: bytes ahead of the reader; 0 = off
  uint32_t threads = 8;           // parallel ranged GETs of all files together
  uint64_t budget = 32ull << 20;  // all open files' windows together
};

class ReadAheadPool {
 public:
  // One unit of work: exactly one of Run (on a worker) or Cancel (the pool
  // stopped first) is called.
  class Job {
   public:
    virtual ~Job() = default;
    virtual void Run() = 0;
    virtual void Cancel() = 0;
  };

  // Bytes reserved from the budget; gives them back when destroyed. Move-only.
  class Hold {
   public:
    Hold() = default;
    Hold(ReadAheadPool* pool, uint64_t bytes) : pool_(pool), bytes_(bytes) {}
    Hold(Hold&& other) noexcept : pool_(other.pool_), bytes_(other.bytes_) {
      other.pool_ = nullptr;
    }
    Hold& operator=(Hold&& other) noexcept;
    Hold(const Hold&) = delete;
    Hold& operator=(const Hold&) = delete;
    ~Hold();

   private:
    ReadAheadPool* pool_ = nullptr;
    uint64_t bytes_ = 0;
  };

  // chunk_size() bytes of anonymous memory for one chunk, recycled by the pool
  // so that a steady reader does not fault in fresh pages for every chunk
  // (buffers in use and idle together stay within the budget). Move-only;
  // data() is null when memory could not be mapped.
  class Buffer {
   public:
    Buffer() = default;
    Buffer(ReadAheadPool* pool, char* data) : pool_(pool), data_(data) {}
    Buffer(Buffer&& other) noexcept : pool_(other.pool_), data_(other.data_) {
      other.data_ = nullptr;
    }
    Buffer& operator=(Buffer&& other) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;
    ~Buffer();
    char* data() const { return data_; }

   private:
    ReadAheadPool* pool_ = nullptr;
    char* data_ = nullptr;
  };

  explicit ReadAheadPool(ReadAheadConfig config);
  ~ReadAheadPool();
  ReadAheadPool(const ReadAheadPool&) = delete;
  ReadAheadPool& operator=(const ReadAheadPool&) = delete;

  const ReadAheadConfig& config() const { return config_; }
  // The size of one ranged GET ahead of a reader: half the window, between
  // 256 KiB and 8 MiB. Large, because every GET costs the server far more
  // than its bytes (a 2 MiB chunk cost it half again the CPU of one stream);
  // two ahead of the reader keep it busy while the reader copies one.
  uint64_t chunk_size() const { return chunk_size_; }

  // Takes `bytes` from the budget into *hold; false (nothing taken) when over
  // it or stopped.
  bool TryReserve(uint64_t bytes, Hold* hold);
  uint64_t reserved() const;  // bytes held now (tests, status)
  Buffer TakeBuffer();

  void Submit(std::shared_ptr<Job> job);
  // Idempotent; called by one thread (the mount's shutdown, the destructor).
  void Stop();

 private:
  void Unreserve(uint64_t bytes);
  void ReturnBuffer(char* data);
  void WorkerLoop();

  const ReadAheadConfig config_;
  const uint64_t chunk_size_;
  mutable Mutex mu_;
  CondVar wake_{&mu_};
  bool stopping_ GUARDED_BY(mu_) = false;
  uint64_t reserved_ GUARDED_BY(mu_) = 0;
  std::deque<std::shared_ptr<Job>> queue_ GUARDED_BY(mu_);
  std::vector<char*> idle_buffers_ GUARDED_BY(mu_);
  std::vector<std::thread> workers_;  // last: started after the members they use
};

}  // namespace partfs

#endif  // PARTFS_FS_READ_AHEAD_POOL_H_
