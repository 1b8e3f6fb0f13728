#include "cache/cache_dir.h"

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

TEST(CacheDirTest, CreatesPrivateDirectoriesAndWritesPid) {
  testing::TempDir tmp("partfs-cachedir");
  std::string root = tmp.Sub("a/b/cache");
  auto dir = CacheDir::Open(root);
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  struct stat st;
  ASSERT_EQ(stat(root.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((root + "/files").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((root + "/journal").c_str(), &st), 0);  // made (and fsync'd) here
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  std::ifstream lock(root + "/LOCK");
  std::string pid;
  lock >> pid;
  EXPECT_EQ(pid, std::to_string(getpid()));
}

TEST(CacheDirTest, MakeDirCreatesOrAcceptsADirectory) {
  testing::TempDir tmp("partfs-cachedir");
  const std::string lost = tmp.Sub("lost+found");
  ASSERT_TRUE(MakeDir(lost, 0700).ok());  // created: the parent is fsync'd too
  struct stat st;
  ASSERT_EQ(stat(lost.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_TRUE(MakeDir(lost, 0700).ok());  // exists: fine
  std::ofstream(tmp.Sub("file")) << "x";
  Status in_the_way = MakeDir(tmp.Sub("file"), 0700);
  EXPECT_FALSE(in_the_way.ok());
  EXPECT_NE(in_the_way.message().find("create directory"), std::string::npos)
      << in_the_way.ToString();
  EXPECT_FALSE(MakeDir(tmp.Sub("missing/child"), 0700).ok());
}

TEST(CacheDirTest, SecondOpenInSameProcessIsBusy) {
  testing::TempDir tmp("partfs-cachedir");
  auto first = CacheDir::Open(tmp.path());
  ASSERT_TRUE(first.ok());
  // flock belongs to the open file description: a second open() conflicts too.
  auto second = CacheDir::Open(tmp.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kBusy);
  EXPECT_NE(second.status().message().find("in use by another partfs (pid " +
                                           std::to_string(getpid()) + ")"),
            std::string::npos)
      << second.status().message();
  first->reset();
  EXPECT_TRUE(CacheDir::Open(tmp.path()).ok());  // released with the first owner
}

TEST(CacheDirTest, OtherProcessIsRefused) {
  testing::TempDir tmp("partfs-cachedir");
  auto first = CacheDir::Open(tmp.path());
  ASSERT_TRUE(first.ok());
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto other = CacheDir::Open(tmp.path());
    _exit(!other.ok() && other.status().code() == Status::Code::kBusy ? 0 : 1);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0) << "the child was not refused with Busy";
}

TEST(CacheDirTest, CheckFreeSpaceKeepsJournalHeadroom) {
  testing::TempDir dir("partfs-cachedir");
  EXPECT_TRUE(CheckFreeSpace(dir.path(), 4096, 0).ok());
  // More than any disk has: refused as NoSpace, naming the directory.
  Status full = CheckFreeSpace(dir.path(), 1, uint64_t{1} << 62);
  EXPECT_EQ(full.code(), Status::Code::kNoSpace) << full.ToString();
  EXPECT_NE(full.message().find(dir.path()), std::string::npos) << full.ToString();
  EXPECT_EQ(CheckFreeSpace(dir.path(), uint64_t{1} << 62, 0).code(), Status::Code::kNoSpace);
}

}  // namespace
}  // namespace partfs
