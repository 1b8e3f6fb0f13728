// Orphan-upload GC and the `partfs status` report.
#include <atomic>
#include <ctime>
#include <functional>

#include <gtest/gtest.h>

#include "cache/orphan_gc.h"
#include "cache/status_report.h"
#include "fs/status_format.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {
namespace {

using RecoveryGcTest = RecoveryFixture;
using RecoveryStatusTest = RecoveryFixture;

constexpr int64_t kTwoDays = 2 * 86400;

// A CountingStore that runs a hook while listing uploads and before each abort,
// the moments a live mount may journal an upload behind gc's back.
class HookedStore : public CountingStore {
 public:
  using CountingStore::CountingStore;
  std::function<void()> on_list;
  std::function<void(const std::string& key)> on_abort;

  Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                               const std::string& key_marker,
                                               const std::string& upload_id_marker,
                                               uint32_t max_uploads) override {
    if (on_list) on_list();
    return CountingStore::ListMultipartUploads(prefix, key_marker, upload_id_marker, max_uploads);
  }
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id) override {
    if (on_abort) on_abort(key);
    return CountingStore::AbortMultipartUpload(key, upload_id);
  }
};

std::set<std::string> OpenUploads(ObjectStore& store, const std::string& prefix = "") {
  std::set<std::string> ids;
  auto uploads = ListAllUploads(store, prefix);
  EXPECT_TRUE(uploads.ok());
  if (uploads.ok()) {
    for (const auto& u : *uploads) ids.insert(u.upload_id);
  }
  return ids;
}

TEST_F(RecoveryGcTest, AbortsOnlyOldUploadsTheJournalDoesNotKnow) {
  const std::string orphan = Create("data/orphan");
  const std::string tracked = Create("data/tracked");
  NewRecord("data/tracked", tracked);

  GcOptions options;
  options.older_than_seconds = 86400;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(report->tracked, 1u);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{tracked});
}

TEST_F(RecoveryGcTest, KeepsUploadsYoungerThanTheThreshold) {
  const std::string orphan = Create("young");
  GcOptions options;
  options.older_than_seconds = 86400;  // started just now: far younger
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->too_young, 1u);
  EXPECT_EQ(report->aborted, 0u);
  EXPECT_EQ(store_.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_).count(orphan), 1u);

  options.older_than_seconds = kMinGcAgeSeconds;
  options.now = ::time(nullptr) + kMinGcAgeSeconds + 5;
  report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->aborted, 1u);
}

TEST_F(RecoveryGcTest, RefusesAgesBelowTheSafeFloor) {
  const std::string orphan = Create("young");
  GcOptions options;
  options.older_than_seconds = kMinGcAgeSeconds - 1;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(report.status().message().find("safe floor of 1h"), std::string::npos)
      << report.status().ToString();
  EXPECT_EQ(store_.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_).count(orphan), 1u);

  EXPECT_TRUE(CheckGcAge("--older-than 1h", 3600).ok());
  Status low = CheckGcAge("--older-than 59m", 59 * 60);
  EXPECT_EQ(low.message(),
            "--older-than 59m is below the safe floor of 1h for gc ages (a younger upload may "
            "belong to a writer that has not journaled it yet)");
}

// A mount journals an upload id only after CreateMultipartUpload returns; the
// listing may take long. gc reads the journal after it.
TEST_F(RecoveryGcTest, KeepsAnUploadJournaledWhileListing) {
  const std::string live = Create("data/live");
  HookedStore store(&fake_);
  store.on_list = [&] {
    if (journal_->ListFiles()->empty()) NewRecord("data/live", live);
  };
  GcOptions options;
  options.bucket = kRecBucket;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->tracked, 1u);
  EXPECT_EQ(report->aborted, 0u);
  EXPECT_EQ(store.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_).count(live), 1u);
}

// A record of the bucket for the same key (no upload id yet: its writer is
// between StartWrite and journaling the id) keeps the upload; one of another
// bucket does not.
TEST_F(RecoveryGcTest, KeepsAnUploadWhoseKeyAJournalRecordOfTheBucketHas) {
  const std::string pending = Create("data/pending");
  const std::string elsewhere = Create("data/elsewhere");
  NewRecord("data/pending");
  NewRecord("data/elsewhere", "", UploadState::kWriting, 0, "another-bucket");
  GcOptions options;
  options.bucket = kRecBucket;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->tracked_key, 1u);
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{pending});
  for (const auto& e : report->entries) {
    if (e.upload.upload_id == pending) {
      EXPECT_EQ(e.action, GcAction::kTrackedKey);
      EXPECT_EQ(GcActionName(e.action), "kept-tracked-key");
    }
  }
}

// The journal is read again right before each abort: a writer that started on
// a key after the listing keeps that key's upload.
TEST_F(RecoveryGcTest, ReadsTheJournalAgainBeforeEachAbort) {
  const std::string first = Create("a/first");
  const std::string second = Create("a/second");
  HookedStore store(&fake_);
  store.on_abort = [&](const std::string& key) {
    if (key == "a/first") NewRecord("a/second");  // a mount starts writing a/second
  };
  GcOptions options;
  options.bucket = kRecBucket;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(report->tracked_key, 1u);
  EXPECT_EQ(store.aborts.load(), 1);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{second});
}

// A journal that cannot be read before an abort means no abort.
TEST_F(RecoveryGcTest, NoAbortWhenTheJournalCannotBeReadAgain) {
  const std::string orphan = Create("orphan");
  int reads = 0;
  TrackedSource source = [&]() -> Result<TrackedUploads> {
    if (++reads > 1) return Status::IOError("journal is broken: test");
    return TrackedUploads{};
  };
  GcOptions options;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, source, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->failed, 1u);
  ASSERT_EQ(report->entries.size(), 1u);
  EXPECT_EQ(report->entries[0].action, GcAction::kAbortFailed);
  EXPECT_NE(report->entries[0].error.find("journal is broken"), std::string::npos);
  EXPECT_EQ(store_.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_).count(orphan), 1u);
}

// ListParts reports one part with LastModified `part_time` (0: the store's own
// answer), and counts the calls.
class PartTimeStore : public CountingStore {
 public:
  using CountingStore::CountingStore;
  int64_t part_time = 0;
  std::atomic<int> list_parts{0};

  Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                  uint32_t marker, uint32_t max_parts) override {
    ++list_parts;
    auto page = CountingStore::ListParts(key, upload_id, marker, max_parts);
    if (!page.ok() || part_time == 0) return page;
    page->parts = {PartEntry{1, 5 << 20, "etag", part_time}};
    return page;
  }
};

// Another host's live upload: initiated long ago, its newest part recent.
TEST_F(RecoveryGcTest, AgesAnUploadByItsNewestPart) {
  const std::string busy = Create("data/busy");
  PartTimeStore store(&fake_);
  GcOptions options;
  options.now = ::time(nullptr) + kTwoDays;
  options.older_than_seconds = 86400;
  store.part_time = options.now - 60;  // a part a minute ago
  auto report = AbortOrphanUploads(store, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->too_young, 1u);
  EXPECT_EQ(report->aborted, 0u);
  ASSERT_EQ(report->entries.size(), 1u);
  EXPECT_EQ(report->entries[0].last_activity, options.now - 60);
  EXPECT_EQ(store.aborts.load(), 0);
  EXPECT_EQ(store.list_parts.load(), 1);

  store.part_time = options.now - 2 * 86400 + 10;  // its newest part is old too
  report = AbortOrphanUploads(store, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(OpenUploads(fake_).count(busy), 0u);
}

// ListParts only for uploads already older than the cutoff by initiation.
TEST_F(RecoveryGcTest, AsksListPartsOnlyForOldCandidates) {
  Create("young");
  PartTimeStore store(&fake_);
  GcOptions options;
  options.older_than_seconds = 86400;
  auto report = AbortOrphanUploads(store, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->too_young, 1u);
  EXPECT_EQ(store.list_parts.load(), 0);
}

// The test hook lowers the floor; the default stays 1h.
TEST_F(RecoveryGcTest, TestFloorOverride) {
  GcOptions options;
  options.older_than_seconds = 5;
  options.min_age_seconds = 2;
  options.now = ::time(nullptr) + 60;
  Create("orphan");
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(CheckGcAge("--older-than 1s", 1, 2).message(),
            "--older-than 1s is below the safe floor of 2s for gc ages (a younger upload may "
            "belong to a writer that has not journaled it yet)");
}

TEST_F(RecoveryGcTest, DryRunChangesNothing) {
  const std::string a = Create("a"), b = Create("b");
  GcOptions options;
  options.dry_run = true;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->would_abort, 2u);
  EXPECT_EQ(report->aborted, 0u);
  EXPECT_EQ(store_.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_), (std::set<std::string>{a, b}));
  for (const auto& e : report->entries) EXPECT_EQ(e.action, GcAction::kWouldAbort);
}

TEST_F(RecoveryGcTest, StaysUnderThePrefix) {
  const std::string inside = Create("photos/x.jpg"), outside = Create("videos/y.mp4");
  GcOptions options;
  options.prefix = "photos/";
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{outside});
}

TEST_F(RecoveryGcTest, NeverAbortsAFailedRecordsUpload) {
  // A record recovery gave up on still owns the server's parts (the only copy).
  const std::string upload = Create("failed");
  NewRecord("failed", upload, UploadState::kFailed);
  GcOptions options;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = AbortOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tracked, 1u);
  EXPECT_EQ(store_.aborts.load(), 0);
}

TEST_F(RecoveryStatusTest, ReportsProgressOfEachRecord) {
  const std::string data = TestBytes(3 * kRecPartSize + 100, 1);
  const std::string upload = Create("big \"quoted\".bin");
  const uint64_t id = NewRecord("big \"quoted\".bin", upload);
  UploadedPart(id, "big \"quoted\".bin", upload, 1, PartBytes(data, 1));
  UploadedPart(id, "big \"quoted\".bin", upload, 2, PartBytes(data, 2));
  CachedPart(id, 3, PartBytes(data, 3));
  CachedPart(id, 4, PartBytes(data, 4));
  FileRecord failed = *journal_->GetFile(NewRecord("broken", "", UploadState::kFailed));
  failed.last_error = "UploadPart 3: Unavailable: connection refused";
  ASSERT_TRUE(journal_->PutFile(failed).ok());
  journal_.reset();  // status opens the journal itself (read-only)

  auto report = ReadStatusReport(dir_.path(), options_.profile, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->files.size(), 2u);
  const FileStatus& f = report->files[0];
  EXPECT_EQ(f.key, "big \"quoted\".bin");
  EXPECT_EQ(f.parts_uploaded, 2u);
  EXPECT_EQ(f.parts_total, 4u);
  EXPECT_EQ(f.bytes_uploaded, 2 * kRecPartSize);
  EXPECT_EQ(f.bytes_cached, kRecPartSize + 100);
  EXPECT_EQ(f.size, data.size());
  EXPECT_GE(f.age_seconds, 59);
  EXPECT_EQ(report->files[1].state, UploadState::kFailed);

  std::string table = FormatStatusTable(*report);
  EXPECT_NE(table.find("big \"quoted\".bin"), std::string::npos) << table;
  EXPECT_NE(table.find("2/4"), std::string::npos) << table;
  EXPECT_NE(table.find("writing"), std::string::npos) << table;
  EXPECT_NE(table.find("error: UploadPart 3: Unavailable"), std::string::npos) << table;
  EXPECT_NE(table.find("not mounted"), std::string::npos) << table;

  std::string json = FormatStatusJson(*report);
  EXPECT_NE(json.find("\"key\":\"big \\\"quoted\\\".bin\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"parts_uploaded\":2,\"parts_total\":4"), std::string::npos) << json;
  EXPECT_NE(json.find("\"bytes_uploaded\":" + std::to_string(2 * kRecPartSize)), std::string::npos);
  EXPECT_NE(json.find("\"state\":\"failed\""), std::string::npos);
  EXPECT_NE(json.find("\"last_error\":\"UploadPart 3: Unavailable: connection refused\""),
            std::string::npos);
}

TEST_F(RecoveryStatusTest, MissingMiddlePartDoesNotShrinkTheTotal) {
  const std::string data = TestBytes(5 * kRecPartSize + 100, 2);
  const std::string upload = Create("holey.bin");
  const uint64_t id = NewRecord("holey.bin", upload);
  UploadedPart(id, "holey.bin", upload, 1, PartBytes(data, 1));
  // Part 2 is lost; parts 3..6 are still cached.
  for (uint32_t n = 3; n <= 6; ++n) CachedPart(id, n, PartBytes(data, n));
  journal_.reset();

  auto report = ReadStatusReport(dir_.path(), options_.profile, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->files.size(), 1u);
  EXPECT_EQ(report->files[0].parts_uploaded, 1u);
  EXPECT_EQ(report->files[0].parts_total, 6u);
}

TEST_F(RecoveryStatusTest, EmptyJournalAndMissingJournal) {
  journal_.reset();
  auto report = ReadStatusReport(dir_.path(), options_.profile, 0);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->files.empty());
  EXPECT_NE(FormatStatusTable(*report).find("no uploads in flight"), std::string::npos);
  EXPECT_EQ(FormatStatusJson(*report).find("\"files\":[]") != std::string::npos, true);

  auto missing = ReadStatusReport(dir_.Sub("nope"), options_.profile, 0);
  EXPECT_TRUE(missing.status().IsNotFound());
}

TEST(RecoveryStatusFormatTest, HumanUnits) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1536), "1.5 KiB");
  EXPECT_EQ(HumanBytes(5ull << 30), "5.0 GiB");
  EXPECT_EQ(HumanAge(45), "45s");
  EXPECT_EQ(HumanAge(192), "3m12s");
  EXPECT_EQ(HumanAge(7500), "2h05m");
  EXPECT_EQ(HumanAge(3 * 86400 + 4 * 3600), "3d04h");
}

}  // namespace
}  // namespace partfs::testing
