// S3Client: the ObjectStore over the S3 REST API (internal header; other
// layers use transfer/s3_client.h and transfer/s3_bucket_admin.h).
//
// Every request goes through Execute(): it builds the URL (path-style or
// virtual-hosted), signs it with SigV4 for each attempt, performs it on the
// shared HttpClient, maps errors (transfer/s3_error.h) and retries what
// RetryPolicy allows. The operations live in s3_object_ops.cc,
// s3_multipart_ops.cc, s3_list_ops.cc and s3_bucket_admin.cc.
//
// Thread-safe: all members are immutable after construction except the
// HttpClient, which is itself thread-safe, and two atomic flags.
#ifndef PARTFS_TRANSFER_S3_CLIENT_IMPL_H_
#define PARTFS_TRANSFER_S3_CLIENT_IMPL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "transfer/http_client.h"
#include "transfer/object_store.h"
#include "transfer/retry_policy.h"
#include "transfer/s3_client.h"
#include "transfer/sigv4_signer.h"

namespace partfs {

class S3Client final : public ObjectStore {
 public:
  // Validates options (see CreateS3Client).
  static Result<std::unique_ptr<S3Client>> Create(const S3ClientOptions& options);
  ~S3Client() override = default;
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  Status HeadBucket() override;
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
  Result<std::string> PutObjectIfAbsent(const std::string& key, const FileRange& body,
                                        const UserMetadata& metadata,
                                        const std::string& content_md5_base64) override;
  Result<std::string> PutObjectFromStringIfAbsent(const std::string& key, const std::string& data,
                                                  const UserMetadata& metadata) override;
  Result<std::string> CompleteMultipartUploadIfAbsent(const std::string& key,
                                                      const std::string& upload_id,
                                                      const std::vector<CompletedPart>& parts,
                                                      const std::string& expected_etag) override;
  Result<ListPartsPage> ListParts(const std::string& key, const std::string& upload_id,
                                  uint32_t part_number_marker, uint32_t max_parts) override;
  Result<ListUploadsPage> ListMultipartUploads(const std::string& prefix,
                                               const std::string& key_marker,
                                               const std::string& upload_id_marker,
                                               uint32_t max_uploads) override;

  // Bucket administration (transfer/s3_bucket_admin.h).
  Status CreateBucket();
  Status DeleteBucket();

  // One logical S3 request; Execute() retries it as a whole.
  struct Request {
    const char* operation = "";  // "PutObject": for messages and logs
    std::string method = "GET";
    bool bucket_level = false;  // true: no key in the path
    std::string key;
    QueryParams query;
    HeaderList headers;                        // lower-case names; signed and sent
    const std::string* body_string = nullptr;  // signed with its real SHA-256
    const FileRange* body_file = nullptr;      // sent as UNSIGNED-PAYLOAD
    char* response_buffer = nullptr;
    uint64_t response_capacity = 0;
    uint64_t skip_on_full_response = 0;
    // A 2xx whose body is an <Error> is a failure (Complete, Copy, UploadPartCopy).
    bool check_body_for_error = false;
    const char* default_404_code = "NoSuchKey";
  };
  Result<HttpResponse> Execute(const Request& request);
  // Adds a successful request to options_.metrics (bytes, parts, PutObjects...).
  void CountSuccess(const Request& request, const HttpResponse& response) const;

  // "s3://bucket/key" for messages.
  std::string Resource(const std::string& key) const;
  const S3ClientOptions& options() const { return options_; }

 private:
  struct Endpoint {
    std::string scheme;  // "http" or "https"
    std::string host;    // as in the Host header: "127.0.0.1:8080"
  };
  S3Client(const S3ClientOptions& options, Endpoint endpoint);

  Result<HttpResponse> Attempt(const Request& request);
  // The single-PUT and Complete requests, with `extra` headers (the
  // create-only-if-absent condition) or none.
  Result<std::string> PutObjectWith(const std::string& key, const FileRange* file,
                                    const std::string* data, const UserMetadata& metadata,
                                    const std::string& content_md5_base64, const HeaderList& extra);
  Result<std::string> CompleteWith(const std::string& key, const std::string& upload_id,
                                   const std::vector<CompletedPart>& parts,
                                   const std::string& expected_etag, const HeaderList& extra);
  // Runs send(condition headers); a refusal is AlreadyExists unless the object
  // is our own (`ours_etag`). On a server without conditions (remembered, one
  // log line) it runs send({}) instead: the check at create is all there is.
  // `unsupported` is the flag of that operation (servers differ per request:
  // Swift honours the condition on Complete but not on PUT).
  Result<std::string> SendIfAbsent(
      const char* operation, std::atomic<bool>& unsupported, const std::string& key,
      const std::string& ours_etag,
      const std::function<Result<std::string>(const HeaderList&)>& send);
  std::string CanonicalPath(const Request& request) const;
  // The x-amz-copy-source value for a key of this bucket: "/bucket/key", encoded.
  std::string CopySource(const std::string& source_key) const;
  std::string HostHeader() const;
  void AddMetadataHeaders(const UserMetadata& metadata, HeaderList* headers) const;
  Result<std::string> ExpectEtag(const HttpResponse& response, const char* operation,
                                 const std::string& key) const;

  const S3ClientOptions options_;
  const Endpoint endpoint_;
  const RetryPolicy retry_;
  HttpClient http_;
  // Set once the server answered a conditional PutObject / Complete with "not
  // supported": later O_EXCL writes of that kind go straight to the fallback.
  std::atomic<bool> conditional_put_unsupported_{false};
  std::atomic<bool> conditional_complete_unsupported_{false};
};

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_CLIENT_IMPL_H_
