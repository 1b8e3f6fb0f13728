#include "tests/support/resume_support.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "cache/cache_layout.h"
#include "cache/part_schedule.h"
#include "gtest/gtest.h"
#include "transfer/provider_profile.h"

namespace partfs::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv, std::string log_path)
    : log_path_(std::move(log_path)) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_ = fork();
  if (pid_ == 0) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    if (log_fd >= 0) {
      dup2(log_fd, 1);
      dup2(log_fd, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  if (log_fd >= 0) close(log_fd);
  if (pid_ < 0) ADD_FAILURE() << "fork failed for " << argv[0];
}

ChildProcess::~ChildProcess() {
  Kill();
  Wait(std::chrono::seconds(30));
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  Wait(std::chrono::milliseconds(0));
  return pid_ > 0;
}

int64_t ChildProcess::BytesWritten() const {
  if (pid_ <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid_) + "/io");
  std::string name;
  int64_t value = 0;
  while (in >> name >> value) {
    if (name == "wchar:") return value;
  }
  return -1;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (pid_ <= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status)
                                     : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
      pid_ = -1;
      return exit_code_;
    }
    if (r < 0) {
      pid_ = -1;
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void ChildProcess::Kill() {
  if (pid_ > 0) kill(pid_, SIGKILL);
}

std::string ChildProcess::Output() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<JournalEntry> ReadJournal(const std::string& cache_dir) {
  std::vector<JournalEntry> out;
  auto journal = Journal::Open(CacheLayout(cache_dir).JournalDir(), /*read_only=*/true);
  if (!journal.ok()) return out;
  auto files = (*journal)->ListFiles();
  if (!files.ok()) return out;
  for (FileRecord& record : *files) {
    auto parts = (*journal)->GetParts(record.file_id);
    JournalEntry entry{std::move(record), {}};
    if (parts.ok()) entry.parts = std::move(*parts);
    out.push_back(std::move(entry));
  }
  return out;
}

std::optional<JournalEntry> FindJournalEntry(const std::string& cache_dir, const std::string& key) {
  for (JournalEntry& e : ReadJournal(cache_dir)) {
    if (e.record.key == key) return std::move(e);
  }
  return std::nullopt;
}

uint32_t PartsFor(const FileRecord& record, uint64_t size) {
  if (size == 0) return 0;
  const ProviderProfile profile = ProfileFor(Provider::kS3);
  PartSchedule schedule(record.base_part_size, record.parts_per_step, profile.max_part_size,
                        profile.max_part_count);
  return schedule.PartForOffset(size - 1);
}

std::vector<uint32_t> CachedParts(const std::string& cache_dir, uint64_t file_id) {
  std::vector<uint32_t> parts;
  const std::string dir = CacheLayout(cache_dir).FileDir(file_id);
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return parts;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name.rfind("part-", 0) == 0) parts.push_back(std::stoul(name.substr(5)));
  }
  closedir(d);
  std::sort(parts.begin(), parts.end());
  return parts;
}

size_t CountOccurrences(const std::string& text, const std::string& needle) {
  size_t count = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++count;
  }
  return count;
}

bool WaitForRecovery(Mount& mount, size_t finished_before, std::chrono::seconds timeout) {
  return PollUntil(timeout, [&] {
    if (CountOccurrences(mount.Log(), "recovery finished") <= finished_before) return false;
    for (const JournalEntry& e : ReadJournal(mount.cache_dir())) {
      if (e.record.state != UploadState::kFailed) return false;
    }
    return true;
  });
}

void RemountAndWaitForRecovery(Mount& mount, std::chrono::seconds timeout) {
  const size_t finished_before = CountOccurrences(mount.Log(), "recovery finished");
  Status started = mount.Remount();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(WaitForRecovery(mount, finished_before, timeout)) << mount.Log();
}

void CopyAndKillAtFirstFault(Mount& mount, const FaultProxy& proxy, const std::string& source,
                             const std::string& key, const std::string& dd_log) {
  ChildProcess dd({"dd", "if=" + source, "of=" + mount.File(key), "bs=1M", "status=none"}, dd_log);
  ASSERT_TRUE(PollUntil(std::chrono::seconds(60), [&] { return proxy.faults_injected() >= 1; }))
      << mount.Log();
  mount.Kill9();
  dd.Wait(std::chrono::seconds(30));
}

MountSpec MountSpecThroughProxy(const S3Endpoint& server, const FaultProxy& proxy) {
  MountSpec spec;
  spec.endpoint = server;
  spec.endpoint->url = proxy.url();
  spec.endpoint->port = proxy.port();
  return spec;
}

CommandResult PartfsStatus(const std::string& cache_dir, bool json) {
  return RunCommand(PartfsBinary() + " status --cache-dir " + ShellQuote(cache_dir) +
                        (json ? " --json" : "") + " 2>&1",
                    std::chrono::seconds(30));
}

bool ProcessAlive(pid_t pid) {
  if (pid <= 0) return false;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() && line[paren + 2] != 'Z' &&
         line[paren + 2] != 'X';
}

std::string Sha256OfFilePrefix(const std::string& path, uint64_t size) {
  CommandResult r =
      RunCommand("head -c " + std::to_string(size) + " " + ShellQuote(path) + " | sha256sum",
                 std::chrono::seconds(120));
  return r.output.substr(0, r.output.find(' '));
}

void WriteUrandomFile(const std::string& path, uint64_t size) {
  CommandResult r =
      RunCommand("head -c " + std::to_string(size) + " /dev/urandom > " + ShellQuote(path),
                 std::chrono::seconds(120));
  ASSERT_EQ(r.exit_code, 0) << r.output;
}

}  // namespace partfs::testing
