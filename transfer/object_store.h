// ObjectStore: the abstract object-storage API that the cache layer programs
// against. transfer/s3_client.h implements it over HTTP (S3 API, SigV4);
// tests may wrap it to inject faults, and unit tests may use small fakes.
//
// Keys are object keys within the store's one configured bucket, without a
// leading '/'. All methods are thread-safe and blocking; implementations
// retry transient failures themselves (see transfer/retry_policy.h), so a
// non-OK Status returned here is final for that call.
#ifndef PARTFS_TRANSFER_OBJECT_STORE_H_
#define PARTFS_TRANSFER_OBJECT_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace partfs {

// User metadata, names without the provider prefix ("mode", not "x-amz-meta-mode").
using UserMetadata = std::map<std::string, std::string>;

// A byte range of an open file, streamed as a request body without reading it
// whole into memory. The fd must stay open until the call returns.
struct FileRange {
  int fd = -1;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct ObjectInfo {
  uint64_t size = 0;
  std::string etag;           // without quotes
  int64_t last_modified = 0;  // seconds since the epoch
  std::string content_type;
  UserMetadata user_metadata;
};

struct ListedObject {
  std::string key;
  uint64_t size = 0;
  std::string etag;  // without quotes
  int64_t last_modified = 0;
};

struct ListObjectsPage {
  std::vector<ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

struct PartEntry {
  uint32_t number = 0;
  uint64_t size = 0;
  std::string etag;           // without quotes
  int64_t last_modified = 0;  // seconds since the epoch; 0 when the server gave none
};

struct ListPartsPage {
  std::vector<PartEntry> parts;
  bool truncated = false;
  uint32_t next_part_number_marker = 0;
};

struct UploadEntry {
  std::string key;
  std::string upload_id;
  int64_t initiated = 0;  // seconds since the epoch
};

struct ListUploadsPage {
  std::vector<UploadEntry> uploads;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_upload_id_marker;
};

struct CompletedPart {
  uint32_t number = 0;
  std::string etag;  // without quotes
};

enum class MetadataDirective { kCopy, kReplace };

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // OK when the bucket exists and the credentials are accepted.
  virtual Status HeadBucket() = 0;
  virtual Result<ObjectInfo> HeadObject(const std::string& key) = 0;
  // Reads up to `length` bytes from `offset` into `buf`; returns the count read
  // (short at end of object). Status NotFound for a missing key.
  virtual Result<uint64_t> GetObject(const std::string& key, uint64_t offset, uint64_t length,
                                     char* buf) = 0;
  // Returns the new object's ETag. `content_md5_base64` may be empty.
  virtual Result<std::string> PutObject(const std::string& key, const FileRange& body,
                                        const UserMetadata& metadata,
                                        const std::string& content_md5_base64) = 0;
  virtual Result<std::string> PutObjectFromString(const std::string& key, const std::string& data,
                                                  const UserMetadata& metadata) = 0;
  virtual Status DeleteObject(const std::string& key) = 0;
  // Deletes up to 1000 keys; returns the keys that could not be deleted.
  virtual Result<std::vector<std::string>> DeleteObjects(const std::vector<std::string>& keys) = 0;
  // One page of ListObjectsV2. `max_keys` 0 means the server's default (1000).
  virtual Result<ListObjectsPage> ListObjects(const std::string& prefix,
                                              const std::string& delimiter,
                                              const std::string& continuation_token,
                                              uint32_t max_keys) = 0;
  // Returns the new object's ETag.
  virtual Result<std::string> CopyObject(const std::string& source_key, const std::string& dest_key,
                                         MetadataDirective directive,
                                         const UserMetadata& metadata) = 0;

  // Multipart upload. CreateMultipartUpload returns the upload ID; metadata
  // given here lands on the object at Complete.
  virtual Result<std::string> CreateMultipartUpload(const std::string& key,
                                                    const UserMetadata& metadata) = 0;
  // Returns the part's ETag. `content_md5_base64` may be empty.
  virtual Result<std::string> UploadPart(const std::string& key, const std::string& upload_id,
                                         uint32_t part_number, const FileRange& body,
                                         const std::string& content_md5_base64) = 0;
  // Copies bytes [first, last] of `source_key` into a part; returns its ETag.
  virtual Result<std::string> UploadPartCopy(const std::string& key, const std::string& upload_id,
                                             uint32_t part_number, const std::string& source_key,
                                             uint64_t first, uint64_t last) = 0;
  // Returns the object's ETag. Safe to retry: a retry answered NoSuchUpload
  // succeeds when the object exists with the multipart ETag the parts imply
  // (`expected_etag`, may be empty when unknown).
  virtual Result<std::string> CompleteMultipartUpload(const std::string& key,
                                                      const std::string& upload_id,
                                                      const std::vector<CompletedPart>& parts,
                                                      const std::string& expected_etag) = 0;
  virtual Status AbortMultipartUpload(const std::string& key, const std::string& upload_id) = 0;

  // Create-only-if-absent (an O_EXCL file): as PutObject, PutObjectFromString
  // and CompleteMultipartUpload, but the object is written only when the key
  // has none; otherwise Status AlreadyExists (nothing written; a multipart
  // upload stays for the caller to abort). A retry that finds the object it
  // wrote itself (the ETag it implies) succeeds. These defaults are the plain
  // calls (the filesystem checks the name at create; two writers can both
  // win); S3Client sends the provider's condition header
  // (transfer/conditional_create.h).
  virtual Result<std::string> PutObjectIfAbsent(const std::string& key, const FileRange& body,
                                                const UserMetadata& metadata,
                                                const std::string& content_md5_base64);
  virtual Result<std::string> PutObjectFromStringIfAbsent(const std::string& key,
                                                          const std::string& data,
                                                          const UserMetadata& metadata);
  virtual Result<std::string> CompleteMultipartUploadIfAbsent(
      const std::string& key, const std::string& upload_id, const std::vector<CompletedPart>& parts,
      const std::string& expected_etag);
  // One page of ListParts, starting after `part_number_marker`. `max_parts` 0 = default.
  virtual Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                          uint32_t part_number_marker, uint32_t max_parts) = 0;
  // One page of ListMultipartUploads. `max_uploads` 0 = default.
  virtual Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                                       const std::string& key_marker,
                                                       const std::string& upload_id_marker,
                                                       uint32_t max_uploads) = 0;
};

// Follows ListParts pagination to the end.
Result<std::vector<PartEntry>> ListAllParts(ObjectStore& store, const std::string& key,
                                            const std::string& upload_id);
// Follows ListMultipartUploads pagination to the end.
Result<std::vector<UploadEntry>> ListAllUploads(ObjectStore& store, const std::string& prefix);

// The ETag S3 gives a completed multipart object: hex MD5 of the concatenated
// binary part MD5s, then "-N". `part_md5s` are raw 16-byte digests in part order.
std::string MultipartEtag(const std::vector<std::string>& part_md5s);

// An ETag without the double quotes servers put around it (headers and XML).
std::string StripEtagQuotes(std::string_view etag);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_OBJECT_STORE_H_
