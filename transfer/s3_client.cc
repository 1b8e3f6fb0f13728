// S3Client construction, option validation and the signed, retried request
// path shared by all operations.
#include <curl/curl.h>

#include <cctype>
#include <ctime>
#include <mutex>
#include <thread>

#include "transfer/hashing.h"
#include "transfer/s3_client_impl.h"
#include "transfer/s3_error.h"
#include "transfer/uri_encoding.h"

namespace partfs {

namespace {
std::string AmzDateNow() {
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  char buf[32];
  strftime(buf, sizeof(buf), "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

bool IsDnsCompatibleBucket(const std::string& b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '.')) {
      return false;
    }
  }
  return b.front() != '-' && b.front() != '.' && b.back() != '-' && b.back() != '.';
}

struct UrlDeleter {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};

std::string UrlPart(CURLU* url, CURLUPart part) {
  char* value = nullptr;
  if (curl_url_get(url, part, &value, 0) != CURLUE_OK || value == nullptr) return "";
  std::string out(value);
  curl_free(value);
  return out;
}
}  // namespace

Result<std::unique_ptr<ObjectStore>> CreateS3Client(const S3ClientOptions& options) {
  auto client = S3Client::Create(options);
  if (!client.ok()) return client.status();
  return std::unique_ptr<ObjectStore>(std::move(client).value());
}

Result<std::unique_ptr<S3Client>> S3Client::Create(const S3ClientOptions& options) {
  static std::once_flag curl_init;
  std::call_once(curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

  std::unique_ptr<CURLU, UrlDeleter> url(curl_url());
  if (options.endpoint.empty() ||
      curl_url_set(url.get(), CURLUPART_URL, options.endpoint.c_str(), 0) != CURLUE_OK) {
    return Status::InvalidArgument("invalid S3 endpoint URL: '" + options.endpoint + "'");
  }
  Endpoint endpoint;
  endpoint.scheme = UrlPart(url.get(), CURLUPART_SCHEME);
  std::string host = UrlPart(url.get(), CURLUPART_HOST);
  std::string port = UrlPart(url.get(), CURLUPART_PORT);
  std::string path = UrlPart(url.get(), CURLUPART_PATH);
  if (endpoint.scheme != "http" && endpoint.scheme != "https") {
    return Status::InvalidArgument("S3 endpoint must be http:// or https://: '" + options.endpoint +
                                   "'");
  }
  if (host.empty()) return Status::InvalidArgument("S3 endpoint has no host: " + options.endpoint);
  if (!path.empty() && path != "/") {
    return Status::InvalidArgument("S3 endpoint must not have a path: '" + options.endpoint + "'");
  }
  const bool default_port = port.empty() || (endpoint.scheme == "http" && port == "80") ||
                            (endpoint.scheme == "https" && port == "443");
  endpoint.host = default_port ? host : host + ":" + port;

  if (options.bucket.empty() || options.bucket.find('/') != std::string::npos ||
      options.bucket.size() > 255) {
    return Status::InvalidArgument("invalid bucket name: '" + options.bucket + "'");
  }
  if (!options.path_style && !IsDnsCompatibleBucket(options.bucket)) {
    return Status::InvalidArgument("bucket '" + options.bucket +
                                   "' is not DNS-compatible: use path-style addressing");
  }
  if (options.access_key.empty() || options.secret_key.empty()) {
    return Status::InvalidArgument("S3 credentials missing: access key and secret key required");
  }
  if (options.region.empty()) return Status::InvalidArgument("S3 region is empty");
  if (options.retry.max_attempts == 0) {
    return Status::InvalidArgument("retry.max_attempts must be at least 1");
  }
  return std::unique_ptr<S3Client>(new S3Client(options, std::move(endpoint)));
}

S3Client::S3Client(const S3ClientOptions& options, Endpoint endpoint)
    : options_(options),
      endpoint_(std::move(endpoint)),
      retry_(options.retry, RetryPolicy::DefaultRandom()),
      http_(HttpClientOptions{options.connect_timeout, options.low_speed_bytes,
                              options.low_speed_time, 64}) {}

std::string S3Client::Resource(const std::string& key) const {
  return "s3://" + options_.bucket + "/" + key;
}

std::string S3Client::HostHeader() const {
  return options_.path_style ? endpoint_.host : options_.bucket + "." + endpoint_.host;
}

// Strings are built by appending: GCC 12 at -O2 warns (-Wrestrict, a false
// positive) on "/" + std::string&&.
std::string S3Client::CanonicalPath(const Request& request) const {
  std::string path;
  if (options_.path_style) path.append("/").append(UriEncode(options_.bucket, false));
  if (!request.bucket_level) path.append("/").append(EncodeKeyPath(request.key));
  return path.empty() ? std::string("/") : path;
}

std::string S3Client::CopySource(const std::string& source_key) const {
  std::string source("/");
  source.append(UriEncode(options_.bucket, false)).append("/").append(EncodeKeyPath(source_key));
  return source;
}

void S3Client::AddMetadataHeaders(const UserMetadata& metadata, HeaderList* headers) const {
  for (const auto& [name, value] : metadata) {
    std::string lower = std::string(options_.profile.meta_prefix) + name;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers->emplace_back(std::move(lower), value);
  }
}

Result<std::string> S3Client::ExpectEtag(const HttpResponse& response, const char* operation,
                                         const std::string& key) const {
  std::string etag = StripEtagQuotes(response.Header("etag"));
  if (etag.empty()) {
    return Status::IOError(std::string(operation) + " " + Resource(key) +
                           ": the server's response has no ETag");
  }
  return etag;
}

Result<HttpResponse> S3Client::Attempt(const Request& request) {
  SigV4Input sig;
  sig.method = request.method;
  sig.canonical_uri = CanonicalPath(request);
  sig.query = request.query;
  sig.amz_date = options_.TEST_amz_date.empty() ? AmzDateNow() : options_.TEST_amz_date;
  sig.region = options_.region;
  sig.service = "s3";
  sig.access_key = options_.access_key;
  sig.secret_key = options_.secret_key;
  sig.session_token = options_.session_token;
  if (request.body_file != nullptr) {
    sig.payload_hash = kUnsignedPayload;  // Content-MD5 guards the data instead
  } else if (request.body_string != nullptr) {
    sig.payload_hash = Sha256Hex(*request.body_string);
  } else {
    sig.payload_hash = Sha256Hex("");
  }
  sig.headers = request.headers;
  sig.headers.emplace_back("host", HostHeader());
  sig.headers.emplace_back("x-amz-date", sig.amz_date);
  sig.headers.emplace_back("x-amz-content-sha256", sig.payload_hash);
  if (!options_.session_token.empty()) {
    sig.headers.emplace_back(std::string(options_.profile.security_token_header),
                             options_.session_token);
  }
  const SigV4Output signature = SignV4(sig);

  HttpRequest http;
  http.method = request.method;
  http.url = endpoint_.scheme + "://" + HostHeader() + sig.canonical_uri;
  if (!request.query.empty()) http.url += "?" + CanonicalQueryString(request.query);
  http.headers = std::move(sig.headers);
  http.headers.emplace_back("authorization", signature.authorization);
  http.body_string = request.body_string;
  http.body_file = request.body_file;
  http.response_buffer = request.response_buffer;
  http.response_capacity = request.response_capacity;
  http.skip_on_full_response = request.skip_on_full_response;
  if (options_.TEST_transport) return options_.TEST_transport(http);
  return http_.Perform(http);
}

void S3Client::CountSuccess(const Request& request, const HttpResponse& response) const {
  Metrics* m = options_.metrics;
  if (m == nullptr) return;
  const std::string_view op = request.operation;
  const uint64_t body_bytes = request.body_file != nullptr     ? request.body_file->length
                              : request.body_string != nullptr ? request.body_string->size()
                                                               : 0;
  if (op == "UploadPart" || op == "UploadPartCopy") {
    Metrics::Add(m, &Metrics::parts_uploaded);
    Metrics::Add(m, &Metrics::bytes_uploaded, body_bytes);
  } else if (op == "PutObject") {
    Metrics::Add(m, &Metrics::put_objects);
    Metrics::Add(m, &Metrics::bytes_uploaded, body_bytes);
  } else if (op == "GetObject") {
    Metrics::Add(m, &Metrics::bytes_downloaded, response.buffer_bytes);
  } else if (op == "CompleteMultipartUpload") {
    Metrics::Add(m, &Metrics::uploads_completed);
  }
}

Result<HttpResponse> S3Client::Execute(const Request& request) {
  const std::string resource = Resource(request.bucket_level ? "" : request.key);
  const auto start = std::chrono::steady_clock::now();
  for (uint32_t attempt = 1;; ++attempt) {
    Metrics::Add(options_.metrics, &Metrics::requests);
    if (attempt > 1) Metrics::Add(options_.metrics, &Metrics::retries);
    Result<HttpResponse> result = Attempt(request);
    Status failure;
    if (!result.ok()) {
      failure = result.status().WithContext(std::string(request.operation) + " " + resource);
    } else if (result->status < 200 || result->status >= 300 ||
               (request.check_body_for_error && ParseS3ErrorBody(result->body))) {
      failure = MapS3Error(request.operation, resource, result->status, result->body,
                           request.default_404_code,
                           S3ErrorHeadersFrom(result->headers, options_.profile.request_id_header));
    } else {
      CountSuccess(request, *result);
      return result;
    }
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    const auto delay = retry_.NextDelay(failure, attempt, elapsed);
    if (!delay) {
      // A 404 is an answer (a missing name), not a failure of the store.
      if (!failure.IsNotFound() && failure.http_status() != 416) {
        Metrics::Add(options_.metrics, &Metrics::failed_requests);
      }
      if (attempt > 1) {
        return Status::Remote(
            failure.code(), failure.http_status(), failure.remote_code(),
            failure.message() + " (after " + std::to_string(attempt) + " attempts)");
      }
      return failure;
    }
    if (options_.logger != nullptr) {
      options_.logger->Warn("retrying in " + std::to_string(delay->count()) + " ms (attempt " +
                            std::to_string(attempt) + " failed): " + failure.ToString());
    }
    std::this_thread::sleep_for(*delay);
  }
}

}  // namespace partfs
