// DeleteObjects: POST /?delete with a Quiet <Delete> document. The
// Content-MD5 of the body is mandatory for this call.
#include "transfer/hashing.h"
#include "transfer/s3_client_impl.h"
#include "transfer/s3_xml.h"

namespace partfs {

Result<std::vector<std::string>> S3Client::DeleteObjects(const std::vector<std::string>& keys) {
  if (keys.empty()) return std::vector<std::string>{};
  if (keys.size() > 1000) {
    return Status::InvalidArgument("DeleteObjects: at most 1000 keys per call, got " +
                                   std::to_string(keys.size()));
  }
  const std::string body = BuildDeleteObjectsXml(keys);
  Request req;
  req.operation = "DeleteObjects";
  req.method = "POST";
  req.bucket_level = true;
  req.query.emplace_back("delete", "");
  req.headers.emplace_back("content-md5", ContentMd5(body));
  req.headers.emplace_back("content-type", "application/xml");
  req.body_string = &body;
  auto result = Execute(req);
  if (!result.ok()) return result.status();
  return ParseDeleteResult(result->body);
}

}  // namespace partfs
