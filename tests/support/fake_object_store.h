// FakeObjectStore: an in-memory ObjectStore for unit tests of the cache layer.
//
// Implements objects, user metadata and multipart uploads with S3's rules
// that matter to partfs: ETags are the hex MD5 of the body, a completed
// multipart object gets MultipartEtag() of its parts, Complete rejects a
// non-last part smaller than `min_part_size` with EntityTooSmall, a wrong
// Content-MD5 is BadDigest. Faults can be injected per operation (the next N
// calls or until cleared) and per UploadPart part number; every operation is
// counted; UploadPart can be slowed down to test parallelism and backpressure.
//
// Thread-safe. Not a mock of a real server's quirks: integration tests use the real one.
#ifndef PARTFS_TESTS_SUPPORT_FAKE_OBJECT_STORE_H_
#define PARTFS_TESTS_SUPPORT_FAKE_OBJECT_STORE_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "transfer/object_store.h"

namespace partfs::testing {

class FakeObjectStore : public ObjectStore {
 public:
  enum class Op {
    kHeadObject,
    kGetObject,
    kPutObject,  // PutObject and PutObjectFromString
    kDeleteObject,
    kCopyObject,
    kCreateMultipartUpload,
    kUploadPart,
    kCompleteMultipartUpload,
    kAbortMultipartUpload,
    kListParts,
    kListMultipartUploads,
    kListObjects,
  };

  explicit FakeObjectStore(uint64_t min_part_size = 5ull << 20) : min_part_size_(min_part_size) {}

  // Fault injection. `count` < 0: until ClearFaults().
  void FailOperation(Op op, Status status, int count = -1);
  void FailPart(uint32_t part_number, Status status, int count = -1);
  void ClearFaults();
  void SetUploadPartDelay(std::chrono::milliseconds delay);
  // A broken server: from now on every ListObjects page is truncated and hands
  // out these continuation tokens in turn, cycling ({"t"}: the same token
  // forever). Empty: normal paging.
  void SetListObjectsTokens(std::vector<std::string> tokens);

  // Observation.
  int Calls(Op op) const;
  // Highest number of UploadPart calls that ran at the same time.
  int MaxConcurrentUploads() const;
  std::optional<std::string> ObjectData(const std::string& key) const;
  std::optional<UserMetadata> ObjectMetadata(const std::string& key) const;
  size_t OpenUploads() const;
  // Numbers of the parts uploaded to `upload_id` so far.
  std::vector<uint32_t> UploadedParts(const std::string& upload_id) const;

  // ObjectStore.
  Status HeadBucket() override { return Status::OK(); }
  Result<ObjectInfo> HeadObject(const std::string& key) override;
  Result<uint64_t> GetObject(const std::string& key, uint64_t offset, uint64_t length,
                             char* buf) override;
  Result<std::string> PutObject(const std::string& key, const FileRange& body,
                                const UserMetadata& metadata,
                                const std::string& content_md5_base64) override;
  Result<std::string> PutObjectFromString(const std::string& key, const std::string& data,
                                          const UserMetadata& metadata) override;
  Status DeleteObject(const std::string& key) override;
  Result<std::vector<std::string>> DeleteObjects(const std::vector<std::string>& keys) override;
  Result<ListObjectsPage> ListObjects(const std::string& prefix, const std::string& delimiter,
                                      const std::string& continuation_token,
                                      uint32_t max_keys) override;
  Result<std::string> CopyObject(const std::string& source_key, const std::string& dest_key,
                                 MetadataDirective directive,
                                 const UserMetadata& metadata) override;
  Result<std::string> CreateMultipartUpload(const std::string& key,
                                            const UserMetadata& metadata) override;
  Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                 uint32_t part_number, const FileRange& body,
                                 const std::string& content_md5_base64) override;
  Result<std::string> UploadPartCopy(const std::string& key, const std::string& upload_id,
                                     uint32_t part_number, const std::string& source_key,
                                     uint64_t first, uint64_t last) override;
  Result<std::string> CompleteMultipartUpload(const std::string& key, const std::string& upload_id,
                                              const std::vector<CompletedPart>& parts,
                                              const std::string& expected_etag) override;
  Status AbortMultipartUpload(const std::string& key, const std::string& upload_id) override;
  Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                  uint32_t part_number_marker, uint32_t max_parts) override;
  Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                               const std::string& key_marker,
                                               const std::string& upload_id_marker,
                                               uint32_t max_uploads) override;

 private:
  struct Object {
    std::string data;
    std::string etag;
    UserMetadata metadata;
    int64_t last_modified = 0;
  };
  struct StoredPart {
    std::string data;
    std::string etag;
    std::string md5;
    int64_t last_modified = 0;
  };
  struct Upload {
    std::string key;
    UserMetadata metadata;
    std::map<uint32_t, StoredPart> parts;
    int64_t initiated = 0;
  };
  struct Fault {
    Status status;
    int remaining = -1;
  };

  // Counts the call and returns an injected fault, if any.
  Status Enter(Op op) EXCLUSIVE_LOCKS_REQUIRED(mu_);
  static Status TakeFault(std::map<uint32_t, Fault>& faults, uint32_t key);
  static Result<std::string> ReadRange(const FileRange& body);

  const uint64_t min_part_size_;
  mutable Mutex mu_;
  std::map<uint32_t, Fault> op_faults_ GUARDED_BY(mu_);
  std::map<uint32_t, Fault> part_faults_ GUARDED_BY(mu_);
  std::map<uint32_t, int> calls_ GUARDED_BY(mu_);
  std::chrono::milliseconds upload_delay_ GUARDED_BY(mu_){0};
  std::vector<std::string> list_tokens_ GUARDED_BY(mu_);
  size_t next_list_token_ GUARDED_BY(mu_) = 0;
  int concurrent_uploads_ GUARDED_BY(mu_) = 0;
  int max_concurrent_uploads_ GUARDED_BY(mu_) = 0;
  std::map<std::string, Object> objects_ GUARDED_BY(mu_);
  std::map<std::string, Upload> uploads_ GUARDED_BY(mu_);
  uint64_t next_upload_ GUARDED_BY(mu_) = 1;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_FAKE_OBJECT_STORE_H_
