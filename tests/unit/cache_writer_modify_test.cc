// In-place changes (WriteCache::StartModify), rewrites of uploaded parts,
// truncation into them and reads while writing, against a shadow string.
#include <random>

#include "tests/support/counting_store.h"
#include "tests/support/read_object.h"
#include "tests/unit/cache_writer_fixture.h"

namespace partfs::testing {
namespace {

class CacheWriterModifyTest : public CacheWriterFixture {
 protected:
  // Puts `data` as object `key` and starts changing it in place.
  std::shared_ptr<FileWriter> Modify(const std::string& key) {
    auto info = store_.HeadObject(key);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) return nullptr;
    auto writer = cache_->StartModify(key, {}, info->size, info->etag);
    EXPECT_TRUE(writer.ok()) << writer.status().ToString();
    return writer.ok() ? *writer : nullptr;
  }

  void Put(const std::string& key, const std::string& data) {
    ASSERT_TRUE(store_.PutObjectFromString(key, data, {}).ok());
  }

  // What the writer reads back, whole.
  static std::string ReadAll(FileWriter& w) {
    std::string out(w.Size(), '\0');
    auto got = w.Read(0, out.size(), out.data());
    if (!got.ok()) return "<" + got.status().ToString() + ">";
    out.resize(*got);
    return out;
  }
};

TEST_F(CacheWriterModifyTest, AppendCopiesFullPartsAndReadsAtMostOnePart) {
  CountingStore counting(&store_);
  auto cache = WriteCache::Open(options_, &counting);
  ASSERT_TRUE(cache.ok()) << cache.status().ToString();
  std::string data = TestBytes(5 * kTestPart + 1234);
  Put("big", data);
  auto info = store_.HeadObject("big");
  ASSERT_TRUE(info.ok());
  auto w = (*cache)->StartModify("big", {}, info->size, info->etag);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  std::string more = TestBytes(3 * kTestPart, 7);
  for (size_t off = 0; off < more.size(); off += 10000) {
    size_t n = std::min<size_t>(10000, more.size() - off);
    auto written = (*w)->Write(data.size() + off, more.data() + off, n);
    ASSERT_TRUE(written.ok() && *written == n) << written.status().ToString();
  }
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "big"), data + more);
  EXPECT_EQ(counting.part_copies.load(), 5);
  EXPECT_LE(counting.get_bytes.load(), kTestPart);  // only the partial last part was read
  w->reset();
  cache->reset();
}

TEST_F(CacheWriterModifyTest, SmallObjectIsReadChangedAndPut) {
  OpenCache();
  Put("small", "hello world");
  auto w = Modify("small");
  ASSERT_TRUE(w->Write(6, "WORLD!", 6).ok());
  EXPECT_EQ(ReadAll(*w), "hello WORLD!");
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "small"), "hello WORLD!");
  EXPECT_EQ(store_.Calls(FakeObjectStore::Op::kCreateMultipartUpload), 0);
}

TEST_F(CacheWriterModifyTest, TruncateShrinksIntoCopiedPartsAndGrowsWithZeros) {
  OpenCache();
  std::string data = TestBytes(4 * kTestPart + 99);
  Put("t", data);
  auto w = Modify("t");
  ASSERT_TRUE(w->Truncate(kTestPart + 10).ok());
  data.resize(kTestPart + 10);
  EXPECT_EQ(ReadAll(*w), data);
  ASSERT_TRUE(w->Truncate(3 * kTestPart).ok());
  data.resize(3 * kTestPart, '\0');
  EXPECT_EQ(ReadAll(*w), data);
  Status finished = w->Finish();
  ASSERT_TRUE(finished.ok()) << finished.ToString();
  EXPECT_EQ(ReadObjectOrError(store_, "t"), data);
  EXPECT_EQ(cache_->CachedBytes(), 0u);
}

// The fs layer's loop: a NeedsCheckpoint completes the version and the
// operation is retried on an in-place change of the result.
class ShadowedFile {
 public:
  ShadowedFile(WriteCache& cache, FakeObjectStore& store, std::string key)
      : cache_(cache), store_(store), key_(std::move(key)) {
    auto w = cache_.StartWrite(key_, {});
    EXPECT_TRUE(w.ok());
    writer_ = *w;
  }

  void Write(uint64_t offset, const std::string& bytes) {
    // As write(2) callers do: a short count is followed by a write of the rest.
    size_t done = 0;
    for (int round = 0; done < bytes.size() && round < 4; ++round) {
      Retry([&] {
        auto written = writer_->Write(offset + done, bytes.data() + done, bytes.size() - done);
        if (written.ok()) done += *written;
        return written.status();
      });
    }
    ASSERT_EQ(done, bytes.size());
    if (shadow_.size() < offset + bytes.size()) shadow_.resize(offset + bytes.size(), '\0');
    shadow_.replace(offset, bytes.size(), bytes);
  }

  void Truncate(uint64_t size) {
    Retry([&] { return writer_->Truncate(size); });
    shadow_.resize(size, '\0');
  }

  void Checkpoint() {
    Status finished = writer_->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
    ++checkpoints;
    auto info = store_.HeadObject(key_);
    ASSERT_TRUE(info.ok());
    auto w = info->size == 0 ? cache_.StartWrite(key_, {})
                             : cache_.StartModify(key_, {}, info->size, info->etag);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = *w;
  }

  std::string Read() {
    std::string out(writer_->Size(), '\0');
    auto got = writer_->Read(0, out.size(), out.data());
    if (got.status().code() == Status::Code::kNeedsCheckpoint) {
      Checkpoint();
      return Read();
    }
    if (!got.ok()) return "<" + got.status().ToString() + ">";
    out.resize(*got);
    return out;
  }

  FileWriter& writer() { return *writer_; }
  const std::string& shadow() const { return shadow_; }
  int checkpoints = 0;

 private:
  template <typename Op>
  void Retry(Op op) {
    Status status = op();
    if (status.code() == Status::Code::kNeedsCheckpoint) {
      Checkpoint();
      status = op();
    }
    ASSERT_TRUE(status.ok()) << status.ToString();
  }

  WriteCache& cache_;
  FakeObjectStore& store_;
  std::string key_;
  std::shared_ptr<FileWriter> writer_;
  std::string shadow_;
};

TEST_F(CacheWriterModifyTest, RandomOperationsMatchAShadow) {
  options_.cache_size = 16 * kTestPart;  // small: clean copies are dropped, checkpoints happen
  OpenCache();
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    const std::string key = "rand" + std::to_string(seed);
    ShadowedFile file(*cache_, store_, key);
    const uint64_t max_size = 6 * kTestPart;
    for (int op = 0; op < 300; ++op) {
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 6) {
        uint64_t offset = rng() % max_size;
        size_t len = 1 + rng() % (kTestPart + kTestPart / 2);
        file.Write(offset, TestBytes(len, rng()));
      } else if (kind < 7) {
        file.Write(file.shadow().size(), TestBytes(1 + rng() % 5000, rng()));  // append
      } else if (kind < 9) {
        uint64_t size = rng() % max_size;
        file.Truncate(size);
      } else {
        file.Checkpoint();
        ASSERT_EQ(ReadObjectOrError(store_, key), file.shadow());
      }
      if (::testing::Test::HasFatalFailure()) return;
      ASSERT_EQ(file.writer().Size(), file.shadow().size()) << "op " << op;
      if (op % 7 == 0) {
        ASSERT_EQ(file.Read(), file.shadow()) << "op " << op;
      }
    }
    ASSERT_TRUE(file.writer().Finish().ok());
    EXPECT_EQ(ReadObjectOrError(store_, key), file.shadow());
  }
  EXPECT_EQ(cache_->CachedBytes(), 0u);
  EXPECT_EQ(store_.OpenUploads(), 0u);
}

TEST_F(CacheWriterModifyTest, CrashAfterChangesCompletesTheNewVersion) {
  OpenCache();
  std::string data = TestBytes(3 * kTestPart + 500);
  Put("c", data);
  {
    auto w = Modify("c");
    ASSERT_TRUE(w->Write(100, "changed", 7).ok());
    ASSERT_TRUE(w->Write(data.size(), "tail", 4).ok());
    ASSERT_TRUE(w->Sync().ok());
  }  // the writer is dropped unfinished: a crash as far as the journal knows
  data.replace(100, 7, "changed");
  data += "tail";
  cache_.reset();
  EXPECT_EQ(ReadObjectOrError(store_, "c").size(), 3 * kTestPart + 500);  // old version still
  OpenCache();
  ASSERT_TRUE(cache_->StartRecovery().ok());
  cache_->WaitForRecovery();
  EXPECT_EQ(ReadObjectOrError(store_, "c"), data);
  EXPECT_EQ(store_.OpenUploads(), 0u);
}

TEST_F(CacheWriterModifyTest, CrashWhileCopyingTheBaseKeepsTheOldObject) {
  OpenCache();
  std::string data = TestBytes(3 * kTestPart + 500);
  Put("l", data);
  auto info = store_.HeadObject("l");
  ASSERT_TRUE(info.ok());
  // A record journaled as loading with its upload created, as a crash leaves it.
  FileRecord record;
  record.file_id = *cache_->journal().AllocateFileId();
  record.endpoint = options_.endpoint;
  record.bucket = options_.bucket;
  record.key = "l";
  record.base_part_size = kTestPart;
  record.parts_per_step = 1000;
  record.size = 0;
  record.base_state = BaseState::kLoading;
  record.base_size = info->size;
  record.base_etag = info->etag;
  auto upload = store_.CreateMultipartUpload("l", {});
  ASSERT_TRUE(upload.ok());
  record.upload_id = *upload;
  ASSERT_TRUE(store_.UploadPartCopy("l", *upload, 1, "l", 0, kTestPart - 1).ok());
  ASSERT_TRUE(cache_->journal().PutFile(record).ok());
  std::filesystem::create_directories(options_.cache_dir + "/files/" +
                                      std::to_string(record.file_id));
  cache_.reset();
  OpenCache();
  ASSERT_TRUE(cache_->StartRecovery().ok());
  cache_->WaitForRecovery();
  EXPECT_EQ(ReadObjectOrError(store_, "l"), data);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  auto files = cache_->journal().ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

TEST_F(CacheWriterModifyTest, FailedCopyLeavesTheObjectAndNoUpload) {
  OpenCache();
  std::string data = TestBytes(3 * kTestPart);
  Put("f", data);
  auto info = store_.HeadObject("f");
  ASSERT_TRUE(info.ok());
  store_.FailOperation(FakeObjectStore::Op::kUploadPart, Status::Unavailable("injected"));
  auto w = cache_->StartModify("f", {}, info->size, info->etag);
  EXPECT_FALSE(w.ok());
  store_.ClearFaults();
  EXPECT_EQ(ReadObjectOrError(store_, "f"), data);
  EXPECT_EQ(store_.OpenUploads(), 0u);
  auto files = cache_->journal().ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_TRUE(files->empty());
}

TEST_F(CacheWriterModifyTest, ReadWhileWritingSeesEveryByteIncludingHoles) {
  OpenCache();
  auto w = Start("rw");
  std::string shadow;
  auto write = [&](uint64_t off, const std::string& bytes) {
    ASSERT_TRUE(w->Write(off, bytes.data(), bytes.size()).ok());
    if (shadow.size() < off + bytes.size()) shadow.resize(off + bytes.size(), '\0');
    shadow.replace(off, bytes.size(), bytes);
  };
  char probe;
  ASSERT_TRUE(w->Read(0, 1, &probe).ok());  // a reader: uploaded parts are kept
  write(0, TestBytes(kTestPart + 100, 1));
  write(3 * kTestPart + 5, "after a hole");
  ASSERT_TRUE(w->Sync().ok());
  EXPECT_EQ(ReadAll(*w), shadow);
  write(10, "into part one");
  EXPECT_EQ(ReadAll(*w), shadow);
  std::string mid(300, '\0');
  auto got = w->Read(kTestPart - 100, 300, mid.data());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(mid, shadow.substr(kTestPart - 100, 300));
  ASSERT_TRUE(w->Finish().ok());
  EXPECT_EQ(ReadObjectOrError(store_, "rw"), shadow);
}

}  // namespace
}  // namespace partfs::testing
