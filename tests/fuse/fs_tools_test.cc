// Fuse tests with the tools users point at a mount: rsync -a (temp file +
// rename, mode and mtime preservation), tar extraction and cp -a. Each tree
// holds a small file, a file of exactly one part, one of two parts and a
// subdirectory, so both PutObject and multipart uploads are exercised.
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/mounted_test.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;

class FsToolsTest : public MountedTest {
 protected:
  FsToolsTest() : MountedTest("fs-tools") {}

  void SetUp() override {
    src_ = work_.Sub("src");
    ASSERT_EQ(Run("mkdir -p " + ShellQuote(src_ + "/sub/deeper")), "");
    WriteRandomFile(src_ + "/small.txt", 1000, 1);
    WriteRandomFile(src_ + "/one-part.bin", 8 * kMiB, 2);
    WriteRandomFile(src_ + "/sub/two-parts.bin", 8 * kMiB + 12345, 3);
    WriteRandomFile(src_ + "/sub/deeper/empty", 0, 4);
    // Distinct modes and old mtimes, which rsync -a and tar must carry over.
    ASSERT_EQ(
        Run("chmod 640 " + ShellQuote(src_ + "/small.txt") + " && chmod 600 " +
            ShellQuote(src_ + "/sub/two-parts.bin") + " && touch -d '2001-02-03 04:05:06' " +
            ShellQuote(src_ + "/small.txt") + " " + ShellQuote(src_ + "/one-part.bin") + " " +
            ShellQuote(src_ + "/sub/two-parts.bin") + " " + ShellQuote(src_ + "/sub/deeper/empty")),
        "");
    MountedTest::SetUp();
  }

  // Content of every regular file equal (diff -r), plus size/mode/mtime per file.
  void ExpectSameTree(const std::string& copy, bool check_mtime_and_mode) {
    Run("diff -r " + ShellQuote(src_) + " " + ShellQuote(copy));
    std::string listing = "cd DIR && find . -type f -printf '%P %s";
    if (check_mtime_and_mode) listing += " %m %TY-%Tm-%Td_%TH:%TM:%.2TS";
    listing += "\\n' | sort";
    auto list = [&](const std::string& dir) {
      std::string cmd = listing;
      cmd.replace(cmd.find("DIR"), 3, ShellQuote(dir));
      return Run(cmd);
    };
    EXPECT_EQ(list(copy), list(src_));
  }

  std::string src_;
};

TEST_F(FsToolsTest, RsyncArchivePreservesContentModeAndMtime) {
  Run("rsync -a " + ShellQuote(src_ + "/") + " " + ShellQuote(mount_.File("r") + "/"));
  ExpectSameTree(mount_.File("r"), /*check_mtime_and_mode=*/true);
  // A second run finds nothing to transfer: sizes and mtimes round-tripped through the bucket.
  std::string changes = Run("rsync -a --itemize-changes " + ShellQuote(src_ + "/") + " " +
                            ShellQuote(mount_.File("r") + "/") + " | grep -v '^\\.d' || true");
  EXPECT_EQ(changes, "");
  // No rsync temp file (".name.XXXXXX") is left behind in the bucket.
  auto page = mount_.store().ListObjects("r/", "", "", 0);
  ASSERT_TRUE(page.ok());
  for (const auto& object : page->objects) {
    EXPECT_EQ(object.key.find("/."), std::string::npos) << object.key;
  }
}

TEST_F(FsToolsTest, TarExtractAndCpArchive) {
  Run("mkdir " + ShellQuote(mount_.File("t")) + " && tar -C " + ShellQuote(src_) +
      " -cf - . | tar -C " + ShellQuote(mount_.File("t")) + " -xf -");
  ExpectSameTree(mount_.File("t"), /*check_mtime_and_mode=*/true);
  Run("cp -a " + ShellQuote(src_) + " " + ShellQuote(mount_.File("c")));
  ExpectSameTree(mount_.File("c"), /*check_mtime_and_mode=*/true);
}

}  // namespace
}  // namespace partfs::testing
