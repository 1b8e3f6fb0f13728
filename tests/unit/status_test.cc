#include "base/status.h"

#include <cerrno>

#include <gtest/gtest.h>

namespace partfs {
namespace {

TEST(StatusTest, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, RemoteErrorCarriesCodeAndHttpStatus) {
  Status s = Status::Remote(Status::Code::kNotFound, 404, "NoSuchUpload", "upload is gone");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.http_status(), 404);
  EXPECT_EQ(s.remote_code(), "NoSuchUpload");
  EXPECT_EQ(s.ToString(), "NotFound: upload is gone (NoSuchUpload, HTTP 404)");
}

TEST(StatusTest, FromErrnoMapsNoSpace) {
  Status s = Status::FromErrno(ENOSPC, "write part-1");
  EXPECT_EQ(s.code(), Status::Code::kNoSpace);
  EXPECT_NE(s.message().find("write part-1"), std::string::npos);
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<int> bad(Status::IOError("boom"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Status::Code::kIOError);
}

}  // namespace
}  // namespace partfs
