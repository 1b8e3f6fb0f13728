#include "transfer/uri_encoding.h"

#include <gtest/gtest.h>

namespace partfs {
namespace {

TEST(TransferUriEncodingTest, UnreservedKept) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
}

TEST(TransferUriEncodingTest, SpecialCharacters) {
  EXPECT_EQ(EncodeKeyPath("a b"), "a%20b");
  EXPECT_EQ(EncodeKeyPath("a+b"), "a%2Bb");
  EXPECT_EQ(EncodeKeyPath("100%"), "100%25");
  EXPECT_EQ(EncodeKeyPath("x#y"), "x%23y");
  EXPECT_EQ(EncodeKeyPath("x?y"), "x%3Fy");
  EXPECT_EQ(EncodeKeyPath("a=b&c"), "a%3Db%26c");
}

TEST(TransferUriEncodingTest, UnicodeIsUtf8BytesUpperHex) {
  EXPECT_EQ(EncodeKeyPath("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(EncodeKeyPath("caf\xc3\xa9"), "caf%C3%A9");
}

TEST(TransferUriEncodingTest, SlashKeptInPathsOnly) {
  EXPECT_EQ(EncodeKeyPath("dir/sub/file"), "dir/sub/file");
  EXPECT_EQ(UriEncode("dir/file", false), "dir%2Ffile");
}

TEST(TransferUriEncodingTest, NoNormalization) {
  EXPECT_EQ(EncodeKeyPath("a//b/./c/../d"), "a//b/./c/../d");
}

TEST(TransferUriEncodingTest, DecodeRoundTrip) {
  const std::string key = "dir/odd key+&=%#?\xe1\x88\xb4.txt";
  EXPECT_EQ(UriDecode(EncodeKeyPath(key)), key);
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_EQ(UriDecode("a+b%2B", true), "a b+");
  EXPECT_EQ(UriDecode("bad%zz%4"), "bad%zz%4");
}

}  // namespace
}  // namespace partfs
