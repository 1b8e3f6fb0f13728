// MountedTest: the fixture of fuse tests that drive one default Mount with
// shell commands and python programs: a local scratch TempDir (work_) and
// mount_, started in SetUp (a fatal failure when it does not start). A derived
// SetUp that prepares local files first calls MountedTest::SetUp() last.
// Not thread-safe (one per test).
#ifndef PARTFS_TESTS_SUPPORT_MOUNTED_TEST_H_
#define PARTFS_TESTS_SUPPORT_MOUNTED_TEST_H_

#include <chrono>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {

class MountedTest : public ::testing::Test {
 protected:
  // `work_prefix`: the scratch directory's name prefix; `spec`: how to mount.
  explicit MountedTest(const std::string& work_prefix, MountSpec spec = {})
      : work_(work_prefix), mount_(std::move(spec)) {}

  void SetUp() override {
    Status started = mount_.Start();
    ASSERT_TRUE(started.ok()) << started.ToString();
  }

  // Runs a shell command that must succeed; returns its output.
  std::string Run(const std::string& cmd) {
    auto r = RunCommand(cmd, std::chrono::seconds(180));
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.output << mount_.Log();
    return r.output;
  }

  // A fresh path in work_ for the test's next python program.
  std::string NextScriptPath() { return work_.Sub("t" + std::to_string(++scripts_) + ".py"); }

  TempDir work_;  // outlives mount_
  Mount mount_;

 private:
  int scripts_ = 0;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_MOUNTED_TEST_H_
