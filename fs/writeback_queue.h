// WritebackQueue: the deferred uploads of write-back mode (-o writeback).
//
// Each entry is one closed file whose bytes and metadata are already durable
// in the cache (part files fsync'd, journal committed); its task completes the
// upload. A task runs `delay` after the entry was last scheduled (scheduling
// it again, e.g. at the next close, restarts the delay), sooner when the queue
// is more than half full or `pressure` says the cache is filling up. Tasks run
// on `threads` workers of their own, so many small files upload in parallel.
//
// Thread-safe. The queue holds no lock while a task runs. Destroying it stops
// the workers after their running tasks; tasks still queued are dropped (their
// files are in the journal: the next mount's recovery completes them).
#ifndef PARTFS_FS_WRITEBACK_QUEUE_H_
#define PARTFS_FS_WRITEBACK_QUEUE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace partfs {

class WritebackQueue {
 public:
  using Task = std::function<void()>;
  using TimePoint = std::chrono::steady_clock::time_point;

  struct Options {
    std::chrono::milliseconds delay{std::chrono::seconds(1)};
    uint32_t threads = 4;
    size_t capacity = 512;  // queued files before WaitForRoom blocks
    // True when the cache needs room: every entry is due at once. May be null.
    std::function<bool()> pressure;
  };

  explicit WritebackQueue(Options options);
  ~WritebackQueue();
  WritebackQueue(const WritebackQueue&) = delete;
  WritebackQueue& operator=(const WritebackQueue&) = delete;

  // Queues entry `id` (any unique token, e.g. the file's session) with `task`,
  // or restarts the delay of a queued one (its task is replaced). An entry
  // whose task is running is queued again after it (the file changed since).
  void Schedule(const void* id, Task task);
  // Backpressure for close(): waits while the queue is at capacity (tasks keep
  // running, so this ends when uploads finish).
  void WaitForRoom();
  // Runs every queued entry now and waits until none is queued or running.
  void Drain();

  struct Stats {
    size_t queued = 0;
    size_t running = 0;
    std::chrono::milliseconds oldest_age{0};  // of the queued entries
  };
  Stats GetStats() const;

 private:
  struct Entry {
    Task task;
    TimePoint due;
    TimePoint since;  // first queued
  };

  void WorkerLoop();
  // The entry to run now, if any; else how long to wait.
  bool PickDue(const void** id, std::chrono::milliseconds* wait) EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable Mutex mu_;
  CondVar cv_{&mu_};
  std::map<const void*, Entry> entries_ GUARDED_BY(mu_);
  std::map<const void*, int> running_ GUARDED_BY(mu_);  // ids whose task runs now
  bool draining_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace partfs

#endif  // PARTFS_FS_WRITEBACK_QUEUE_H_
