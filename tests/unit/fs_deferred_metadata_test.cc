// Honest mode: chmod/utimens of a closed file are journaled and copied later
// (fs/deferred_metadata.h), merged into a following rename's copy, applied by
// fsync, unmount or the next mount, and never over a newer version.
#include <fcntl.h>

#include <chrono>
#include <thread>

#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

using Op = testing::FakeObjectStore::Op;
constexpr uint64_t kRoot = InodeTable::kRootIno;
constexpr int64_t kRsyncMtime = 1'500'000'000;

class FsDeferredMetadataTest : public testing::FsFixture {
 protected:
  FsDeferredMetadataTest() : FsFixture("fs-deferred-metadata-unit") {}

  uint64_t WriteFile(const std::string& name, const std::string& data) {
    auto created = CreateAndWrite(kRoot, name, data);
    if (!created) return 0;
    Close(created->fh);
    return created->attr.st_ino;
  }
  Result<struct stat> Chmod(uint64_t ino, mode_t mode) {
    SetAttrRequest request;
    request.mode = mode;
    return fs_->SetAttr(ino, request);
  }
  Result<struct stat> Utimens(uint64_t ino, int64_t mtime) {
    SetAttrRequest request;
    request.mtime = mtime;
    return fs_->SetAttr(ino, request);
  }
  std::string ServerMode(const std::string& key) {
    auto metadata = store_.ObjectMetadata(key);
    return metadata && metadata->count("mode") ? metadata->at("mode") : "";
  }
  size_t Pending() { return cache_->ListPendingMetadata()->size(); }
};

const std::string kMode0755 = std::to_string(S_IFREG | 0755);

TEST_F(FsDeferredMetadataTest, ChangesMergeIntoOneRecordAndTheRenameCopy) {
  uint64_t ino = WriteFile("f", "data");
  const int copies = store_.Calls(Op::kCopyObject), heads = store_.Calls(Op::kHeadObject);
  auto chmod = Chmod(ino, 0755);
  ASSERT_TRUE(chmod.ok()) << chmod.status().ToString();
  EXPECT_EQ(chmod->st_mode, S_IFREG | 0755u);
  auto touched = Utimens(ino, kRsyncMtime);
  ASSERT_TRUE(touched.ok());
  // Known from the upload: no HEAD, no copy; stat shows both changes at once.
  EXPECT_EQ(store_.Calls(Op::kCopyObject), copies);
  EXPECT_EQ(store_.Calls(Op::kHeadObject), heads);
  auto attr = fs_->GetAttr(ino);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->st_mode, S_IFREG | 0755u);
  EXPECT_EQ(attr->st_mtim.tv_sec, kRsyncMtime);
  // One journal record holds both.
  auto records = cache_->ListPendingMetadata();
  ASSERT_EQ(records->size(), 1u);
  EXPECT_EQ(records->front().metadata.at("mode"), kMode0755);
  EXPECT_EQ(records->front().metadata.at("mtime"), std::to_string(kRsyncMtime));
  EXPECT_NE(ServerMode("pre/f"), kMode0755);
  // rsync's rename of its temp file: the copy carries the change.
  ASSERT_TRUE(fs_->Rename(kRoot, "f", kRoot, "g", RenameFlags{}).ok());
  EXPECT_EQ(store_.Calls(Op::kCopyObject), copies + 1);
  EXPECT_EQ(ServerMode("pre/g"), kMode0755);
  EXPECT_EQ(store_.ObjectMetadata("pre/g")->at("mtime"), std::to_string(kRsyncMtime));
  EXPECT_FALSE(store_.ObjectData("pre/f").has_value());
  EXPECT_EQ(Pending(), 0u);
  fs_->Shutdown();
  EXPECT_EQ(store_.Calls(Op::kCopyObject), copies + 1);  // nothing left to apply
}

TEST_F(FsDeferredMetadataTest, AppliedByTheTimerFsyncAndUnmount) {
  uint64_t timed = WriteFile("timed", "1");
  uint64_t synced = WriteFile("synced", "2");
  uint64_t left = WriteFile("left", "3");
  ASSERT_TRUE(Chmod(timed, 0755).ok());
  ASSERT_TRUE(Chmod(synced, 0755).ok());
  ASSERT_TRUE(Chmod(left, 0755).ok());
  auto fh = fs_->Open(synced, O_RDONLY, kWriter);
  ASSERT_TRUE(fh.ok());
  ASSERT_TRUE(fs_->Fsync(*fh).ok());
  EXPECT_EQ(ServerMode("pre/synced"), kMode0755);  // fsync: at once
  ASSERT_TRUE(fs_->Release(*fh).ok());
  // The timer: about a second after the last change.
  for (int i = 0; i < 100 && (ServerMode("pre/timed") != kMode0755 || Pending() > 2); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ServerMode("pre/timed"), kMode0755);
  ASSERT_TRUE(Chmod(left, 0700).ok());
  fs_->Shutdown();  // unmount: whatever is left
  EXPECT_EQ(ServerMode("pre/left"), std::to_string(S_IFREG | 0700));
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(FsDeferredMetadataTest, TheNextMountAppliesAChangeACrashLeft) {
  uint64_t ino = WriteFile("f", "data");
  ASSERT_TRUE(Chmod(ino, 0755).ok());
  Unmount();  // as after kill -9: no Shutdown, the record is in the journal
  EXPECT_NE(ServerMode("pre/f"), kMode0755);
  Mount();
  for (int i = 0; i < 100 && (ServerMode("pre/f") != kMode0755 || Pending() != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ServerMode("pre/f"), kMode0755);
  EXPECT_EQ(Pending(), 0u);
}

// A write-back mount makes no deferred changes but applies an honest mount's.
TEST_F(FsDeferredMetadataTest, AWriteBackMountAppliesAChangeAnHonestMountLeft) {
  uint64_t ino = WriteFile("f", "data");
  ASSERT_TRUE(Chmod(ino, 0755).ok());
  Unmount();
  fs_options_.writeback_delay = std::chrono::milliseconds(10);
  Mount();
  for (int i = 0; i < 100 && (ServerMode("pre/f") != kMode0755 || Pending() != 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(ServerMode("pre/f"), kMode0755);
  EXPECT_EQ(Pending(), 0u);
  // Its own chmod of a closed file is one copy at once, nothing journaled.
  auto looked_up = fs_->Lookup(kRoot, "f");
  ASSERT_TRUE(looked_up.ok());
  ASSERT_TRUE(Chmod(looked_up->st_ino, 0700).ok());
  EXPECT_EQ(ServerMode("pre/f"), std::to_string(S_IFREG | 0700));
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(FsDeferredMetadataTest, ANewerVersionWinsAndCarriesTheChange) {
  uint64_t ino = WriteFile("f", "old");
  ASSERT_TRUE(Chmod(ino, 0755).ok());
  auto fh = fs_->Open(ino, O_WRONLY | O_TRUNC, kWriter);
  ASSERT_TRUE(fh.ok());
  ASSERT_TRUE(fs_->Write(*fh, 0, "newer", 5, kWriter).ok());
  Close(*fh);
  EXPECT_EQ(store_.ObjectData("pre/f"), "newer");
  EXPECT_EQ(ServerMode("pre/f"), kMode0755);  // the new version started from the change
  EXPECT_EQ(Pending(), 0u);
  // Another client's newer version: the stale change is dropped, not applied.
  ASSERT_TRUE(Chmod(ino, 0700).ok());
  UserMetadata theirs = {{"mode", kMode0755}};
  ASSERT_TRUE(store_.PutObjectFromString("pre/f", "theirs", theirs).ok());
  fs_->Shutdown();
  EXPECT_EQ(store_.ObjectData("pre/f"), "theirs");
  EXPECT_EQ(ServerMode("pre/f"), kMode0755);
  EXPECT_EQ(Pending(), 0u);
}

TEST_F(FsDeferredMetadataTest, UnlinkDropsTheChangeAndNothingComesBack) {
  uint64_t ino = WriteFile("f", "data");
  ASSERT_TRUE(Chmod(ino, 0755).ok());
  ASSERT_TRUE(fs_->Unlink(kRoot, "f").ok());
  EXPECT_EQ(Pending(), 0u);
  fs_->Shutdown();
  Unmount();
  Mount();
  EXPECT_FALSE(store_.ObjectData("pre/f").has_value());
}

TEST_F(FsDeferredMetadataTest, ADirectoryRenameAppliesTheChangesBelowFirst) {
  ASSERT_TRUE(fs_->Mkdir(kRoot, "d", 0755, kWriter).ok());
  auto dir = fs_->Lookup(kRoot, "d");
  ASSERT_TRUE(dir.ok());
  auto created = CreateAndWrite(dir->st_ino, "f", "data");
  ASSERT_TRUE(created);
  Close(created->fh);
  ASSERT_TRUE(Chmod(created->attr.st_ino, 0755).ok());
  ASSERT_TRUE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());
  EXPECT_EQ(ServerMode("pre/e/f"), kMode0755);
  EXPECT_EQ(Pending(), 0u);
}

}  // namespace
}  // namespace partfs
