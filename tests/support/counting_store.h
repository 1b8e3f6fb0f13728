// CountingStore: an ObjectStore wrapper for tests that counts the calls a
// component makes (uploads, completes, HEADs, lists...) and can fail UploadPart
// with Unavailable, while every call goes on to the inner store (the fake or
// an S3 client). Thread-safe when the inner store is; does not own `inner`,
// which must outlive it.
#ifndef PARTFS_TESTS_SUPPORT_COUNTING_STORE_H_
#define PARTFS_TESTS_SUPPORT_COUNTING_STORE_H_

#include <atomic>
#include <string>
#include <vector>

#include "transfer/object_store.h"

namespace partfs::testing {

// Delegates to an inner store; counts calls and can fail UploadPart/Complete.
class CountingStore : public ObjectStore {
 public:
  explicit CountingStore(ObjectStore* inner) : inner_(inner) {}

  std::atomic<int> upload_parts{0}, completes{0}, puts{0}, creates{0}, heads{0}, lists{0},
      aborts{0}, gets{0}, part_copies{0};
  std::atomic<uint64_t> get_bytes{0};         // bytes GetObject returned
  std::atomic<bool> fail_upload_part{false};  // Unavailable from UploadPart

  Status HeadBucket() override { return inner_->HeadBucket(); }
  Result<ObjectInfo> HeadObject(const std::string& key) override {
    ++heads;
    return inner_->HeadObject(key);
  }
  Result<uint64_t> GetObject(const std::string& key, uint64_t offset, uint64_t length,
                             char* buf) override {
    ++gets;
    auto got = inner_->GetObject(key, offset, length, buf);
    if (got.ok()) get_bytes += *got;
    return got;
  }
  Result<std::string> PutObject(const std::string& key, const FileRange& body,
                                const UserMetadata& metadata,
                                const std::string& content_md5_base64) override {
    ++puts;
    return inner_->PutObject(key, body, metadata, content_md5_base64);
  }
  Result<std::string> PutObjectFromString(const std::string& key, const std::string& data,
                                          const UserMetadata& metadata) override {
    ++puts;
    return inner_->PutObjectFromString(key, data, metadata);
  }
  Status DeleteObject(const std::string& key) override { return inner_->DeleteObject(key); }
  Result<std::vector<std::string>> DeleteObjects(const std::vector<std::string>& keys) override {
    return inner_->DeleteObjects(keys);
  }
  Result<ListObjectsPage> ListObjects(const std::string& prefix, const std::string& delimiter,
                                      const std::string& token, uint32_t max_keys) override {
    return inner_->ListObjects(prefix, delimiter, token, max_keys);
  }
  Result<std::string> CopyObject(const std::string& source_key, const std::string& dest_key,
                                 MetadataDirective directive,
                                 const UserMetadata& metadata) override {
    return inner_->CopyObject(source_key, dest_key, directive, metadata);
  }
  Result<std::string> CreateMultipartUpload(const std::string& key,
                                            const UserMetadata& metadata) override {
    ++creates;
    return inner_->CreateMultipartUpload(key, metadata);
  }
  Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                 uint32_t part_number, const FileRange& body,
                                 const std::string& content_md5_base64) override {
    ++upload_parts;
    if (fail_upload_part.load()) return Status::Unavailable("injected: connection refused");
    return inner_->UploadPart(key, upload_id, part_number, body, content_md5_base64);
  }
  Result<std::string> UploadPartCopy(const std::string& key, const std::string& upload_id,
                                     uint32_t part_number, const std::string& source_key,
                                     uint64_t first, uint64_t last) override {
    ++part_copies;
    return inner_->UploadPartCopy(key, upload_id, part_number, source_key, first, last);
  }
  Result<std::string> CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                              const std::vector<CompletedPart>& parts,
                                              const std::string& expected_etag) override {
    ++completes;
    return inner_->CompleteMultipartUpload(key, upload_id, parts, expected_etag);
  }
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id) override {
    ++aborts;
    return inner_->AbortMultipartUpload(key, upload_id);
  }
  Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                  uint32_t marker, uint32_t max_parts) override {
    ++lists;
    return inner_->ListParts(key, upload_id, marker, max_parts);
  }
  Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                               const std::string& key_marker,
                                               const std::string& upload_id_marker,
                                               uint32_t max_uploads) override {
    return inner_->ListMultipartUploads(prefix, key_marker, upload_id_marker, max_uploads);
  }

 private:
  ObjectStore* inner_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_COUNTING_STORE_H_
