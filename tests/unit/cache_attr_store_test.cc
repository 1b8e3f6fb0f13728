// AttrStore: metadata remembered with an ETag and size is found again (also
// after reopening), and only while both still match.
#include "cache/attr_store.h"

#include <gtest/gtest.h>

#include "base/logger.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

TEST(AttrStoreTest, FindsMetadataOnlyAtTheSameEtagAndSizeAlsoAfterReopening) {
  TempDir dir("attr-store");
  Logger logger(2, LogLevel::kError);
  UserMetadata metadata{{"mode", "33188"}, {"mtime", "1000000000"}, {"uid", "1000"}};
  {
    auto store = AttrStore::Open(dir.Sub("attrs"), &logger);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    (*store)->Put("a/b", "etag1", 42, metadata);
    (*store)->Put("a/c", "", 7, metadata);  // no ETag: nothing to validate against, not kept
    auto found = (*store)->Find("a/b", "etag1", 42);
    ASSERT_TRUE(found);
    EXPECT_EQ(*found, metadata);
  }
  auto store = AttrStore::Open(dir.Sub("attrs"), &logger);
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE((*store)->Find("a/b", "etag1", 42));
  EXPECT_FALSE((*store)->Find("a/b", "etag2", 42)) << "another version of the object";
  EXPECT_FALSE((*store)->Find("a/b", "etag1", 43));
  EXPECT_FALSE((*store)->Find("a/c", "", 7));
  EXPECT_FALSE((*store)->Find("zzz", "etag1", 42));
  (*store)->Erase("a/b");
  EXPECT_FALSE((*store)->Find("a/b", "etag1", 42));
}

}  // namespace
}  // namespace partfs::testing
