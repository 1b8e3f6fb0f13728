// Unit tests of reads through the Filesystem with read-ahead on: a sequential
// reader is served by few large GETs, and bytes prefetched before this mount
// changed the file are never served after the change; keep_cache (the kernel
// keeps a file's pages) only for a reopen of an unchanged object.
#include <fcntl.h>

#include <string>

#include "fs/filesystem.h"
#include "fs/read_ahead_pool.h"
#include "gtest/gtest.h"
#include "tests/support/test_data.h"
#include "tests/unit/fs_fixture.h"

namespace partfs {
namespace {

constexpr uint64_t kRoot = InodeTable::kRootIno;
constexpr uint64_t kMiB = 1 << 20;
constexpr size_t kStep = 128 << 10;

class FsReadAheadTest : public testing::FsFixture {
 protected:
  FsReadAheadTest() : FsFixture("fs-read-ahead") { fs_options_.read_ahead = &pool_; }

  std::string ReadAt(uint64_t fh, uint64_t offset, size_t size) {
    std::string buf(size, '\0');
    auto read = fs_->Read(fh, offset, size, buf.data());
    EXPECT_TRUE(read.ok()) << read.status().ToString();
    buf.resize(read.ok() ? *read : 0);
    return buf;
  }

  ReadAheadPool pool_{{.window = 8 * kMiB, .threads = 2, .budget = 16 * kMiB}};  // outlives fs_
};

TEST_F(FsReadAheadTest, SequentialReadUsesFewGets) {
  const std::string data = testing::TestBytes(12 * kMiB, 1);
  auto created = CreateAndWrite(kRoot, "f", data);
  ASSERT_TRUE(created);
  Close(created->fh);
  auto fh = fs_->Open(created->attr.st_ino, O_RDONLY, kWriter);
  ASSERT_TRUE(fh.ok()) << fh.status().ToString();
  const int gets_before = store_.Calls(testing::FakeObjectStore::Op::kGetObject);
  std::string out;
  for (;;) {
    std::string piece = ReadAt(*fh, out.size(), kStep);
    out += piece;
    if (piece.size() < kStep) break;
  }
  EXPECT_TRUE(out == data);
  // 97 reads of 128 KiB: 2 plain, then 4 MiB chunks (and a few empty ones past the end).
  EXPECT_LE(store_.Calls(testing::FakeObjectStore::Op::kGetObject) - gets_before, 2 + 12 + 7);
  EXPECT_TRUE(fs_->Release(*fh).ok());
}

TEST_F(FsReadAheadTest, WriteThroughTheMountDropsPrefetchedBytes) {
  const std::string old_data = testing::TestBytes(8 * kMiB, 2);
  const std::string new_data = testing::TestBytes(8 * kMiB, 3);
  auto created = CreateAndWrite(kRoot, "f", old_data);
  ASSERT_TRUE(created);
  Close(created->fh);
  const uint64_t ino = created->attr.st_ino;
  auto reader = fs_->Open(ino, O_RDONLY, kWriter);
  ASSERT_TRUE(reader.ok());
  for (uint64_t offset = 0; offset < 2 * kMiB; offset += kStep) {
    ASSERT_EQ(ReadAt(*reader, offset, kStep), old_data.substr(offset, kStep));
  }
  // Rewrite the file through another handle of this mount.
  auto writer = fs_->Open(ino, O_WRONLY | O_TRUNC, kWriter);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  auto written = fs_->Write(*writer, 0, new_data.data(), new_data.size(), kWriter);
  ASSERT_TRUE(written.ok());
  Close(*writer);
  EXPECT_EQ(ReadAt(*reader, 2 * kMiB, kStep), new_data.substr(2 * kMiB, kStep));
  EXPECT_EQ(ReadAt(*reader, 2 * kMiB + kStep, kStep), new_data.substr(2 * kMiB + kStep, kStep));
  EXPECT_TRUE(fs_->Release(*reader).ok());
}

TEST_F(FsReadAheadTest, KeepCacheOnlyWhenTheObjectIsUnchanged) {
  auto created = CreateAndWrite(kRoot, "f", testing::TestBytes(3 * kMiB, 4));
  ASSERT_TRUE(created);
  Close(created->fh);
  const uint64_t ino = created->attr.st_ino;
  // Opens read-only (after the kernel's lookup); whether the pages may stay.
  auto open_keeps = [&] {
    EXPECT_TRUE(fs_->Lookup(kRoot, "f").ok());
    bool keep_cache = true;
    auto fh = fs_->Open(ino, O_RDONLY, kWriter, &keep_cache);
    EXPECT_TRUE(fh.ok()) << fh.status().ToString();
    if (fh.ok()) {
      EXPECT_TRUE(fs_->Release(*fh).ok());
    }
    return keep_cache;
  };
  EXPECT_FALSE(open_keeps()) << "first open: nothing to compare with";
  EXPECT_TRUE(open_keeps()) << "unchanged";
  // A write through this mount.
  auto writer = fs_->Open(ino, O_WRONLY | O_TRUNC, kWriter);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  const std::string rewritten = testing::TestBytes(3 * kMiB, 5);
  ASSERT_TRUE(fs_->Write(*writer, 0, rewritten.data(), rewritten.size(), kWriter).ok());
  Close(*writer);
  EXPECT_FALSE(open_keeps()) << "after a write through the mount";
  EXPECT_TRUE(open_keeps()) << "unchanged since";
  // Another client replaces it (same size): seen once the attributes expire.
  ASSERT_TRUE(store_.PutObjectFromString("pre/f", testing::TestBytes(3 * kMiB, 6), {}).ok());
  clock_.Advance(std::chrono::seconds(61));
  EXPECT_FALSE(open_keeps()) << "after another client's change";
  // Writable opens never keep the pages.
  bool keep_cache = true;
  auto rw = fs_->Open(ino, O_RDWR, kWriter, &keep_cache);
  ASSERT_TRUE(rw.ok());
  EXPECT_FALSE(keep_cache);
  EXPECT_TRUE(fs_->Release(*rw).ok());
}

}  // namespace
}  // namespace partfs
