// PartUploader over the fake store and a real journal: the durable order of
// one part (UploadPart -> PutPart -> unlink) and of completion, and its named
// errors. The writer and recovery tests cover it inside their pipelines.
#include "cache/part_uploader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>

#include <gtest/gtest.h>

#include "base/unique_fd.h"
#include "tests/support/fake_object_store.h"
#include "tests/support/faulty_journal.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs {
namespace {

using testing::FakeObjectStore;
using testing::FaultyJournal;
using Op = FakeObjectStore::Op;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

class PartUploaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto journal = Journal::Open(dir_.Sub("journal"), false);
    ASSERT_TRUE(journal.ok()) << journal.status().ToString();
    journal_ = std::make_unique<FaultyJournal>(std::move(journal).value());
    auto upload_id = store_.CreateMultipartUpload("k", {});
    ASSERT_TRUE(upload_id.ok());
    target_ = UploadTarget{7, "k", *upload_id};
    uploader_ = std::make_unique<PartUploader>(journal_.get(), &store_, nullptr);
  }

  // A part file holding `data`, open for reading as `fd`.
  PartSource MakePart(uint32_t number, const std::string& data, UniqueFd* fd) {
    const std::string path = dir_.Sub("part-" + std::to_string(number));
    std::ofstream(path, std::ios::binary) << data;
    *fd = UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    return PartSource{number, fd->get(), data.size(), Md5(data), path};
  }

  testing::TempDir dir_;
  FakeObjectStore store_{1};  // any part size may be completed
  std::unique_ptr<FaultyJournal> journal_;
  UploadTarget target_;
  std::unique_ptr<PartUploader> uploader_;  // over journal_, made in SetUp
  PartUploader& Uploader() { return *uploader_; }
};

TEST_F(PartUploaderTest, SendJournalsThePartThenRemovesItsFile) {
  UniqueFd fd;
  PartSource part = MakePart(1, "first part", &fd);
  auto sent = Uploader().Send(target_, part);
  ASSERT_TRUE(sent.ok()) << sent.status().ToString();
  EXPECT_EQ(sent->number, 1u);
  EXPECT_EQ(sent->size, 10u);
  EXPECT_EQ(sent->md5, Md5("first part"));
  EXPECT_EQ(sent->etag, HexEncode(Md5("first part")));
  auto journaled = journal_->GetParts(7);
  ASSERT_TRUE(journaled.ok());
  ASSERT_EQ(journaled->size(), 1u);
  EXPECT_EQ((*journaled)[0].etag, sent->etag);
  EXPECT_EQ(store_.UploadedParts(target_.upload_id), std::vector<uint32_t>{1});
  EXPECT_FALSE(Exists(part.path)) << "journaled parts leave the cache";
}

TEST_F(PartUploaderTest, FailedUploadKeepsTheFileAndJournalsNothing) {
  store_.FailPart(1, Status::Unavailable("injected 503"));
  UniqueFd fd;
  PartSource part = MakePart(1, "data", &fd);
  auto sent = Uploader().Send(target_, part);
  ASSERT_FALSE(sent.ok());
  EXPECT_TRUE(sent.status().IsUnavailable());
  EXPECT_NE(sent.status().message().find("UploadPart 1"), std::string::npos);
  EXPECT_TRUE(journal_->GetParts(7)->empty());
  EXPECT_TRUE(Exists(part.path));
}

// Rule 3 of the durable order: a part the journal lacks stays in the cache.
TEST_F(PartUploaderTest, FailedPutPartKeepsTheFileOfAnUploadedPart) {
  journal_->Fail(FaultyJournal::Method::kPutPart, Status::IOError("injected commit failure"));
  UniqueFd fd;
  PartSource part = MakePart(1, "data", &fd);
  auto sent = Uploader().Send(target_, part);
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.status().code(), Status::Code::kIOError);
  EXPECT_EQ(store_.UploadedParts(target_.upload_id), std::vector<uint32_t>{1});
  EXPECT_TRUE(journal_->GetParts(7)->empty());
  EXPECT_TRUE(Exists(part.path));
}

TEST_F(PartUploaderTest, RecordUploadedJournalsAnAdoptedPartThenRemovesItsFile) {
  UniqueFd fd;
  PartSource part = MakePart(2, "adopted", &fd);
  PartRecord record{2, 7, HexEncode(Md5("adopted")), Md5("adopted")};
  ASSERT_TRUE(Uploader().RecordUploaded(7, record, part.path).ok());
  ASSERT_EQ(journal_->GetParts(7)->size(), 1u);
  EXPECT_FALSE(Exists(part.path));
  EXPECT_EQ(store_.Calls(Op::kUploadPart), 0);
}

TEST_F(PartUploaderTest, CompleteSendsThePartsAndReturnsTheMultipartEtag) {
  std::vector<PartRecord> parts;
  for (uint32_t n = 1; n <= 3; ++n) {
    UniqueFd fd;
    auto sent = Uploader().Send(target_, MakePart(n, "part-" + std::to_string(n), &fd));
    ASSERT_TRUE(sent.ok()) << sent.status().ToString();
    parts.push_back(*sent);
  }
  auto etag = Uploader().Complete(target_, parts, false);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_EQ(*etag, MultipartEtag({Md5("part-1"), Md5("part-2"), Md5("part-3")}));
  EXPECT_EQ(store_.ObjectData("k"), "part-1part-2part-3");
}

TEST_F(PartUploaderTest, MissingPartIsNamedAndNothingIsCompleted) {
  std::vector<PartRecord> parts = {PartRecord{1, 1, "a", Md5("a")},
                                   PartRecord{3, 1, "c", Md5("c")}};
  auto etag = Uploader().Complete(target_, parts, false);
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().code(), Status::Code::kCorruption);
  EXPECT_EQ(etag.status().message(), "part 2 of k is missing");
  EXPECT_EQ(store_.Calls(Op::kCompleteMultipartUpload), 0);
}

TEST_F(PartUploaderTest, FailedCompleteNamesTheKeyAndKeepsTheServerCode) {
  UniqueFd fd;
  auto sent = Uploader().Send(target_, MakePart(1, "x", &fd));
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(store_.AbortMultipartUpload("k", target_.upload_id).ok());
  auto etag = Uploader().Complete(target_, {*sent}, false);
  ASSERT_FALSE(etag.ok());
  EXPECT_EQ(etag.status().remote_code(), "NoSuchUpload");
  EXPECT_NE(etag.status().message().find("CompleteMultipartUpload of k (1 parts)"),
            std::string::npos);
}

TEST_F(PartUploaderTest, RecordCompletedJournalsTheStateAndEtag) {
  FileRecord record;
  record.file_id = 7;
  record.key = "k";
  record.upload_id = target_.upload_id;
  record.state = UploadState::kPendingComplete;
  ASSERT_TRUE(journal_->PutFile(record).ok());
  ASSERT_TRUE(Uploader().RecordCompleted(record, "abc-2").ok());
  auto stored = journal_->GetFile(7);
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(stored->state, UploadState::kCompleted);
  EXPECT_EQ(stored->completed_etag, "abc-2");
}

TEST_F(PartUploaderTest, RecordCompletedOfARetiredRecordIsSuperseded) {
  FileRecord record;
  record.file_id = 7;
  record.key = "k";
  record.state = UploadState::kRetired;
  ASSERT_TRUE(journal_->PutFile(record).ok());
  record.state = UploadState::kPendingComplete;
  Status status = Uploader().RecordCompleted(record, "abc-2");
  EXPECT_EQ(status.code(), Status::Code::kSuperseded);
  EXPECT_TRUE(IsRetired(status));
  EXPECT_EQ(journal_->GetFile(7)->state, UploadState::kRetired) << "retirement is final";
}

TEST(UploadEtagTest, NormalizeDropsQuotesAndCase) {
  EXPECT_EQ(NormalizeEtag("\"ABCdef-3\""), "abcdef-3");
  EXPECT_EQ(NormalizeEtag("abc"), "abc");
  EXPECT_EQ(NormalizeEtag("\""), "\"");
}

}  // namespace
}  // namespace partfs
