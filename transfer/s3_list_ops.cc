// Listing: ListObjectsV2, ListParts, ListMultipartUploads (one page each).
#include "transfer/s3_client_impl.h"
#include "transfer/s3_error.h"
#include "transfer/s3_xml.h"

namespace partfs {

Result<ListObjectsPage> S3Client::ListObjects(const std::string& prefix,
                                              const std::string& delimiter,
                                              const std::string& continuation_token,
                                              uint32_t max_keys) {
  Request req;
  req.operation = "ListObjectsV2";
  req.bucket_level = true;
  req.default_404_code = "NoSuchBucket";
  req.query.emplace_back("list-type", "2");
  req.query.emplace_back("encoding-type", "url");
  if (!prefix.empty()) req.query.emplace_back("prefix", prefix);
  if (!delimiter.empty()) req.query.emplace_back("delimiter", delimiter);
  if (!continuation_token.empty()) req.query.emplace_back("continuation-token", continuation_token);
  if (max_keys > 0) req.query.emplace_back("max-keys", std::to_string(max_keys));
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseListObjectsV2Result(result->body);
}

Result<ListPartsPage> S3Client::ListParts(const std::string& key, const std::string& upload_id,
                                          uint32_t part_number_marker, uint32_t max_parts) {
  Request req;
  req.operation = "ListParts";
  req.key = key;
  req.default_404_code = "NoSuchUpload";
  req.query.emplace_back("uploadId", upload_id);
  if (part_number_marker > 0) {
    req.query.emplace_back("part-number-marker", std::to_string(part_number_marker));
  }
  if (max_parts > 0) req.query.emplace_back("max-parts", std::to_string(max_parts));
  auto result = Execute(req);
  if (!result.ok()) return ListPartsNoSuchKeyAsNoSuchUpload(result.status());
  return ParseListPartsResult(result->body);
}

Result<ListUploadsPage> S3Client::ListMultipartUploads(const std::string& prefix,
                                                       const std::string& key_marker,
                                                       const std::string& upload_id_marker,
                                                       uint32_t max_uploads) {
  Request req;
  req.operation = "ListMultipartUploads";
  req.bucket_level = true;
  req.default_404_code = "NoSuchBucket";
  req.query.emplace_back("uploads", "");
  if (!prefix.empty()) req.query.emplace_back("prefix", prefix);
  if (!key_marker.empty()) req.query.emplace_back("key-marker", key_marker);
  if (!upload_id_marker.empty()) req.query.emplace_back("upload-id-marker", upload_id_marker);
  if (max_uploads > 0) req.query.emplace_back("max-uploads", std::to_string(max_uploads));
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseListMultipartUploadsResult(result->body);
}

}  // namespace partfs
