// Fuse tests of partfs run like a system tool: `partfs check`, mount(8) with
// `-t fuse.partfs` and an fstab line (generic options such as rw, noatime,
// _netdev, nofail), the installed mount helper run with mount(8)'s empty
// environment, `cmake --install` into a staging directory, and one clear line
// for each configuration error at mount time.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "transfer/s3_client.h"

namespace partfs {
namespace {

using testing::RunCommand;
using testing::ShellQuote;
using testing::TempDir;

constexpr auto kCommandTimeout = std::chrono::seconds(60);
constexpr char kHelperInSbin[] = "/sbin/mount.fuse.partfs";

class FsSystemToolTest : public ::testing::Test {
 protected:
  FsSystemToolTest() : dir_("fs-systool"), endpoint_(testing::SharedS3Server()) {
    RunCommand("mkdir -p " + ShellQuote(dir_.Sub("mnt")), std::chrono::seconds(5));
    // mount(8) runs helpers without the caller's environment: credentials come from a file.
    std::ofstream(dir_.Sub("credentials"))
        << "access_key=" << endpoint_.access_key << "\nsecret_key=" << endpoint_.secret_key << "\n";
    ::chmod(dir_.Sub("credentials").c_str(), 0600);
  }
  ~FsSystemToolTest() override {
    RunCommand("umount " + Mnt() + " 2>/dev/null; fusermount3 -uz " + Mnt() + " 2>/dev/null",
               std::chrono::seconds(30));
  }

  std::string Env(const std::string& secret = "") const {
    return "AWS_ACCESS_KEY_ID=" + ShellQuote(endpoint_.access_key) +
           " AWS_SECRET_ACCESS_KEY=" + ShellQuote(secret.empty() ? endpoint_.secret_key : secret) +
           " ";
  }
  testing::CommandResult Partfs(const std::string& args, const std::string& secret = "") {
    return RunCommand(Env(secret) + PARTFS_BINARY + " " + args, kCommandTimeout);
  }
  std::string Mnt() const { return ShellQuote(dir_.Sub("mnt")); }
  // The options every mount here needs, without credentials.
  std::string BaseOptions() const {
    return "endpoint=" + endpoint_.url + ",cache_dir=" + dir_.Sub("cache") +
           ",credentials_file=" + dir_.Sub("credentials");
  }
  std::string NewBucket(const std::string& prefix) {
    std::string bucket = testing::UniqueBucketName(prefix);
    EXPECT_TRUE(testing::MakeBucketAndClient(endpoint_, bucket));
    return bucket;
  }
  bool Mounted() const {
    return RunCommand("mountpoint -q " + Mnt(), std::chrono::seconds(5)).exit_code == 0;
  }
  // Unmounts and waits (bounded) until the daemon has finished its uploads.
  void Unmount() {
    auto r = RunCommand("umount " + Mnt(), std::chrono::seconds(30));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    // "[c]ache" matches the daemon's command line but not this shell's own.
    std::string pattern = dir_.Sub("[c]ache");
    RunCommand("for i in $(seq 100); do pgrep -f " + ShellQuote(pattern) +
                   " >/dev/null || exit 0; sleep 0.1; done",
               std::chrono::seconds(15));
  }

  TempDir dir_;
  testing::S3Endpoint endpoint_;
};

// Exactly one line, starting with `prefix` and containing `needle`.
void ExpectOneLine(const testing::CommandResult& r, int code, const std::string& prefix,
                   const std::string& needle) {
  EXPECT_EQ(r.exit_code, code) << r.output;
  EXPECT_EQ(r.output.rfind(prefix, 0), 0u) << r.output;
  EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << r.output;
}

// The last line of `output`.
std::string LastLine(const std::string& output) {
  std::string text = output;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  size_t nl = text.rfind('\n');
  return nl == std::string::npos ? text : text.substr(nl + 1);
}

TEST_F(FsSystemToolTest, CheckPrintsWhatTheMountWouldUseAndStoresNothing) {
  std::string bucket = NewBucket("sys-check");
  auto r = Partfs("check " + bucket + ":/some/dir -o endpoint=" + endpoint_.url);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* line : {"provider:           s3", "addressing:         path-style",
                           "region:             us-east-1", "part limits:        5.0 MiB",
                           "10000 parts", "multipart upload:   allowed", "partfs check: OK"}) {
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  }
  // Swift answers If-None-Match on PutObject with 501; RGW honours it.
  const bool rgw = testing::TestServerIs(testing::ServerKind::kRgw);
  EXPECT_NE(r.output.find(rgw ? "conditional create: yes" : "conditional create: no"),
            std::string::npos)
      << r.output;
  // The probes were undone: no upload and no object is left behind.
  auto client = CreateS3Client(testing::ClientOptions(endpoint_, bucket));
  ASSERT_TRUE(client.ok());
  auto uploads = (*client)->ListMultipartUploads("", "", "", 0);
  ASSERT_TRUE(uploads.ok()) << uploads.status().ToString();
  EXPECT_TRUE(uploads->uploads.empty());
  auto objects = (*client)->ListObjects("", "", "", 0);
  ASSERT_TRUE(objects.ok());
  EXPECT_TRUE(objects->objects.empty());
}

TEST_F(FsSystemToolTest, CheckNamesWhatFailedInOneLine) {
  std::string bucket = NewBucket("sys-checkfail");
  const std::string ep = " -o endpoint=" + endpoint_.url;
  struct Case {
    std::string args, secret, needle;
  };
  const Case cases[] = {
      {"check " + testing::UniqueBucketName("sys-nobucket") + ep, "", "does not exist"},
      {"check " + bucket + ep, "wrong-secret", "credentials rejected by " + endpoint_.url},
      {"check " + bucket + " -o endpoint=http://127.0.0.1:9", "",
       "cannot reach endpoint http://127.0.0.1:9"},
      // TLS to a plain-HTTP port: the handshake fails.
      {"check " + bucket + " -o endpoint=" + "https://127.0.0.1:" + std::to_string(endpoint_.port),
       "", "TLS failure talking to https://127.0.0.1:"},
      {"check " + bucket + ep + ",bogus=1", "", "unknown option 'bogus'"},
      {"check " + bucket + ep + ",part_size=1M", "", "minimum part size"},
  };
  for (const Case& c : cases) {
    auto r = Partfs(c.args + " 2>&1 >/dev/null", c.secret);
    ExpectOneLine(r, 1, "partfs check: ", c.needle);
  }
  // Ceph RGW accepts any region in the signature; Swift, like AWS, names the right one.
  if (testing::TestServerIs(testing::ServerKind::kRgw)) return;
  auto r = Partfs("check " + bucket + ep + ",region=eu-west-1 2>&1 >/dev/null");
  ExpectOneLine(r, 1, "partfs check: ", "is not in region eu-west-1 at " + endpoint_.url);
  EXPECT_NE(r.output.find("use -o region=us-east-1"), std::string::npos) << r.output;
}

TEST_F(FsSystemToolTest, MountNamesEachConfigurationErrorInOneLine) {
  std::string bucket = NewBucket("sys-mounterr");
  const std::string opts = " -f -o endpoint=" + endpoint_.url + ",cache_dir=" + dir_.Sub("cache");
  if (!testing::TestServerIs(testing::ServerKind::kRgw)) {  // RGW accepts any region
    ExpectOneLine(Partfs(bucket + " " + Mnt() + opts + ",region=eu-west-1"), 1,
                  "partfs: ", "use -o region=us-east-1");
  }
  ExpectOneLine(Partfs(bucket + " " + Mnt() + " -f -o endpoint=https://127.0.0.1:" +
                       std::to_string(endpoint_.port) + ",cache_dir=" + dir_.Sub("cache")),
                1, "partfs: ", "TLS failure talking to");
  // A cache_dir that cannot be created (its parent is a regular file).
  std::ofstream(dir_.Sub("file")) << "x";
  ExpectOneLine(Partfs(bucket + " " + Mnt() + " -f -o endpoint=" + endpoint_.url +
                       ",cache_dir=" + dir_.Sub("file") + "/cache"),
                1, "partfs: ", "cache directory " + dir_.Sub("file") + "/cache");
  ExpectOneLine(Partfs(bucket + " " + ShellQuote(dir_.Sub("file")) + opts), 2,
                "partfs: ", "is not a directory");
  ExpectOneLine(Partfs(bucket + " " + ShellQuote(dir_.Sub("missing")) + opts), 2,
                "partfs: ", "mount point " + dir_.Sub("missing"));
  EXPECT_FALSE(Mounted());
}

TEST_F(FsSystemToolTest, GenericMountOptionsAreAcceptedAndRoIsReadOnly) {
  std::string bucket = NewBucket("sys-generic");
  auto r = Partfs(bucket + " " + Mnt() + " -o " + BaseOptions() +
                  ",rw,noatime,nodev,nosuid,exec,_netdev,nofail,defaults,relatime,"
                  "x-systemd.automount,comment=x");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto w = RunCommand("echo hello > " + Mnt() + "/f && cat " + Mnt() + "/f", kCommandTimeout);
  EXPECT_EQ(w.output, "hello\n");
  auto opts = RunCommand("findmnt -no OPTIONS " + Mnt(), std::chrono::seconds(5));
  EXPECT_NE(opts.output.find("noatime"), std::string::npos) << opts.output;
  EXPECT_NE(opts.output.find("nosuid"), std::string::npos) << opts.output;
  EXPECT_NE(opts.output.find("nodev"), std::string::npos) << opts.output;
  Unmount();

  r = Partfs(bucket + " " + Mnt() + " -o " + BaseOptions() + ",ro");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(RunCommand("cat " + Mnt() + "/f", kCommandTimeout).output, "hello\n");
  auto denied = RunCommand("echo x > " + Mnt() + "/g", kCommandTimeout);
  EXPECT_NE(denied.exit_code, 0);
  EXPECT_NE(denied.output.find("Read-only file system"), std::string::npos) << denied.output;
  Unmount();
}

// mount(8) runs /sbin/mount.fuse.partfs with no PATH and no HOME; the helper
// must find partfs by itself and pass mount(8)'s arguments on.
TEST_F(FsSystemToolTest, MountHelperWorksWithMount8sEmptyEnvironment) {
  std::string bucket = NewBucket("sys-helper");
  const std::string helper = std::string(PARTFS_BUILD_DIR) + "/mount.fuse.partfs";
  auto r = RunCommand("env -i " + ShellQuote(helper) + " " + bucket + ":/sub " + Mnt() +
                          " -n -o rw,_netdev," + BaseOptions() + " -t fuse.partfs",
                      kCommandTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(Mounted());
  auto w = RunCommand("echo via-helper > " + Mnt() + "/h && cat " + Mnt() + "/h", kCommandTimeout);
  EXPECT_EQ(w.output, "via-helper\n");
  Unmount();
  auto client = CreateS3Client(testing::ClientOptions(endpoint_, bucket));
  ASSERT_TRUE(client.ok());
  auto head = (*client)->HeadObject("sub/h");
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  EXPECT_EQ(head->size, 11u);  // "via-helper\n"
  // mount -f (fake) mounts nothing.
  r = RunCommand(
      "env -i " + ShellQuote(helper) + " " + bucket + " " + Mnt() + " -f -o " + BaseOptions(),
      kCommandTimeout);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(Mounted());
}

// Puts the build tree's mount helper at /sbin/mount.fuse.partfs for one test
// and removes it after; a helper already there (an installed partfs) is left
// alone and the test is skipped.
class SbinHelper {
 public:
  SbinHelper() {
    if (::access(kHelperInSbin, F_OK) == 0) return;
    auto r = RunCommand("cp " + ShellQuote(std::string(PARTFS_BUILD_DIR) + "/mount.fuse.partfs") +
                            " " + kHelperInSbin,
                        std::chrono::seconds(5));
    installed_ = r.exit_code == 0;
  }
  ~SbinHelper() {
    if (installed_) ::unlink(kHelperInSbin);
  }
  bool installed() const { return installed_; }

 private:
  bool installed_ = false;
};

TEST_F(FsSystemToolTest, MountTypeFusePartfsAndAnFstabLineWork) {
  SbinHelper helper;
  if (!helper.installed()) GTEST_SKIP() << kHelperInSbin << " exists already or cannot be written";
  std::string bucket = NewBucket("sys-fstab");
  auto r = RunCommand(
      "mount -t fuse.partfs " + bucket + ":/m " + Mnt() + " -o noatime,nofail," + BaseOptions(),
      kCommandTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto w = RunCommand("echo one > " + Mnt() + "/a && cat " + Mnt() + "/a", kCommandTimeout);
  EXPECT_EQ(w.output, "one\n");
  auto type = RunCommand("findmnt -no FSTYPE,SOURCE " + Mnt(), std::chrono::seconds(5));
  EXPECT_NE(type.output.find("fuse.partfs"), std::string::npos) << type.output;
  EXPECT_NE(type.output.find("partfs:" + bucket), std::string::npos) << type.output;
  Unmount();

  // The README's fstab line, in a private fstab (mount -T), mounted by its mountpoint.
  std::ofstream(dir_.Sub("fstab"))
      << bucket << ":/m " << dir_.Sub("mnt") << " fuse.partfs _netdev,nofail,noauto,allow_other,"
      << BaseOptions() << " 0 0\n";
  r = RunCommand("mount -T " + ShellQuote(dir_.Sub("fstab")) + " " + Mnt(), kCommandTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(RunCommand("cat " + Mnt() + "/a", kCommandTimeout).output, "one\n");
  Unmount();
}

TEST_F(FsSystemToolTest, CmakeInstallPutsBinaryHelperAndManPageInPlace) {
  const std::string stage = dir_.Sub("stage");
  auto r = RunCommand("DESTDIR=" + ShellQuote(stage) + " cmake --install " +
                          ShellQuote(PARTFS_BUILD_DIR) + " --prefix /usr/local",
                      kCommandTimeout);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  struct stat st;
  ASSERT_EQ(::stat((stage + "/usr/local/bin/partfs").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  ASSERT_EQ(::stat((stage + "/sbin/mount.fuse.partfs").c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IXUSR);
  auto helper = RunCommand("grep -c \"^PARTFS='/usr/local/bin/partfs'$\" " +
                               ShellQuote(stage + "/sbin/mount.fuse.partfs"),
                           std::chrono::seconds(5));
  EXPECT_EQ(helper.output, "1\n");
  // The man page is the --help text in roff.
  auto man = RunCommand("grep -c -e '^.TH PARTFS 1' -e 'partfs check BUCKET' " +
                            ShellQuote(stage + "/usr/local/share/man/man1/partfs.1"),
                        std::chrono::seconds(10));
  EXPECT_EQ(man.output, "2\n") << man.output;
  auto version = RunCommand(ShellQuote(stage + "/usr/local/bin/partfs") + " --version",
                            std::chrono::seconds(10));
  EXPECT_EQ(version.output.rfind("partfs ", 0), 0u) << version.output;
  EXPECT_EQ(LastLine(version.output).find("partfs "), 0u);
}

}  // namespace
}  // namespace partfs
