// WritebackQueue: see fs/writeback_queue.h.
#include "fs/writeback_queue.h"

#include <algorithm>

namespace partfs {

namespace {
// How often an idle worker re-asks `pressure` while entries wait for their delay.
constexpr std::chrono::milliseconds kPressurePoll{100};
}  // namespace

WritebackQueue::WritebackQueue(Options options) : options_(std::move(options)) {
  for (uint32_t i = 0; i < std::max<uint32_t>(1, options_.threads); ++i) {
    workers_.emplace_back([this] { WorkerLoop(); });
  }
}

WritebackQueue::~WritebackQueue() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cv_.SignalAll();
  }
  for (auto& worker : workers_) worker.join();
}

void WritebackQueue::Schedule(const void* id, Task task) {
  MutexLock lock(&mu_);
  const TimePoint now = std::chrono::steady_clock::now();
  auto [it, added] = entries_.try_emplace(id);
  if (added) it->second.since = now;
  it->second.task = std::move(task);
  it->second.due = now + options_.delay;
  cv_.SignalAll();
}

void WritebackQueue::WaitForRoom() {
  MutexLock lock(&mu_);
  while (entries_.size() >= options_.capacity && !stopping_) cv_.Wait();
}

void WritebackQueue::Drain() {
  MutexLock lock(&mu_);
  draining_ = true;
  cv_.SignalAll();
  while (!entries_.empty() || !running_.empty()) cv_.Wait();
  draining_ = false;
}

WritebackQueue::Stats WritebackQueue::GetStats() const {
  MutexLock lock(&mu_);
  Stats stats;
  stats.queued = entries_.size();
  stats.running = running_.size();
  const TimePoint now = std::chrono::steady_clock::now();
  for (const auto& [id, entry] : entries_) {
    stats.oldest_age = std::max(
        stats.oldest_age, std::chrono::duration_cast<std::chrono::milliseconds>(now - entry.since));
  }
  return stats;
}

bool WritebackQueue::PickDue(const void** id, std::chrono::milliseconds* wait) {
  const TimePoint now = std::chrono::steady_clock::now();
  // Under pressure the delay is skipped: the oldest entries go first.
  const bool hurry = draining_ || entries_.size() * 2 > options_.capacity ||
                     (options_.pressure && options_.pressure());
  const Entry* best = nullptr;
  for (const auto& [key, entry] : entries_) {
    if (running_.count(key)) continue;  // one task per file at a time
    const TimePoint when = hurry ? entry.since : entry.due;
    if (best == nullptr || when < (hurry ? best->since : best->due)) {
      best = &entry;
      *id = key;
    }
  }
  if (best == nullptr) {
    *wait = kPressurePoll;
    return false;
  }
  if (hurry || best->due <= now) return true;
  *wait = std::chrono::duration_cast<std::chrono::milliseconds>(best->due - now) +
          std::chrono::milliseconds(1);
  if (options_.pressure) *wait = std::min(*wait, kPressurePoll);
  return false;
}

void WritebackQueue::WorkerLoop() {
  mu_.lock();
  while (!stopping_) {
    const void* id = nullptr;
    std::chrono::milliseconds wait{0};
    if (entries_.empty() || !PickDue(&id, &wait)) {
      if (entries_.empty()) {
        cv_.Wait();
      } else {
        cv_.WaitFor(wait);
      }
      continue;
    }
    auto it = entries_.find(id);
    Task task = std::move(it->second.task);
    entries_.erase(it);
    ++running_[id];
    cv_.SignalAll();  // room for WaitForRoom
    mu_.unlock();
    task();
    mu_.lock();
    if (--running_[id] == 0) running_.erase(id);
    cv_.SignalAll();
  }
  mu_.unlock();
}

}  // namespace partfs
