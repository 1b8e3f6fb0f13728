// Unit tests of fs/object_reader.h and fs/read_ahead_pool.h over the fake
// store: how many GETs of which ranges a sequential, a random and a failing
// reader cause, the per-file window and the shared budget, EOF, and a change
// of the file dropping what was prefetched.
#include "fs/object_reader.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/mutex.h"
#include "fs/read_ahead_pool.h"
#include "gtest/gtest.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/test_data.h"

namespace partfs {
namespace {

constexpr uint64_t kKiB = 1 << 10;
constexpr uint64_t kMiB = 1 << 20;
constexpr size_t kFuseRead = 128 * kKiB;  // what the kernel sends by default
const std::string kKey = "obj";

// The fake store recording every GET's range; GETs at chosen offsets fail
// (a number of times), and GETs can be held at a gate.
class RecordingStore : public testing::FakeObjectStore {
 public:
  struct Get {
    uint64_t offset;
    uint64_t length;
  };

  Result<uint64_t> GetObject(const std::string& key, uint64_t offset, uint64_t length,
                             char* buf) override {
    {
      MutexLock lock(&mu_);
      gets_.push_back({offset, length});
      while (gate_closed_) gate_cv_.Wait();
      auto fail = fail_at_.find(offset);
      if (fail != fail_at_.end() && fail->second > 0) {
        --fail->second;
        return Status::IOError("injected: GET at " + std::to_string(offset));
      }
    }
    return FakeObjectStore::GetObject(key, offset, length, buf);
  }

  std::vector<Get> Gets() const {
    MutexLock lock(&mu_);
    return gets_;
  }
  void ClearGets() {
    MutexLock lock(&mu_);
    gets_.clear();
  }
  void FailAt(uint64_t offset, int times) {
    MutexLock lock(&mu_);
    fail_at_[offset] = times;
  }
  void SetGate(bool closed) {
    MutexLock lock(&mu_);
    gate_closed_ = closed;
    gate_cv_.SignalAll();
  }

 private:
  mutable Mutex mu_;
  CondVar gate_cv_{&mu_};
  std::vector<Get> gets_ GUARDED_BY(mu_);
  std::map<uint64_t, int> fail_at_ GUARDED_BY(mu_);
  bool gate_closed_ GUARDED_BY(mu_) = false;
};

class ObjectReaderTest : public ::testing::Test {
 protected:
  void Put(const std::string& data) {
    ASSERT_TRUE(store_.PutObjectFromString(kKey, data, {}).ok());
  }

  // Reads [offset, offset + size) through `reader`; the bytes read.
  std::string ReadAt(ObjectReader& reader, uint64_t offset, size_t size, uint64_t changes = 0) {
    std::string buf(size, '\0');
    auto read = reader.Read(kKey, changes, offset, size, buf.data());
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    if (!read.ok()) return "";
    buf.resize(*read);
    return buf;
  }

  // Reads the whole object in kFuseRead steps, as cat through the kernel would.
  std::string ReadSequentially(ObjectReader& reader, uint64_t changes = 0) {
    std::string out;
    for (;;) {
      std::string piece = ReadAt(reader, out.size(), kFuseRead, changes);
      out += piece;
      if (piece.size() < kFuseRead) return out;
    }
  }

  RecordingStore store_;
};

TEST_F(ObjectReaderTest, SequentialReadUsesFewLargeGets) {
  const std::string data = testing::TestBytes(20 * kMiB + 4321, 1);
  Put(data);
  ReadAheadPool pool({.window = 8 * kMiB, .threads = 2, .budget = 16 * kMiB});
  ASSERT_EQ(pool.chunk_size(), 4 * kMiB);
  ObjectReader reader(&store_, &pool);
  EXPECT_EQ(ReadSequentially(reader), data);
  auto gets = store_.Gets();
  // 161 reads of 128 KiB: two plain ones start the streak, then 4 MiB chunks.
  EXPECT_LE(gets.size(), 2 + 6 + 2u);
  size_t large = std::count_if(gets.begin(), gets.end(),
                               [](const RecordingStore::Get& g) { return g.length == 4 * kMiB; });
  EXPECT_GE(large, 4u);
  // Nothing is fetched twice; past the end (unknown until a GET comes back
  // short) at most the other chunks held (window and the one being read),
  // each an empty answer.
  std::set<uint64_t> offsets;
  for (const auto& g : gets) EXPECT_TRUE(offsets.insert(g.offset).second) << g.offset;
  EXPECT_LE(std::count_if(gets.begin(), gets.end(),
                          [&](const RecordingStore::Get& g) { return g.offset >= data.size(); }),
            2);
}

TEST_F(ObjectReaderTest, RandomReadsFetchOnlyWhatIsAsked) {
  const std::string data = testing::TestBytes(64 * kMiB, 2);
  Put(data);
  ReadAheadPool pool({.window = 8 * kMiB, .threads = 2, .budget = 16 * kMiB});
  ObjectReader reader(&store_, &pool);
  std::mt19937_64 rng(7);
  const int kReads = 200;
  for (int i = 0; i < kReads; ++i) {
    uint64_t offset = rng() % (data.size() - 4 * kKiB);
    ASSERT_EQ(ReadAt(reader, offset, 4 * kKiB), data.substr(offset, 4 * kKiB));
  }
  auto gets = store_.Gets();
  EXPECT_EQ(gets.size(), static_cast<size_t>(kReads));
  for (const auto& g : gets) EXPECT_EQ(g.length, 4 * kKiB);
  EXPECT_EQ(reader.WindowBytes(), 0u);
  EXPECT_EQ(pool.reserved(), 0u);
}

TEST_F(ObjectReaderTest, JumpAfterSequentialRunWastesAtMostOneWindowAndAChunk) {
  const std::string data = testing::TestBytes(64 * kMiB, 3);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  for (uint64_t offset = 0; offset < 2 * kMiB; offset += kFuseRead) {
    ASSERT_EQ(ReadAt(reader, offset, kFuseRead), data.substr(offset, kFuseRead));
  }
  EXPECT_LE(reader.WindowBytes(), 4 * kMiB + pool.chunk_size());
  // A jump drops the window; the next reads are single GETs again.
  ASSERT_EQ(ReadAt(reader, 40 * kMiB, 4 * kKiB), data.substr(40 * kMiB, 4 * kKiB));
  EXPECT_EQ(reader.WindowBytes(), 0u);
  uint64_t fetched = 0;
  for (const auto& g : store_.Gets()) fetched += g.length;
  // read + one window and the chunk being read + the jump
  EXPECT_LE(fetched, 2 * kMiB + 4 * kMiB + pool.chunk_size() + 4 * kKiB);
}

TEST_F(ObjectReaderTest, WindowAndBudgetBoundHeldBytes) {
  const std::string data = testing::TestBytes(32 * kMiB, 4);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 4, .budget = 4 * kMiB});
  ObjectReader first(&store_, &pool);
  ObjectReader second(&store_, &pool);
  // Start a streak, then hold every GET: chunks stay in flight.
  ASSERT_EQ(ReadAt(first, 0, kFuseRead), data.substr(0, kFuseRead));
  ASSERT_EQ(ReadAt(first, kFuseRead, kFuseRead), data.substr(kFuseRead, kFuseRead));
  EXPECT_GT(first.WindowBytes(), 0u);
  EXPECT_LE(first.WindowBytes(), 4 * kMiB);
  EXPECT_LE(pool.reserved(), 4 * kMiB);
  // Read the first far enough that its window is full.
  for (uint64_t offset = 2 * kFuseRead; offset < 8 * kMiB; offset += kFuseRead) {
    ASSERT_EQ(ReadAt(first, offset, kFuseRead), data.substr(offset, kFuseRead));
    EXPECT_LE(first.WindowBytes(), 4 * kMiB);
    EXPECT_LE(pool.reserved(), 4 * kMiB);
  }
  // The second reader finds the budget taken: it reads correctly, without read-ahead.
  store_.ClearGets();
  EXPECT_EQ(ReadSequentially(second).size(), data.size());
  EXPECT_LE(pool.reserved(), 4 * kMiB);
  EXPECT_LE(first.WindowBytes() + second.WindowBytes(), 4 * kMiB);
}

TEST_F(ObjectReaderTest, HeldGetsKeepTheWindowBounded) {
  const std::string data = testing::TestBytes(16 * kMiB, 5);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  ASSERT_EQ(ReadAt(reader, 0, kFuseRead), data.substr(0, kFuseRead));
  ASSERT_EQ(ReadAt(reader, kFuseRead, kFuseRead), data.substr(kFuseRead, kFuseRead));
  store_.SetGate(true);
  // Reads waiting for held chunks block; unblock after checking the bound.
  std::thread late([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_LE(reader.WindowBytes(), 4 * kMiB + pool.chunk_size());
    EXPECT_LE(pool.reserved(), 4 * kMiB);
    store_.SetGate(false);
  });
  EXPECT_EQ(ReadSequentially(reader), data);
  late.join();
}

TEST_F(ObjectReaderTest, EndOfObject) {
  for (uint64_t size : {uint64_t{0}, 100 * kKiB, kMiB, kMiB + 123, 5 * kMiB - 1}) {
    SCOPED_TRACE(size);
    const std::string data = testing::TestBytes(size, 6);
    Put(data);
    store_.ClearGets();
    ReadAheadPool pool({.window = 2 * kMiB, .threads = 2, .budget = 4 * kMiB});
    ObjectReader reader(&store_, &pool);
    EXPECT_EQ(ReadSequentially(reader), data);
    EXPECT_EQ(ReadAt(reader, size, kFuseRead), "");
    EXPECT_EQ(ReadAt(reader, size + 10 * kMiB, kFuseRead), "");
    // Past the end: the two reads above and, before a short GET showed the
    // end, at most the other chunks held (the window and the one being read).
    int past_end = 0;
    for (const auto& g : store_.Gets()) past_end += g.offset >= size ? 1 : 0;
    EXPECT_LE(past_end, static_cast<int>(2 + 2 * kMiB / pool.chunk_size()));
  }
}

TEST_F(ObjectReaderTest, FailedPrefetchIsRetriedWhenRead) {
  const std::string data = testing::TestBytes(8 * kMiB, 7);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  // The chunk GETs start at 256 KiB (after two plain reads), 2 MiB each.
  const uint64_t second_chunk = 256 * kKiB + pool.chunk_size();
  store_.FailAt(second_chunk, 1);
  EXPECT_EQ(ReadSequentially(reader), data);
  // Twice (the prefetch and the retry): the reader gets the error.
  ObjectReader again(&store_, &pool);
  store_.FailAt(second_chunk, 2);
  ReadAt(again, 0, kFuseRead);
  ReadAt(again, kFuseRead, kFuseRead);
  Status failed;
  for (uint64_t offset = 2 * kFuseRead; offset < data.size() && failed.ok(); offset += kFuseRead) {
    std::string buf(kFuseRead, '\0');
    auto read = again.Read(kKey, 0, offset, kFuseRead, buf.data());
    if (!read.ok()) {
      failed = read.status();
      EXPECT_GE(offset + kFuseRead, second_chunk);
    }
  }
  EXPECT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("injected"), std::string::npos) << failed.ToString();
}

TEST_F(ObjectReaderTest, FailedPrefetchNeverReadIsNoError) {
  const std::string data = testing::TestBytes(8 * kMiB, 8);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  const uint64_t second_chunk = 256 * kKiB + pool.chunk_size();
  store_.FailAt(second_chunk, 100);  // the second chunk always fails
  for (uint64_t offset = 0; offset < second_chunk; offset += kFuseRead) {
    ASSERT_EQ(ReadAt(reader, offset, kFuseRead), data.substr(offset, kFuseRead));
  }
}

TEST_F(ObjectReaderTest, ChangeOfTheFileDropsPrefetchedBytes) {
  const std::string old_data = testing::TestBytes(8 * kMiB, 9);
  const std::string new_data = testing::TestBytes(8 * kMiB, 10);
  Put(old_data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  for (uint64_t offset = 0; offset < 2 * kMiB; offset += kFuseRead) {
    ASSERT_EQ(ReadAt(reader, offset, kFuseRead, /*changes=*/1), old_data.substr(offset, kFuseRead));
  }
  // Let the prefetches finish, then replace the object through "this mount".
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GT(reader.WindowBytes(), 0u);
  Put(new_data);
  EXPECT_EQ(ReadAt(reader, 2 * kMiB, kFuseRead, /*changes=*/2),
            new_data.substr(2 * kMiB, kFuseRead));
  EXPECT_EQ(ReadAt(reader, 2 * kMiB + kFuseRead, kFuseRead, 2),
            new_data.substr(2 * kMiB + kFuseRead, kFuseRead));
}

TEST_F(ObjectReaderTest, ConcurrentReadersOfOneHandle) {
  const std::string data = testing::TestBytes(16 * kMiB, 11);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 2, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  // Two threads take the 128 KiB steps in turn, as FUSE threads take the
  // kernel's parallel read-ahead requests: in order, finishing out of order.
  std::string out(data.size(), '\0');
  std::atomic<uint64_t> next{0};
  auto worker = [&] {
    for (;;) {
      uint64_t offset = next.fetch_add(kFuseRead);
      if (offset >= data.size()) return;
      auto read = reader.Read(kKey, 0, offset, kFuseRead, out.data() + offset);
      EXPECT_TRUE(read.ok());
    }
  };
  std::thread a(worker), b(worker);
  a.join();
  b.join();
  EXPECT_TRUE(out == data);
  EXPECT_LT(store_.Gets().size(), 64u);  // mostly chunks, not 128 single reads
}

TEST_F(ObjectReaderTest, NoPoolMeansPlainReads) {
  const std::string data = testing::TestBytes(2 * kMiB, 12);
  Put(data);
  ObjectReader reader(&store_, nullptr);
  EXPECT_EQ(ReadSequentially(reader), data);
  EXPECT_EQ(store_.Gets().size(), 17u);  // 16 reads and the one that finds the end
}

TEST_F(ObjectReaderTest, StoppedPoolCancelsQueuedChunks) {
  const std::string data = testing::TestBytes(8 * kMiB, 13);
  Put(data);
  ReadAheadPool pool({.window = 4 * kMiB, .threads = 1, .budget = 8 * kMiB});
  ObjectReader reader(&store_, &pool);
  ReadAt(reader, 0, kFuseRead);
  ReadAt(reader, kFuseRead, kFuseRead);
  pool.Stop();
  // Cancelled chunks are fetched again synchronously by the reader.
  std::string rest;
  for (uint64_t offset = 2 * kFuseRead; offset < data.size(); offset += kFuseRead) {
    rest += ReadAt(reader, offset, kFuseRead);
  }
  EXPECT_EQ(rest, data.substr(2 * kFuseRead));
  EXPECT_EQ(pool.reserved(), 0u);
}

}  // namespace
}  // namespace partfs
