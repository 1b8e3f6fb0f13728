// Fuse tests of the partfs command line: misuse exits 2, an unusable endpoint,
// credentials or bucket exits 1, each with one clear line; daemon mode mounts.
#include <sys/stat.h>

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
  EXPECT_NE(help.output.find("usage: partfs [mount] BUCKET[:/prefix] MOUNTPOINT"),
            std::string::npos);
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

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Mounts in the background (`env` and `args` are shell words), writes and reads
// a file, runs `partfs status`, unmounts; returns the mount's whole output and
// the status output.
struct MountRun {
  std::string log;
  std::string status;
};
MountRun MountWriteUnmount(const TempDir& dir, const std::string& env, const std::string& args) {
  const std::string mnt = ShellQuote(dir.Sub("mnt"));
  const std::string log = dir.Sub("mount.log");
  RunCommand("(" + env + " " + PARTFS_BINARY + " " + args + " > " + ShellQuote(log) + " 2>&1 &)",
             std::chrono::seconds(10));
  bool mounted = false;
  for (int i = 0; i < 100 && !mounted; ++i) {
    mounted = RunCommand("mountpoint -q " + mnt, std::chrono::seconds(5)).exit_code == 0;
    if (!mounted) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(mounted) << ReadWholeFile(log);
  MountRun run;
  if (mounted) {
    auto io = RunCommand("echo secret-check > " + mnt + "/f.txt && cat " + mnt + "/f.txt",
                         std::chrono::seconds(30));
    EXPECT_EQ(io.output, "secret-check\n");
    run.status = RunCommand(std::string(PARTFS_BINARY) + " status --cache-dir " +
                                ShellQuote(dir.Sub("cache")),
                            std::chrono::seconds(30))
                     .output;
    EXPECT_EQ(RunCommand("fusermount3 -u " + mnt, std::chrono::seconds(10)).exit_code, 0);
  }
  for (int i = 0; i < 100; ++i) {
    run.log = ReadWholeFile(log);
    if (run.log.find("unmounted") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return run;
}

// A debug mount (-d: debug log and libfuse tracing) with a session token:
// neither the secret key nor the token shows in its whole output or in
// `partfs status`.
TEST_F(FsCliTest, DebugLogAndStatusNeverShowSecrets) {
  std::string bucket = testing::UniqueBucketName("fs-secret");
  ASSERT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
  const std::string token = "SessionTokenZq7Xv9";
  const std::string creds = dir_.Sub("creds");
  {
    std::ofstream out(creds);
    out << "access_key=" << endpoint_.access_key << "\nsecret_key=" << endpoint_.secret_key
        << "\nsession_token=" << token << "\n";
  }
  ASSERT_EQ(chmod(creds.c_str(), 0600), 0);
  MountRun run = MountWriteUnmount(
      dir_, "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY",
      bucket + " " + Mnt() + " -d" + Opts() + ",credentials_file=" + ShellQuote(creds));
  EXPECT_NE(run.log.find("mounted"), std::string::npos) << run.log;
  EXPECT_NE(run.log.find("opcode: "), std::string::npos) << "not a debug log";
  for (const std::string& secret : {endpoint_.secret_key, token}) {
    EXPECT_EQ(run.log.find(secret), std::string::npos) << "log shows a secret:\n" << run.log;
    EXPECT_EQ(run.status.find(secret), std::string::npos) << run.status;
  }
}

// Credentials from ~/.aws/credentials (HOME, AWS_PROFILE) mount for real.
TEST_F(FsCliTest, MountsWithAwsSharedCredentialsProfile) {
  std::string bucket = testing::UniqueBucketName("fs-profile");
  ASSERT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
  const std::string home = dir_.Sub("home");
  RunCommand("mkdir -p " + ShellQuote(home + "/.aws"), std::chrono::seconds(5));
  {
    std::ofstream out(home + "/.aws/credentials");
    out << "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n"
        << "[local]\naws_access_key_id = " << endpoint_.access_key
        << "\naws_secret_access_key = " << endpoint_.secret_key << "\n";
  }
  MountRun run = MountWriteUnmount(dir_,
                                   "env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY HOME=" +
                                       ShellQuote(home) + " AWS_PROFILE=local",
                                   bucket + " " + Mnt() + " -f" + Opts());
  EXPECT_NE(run.log.find("unmounted"), std::string::npos) << run.log;
}

// -o profile=NAME beats wrong keys in the environment (as the AWS CLI's --profile does).
TEST_F(FsCliTest, ProfileOptionBeatsTheEnvironment) {
  std::string bucket = testing::UniqueBucketName("fs-profile");
  ASSERT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
  const std::string home = dir_.Sub("home");
  RunCommand("mkdir -p " + ShellQuote(home + "/.aws"), std::chrono::seconds(5));
  {
    std::ofstream out(home + "/.aws/config");
    out << "[profile local]\naws_access_key_id = " << endpoint_.access_key
        << "\naws_secret_access_key = " << endpoint_.secret_key << "\n";
  }
  MountRun run = MountWriteUnmount(
      dir_, "env AWS_ACCESS_KEY_ID=wrong AWS_SECRET_ACCESS_KEY=wrong HOME=" + ShellQuote(home),
      bucket + " " + Mnt() + " -f" + Opts() + ",profile=local");
  EXPECT_NE(run.log.find("unmounted"), std::string::npos) << run.log;
}

TEST_F(FsCliTest, SecretOptionsAndGroupReadableFilesExit2) {
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o secret_key=hunter2"), 2,
                "option secret_key is not accepted: command-line values show in ps");
  const std::string creds = dir_.Sub("open-creds");
  {
    std::ofstream out(creds);
    out << "access_key=a\nsecret_key=b\n";
  }
  ASSERT_EQ(chmod(creds.c_str(), 0644), 0);
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o credentials_file=" + ShellQuote(creds)), 2,
                "run chmod 600 " + creds);
  ExpectOneLine(Partfs("bkt " + Mnt() + " -f -o provider=oss,part_size=6G"), 2,
                "outside provider oss's part size range");
}

}  // namespace
}  // namespace partfs
