// ToErrno (fs/errno_mapping.h): the one Status -> errno mapping at the FUSE boundary.
#include "fs/errno_mapping.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace partfs {
namespace {

TEST(FsErrnoMappingTest, EachCode) {
  EXPECT_EQ(ToErrno(Status::OK()), 0);
  EXPECT_EQ(ToErrno(Status::NotFound("x")), ENOENT);
  EXPECT_EQ(ToErrno(Status::AlreadyExists("x")), EEXIST);
  EXPECT_EQ(ToErrno(Status::InvalidArgument("x")), EINVAL);
  EXPECT_EQ(ToErrno(Status::PermissionDenied("x")), EACCES);
  EXPECT_EQ(ToErrno(Status::IOError("x")), EIO);
  EXPECT_EQ(ToErrno(Status::Unavailable("x")), EIO);
  EXPECT_EQ(ToErrno(Status::NoSpace("x")), ENOSPC);
  EXPECT_EQ(ToErrno(Status::TooLarge("x")), EFBIG);
  EXPECT_EQ(ToErrno(Status::Corruption("x")), EIO);
  EXPECT_EQ(ToErrno(Status::NotSupported("x")), ENOTSUP);
  EXPECT_EQ(ToErrno(Status::Busy("x")), EBUSY);
  EXPECT_EQ(ToErrno(Status::NotEmpty("x")), ENOTEMPTY);
  EXPECT_EQ(ToErrno(Status::CrossDevice("x")), EXDEV);
  EXPECT_EQ(ToErrno(Status::Superseded("x")), EIO);
  EXPECT_EQ(ToErrno(Status::NotPermitted("x")), EPERM);
  EXPECT_EQ(ToErrno(Status::NameTooLong("x")), ENAMETOOLONG);
  EXPECT_EQ(ToErrno(Status::NotADirectory("x")), ENOTDIR);
  EXPECT_EQ(ToErrno(Status::IsADirectory("x")), EISDIR);
}

// An operation cancelled by shutdown was not interrupted by a signal: a caller
// that restarts on EINTR would loop or silently retry; it gets EIO.
TEST(FsErrnoMappingTest, AbortedIsEioNotEintr) {
  EXPECT_EQ(ToErrno(Status::Aborted("write cache is shutting down")), EIO);
}

}  // namespace
}  // namespace partfs
