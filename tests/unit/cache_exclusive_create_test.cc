// An O_EXCL file's writer (WriteCache::StartExclusiveWrite): completed only if
// the key has no object; when another writer won, Finish answers
// AlreadyExists and drops this file's data (upload aborted, record and part
// files gone), leaving the winner's object. The store here honours the
// condition the way S3Client does on a server that has it.
#include <gtest/gtest.h>

#include "tests/unit/cache_writer_fixture.h"

namespace partfs::testing {
namespace {

class ConditionalFakeStore : public FakeObjectStore {
 public:
  using FakeObjectStore::FakeObjectStore;
  Result<std::string> PutObjectIfAbsent(const std::string& key, const FileRange& body,
                                        const UserMetadata& metadata,
                                        const std::string& md5) override {
    PARTFS_RETURN_IF_ERROR(Refuse(key));
    return PutObject(key, body, metadata, md5);
  }
  Result<std::string> PutObjectFromStringIfAbsent(const std::string& key, const std::string& data,
                                                  const UserMetadata& metadata) override {
    PARTFS_RETURN_IF_ERROR(Refuse(key));
    return PutObjectFromString(key, data, metadata);
  }
  Result<std::string> CompleteMultipartUploadIfAbsent(const std::string& key,
                                                      const std::string& upload_id,
                                                      const std::vector<CompletedPart>& parts,
                                                      const std::string& expected) override {
    PARTFS_RETURN_IF_ERROR(Refuse(key));
    return CompleteMultipartUpload(key, upload_id, parts, expected);
  }

 private:
  Status Refuse(const std::string& key) {
    if (ObjectData(key)) return Status::AlreadyExists("412 PreconditionFailed: " + key);
    return Status::OK();
  }
};

class CacheExclusiveCreateTest : public CacheWriterFixture {
 protected:
  CacheExclusiveCreateTest() : conditional_(kTestPart) {
    auto cache = WriteCache::Open(options_, &conditional_);
    EXPECT_TRUE(cache.ok()) << cache.status().ToString();
    if (cache.ok()) exclusive_cache_ = std::move(*cache);
  }
  ~CacheExclusiveCreateTest() override {
    if (exclusive_cache_) exclusive_cache_->WaitForRecovery();
  }

  std::shared_ptr<FileWriter> StartExclusive(const std::string& key) {
    auto writer = exclusive_cache_->StartExclusiveWrite(key, {});
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? *writer : nullptr;
  }

  ConditionalFakeStore conditional_;
  std::unique_ptr<WriteCache> exclusive_cache_;  // after conditional_: destroyed first
};

TEST_F(CacheExclusiveCreateTest, RecordIsJournaledExclusive) {
  auto w = StartExclusive("lock");
  ASSERT_TRUE(w);
  auto files = exclusive_cache_->journal().ListFiles();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 1u);
  EXPECT_TRUE(files->front().exclusive);
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(conditional_.ObjectData("lock"), "");
}

TEST_F(CacheExclusiveCreateTest, LoserOfASmallFileHearsAlreadyExistsAndDropsItsData) {
  auto w = StartExclusive("lock");
  ASSERT_TRUE(w);
  ASSERT_TRUE(WriteAll(*w, "mine").ok());
  ASSERT_TRUE(conditional_.PutObjectFromString("lock", "theirs", {}).ok());
  Status finished = w->Finish();
  EXPECT_EQ(finished.code(), Status::Code::kAlreadyExists) << finished.ToString();
  EXPECT_EQ(conditional_.ObjectData("lock"), "theirs");
  EXPECT_TRUE(exclusive_cache_->journal().ListFiles()->empty());
  EXPECT_TRUE(w->Finish().ok());  // the release after the flush: nothing left to do
}

TEST_F(CacheExclusiveCreateTest, LoserOfAMultipartFileAbortsItsUpload) {
  auto w = StartExclusive("big");
  ASSERT_TRUE(w);
  const std::string data = TestBytes(3 * kTestPart + 100, 7);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(conditional_.PutObjectFromString("big", "theirs", {}).ok());
  Status finished = w->Finish();
  EXPECT_EQ(finished.code(), Status::Code::kAlreadyExists) << finished.ToString();
  EXPECT_EQ(conditional_.ObjectData("big"), "theirs");
  EXPECT_EQ(conditional_.OpenUploads(), 0u);
  EXPECT_TRUE(exclusive_cache_->journal().ListFiles()->empty());
}

TEST_F(CacheExclusiveCreateTest, WinnerCompletesAsUsual) {
  auto w = StartExclusive("big");
  ASSERT_TRUE(w);
  const std::string data = TestBytes(3 * kTestPart + 100, 8);
  ASSERT_TRUE(WriteAll(*w, data).ok());
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(conditional_.ObjectData("big"), data);
  EXPECT_EQ(conditional_.OpenUploads(), 0u);
}

// The exclusive flag survives a crash: recovery completes with the same
// condition and, refused, drops the record (logged as lost) and aborts the upload.
TEST_F(CacheExclusiveCreateTest, RecoveryKeepsTheConditionAndDropsALostFile) {
  const std::string data = TestBytes(2 * kTestPart + 10, 9);
  for (const char* key : {"lost", "won"}) {
    auto w = StartExclusive(key);
    ASSERT_TRUE(w);
    ASSERT_TRUE(WriteAll(*w, data).ok());
    ASSERT_TRUE(w->Sync().ok());
  }  // destroyed without Finish, like a crash after fsync
  ASSERT_TRUE(conditional_.PutObjectFromString("lost", "theirs", {}).ok());
  exclusive_cache_.reset();
  auto cache = WriteCache::Open(options_, &conditional_);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  exclusive_cache_ = std::move(*cache);
  auto files = exclusive_cache_->journal().ListFiles();
  ASSERT_TRUE(files.ok());
  ASSERT_EQ(files->size(), 2u);
  EXPECT_TRUE(files->front().exclusive && files->back().exclusive);
  ASSERT_TRUE(exclusive_cache_->StartRecovery().ok());
  exclusive_cache_->WaitForRecovery();
  EXPECT_EQ(conditional_.ObjectData("lost"), "theirs");
  EXPECT_EQ(conditional_.ObjectData("won"), data);
  EXPECT_EQ(conditional_.OpenUploads(), 0u);
  EXPECT_TRUE(exclusive_cache_->journal().ListFiles()->empty());
}

}  // namespace
}  // namespace partfs::testing
