// Fuse tests of the partfs command line: misuse exits 2, an unusable endpoint,
// credentials or bucket exits 1, each with one clear line; daemon mode mounts.
#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

class FsCliTest : public ::testing::Test {
 protected:
  FsCliTest() : dir_("fs-cli"), endpoint_(testing::SharedS3Server()) {
    RunCommand("mkdir -p " + ShellQuote(dir_.Sub("mnt")), std::chrono::seconds(5));
  }

  // Runs partfs with credentials in the environment; `args` are shell words.
  testing::CommandResult Partfs(const std::string& args, const std::string& secret = "") {
    std::string env =
        "AWS_ACCESS_KEY_ID=" + ShellQuote(endpoint_.access_key) +
        " AWS_SECRET_ACCESS_KEY=" + ShellQuote(secret.empty() ? endpoint_.secret_key : secret) +
        " ";
    return RunCommand(env + PARTFS_BINARY + " " + args, std::chrono::seconds(60));
  }
  std::string Mnt() const { return ShellQuote(dir_.Sub("mnt")); }
  std::string Opts() const {
    return " -o endpoint=" + endpoint_.url + ",cache_dir=" + ShellQuote(dir_.Sub("cache"));
  }

  TempDir dir_;
  testing::S3Endpoint endpoint_;
};

// One line "partfs: <message>" containing `needle`.
void ExpectOneLine(const testing::CommandResult& r, int code, const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(r.output.rfind("partfs: ", 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

TEST_F(FsCliTest, BadOptionsExit2) {
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o bogus"), 2, "unknown option 'bogus'");
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o part_size=1M"), 2, "minimum part size");
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o upload_threads=100"), 2, "between 1 and 64");
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o gc_on_mount=1s"), 2,
                "option gc_on_mount=1s is below the safe floor of 1h");
  ExpectOneLine(Partfs("bkt"), 2, "expected BUCKET[:/prefix] and MOUNTPOINT");
  ExpectOneLine(Partfs("bkt " + ShellQuote(dir_.Sub("nope")) + " -f"), 2, "mount point");
  auto r = RunCommand("env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY " +
                          std::string(PARTFS_BINARY) + " bkt " + Mnt() + " -f",
                      std::chrono::seconds(10));
  ExpectOneLine(r, 2, "no credentials");
}

// A gc age below 1h could abort an upload a mount has not journaled yet.
TEST_F(FsCliTest, GcRefusesAnAgeBelowTheFloor) {
  auto r = Partfs("gc bkt --older-than 30m --dry-run");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.rfind("partfs gc: --older-than 30m is below the safe floor of 1h", 0), 0u)
      << r.output;
  EXPECT_NE(r.output.find("usage: partfs gc"), std::string::npos) << r.output;
  auto s = Partfs("gc bkt --older-than=1s");
  EXPECT_EQ(s.exit_code, 2) << s.output;
  EXPECT_NE(s.output.find("--older-than 1s is below the safe floor of 1h"), std::string::npos)
      << s.output;
}

TEST_F(FsCliTest, HelpAndVersion) {
  auto help = RunCommand(std::string(PARTFS_BINARY) + " --help", std::chrono::seconds(10));
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("usage: partfs [mount] BUCKET[:/prefix] MOUNTPOINT"), std::string::npos);
  auto version = RunCommand(std::string(PARTFS_BINARY) + " --version", std::chrono::seconds(10));
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.output.rfind("partfs ", 0), 0u);
}

TEST_F(FsCliTest, WrongCredentialsExit1) {
  std::string bucket = testing::UniqueBucketName("fs-cli");
  ASSERT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
  ExpectOneLine(Partfs(bucket + " " + Mnt() + " -f" + Opts(), "wrong-secret"), 1,
                "credentials rejected by " + endpoint_.url);
}

TEST_F(FsCliTest, MissingBucketExit1) {
  std::string bucket = testing::UniqueBucketName("fs-missing");
  ExpectOneLine(Partfs(bucket + " " + Mnt() + " -f" + Opts()), 1,
                "bucket '" + bucket + "' does not exist");
}

TEST_F(FsCliTest, UnreachableEndpointExit1) {
  // Port 9 (discard) on loopback: nothing listens in the test environment.
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o endpoint=http://127.0.0.1:9,cache_dir=" +
                       ShellQuote(dir_.Sub("cache"))),
                1, "cannot reach endpoint http://127.0.0.1:9: ");
}

TEST_F(FsCliTest, DaemonModeMountsAndUnmounts) {
  std::string bucket = testing::UniqueBucketName("fs-daemon");
  ASSERT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
  auto r = Partfs(bucket + " " + Mnt() + Opts() + ",log_file=" + ShellQuote(dir_.Sub("log")));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // No error line ("partfs: ..."); log records from startup may appear.
  EXPECT_NE(r.output.rfind("partfs: ", 0), 0u) << r.output;
  EXPECT_EQ(r.output.find("\npartfs: "), std::string::npos) << r.output;
  auto write = RunCommand("echo daemon > " + Mnt() + "/d.txt && cat " + Mnt() + "/d.txt",
                          std::chrono::seconds(30));
  EXPECT_EQ(write.output, "daemon\n");
  // The daemon exits by itself after the unmount; give it a moment to finish.
  auto unmount = RunCommand("fusermount3 -u " + Mnt(), std::chrono::seconds(10));
  EXPECT_EQ(unmount.exit_code, 0) << unmount.output;
  bool exited = false;
  for (int i = 0; i < 100 && !exited; ++i) {
    std::ifstream log(dir_.Sub("log"));
    std::stringstream ss;
    ss << log.rdbuf();
    exited = ss.str().find("unmounted") != std::string::npos;
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(exited) << "no 'unmounted' line in the daemon's log";
}

}  // namespace
}  // namespace partfs
