// Directory rename (Filesystem::Rename of a directory) over a FakeObjectStore
// and a real WriteCache: every key below moved, rename(2)'s errors, writers
// below retargeted, and the roll-forward at the next mount after a crash at
// each step (the journal record outlives a failed attempt).
#include <fcntl.h>

#include <set>

#include "fs/filesystem.h"
#include "gtest/gtest.h"
#include "tests/support/read_object.h"
#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

using Op = testing::FakeObjectStore::Op;
constexpr uint64_t kRoot = InodeTable::kRootIno;

class FsRenameDirTest : public testing::FsFixture {
 protected:
  // Each Mount() (a second one after Unmount() is the next mount) runs the
  // cache's recovery, which rolls journaled renames forward before it serves.
  FsRenameDirTest() : FsFixture("fs-rename-dir") { recover_at_mount_ = true; }

  uint64_t Mkdir(uint64_t parent, const std::string& name) {
    auto dir = fs_->Mkdir(parent, name, 0755, RequestContext{});
    EXPECT_TRUE(dir.ok()) << dir.status().ToString();
    return dir.ok() ? dir->st_ino : 0;
  }

  // Creates, writes, closes; leaves it open (returns the handle) when `keep_open`.
  uint64_t WriteFile(uint64_t parent, const std::string& name, const std::string& data,
                     bool keep_open = false) {
    auto created = CreateAndWrite(parent, name, data);
    if (!created) return 0;
    if (keep_open) return created->fh;
    Close(created->fh);
    return 0;
  }

  std::set<std::string> Keys(const std::string& prefix) {
    auto page = store_.ListObjects(prefix, "", "", 0);
    EXPECT_TRUE(page.ok());
    std::set<std::string> keys;
    if (page.ok()) {
      for (const auto& object : page->objects) keys.insert(object.key);
    }
    return keys;
  }

  // d/ (marker), d/a, d/sub/ (marker), d/sub/b, d/sub/deep/c.
  void MakeTree() {
    const uint64_t d = Mkdir(kRoot, "d");
    WriteFile(d, "a", "alpha");
    const uint64_t sub = Mkdir(d, "sub");
    WriteFile(sub, "b", "beta");
    const uint64_t deep = Mkdir(sub, "deep");
    WriteFile(deep, "c", "gamma");
  }
  void ExpectTreeMovedTo(const std::string& dir) {
    const std::string p = "pre/" + dir + "/";
    EXPECT_EQ(Keys(p), (std::set<std::string>{p, p + "a", p + "sub/", p + "sub/b", p + "sub/deep/",
                                              p + "sub/deep/c"}));
    EXPECT_TRUE(Keys("pre/d/").empty());
    EXPECT_EQ(ReadObjectOrError(store_, p + "a"), "alpha");
    EXPECT_EQ(ReadObjectOrError(store_, p + "sub/deep/c"), "gamma");
    EXPECT_TRUE(cache_->journal().ListRenames()->empty());
  }
};

TEST_F(FsRenameDirTest, MovesEveryKeyBelowTheDirectory) {
  MakeTree();
  Status renamed = fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{});
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();
  ExpectTreeMovedTo("e");
  // The mount sees the new names (the inode table followed).
  auto e = fs_->Lookup(kRoot, "e");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_TRUE(S_ISDIR(e->st_mode));
  auto sub = fs_->Lookup(e->st_ino, "sub");
  ASSERT_TRUE(sub.ok()) << sub.status().ToString();
  EXPECT_TRUE(fs_->Lookup(sub->st_ino, "b").ok());
  EXPECT_EQ(fs_->Lookup(kRoot, "d").status().code(), Status::Code::kNotFound);
  // One DeleteObjects for all six keys, one copy each.
  EXPECT_EQ(store_.Calls(Op::kCopyObject), 6);
}

TEST_F(FsRenameDirTest, ErrorsAsRenameTwo) {
  MakeTree();
  const uint64_t full = Mkdir(kRoot, "full");
  WriteFile(full, "x", "x");
  WriteFile(kRoot, "file", "f");
  Mkdir(kRoot, "empty");
  // borg's lock: onto a non-empty directory is ENOTEMPTY, the source stays.
  EXPECT_EQ(fs_->Rename(kRoot, "d", kRoot, "full", RenameFlags{}).code(), Status::Code::kNotEmpty);
  EXPECT_EQ(fs_->Rename(kRoot, "d", kRoot, "file", RenameFlags{}).code(),
            Status::Code::kNotADirectory);
  EXPECT_EQ(fs_->Rename(kRoot, "file", kRoot, "full", RenameFlags{}).code(),
            Status::Code::kIsADirectory);
  auto d = fs_->Lookup(kRoot, "d");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(fs_->Rename(kRoot, "d", d->st_ino, "inside", RenameFlags{}).code(),
            Status::Code::kInvalidArgument);
  EXPECT_EQ(fs_->Rename(kRoot, "d", kRoot, "empty", RenameFlags{.no_replace = true}).code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(fs_->Rename(kRoot, "nothing", kRoot, "x", RenameFlags{}).code(),
            Status::Code::kNotFound);
  EXPECT_EQ(Keys("pre/d/").size(), 6u);
  EXPECT_EQ(store_.Calls(Op::kCopyObject), 0);
  // Onto an empty directory: replaces it.
  Status replaced = fs_->Rename(kRoot, "d", kRoot, "empty", RenameFlags{});
  ASSERT_TRUE(replaced.ok()) << replaced.ToString();
  ExpectTreeMovedTo("empty");
}

TEST_F(FsRenameDirTest, FileBeingWrittenBelowFollowsTheDirectory) {
  const uint64_t d = Mkdir(kRoot, "d");
  WriteFile(d, "old", "old");
  const uint64_t fh = WriteFile(d, "open", "written while renamed", /*keep_open=*/true);
  ASSERT_NE(fh, 0u);
  Status renamed = fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{});
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();
  RequestContext ctx{1, 2, 100};
  const std::string more = " and after";
  ASSERT_TRUE(fs_->Write(fh, 21, more.data(), more.size(), ctx).ok());
  ASSERT_TRUE(fs_->Flush(fh, ctx).ok());
  ASSERT_TRUE(fs_->Release(fh).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/open"), "written while renamed and after");
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/old"), "old");
  EXPECT_TRUE(Keys("pre/d/").empty());
}

// A file below whose multipart upload runs cannot change its key: it is
// completed first (a checkpoint), moved as an object, and its next write
// through the still-open handle changes it in place at the new name.
TEST_F(FsRenameDirTest, WriterWithAMultipartUploadIsCheckpointedAndMoves) {
  const uint64_t d = Mkdir(kRoot, "d");
  WriteFile(d, "small", "s");
  std::string big(6 << 20, 'b');  // past the 5 MiB part: the upload starts
  const uint64_t fh = WriteFile(d, "big", big, /*keep_open=*/true);
  ASSERT_NE(fh, 0u);
  ASSERT_TRUE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/big"), big);
  EXPECT_FALSE(ReadObject(store_, "pre/d/big").ok());
  RequestContext ctx{1, 2, 100};
  ASSERT_TRUE(fs_->Write(fh, big.size(), "tail", 4, ctx).ok());
  big += "tail";
  ASSERT_TRUE(fs_->Flush(fh, ctx).ok());
  ASSERT_TRUE(fs_->Release(fh).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/big"), big);
  EXPECT_FALSE(ReadObject(store_, "pre/d/big").ok());
}

// A crash right after the journal step (before any copy): the next mount moves it all.
TEST_F(FsRenameDirTest, CrashAfterTheJournalStepIsRolledForward) {
  MakeTree();
  ASSERT_TRUE(cache_->BeginPrefixRename("pre/d/", "pre/e/").ok());
  Unmount();
  Mount();
  ExpectTreeMovedTo("e");
}

// A crash among the copies: only the missing ones are copied at the next mount.
TEST_F(FsRenameDirTest, CrashAmongTheCopiesIsRolledForward) {
  MakeTree();
  store_.FailOperation(Op::kCopyObject, Status::Unavailable("injected"), 2);
  EXPECT_FALSE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  EXPECT_EQ(Keys("pre/e/").size(), 4u);
  EXPECT_EQ(Keys("pre/d/").size(), 6u);
  Unmount();
  const int copies = store_.Calls(Op::kCopyObject);
  Mount();
  ExpectTreeMovedTo("e");
  EXPECT_EQ(store_.Calls(Op::kCopyObject) - copies, 2);
}

// A crash after the copies and the commit, before (or among) the deletes.
TEST_F(FsRenameDirTest, CrashBeforeTheDeletesIsRolledForward) {
  MakeTree();
  store_.FailOperation(Op::kDeleteObject, Status::Unavailable("injected"), 1);
  EXPECT_FALSE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  EXPECT_EQ(Keys("pre/d/").size(), 6u);
  Unmount();
  const int copies = store_.Calls(Op::kCopyObject);
  Mount();
  ExpectTreeMovedTo("e");
  EXPECT_EQ(store_.Calls(Op::kCopyObject), copies) << "everything was copied already";
}

// A writer rekeyed to the new name completes there before the crash: the
// roll-forward must not copy the old version over it (it copies only what is
// missing at the new name).
TEST_F(FsRenameDirTest, RollForwardKeepsAFileCompletedAtTheNewName) {
  const uint64_t d = Mkdir(kRoot, "d");
  WriteFile(d, "f", "old version");
  const uint64_t fh = WriteFile(d, "f", "new version", /*keep_open=*/true);
  ASSERT_NE(fh, 0u);
  store_.FailOperation(Op::kDeleteObject, Status::Unavailable("injected"), 1);
  EXPECT_FALSE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  RequestContext ctx{1, 2, 100};
  ASSERT_TRUE(fs_->Flush(fh, ctx).ok());
  ASSERT_TRUE(fs_->Release(fh).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/f"), "new version");
  Unmount();
  Mount();
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/f"), "new version");
  EXPECT_TRUE(Keys("pre/d/").empty());
  EXPECT_TRUE(cache_->journal().ListRenames()->empty());
}

// A file whose upload failed (kept in the cache for a retry) is below the
// directory: its journal record follows, so the retry lands at the new name.
TEST_F(FsRenameDirTest, PendingRecordBelowFollowsTheDirectory) {
  const uint64_t d = Mkdir(kRoot, "d");
  store_.FailOperation(Op::kPutObject, Status::Unavailable("injected"));
  RequestContext ctx{1, 2, 100};
  auto created = fs_->Create(d, "f", 0644, O_WRONLY | O_CREAT, ctx);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(fs_->Write(created->fh, 0, "pending", 7, ctx).ok());
  EXPECT_FALSE(fs_->Flush(created->fh, ctx).ok());
  EXPECT_TRUE(fs_->Release(created->fh).ok());
  ASSERT_TRUE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  auto files = cache_->journal().ListFiles();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_EQ(files->front().key, "pre/e/f");
  store_.ClearFaults();
  Unmount();
  Mount();
  EXPECT_EQ(ReadObjectOrError(store_, "pre/e/f"), "pending");
  EXPECT_FALSE(store_.ObjectData("pre/d/f").has_value());
}

}  // namespace
}  // namespace partfs
