// Fuse tests of the mount's lifecycle: SIGTERM unmounts cleanly, and the test
// fixture's Kill9()/Remount() (used by crash tests) leave a usable mount.
#include <signal.h>

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"

namespace partfs {
namespace {

using testing::Mount;
using testing::RunCommand;
using testing::ShellQuote;

TEST(FsMountTest, SigtermUnmountsCleanly) {
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto r = RunCommand("echo term > " + ShellQuote(mount.File("t")), std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_EQ(kill(mount.pid(), SIGTERM), 0);
  EXPECT_EQ(mount.WaitExit(std::chrono::seconds(60)), 0) << mount.Log();
  EXPECT_FALSE(mount.InMountTable());
  EXPECT_NE(mount.Log().find("unmounted"), std::string::npos) << mount.Log();
  EXPECT_TRUE(mount.store().HeadObject("t").ok());
}

TEST(FsMountTest, Kill9ThenRemount) {
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto r =
      RunCommand("echo before > " + ShellQuote(mount.File("before")), std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  mount.Kill9();
  EXPECT_FALSE(mount.mounted());
  EXPECT_FALSE(mount.InMountTable());
  started = mount.Remount();
  ASSERT_TRUE(started.ok()) << started.ToString();
  r = RunCommand("echo after > " + ShellQuote(mount.File("after")) + " && cat " +
                     ShellQuote(mount.File("before")) + " " + ShellQuote(mount.File("after")),
                 std::chrono::seconds(30));
  EXPECT_EQ(r.output, "before\nafter\n") << mount.Log();
}

}  // namespace
}  // namespace partfs
