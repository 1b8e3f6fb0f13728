// Fuse tests of the attribute cache (-o stat_ttl): rsync over an unchanged
// tree costs no request within the TTL and about one listing per directory
// after a remount (metadata persisted with the ETag); other clients' changes
// show after at most the TTL; this mount's own changes at once.
#include <chrono>
#include <sstream>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

class FsAttrCacheTest : public ::testing::Test {
 protected:
  FsAttrCacheTest() : work_("fs-attr-cache") {}

  void MountWith(std::vector<std::string> options) {
    MountSpec spec;
    spec.options = std::move(options);
    mount_ = std::make_unique<Mount>(spec);
    Status started = mount_->Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }
  CommandResult Sh(const std::string& cmd) { return RunCommand(cmd, std::chrono::seconds(180)); }
  std::string Run(const std::string& cmd) {
    auto r = Sh(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output << mount_->Log();
    return r.output;
  }
  int Requests() { return CountBucketRequests(mount_->endpoint(), mount_->bucket()); }

  TempDir work_;
  std::unique_ptr<Mount> mount_;
};

TEST_F(FsAttrCacheTest, RsyncOverAnUnchangedTreeAsksAlmostNothingAlsoAfterARemount) {
  ASSERT_NO_FATAL_FAILURE(MountWith({}));
  if (Requests() < 0) GTEST_SKIP() << "the server's log is not available";
  const std::string src = work_.Sub("src");
  Run("mkdir -p " + src + "/sub && cd " + src +
      " && for i in $(seq 1 40); do echo file $i > f$i; done"
      " && for i in $(seq 1 20); do echo sub $i > sub/s$i; done");
  // Directories keep no times of their own (docs/SEMANTICS.md): -O leaves them out.
  const std::string rsync =
      "rsync -a -O --itemize-changes " + src + "/ " + mount_->path() + "/dst/";
  Run(rsync);
  int before = Requests();
  EXPECT_EQ(Run(rsync), "") << "rsync found changes in an unchanged tree";
  EXPECT_EQ(Requests() - before, 0) << "requests of an rsync with nothing to do";
  ASSERT_TRUE(mount_->Unmount().ok());
  ASSERT_TRUE(mount_->Remount().ok());
  before = Requests();
  EXPECT_EQ(Run(rsync), "") << "rsync found changes after a remount";
  // One listing of each directory (with HEAD and LIST of the first name looked
  // up in it) instead of a HEAD per file: 60 files, 3 directories.
  EXPECT_LE(Requests() - before, 12) << "requests of an rsync after a remount";
}

TEST_F(FsAttrCacheTest, OtherClientsChangesShowAfterTheTtlThisMountsAtOnce) {
  ASSERT_NO_FATAL_FAILURE(MountWith({"stat_ttl=3"}));
  const std::string x = mount_->File("x");
  EXPECT_NE(Sh("stat " + x).exit_code, 0);
  ASSERT_TRUE(mount_->store().PutObjectFromString("x", "from elsewhere", {}).ok());
  // Within the TTL the mount may still say "missing"; after it, never.
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(Run("cat " + x), "from elsewhere");
  ASSERT_TRUE(mount_->store().PutObjectFromString("x", "changed elsewhere", {}).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  EXPECT_EQ(Run("stat -c %s " + x), "17\n");
  // This mount's own changes show at once.
  Run("echo mine > " + mount_->File("y") + " && mkdir " + mount_->File("d") + " && mv " +
      mount_->File("y") + " " + mount_->File("d/z"));
  EXPECT_EQ(Run("cat " + mount_->File("d/z")), "mine\n");
  EXPECT_NE(Sh("stat " + mount_->File("y")).exit_code, 0);
  Run("rm " + x);
  EXPECT_NE(Sh("stat " + x).exit_code, 0);
  EXPECT_EQ(Run("ls " + mount_->path()), "d\n");
}

// ls -l after a remount whose cache lost the kept metadata: every file shows
// its own mode and mtime (readdirplus and walking lookups HEAD in batches,
// still one HEAD per file, never a second).
TEST_F(FsAttrCacheTest, LsLongAfterARemountWithAnEmptiedCacheShowsEachFilesMetadata) {
  ASSERT_NO_FATAL_FAILURE(MountWith({}));
  const std::string dir = mount_->File("d");
  Run("mkdir " + dir + " && cd " + dir +
      " && for i in $(seq 10 69); do echo $i > f$i; done && chmod 600 f1* f3* f5*"
      " && touch -m -d @1600000000 f*");
  ASSERT_TRUE(mount_->Unmount().ok());
  Run("rm -rf " + mount_->cache_dir() + "/attrs");
  ASSERT_TRUE(mount_->Remount().ok());
  const int before = Requests();
  const std::string listing = Run("ls -l --time-style=+%s " + dir + " | tail -n +2");
  const int requests = Requests() - before;
  int lines = 0;
  std::istringstream in(listing);
  for (std::string line; std::getline(in, line); ++lines) {
    std::istringstream fields(line);
    std::string mode, links, owner, group, size, mtime, name;
    fields >> mode >> links >> owner >> group >> size >> mtime >> name;
    const bool private_file = name[1] == '1' || name[1] == '3' || name[1] == '5';
    EXPECT_EQ(mode, private_file ? "-rw-------" : "-rw-r--r--") << line;
    EXPECT_EQ(mtime, "1600000000") << line;
    EXPECT_EQ(size, "3") << line;
  }
  EXPECT_EQ(lines, 60) << listing;
  if (before >= 0) {
    EXPECT_LE(requests, 60 + 6) << "a HEAD per file and the listings";
  }
}

// -o listing_attrs: files without kept metadata cost no HEAD at all.
TEST_F(FsAttrCacheTest, ListingAttrsListsForeignFilesWithoutAHeadEach) {
  ASSERT_NO_FATAL_FAILURE(MountWith({"listing_attrs"}));
  if (Requests() < 0) GTEST_SKIP() << "the server's log is not available";
  for (int i = 0; i < 50; ++i) {
    const std::string key = "l/e" + std::to_string(100 + i);
    ASSERT_TRUE(
        mount_->store().PutObjectFromString(key, i % 2 ? std::string(5000, 'x') : "", {}).ok());
  }
  const int before = Requests();
  const std::string listing = Run("ls -l " + mount_->File("l") + " | tail -n +2 | wc -l");
  EXPECT_EQ(listing, "50\n");
  EXPECT_LE(Requests() - before, 6) << "listings only";
  EXPECT_EQ(Run("stat -c %s " + mount_->File("l/e101")), "5000\n");
}

}  // namespace
}  // namespace partfs::testing
