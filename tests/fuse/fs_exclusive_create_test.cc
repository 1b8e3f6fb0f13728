// O_EXCL create across two mounts of one bucket (two hosts, separate cache
// dirs): docs/SEMANTICS.md "close (flush) of an O_EXCL file". On RGW the
// object is completed with If-None-Match: *, so of two creators whose opens
// both succeeded exactly one close succeeds and the other gets EEXIST. On the
// local Swift (no conditional PUT) the mount falls back to the check at
// create and says so once in its log.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"

namespace partfs::testing {
namespace {

constexpr char kFallbackLine[] = "does not support conditional PutObject";

int OpenExclusive(const std::string& path) {
  return ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
}

// Writes `data` to `fd` and closes it; 0 or the close's errno.
int WriteAndClose(int fd, const std::string& data) {
  if (::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size())) return errno;
  return ::close(fd) == 0 ? 0 : errno;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// Two mounts of one bucket; `options` for both (e.g. write-back).
MountSpec SpecWith(const std::vector<std::string>& options) {
  MountSpec spec;
  spec.options = options;
  return spec;
}

struct TwoHosts {
  explicit TwoHosts(const std::vector<std::string>& options) : a(SpecWith(options)) {
    EXPECT_TRUE(a.Start().ok()) << a.Log();
    MountSpec second = SpecWith(options);
    second.bucket = a.bucket();
    second.create_bucket = false;
    b.emplace(second);
    EXPECT_TRUE(b->Start().ok()) << b->Log();
  }
  Mount a;
  std::optional<Mount> b;
};

void RaceForOneName(const std::vector<std::string>& options, size_t size) {
  TwoHosts hosts(options);
  const std::string name = "lock";
  int fa = OpenExclusive(hosts.a.File(name));
  int fb = OpenExclusive(hosts.b->File(name));
  ASSERT_GE(fa, 0) << "host a: " << strerror(errno);
  ASSERT_GE(fb, 0) << "host b: " << strerror(errno) << " (neither object exists yet)";
  const std::string data_a(size, 'a'), data_b(size, 'b');
  EXPECT_EQ(WriteAndClose(fa, data_a), 0) << hosts.a.Log();
  EXPECT_EQ(WriteAndClose(fb, data_b), EEXIST) << hosts.b->Log();
  EXPECT_EQ(ReadObjectOrError(hosts.a.store(), name), data_a);
  EXPECT_NE(hosts.b->Log().find("O_EXCL create of " + name + " lost"), std::string::npos);
  // The loser's data is gone from its cache: nothing is uploaded at unmount.
  EXPECT_TRUE(hosts.b->Unmount().ok()) << hosts.b->Log();
  EXPECT_EQ(ReadObjectOrError(hosts.a.store(), name), data_a);
}

TEST(FsExclusiveCreateTest, TwoMountsOneWinnerSmallFile) {
  if (!TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "Swift has no conditional PUT (501)";
  RaceForOneName({}, 1000);
}

TEST(FsExclusiveCreateTest, TwoMountsOneWinnerMultipart) {
  if (!TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "Swift has no conditional PUT (501)";
  RaceForOneName({"part_size=5M"}, 12u << 20);
}

TEST(FsExclusiveCreateTest, WriteBackKeepsTheWinnersObject) {
  if (!TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "Swift has no conditional PUT (501)";
  // Write-back queues O_EXCL files like any other (rsync's mkstemp files are
  // O_EXCL): both closes succeed, the queued upload of the second is refused,
  // its data dropped and logged; the first object stays.
  TwoHosts hosts({"writeback=0"});
  int fa = OpenExclusive(hosts.a.File("lock"));
  int fb = OpenExclusive(hosts.b->File("lock"));
  ASSERT_GE(fa, 0) << strerror(errno);
  ASSERT_GE(fb, 0) << strerror(errno);
  EXPECT_EQ(WriteAndClose(fa, "aaa"), 0);
  ASSERT_TRUE(hosts.a.Unmount().ok()) << hosts.a.Log();
  EXPECT_EQ(WriteAndClose(fb, "bbb"), 0);
  ASSERT_TRUE(hosts.b->Unmount().ok()) << hosts.b->Log();
  EXPECT_EQ(ReadObjectOrError(hosts.a.store(), "lock"), "aaa");
  EXPECT_NE(hosts.b->Log().find("O_EXCL create of lock lost"), std::string::npos) << hosts.b->Log();
}

TEST(FsExclusiveCreateTest, RenameOfAnOpenExclusiveFileReplacesTheTarget) {
  if (!TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "the condition is what is tested";
  // mkstemp + rename (rsync, git): the condition is about the temporary name.
  Mount mount;
  ASSERT_TRUE(mount.Start().ok()) << mount.Log();
  ASSERT_TRUE(mount.store().PutObjectFromString("target", "old", {}).ok());
  int fd = OpenExclusive(mount.File(".target.XXXXXX"));
  ASSERT_GE(fd, 0) << strerror(errno);
  ASSERT_EQ(::write(fd, "new", 3), 3);
  ASSERT_EQ(::rename(mount.File(".target.XXXXXX").c_str(), mount.File("target").c_str()), 0)
      << strerror(errno);
  EXPECT_EQ(::close(fd), 0) << strerror(errno) << "\n" << mount.Log();
  EXPECT_EQ(ReadObjectOrError(mount.store(), "target"), "new");
}

TEST(FsExclusiveCreateTest, PythonLockFiles) {
  if (!TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "Swift has no conditional PUT (501)";
  TwoHosts hosts({});
  // Both hosts open the lock before either closes; the loser's close raises.
  const std::string script =
      "import os, sys\n"
      "a, b = sys.argv[1], sys.argv[2]\n"
      "fa = os.open(a, os.O_CREAT | os.O_EXCL | os.O_WRONLY)\n"
      "fb = os.open(b, os.O_CREAT | os.O_EXCL | os.O_WRONLY)\n"
      "os.write(fa, b'%d\\n' % os.getpid()); os.write(fb, b'other\\n')\n"
      "os.close(fa)\n"
      "try:\n"
      "    os.close(fb); print('both won')\n"
      "except FileExistsError:\n"
      "    print('b lost')\n"
      "try:\n"
      "    os.open(b, os.O_CREAT | os.O_EXCL | os.O_WRONLY); print('reopen won')\n"
      "except FileExistsError:\n"
      "    print('reopen refused')\n";
  CommandResult r =
      RunCommand("python3 -c " + ShellQuote(script) + " " + ShellQuote(hosts.a.File("borg.lock")) +
                     " " + ShellQuote(hosts.b->File("borg.lock")),
                 std::chrono::seconds(60));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "b lost\nreopen refused\n") << hosts.b->Log();
}

TEST(FsExclusiveCreateTest, FallbackOnSwiftChecksAtCreateAndLogsOnce) {
  if (TestServerIs(ServerKind::kRgw)) GTEST_SKIP() << "RGW supports conditional PUT";
  Mount mount;
  ASSERT_TRUE(mount.Start().ok()) << mount.Log();
  for (const char* name : {"one", "two", "three"}) {
    int fd = OpenExclusive(mount.File(name));
    ASSERT_GE(fd, 0) << strerror(errno);
    EXPECT_EQ(WriteAndClose(fd, std::string("x") + name), 0) << mount.Log();
    EXPECT_EQ(ReadObjectOrError(mount.store(), name), std::string("x") + name);
  }
  // An existing name: EEXIST at open, as before.
  errno = 0;
  EXPECT_LT(OpenExclusive(mount.File("one")), 0);
  EXPECT_EQ(errno, EEXIST);
  EXPECT_EQ(Count(mount.Log(), kFallbackLine), 1) << mount.Log();
}

}  // namespace
}  // namespace partfs::testing
