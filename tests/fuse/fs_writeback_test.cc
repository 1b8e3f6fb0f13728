// Fuse tests of write-back mode (-o writeback=DELAY): close() returns with the
// file durable in the cache and the upload runs later; everything that happens
// to the file before its upload folds into it (metadata, rename, unlink,
// rewrite); fsync and unmount wait for uploads; kill -9 loses nothing.
#include <chrono>
#include <string>
#include <thread>

#include "fs/file_metadata.h"
#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/python_script.h"
#include "tests/support/read_object.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

class FsWritebackTest : public ::testing::Test {
 protected:
  FsWritebackTest() : work_("fs-writeback") {}

  // Mounts with write-back after `delay` (e.g. "1s", "1h").
  void MountWith(const std::string& delay, std::vector<std::string> more = {}) {
    MountSpec spec;
    spec.options = {"writeback=" + delay, "part_size=5M"};
    spec.options.insert(spec.options.end(), more.begin(), more.end());
    mount_ = std::make_unique<Mount>(spec);
    Status started = mount_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  std::string Run(const std::string& cmd) {
    auto r = RunCommand(cmd, std::chrono::seconds(180));
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output << mount_->Log();
    return r.output;
  }
  std::string Python(const std::string& body) {
    return Run(WriteMountPythonScript(work_.Sub("t" + std::to_string(++scripts_) + ".py"),
                                      mount_->path(), body));
  }
  bool Exists(const std::string& key) { return mount_->store().HeadObject(key).ok(); }
  // Waits (bounded) for `key` to hold `body`.
  bool AwaitObject(const std::string& key, const std::string& body,
                   std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      auto got = ReadObject(mount_->store(), key);
      if (got.ok() && *got == body) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

  TempDir work_;
  std::unique_ptr<Mount> mount_;
  int scripts_ = 0;
};

TEST_F(FsWritebackTest, CloseReturnsFirstTheUploadFollowsAfterTheDelay) {
  ASSERT_NO_FATAL_FAILURE(MountWith("2s"));
  const auto closed = std::chrono::steady_clock::now();
  EXPECT_EQ(Python("with open(M + '/a', 'w') as f: f.write('hello')\n"
                   "st = os.stat(M + '/a')\n"
                   "print(st.st_size, open(M + '/a').read(), 'a' in os.listdir(M))\n"),
            "5 hello True\n");
  EXPECT_FALSE(Exists("a")) << "uploaded before the delay";
  EXPECT_TRUE(AwaitObject("a", "hello"));
  EXPECT_GE(std::chrono::steady_clock::now() - closed, std::chrono::seconds(2));
}

TEST_F(FsWritebackTest, ChangesBeforeTheUploadFoldIntoIt) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1h"));
  // rsync's pattern (temp file, utimes, chmod, rename), a rewrite, an append
  // through a second open, and a file removed before its upload.
  Python(
      "with open(M + '/.tmp.x', 'w') as f: f.write('final')\n"
      "os.utime(M + '/.tmp.x', (1000000000, 1000000000))\n"
      "os.chmod(M + '/.tmp.x', 0o600)\n"
      "os.rename(M + '/.tmp.x', M + '/x')\n"
      "with open(M + '/r', 'w') as f: f.write('old version')\n"
      "with open(M + '/r', 'w') as f: f.write('new')\n"
      "with open(M + '/ap', 'w') as f: f.write('one')\n"
      "with open(M + '/ap', 'a') as f: f.write('two')\n"
      "with open(M + '/gone', 'w') as f: f.write('never')\n"
      "os.unlink(M + '/gone')\n");
  EXPECT_EQ(Python("st = os.stat(M + '/x')\n"
                   "print(oct(st.st_mode & 0o777), int(st.st_mtime), open(M + '/ap').read(),"
                   " sorted(os.listdir(M)))\n"),
            "0o600 1000000000 onetwo ['ap', 'r', 'x']\n");
  EXPECT_FALSE(Exists("x"));
  ASSERT_TRUE(mount_->Unmount().ok());  // unmount completes the queue
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "x"), "final");
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "r"), "new");
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "ap"), "onetwo");
  EXPECT_FALSE(Exists(".tmp.x"));
  EXPECT_FALSE(Exists("gone"));
  auto head = mount_->store().HeadObject("x");
  ASSERT_TRUE(head.ok());
  FileMetadata meta = ParseFileMetadata(head->user_metadata);
  EXPECT_EQ(meta.mode.value_or(0) & 07777, 0600u);
  EXPECT_EQ(meta.mtime.value_or(0), 1000000000);
}

TEST_F(FsWritebackTest, FsyncWaitsForTheObject) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1h"));
  Python(
      "fd = os.open(M + '/db.dump', os.O_WRONLY | os.O_CREAT, 0o644)\n"
      "os.write(fd, b'x' * (12 << 20))\n"
      "os.fsync(fd)\n"
      "os.close(fd)\n");
  auto head = mount_->store().HeadObject("db.dump");
  ASSERT_TRUE(head.ok()) << "fsync returned before the object existed";
  EXPECT_EQ(head->size, 12u << 20);
}

TEST_F(FsWritebackTest, RsyncOfATreeLandsWithItsMtimesAndNoTempFiles) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1s"));
  const std::string src = work_.Sub("src");
  Run("mkdir -p " + src + "/sub && cd " + src +
      " && for i in $(seq 1 40); do head -c $((i * 997)) /dev/urandom > f$i; done"
      " && head -c 7M /dev/urandom > sub/big && touch -d '2001-02-03 04:05:06' f1 sub/big");
  Run("rsync -a " + src + "/ " + mount_->path() + "/dst/");
  Run("diff -r " + src + " " + mount_->path() + "/dst");
  ASSERT_TRUE(mount_->Unmount().ok());
  auto listing = mount_->store().ListObjects("dst/", "", "", 1000);
  ASSERT_TRUE(listing.ok());
  for (const auto& object : listing->objects) {
    EXPECT_EQ(object.key.find("/."), std::string::npos) << "temp file left: " << object.key;
  }
  ASSERT_TRUE(mount_->Remount().ok());
  Run("diff -r " + src + " " + mount_->path() + "/dst");
  EXPECT_EQ(Run("stat -c %Y " + mount_->path() + "/dst/f1 " + mount_->path() + "/dst/sub/big"),
            Run("stat -c %Y " + src + "/f1 " + src + "/sub/big"));
}

TEST_F(FsWritebackTest, Kill9WithUploadsQueuedLosesNothing) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1h"));
  const std::string src = work_.Sub("big");
  Run("head -c 23M /dev/urandom > " + src);
  Run("cp " + src + " " + mount_->path() + "/big && mkdir " + mount_->path() +
      "/d && for i in 1 2 3; do echo small$i > " + mount_->path() + "/d/s$i; done");
  EXPECT_FALSE(Exists("d/s1"));
  mount_->Kill9();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(*mount_, std::chrono::seconds(120)));
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "d/s2"), "small2\n");
  Run("cmp " + src + " " + mount_->path() + "/big");
  EXPECT_EQ(Run("cat " + mount_->path() + "/d/s3"), "small3\n");
}

// The crash case: rsync -a of 200 files (temp name, write, chmod,
// utimes, rename each) all still queued, then kill -9. After the remount every
// file is on the server under its final name with its final bytes, mode and
// mtime, and nothing under a temporary name.
TEST_F(FsWritebackTest, Kill9WithTwoHundredRsyncedFilesQueuedLandsThemUnderTheirFinalNames) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1h"));
  const std::string src = work_.Sub("tree");
  Run("mkdir -p " + src + "/a " + src + "/b && cd " + src +
      " && for i in $(seq 1 200); do d=a; [ $((i % 2)) = 0 ] && d=b;"
      " head -c $((i * 37 + 1)) /dev/urandom > $d/f$i; done"
      " && chmod 600 a/* && chmod 640 b/* && touch -m -d @1500000000 a/* b/*");
  Run("rsync -a " + src + "/ " + mount_->path() + "/dst/");
  EXPECT_FALSE(Exists("dst/a/f1")) << "queued for 1h: nothing uploaded before the kill";
  mount_->Kill9();
  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(*mount_, std::chrono::seconds(180)));
  auto listing = mount_->store().ListObjects("dst/", "", "", 1000);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  size_t files = 0;
  for (const auto& object : listing->objects) {
    EXPECT_EQ(object.key.find("/."), std::string::npos) << "temp name landed: " << object.key;
    if (object.key.back() != '/') ++files;
  }
  EXPECT_EQ(files, 200u);
  for (int i : {1, 2, 99, 150, 200}) {
    const std::string rel = std::string(i % 2 ? "a" : "b") + "/f" + std::to_string(i);
    auto info = mount_->store().HeadObject("dst/" + rel);
    ASSERT_TRUE(info.ok()) << rel << ": " << info.status().ToString();
    FileMetadata meta = ParseFileMetadata(info->user_metadata);
    ASSERT_TRUE(meta.mode.has_value()) << rel;
    EXPECT_EQ(*meta.mode & 07777, i % 2 ? 0600u : 0640u) << rel;
    ASSERT_TRUE(meta.mtime.has_value()) << rel;
    EXPECT_EQ(*meta.mtime, 1500000000) << rel;
  }
  Run("diff -r " + src + " " + mount_->path() + "/dst");
}

TEST_F(FsWritebackTest, StatusListsQueuedUploads) {
  ASSERT_NO_FATAL_FAILURE(MountWith("1h"));
  Run("echo queued > " + mount_->path() + "/q");
  std::string status =
      Run(std::string(PARTFS_BINARY) + " status --cache-dir " + mount_->cache_dir());
  EXPECT_NE(status.find("q"), std::string::npos) << status;
}

}  // namespace
}  // namespace partfs::testing
