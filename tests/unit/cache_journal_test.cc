#include "cache/journal.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "cache/journal_codec.h"
#include "tests/support/temp_dir.h"
#include "transfer/hashing.h"

namespace partfs {
namespace {

FileRecord SampleRecord(uint64_t id) {
  FileRecord r;
  r.file_id = id;
  r.endpoint = "http://127.0.0.1:8080";
  r.bucket = "bucket";
  r.key = "dir/file-" + std::to_string(id) + ".bin";
  r.upload_id = "upload-" + std::to_string(id);
  r.base_part_size = 8ull << 20;
  r.parts_per_step = 1000;
  r.state = UploadState::kPendingComplete;
  r.size = 123456789012ull;
  r.created_at = 1700000000;
  r.updated_at = -5;
  r.last_error = "Unavailable: timeout";
  r.metadata = {{"mode", "33188"}, {"mtime", "1700000000"}, {"empty", ""}};
  r.base_state = BaseState::kLoaded;
  r.base_size = 987654321;
  r.base_etag = "0123456789abcdef0123456789abcdef-3";
  return r;
}

PartRecord SamplePart(uint32_t number) {
  std::string data = "part " + std::to_string(number);
  return PartRecord{number, data.size() * 1000, HexEncode(Md5(data)), Md5(data)};
}

void ExpectSameRecord(const FileRecord& a, const FileRecord& b) {
  EXPECT_EQ(a.file_id, b.file_id);
  EXPECT_EQ(a.endpoint, b.endpoint);
  EXPECT_EQ(a.bucket, b.bucket);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.upload_id, b.upload_id);
  EXPECT_EQ(a.base_part_size, b.base_part_size);
  EXPECT_EQ(a.parts_per_step, b.parts_per_step);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(a.updated_at, b.updated_at);
  EXPECT_EQ(a.last_error, b.last_error);
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.base_state, b.base_state);
  EXPECT_EQ(a.base_size, b.base_size);
  EXPECT_EQ(a.base_etag, b.base_etag);
}

TEST(CacheJournalCodecTest, FileRecordRoundTrip) {
  FileRecord r = SampleRecord(42);
  auto decoded = DecodeFileRecord(EncodeFileRecord(r));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameRecord(r, *decoded);
}

TEST(CacheJournalCodecTest, PartRecordRoundTrip) {
  PartRecord p = SamplePart(7);
  auto decoded = DecodePartRecord(EncodePartRecord(p));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->number, 7u);
  EXPECT_EQ(decoded->size, p.size);
  EXPECT_EQ(decoded->etag, p.etag);
  EXPECT_EQ(decoded->md5, p.md5);
}

TEST(CacheJournalCodecTest, EveryDamagedByteIsDetected) {
  std::string good = EncodeFileRecord(SampleRecord(3));
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto decoded = DecodeFileRecord(bad);
    ASSERT_FALSE(decoded.ok()) << "flip at byte " << i;
    EXPECT_EQ(decoded.status().code(), Status::Code::kCorruption);
  }
  std::string part = EncodePartRecord(SamplePart(1));
  part[part.size() / 2] ^= 1;
  EXPECT_EQ(DecodePartRecord(part).status().code(), Status::Code::kCorruption);
}

TEST(CacheJournalCodecTest, TruncatedAndEmptyRecordsAreCorruption) {
  std::string good = EncodeFileRecord(SampleRecord(3));
  for (size_t len : {size_t{0}, size_t{1}, size_t{5}, good.size() - 1}) {
    EXPECT_EQ(DecodeFileRecord(good.substr(0, len)).status().code(), Status::Code::kCorruption)
        << len;
  }
  EXPECT_EQ(DecodeU64("1234567").status().code(), Status::Code::kCorruption);
}

// Version 2 rename records carry the directory-rename flag; version 1 ones
// (written before it existed) still decode, as renames of one key.
TEST(CacheJournalCodecTest, RenameRecordPrefixFlagAndVersionOne) {
  RenameRecord rename;
  rename.id = 7;
  rename.endpoint = "http://127.0.0.1:8080";
  rename.bucket = "bucket";
  rename.from = "a/b/";
  rename.to = "a/c/";
  rename.created_at = 1700000000;
  rename.prefix = true;
  std::string encoded = EncodeRenameRecord(rename);
  auto decoded = DecodeRenameRecord(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->prefix);
  EXPECT_EQ(decoded->from, "a/b/");
  EXPECT_EQ(decoded->to, "a/c/");
  // Version 1: no flag byte.
  std::string v1 = encoded.substr(0, encoded.size() - 5);
  v1[0] = 1;
  const uint32_t crc = Crc32(v1);
  for (int i = 0; i < 4; ++i) v1.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  auto old = DecodeRenameRecord(v1);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_FALSE(old->prefix);
  EXPECT_EQ(old->to, "a/c/");
}

// Version 4 file records carry the O_EXCL flag; version 3 ones (written
// before it existed) still decode, as ordinary files.
TEST(CacheJournalCodecTest, FileRecordExclusiveFlagAndVersionThree) {
  FileRecord record = SampleRecord(9);
  record.exclusive = true;
  std::string encoded = EncodeFileRecord(record);
  auto decoded = DecodeFileRecord(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_TRUE(decoded->exclusive);
  EXPECT_EQ(decoded->key, record.key);
  record.exclusive = false;
  auto plain = DecodeFileRecord(EncodeFileRecord(record));
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->exclusive);
  // Version 3: no flag byte.
  std::string v3 = encoded.substr(0, encoded.size() - 5);
  v3[0] = 3;
  const uint32_t crc = Crc32(v3);
  for (int i = 0; i < 4; ++i) v3.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  auto old = DecodeFileRecord(v3);
  ASSERT_TRUE(old.ok()) << old.status().ToString();
  EXPECT_FALSE(old->exclusive);
  EXPECT_EQ(old->base_etag, record.base_etag);
}

TEST(CacheJournalCodecTest, KeysAreBigEndianSoTheySortByNumber) {
  EXPECT_LT(FileKey(255), FileKey(256));
  EXPECT_LT(PartKey(1, 9), PartKey(1, 10));
  EXPECT_LT(PartKey(1, 70000), PartKey(2, 1));
  uint64_t id = 0;
  uint32_t number = 0;
  ASSERT_TRUE(ParsePartKey(PartKey(0x0102030405060708ull, 513), &id, &number).ok());
  EXPECT_EQ(id, 0x0102030405060708ull);
  EXPECT_EQ(number, 513u);
  EXPECT_EQ(FileKey(1), std::string("\0\0\0\0\0\0\0\1", 8));
}

TEST(CacheJournalTest, CrudAndPartsInOrder) {
  testing::TempDir dir("partfs-journal");
  auto journal = Journal::Open(dir.Sub("journal"), false);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  Journal& j = **journal;
  struct stat st;
  ASSERT_EQ(stat(dir.Sub("journal").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);

  auto id1 = j.AllocateFileId();
  auto id2 = j.AllocateFileId();
  ASSERT_TRUE(id1.ok() && id2.ok());
  EXPECT_LT(*id1, *id2);
  // Ids 255 and 256 straddle a byte boundary of the big-endian key.
  for (uint64_t id : {*id1, uint64_t{255}, uint64_t{256}}) {
    ASSERT_TRUE(j.PutFile(SampleRecord(id)).ok());
  }
  for (uint32_t n : {3u, 1u, 300u, 2u}) ASSERT_TRUE(j.PutPart(255, SamplePart(n)).ok());
  ASSERT_TRUE(j.PutPart(256, SamplePart(1)).ok());

  auto got = j.GetFile(255);
  ASSERT_TRUE(got.ok());
  ExpectSameRecord(SampleRecord(255), *got);
  EXPECT_TRUE(j.GetFile(999).status().IsNotFound());

  auto parts = j.GetParts(255);
  ASSERT_TRUE(parts.ok());
  ASSERT_EQ(parts->size(), 4u);
  EXPECT_EQ((*parts)[0].number, 1u);
  EXPECT_EQ((*parts)[1].number, 2u);
  EXPECT_EQ((*parts)[2].number, 3u);
  EXPECT_EQ((*parts)[3].number, 300u);
  EXPECT_EQ((*parts)[3].md5, SamplePart(300).md5);

  auto files = j.ListFiles();
  ASSERT_TRUE(files.ok());
  EXPECT_EQ(files->size(), 3u);

  ASSERT_TRUE(j.DeleteFile(255).ok());
  EXPECT_TRUE(j.GetFile(255).status().IsNotFound());
  EXPECT_TRUE(j.GetParts(255)->empty());
  EXPECT_EQ(j.GetParts(256)->size(), 1u);  // the neighbour keeps its parts
  EXPECT_EQ(j.ListFiles()->size(), 2u);
  EXPECT_TRUE(j.DeleteFile(255).ok());  // deleting twice is fine
}

TEST(CacheJournalTest, DeletePartAndDeletePartsFromForgetOnlyTheirParts) {
  testing::TempDir dir("partfs-journal");
  auto journal = Journal::Open(dir.Sub("journal"), false);
  ASSERT_TRUE(journal.ok()) << journal.status().ToString();
  Journal& j = **journal;
  for (uint64_t id : {uint64_t{7}, uint64_t{8}}) {
    ASSERT_TRUE(j.PutFile(SampleRecord(id)).ok());
    for (uint32_t n = 1; n <= 6; ++n) ASSERT_TRUE(j.PutPart(id, SamplePart(n)).ok());
  }
  ASSERT_TRUE(j.DeletePart(7, 2).ok());
  ASSERT_TRUE(j.DeletePart(7, 2).ok());  // twice is fine
  ASSERT_TRUE(j.DeletePartsFrom(7, 5).ok());
  auto parts = j.GetParts(7);
  ASSERT_TRUE(parts.ok());
  std::vector<uint32_t> left;
  for (const auto& part : *parts) left.push_back(part.number);
  EXPECT_EQ(left, (std::vector<uint32_t>{1, 3, 4}));
  EXPECT_EQ(j.GetParts(8)->size(), 6u);  // the neighbour keeps every part
  ASSERT_TRUE(j.DeletePartsFrom(7, 1).ok());
  EXPECT_TRUE(j.GetParts(7)->empty());
  EXPECT_EQ(j.GetParts(8)->size(), 6u);
  ASSERT_TRUE(j.DeletePartsFrom(8, 100).ok());  // nothing at or above 100
  EXPECT_EQ(j.GetParts(8)->size(), 6u);
}

TEST(CacheJournalTest, StatePersistsAcrossReopen) {
  testing::TempDir dir("partfs-journal");
  uint64_t last = 0;
  {
    auto j = Journal::Open(dir.Sub("journal"), false);
    ASSERT_TRUE(j.ok());
    last = *(*j)->AllocateFileId();
    ASSERT_TRUE((*j)->PutFile(SampleRecord(last)).ok());
    ASSERT_TRUE((*j)->PutPart(last, SamplePart(1)).ok());
  }
  auto j = Journal::Open(dir.Sub("journal"), false);
  ASSERT_TRUE(j.ok());
  EXPECT_GT(*(*j)->AllocateFileId(), last);
  EXPECT_TRUE((*j)->GetFile(last).ok());
  EXPECT_EQ((*j)->GetParts(last)->size(), 1u);
}

TEST(CacheJournalTest, ReadOnlyOpenWhileOpenForWriting) {
  testing::TempDir dir("partfs-journal");
  auto writer = Journal::Open(dir.Sub("journal"), false);
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE((*writer)->PutFile(SampleRecord(5)).ok());
  auto reader = Journal::Open(dir.Sub("journal"), true);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  EXPECT_EQ((*reader)->ListFiles()->size(), 1u);
  // The reader sees later commits of the writer.
  ASSERT_TRUE((*writer)->PutFile(SampleRecord(6)).ok());
  EXPECT_EQ((*reader)->ListFiles()->size(), 2u);
  EXPECT_EQ((*reader)->PutFile(SampleRecord(7)).code(), Status::Code::kPermissionDenied);
  EXPECT_FALSE((*reader)->AllocateFileId().ok());
}

TEST(CacheJournalTest, ReadOnlyOpenOfMissingJournalFails) {
  testing::TempDir dir("partfs-journal");
  auto reader = Journal::Open(dir.Sub("nothing"), true);
  ASSERT_FALSE(reader.ok());
  EXPECT_TRUE(reader.status().IsNotFound()) << reader.status().ToString();
}

}  // namespace
}  // namespace partfs
