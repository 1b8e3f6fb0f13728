// Unit tests of fs/filesystem.h without a mount: the Filesystem over a
// FakeObjectStore and a real WriteCache in a temporary directory.
#include "fs/filesystem.h"

#include <fcntl.h>

#include <algorithm>
#include <set>

#include "gtest/gtest.h"
#include "tests/support/read_object.h"
#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

constexpr uint64_t kRoot = InodeTable::kRootIno;
constexpr int64_t kMountTime = testing::kFsFixtureMountTime;

class FsFilesystemTest : public testing::FsFixture {
 protected:
  FsFilesystemTest() : FsFixture("fs-unit") {
    fs_options_.uid = 42;
    fs_options_.gid = 43;
  }

  std::vector<std::string> Names(uint64_t ino) {
    auto dh = fs_->OpenDir(ino);
    EXPECT_TRUE(dh.ok()) << dh.status().ToString();
    if (!dh.ok()) return {};
    auto entries = fs_->ReadDir(*dh);
    std::vector<std::string> names;
    for (const DirEntry& e : **entries) names.push_back(e.name + (e.is_dir ? "/" : ""));
    fs_->ReleaseDir(*dh);
    return names;
  }

  // Creates `name` in `parent`, writes `data`, flushes and releases; returns the inode.
  uint64_t WriteFile(uint64_t parent, const std::string& name, const std::string& data) {
    auto created = CreateAndWrite(parent, name, data);
    if (!created) return 0;
    Close(created->fh);
    return created->attr.st_ino;
  }
};

TEST_F(FsFilesystemTest, ReadDirFollowsPagination) {
  for (int i = 0; i < 2100; ++i) {
    char key[32];
    std::snprintf(key, sizeof(key), "pre/big/k%05d", i);
    ASSERT_TRUE(store_.PutObjectFromString(key, "", {}).ok());
  }
  ASSERT_TRUE(store_.PutObjectFromString("pre/big/sub/x", "", {}).ok());
  ASSERT_TRUE(store_.PutObjectFromString("pre/big/", "", {}).ok());  // directory marker
  auto big = fs_->Lookup(kRoot, "big");
  ASSERT_TRUE(big.ok()) << big.status().ToString();
  EXPECT_TRUE(S_ISDIR(big->st_mode));
  auto names = Names(big->st_ino);
  ASSERT_EQ(names.size(), 2 + 2100 + 1u);  // ".", "..", files, "sub/"
  std::set<std::string> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size());
  EXPECT_TRUE(unique.count("sub/"));
  EXPECT_TRUE(unique.count("k02099"));
  EXPECT_FALSE(unique.count("")) << "the marker is not an entry";
  EXPECT_GE(store_.Calls(testing::FakeObjectStore::Op::kListObjects), 3);
}

// A server that repeats a continuation token would make opendir loop forever.
TEST_F(FsFilesystemTest, OpenDirStopsWhenTheServerRepeatsAToken) {
  ASSERT_TRUE(store_.PutObjectFromString("pre/d/a", "", {}).ok());
  auto dir = fs_->Lookup(kRoot, "d");
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  const uint64_t ino = dir->st_ino;
  using Op = testing::FakeObjectStore::Op;

  store_.SetListObjectsTokens({"same"});  // the same token twice in a row
  int before = store_.Calls(Op::kListObjects);
  auto dh = fs_->OpenDir(ino);
  ASSERT_FALSE(dh.ok());
  EXPECT_EQ(dh.status().code(), Status::Code::kIOError);
  EXPECT_NE(dh.status().message().find("repeated a continuation token"), std::string::npos)
      << dh.status().ToString();
  EXPECT_EQ(store_.Calls(Op::kListObjects) - before, 2);

  store_.SetListObjectsTokens({"t1", "t2"});  // t1 again after t2: a cycle
  before = store_.Calls(Op::kListObjects);
  dh = fs_->OpenDir(ino);
  ASSERT_FALSE(dh.ok());
  EXPECT_EQ(dh.status().code(), Status::Code::kIOError);
  EXPECT_NE(dh.status().message().find("after 3 page(s)"), std::string::npos)
      << dh.status().ToString();
  EXPECT_EQ(store_.Calls(Op::kListObjects) - before, 3);

  store_.SetListObjectsTokens({});
  EXPECT_EQ(Names(ino), (std::vector<std::string>{"./", "../", "a"}));
}

TEST_F(FsFilesystemTest, FileBeingWrittenIsListedWithWriterSize) {
  RequestContext ctx{1, 2, 100};
  auto created = fs_->Create(kRoot, "w", 0600, O_WRONLY | O_CREAT, ctx);
  ASSERT_TRUE(created.ok());
  std::string data(1000, 'a');
  ASSERT_TRUE(fs_->Write(created->fh, 0, data.data(), data.size(), ctx).ok());
  EXPECT_EQ(Names(kRoot), (std::vector<std::string>{"./", "../", "w"}));
  auto attr = fs_->GetAttr(created->attr.st_ino);
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->st_size, 1000);
  EXPECT_EQ(attr->st_mode, S_IFREG | 0600u);
  EXPECT_EQ(attr->st_uid, 1u);
  EXPECT_FALSE(ReadObject(store_, "pre/w").ok());
  ASSERT_TRUE(fs_->Flush(created->fh, ctx).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/w"), data);
  // A write after the completing flush (a dup'd descriptor) changes the object in place.
  auto late = fs_->Write(created->fh, 1000, "x", 1, ctx);
  ASSERT_TRUE(late.ok()) << late.status().ToString();
  EXPECT_TRUE(fs_->Release(created->fh).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/w"), data + "x");
  auto meta = store_.ObjectMetadata("pre/w");
  ASSERT_TRUE(meta.has_value());
  EXPECT_EQ(meta->at("mode"), std::to_string(S_IFREG | 0600));
  EXPECT_EQ(meta->at("uid"), "1");
}

TEST_F(FsFilesystemTest, FlushFromOtherProcessDoesNotComplete) {
  RequestContext writer{0, 0, 100};
  RequestContext other{0, 0, 999999};  // no such process
  auto created = fs_->Create(kRoot, "f", 0644, O_WRONLY | O_CREAT, writer);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(fs_->Write(created->fh, 0, "ab", 2, writer).ok());
  ASSERT_TRUE(fs_->Flush(created->fh, other).ok());
  EXPECT_FALSE(ReadObject(store_, "pre/f").ok());
  ASSERT_TRUE(fs_->Write(created->fh, 2, "cd", 2, writer).ok());
  ASSERT_TRUE(fs_->Flush(created->fh, writer).ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/f"), "abcd");
  EXPECT_TRUE(fs_->Release(created->fh).ok());
}

TEST_F(FsFilesystemTest, UploadFailureReachesFlushAndIsNotRetriedAtRelease) {
  RequestContext ctx{0, 0, 100};
  auto created = fs_->Create(kRoot, "bad", 0644, O_WRONLY | O_CREAT, ctx);
  ASSERT_TRUE(created.ok());
  ASSERT_TRUE(fs_->Write(created->fh, 0, "data", 4, ctx).ok());
  store_.FailOperation(testing::FakeObjectStore::Op::kPutObject,
                       Status::Unavailable("server down"));
  Status flushed = fs_->Flush(created->fh, ctx);
  EXPECT_FALSE(flushed.ok());
  int puts = store_.Calls(testing::FakeObjectStore::Op::kPutObject);
  EXPECT_TRUE(fs_->Release(created->fh).ok());
  EXPECT_EQ(store_.Calls(testing::FakeObjectStore::Op::kPutObject), puts);
  store_.ClearFaults();
  EXPECT_FALSE(ReadObject(store_, "pre/bad").ok());
}

TEST_F(FsFilesystemTest, LookupMissingIsNotFound) {
  auto missing = fs_->Lookup(kRoot, "nope");
  EXPECT_TRUE(missing.status().IsNotFound());
  EXPECT_EQ(fs_->Lookup(kRoot, std::string(1100, 'x')).status().code(),
            Status::Code::kInvalidArgument);
}

TEST_F(FsFilesystemTest, PrefixIsolatesTheMount) {
  ASSERT_TRUE(store_.PutObjectFromString("outside", "", {}).ok());
  ASSERT_TRUE(store_.PutObjectFromString("pre/inside", "xyz", {}).ok());
  EXPECT_EQ(Names(kRoot), (std::vector<std::string>{"./", "../", "inside"}));
  auto attr = fs_->Lookup(kRoot, "inside");
  ASSERT_TRUE(attr.ok());
  EXPECT_EQ(attr->st_size, 3);
  EXPECT_EQ(attr->st_uid, 42u);  // no metadata: the mount's default owner
  EXPECT_EQ(attr->st_mode, S_IFREG | 0644u);
}

TEST_F(FsFilesystemTest, RenameAndUnlink) {
  WriteFile(kRoot, "a", "hello");
  Status renamed = fs_->Rename(kRoot, "a", kRoot, "b", RenameFlags{});
  ASSERT_TRUE(renamed.ok()) << renamed.ToString();
  EXPECT_FALSE(ReadObject(store_, "pre/a").ok());
  EXPECT_EQ(ReadObjectOrError(store_, "pre/b"), "hello");
  WriteFile(kRoot, "c", "c");
  EXPECT_EQ(fs_->Rename(kRoot, "b", kRoot, "c", RenameFlags{.no_replace = true}).code(),
            Status::Code::kAlreadyExists);
  EXPECT_EQ(fs_->Rename(kRoot, "b", kRoot, "c", RenameFlags{.exchange = true}).code(),
            Status::Code::kInvalidArgument);
  ASSERT_TRUE(fs_->Unlink(kRoot, "b").ok());
  EXPECT_FALSE(ReadObject(store_, "pre/b").ok());
  auto dir = fs_->Mkdir(kRoot, "d", 0755, RequestContext{});
  ASSERT_TRUE(dir.ok());
  ASSERT_TRUE(fs_->Rename(kRoot, "d", kRoot, "e", RenameFlags{}).ok());  // fs_rename_dir_test.cc
}

TEST_F(FsFilesystemTest, RmdirOfANonEmptyDirectoryIsNotEmpty) {
  auto dir = fs_->Mkdir(kRoot, "d", 0755, RequestContext{});
  ASSERT_TRUE(dir.ok()) << dir.status().ToString();
  WriteFile(dir->st_ino, "f", "x");
  EXPECT_EQ(fs_->Rmdir(kRoot, "d").code(), Status::Code::kNotEmpty);
  ASSERT_TRUE(fs_->Unlink(dir->st_ino, "f").ok());
  EXPECT_TRUE(fs_->Rmdir(kRoot, "d").ok());
  EXPECT_FALSE(store_.ObjectData("pre/d/").has_value());
}

// A forget beyond the lookup count is a bug: asserted in debug builds, clamped
// (and logged) in release ones.
TEST_F(FsFilesystemTest, ForgetBeyondTheLookupCountIsABug) {
  WriteFile(kRoot, "f", "x");
  auto attr = fs_->Lookup(kRoot, "f");
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  const uint64_t ino = attr->st_ino;
  EXPECT_DEBUG_DEATH(fs_->Forget(ino, 5), "lookup count");
}

// Times come from the mount's clock: directories show the mount time, a new
// file the time of its close (its upload not created yet), utimens' "now" Now().
TEST_F(FsFilesystemTest, TimesComeFromTheMountsClock) {
  auto root = fs_->GetAttr(kRoot);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->st_mtim.tv_sec, kMountTime);

  RequestContext ctx{1, 2, 100};
  auto created = fs_->Create(kRoot, "t", 0644, O_WRONLY | O_CREAT, ctx);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ(created->attr.st_mtim.tv_sec, kMountTime);
  ASSERT_TRUE(fs_->Write(created->fh, 0, "abc", 3, ctx).ok());
  clock_.Advance(std::chrono::seconds(100));
  ASSERT_TRUE(fs_->Flush(created->fh, ctx).ok());
  ASSERT_TRUE(fs_->Release(created->fh).ok());
  auto attr = fs_->GetAttr(created->attr.st_ino);
  ASSERT_TRUE(attr.ok()) << attr.status().ToString();
  EXPECT_EQ(attr->st_mtim.tv_sec, kMountTime + 100);

  clock_.Set(kMountTime + 5000);
  EXPECT_EQ(fs_->Now(), kMountTime + 5000);
}

}  // namespace
}  // namespace partfs
