#include "cache/journal_codec.h"

#include <array>

#include "cache/digest.h"

namespace partfs {
namespace {

// Appends fixed-width little-endian integers and length-prefixed strings.
class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U32(uint32_t v) { Fixed(v, 4); }
  void U64(uint64_t v) { Fixed(v, 8); }
  void I64(int64_t v) { Fixed(static_cast<uint64_t>(v), 8); }
  void Str(const std::string& s) {
    U32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  // A count, then each name and value.
  void Metadata(const UserMetadata& metadata) {
    U32(static_cast<uint32_t>(metadata.size()));
    for (const auto& [name, value] : metadata) {
      Str(name);
      Str(value);
    }
  }
  // Appends the CRC of everything written so far and returns the buffer.
  std::string Finish() {
    U32(Crc32(out_));
    return std::move(out_);
  }

 private:
  void Fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  std::string out_;
};

// Reads what Writer wrote; every read fails (sticky) instead of running past the end.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}

  bool U8(uint8_t* v) {
    uint64_t x;
    if (!Fixed(1, &x)) return false;
    *v = static_cast<uint8_t>(x);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t x;
    if (!Fixed(4, &x)) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool U64(uint64_t* v) { return Fixed(8, v); }
  bool I64(int64_t* v) {
    uint64_t x;
    if (!Fixed(8, &x)) return false;
    *v = static_cast<int64_t>(x);
    return true;
  }
  bool Str(std::string* s) {
    uint32_t len;
    if (!U32(&len) || len > data_.size() - pos_) return false;
    s->assign(data_.substr(pos_, len));
    pos_ += len;
    return true;
  }
  // What Writer::Metadata wrote.
  bool Metadata(UserMetadata* metadata) {
    uint32_t count = 0;
    if (!U32(&count)) return false;
    for (uint32_t i = 0; i < count; ++i) {
      std::string name, value;
      if (!Str(&name) || !Str(&value)) return false;
      (*metadata)[std::move(name)] = std::move(value);
    }
    return true;
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  bool Fixed(int bytes, uint64_t* v) {
    if (data_.size() - pos_ < static_cast<size_t>(bytes)) return false;
    uint64_t x = 0;
    for (int i = 0; i < bytes; ++i) {
      x |= static_cast<uint64_t>(static_cast<unsigned char>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += bytes;
    *v = x;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

// Checks the trailing CRC and returns the payload before it.
Result<std::string_view> CheckedPayload(std::string_view data, const char* what) {
  if (data.size() < 5) return Status::Corruption(std::string(what) + " record is truncated");
  std::string_view payload = data.substr(0, data.size() - 4);
  uint32_t stored = 0;
  Reader trailer(data.substr(data.size() - 4));
  trailer.U32(&stored);
  if (stored != Crc32(payload)) {
    return Status::Corruption(std::string(what) + " record checksum mismatch");
  }
  return payload;
}

void PutBigEndian(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetBigEndian(std::string_view in) {
  uint64_t v = 0;
  for (unsigned char c : in) v = (v << 8) | c;
  return v;
}

}  // namespace

uint32_t Crc32(std::string_view data) {
  static const std::array<uint32_t, 256> kTable = [] {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table[i] = c;
    }
    return table;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) crc = kTable[(crc ^ c) & 0xff] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

std::string FileKey(uint64_t file_id) {
  std::string key;
  PutBigEndian(&key, file_id, 8);
  return key;
}

std::string PartKey(uint64_t file_id, uint32_t part_number) {
  std::string key;
  PutBigEndian(&key, file_id, 8);
  PutBigEndian(&key, part_number, 4);
  return key;
}

Status ParsePartKey(std::string_view key, uint64_t* file_id, uint32_t* part_number) {
  if (key.size() != 12) return Status::Corruption("journal part key has the wrong length");
  *file_id = GetBigEndian(key.substr(0, 8));
  *part_number = static_cast<uint32_t>(GetBigEndian(key.substr(8, 4)));
  return Status::OK();
}

Result<uint64_t> ParseFileKey(std::string_view key) {
  if (key.size() != 8) return Status::Corruption("journal file key has the wrong length");
  return GetBigEndian(key);
}

std::string EncodeFileRecord(const FileRecord& r) {
  Writer w;
  w.U8(kFileRecordVersion);
  w.U64(r.file_id);
  w.Str(r.endpoint);
  w.Str(r.bucket);
  w.Str(r.key);
  w.Str(r.upload_id);
  w.U64(r.base_part_size);
  w.U32(r.parts_per_step);
  w.U8(static_cast<uint8_t>(r.state));
  w.U64(r.size);
  w.I64(r.created_at);
  w.I64(r.updated_at);
  w.Str(r.last_error);
  w.Metadata(r.metadata);
  w.U64(r.accepted_size);
  w.Str(r.boot_id);
  w.I64(r.upload_intent_at);
  w.Str(r.completed_etag);
  w.U32(r.retries);
  w.I64(r.retry_at);
  w.U8(static_cast<uint8_t>(r.base_state));
  w.U64(r.base_size);
  w.Str(r.base_etag);
  w.U8(r.exclusive ? 1 : 0);
  return w.Finish();
}

Result<FileRecord> DecodeFileRecord(std::string_view data) {
  auto payload = CheckedPayload(data, "journal file");
  if (!payload.ok()) return payload.status();
  Reader r(*payload);
  FileRecord rec;
  uint8_t version = 0, state = 0;
  bool ok = r.U8(&version) && version >= 1 && version <= kFileRecordVersion &&
            r.U64(&rec.file_id) && r.Str(&rec.endpoint) && r.Str(&rec.bucket) && r.Str(&rec.key) &&
            r.Str(&rec.upload_id) && r.U64(&rec.base_part_size) && r.U32(&rec.parts_per_step) &&
            r.U8(&state) && r.U64(&rec.size) && r.I64(&rec.created_at) && r.I64(&rec.updated_at) &&
            r.Str(&rec.last_error);
  if (!ok) return Status::Corruption("journal file record is damaged or of an unknown version");
  if (state < static_cast<uint8_t>(UploadState::kWriting) ||
      state > static_cast<uint8_t>(UploadState::kCompleted)) {
    return Status::Corruption("journal file record has an invalid state " + std::to_string(state));
  }
  rec.state = static_cast<UploadState>(state);
  if (!r.Metadata(&rec.metadata)) {
    return Status::Corruption("journal file record has damaged metadata");
  }
  if (version >= 2 &&
      !(r.U64(&rec.accepted_size) && r.Str(&rec.boot_id) && r.I64(&rec.upload_intent_at) &&
        r.Str(&rec.completed_etag) && r.U32(&rec.retries) && r.I64(&rec.retry_at))) {
    return Status::Corruption("journal file record (version 2) is truncated");
  }
  uint8_t base_state = 0;
  if (version >= 3 && !(r.U8(&base_state) && r.U64(&rec.base_size) && r.Str(&rec.base_etag))) {
    return Status::Corruption("journal file record (version 3) is truncated");
  }
  if (base_state > static_cast<uint8_t>(BaseState::kLoaded)) {
    return Status::Corruption("journal file record has an invalid base state " +
                              std::to_string(base_state));
  }
  rec.base_state = static_cast<BaseState>(base_state);
  uint8_t exclusive = 0;
  if (version >= 4 && !r.U8(&exclusive)) {
    return Status::Corruption("journal file record (version 4) is truncated");
  }
  if (exclusive > 1) return Status::Corruption("journal file record has an invalid O_EXCL flag");
  rec.exclusive = exclusive == 1;
  if (!r.AtEnd()) return Status::Corruption("journal file record has trailing bytes");
  return rec;
}

std::string EncodeRenameRecord(const RenameRecord& rename) {
  Writer w;
  w.U8(kRenameRecordVersion);
  w.U64(rename.id);
  w.Str(rename.endpoint);
  w.Str(rename.bucket);
  w.Str(rename.from);
  w.Str(rename.to);
  w.I64(rename.created_at);
  w.U8(rename.prefix ? 1 : 0);
  return w.Finish();
}

Result<RenameRecord> DecodeRenameRecord(std::string_view data) {
  auto payload = CheckedPayload(data, "journal rename");
  if (!payload.ok()) return payload.status();
  Reader r(*payload);
  RenameRecord rec;
  uint8_t version = 0;
  bool ok = r.U8(&version) && (version == 1 || version == kRenameRecordVersion) && r.U64(&rec.id) &&
            r.Str(&rec.endpoint) && r.Str(&rec.bucket) && r.Str(&rec.from) && r.Str(&rec.to) &&
            r.I64(&rec.created_at);
  uint8_t prefix = 0;
  if (ok && version >= 2) ok = r.U8(&prefix) && prefix <= 1;
  if (!ok || !r.AtEnd()) return Status::Corruption("journal rename record is damaged");
  rec.prefix = prefix == 1;
  return rec;
}

std::string PendingMetadataKey(const std::string& endpoint, const std::string& bucket,
                               const std::string& key) {
  Md5Hasher hasher;
  for (const std::string* part : {&endpoint, &bucket, &key}) {
    hasher.Update(part->data(), part->size());
    hasher.Update("", 1);
  }
  return hasher.Digest();
}

std::string EncodePendingMetadata(const PendingMetadataRecord& record) {
  Writer w;
  w.U8(kPendingMetadataVersion);
  w.Str(record.endpoint);
  w.Str(record.bucket);
  w.Str(record.key);
  w.Str(record.etag);
  w.U64(record.size);
  w.Metadata(record.metadata);
  w.I64(record.updated_at);
  return w.Finish();
}

Result<PendingMetadataRecord> DecodePendingMetadata(std::string_view data) {
  auto payload = CheckedPayload(data, "journal pending metadata");
  if (!payload.ok()) return payload.status();
  Reader r(*payload);
  PendingMetadataRecord rec;
  uint8_t version = 0;
  bool ok = r.U8(&version) && version == kPendingMetadataVersion && r.Str(&rec.endpoint) &&
            r.Str(&rec.bucket) && r.Str(&rec.key) && r.Str(&rec.etag) && r.U64(&rec.size) &&
            r.Metadata(&rec.metadata) && r.I64(&rec.updated_at);
  if (!ok || !r.AtEnd()) return Status::Corruption("journal pending metadata record is damaged");
  return rec;
}

std::string EncodePartRecord(const PartRecord& p) {
  Writer w;
  w.U8(kPartRecordVersion);
  w.U32(p.number);
  w.U64(p.size);
  w.Str(p.etag);
  w.Str(p.md5);
  return w.Finish();
}

Result<PartRecord> DecodePartRecord(std::string_view data) {
  auto payload = CheckedPayload(data, "journal part");
  if (!payload.ok()) return payload.status();
  Reader r(*payload);
  PartRecord part;
  uint8_t version = 0;
  bool ok = r.U8(&version) && version == kPartRecordVersion && r.U32(&part.number) &&
            r.U64(&part.size) && r.Str(&part.etag) && r.Str(&part.md5) && r.AtEnd();
  if (!ok) return Status::Corruption("journal part record is damaged or of an unknown version");
  if (part.number == 0) return Status::Corruption("journal part record has part number 0");
  if (part.md5.size() != 16) return Status::Corruption("journal part record MD5 is not 16 bytes");
  return part;
}

std::string EncodeU64(uint64_t value) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  return out;
}

Result<uint64_t> DecodeU64(std::string_view data) {
  if (data.size() != 8) return Status::Corruption("journal meta value has the wrong length");
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(data[i]);
  return v;
}

}  // namespace partfs
