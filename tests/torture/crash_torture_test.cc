// Randomized crash torture on a real mount (ctest label `torture`).
//
// Each round mounts a fresh bucket (part_size=5M, so multipart files appear at
// small sizes), mkdirs d0 and d1, and lets 4 writer threads run random POSIX
// operations on 12 names (d0/f0..f5, d1/f0..f5): create/overwrite a whole
// file of 0 B .. 24 MiB (content derived from the round seed and the op id,
// written in random chunks, sometimes with an fsync), rename onto a free or an
// existing name, unlink. Operations on one name are serialised (per-name
// locks), so every acknowledged operation - the syscall returned success, for
// a write the close() returned 0 - updates an exact model of what each name
// holds. After a random delay (0.5-6 s) partfs is killed with SIGKILL while
// operations are in flight; each thread records its one interrupted
// operation. The test remounts on the same cache dir, waits for recovery,
// unmounts cleanly and checks the bucket directly (not through the mount).
// In about a third of the rounds partfs is killed a second time 0-400 ms into
// the recovery (a crash during recovery); in half of them every name whose
// interrupted op was a write is overwritten right after the remount, racing
// the recovery of its old version: the new, acknowledged version must win.
// The checks:
//   - every name holds its acknowledged state or one the interrupted
//     operation may have produced (see TortureModel::Allowed): an interrupted
//     write leaves a prefix of the new content holding at least every byte a
//     write() accepted (or, when none was accepted yet, the old state); an
//     interrupted rename leaves the content at the source, the target or both;
//     an interrupted unlink leaves the object or nothing;
//   - no object holds bytes that were never written, no unexpected key exists;
//   - no multipart upload is left on the server and no journal record is left.
//
// Environment: PARTFS_TORTURE_SEED replays one round with that seed (the
// operation choices and the kill delay are fixed by it; thread timing is
// not); PARTFS_TORTURE_ROUNDS sets the number of rounds (default 10).
// Every round prints its seed and its violations.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/resume_support.h"
#include "tests/support/s3_test_server.h"
#include "tests/torture/torture_model.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::Found;
using testing::Mount;
using testing::MountSpec;
using testing::OpRecord;
using testing::OpType;
using testing::TortureModel;
using testing::Violation;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kPartSize = 5 * kMiB;
constexpr uint64_t kMaxFileSize = 24 * kMiB;
constexpr int kThreads = 4;
constexpr int kDefaultRounds = 10;
const char* const kDirs[] = {"d0", "d1"};
constexpr int kFilesPerDir = 6;

uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (const char* dir : kDirs) {
    for (int i = 0; i < kFilesPerDir; ++i)
      names.push_back(std::string(dir) + "/f" + std::to_string(i));
  }
  return names;
}

// A file size: empty, small, around a part boundary, or multipart up to 24 MiB.
uint64_t PickSize(std::mt19937_64& rng) {
  const int kind = static_cast<int>(rng() % 100);
  if (kind < 5) return 0;
  if (kind < 30) return 1 + rng() % (64 * kKiB);
  if (kind < 55) return 64 * kKiB + rng() % (kPartSize - 64 * kKiB);
  if (kind < 70) {
    const uint64_t boundary = kPartSize * (1 + rng() % 3);
    const int64_t delta = static_cast<int64_t>(rng() % 3) - 1;  // -1, 0, +1
    return boundary + delta;
  }
  return kPartSize + rng() % (kMaxFileSize - kPartSize + 1);
}

// One write() size: mostly 1 MiB (the FUSE max_write), sometimes odd sizes.
uint64_t PickChunk(std::mt19937_64& rng) {
  if (rng() % 2 == 0) return kMiB;
  return 1 + rng() % kMiB;
}

struct RoundResult {
  uint64_t seed = 0;
  std::vector<std::string> violations;
  std::string summary;
};

// One round: mount, random ops, kill -9, remount, recovery, unmount, check.
class TortureRound {
 public:
  explicit TortureRound(uint64_t seed) : seed_(seed), model_(seed, Names()) {}

  RoundResult Run();

 private:
  void Writer(int index);
  // Runs `op` (filled in with names and type); returns 0 when acknowledged,
  // else the errno of the failing call (op->stage says which).
  int RunWrite(OpRecord* op, std::mt19937_64& rng);
  int RunRename(OpRecord* op);
  int RunUnlink(OpRecord* op);
  void Violate(const std::string& message) {
    std::lock_guard<std::mutex> lock(violations_mu_);
    violations_.push_back(message);
  }
  std::string JournalSummary(const std::string& cache_dir);
  // Overwrites (in parallel, right after the remount) every name whose
  // interrupted op was a write; the new versions must win over recovery.
  void RaceRecoveryWithWrites(Mount& mount, std::mt19937_64& rng, std::ostringstream& summary);
  void CheckBucket(ObjectStore& store);

  const uint64_t seed_;
  int root_fd_ = -1;  // the mount's root: after the kill, every op through it fails
  std::atomic<bool> killed_{false};
  std::atomic<uint64_t> next_op_{1};

  std::mutex name_mu_[2 * kFilesPerDir];  // serialise ops per name (lock in index order)
  std::mutex model_mu_;
  TortureModel model_;  // guarded by model_mu_ while writers run

  std::mutex done_mu_;
  std::condition_variable done_cv_;
  int done_ = 0;

  std::mutex violations_mu_;
  std::vector<std::string> violations_;
};

int TortureRound::RunWrite(OpRecord* op, std::mt19937_64& rng) {
  uint64_t key = 0;
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    key = model_.AddVersion(op->op_id, op->name, op->size).key;
  }
  // Sometimes an fsync part-way (never at 0, so it follows some data).
  const uint64_t fsync_at = (op->size > 0 && rng() % 5 == 0) ? 1 + rng() % op->size : UINT64_MAX;
  op->stage = "open";
  const int fd = openat(root_fd_, op->name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno;
  op->opened = true;
  std::vector<char> buf(kMiB);
  uint64_t offset = 0;
  int err = 0;
  while (offset < op->size && err == 0) {
    const uint64_t chunk = std::min(PickChunk(rng), op->size - offset);
    testing::FillContent(key, offset, buf.data(), chunk);
    op->stage = "write";
    op->attempted_bytes = offset + chunk;
    const ssize_t n = write(fd, buf.data(), chunk);
    if (n < 0) {
      err = errno;
      break;
    }
    if (n == 0) {
      err = EIO;  // no progress: treat as a failure
      break;
    }
    offset += static_cast<uint64_t>(n);
    op->acked_bytes = offset;
    if (!op->fsynced && offset >= fsync_at) {
      op->stage = "fsync";
      if (fsync(fd) != 0) {
        err = errno;
        break;
      }
      op->fsynced = true;
    }
  }
  if (err != 0) {
    close(fd);  // the fd goes; its result does not matter any more
    return err;
  }
  op->stage = "close";
  if (close(fd) != 0) return errno;
  return 0;
}

int TortureRound::RunRename(OpRecord* op) {
  op->stage = "rename";
  if (renameat(root_fd_, op->name.c_str(), root_fd_, op->to.c_str()) != 0) return errno;
  return 0;
}

int TortureRound::RunUnlink(OpRecord* op) {
  op->stage = "unlink";
  if (unlinkat(root_fd_, op->name.c_str(), 0) != 0) return errno;
  return 0;
}

void TortureRound::Writer(int index) {
  std::mt19937_64 rng(Mix(seed_ ^ Mix(static_cast<uint64_t>(index) + 1)));
  const std::vector<std::string>& names = model_.names();
  const size_t count = names.size();
  // Bounded: the main thread kills the mount after at most 6 s, and every op
  // fails from then on; the cap only guards against a broken kill.
  for (int iteration = 0; iteration < 100000 && !killed_.load(); ++iteration) {
    OpRecord op;
    op.thread = index;
    const int pick = static_cast<int>(rng() % 100);
    op.type = pick < 55 ? OpType::kWrite : pick < 80 ? OpType::kRename : OpType::kUnlink;
    size_t a = rng() % count;
    size_t b = (a + 1 + rng() % (count - 1)) % count;
    const uint64_t size = PickSize(rng);
    // Lock order: by name index.
    std::unique_lock<std::mutex> first, second;
    if (op.type == OpType::kRename) {
      first = std::unique_lock<std::mutex>(name_mu_[std::min(a, b)]);
      second = std::unique_lock<std::mutex>(name_mu_[std::max(a, b)]);
    } else {
      first = std::unique_lock<std::mutex>(name_mu_[a]);
    }
    op.name = names[a];
    {
      std::lock_guard<std::mutex> lock(model_mu_);
      if (model_.IsPoisoned(names[a]) ||
          (op.type == OpType::kRename && model_.IsPoisoned(names[b]))) {
        continue;
      }
      // Renaming or unlinking a missing name is not interesting: write it instead.
      if (op.type != OpType::kWrite && !model_.Current(names[a])) op.type = OpType::kWrite;
    }
    if (op.type == OpType::kRename) op.to = names[b];
    if (op.type == OpType::kWrite) op.size = size;
    if (killed_.load()) break;
    op.op_id = next_op_.fetch_add(1);
    op.version = op.type == OpType::kWrite ? op.op_id : 0;

    int err = 0;
    switch (op.type) {
      case OpType::kWrite:
        err = RunWrite(&op, rng);
        break;
      case OpType::kRename:
        err = RunRename(&op);
        break;
      case OpType::kUnlink:
        err = RunUnlink(&op);
        break;
    }
    op.error = err;
    const bool after_kill = killed_.load();
    std::lock_guard<std::mutex> lock(model_mu_);
    if (err == 0) {
      model_.Acknowledge(op);
      continue;
    }
    const std::string described = op.Describe();
    model_.InFlight(op);
    if (after_kill) break;  // the crash: this thread's one interrupted op
    // A failure with partfs alive: itself a defect; the names' fate is now
    // unknown to the model, so nobody touches them again.
    Violate("operation failed while partfs was running: " + described);
    model_.Poison(op.name);
    if (!op.to.empty()) model_.Poison(op.to);
  }
  std::lock_guard<std::mutex> lock(done_mu_);
  ++done_;
  done_cv_.notify_all();
}

void TortureRound::RaceRecoveryWithWrites(Mount& mount, std::mt19937_64& rng,
                                          std::ostringstream& summary) {
  std::vector<std::string> targets;
  {
    std::lock_guard<std::mutex> lock(model_mu_);
    for (const OpRecord& op : model_.in_flight()) {
      if (op.type == OpType::kWrite && model_.OnlyWritesInFlight(op.name) &&
          std::find(targets.begin(), targets.end(), op.name) == targets.end()) {
        targets.push_back(op.name);
      }
    }
  }
  if (targets.empty()) return;
  root_fd_ = open(mount.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) {
    Violate("open the remounted root: " + std::string(std::strerror(errno)));
    return;
  }
  std::vector<OpRecord> ops(targets.size());
  std::vector<uint64_t> seeds(targets.size());
  for (size_t i = 0; i < targets.size(); ++i) {
    ops[i].thread = kThreads + static_cast<int>(i);
    ops[i].type = OpType::kWrite;
    ops[i].name = targets[i];
    ops[i].size = PickSize(rng);
    ops[i].op_id = ops[i].version = next_op_.fetch_add(1);
    ops[i].after_crash = true;
    seeds[i] = rng();
  }
  std::vector<std::thread> threads;
  std::vector<int> errors(targets.size(), 0);
  for (size_t i = 0; i < targets.size(); ++i) {
    threads.emplace_back([&, i] {
      std::mt19937_64 op_rng(seeds[i]);
      errors[i] = RunWrite(&ops[i], op_rng);
    });
  }
  for (auto& t : threads) t.join();
  close(root_fd_);
  root_fd_ = -1;
  std::lock_guard<std::mutex> lock(model_mu_);
  for (size_t i = 0; i < targets.size(); ++i) {
    ops[i].error = errors[i];
    summary << "  while recovering: write " << ops[i].name << " v" << ops[i].version << " size "
            << ops[i].size << ": "
            << (errors[i] == 0
                    ? "acknowledged"
                    : "FAILED at " + ops[i].stage + ", errno " + std::to_string(errors[i]))
            << "\n";
    if (errors[i] == 0) {
      model_.AcknowledgeAfterCrash(ops[i]);
    } else {
      Violate("write while recovery runs failed: " + ops[i].Describe());
      model_.InFlight(ops[i]);
    }
  }
}

std::string TortureRound::JournalSummary(const std::string& cache_dir) {
  std::map<std::string, int> states;
  const auto entries = testing::ReadJournal(cache_dir);
  for (const auto& e : entries) states[std::string(UploadStateName(e.record.state))]++;
  std::ostringstream out;
  out << entries.size() << " records";
  for (const auto& [state, n] : states) out << " " << state << "=" << n;
  return out.str();
}

void TortureRound::CheckBucket(ObjectStore& store) {
  std::set<std::string> names(model_.names().begin(), model_.names().end());
  std::set<std::string> keys;
  std::string token;
  for (int page = 0; page < 100; ++page) {
    auto listed = store.ListObjects("", "", token, 0);
    if (!listed.ok()) {
      Violate("ListObjects failed: " + listed.status().ToString());
      return;
    }
    for (const auto& o : listed->objects) keys.insert(o.key);
    if (!listed->truncated) break;
    token = listed->next_continuation_token;
  }
  std::map<std::string, Found> found;
  for (const std::string& key : keys) {
    if (key == "d0/" || key == "d1/") continue;  // the directory markers
    if (names.count(key) == 0) {
      Violate("unexpected object in the bucket: " + key);
      continue;
    }
    auto bytes = testing::ReadObject(store, key);
    if (!bytes.ok()) {
      Violate("reading " + key + " failed: " + bytes.status().ToString());
      continue;
    }
    Found f;
    f.present = true;
    f.bytes = std::move(*bytes);
    found[key] = std::move(f);
  }
  for (const Violation& v : model_.Check(found)) Violate(v.message);

  auto uploads = ListAllUploads(store, "");
  if (!uploads.ok()) {
    Violate("ListMultipartUploads failed: " + uploads.status().ToString());
  } else {
    for (const UploadEntry& u : *uploads) {
      Violate("multipart upload left behind: key " + u.key + " upload id " + u.upload_id);
    }
  }
  // Leave the shared server lean: delete what the round wrote.
  std::vector<std::string> all(keys.begin(), keys.end());
  for (size_t i = 0; i < all.size(); i += 1000) {
    std::vector<std::string> batch(all.begin() + i, all.begin() + std::min(all.size(), i + 1000));
    (void)store.DeleteObjects(batch);
  }
  if (uploads.ok()) {
    for (const UploadEntry& u : *uploads) (void)store.AbortMultipartUpload(u.key, u.upload_id);
  }
}

RoundResult TortureRound::Run() {
  RoundResult result;
  result.seed = seed_;
  std::mt19937_64 rng(Mix(seed_));
  const auto kill_after = std::chrono::milliseconds(500 + rng() % 5501);
  const auto round_start = std::chrono::steady_clock::now();
  auto secs = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - round_start).count();
  };
  std::ostringstream summary;

  MountSpec spec;
  spec.options = {"part_size=5M"};
  Mount mount(spec);
  Status started = mount.Start();
  if (!started.ok()) {
    result.violations.push_back("mount failed: " + started.ToString());
    return result;
  }
  for (const char* dir : kDirs) {
    if (mkdir(mount.File(dir).c_str(), 0755) != 0) {
      result.violations.push_back(std::string("mkdir ") + dir + ": " + std::strerror(errno));
      return result;
    }
  }
  root_fd_ = open(mount.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (root_fd_ < 0) {
    result.violations.push_back("open the mount root: " + std::string(std::strerror(errno)));
    return result;
  }

  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back([this, i] { Writer(i); });
  std::this_thread::sleep_for(kill_after);
  killed_ = true;
  mount.Kill9();
  bool all_done = false;
  {
    std::unique_lock<std::mutex> lock(done_mu_);
    all_done = done_cv_.wait_for(lock, 120s, [&] { return done_ == kThreads; });
  }
  if (!all_done) {
    // Cannot happen on Linux (a dead daemon fails every FUSE request); the
    // joins below would block until ctest's timeout.
    ADD_FAILURE() << "seed " << seed_ << ": writer threads still blocked 120 s after the kill";
  }
  for (auto& t : threads) t.join();
  close(root_fd_);
  root_fd_ = -1;

  size_t writes = 0, renames = 0, unlinks = 0;
  for (const OpRecord& op : model_.acked()) {
    writes += op.type == OpType::kWrite;
    renames += op.type == OpType::kRename;
    unlinks += op.type == OpType::kUnlink;
  }
  summary << "kill after " << kill_after.count() << " ms; acknowledged " << model_.acked().size()
          << " ops (" << writes << " writes, " << renames << " renames, " << unlinks
          << " unlinks); journal at the crash: " << JournalSummary(mount.cache_dir()) << "\n";
  for (const OpRecord& op : model_.in_flight()) summary << "  " << op.Describe() << "\n";

  // Remount on the same cache dir and let recovery finish; in some rounds
  // crash again while recovery runs, and/or overwrite interrupted files
  // while recovery runs (the new, acknowledged content must win).
  const bool second_kill = rng() % 3 == 0;
  const auto second_kill_after = std::chrono::milliseconds(rng() % 400);
  const bool race_writes = rng() % 2 == 0;
  size_t finished_before = testing::CountOccurrences(mount.Log(), "recovery finished");
  const double remount_at = secs();
  Status restarted = mount.Remount();
  if (restarted.ok() && second_kill) {
    std::this_thread::sleep_for(second_kill_after);
    mount.Kill9();
    summary << "second kill -9 " << second_kill_after.count()
            << " ms into recovery; journal: " << JournalSummary(mount.cache_dir()) << "\n";
    finished_before = testing::CountOccurrences(mount.Log(), "recovery finished");
    restarted = mount.Remount();
  }
  if (restarted.ok() && race_writes) RaceRecoveryWithWrites(mount, rng, summary);
  if (!restarted.ok()) {
    result.violations.push_back("remount failed: " + restarted.ToString());
  } else {
    if (!testing::WaitForRecovery(mount, finished_before, 120s)) {
      Violate("recovery did not finish within 120 s; journal: " +
              JournalSummary(mount.cache_dir()));
    }
    summary << "recovery took " << static_cast<int>((secs() - remount_at) * 1000) << " ms\n";
    Status unmounted = mount.Unmount();
    if (!unmounted.ok()) Violate("clean unmount after recovery failed: " + unmounted.ToString());
  }
  for (const auto& e : testing::ReadJournal(mount.cache_dir())) {
    Violate("journal record left after recovery and unmount: " + e.record.key + " state " +
            std::string(UploadStateName(e.record.state)) + " size " +
            std::to_string(e.record.size) + " error: " + e.record.last_error);
  }
  CheckBucket(mount.store());

  // The log of a round that went wrong helps: keep its recovery lines.
  {
    std::lock_guard<std::mutex> lock(violations_mu_);
    for (std::string& v : violations_) result.violations.push_back(std::move(v));
  }
  if (!result.violations.empty()) {
    std::istringstream log(mount.Log());
    std::string line;
    summary << "partfs log (ERROR/WARN/recovery lines):\n";
    int shown = 0;
    while (std::getline(log, line) && shown < 60) {
      if (line.find("ERROR") != std::string::npos || line.find("recover") != std::string::npos ||
          line.find("WARN") != std::string::npos) {
        summary << "  | " << line << "\n";
        ++shown;
      }
    }
  }
  summary << "round took " << static_cast<int>(secs()) << " s";
  result.summary = summary.str();
  return result;
}

uint64_t EnvU64(const char* name, uint64_t fallback, bool* set = nullptr) {
  const char* value = std::getenv(name);
  if (set != nullptr) *set = value != nullptr && *value != '\0';
  if (value == nullptr || *value == '\0') return fallback;
  return std::strtoull(value, nullptr, 0);
}

TEST(CrashTorture, RandomOpsThenKill9BucketMatchesAcknowledgedModel) {
  bool replay = false;
  const uint64_t replay_seed = EnvU64("PARTFS_TORTURE_SEED", 0, &replay);
  const uint64_t rounds = replay ? 1 : EnvU64("PARTFS_TORTURE_ROUNDS", kDefaultRounds);
  const uint64_t base =
      Mix(std::random_device{}() ^
          static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()));
  std::vector<RoundResult> results;
  std::string seeds;
  size_t total = 0;
  for (uint64_t round = 0; round < rounds; ++round) {
    const uint64_t seed = replay ? replay_seed : Mix(base + round) & 0xffffffffffffull;
    std::printf("[torture] round %llu/%llu seed %llu (replay: PARTFS_TORTURE_SEED=%llu)\n",
                static_cast<unsigned long long>(round + 1), static_cast<unsigned long long>(rounds),
                static_cast<unsigned long long>(seed), static_cast<unsigned long long>(seed));
    std::fflush(stdout);
    ::testing::Test::RecordProperty("seed_" + std::to_string(round), std::to_string(seed));
    TortureRound torture(seed);
    RoundResult r = torture.Run();
    std::printf("%s\n", r.summary.c_str());
    for (size_t i = 0; i < r.violations.size(); ++i) {
      std::printf("[torture] seed %llu VIOLATION %zu/%zu: %s\n",
                  static_cast<unsigned long long>(seed), i + 1, r.violations.size(),
                  r.violations[i].c_str());
    }
    std::printf("[torture] round %llu seed %llu: %zu violations\n",
                static_cast<unsigned long long>(round + 1), static_cast<unsigned long long>(seed),
                r.violations.size());
    std::fflush(stdout);
    ::testing::Test::RecordProperty("violations_" + std::to_string(round),
                                    std::to_string(r.violations.size()));
    total += r.violations.size();
    if (!r.violations.empty()) seeds += " " + std::to_string(seed);
    results.push_back(std::move(r));
    if (::testing::Test::HasFatalFailure()) break;
  }
  ::testing::Test::RecordProperty("violations_total", std::to_string(total));
  EXPECT_EQ(total, 0u) << total << " violations in " << results.size()
                       << " rounds; seeds with violations:" << seeds
                       << " (replay one with PARTFS_TORTURE_SEED=<seed>)";
}

}  // namespace
}  // namespace partfs
