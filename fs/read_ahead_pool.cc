#include "fs/read_ahead_pool.h"

#include <sys/mman.h>

#include <algorithm>
#include <utility>

namespace partfs {

namespace {
constexpr uint64_t kMinChunk = 256ull << 10;
constexpr uint64_t kMaxChunk = 8ull << 20;
}  // namespace

ReadAheadPool::Hold& ReadAheadPool::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    if (pool_ != nullptr) pool_->Unreserve(bytes_);
    pool_ = std::exchange(other.pool_, nullptr);
    bytes_ = other.bytes_;
  }
  return *this;
}

ReadAheadPool::Hold::~Hold() {
  if (pool_ != nullptr) pool_->Unreserve(bytes_);
}

ReadAheadPool::Buffer& ReadAheadPool::Buffer::operator=(Buffer&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) pool_->ReturnBuffer(data_);
    pool_ = other.pool_;
    data_ = std::exchange(other.data_, nullptr);
  }
  return *this;
}

ReadAheadPool::Buffer::~Buffer() {
  if (data_ != nullptr) pool_->ReturnBuffer(data_);
}

ReadAheadPool::Buffer ReadAheadPool::TakeBuffer() {
  {
    MutexLock lock(&mu_);
    if (!idle_buffers_.empty()) {
      char* data = idle_buffers_.back();
      idle_buffers_.pop_back();
      return Buffer(this, data);
    }
  }
  void* p = mmap(nullptr, chunk_size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return Buffer();
  return Buffer(this, static_cast<char*>(p));
}

void ReadAheadPool::ReturnBuffer(char* data) {
  {
    MutexLock lock(&mu_);
    // Idle buffers and the reserved bytes (a superset of the chunks holding
    // buffers; this one's are still counted) stay within the budget, so the
    // pool never maps more than the budget.
    if ((idle_buffers_.size() + 1) * chunk_size_ + reserved_ <= config_.budget) {
      idle_buffers_.push_back(data);
      return;
    }
  }
  munmap(data, chunk_size_);
}

ReadAheadPool::ReadAheadPool(ReadAheadConfig config)
    : config_(config), chunk_size_(std::clamp(config.window / 2, kMinChunk, kMaxChunk)) {
  for (uint32_t i = 0; i < config_.threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ReadAheadPool::~ReadAheadPool() {
  Stop();
  MutexLock lock(&mu_);
  for (char* data : idle_buffers_) munmap(data, chunk_size_);
  idle_buffers_.clear();
}

bool ReadAheadPool::TryReserve(uint64_t bytes, Hold* hold) {
  {
    MutexLock lock(&mu_);
    if (stopping_ || reserved_ + bytes > config_.budget) return false;
    reserved_ += bytes;
  }
  *hold = Hold(this, bytes);
  return true;
}

uint64_t ReadAheadPool::reserved() const {
  MutexLock lock(&mu_);
  return reserved_;
}

void ReadAheadPool::Unreserve(uint64_t bytes) {
  MutexLock lock(&mu_);
  reserved_ -= bytes;
}

void ReadAheadPool::Submit(std::shared_ptr<Job> job) {
  {
    MutexLock lock(&mu_);
    if (!stopping_ && !workers_.empty()) {
      queue_.push_back(std::move(job));
      wake_.Signal();
      return;
    }
  }
  job->Cancel();
}

void ReadAheadPool::Stop() {
  std::deque<std::shared_ptr<Job>> cancelled;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    cancelled.swap(queue_);
    wake_.SignalAll();
  }
  // Outside the lock: a cancelled job's chunk gives its budget back (Unreserve).
  for (auto& job : cancelled) job->Cancel();
  cancelled.clear();
  for (auto& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
}

void ReadAheadPool::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      MutexLock lock(&mu_);
      while (!stopping_ && queue_.empty()) wake_.Wait();
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    job->Run();
  }
}

}  // namespace partfs
