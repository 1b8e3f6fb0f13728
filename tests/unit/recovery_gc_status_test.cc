// Orphan-upload GC and the `partfs status` report.
#include <ctime>

#include <gtest/gtest.h>

#include "cache/orphan_gc.h"
#include "cache/status_report.h"
#include "tests/unit/recovery_fixture.h"

namespace partfs::testing {
namespace {

using RecoveryGcTest = RecoveryFixture;
using RecoveryStatusTest = RecoveryFixture;

constexpr int64_t kTwoDays = 2 * 86400;

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
  auto report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(report->tracked, 1u);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{tracked});
}

TEST_F(RecoveryGcTest, KeepsUploadsYoungerThanTheThreshold) {
  const std::string orphan = Create("young");
  GcOptions options;
  options.older_than_seconds = 86400;  // started just now: far younger
  auto report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->too_young, 1u);
  EXPECT_EQ(report->aborted, 0u);
  EXPECT_EQ(store_.aborts.load(), 0);
  EXPECT_EQ(OpenUploads(fake_).count(orphan), 1u);

  options.older_than_seconds = 0;
  options.now = ::time(nullptr) + 5;
  report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->aborted, 1u);
}

TEST_F(RecoveryGcTest, DryRunChangesNothing) {
  const std::string a = Create("a"), b = Create("b");
  GcOptions options;
  options.dry_run = true;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
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
  auto report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->aborted, 1u);
  EXPECT_EQ(OpenUploads(fake_), std::set<std::string>{outside});
}

TEST_F(RecoveryGcTest, NeverAbortsAFailedRecordsUpload) {
  // A record recovery gave up on still owns the server's parts (the only copy).
  const std::string upload = Create("failed");
  NewRecord("failed", upload, UploadState::kFailed);
  GcOptions options;
  options.older_than_seconds = 0;
  options.now = ::time(nullptr) + kTwoDays;
  auto report = CollectOrphanUploads(store_, *journal_, options, Logger::Quiet());
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->tracked, 1u);
  EXPECT_EQ(store_.aborts.load(), 0);
}

TEST(RecoveryGcDurationTest, ParsesUnits) {
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_EQ(*ParseDuration("24h"), 86400);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400);
  EXPECT_EQ(*ParseDuration("45s"), 45);
  EXPECT_EQ(*ParseDuration("90"), 90);
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("3w").ok());
  EXPECT_FALSE(ParseDuration("-1h").ok());
  EXPECT_FALSE(ParseDuration("1.5h").ok());
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

  auto report = BuildStatusReport(dir_.path(), options_.profile, 0);
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

  auto report = BuildStatusReport(dir_.path(), options_.profile, 0);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->files.size(), 1u);
  EXPECT_EQ(report->files[0].parts_uploaded, 1u);
  EXPECT_EQ(report->files[0].parts_total, 6u);
}

TEST_F(RecoveryStatusTest, EmptyJournalAndMissingJournal) {
  journal_.reset();
  auto report = BuildStatusReport(dir_.path(), options_.profile, 0);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->files.empty());
  EXPECT_NE(FormatStatusTable(*report).find("no uploads in flight"), std::string::npos);
  EXPECT_EQ(FormatStatusJson(*report).find("\"files\":[]") != std::string::npos, true);

  auto missing = BuildStatusReport(dir_.Sub("nope"), options_.profile, 0);
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
