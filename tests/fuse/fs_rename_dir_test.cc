// Fuse tests of directory rename (docs/SEMANTICS.md "rename"): mv of a tree,
// the errors borg's lock relies on, 500 files, and a kill -9 in the middle
// rolled forward by the next mount. Through the fault proxy (disarmed unless
// a test slows the copies) so a remount uses the same endpoint.
#include <set>
#include <string>
#include <thread>

#include "cache/run_parallel.h"
#include "gtest/gtest.h"
#include "tests/support/python_script.h"
#include "tests/support/read_object.h"
#include "tests/support/resume_fixture.h"
#include "tests/support/run_command.h"

namespace partfs::testing {
namespace {

class FsRenameDirTest : public ResumeFixture {
 protected:
  FsRenameDirTest() : ResumeFixture("fs-rename-dir") {}

  // Runs `body` after the prelude of WriteMountPythonScript (M, err(fn));
  // returns stdout.
  std::string Python(const std::string& body) {
    const std::string path = tmp_.Sub("t" + std::to_string(++scripts_) + ".py");
    auto r =
        RunCommand(WriteMountPythonScript(path, mount_->path(), body), std::chrono::seconds(120));
    EXPECT_EQ(r.exit_code, 0) << r.output << mount_->Log();
    return r.output;
  }

  std::set<std::string> Keys(const std::string& prefix) {
    std::set<std::string> keys;
    std::string token;
    for (;;) {
      auto page = mount_->store().ListObjects(prefix, "", token, 0);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) return keys;
      for (const auto& object : page->objects) keys.insert(object.key);
      if (!page->truncated) return keys;
      token = page->next_continuation_token;
    }
  }

  // d/ with `n` small files f0..f<n-1> ("content <i>"), PUT in parallel
  // through the store (through the mount they take ~50 ms each here: the
  // test is about the rename, not the creates).
  void MakeFlatDirectory(int n) {
    ObjectStore& store = mount_->store();
    ASSERT_TRUE(store.PutObjectFromString("d/", "", {}).ok());
    Status put = RunParallel(n, 8, [&](size_t i) {
      const std::string name = std::to_string(i);
      return store.PutObjectFromString("d/f" + name, "content " + name, {}).status();
    });
    ASSERT_TRUE(put.ok()) << put.ToString();
  }
  void ExpectFlatDirectoryMoved(int n) {
    const auto keys = Keys("e/");
    EXPECT_EQ(keys.size(), static_cast<size_t>(n) + 1) << "the files and the e/ marker";
    EXPECT_TRUE(Keys("d/").empty());
    EXPECT_EQ(ReadObjectOrError(mount_->store(), "e/f0"), "content 0");
    EXPECT_EQ(ReadObjectOrError(mount_->store(), "e/f" + std::to_string(n - 1)),
              "content " + std::to_string(n - 1));
  }

  int scripts_ = 0;
};

TEST_F(FsRenameDirTest, MvOfANestedTree) {
  StartMountThroughProxy();
  Python(
      "os.makedirs(M + '/d/sub/deep')\n"
      "open(M + '/d/a', 'w').write('alpha')\n"
      "open(M + '/d/sub/b', 'w').write('beta')\n"
      "open(M + '/d/sub/deep/c', 'w').write('gamma')\n");
  auto mv = RunCommand("mv " + ShellQuote(mount_->File("d")) + " " + ShellQuote(mount_->File("e")),
                       std::chrono::seconds(60));
  ASSERT_EQ(mv.exit_code, 0) << mv.output << mount_->Log();
  EXPECT_EQ(Python("print(os.path.exists(M + '/d'), sorted(os.listdir(M + '/e')))\n"
                   "print(open(M + '/e/sub/deep/c').read(), open(M + '/e/a').read())\n"),
            "False ['a', 'sub']\ngamma alpha\n");
  EXPECT_EQ(Keys("e/"), (std::set<std::string>{"e/", "e/a", "e/sub/", "e/sub/b", "e/sub/deep/",
                                               "e/sub/deep/c"}));
  EXPECT_TRUE(Keys("d/").empty());
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "e/sub/b"), "beta");
}

// borg's lock: mkdir of a temporary directory, then rename onto the lock
// directory; only the first rename may succeed.
TEST_F(FsRenameDirTest, BorgStyleLockAndErrors) {
  StartMountThroughProxy();
  EXPECT_EQ(Python("os.mkdir(M + '/tmp1'); open(M + '/tmp1/owner', 'w').write('1')\n"
                   "os.mkdir(M + '/tmp2'); open(M + '/tmp2/owner', 'w').write('2')\n"
                   "print(err(lambda: os.rename(M + '/tmp1', M + '/lock')))\n"
                   "print(err(lambda: os.rename(M + '/tmp2', M + '/lock')))\n"
                   "print(open(M + '/lock/owner').read())\n"
                   "open(M + '/file', 'w').write('f')\n"
                   "print(err(lambda: os.rename(M + '/tmp2', M + '/file')))\n"
                   "print(err(lambda: os.rename(M + '/file', M + '/lock')))\n"
                   "print(err(lambda: os.rename(M + '/tmp2', M + '/tmp2/in')))\n"
                   "os.mkdir(M + '/empty')\n"
                   "print(err(lambda: os.rename(M + '/tmp2', M + '/empty')))\n"
                   "print(sorted(os.listdir(M)), open(M + '/empty/owner').read())\n"),
            "ok\nENOTEMPTY\n1\nENOTDIR\nEISDIR\nEINVAL\nok\n"
            "['empty', 'file', 'lock'] 2\n");
  EXPECT_EQ(ReadObjectOrError(mount_->store(), "lock/owner"), "1");
  EXPECT_TRUE(Keys("tmp1/").empty());
}

TEST_F(FsRenameDirTest, FiveHundredFiles) {
  StartMountThroughProxy();
  MakeFlatDirectory(500);
  EXPECT_EQ(Python("os.rename(M + '/d', M + '/e')\n"
                   "print(len(os.listdir(M + '/e')), os.path.exists(M + '/d'))\n"),
            "500 False\n");
  ExpectFlatDirectoryMoved(500);
}

// kill -9 while the copies run: the next mount rolls the journaled rename
// forward before it serves.
TEST_F(FsRenameDirTest, FiveHundredFilesWithKillNineInTheMiddle) {
  StartMountThroughProxy();
  MakeFlatDirectory(500);
  std::thread mv([&] {
    RunCommand("mv " + ShellQuote(mount_->File("d")) + " " + ShellQuote(mount_->File("e")),
               std::chrono::seconds(120));
  });
  const bool started = PollUntil(std::chrono::seconds(60), [&] {
    auto page = mount_->store().ListObjects("e/", "", "", 50);
    return page.ok() && page->objects.size() >= 50;
  });
  mount_->Kill9();
  mv.join();
  ASSERT_TRUE(started) << mount_->Log();
  EXPECT_LT(Keys("e/").size(), 501u) << "killed after the rename finished: not a mid-way crash";
  EXPECT_FALSE(Keys("d/").empty());
  // The roll-forward (most of the 500 copies) runs before the mount serves.
  Status remounted = mount_->Start(std::chrono::seconds(90));
  ASSERT_TRUE(remounted.ok()) << remounted.ToString() << mount_->Log();
  ExpectFlatDirectoryMoved(500);
  EXPECT_EQ(Python("print(len(os.listdir(M + '/e')), os.path.exists(M + '/d'))\n"), "500 False\n");
}

}  // namespace
}  // namespace partfs::testing
