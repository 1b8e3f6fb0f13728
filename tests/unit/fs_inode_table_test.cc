// Unit tests for fs/inode_table.h and fs/file_metadata.h.
#include <sys/stat.h>

#include "fs/file_metadata.h"
#include "fs/inode_table.h"
#include "gtest/gtest.h"

namespace partfs {
namespace {

TEST(FsInodeTableTest, LookupAndForget) {
  InodeTable table;
  auto a = table.Lookup("a", false);
  EXPECT_NE(a->ino, InodeTable::kRootIno);
  EXPECT_EQ(table.Lookup("a", false)->ino, a->ino);  // second lookup, same inode
  EXPECT_EQ(table.Find("a"), a);
  table.Forget(a->ino, 1);
  EXPECT_TRUE(table.Get(a->ino).has_value());
  table.Forget(a->ino, 1);
  EXPECT_FALSE(table.Get(a->ino).has_value());
  EXPECT_EQ(table.Find("a"), nullptr);
  auto again = table.Lookup("a", false);
  EXPECT_NE(again->ino, a->ino) << "inode numbers are never reused";
  table.Forget(InodeTable::kRootIno, 100);
  EXPECT_TRUE(table.Get(InodeTable::kRootIno).has_value());
}

TEST(FsInodeTableTest, ForgetBeyondTheLookupCountIsReportedAndClamped) {
  InodeTable table;
  auto a = table.Lookup("a", false);
  table.Lookup("a", false);
  EXPECT_EQ(table.Forget(a->ino, 1), std::nullopt);
  EXPECT_EQ(table.Forget(a->ino, 3), std::optional<uint64_t>(1));
  EXPECT_FALSE(table.Get(a->ino).has_value()) << "clamped to zero and erased";
  EXPECT_EQ(table.Forget(a->ino, 1), std::nullopt) << "unknown inode";
  EXPECT_EQ(table.Forget(InodeTable::kRootIno, 5), std::nullopt);
}

TEST(FsInodeTableTest, UnlinkedOpenFileLivesUntilClosed) {
  InodeTable table;
  auto f = table.Lookup("dir/f", false);
  table.Opened(f->ino);
  table.Unlink("dir/f");
  EXPECT_EQ(table.Find("dir/f"), nullptr);
  table.Forget(f->ino, 1);
  auto ref = table.Get(f->ino);
  ASSERT_TRUE(ref.has_value()) << "still open";
  EXPECT_FALSE(ref->linked);
  EXPECT_EQ(ref->path, "dir/f");
  table.Closed(f->ino);
  EXPECT_FALSE(table.Get(f->ino).has_value());
}

TEST(FsInodeTableTest, RenameReplacesTarget) {
  InodeTable table;
  auto a = table.Lookup("a", false);
  auto b = table.Lookup("b", false);
  table.Rename("a", "b");
  EXPECT_EQ(table.Find("b"), a);
  EXPECT_EQ(table.Find("a"), nullptr);
  EXPECT_FALSE(table.Get(b->ino)->linked);
  EXPECT_EQ(table.Get(a->ino)->path, "b");
}

// A directory rename moves the whole subtree (not names that only share the
// prefix, like "d-x") and detaches the empty directory it replaces.
TEST(FsInodeTableTest, RenameTreeMovesEverythingBelow) {
  InodeTable table;
  auto d = table.Lookup("d", true);
  auto file = table.Lookup("d/sub/f", false);
  auto sibling = table.Lookup("d-x", false);
  auto replaced = table.Lookup("e", true);
  table.RenameTree("d", "e");
  EXPECT_EQ(table.Find("e"), d);
  EXPECT_EQ(table.Find("e/sub/f"), file);
  EXPECT_EQ(table.Get(file->ino)->path, "e/sub/f");
  EXPECT_EQ(table.Find("d"), nullptr);
  EXPECT_EQ(table.Find("d/sub/f"), nullptr);
  EXPECT_EQ(table.Find("d-x"), sibling);
  EXPECT_FALSE(table.Get(replaced->ino)->linked);
}

TEST(FsInodeTableTest, TypeChangeDetachesOldInode) {
  InodeTable table;
  auto file = table.Lookup("x", false);
  auto dir = table.Lookup("x", true);
  EXPECT_NE(file->ino, dir->ino);
  EXPECT_TRUE(dir->is_dir);
  EXPECT_FALSE(table.Get(file->ino)->linked);
}

TEST(FsInodeTableTest, Below) {
  InodeTable table;
  table.Lookup("d", true);
  table.Lookup("d/a", false);
  table.Lookup("d/sub", true);
  table.Lookup("d/sub/b", false);
  table.Lookup("d2", false);
  table.Lookup("d-x", false);
  auto direct = table.Below("d", true);
  ASSERT_EQ(direct.size(), 2u);
  EXPECT_EQ(direct[0].first, "d/a");
  EXPECT_EQ(direct[1].first, "d/sub");
  EXPECT_EQ(table.Below("d", false).size(), 3u);
  EXPECT_EQ(table.Below("", true).size(), 3u);  // d, d2, d-x
}

TEST(FsFileMetadataTest, RoundTripAndS3fsNames) {
  FileMetadata fields;
  fields.mode = S_IFREG | 0640;
  fields.uid = 1001;
  fields.gid = 1002;
  fields.mtime = 1700000000;
  UserMetadata metadata = {{"Mode", "1"}, {"other", "kept"}};
  StoreFileMetadata(fields, &metadata);
  EXPECT_EQ(metadata.count("Mode"), 0u) << "old spelling replaced";
  EXPECT_EQ(metadata["mode"], std::to_string(S_IFREG | 0640));
  EXPECT_EQ(metadata["uid"], "1001");
  EXPECT_EQ(metadata["mtime"], "1700000000");
  EXPECT_EQ(metadata["other"], "kept");
  FileMetadata parsed = ParseFileMetadata(metadata);
  EXPECT_EQ(*parsed.mode, S_IFREG | 0640u);
  EXPECT_EQ(*parsed.uid, 1001u);
  EXPECT_EQ(*parsed.gid, 1002u);
  EXPECT_EQ(*parsed.mtime, 1700000000);
}

TEST(FsFileMetadataTest, MalformedValuesIgnored) {
  FileMetadata parsed =
      ParseFileMetadata({{"MODE", "33188"}, {"uid", "abc"}, {"gid", "-1"}, {"mtime", "1.5"}});
  EXPECT_EQ(*parsed.mode, 33188u);
  EXPECT_FALSE(parsed.uid.has_value());
  EXPECT_FALSE(parsed.gid.has_value());
  EXPECT_EQ(*parsed.mtime, 1);
}

}  // namespace
}  // namespace partfs
