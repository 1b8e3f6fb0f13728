// Crash recovery and orphan GC against the real local S3 server (Swift s3api):
// journal + part-file states as a crashed writer leaves them, resumed with
// RecoveryRunner; checks what the server really holds afterwards.
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/orphan_gc.h"
#include "cache/part_schedule.h"
#include "cache/recovery.h"
#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/s3_test_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_data.h"
#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kPart = 5ull << 20;
constexpr uint64_t kSize = 3 * kPart + 123457;  // 4 parts

class RecoveryIntegrationTest : public TransferBucketTest {
 protected:
  void SetUp() override {
    TransferBucketTest::SetUp();
    if (HasFatalFailure()) return;
    layout_ = std::make_unique<CacheLayout>(dir_.path());
    ASSERT_EQ(::mkdir(layout_->FilesDir().c_str(), 0700), 0);
    auto journal = Journal::Open(layout_->JournalDir(), false);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::move(journal).value();
    cache_options_.cache_dir = dir_.path();
    cache_options_.endpoint = endpoint_.url;
    cache_options_.bucket = options_.bucket;
    cache_options_.part_size = kPart;
    cache_options_.logger = Logger::Quiet();
  }

  std::string Part(const std::string& data, uint32_t n) const {
    PartSchedule s(kPart, PartSchedule::kDefaultPartsPerStep, cache_options_.profile.max_part_size,
                   cache_options_.profile.max_part_count);
    uint64_t start = s.PartStart(n);
    return data.substr(start, std::min<uint64_t>(s.PartSize(n), data.size() - start));
  }

  uint64_t NewRecord(const std::string& key, const std::string& upload_id, uint64_t size = 0) {
    auto id = journal_->AllocateFileId();
    EXPECT_TRUE(id.ok());
    FileRecord r;
    r.file_id = *id;
    r.endpoint = endpoint_.url;
    r.bucket = options_.bucket;
    r.key = key;
    r.upload_id = upload_id;
    r.base_part_size = kPart;
    r.parts_per_step = PartSchedule::kDefaultPartsPerStep;
    r.size = size;
    r.created_at = r.updated_at = ::time(nullptr);
    r.metadata = {{"mode", "33188"}};
    EXPECT_TRUE(journal_->PutFile(r).ok());
    EXPECT_EQ(::mkdir(layout_->FileDir(r.file_id).c_str(), 0700), 0);
    return r.file_id;
  }

  std::string SendPart(const std::string& key, const std::string& upload, uint32_t n,
                       const std::string& bytes) {
    auto etag = UploadPartBytes(*store_, key, upload, n, bytes, dir_.Sub("send.tmp"));
    EXPECT_TRUE(etag.ok()) << etag.status().ToString();
    return etag.ok() ? *etag : "";
  }

  void Uploaded(uint64_t id, const std::string& key, const std::string& upload, uint32_t n,
                const std::string& bytes) {
    std::string etag = SendPart(key, upload, n, bytes);
    ASSERT_TRUE(journal_->PutPart(id, PartRecord{n, bytes.size(), etag, Md5(bytes)}).ok());
  }

  void Cached(uint64_t id, uint32_t n, const std::string& bytes) {
    WriteBytesToFile(layout_->PartPath(id, n), bytes);
  }

  std::string Create(const std::string& key) {
    auto upload = store_->CreateMultipartUpload(key, {{"mode", "33188"}});
    EXPECT_TRUE(upload.ok()) << upload.status().ToString();
    return upload.ok() ? *upload : "";
  }

  std::string Read(const std::string& key) {
    auto info = store_->HeadObject(key);
    if (!info.ok()) return "<missing>";
    std::string buf(info->size, '\0');
    auto n = store_->GetObject(key, 0, info->size, buf.data());
    if (!n.ok()) return "<unreadable>";
    buf.resize(*n);
    return buf;
  }

  // The server log may lag a little behind the requests.
  int UploadPartRequests(int at_least) {
    int count = 0;
    for (int i = 0; i < 50; ++i) {
      count = CountUploadPartRequests(endpoint_, options_.bucket);
      if (count >= at_least) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return CountUploadPartRequests(endpoint_, options_.bucket);
  }

  RecoveryRunner Runner() { return RecoveryRunner(*layout_, *journal_, *store_, cache_options_); }

  TempDir dir_{"partfs-recovery-it"};
  std::unique_ptr<CacheLayout> layout_;
  std::unique_ptr<Journal> journal_;
  CacheOptions cache_options_;
};

TEST_F(RecoveryIntegrationTest, ResumesAndSendsOnlyMissingParts) {
  const std::string data = TestBytes(kSize, 1);
  const std::string upload = Create("dir/resume.bin");
  const uint64_t id = NewRecord("dir/resume.bin", upload);
  Uploaded(id, "dir/resume.bin", upload, 1, Part(data, 1));
  Uploaded(id, "dir/resume.bin", upload, 2, Part(data, 2));
  Cached(id, 3, Part(data, 3));
  Cached(id, 4, Part(data, 4));
  const int before = UploadPartRequests(2);

  RecoveryRunner runner = Runner();
  Status st = runner.ResumeFile(id);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(runner.LastResult(id).parts_resent, 2u);
  EXPECT_EQ(UploadPartRequests(before + 2) - before, 2);
  EXPECT_TRUE(Read("dir/resume.bin") == data);
  auto info = store_->HeadObject("dir/resume.bin");
  ASSERT_TRUE(info.ok());
  std::vector<std::string> md5s;
  for (uint32_t n = 1; n <= 4; ++n) md5s.push_back(Md5(Part(data, n)));
  EXPECT_EQ(info->etag, MultipartEtag(md5s));
  EXPECT_EQ(info->user_metadata["mode"], "33188");
  EXPECT_FALSE(journal_->GetFile(id).ok());
  EXPECT_FALSE(std::filesystem::exists(layout_->FileDir(id)));
}

// Swift keeps answering ListParts after Complete: "completed" must come from HEAD + ETag.
TEST_F(RecoveryIntegrationTest, CompletedButNotJournaledIsRecognisedByEtag) {
  const std::string data = TestBytes(kSize, 2);
  const std::string upload = Create("done.bin");
  const uint64_t id = NewRecord("done.bin", upload, kSize);
  std::vector<CompletedPart> parts;
  std::vector<std::string> md5s;
  for (uint32_t n = 1; n <= 4; ++n) {
    Uploaded(id, "done.bin", upload, n, Part(data, n));
    parts.push_back({n, HexEncode(Md5(Part(data, n)))});
    md5s.push_back(Md5(Part(data, n)));
  }
  ASSERT_TRUE(store_->CompleteMultipartUpload("done.bin", upload, parts, MultipartEtag(md5s)).ok());
  const int before = UploadPartRequests(4);

  RecoveryRunner runner = Runner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kAlreadyCompleted);
  EXPECT_EQ(UploadPartRequests(before) - before, 0);
  EXPECT_TRUE(Read("done.bin") == data);
  EXPECT_FALSE(journal_->GetFile(id).ok());
}

TEST_F(RecoveryIntegrationTest, AllPartsUploadedCompleteOnlyNoPartResent) {
  const std::string data = TestBytes(kSize, 3);
  const std::string upload = Create("all-parts.bin");
  const uint64_t id = NewRecord("all-parts.bin", upload, kSize);
  for (uint32_t n = 1; n <= 4; ++n) Uploaded(id, "all-parts.bin", upload, n, Part(data, n));
  const int before = UploadPartRequests(4);

  RecoveryRunner runner = Runner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kCompleted);
  EXPECT_EQ(runner.LastResult(id).parts_resent, 0u);
  EXPECT_EQ(UploadPartRequests(before) - before, 0);
  EXPECT_TRUE(Read("all-parts.bin") == data);
}

TEST_F(RecoveryIntegrationTest, AdoptsAnUnjournaledServerPartByMd5) {
  const std::string data = TestBytes(kSize, 4);
  const std::string upload = Create("adopt.bin");
  const uint64_t id = NewRecord("adopt.bin", upload);
  Uploaded(id, "adopt.bin", upload, 1, Part(data, 1));
  SendPart("adopt.bin", upload, 2, Part(data, 2));  // crash before PutPart
  for (uint32_t n = 2; n <= 4; ++n) Cached(id, n, Part(data, n));

  RecoveryRunner runner = Runner();
  ASSERT_TRUE(runner.ResumeFile(id).ok());
  EXPECT_EQ(runner.LastResult(id).parts_adopted, 1u);
  EXPECT_EQ(runner.LastResult(id).parts_resent, 2u);
  EXPECT_TRUE(Read("adopt.bin") == data);
}

TEST_F(RecoveryIntegrationTest, AbortedUploadFailsCleanlyAndKeepsData) {
  const std::string data = TestBytes(kSize, 5);
  const std::string upload = Create("aborted.bin");
  const uint64_t id = NewRecord("aborted.bin", upload);
  Uploaded(id, "aborted.bin", upload, 1, Part(data, 1));
  for (uint32_t n = 2; n <= 4; ++n) Cached(id, n, Part(data, n));
  ASSERT_TRUE(store_->AbortMultipartUpload("aborted.bin", upload).ok());

  RecoveryRunner runner = Runner();
  Status st = runner.ResumeFile(id);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(runner.LastResult(id).outcome, RecoveryOutcome::kFailed);
  EXPECT_FALSE(store_->HeadObject("aborted.bin").ok());
  auto record = journal_->GetFile(id);
  ASSERT_TRUE(record.ok());
  EXPECT_EQ(record->state, UploadState::kFailed);
  const std::string lost = layout_->LostFoundDir() + "/" + std::to_string(id);
  for (uint32_t n = 2; n <= 4; ++n) {
    EXPECT_TRUE(std::filesystem::exists(lost + "/part-" + std::to_string(n))) << n;
  }
}

TEST_F(RecoveryIntegrationTest, ResumeAllRecoversEightFilesInParallel) {
  std::vector<std::string> datas;
  for (uint32_t i = 0; i < 8; ++i) {
    const std::string key = "par/" + std::to_string(i);
    datas.push_back(TestBytes(2 * kPart + 1000 * (i + 1), 10 + i));
    const std::string upload = Create(key);
    const uint64_t id = NewRecord(key, upload);
    Uploaded(id, key, upload, 1, Part(datas[i], 1));
    Cached(id, 2, Part(datas[i], 2));
    Cached(id, 3, Part(datas[i], 3));
  }
  RecoveryRunner runner = Runner();
  RecoveryReport report = runner.ResumeAll(4);
  EXPECT_EQ(report.files_completed, 8u);
  EXPECT_EQ(report.parts_resent, 16u);
  for (uint32_t i = 0; i < 8; ++i) EXPECT_TRUE(Read("par/" + std::to_string(i)) == datas[i]) << i;
}

TEST_F(RecoveryIntegrationTest, GcAbortsOrphansButNotTrackedUploads) {
  const std::string orphan = Create("gc/orphan");
  const std::string tracked = Create("gc/tracked");
  const std::string outside = Create("elsewhere/orphan");
  NewRecord("gc/tracked", tracked);

  GcOptions options;
  options.prefix = "gc/";
  options.dry_run = true;
  options.now = ::time(nullptr) + 2 * 86400;
  auto dry = AbortOrphanUploads(*store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  EXPECT_EQ(dry->would_abort, 1u);
  EXPECT_EQ(dry->tracked, 1u);
  auto all = ListAllUploads(*store_, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);

  options.dry_run = false;
  auto real = AbortOrphanUploads(*store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(real.ok());
  EXPECT_EQ(real->aborted, 1u);
  auto remaining = ListAllUploads(*store_, "");
  ASSERT_TRUE(remaining.ok());
  std::set<std::string> left;
  for (const auto& u : *remaining) left.insert(u.upload_id);
  EXPECT_EQ(left, (std::set<std::string>{tracked, outside}));
}

}  // namespace
}  // namespace partfs::testing
