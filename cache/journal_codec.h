// Binary encoding of journal keys and records (the LMDB schema of cache/journal.h).
//
// Values: a version byte, fixed-width little-endian integers, strings as a
// u32 little-endian length followed by the bytes, and a trailing CRC-32 of
// everything before it. Keys are big-endian so LMDB's byte order sorts them
// by number. Decoding validates every length, enum and the checksum and
// returns Corruption on damage. Pure functions, thread-safe.
#ifndef PARTFS_CACHE_JOURNAL_CODEC_H_
#define PARTFS_CACHE_JOURNAL_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "cache/journal.h"

namespace partfs {

// Version 2 appends accepted_size, boot_id, upload_intent_at, completed_etag,
// retries and retry_at to version 1; version 3 appends base_state, base_size
// and base_etag. Older records still decode.
inline constexpr uint8_t kFileRecordVersion = 4;
inline constexpr uint8_t kPartRecordVersion = 1;
// Version 2 appends the prefix flag (u8 0/1, a directory rename); version 1
// records still decode (as renames of one key).
inline constexpr uint8_t kRenameRecordVersion = 2;

// "files" key: 8-byte big-endian file id.
std::string FileKey(uint64_t file_id);
// "parts" key: 8-byte big-endian file id + 4-byte big-endian part number.
std::string PartKey(uint64_t file_id, uint32_t part_number);
// Splits a "parts" key; Corruption when it is not 12 bytes.
Status ParsePartKey(std::string_view key, uint64_t* file_id, uint32_t* part_number);
Result<uint64_t> ParseFileKey(std::string_view key);

std::string EncodeFileRecord(const FileRecord& record);
Result<FileRecord> DecodeFileRecord(std::string_view data);
std::string EncodePartRecord(const PartRecord& part);
std::string EncodeRenameRecord(const RenameRecord& rename);
Result<RenameRecord> DecodeRenameRecord(std::string_view data);
Result<PartRecord> DecodePartRecord(std::string_view data);

inline constexpr uint8_t kPendingMetadataVersion = 1;
// "pending_metadata" key: the raw MD5 of endpoint, bucket and key (each
// followed by a NUL): S3 keys may be longer than LMDB's 511-byte key limit.
// The value holds the full names, checked on read.
std::string PendingMetadataKey(const std::string& endpoint, const std::string& bucket,
                               const std::string& key);
std::string EncodePendingMetadata(const PendingMetadataRecord& record);
Result<PendingMetadataRecord> DecodePendingMetadata(std::string_view data);

// "meta" values: plain little-endian u64.
std::string EncodeU64(uint64_t value);
Result<uint64_t> DecodeU64(std::string_view data);

// CRC-32 (IEEE 802.3, reflected, as in zlib) of `data`.
uint32_t Crc32(std::string_view data);

}  // namespace partfs

#endif  // PARTFS_CACHE_JOURNAL_CODEC_H_
