#include "transfer/s3_bucket_admin.h"

#include "transfer/s3_client_impl.h"

namespace partfs {

Status S3Client::CreateBucket() {
  Request req;
  req.operation = "CreateBucket";
  req.method = "PUT";
  req.bucket_level = true;
  std::string body;
  if (options_.region != "us-east-1") {
    body =
        "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        "<LocationConstraint>" +
        options_.region +
        "</LocationConstraint>"
        "</CreateBucketConfiguration>";
    req.body_string = &body;
  }
  auto result = Execute(req);
  if (!result.ok() && result.status().remote_code() == "BucketAlreadyOwnedByYou") {
    return Status::OK();
  }
  return result.ok() ? Status::OK() : result.status();
}

Status S3Client::DeleteBucket() {
  Request req;
  req.operation = "DeleteBucket";
  req.method = "DELETE";
  req.bucket_level = true;
  req.default_404_code = "NoSuchBucket";
  auto result = Execute(req);
  return result.ok() ? Status::OK() : result.status();
}

Status CreateBucket(const S3ClientOptions& options) {
  auto client = S3Client::Create(options);
  if (!client.ok()) return client.status();
  return (*client)->CreateBucket();
}

Status DeleteBucket(const S3ClientOptions& options) {
  auto client = S3Client::Create(options);
  if (!client.ok()) return client.status();
  return (*client)->DeleteBucket();
}

}  // namespace partfs
