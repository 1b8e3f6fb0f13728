// Fuse tests of honest mode's deferred metadata (fs/deferred_metadata.h):
// chmod/utimens after close are journaled and merged into a following rename's
// copy (rsync -a costs one copy per file), else copied about a second later;
// fsync applies at once, kill -9 loses nothing, newer data and unlink win.
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "fs/file_metadata.h"
#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/python_script.h"
#include "tests/support/read_object.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

class FsDeferredMetadataTest : public ::testing::Test {
 protected:
  FsDeferredMetadataTest() : work_("fs-deferred-metadata") {}

  void MountWith(std::vector<std::string> options = {}) {
    MountSpec spec;
    spec.options = std::move(options);
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
  int Requests() { return CountBucketRequests(mount_->endpoint(), mount_->bucket()); }
  int Copies() { return CountCopyRequests(mount_->endpoint(), mount_->bucket()); }
  // The permission bits the server holds for `key` (-1: no such object).
  int ServerMode(const std::string& key) {
    auto head = mount_->store().HeadObject(key);
    if (!head.ok()) return -1;
    return static_cast<int>(ParseFileMetadata(head->user_metadata).mode.value_or(0) & 07777);
  }
  // Waits (bounded) for the server to hold mode `mode` for `key`.
  bool AwaitServerMode(const std::string& key, int mode,
                       std::chrono::seconds timeout = std::chrono::seconds(15)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ServerMode(key) == mode) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ServerMode(key) == mode;
  }

  TempDir work_;
  std::unique_ptr<Mount> mount_;
  int scripts_ = 0;
};

TEST_F(FsDeferredMetadataTest, RsyncKeepsModesAndMtimesWithOneCopyPerFile) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  if (Requests() < 0) GTEST_SKIP() << "the server's log is not available";
  constexpr int kFiles = 200;
  const std::string src = work_.Sub("src");
  Run("mkdir -p " + src + " && cd " + src + " && for i in $(seq 1 " + std::to_string(kFiles) +
      "); do head -c $((i * 97)) /dev/urandom > f$i; done && chmod 600 f1 && chmod 755 f2"
      " && touch -d '2001-02-03 04:05:06' f* && touch -d '2002-02-03 04:05:06' f3");
  const int requests = Requests(), copies = Copies();
  const auto start = std::chrono::steady_clock::now();
  Run("rsync -a " + src + "/ " + mount_->path() + "/dst/");
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start);
  const int rsync_requests = Requests() - requests, rsync_copies = Copies() - copies;
  std::cout << "rsync -a of " << kFiles << " small files, honest mode: " << rsync_requests
            << " requests, " << rsync_copies << " CopyObject, " << took.count() << " ms\n";
  // The rename of each temp file, carrying its mtime and mode: nothing more
  // (before: 3 per file). The timer may slip in a copy of its own only when
  // the machine stalls for a second between rsync's utimes and its rename.
  EXPECT_GE(rsync_copies, kFiles);
  EXPECT_LE(rsync_copies, kFiles + 5);
  Run("diff -r " + src + " " + mount_->path() + "/dst");
  ASSERT_TRUE(mount_->Unmount().ok());
  EXPECT_EQ(Copies() - copies, rsync_copies) << "unmount had metadata left to copy";
  EXPECT_EQ(ServerMode("dst/f1"), 0600);
  EXPECT_EQ(ServerMode("dst/f2"), 0755);
  ASSERT_TRUE(mount_->Remount().ok());
  // Every file: a late release once undid a chmod/utimens of a few in 600.
  EXPECT_EQ(Run("cd " + mount_->path() + "/dst && stat -c '%n %a %Y' f* | sort"),
            Run("cd " + src + " && stat -c '%n %a %Y' f* | sort"));
}

TEST_F(FsDeferredMetadataTest, ChmodWithoutARenameLandsAboutASecondLater) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  Run("echo data > " + mount_->File("f") + " && chmod 600 " + mount_->File("f"));
  EXPECT_EQ(Run("stat -c %a " + mount_->File("f")), "600\n");  // shown at once
  EXPECT_TRUE(AwaitServerMode("f", 0600)) << mount_->Log();
}

TEST_F(FsDeferredMetadataTest, FsyncAfterChmodAppliesItAtOnce) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  Python(
      "with open(M + '/f', 'w') as f: f.write('data')\n"
      "os.chmod(M + '/f', 0o640)\n"
      "fd = os.open(M + '/f', os.O_RDONLY)\n"
      "os.fsync(fd)\n"
      "os.close(fd)\n");
  EXPECT_EQ(ServerMode("f"), 0640);
}

TEST_F(FsDeferredMetadataTest, Kill9AfterChmodThenRemountAppliesIt) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  Run("echo data > " + mount_->File("f") + " && chmod 600 " + mount_->File("f"));
  mount_->Kill9();
  ASSERT_TRUE(mount_->Remount().ok());
  EXPECT_TRUE(AwaitServerMode("f", 0600)) << mount_->Log();
  EXPECT_EQ(Run("cat " + mount_->File("f")), "data\n");
}

TEST_F(FsDeferredMetadataTest, ChmodThenOverwriteKeepsTheNewerDataAndTheMode) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  Run("echo old > " + mount_->File("f") + " && chmod 600 " + mount_->File("f") +
      " && echo newer > " + mount_->File("f"));
  ASSERT_TRUE(mount_->Unmount().ok());
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "f"), "newer\n");
  EXPECT_EQ(ServerMode("f"), 0600);
}

TEST_F(FsDeferredMetadataTest, ChmodThenRmStaysGone) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  Run("echo data > " + mount_->File("f") + " && chmod 600 " + mount_->File("f") + " && rm " +
      mount_->File("f"));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // past the apply delay
  ASSERT_TRUE(mount_->Unmount().ok());
  EXPECT_EQ(ServerMode("f"), -1);
  ASSERT_TRUE(mount_->Remount().ok());
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(ServerMode("f"), -1);
}

// A file whose upload was not created yet only changes its key: no copy.
TEST_F(FsDeferredMetadataTest, RenameBeforeTheUploadNeverCopies) {
  ASSERT_NO_FATAL_FAILURE(MountWith());
  if (Requests() < 0) GTEST_SKIP() << "the server's log is not available";
  const int copies = Copies();
  Python(
      "f = open(M + '/open', 'w')\n"
      "f.write('still open')\n"
      "f.flush()\n"
      "os.rename(M + '/open', M + '/moved')\n"
      "f.close()\n");
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "moved"), "still open");
  EXPECT_EQ(Copies() - copies, 0);
  ASSERT_TRUE(mount_->Unmount().ok());
  // Closed but not uploaded yet (write-back mode): the same.
  ASSERT_NO_FATAL_FAILURE(MountWith({"writeback=1h"}));
  const int queued_copies = Copies();
  Python(
      "with open(M + '/queued', 'w') as f: f.write('queued')\n"
      "os.chmod(M + '/queued', 0o600)\n"
      "os.rename(M + '/queued', M + '/renamed')\n");
  ASSERT_TRUE(mount_->Unmount().ok());
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "renamed"), "queued");
  EXPECT_EQ(ServerMode("renamed"), 0600);
  EXPECT_EQ(Copies() - queued_copies, 0);
}

}  // namespace
}  // namespace partfs::testing
