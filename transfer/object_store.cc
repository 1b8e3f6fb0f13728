#include "transfer/object_store.h"

#include "transfer/hashing.h"

namespace partfs {
namespace {

// Caps on the pages a listing may take, so a server whose pagination never
// ends cannot loop us forever. Not part limits: ListParts stops far below its
// cap (no provider allows more than 10,000 parts, and a page holds >= 1 part).
constexpr int kMaxListPartsPages = 10001;
constexpr int kMaxListUploadsPages = 100000;

}  // namespace

Result<std::vector<PartEntry>> ListAllParts(ObjectStore& store, const std::string& key,
                                            const std::string& upload_id) {
  std::vector<PartEntry> all;
  uint32_t marker = 0;
  for (int page = 0; page < kMaxListPartsPages; ++page) {
    auto result = store.ListParts(key, upload_id, marker, 0);
    if (!result.ok()) return result.status();
    for (auto& p : result->parts) all.push_back(std::move(p));
    if (!result->truncated) return all;
    if (result->next_part_number_marker <= marker) {
      return Status::IOError("ListParts pagination did not advance for " + key);
    }
    marker = result->next_part_number_marker;
  }
  return Status::IOError("ListParts returned too many pages for " + key);
}

Result<std::vector<UploadEntry>> ListAllUploads(ObjectStore& store, const std::string& prefix) {
  std::vector<UploadEntry> all;
  std::string key_marker, upload_id_marker;
  for (int page = 0; page < kMaxListUploadsPages; ++page) {
    auto result = store.ListMultipartUploads(prefix, key_marker, upload_id_marker, 0);
    if (!result.ok()) return result.status();
    for (auto& u : result->uploads) all.push_back(std::move(u));
    if (!result->truncated) return all;
    if (result->next_key_marker == key_marker &&
        result->next_upload_id_marker == upload_id_marker) {
      return Status::IOError("ListMultipartUploads pagination did not advance");
    }
    key_marker = result->next_key_marker;
    upload_id_marker = result->next_upload_id_marker;
  }
  return Status::IOError("ListMultipartUploads returned too many pages");
}

std::string MultipartEtag(const std::vector<std::string>& part_md5s) {
  std::string concatenated;
  concatenated.reserve(part_md5s.size() * 16);
  for (const auto& md5 : part_md5s) concatenated += md5;
  return HexEncode(Md5(concatenated)) + "-" + std::to_string(part_md5s.size());
}

std::string StripEtagQuotes(std::string_view etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') {
    etag = etag.substr(1, etag.size() - 2);
  }
  return std::string(etag);
}

Result<std::string> ObjectStore::PutObjectIfAbsent(const std::string& key, const FileRange& body,
                                                   const UserMetadata& metadata,
                                                   const std::string& content_md5_base64) {
  return PutObject(key, body, metadata, content_md5_base64);
}

Result<std::string> ObjectStore::PutObjectFromStringIfAbsent(const std::string& key,
                                                             const std::string& data,
                                                             const UserMetadata& metadata) {
  return PutObjectFromString(key, data, metadata);
}

Result<std::string> ObjectStore::CompleteMultipartUploadIfAbsent(
    const std::string& key, const std::string& upload_id, const std::vector<CompletedPart>& parts,
    const std::string& expected_etag) {
  return CompleteMultipartUpload(key, upload_id, parts, expected_etag);
}

}  // namespace partfs
