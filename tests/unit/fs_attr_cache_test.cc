// AttrCache: entries expire after the TTL, a complete listing answers missing
// names, and this mount's changes keep a cached listing right.
#include "fs/attr_cache.h"

#include <gtest/gtest.h>

#include "tests/support/fake_clock.h"

namespace partfs::testing {
namespace {

using Kind = AttrCache::Entry::Kind;

ObjectInfo Info(uint64_t size) {
  ObjectInfo info;
  info.size = size;
  info.etag = "e" + std::to_string(size);
  return info;
}

TEST(AttrCacheTest, FileDirAndMissingEntriesExpireAfterTheTtl) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(10), &clock);
  cache.PutFile("a/f", Info(7));
  cache.PutDir("a/d");
  cache.PutMissing("a/gone");
  ASSERT_TRUE(cache.Get("a/f"));
  EXPECT_EQ(cache.Get("a/f")->kind, Kind::kFile);
  EXPECT_EQ(cache.Get("a/f")->info->size, 7u);
  EXPECT_EQ(cache.Get("a/d")->kind, Kind::kDir);
  EXPECT_EQ(cache.Get("a/gone")->kind, Kind::kMissing);
  EXPECT_FALSE(cache.Get("a/other"));  // never seen: ask the server
  clock.Advance(std::chrono::seconds(11));
  EXPECT_FALSE(cache.Get("a/f"));
  EXPECT_FALSE(cache.Get("a/d"));
  EXPECT_FALSE(cache.Get("a/gone"));
}

TEST(AttrCacheTest, ACompleteListingAnswersNamesItLacks) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(10), &clock);
  cache.PutListing("dir", {"x"}, {"sub"});
  EXPECT_EQ(cache.Get("dir/nope")->kind, Kind::kMissing);
  EXPECT_EQ(cache.Get("dir/sub")->kind, Kind::kDir);
  EXPECT_EQ(cache.Get("dir/x")->kind, Kind::kFile);  // listed: its metadata needs a HEAD
  EXPECT_FALSE(cache.Get("dir/x")->info);
  EXPECT_FALSE(cache.Get("dir/sub/deep"));  // another directory's listing
  EXPECT_FALSE(cache.Get("other/nope"));
  clock.Advance(std::chrono::seconds(11));
  EXPECT_FALSE(cache.Get("dir/nope"));
}

TEST(AttrCacheTest, ChangesOfThisMountKeepTheListingRight) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(10), &clock);
  cache.PutListing("", {"a"}, {});
  cache.Forget("b");  // created: a file now, attributes unknown
  EXPECT_EQ(cache.Get("b")->kind, Kind::kFile);
  EXPECT_FALSE(cache.Get("b")->info);
  cache.Forget("a", /*gone=*/true);
  EXPECT_EQ(cache.Get("a")->kind, Kind::kMissing);
  cache.PutDir("d");
  EXPECT_EQ(cache.Get("d")->kind, Kind::kDir);
  cache.PutFile("a", Info(1));
  EXPECT_EQ(cache.Get("a")->kind, Kind::kFile);
}

TEST(AttrCacheTest, ForgetTreeDropsEverythingBelowAndTheParentListing) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(10), &clock);
  cache.PutListing("", {}, {"d"});
  cache.PutListing("d", {"f"}, {"s"});
  cache.PutFile("d/f", Info(1));
  cache.PutMissing("d/s/x");
  cache.PutFile("dd", Info(2));  // a sibling with the same leading letters stays
  cache.ForgetTree("d");
  EXPECT_FALSE(cache.Get("d"));
  EXPECT_FALSE(cache.Get("d/f"));
  EXPECT_FALSE(cache.Get("d/s/x"));
  EXPECT_FALSE(cache.Get("d/nope"));
  EXPECT_FALSE(cache.Get("nope"));  // the root's listing went too
  EXPECT_EQ(cache.Get("dd")->kind, Kind::kFile);
}

TEST(AttrCacheTest, MissingFromTheServerLastsOneSecondMissingFromThisMountTheTtl) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(10), &clock);
  cache.PutMissing("asked");          // a 404
  cache.PutMissing("removed", true);  // this mount's unlink
  cache.PutListing("listed", {"f"}, {});
  cache.PutListing("made", {}, {}, true);  // this mount's mkdir
  clock.Advance(std::chrono::milliseconds(1500));
  EXPECT_FALSE(cache.Get("asked"));
  EXPECT_FALSE(cache.Get("listed/other"));
  EXPECT_EQ(cache.Get("removed")->kind, Kind::kMissing);
  EXPECT_EQ(cache.Get("made/x")->kind, Kind::kMissing);
  EXPECT_TRUE(cache.Get("made/x")->in_new_dir);
  EXPECT_FALSE(cache.Get("removed")->in_new_dir);
  EXPECT_TRUE(cache.HasListing("listed"));  // its files still answer for the TTL
}

TEST(AttrCacheTest, ZeroTtlCachesNothing) {
  FakeClock clock;
  AttrCache cache(std::chrono::seconds(0), &clock);
  cache.PutFile("f", Info(1));
  cache.PutListing("", {}, {});
  EXPECT_FALSE(cache.Get("f"));
  EXPECT_FALSE(cache.Get("g"));
}

}  // namespace
}  // namespace partfs::testing
