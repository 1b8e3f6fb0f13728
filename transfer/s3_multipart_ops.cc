// Multipart upload: CreateMultipartUpload, UploadPart, UploadPartCopy,
// CompleteMultipartUpload (retry-safe), AbortMultipartUpload.
#include "transfer/s3_client_impl.h"
#include "transfer/s3_error.h"
#include "transfer/s3_xml.h"
#include "transfer/uri_encoding.h"

namespace partfs {

namespace {
// Part numbers run 1..max_part_count of the provider (ProviderProfile).
Status CheckPartNumber(const char* operation, uint32_t part_number,
                       const ProviderProfile& profile) {
  if (part_number < 1 || part_number > profile.max_part_count) {
    return Status::InvalidArgument(std::string(operation) + ": part number " +
                                   std::to_string(part_number) + " is outside 1.." +
                                   std::to_string(profile.max_part_count));
  }
  return Status::OK();
}
}  // namespace

Result<std::string> S3Client::CreateMultipartUpload(const std::string& key,
                                                    const UserMetadata& metadata) {
  if (key.empty()) return Status::InvalidArgument("CreateMultipartUpload: empty object key");
  Request req;
  req.operation = "CreateMultipartUpload";
  req.method = "POST";
  req.key = key;
  req.query.emplace_back("uploads", "");
  AddMetadataHeaders(metadata, &req.headers);
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseInitiateMultipartUploadResult(result->body);
}

Result<std::string> S3Client::UploadPart(const std::string& key, const std::string& upload_id,
                                         uint32_t part_number, const FileRange& body,
                                         const std::string& content_md5_base64) {
  PARTFS_RETURN_IF_ERROR(CheckPartNumber("UploadPart", part_number, options_.profile));
  if (body.length > options_.profile.max_part_size) {
    return Status::TooLarge("UploadPart " + Resource(key) + ": part of " +
                            std::to_string(body.length) + " bytes exceeds the provider maximum");
  }
  Request req;
  req.operation = "UploadPart";
  req.method = "PUT";
  req.key = key;
  req.query.emplace_back("partNumber", std::to_string(part_number));
  req.query.emplace_back("uploadId", upload_id);
  req.body_file = &body;
  if (!content_md5_base64.empty()) req.headers.emplace_back("content-md5", content_md5_base64);
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ExpectEtag(*result, req.operation, key);
}

Result<std::string> S3Client::UploadPartCopy(const std::string& key, const std::string& upload_id,
                                             uint32_t part_number, const std::string& source_key,
                                             uint64_t first, uint64_t last) {
  PARTFS_RETURN_IF_ERROR(CheckPartNumber("UploadPartCopy", part_number, options_.profile));
  if (last < first) return Status::InvalidArgument("UploadPartCopy: empty byte range");
  Request req;
  req.operation = "UploadPartCopy";
  req.method = "PUT";
  req.key = key;
  req.check_body_for_error = true;
  req.query.emplace_back("partNumber", std::to_string(part_number));
  req.query.emplace_back("uploadId", upload_id);
  req.headers.emplace_back("x-amz-copy-source", CopySource(source_key));
  req.headers.emplace_back("x-amz-copy-source-range",
                           "bytes=" + std::to_string(first) + "-" + std::to_string(last));
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseCopyResult(result->body);
}

Result<std::string> S3Client::CompleteMultipartUpload(const std::string& key,
                                                      const std::string& upload_id,
                                                      const std::vector<CompletedPart>& parts,
                                                      const std::string& expected_etag) {
  return CompleteWith(key, upload_id, parts, expected_etag, {});
}

Result<std::string> S3Client::CompleteMultipartUploadIfAbsent(
    const std::string& key, const std::string& upload_id, const std::vector<CompletedPart>& parts,
    const std::string& expected_etag) {
  // RGW 16.2 ignores If-None-Match on Complete (it overwrites): a HEAD just
  // before narrows the window there to the Complete itself.
  auto head = HeadObject(key);
  if (head.ok() && (expected_etag.empty() || head->etag != expected_etag)) {
    return Status::AlreadyExists("CompleteMultipartUpload " + Resource(key) +
                                 ": the object exists (O_EXCL create)");
  }
  if (!head.ok() && !head.status().IsNotFound()) return head.status();
  return SendIfAbsent("CompleteMultipartUpload", conditional_complete_unsupported_, key,
                      expected_etag, [&](const HeaderList& extra) {
                        return CompleteWith(key, upload_id, parts, expected_etag, extra);
                      });
}

Result<std::string> S3Client::CompleteWith(const std::string& key, const std::string& upload_id,
                                           const std::vector<CompletedPart>& parts,
                                           const std::string& expected_etag,
                                           const HeaderList& extra) {
  const std::string body = BuildCompleteMultipartUploadXml(parts);
  Request req;
  req.operation = "CompleteMultipartUpload";
  req.method = "POST";
  req.key = key;
  req.query.emplace_back("uploadId", upload_id);
  req.headers.emplace_back("content-type", "application/xml");
  req.headers.insert(req.headers.end(), extra.begin(), extra.end());
  req.body_string = &body;
  req.check_body_for_error = true;  // errors may arrive in a 200 after a long wait
  auto result = Execute(req);
  if (result.ok()) {
    auto etag = ParseCompleteMultipartUploadResult(result->body);
    if (!etag.ok() || !etag->empty()) return etag;
    // Ceph RGW answers <ETag></ETag> (Ceph bug #58879); HEAD shows the real one.
    if (!expected_etag.empty()) return expected_etag;
    auto head = HeadObject(key);
    if (head.ok() && !head->etag.empty()) return head->etag;
    return Status::IOError("CompleteMultipartUpload " + Resource(key) + ": no ETag");
  }
  // An earlier attempt (ours, lost in transit, or one before a crash) may
  // have completed the upload: then the object carries the expected ETag.
  // RGW answers a Complete of an unknown or finished upload with 500 "already
  // in progress" instead of NoSuchUpload: the same case.
  const bool in_progress = IsCompletionInProgress(result.status());
  if ((result.status().remote_code() == "NoSuchUpload" || in_progress) && !expected_etag.empty()) {
    auto head = HeadObject(key);
    if (head.ok() && head->etag == expected_etag) {
      if (options_.logger != nullptr) {
        options_.logger->Info("CompleteMultipartUpload " + Resource(key) +
                              ": upload already completed (object has the expected ETag)");
      }
      return head->etag;
    }
  }
  if (in_progress) {
    return Status::Remote(Status::Code::kNotFound, result.status().http_status(), "NoSuchUpload",
                          result.status().message() + " (taken as NoSuchUpload)");
  }
  return result.status();
}

Status S3Client::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  Request req;
  req.operation = "AbortMultipartUpload";
  req.method = "DELETE";
  req.key = key;
  req.query.emplace_back("uploadId", upload_id);
  auto result = Execute(req);
  return result.ok() ? Status::OK() : result.status();
}

}  // namespace partfs
