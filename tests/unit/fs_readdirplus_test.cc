// readdirplus and lookups that walk a listed directory: attributes come from
// the cache or one parallel batch of HEADs, never one HEAD round trip per name.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fs/filesystem.h"
#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

constexpr uint64_t kRoot = InodeTable::kRootIno;
using Op = testing::FakeObjectStore::Op;

class FsReadDirPlusTest : public testing::FsFixture {
 protected:
  FsReadDirPlusTest() : FsFixture("fs-rdplus") {}

  // `count` objects d/f000.. with mode 0640 in their metadata, written by
  // another client; returns the directory's inode.
  uint64_t ForeignDirectory(int count) {
    for (int i = 0; i < count; ++i) {
      char key[32];
      std::snprintf(key, sizeof(key), "pre/d/f%03d", i);
      UserMetadata metadata;
      metadata["mode"] = std::to_string(S_IFREG | 0640);
      EXPECT_TRUE(store_.PutObjectFromString(key, std::string(i + 1, 'x'), metadata).ok());
    }
    auto dir = fs_->Lookup(kRoot, "d");
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    return dir.ok() ? dir->st_ino : 0;
  }
};

TEST_F(FsReadDirPlusTest, FillsEveryEntryWithOneHeadPerUnknownFile) {
  const uint64_t dir = ForeignDirectory(40);
  auto dh = fs_->OpenDir(dir);
  ASSERT_TRUE(dh.ok()) << dh.status().ToString();
  const int heads_before = store_.Calls(Op::kHeadObject);
  auto attrs = fs_->ReadDirPlus(*dh, dir, 0, 100);
  ASSERT_TRUE(attrs.ok()) << attrs.status().ToString();
  ASSERT_EQ(attrs->size(), 42u);  // ".", "..", 40 files
  EXPECT_FALSE((*attrs)[0]) << "\".\" carries no attributes";
  EXPECT_FALSE((*attrs)[1]);
  for (size_t i = 2; i < attrs->size(); ++i) {
    ASSERT_TRUE((*attrs)[i]) << i;
    EXPECT_EQ((*attrs)[i]->st_mode, S_IFREG | 0640) << i;
    EXPECT_EQ((*attrs)[i]->st_size, static_cast<off_t>(i - 1)) << i;
  }
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads_before, 40);
  // Each entry counted one lookup: the inode is the one a lookup gives, and
  // the lookups that follow (the kernel's own, after the entry expired) are
  // answered from the cache.
  auto again = fs_->Lookup(dir, "f007");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->st_ino, (*attrs)[9]->st_ino);
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads_before, 40);
  fs_->Forget((*attrs)[9]->st_ino, 2);  // would assert if readdirplus had not counted
  fs_->ReleaseDir(*dh);
}

TEST_F(FsReadDirPlusTest, ASecondCallNeedsNoRequest) {
  const uint64_t dir = ForeignDirectory(10);
  auto dh = fs_->OpenDir(dir);
  ASSERT_TRUE(dh.ok());
  ASSERT_TRUE(fs_->ReadDirPlus(*dh, dir, 0, 100).ok());
  const int heads = store_.Calls(Op::kHeadObject);
  auto attrs = fs_->ReadDirPlus(*dh, dir, 2, 5);
  ASSERT_TRUE(attrs.ok());
  EXPECT_EQ(attrs->size(), 5u);
  EXPECT_EQ(store_.Calls(Op::kHeadObject), heads);
  fs_->ReleaseDir(*dh);
}

TEST_F(FsReadDirPlusTest, AFileDeletedSinceTheListingGetsNoAttributes) {
  const uint64_t dir = ForeignDirectory(3);
  auto dh = fs_->OpenDir(dir);
  ASSERT_TRUE(dh.ok());
  ASSERT_TRUE(store_.DeleteObject("pre/d/f001").ok());
  auto attrs = fs_->ReadDirPlus(*dh, dir, 2, 3);
  ASSERT_TRUE(attrs.ok());
  ASSERT_EQ(attrs->size(), 3u);
  EXPECT_TRUE((*attrs)[0]);
  EXPECT_FALSE((*attrs)[1]) << "the kernel looks it up (and gets ENOENT)";
  EXPECT_TRUE((*attrs)[2]);
  EXPECT_TRUE(fs_->Lookup(dir, "f001").status().IsNotFound());
  fs_->ReleaseDir(*dh);
}

TEST_F(FsReadDirPlusTest, ALoneLookupInAListedDirectorySendsOneHead) {
  const uint64_t dir = ForeignDirectory(50);
  auto dh = fs_->OpenDir(dir);
  ASSERT_TRUE(dh.ok());
  fs_->ReleaseDir(*dh);
  const int heads = store_.Calls(Op::kHeadObject);
  auto file = fs_->Lookup(dir, "f010");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->st_mode, S_IFREG | 0640);
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 1);
}

TEST_F(FsReadDirPlusTest, LookupsWalkingADirectoryHeadTheNextNamesTogether) {
  const uint64_t dir = ForeignDirectory(50);
  auto dh = fs_->OpenDir(dir);
  ASSERT_TRUE(dh.ok());
  fs_->ReleaseDir(*dh);
  const int heads = store_.Calls(Op::kHeadObject);
  ASSERT_TRUE(fs_->Lookup(dir, "f000").ok());
  ASSERT_TRUE(fs_->Lookup(dir, "f001").ok());  // a walk: f002..f032 come along
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 2 + 31);
  for (int i = 2; i < 33; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "f%03d", i);
    auto file = fs_->Lookup(dir, name);
    ASSERT_TRUE(file.ok()) << name;
    EXPECT_EQ(file->st_mode, S_IFREG | 0640) << name;
    EXPECT_EQ(file->st_size, i + 1) << name;
  }
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 33);
  // Other clients' files change their metadata within stat_ttl only; nothing
  // is HEADed twice.
  for (int i = 33; i < 50; ++i) {
    char name[16];
    std::snprintf(name, sizeof(name), "f%03d", i);
    ASSERT_TRUE(fs_->Lookup(dir, name).ok()) << name;
  }
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 50);
}

class FsListingAttrsTest : public FsReadDirPlusTest {
 protected:
  FsListingAttrsTest() { fs_options_.listing_attrs = true; }
};

TEST_F(FsListingAttrsTest, FilesTakeTheListingsAttributesWithoutAHead) {
  ASSERT_TRUE(store_.PutObjectFromString("pre/d/big", std::string(5000, 'b'), {}).ok());
  ASSERT_TRUE(store_.PutObjectFromString("pre/d/empty", "", {}).ok());
  ASSERT_TRUE(store_.PutObjectFromString("pre/d/small", "maybe-a-link", {}).ok());
  auto dir = fs_->Lookup(kRoot, "d");
  ASSERT_TRUE(dir.ok());
  auto dh = fs_->OpenDir(dir->st_ino);
  ASSERT_TRUE(dh.ok());
  const int heads = store_.Calls(Op::kHeadObject);
  auto attrs = fs_->ReadDirPlus(*dh, dir->st_ino, 2, 3);  // big, empty, small
  ASSERT_TRUE(attrs.ok());
  ASSERT_EQ(attrs->size(), 3u);
  ASSERT_TRUE((*attrs)[0] && (*attrs)[1] && (*attrs)[2]);
  EXPECT_EQ((*attrs)[0]->st_size, 5000);
  EXPECT_TRUE(S_ISREG((*attrs)[0]->st_mode));
  EXPECT_EQ((*attrs)[1]->st_size, 0);
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 1) << "only the possible symlink is HEADed";
  fs_->ReleaseDir(*dh);
}

}  // namespace
}  // namespace partfs
