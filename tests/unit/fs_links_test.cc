// Unit tests of fs/filesystem_links.cc (symlink, readlink, link, access,
// fallocate) and of O_EXCL create: the Filesystem over a FakeObjectStore and a
// real WriteCache in a temporary directory.
#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <map>
#include <string>

#include "fs/file_metadata.h"
#include "fs/filesystem.h"
#include "gtest/gtest.h"
#include "tests/support/read_object.h"
#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

using Op = testing::FakeObjectStore::Op;
using Code = Status::Code;

constexpr uint64_t kRoot = InodeTable::kRootIno;
// s3fs writes the symlink mode in decimal: S_IFLNK | 0777.
const std::string kS3fsSymlinkMode = std::to_string(S_IFLNK | 0777);

class FsLinksTest : public testing::FsFixture {
 protected:
  FsLinksTest() : FsFixture("fs-links-unit") {}

  void WriteFile(const std::string& name, const std::string& data) {
    auto created = fs_->Create(kRoot, name, 0644, O_WRONLY | O_CREAT, ctx_);
    ASSERT_TRUE(created.ok()) << created.status().ToString();
    ASSERT_TRUE(fs_->Write(created->fh, 0, data.data(), data.size(), ctx_).ok());
    ASSERT_TRUE(fs_->Flush(created->fh, ctx_).ok());
    ASSERT_TRUE(fs_->Release(created->fh).ok());
  }

  const RequestContext ctx_{1000, 1000, 100};
};

TEST_F(FsLinksTest, SymlinkIsOnePutOfTheTargetWithS3fsMetadata) {
  const int puts = store_.Calls(Op::kPutObject);
  auto link = fs_->Symlink("../x", kRoot, "l", ctx_);
  ASSERT_TRUE(link.ok()) << link.status().ToString();
  EXPECT_EQ(store_.Calls(Op::kPutObject) - puts, 1);
  EXPECT_TRUE(S_ISLNK(link->st_mode));
  EXPECT_EQ(link->st_size, 4);
  EXPECT_EQ(link->st_uid, 1000u);
  EXPECT_EQ(ReadObjectOrError(store_, "pre/l"), "../x");
  auto meta = store_.ObjectMetadata("pre/l");
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->at("mode"), kS3fsSymlinkMode);
  EXPECT_EQ(meta->at("uid"), "1000");
  EXPECT_EQ(meta->at("gid"), "1000");
  EXPECT_EQ(meta->at("mtime"), "1600000000");

  auto looked_up = fs_->Lookup(kRoot, "l");
  ASSERT_TRUE(looked_up.ok());
  EXPECT_EQ(looked_up->st_mode, S_IFLNK | 0777u);
  EXPECT_EQ(looked_up->st_size, 4);
  auto target = fs_->Readlink(looked_up->st_ino);
  ASSERT_TRUE(target.ok()) << target.status().ToString();
  EXPECT_EQ(*target, "../x");
}

// A bucket written by s3fs (or any tool using its convention) shows symlinks too.
TEST_F(FsLinksTest, ObjectWithSymlinkModeIsASymlink) {
  ASSERT_TRUE(store_
                  .PutObjectFromString("pre/s3fs-link", "/etc/hosts",
                                       {{"mode", kS3fsSymlinkMode}, {"mtime", "1700000000.5"}})
                  .ok());
  auto attr = fs_->Lookup(kRoot, "s3fs-link");
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->st_mode, S_IFLNK | 0777u);
  EXPECT_EQ(attr->st_mtim.tv_sec, 1700000000);
  EXPECT_EQ(fs_->Readlink(attr->st_ino).value(), "/etc/hosts");
}

TEST_F(FsLinksTest, SymlinkOntoATakenNameIsAlreadyExists) {
  WriteFile("file", "data");
  EXPECT_EQ(fs_->Symlink("t", kRoot, "file", ctx_).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(ReadObjectOrError(store_, "pre/file"), "data");
  ASSERT_TRUE(fs_->Mkdir(kRoot, "dir", 0755, ctx_).ok());
  EXPECT_EQ(fs_->Symlink("t", kRoot, "dir", ctx_).status().code(), Code::kAlreadyExists);
  // A file still being written is not in the bucket yet, but its name is taken.
  auto writing = fs_->Create(kRoot, "writing", 0644, O_WRONLY | O_CREAT, ctx_);
  ASSERT_TRUE(writing.ok());
  EXPECT_EQ(fs_->Symlink("t", kRoot, "writing", ctx_).status().code(), Code::kAlreadyExists);
  ASSERT_TRUE(fs_->Release(writing->fh).ok());
  ASSERT_TRUE(fs_->Symlink("t", kRoot, "l", ctx_).ok());
  EXPECT_EQ(fs_->Symlink("u", kRoot, "l", ctx_).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(ReadObjectOrError(store_, "pre/l"), "t");
}

TEST_F(FsLinksTest, TargetLengthLimits) {
  // Another client's object claims to be a symlink but its body is too long.
  ASSERT_TRUE(
      store_.PutObjectFromString("pre/huge", std::string(5000, 'b'), {{"mode", kS3fsSymlinkMode}})
          .ok());
  EXPECT_TRUE(fs_->Symlink(std::string(4095, 'a'), kRoot, "longest", ctx_).ok());
  EXPECT_EQ(fs_->Symlink(std::string(4096, 'a'), kRoot, "too-long", ctx_).status().code(),
            Code::kNameTooLong);
  EXPECT_EQ(fs_->Symlink("", kRoot, "empty", ctx_).status().code(), Code::kNotFound);
  auto longest = fs_->Lookup(kRoot, "longest");
  ASSERT_TRUE(longest.ok());
  EXPECT_EQ(fs_->Readlink(longest->st_ino).value(), std::string(4095, 'a'));
  auto huge = fs_->Lookup(kRoot, "huge");
  ASSERT_TRUE(huge.ok());
  EXPECT_EQ(fs_->Readlink(huge->st_ino).status().code(), Code::kNameTooLong);
}

// lchown / lutimes (tar, rsync -a, cp -a) replace the metadata: the link stays a link.
TEST_F(FsLinksTest, MetadataChangeAndRenameKeepASymlink) {
  auto link = fs_->Symlink("target", kRoot, "l", ctx_);
  ASSERT_TRUE(link.ok());
  SetAttrRequest request;
  request.uid = 7;
  request.mtime = 1'500'000'000;
  auto changed = fs_->SetAttr(link->st_ino, request);
  ASSERT_TRUE(changed.ok()) << changed.status().ToString();
  EXPECT_EQ(changed->st_mode, S_IFLNK | 0777u);
  EXPECT_EQ(changed->st_uid, 7u);
  EXPECT_EQ(store_.ObjectMetadata("pre/l")->at("mode"), kS3fsSymlinkMode);
  ASSERT_TRUE(fs_->Rename(kRoot, "l", kRoot, "m", RenameFlags{}).ok());
  auto moved = fs_->Lookup(kRoot, "m");
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->st_mode, S_IFLNK | 0777u);
  EXPECT_EQ(moved->st_mtim.tv_sec, 1'500'000'000);
  EXPECT_EQ(fs_->Readlink(moved->st_ino).value(), "target");
  ASSERT_TRUE(fs_->Unlink(kRoot, "m").ok());
  EXPECT_FALSE(store_.ObjectData("pre/m").has_value());
}

// The listing has no metadata: a body that could be a symlink target leaves
// the type unknown so that tools lstat the entry.
TEST_F(FsLinksTest, ReadDirLeavesTheTypeOfSmallObjectsUnknown) {
  ASSERT_TRUE(fs_->Symlink("t", kRoot, "link", ctx_).ok());
  WriteFile("empty", "");
  WriteFile("big", std::string(4096, 'x'));
  ASSERT_TRUE(fs_->Mkdir(kRoot, "dir", 0755, ctx_).ok());
  auto dh = fs_->OpenDir(kRoot);
  ASSERT_TRUE(dh.ok());
  auto entries = fs_->ReadDir(*dh);
  ASSERT_TRUE(entries.ok());
  std::map<std::string, bool> unknown;
  for (const DirEntry& e : **entries) unknown[e.name] = e.type_unknown;
  fs_->ReleaseDir(*dh);
  EXPECT_EQ(unknown, (std::map<std::string, bool>{{".", false},
                                                  {"..", false},
                                                  {"big", false},
                                                  {"dir", false},
                                                  {"empty", false},
                                                  {"link", true}}));
}

TEST_F(FsLinksTest, HardLinkIsNotPermitted) {
  WriteFile("f", "x");
  auto f = fs_->Lookup(kRoot, "f");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(fs_->Link(f->st_ino, kRoot, "g").code(), Code::kNotPermitted);
  EXPECT_FALSE(store_.ObjectData("pre/g").has_value());
}

// O_EXCL: another client may have created the name after the kernel's lookup.
TEST_F(FsLinksTest, ExclusiveCreateOfAnExistingObjectIsAlreadyExists) {
  ASSERT_TRUE(store_.PutObjectFromString("pre/lock", "other", {}).ok());
  int heads = store_.Calls(Op::kHeadObject);
  auto excl = fs_->Create(kRoot, "lock", 0644, O_WRONLY | O_CREAT | O_EXCL, ctx_);
  EXPECT_EQ(excl.status().code(), Code::kAlreadyExists);
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 1);
  EXPECT_EQ(ReadObjectOrError(store_, "pre/lock"), "other");
  ASSERT_TRUE(fs_->Mkdir(kRoot, "dir", 0755, ctx_).ok());
  EXPECT_EQ(fs_->Create(kRoot, "dir", 0644, O_WRONLY | O_CREAT | O_EXCL, ctx_).status().code(),
            Code::kAlreadyExists);
  // Without O_EXCL no HEAD is spent and the object is replaced.
  heads = store_.Calls(Op::kHeadObject);
  auto plain = fs_->Create(kRoot, "lock", 0644, O_WRONLY | O_CREAT, ctx_);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(store_.Calls(Op::kHeadObject) - heads, 0);
  // ... and while it is being written, an O_EXCL create of it fails too.
  EXPECT_EQ(fs_->Create(kRoot, "lock", 0644, O_WRONLY | O_CREAT | O_EXCL, ctx_).status().code(),
            Code::kAlreadyExists);
  ASSERT_TRUE(fs_->Release(plain->fh).ok());
  auto fresh = fs_->Create(kRoot, "fresh", 0644, O_WRONLY | O_CREAT | O_EXCL, ctx_);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  ASSERT_TRUE(fs_->Release(fresh->fh).ok());
}

TEST_F(FsLinksTest, AccessChecksModeOwnerAndGroup) {
  WriteFile("f", "x");  // 0644, owner 1000:1000
  auto f = fs_->Lookup(kRoot, "f");
  ASSERT_TRUE(f.ok());
  const uint64_t ino = f->st_ino;
  RequestContext other{2000, 2000, 100};
  EXPECT_TRUE(fs_->Access(ino, F_OK, other, {}).ok());
  EXPECT_TRUE(fs_->Access(ino, R_OK | W_OK, ctx_, {}).ok());
  EXPECT_EQ(fs_->Access(ino, X_OK, ctx_, {}).code(), Code::kPermissionDenied);
  EXPECT_TRUE(fs_->Access(ino, R_OK, other, {}).ok());
  EXPECT_EQ(fs_->Access(ino, W_OK, other, {}).code(), Code::kPermissionDenied);
  EXPECT_TRUE(fs_->Access(kRoot, R_OK | X_OK, other, {}).ok());
  ASSERT_TRUE(fs_->Unlink(kRoot, "f").ok());
  EXPECT_TRUE(fs_->Access(ino, F_OK, other, {}).IsNotFound());
}

TEST_F(FsLinksTest, FallocateGrowsAFileBeingWrittenAndRefusesOtherModes) {
  auto created = fs_->Create(kRoot, "f", 0644, O_WRONLY | O_CREAT, ctx_);
  ASSERT_TRUE(created.ok());
  const uint64_t ino = created->attr.st_ino, fh = created->fh;
  ASSERT_TRUE(fs_->Write(fh, 0, "0123456789", 10, ctx_).ok());
  EXPECT_TRUE(fs_->Fallocate(ino, fh, 0, 0, 5).ok());  // within the size: nothing to do
  EXPECT_EQ(fs_->GetAttr(ino)->st_size, 10);
  EXPECT_TRUE(fs_->Fallocate(ino, fh, 0, 100, 50).ok());
  EXPECT_EQ(fs_->GetAttr(ino)->st_size, 150);
  EXPECT_EQ(fs_->Fallocate(ino, fh, FALLOC_FL_KEEP_SIZE, 0, 500).code(), Code::kNotSupported);
  EXPECT_EQ(fs_->Fallocate(ino, fh, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 5).code(),
            Code::kNotSupported);
  EXPECT_EQ(fs_->Fallocate(ino, fh, FALLOC_FL_ZERO_RANGE, 0, 5).code(), Code::kNotSupported);
  ASSERT_TRUE(fs_->Flush(fh, ctx_).ok());
  ASSERT_TRUE(fs_->Release(fh).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/f"), "0123456789" + std::string(140, '\0'));
}

}  // namespace
}  // namespace partfs
