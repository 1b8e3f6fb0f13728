// Single-object operations: HeadBucket, HeadObject, GetObject, PutObject,
// DeleteObject, CopyObject.
#include <cctype>

#include "transfer/hashing.h"
#include "transfer/s3_client_impl.h"
#include "transfer/s3_error.h"
#include "transfer/s3_xml.h"
#include "transfer/uri_encoding.h"

namespace partfs {

namespace {
Status CheckKey(const char* operation, const std::string& key) {
  if (key.empty()) return Status::InvalidArgument(std::string(operation) + ": empty object key");
  return Status::OK();
}
}  // namespace

Status S3Client::HeadBucket() {
  Request req;
  req.operation = "HeadBucket";
  req.method = "HEAD";
  req.bucket_level = true;
  req.default_404_code = "NoSuchBucket";
  auto result = Execute(req);
  return result.ok() ? Status::OK() : result.status();
}

Result<ObjectInfo> S3Client::HeadObject(const std::string& key) {
  PARTFS_RETURN_IF_ERROR(CheckKey("HeadObject", key));
  Request req;
  req.operation = "HeadObject";
  req.method = "HEAD";
  req.key = key;
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  ObjectInfo info;
  info.size = std::strtoull(result->Header("content-length").c_str(), nullptr, 10);
  info.etag = StripEtagQuotes(result->Header("etag"));
  info.last_modified = ParseHttpDate(result->Header("last-modified"));
  info.content_type = result->Header("content-type");
  const std::string prefix(options_.profile.meta_prefix);
  for (const auto& [name, value] : result->headers) {
    if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0) {
      info.user_metadata[name.substr(prefix.size())] = value;
    }
  }
  return info;
}

Result<uint64_t> S3Client::GetObject(const std::string& key, uint64_t offset, uint64_t length,
                                     char* buf) {
  PARTFS_RETURN_IF_ERROR(CheckKey("GetObject", key));
  if (length == 0) {
    // No byte range can express "nothing"; still report a missing key.
    auto head = HeadObject(key);
    if (!head.ok()) return head.status();
    return uint64_t{0};
  }
  Request req;
  req.operation = "GetObject";
  req.key = key;
  req.headers.emplace_back(
      "range", "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + length - 1));
  req.response_buffer = buf;
  req.response_capacity = length;
  req.skip_on_full_response = offset;
  auto result = Execute(req);
  if (!result.ok()) {
    // A range starting at or past the end (also any range of an empty object).
    if (result.status().http_status() == 416) return uint64_t{0};
    return result.status();
  }
  return result->buffer_bytes;
}

Result<std::string> S3Client::PutObject(const std::string& key, const FileRange& body,
                                        const UserMetadata& metadata,
                                        const std::string& content_md5_base64) {
  return PutObjectWith(key, &body, nullptr, metadata, content_md5_base64, {});
}

Result<std::string> S3Client::PutObjectFromString(const std::string& key, const std::string& data,
                                                  const UserMetadata& metadata) {
  return PutObjectWith(key, nullptr, &data, metadata, ContentMd5(data), {});
}

Result<std::string> S3Client::PutObjectIfAbsent(const std::string& key, const FileRange& body,
                                                const UserMetadata& metadata,
                                                const std::string& content_md5_base64) {
  return SendIfAbsent("PutObject", conditional_put_unsupported_, key,
                      HexEncode(Base64Decode(content_md5_base64)), [&](const HeaderList& extra) {
                        return PutObjectWith(key, &body, nullptr, metadata, content_md5_base64,
                                             extra);
                      });
}

Result<std::string> S3Client::PutObjectFromStringIfAbsent(const std::string& key,
                                                          const std::string& data,
                                                          const UserMetadata& metadata) {
  return SendIfAbsent("PutObject", conditional_put_unsupported_, key, HexEncode(Md5(data)),
                      [&](const HeaderList& extra) {
                        return PutObjectWith(key, nullptr, &data, metadata, ContentMd5(data),
                                             extra);
                      });
}

Result<std::string> S3Client::PutObjectWith(const std::string& key, const FileRange* file,
                                            const std::string* data, const UserMetadata& metadata,
                                            const std::string& content_md5_base64,
                                            const HeaderList& extra) {
  PARTFS_RETURN_IF_ERROR(CheckKey("PutObject", key));
  Request req;
  req.operation = "PutObject";
  req.method = "PUT";
  req.key = key;
  req.body_file = file;
  req.body_string = data;
  if (!content_md5_base64.empty()) req.headers.emplace_back("content-md5", content_md5_base64);
  AddMetadataHeaders(metadata, &req.headers);
  req.headers.insert(req.headers.end(), extra.begin(), extra.end());
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ExpectEtag(*result, req.operation, key);
}

Status S3Client::DeleteObject(const std::string& key) {
  PARTFS_RETURN_IF_ERROR(CheckKey("DeleteObject", key));
  Request req;
  req.operation = "DeleteObject";
  req.method = "DELETE";
  req.key = key;
  auto result = Execute(req);
  // Deleting a missing key succeeds, as on AWS; this also makes a retried
  // delete whose first attempt went through succeed.
  if (!result.ok() && result.status().remote_code() == "NoSuchKey") return Status::OK();
  return result.ok() ? Status::OK() : result.status();
}

Result<std::string> S3Client::CopyObject(const std::string& source_key, const std::string& dest_key,
                                         MetadataDirective directive,
                                         const UserMetadata& metadata) {
  PARTFS_RETURN_IF_ERROR(CheckKey("CopyObject", source_key));
  PARTFS_RETURN_IF_ERROR(CheckKey("CopyObject", dest_key));
  Request req;
  req.operation = "CopyObject";
  req.method = "PUT";
  req.key = dest_key;
  req.check_body_for_error = true;
  req.headers.emplace_back("x-amz-copy-source", CopySource(source_key));
  if (directive == MetadataDirective::kReplace) {
    req.headers.emplace_back("x-amz-metadata-directive", "REPLACE");
    AddMetadataHeaders(metadata, &req.headers);
  } else {
    req.headers.emplace_back("x-amz-metadata-directive", "COPY");
  }
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseCopyResult(result->body);
}

}  // namespace partfs
