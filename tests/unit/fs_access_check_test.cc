// AccessAllowed (fs/access_check.h): the owner / group / other decision of access(2).
#include "fs/access_check.h"

#include <unistd.h>

#include "gtest/gtest.h"

namespace partfs {
namespace {

struct stat File(mode_t mode, uid_t uid, gid_t gid) {
  struct stat st = {};
  st.st_mode = mode;
  st.st_uid = uid;
  st.st_gid = gid;
  return st;
}

TEST(FsAccessCheckTest, OwnerGroupAndOtherBits) {
  const struct stat st = File(S_IFREG | 0750, 10, 20);
  const AccessCaller owner{10, 99, {}}, member{11, 20, {}}, supplementary{11, 99, {5, 20}},
      other{11, 99, {5}};
  EXPECT_TRUE(AccessAllowed(st, R_OK | W_OK | X_OK, owner));
  EXPECT_TRUE(AccessAllowed(st, R_OK | X_OK, member));
  EXPECT_FALSE(AccessAllowed(st, W_OK, member));
  EXPECT_TRUE(AccessAllowed(st, R_OK, supplementary));
  EXPECT_FALSE(AccessAllowed(st, R_OK, other));
  EXPECT_TRUE(AccessAllowed(st, F_OK, other));
}

// Only the owner's class applies to the owner, even when group or other would allow more.
TEST(FsAccessCheckTest, OwnerClassIsNotWidenedByOthers) {
  const struct stat st = File(S_IFREG | 0077, 10, 20);
  EXPECT_FALSE(AccessAllowed(st, R_OK, AccessCaller{10, 20, {}}));
  EXPECT_TRUE(AccessAllowed(st, R_OK, AccessCaller{11, 21, {}}));
}

TEST(FsAccessCheckTest, RootReadsAndWritesAnythingAndExecutesWithAnyXBit) {
  const AccessCaller root{0, 0, {}};
  EXPECT_TRUE(AccessAllowed(File(S_IFREG | 0000, 10, 20), R_OK | W_OK, root));
  EXPECT_FALSE(AccessAllowed(File(S_IFREG | 0644, 10, 20), X_OK, root));
  EXPECT_TRUE(AccessAllowed(File(S_IFREG | 0001, 10, 20), X_OK, root));
  EXPECT_TRUE(AccessAllowed(File(S_IFDIR | 0000, 10, 20), X_OK, root));
}

}  // namespace
}  // namespace partfs
