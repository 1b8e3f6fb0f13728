// The journal's pending metadata records (cache/journal.h PendingMetadataRecord):
// codec round trip and damage, one record per key, durable across a reopen.
#include <gtest/gtest.h>

#include "cache/journal.h"
#include "cache/journal_codec.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

PendingMetadataRecord SampleChange(const std::string& key) {
  PendingMetadataRecord r;
  r.endpoint = "http://127.0.0.1:8080";
  r.bucket = "bucket";
  r.key = key;
  r.etag = "0123456789abcdef0123456789abcdef";
  r.size = 123456789012ull;
  r.metadata = {{"mode", "33188"}, {"mtime", "1700000000"}, {"empty", ""}};
  r.updated_at = 1700000001;
  return r;
}

void ExpectSameChange(const PendingMetadataRecord& a, const PendingMetadataRecord& b) {
  EXPECT_EQ(a.endpoint, b.endpoint);
  EXPECT_EQ(a.bucket, b.bucket);
  EXPECT_EQ(a.key, b.key);
  EXPECT_EQ(a.etag, b.etag);
  EXPECT_EQ(a.size, b.size);
  EXPECT_EQ(a.metadata, b.metadata);
  EXPECT_EQ(a.updated_at, b.updated_at);
}

TEST(CachePendingMetadataCodecTest, RoundTrip) {
  auto record = SampleChange("dir/file");
  auto decoded = DecodePendingMetadata(EncodePendingMetadata(record));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ExpectSameChange(*decoded, record);
  record.metadata.clear();  // no metadata at all still round-trips
  decoded = DecodePendingMetadata(EncodePendingMetadata(record));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->metadata.empty());
}

TEST(CachePendingMetadataCodecTest, EveryDamagedByteIsDetected) {
  const std::string encoded = EncodePendingMetadata(SampleChange("k"));
  for (size_t i = 0; i < encoded.size(); ++i) {
    std::string damaged = encoded;
    damaged[i] ^= 0x20;
    EXPECT_FALSE(DecodePendingMetadata(damaged).ok()) << "byte " << i;
  }
  EXPECT_FALSE(DecodePendingMetadata(encoded.substr(0, encoded.size() - 1)).ok());
  EXPECT_FALSE(DecodePendingMetadata("").ok());
}

TEST(CachePendingMetadataCodecTest, KeysDifferPerEndpointBucketAndKey) {
  const std::string key = PendingMetadataKey("e", "b", "k");
  EXPECT_EQ(key.size(), 16u);  // fits LMDB's key limit whatever the S3 key's length
  EXPECT_NE(key, PendingMetadataKey("e", "b", "k2"));
  EXPECT_NE(key, PendingMetadataKey("e", "b2", "k"));
  EXPECT_NE(key, PendingMetadataKey("e2", "b", "k"));
  EXPECT_NE(PendingMetadataKey("ab", "c", "k"), PendingMetadataKey("a", "bc", "k"));
}

TEST(CachePendingMetadataJournalTest, OneRecordPerKeyReplacedDroppedAndDurable) {
  testing::TempDir dir("partfs-journal");
  const std::string long_key(1000, 'x');  // longer than LMDB's 511-byte keys
  {
    auto j = Journal::Open(dir.Sub("journal"), false);
    ASSERT_TRUE(j.ok());
    ASSERT_TRUE((*j)->PutPendingMetadata(SampleChange("a")).ok());
    ASSERT_TRUE((*j)->PutPendingMetadata(SampleChange(long_key)).ok());
    auto later = SampleChange("a");
    later.metadata["mode"] = "33261";  // a later chmod replaces the key's record
    ASSERT_TRUE((*j)->PutPendingMetadata(later).ok());
    ASSERT_TRUE((*j)->PutPendingMetadata(SampleChange("gone")).ok());
    ASSERT_TRUE((*j)->DropPendingMetadata(SampleChange("gone").endpoint, "bucket", "gone").ok());
    ASSERT_TRUE((*j)->DropPendingMetadata("x", "y", "never there").ok());
  }
  auto j = Journal::Open(dir.Sub("journal"), false);
  ASSERT_TRUE(j.ok());
  auto records = (*j)->ListPendingMetadata();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  std::map<std::string, PendingMetadataRecord> by_key;
  for (auto& record : *records) by_key[record.key] = record;
  EXPECT_EQ(by_key.at("a").metadata.at("mode"), "33261");
  ExpectSameChange(by_key.at(long_key), SampleChange(long_key));
  // A read-only view (partfs status) sees them too.
  auto reader = Journal::Open(dir.Sub("journal"), true);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->ListPendingMetadata()->size(), 2u);
}

}  // namespace
}  // namespace partfs
