// The cache disk fills up for real: the cache dir is a 40 MiB tmpfs (smaller
// than cache_size, so the budget never pushes back) and every UploadPart is
// refused, so part files pile up until the disk is full. The writer must get
// ENOSPC (not a hang, not EIO), the log must name the full cache disk, and
// once uploads pass again the object must be exactly the bytes write() accepted.
// The LMDB journal lives on the same full tmpfs, so its commits are exercised
// under ENOSPC too.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kSourceSize = 80 * kMiB;
constexpr char kKey[] = "big";

// A tmpfs of `size_mib` MiB mounted on `dir` (created 0700) for the object's
// lifetime; unmounted (lazily if busy) by the destructor, even after a failure.
class TmpfsMount {
 public:
  TmpfsMount(const std::string& dir, int size_mib) : dir_(dir) {
    mkdir(dir_.c_str(), 0700);
    auto r = RunCommand("mount -t tmpfs -o size=" + std::to_string(size_mib) +
                            "m,mode=0700 tmpfs " + ShellQuote(dir_) + " 2>&1",
                        30s);
    mounted_ = r.exit_code == 0;
    error_ = r.output;
  }
  ~TmpfsMount() {
    if (mounted_)
      RunCommand("umount " + ShellQuote(dir_) + " || umount -l " + ShellQuote(dir_), 30s);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }

 private:
  std::string dir_;
  bool mounted_ = false;
  std::string error_;
};

// Writes `source` to `target` in 1 MiB write() calls until one fails; prints
// "errno=N accepted=M", then waits for the file `go` (up to 300 s) and closes,
// printing "close=0" or "close_errno=N".
constexpr char kWriter[] = R"PY(
import os, sys, time
source, target, go = sys.argv[1], sys.argv[2], sys.argv[3]
data = open(source, 'rb').read()
fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
accepted, err = 0, 0
while accepted < len(data):
    try:
        n = os.write(fd, data[accepted:accepted + (1 << 20)])
    except OSError as e:
        err = e.errno
        break
    accepted += n
print('errno=%d accepted=%d' % (err, accepted), flush=True)
deadline = time.time() + 300
while not os.path.exists(go) and time.time() < deadline:
    time.sleep(0.05)
try:
    os.close(fd)
    print('close=0', flush=True)
except OSError as e:
    print('close_errno=%d' % e.errno, flush=True)
)PY";

// The number after `name=` in `text`, -1 when absent.
int64_t Field(const std::string& text, const std::string& name) {
  size_t pos = text.find(name + "=");
  if (pos == std::string::npos) return -1;
  return std::stoll(text.substr(pos + name.size() + 1));
}

class FsCacheFullTest : public ResumeFixture {
 protected:
  FsCacheFullTest() : ResumeFixture("cache-full") {}

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root";
    ASSERT_TRUE(tmpfs_.mounted()) << tmpfs_.error();
    WriteRandomFile(tmp_.Sub("source"), kSourceSize, 4242);
    std::ofstream(tmp_.Sub("writer.py")) << kWriter;
    StartMountThroughProxy({"part_size=8M", "cache_size=1G", "retry_timeout=2", "upload_threads=2"},
                           tmp_.Sub("cache"));
  }
  // The mount goes before the tmpfs it caches on.
  void TearDown() override { mount_.reset(); }

  ChildProcess StartWriter() {
    proxy_.FailRequestsMatching({"PUT ", "partNumber="});
    return ChildProcess(
        {Python3(), tmp_.Sub("writer.py"), tmp_.Sub("source"), mount_->File(kKey), tmp_.Sub("go")},
        tmp_.Sub("writer.log"));
  }

  // Waits until the writer reports its failed write; the bytes it accepted.
  int64_t WriteUntilFull(ChildProcess& writer) {
    bool reported = PollUntil(180s, [&] {
      return writer.Output().find("accepted=") != std::string::npos || !writer.running();
    });
    EXPECT_TRUE(reported) << "the writer hangs on a full cache disk\n"
                          << DiskUsage() << mount_->Log();
    const std::string out = writer.Output();
    const int64_t err = Field(out, "errno");
    const int64_t accepted = Field(out, "accepted");
    std::printf("[FsCacheFull] writer: %s", out.c_str());
    EXPECT_EQ(err, ENOSPC) << out << DiskUsage() << mount_->Log();
    // 40 MiB disk minus the journal's headroom; cache_size (1G) never pushed back.
    EXPECT_GT(accepted, static_cast<int64_t>(24 * kMiB)) << out;
    EXPECT_LT(accepted, static_cast<int64_t>(40 * kMiB)) << out;
    EXPECT_EQ(accepted % kMiB, 0) << "writes are accepted whole or not at all: " << out;
    EXPECT_NE(mount_->Log().find("ERROR partfs: cache disk is full (" + tmp_.Sub("cache") + ")"),
              std::string::npos)
        << mount_->Log();
    return accepted;
  }

  void ExpectObjectIsPrefix(int64_t accepted) {
    auto head = mount_->store().HeadObject(kKey);
    ASSERT_TRUE(head.ok()) << head.status().ToString() << mount_->Log();
    EXPECT_EQ(head->size, static_cast<uint64_t>(accepted));
    auto sha = Sha256OfObject(mount_->store(), kKey);
    ASSERT_TRUE(sha.ok()) << sha.status().ToString();
    EXPECT_EQ(*sha, Sha256OfFilePrefix(tmp_.Sub("source"), accepted));
  }

  std::string DiskUsage() {
    return RunCommand("df -k " + ShellQuote(tmp_.Sub("cache")) + "; ls -lR " +
                          ShellQuote(tmp_.Sub("cache")),
                      10s)
        .output;
  }

  TmpfsMount tmpfs_{tmp_.Sub("cache"), 40};
};

TEST_F(FsCacheFullTest, FullCacheDiskGivesEnospcAndKeepsAcceptedBytes) {
  ChildProcess writer = StartWriter();
  const int64_t accepted = WriteUntilFull(writer);
  ASSERT_FALSE(HasFatalFailure());

  // Uploads pass again: close() must upload exactly the accepted prefix (the
  // journal still has room: part data left it kJournalHeadroom).
  proxy_.PassThrough();
  std::ofstream(tmp_.Sub("go")) << "go";
  EXPECT_EQ(writer.Wait(180s), 0) << writer.Output() << mount_->Log();
  std::printf("[FsCacheFull] writer: %s", writer.Output().c_str());
  EXPECT_NE(writer.Output().find("close=0"), std::string::npos)
      << writer.Output() << DiskUsage() << mount_->Log();
  ExpectObjectIsPrefix(accepted);
  // Nothing left behind in the cache, and the mount still works.
  EXPECT_TRUE(ReadJournal(mount_->cache_dir()).empty());
  auto r = RunCommand("echo fresh > " + ShellQuote(mount_->File("fresh")) + " && cat " +
                          ShellQuote(mount_->File("fresh")),
                      30s);
  EXPECT_EQ(r.output, "fresh\n") << mount_->Log();
}

// Another process takes the rest of the disk, journal headroom included: the
// journal cannot commit, so close() fails (bounded, no hang) and keeps the
// data; once space is freed, a remount (after kill -9) completes the object
// with exactly the accepted bytes.
TEST_F(FsCacheFullTest, JournalWithoutSpaceKeepsDataForTheNextMount) {
  ChildProcess writer = StartWriter();
  const int64_t accepted = WriteUntilFull(writer);
  ASSERT_FALSE(HasFatalFailure());
  const std::string filler = tmp_.Sub("cache/filler");
  RunCommand("dd if=/dev/zero of=" + ShellQuote(filler) + " bs=4k", 60s);

  proxy_.PassThrough();
  std::ofstream(tmp_.Sub("go")) << "go";
  EXPECT_EQ(writer.Wait(180s), 0) << writer.Output() << mount_->Log();
  std::printf("[FsCacheFull] writer: %s", writer.Output().c_str());
  if (writer.Output().find("close=0") != std::string::npos) {
    // LMDB reuses pages freed by earlier commits, so a commit may need no new
    // disk space: then close() may succeed, and only with every accepted byte.
    ExpectObjectIsPrefix(accepted);
    ASSERT_EQ(unlink(filler.c_str()), 0);
    return;
  }
  EXPECT_NE(mount_->Log().find("No space left on device"), std::string::npos) << mount_->Log();
  EXPECT_FALSE(mount_->store().HeadObject(kKey).ok());

  ASSERT_EQ(unlink(filler.c_str()), 0);
  mount_->Kill9();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(*mount_, 120s));
  ExpectObjectIsPrefix(accepted);
  EXPECT_TRUE(ReadJournal(mount_->cache_dir()).empty()) << mount_->Log();
}

}  // namespace
}  // namespace partfs::testing
