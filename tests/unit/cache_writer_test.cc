// FileWriter happy paths over the fake store: part streaming, small files,
// journal contents, positional rules (gaps, truncate, out-of-order writes).
#include <gtest/gtest.h>

#include "tests/support/read_object.h"
#include "tests/unit/cache_writer_fixture.h"

namespace partfs::testing {
namespace {

class CacheWriterTest : public CacheWriterFixture {};

TEST_F(CacheWriterTest, StreamsPartsWhileWritingAndCompletes) {
  OpenCache();
  auto w = Start("dir/big.bin", {{"mode", "33188"}});
  std::string data = TestBytes(5 * kTestPart + 1234);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Sync().ok());
  // Parts 1-5 are full and handed off; part 6 (1234 bytes) is the current part.
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 5);
  EXPECT_EQ(store_.Calls(Op::kCreateMultipartUpload), 1);
  uint64_t id = FileIdOf("dir/big.bin");
  auto parts = cache_->journal().GetParts(id);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 5u);
  for (const auto& p : *parts) {
    EXPECT_EQ(p.size, kTestPart);
    EXPECT_EQ(p.md5, Md5(std::string_view(data).substr((p.number - 1) * kTestPart, kTestPart)));
    EXPECT_EQ(p.etag, HexEncode(p.md5));
    EXPECT_FALSE(Exists(PartPath(id, p.number))) << "uploaded part file must be gone";
  }
  EXPECT_TRUE(Exists(PartPath(id, 6)));

  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(w->Finished());
  EXPECT_EQ(ReadObjectOrError(store_, "dir/big.bin"), data);
  EXPECT_EQ(store_.ObjectMetadata("dir/big.bin")->at("mode"), "33188");
  auto info = store_.HeadObject("dir/big.bin");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->etag.substr(info->etag.size() - 2), "-6");
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
  EXPECT_FALSE(Exists(options_.cache_dir + "/files/" + std::to_string(id)));
  EXPECT_EQ(cache_->CachedBytes(), 0u);
  EXPECT_EQ(store_.OpenUploads(), 0u);
}

TEST_F(CacheWriterTest, EmptyFileIsOnePutObject) {
  OpenCache();
  auto w = Start("empty");
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "empty"), "");
  EXPECT_EQ(store_.Calls(Op::kPutObject), 1);
  EXPECT_EQ(store_.Calls(Op::kCreateMultipartUpload), 0);
  EXPECT_TRUE(cache_->journal().ListFiles()->empty());
}

TEST_F(CacheWriterTest, OneByteFileIsOnePutObjectWithMetadata) {
  OpenCache();
  auto w = Start("one");
  w->SetMetadata({{"mtime", "17"}});
  ASSERT_TRUE(w->Write(0, "x", 1).ok());
  EXPECT_EQ(w->Size(), 1u);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "one"), "x");
  EXPECT_EQ(store_.ObjectMetadata("one")->at("mtime"), "17");
  EXPECT_EQ(store_.Calls(Op::kCreateMultipartUpload), 0);
}

TEST_F(CacheWriterTest, ExactlyOnePartIsStillOnePutObject) {
  OpenCache();
  auto w = Start("exact");
  std::string data = TestBytes(kTestPart);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "exact"), data);
  EXPECT_EQ(store_.Calls(Op::kPutObject), 1);
  EXPECT_EQ(store_.Calls(Op::kCreateMultipartUpload), 0);
}

TEST_F(CacheWriterTest, OnePartPlusOneByteIsTwoParts) {
  OpenCache();
  auto w = Start("plus1");
  std::string data = TestBytes(kTestPart + 1);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "plus1"), data);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 2);
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 1);
  EXPECT_EQ(store_.Calls(Op::kPutObject), 0);
}

TEST_F(CacheWriterTest, JournalTracksTheFileUntilFinish) {
  OpenCache();
  auto w = Start("tracked");
  uint64_t id = FileIdOf("tracked");
  ASSERT_NE(id, 0u);
  auto rec = cache_->journal().GetFile(id);
  ASSERT_TRUE(rec.ok());
  EXPECT_EQ(rec->state, UploadState::kWriting);
  EXPECT_TRUE(rec->upload_id.empty());
  EXPECT_EQ(rec->base_part_size, kTestPart);
  EXPECT_EQ(rec->parts_per_step, 1000u);
  EXPECT_EQ(rec->endpoint, options_.endpoint);
  EXPECT_EQ(rec->bucket, options_.bucket);

  std::string data = TestBytes(2 * kTestPart + 100);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  rec = cache_->journal().GetFile(id);
  EXPECT_FALSE(rec->upload_id.empty()) << "upload id is journaled right after Create";
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_TRUE(cache_->journal().GetFile(id).status().IsNotFound());
  EXPECT_TRUE(cache_->journal().GetParts(id)->empty());
}

TEST_F(CacheWriterTest, SyncMakesJournalSizeCurrent) {
  OpenCache();
  auto w = Start("synced");
  uint64_t id = FileIdOf("synced");
  std::string data = TestBytes(3 * kTestPart);
  ASSERT_TRUE(w->Write(0, data.data(), 100).ok());
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(cache_->journal().GetFile(id)->size, 100u);
  ASSERT_TRUE(w->Write(100, data.data() + 100, data.size() - 100).ok());
  EXPECT_EQ(cache_->journal().GetFile(id)->size, 100u);  // not before the next Sync
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(cache_->journal().GetFile(id)->size, data.size());
  EXPECT_EQ(cache_->journal().GetParts(id)->size(), 2u);  // every full handed-off part
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "synced"), data);
}

TEST_F(CacheWriterTest, RewriteOfAnUploadedPartNeedsACheckpoint) {
  OpenCache();
  auto w = Start("seq");
  std::string data = TestBytes(kTestPart + 10);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  // Rewriting inside the current part (part 2) is fine.
  EXPECT_TRUE(w->Write(kTestPart + 2, "ab", 2).ok());
  data.replace(kTestPart + 2, 2, "ab");
  ASSERT_TRUE(w->Sync().ok());  // part 1 uploaded; a plain sequential writer keeps no copy
  auto s = w->Write(10, "zz", 2);
  EXPECT_EQ(s.status().code(), Status::Code::kNeedsCheckpoint);
  char buf[4];
  EXPECT_EQ(w->Read(8, 4, buf).status().code(), Status::Code::kNeedsCheckpoint);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "seq"), data);
}

TEST_F(CacheWriterTest, OutOfOrderWritesInsideAPartKeepCorrectMd5) {
  OpenCache();
  auto w = Start("ooo");
  std::string data = TestBytes(2 * kTestPart + 7);
  // Second half of part 1 first, then the first half: the running MD5 is dropped.
  ASSERT_TRUE(w->Write(1000, data.data() + 1000, kTestPart - 1000).ok());
  ASSERT_TRUE(w->Write(0, data.data(), 1000).ok());
  ASSERT_TRUE(w->Write(kTestPart, data.data() + kTestPart, data.size() - kTestPart).ok());
  ASSERT_TRUE(w->Finish().ok());  // the fake checks Content-MD5 of every part
  EXPECT_EQ(ReadObjectOrError(store_, "ooo"), data);
}

TEST_F(CacheWriterTest, GapsAreZeroFilled) {
  OpenCache();
  auto w = Start("sparse");
  std::string data(3 * kTestPart + 5, '\0');
  data.replace(10, 3, "abc");
  data.replace(3 * kTestPart, 5, "tail!");
  ASSERT_TRUE(w->Write(10, "abc", 3).ok());
  ASSERT_TRUE(w->Write(3 * kTestPart, "tail!", 5).ok());  // skips parts 2 and 3 entirely
  EXPECT_EQ(w->Size(), data.size());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "sparse"), data);
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 4);
}

TEST_F(CacheWriterTest, TruncateWithinAndBeyondTheCurrentPart) {
  OpenCache();
  auto w = Start("trunc");
  std::string data = TestBytes(kTestPart + 500);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Truncate(kTestPart + 100).ok());  // shrink the current part
  data.resize(kTestPart + 100);
  ASSERT_TRUE(w->Truncate(kTestPart + 300).ok());  // extend with zeros
  data.resize(kTestPart + 300, '\0');
  EXPECT_EQ(w->Size(), data.size());
  ASSERT_TRUE(w->Sync().ok());  // part 1 is only in the upload now
  EXPECT_EQ(w->Truncate(10).code(), Status::Code::kNeedsCheckpoint);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "trunc"), data);
}

TEST_F(CacheWriterTest, TruncateToZeroBeforeAnyUploadResets) {
  OpenCache();
  auto w = Start("reset");
  std::string junk = TestBytes(kTestPart - 1, 9);
  ASSERT_TRUE(WriteAll(*w, junk).ok());
  ASSERT_TRUE(w->Truncate(0).ok());
  EXPECT_EQ(w->Size(), 0u);
  ASSERT_TRUE(w->Write(0, "fresh", 5).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "reset"), "fresh");
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

TEST_F(CacheWriterTest, RekeyBeforeCreateOnly) {
  OpenCache();
  auto w = Start("tmp.partial");
  ASSERT_TRUE(w->Write(0, "hello", 5).ok());
  ASSERT_TRUE(w->Rekey("final").ok());
  EXPECT_EQ(w->Key(), "final");
  EXPECT_EQ(cache_->journal().ListFiles()->at(0).key, "final");
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "final"), "hello");
  EXPECT_FALSE(ReadObject(store_, "tmp.partial").ok());

  auto big = Start("big.partial");
  ASSERT_TRUE(WriteAll(*big, TestBytes(kTestPart + 1)).ok());
  EXPECT_EQ(big->Rekey("big").code(), Status::Code::kNotSupported);
  ASSERT_TRUE(big->Finish().ok());
}

TEST_F(CacheWriterTest, FinishIsIdempotentAndEndsWriting) {
  OpenCache();
  auto w = Start("idem");
  ASSERT_TRUE(w->Write(0, "abc", 3).ok());
  ASSERT_TRUE(w->Finish().ok());
  ASSERT_TRUE(w->Finish().ok());
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(store_.Calls(Op::kPutObject), 1);
  EXPECT_FALSE(w->Write(3, "d", 1).ok());
}

TEST_F(CacheWriterTest, WritePastTheScheduleIsTooLarge) {
  OpenCache();
  auto w = Start("huge");
  // 64 KiB doubling every 1000 parts, capped at 1 GiB, 10,000 parts.
  uint64_t max = 0;
  for (uint32_t step = 0; step < 10; ++step)
    max += 1000 * std::min<uint64_t>(kTestPart << step, 1ull << 30);
  EXPECT_EQ(w->Write(max, "x", 1).status().code(), Status::Code::kTooLarge);
  EXPECT_EQ(w->Write(max + 5, "xy", 2).status().code(), Status::Code::kTooLarge);
  EXPECT_EQ(w->Truncate(max + 1).code(), Status::Code::kTooLarge);
  ASSERT_TRUE(w->Finish().ok());
}

TEST_F(CacheWriterTest, UploadsRunInParallelAcrossTheSharedPool) {
  options_.upload_threads = 3;
  OpenCache();
  store_.SetUploadPartDelay(std::chrono::milliseconds(50));
  auto a = Start("a");
  auto b = Start("b");
  std::string da = TestBytes(6 * kTestPart, 1), db = TestBytes(6 * kTestPart, 2);
  ASSERT_TRUE(WriteAll(*a, da).ok());
  ASSERT_TRUE(WriteAll(*b, db).ok());
  ASSERT_TRUE(a->Finish().ok());
  ASSERT_TRUE(b->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "a"), da);
  EXPECT_EQ(ReadObjectOrError(store_, "b"), db);
  EXPECT_GE(store_.MaxConcurrentUploads(), 2);
  EXPECT_LE(store_.MaxConcurrentUploads(), 3);
}

TEST_F(CacheWriterTest, SecondCacheOnSameDirectoryIsBusy) {
  OpenCache();
  auto second = WriteCache::Open(options_, &store_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kBusy);
  EXPECT_NE(second.status().message().find("in use by another partfs"), std::string::npos);
}

TEST_F(CacheWriterTest, OpenRejectsInvalidPartSize) {
  options_.part_size = 1000;  // below the profile's minimum
  auto cache = WriteCache::Open(options_, &store_);
  EXPECT_EQ(cache.status().code(), Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace partfs::testing

namespace partfs::testing {
namespace {

TEST_F(CacheWriterTest, TruncateBelowTheSyncedSizeIsJournaledAtOnce) {
  OpenCache();
  auto w = Start("shrink");
  std::string data = TestBytes(kTestPart + 500);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Sync().ok());
  uint64_t id = FileIdOf("shrink");
  EXPECT_EQ(cache_->journal().GetFile(id)->size, data.size());
  // Without this record a crash now would look like a lost tail to recovery.
  ASSERT_TRUE(w->Truncate(kTestPart + 100).ok());
  EXPECT_EQ(cache_->journal().GetFile(id)->size, kTestPart + 100);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "shrink"), data.substr(0, kTestPart + 100));
}

}  // namespace
}  // namespace partfs::testing

namespace partfs::testing {
namespace {

TEST_F(CacheWriterTest, MetadataChangedAfterCreateIsAppliedByOneCopyAfterComplete) {
  OpenCache();
  auto w = Start("late-meta", {{"mode", "33188"}});
  std::string data = TestBytes(2 * kTestPart + 7);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->UploadCreated());
  // As cp -a does: futimens before close, after the upload was created.
  w->SetMetadata({{"mode", "33188"}, {"mtime", "981173106"}});
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.Calls(Op::kCopyObject), 1);
  auto metadata = store_.ObjectMetadata("late-meta");
  ASSERT_TRUE(metadata.has_value());
  EXPECT_EQ((*metadata)["mtime"], "981173106");
  EXPECT_EQ(ReadObjectOrError(store_, "late-meta"), data);
}

TEST_F(CacheWriterTest, UnchangedMetadataCostsNoCopy) {
  OpenCache();
  auto w = Start("same-meta", {{"mode", "33188"}});
  ASSERT_TRUE(WriteAll(*w, TestBytes(2 * kTestPart + 7)).ok());
  w->SetMetadata({{"mode", "33188"}});
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(store_.Calls(Op::kCopyObject), 0);
}

}  // namespace
}  // namespace partfs::testing
