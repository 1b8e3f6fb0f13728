// Fuse tests: the journal tracks a write in progress, close() reports an
// upload failure (EIO) while the data stays in the cache, and a cache
// directory serves one mount at a time.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;

// A python3 process that writes 20 MiB to `target`, creates `ready`, waits for
// a line on `fifo`, then closes the file and prints "close=0" or "close errno=N".
class SlowWriter {
 public:
  SlowWriter(const TempDir& dir, const std::string& target)
      : ready_(dir.Sub("ready")), fifo_(dir.Sub("fifo")) {
    mkfifo(fifo_.c_str(), 0600);
    std::string script =
        "import os\n"
        "fd = os.open(" +
        Py(target) +
        ", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)\n"
        "block = os.urandom(1 << 20)\n"
        "for _ in range(20):\n"
        "    os.write(fd, block)\n"
        "open(" +
        Py(ready_) +
        ", 'w').close()\n"
        "open(" +
        Py(fifo_) +
        ").read()\n"
        "try:\n"
        "    os.close(fd)\n"
        "    print('close=0')\n"
        "except OSError as e:\n"
        "    print('close errno=%d' % e.errno)\n";
    std::string script_path = dir.Sub("writer.py");
    std::ofstream(script_path) << script;
    thread_ = std::thread([this, script_path] {
      result_ = RunCommand(Python3() + " " + ShellQuote(script_path), std::chrono::seconds(120));
    });
  }
  ~SlowWriter() {
    Release();
    thread_.join();
  }

  // Waits until the 20 MiB are written (bounded).
  bool WaitWritten() {
    for (int i = 0; i < 600; ++i) {
      if (access(ready_.c_str(), F_OK) == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  // Lets the writer close the file and returns its output.
  std::string Close() {
    Release();
    thread_.join();
    thread_ = std::thread([] {});
    return result_.output;
  }

 private:
  static std::string Py(const std::string& s) { return "'" + s + "'"; }
  void Release() {
    if (released_) return;
    released_ = true;
    // Opening the fifo for writing (non-blocking fails if the reader is gone).
    int fd = open(fifo_.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) {
      ssize_t ignored = write(fd, "go\n", 3);
      (void)ignored;
      close(fd);
    }
  }

  std::string ready_;
  std::string fifo_;
  bool released_ = false;
  CommandResult result_;
  std::thread thread_;
};

std::vector<FileRecord> JournalFiles(const std::string& cache_dir) {
  auto journal = Journal::Open(CacheLayout(cache_dir).JournalDir(), /*read_only=*/true);
  EXPECT_TRUE(journal.ok()) << journal.status().ToString();
  if (!journal.ok()) return {};
  auto files = (*journal)->ListFiles();
  EXPECT_TRUE(files.ok()) << files.status().ToString();
  return files.ok() ? *files : std::vector<FileRecord>{};
}

TEST(FsJournalTest, RecordWhileWritingNoneAfterClose) {
  TempDir work("fs-journal");
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  SlowWriter writer(work, mount.File("slow"));
  ASSERT_TRUE(writer.WaitWritten()) << mount.Log();

  auto records = JournalFiles(mount.cache_dir());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].key, "slow");
  EXPECT_EQ(records[0].bucket, mount.bucket());
  EXPECT_EQ(records[0].state, UploadState::kWriting);
  // The file is visible (with its size) before it exists in the bucket.
  auto ls = RunCommand("ls " + ShellQuote(mount.path()), std::chrono::seconds(30));
  EXPECT_EQ(ls.output, "slow\n");
  struct stat st;
  ASSERT_EQ(stat(mount.File("slow").c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), 20 * kMiB);
  EXPECT_TRUE(mount.store().HeadObject("slow").status().IsNotFound());

  EXPECT_EQ(writer.Close(), "close=0\n") << mount.Log();
  EXPECT_TRUE(JournalFiles(mount.cache_dir()).empty());
  auto info = mount.store().HeadObject("slow");
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->size, 20 * kMiB);
}

TEST(FsJournalTest, ServerDownCloseReturnsEioDataKept) {
  PrivateS3Server server;
  Status up = server.Start();
  ASSERT_TRUE(up.ok()) << up.ToString();
  TempDir work("fs-outage");
  MountSpec spec;
  spec.endpoint = server.endpoint();
  spec.options = {"retry_timeout=3"};
  Mount mount(spec);
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  SlowWriter writer(work, mount.File("doomed"));
  ASSERT_TRUE(writer.WaitWritten()) << mount.Log();

  Status down = server.Stop();
  ASSERT_TRUE(down.ok()) << down.ToString();
  EXPECT_EQ(writer.Close(), "close errno=5\n") << mount.Log();  // EIO

  // While the server is down: the data is kept in the cache and journal.
  auto records = JournalFiles(mount.cache_dir());
  ASSERT_EQ(records.size(), 1u) << mount.Log();
  const FileRecord& record = records[0];
  EXPECT_EQ(record.key, "doomed");
  // kFailed, or pending-complete while an in-mount retry is running.
  EXPECT_TRUE(record.state == UploadState::kFailed || record.state == UploadState::kPendingComplete)
      << UploadStateName(record.state);
  EXPECT_FALSE(record.last_error.empty());
  // Every byte is either in a journaled part or in a part file in the cache.
  uint64_t bytes = 0;
  auto journal = Journal::Open(CacheLayout(mount.cache_dir()).JournalDir(), true);
  ASSERT_TRUE(journal.ok());
  auto parts = (*journal)->GetParts(record.file_id);
  ASSERT_TRUE(parts.ok());
  for (const PartRecord& part : *parts) bytes += part.size;
  int part_files = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(
           CacheLayout(mount.cache_dir()).FileDir(record.file_id), ec)) {
    ++part_files;
    bytes += entry.file_size();
  }
  EXPECT_GE(part_files, 1);
  EXPECT_EQ(bytes, 20 * kMiB);

  // Once the server is back, the same mount retries the upload in the background.
  up = server.Start();
  ASSERT_TRUE(up.ok()) << up.ToString();
  const bool landed = PollUntil(std::chrono::seconds(90), [&] {
    auto info = mount.store().HeadObject("doomed");
    return info.ok() && info->size == 20 * kMiB;
  });
  EXPECT_TRUE(landed) << mount.Log();
  // The record goes right after the object lands.
  EXPECT_TRUE(PollUntil(std::chrono::seconds(10), [&] {
    return JournalFiles(mount.cache_dir()).empty();
  })) << mount.Log();
}

TEST(FsJournalTest, SecondMountOnSameCacheDirRefused) {
  Mount first;
  Status started = first.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  TempDir other("fs-second");
  const auto& ep = first.endpoint();
  auto r = RunCommand("AWS_ACCESS_KEY_ID=" + ShellQuote(ep.access_key) +
                          " AWS_SECRET_ACCESS_KEY=" + ShellQuote(ep.secret_key) + " " +
                          PARTFS_BINARY + " " + first.bucket() + " " + ShellQuote(other.path()) +
                          " -f -o endpoint=" + ep.url + ",cache_dir=" + first.cache_dir(),
                      std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output,
            "partfs: cache directory " + first.cache_dir() + " is in use by another partfs\n");
}

}  // namespace
}  // namespace partfs::testing
