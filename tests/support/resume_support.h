// Helpers for the crash-resume tests (tests/fuse/resume_*_test.cc, torture, fault): a
// child process the test can kill at a chosen moment, read-only snapshots of a
// cache directory's journal, and bounded waits for a remount's recovery.
//
// Everything here only reads the cache directory (the journal is opened
// read-only, as `partfs status` does), so it is safe while a mount owns it.
// ChildProcess is owned by one thread; the free functions are thread-compatible.
#ifndef PARTFS_TESTS_SUPPORT_RESUME_SUPPORT_H_
#define PARTFS_TESTS_SUPPORT_RESUME_SUPPORT_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cache/journal.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"

namespace partfs::testing {

// A command run directly (no shell) with stdin from /dev/null and stdout+stderr
// to `log_path`. The destructor SIGKILLs it (if still running) and reaps it.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Bytes the process passed to write(2) and friends so far (/proc/PID/io
  // wchar); -1 once it has exited.
  int64_t BytesWritten() const;
  // Exit code (128+N for signal N), -1 on timeout. Reaps the process.
  int Wait(std::chrono::milliseconds timeout);
  void Kill();
  std::string Output() const;

 private:
  pid_t pid_ = -1;
  int exit_code_ = -1;
  std::string log_path_;
};

// One journal record and its finished parts.
struct JournalEntry {
  FileRecord record;
  std::vector<PartRecord> parts;
};

// The journal of `cache_dir`, read-only. Empty when there is none.
std::vector<JournalEntry> ReadJournal(const std::string& cache_dir);
std::optional<JournalEntry> FindJournalEntry(const std::string& cache_dir, const std::string& key);

// Parts the record's schedule needs for `size` bytes (S3 profile limits).
uint32_t PartsFor(const FileRecord& record, uint64_t size);
// Part files (part-<n>) in files/<id>/.
std::vector<uint32_t> CachedParts(const std::string& cache_dir, uint64_t file_id);

// Polls (every 20 ms, up to `timeout`) until `ready()` is true; false on timeout.
template <typename Pred>
bool PollUntil(std::chrono::milliseconds timeout, Pred ready) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (ready()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// After a remount: waits until the mount logged `recovery finished` more often
// than `finished_before` times and the journal holds no record in state
// writing/pending_complete (every record is gone or failed). False on timeout.
bool WaitForRecovery(Mount& mount, size_t finished_before, std::chrono::seconds timeout);
// Remounts `mount` on the same cache dir and waits up to `timeout` for its
// recovery (see WaitForRecovery); a fatal test failure when the remount does
// not start or the recovery does not finish in time.
void RemountAndWaitForRecovery(Mount& mount, std::chrono::seconds timeout);

// A mount of `server` whose traffic goes through `proxy`, so the test can
// inject faults. A remount must use the same proxy URL: the journal ties each
// record to the endpoint it was written through.
MountSpec MountSpecThroughProxy(const S3Endpoint& server, const FaultProxy& proxy);

// Copies `source` to the mount's file `key` with dd (its output to `dd_log`)
// and kill -9s the mount as soon as `proxy` refused a request (fatal failure
// when none is refused within 60 s); then waits for dd to exit.
void CopyAndKillAtFirstFault(Mount& mount, const FaultProxy& proxy, const std::string& source,
                             const std::string& key, const std::string& dd_log);

// Occurrences of `needle` in `text`.
size_t CountOccurrences(const std::string& text, const std::string& needle);

// `partfs status --cache-dir DIR [--json]` with the real binary.
CommandResult PartfsStatus(const std::string& cache_dir, bool json);

// True while `pid` runs (not exited, not a zombie).
bool ProcessAlive(pid_t pid);

// SHA-256 (hex) of the first `size` bytes of `path`.
std::string Sha256OfFilePrefix(const std::string& path, uint64_t size);

// Writes `size` bytes from /dev/urandom to `path` (fails the test on error).
void WriteUrandomFile(const std::string& path, uint64_t size);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_RESUME_SUPPORT_H_
