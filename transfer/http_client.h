// HttpClient: a small libcurl wrapper for S3 requests.
//
// - Easy handles live in a pool and are reused across requests and threads,
//   so TCP connections (and TLS sessions) are kept alive; a curl share handle
//   shares the DNS cache between them.
// - Request bodies are streamed from a FileRange with pread() at the range's
//   offset in large chunks (never the whole part in memory), or sent from a
//   string. Each Perform() starts the body from its beginning, so a retry
//   re-sends it.
// - Response bodies go into a caller's buffer (GetObject) or a string (XML).
//   Error bodies (status >= 300) always go into the string.
// - Transport failures come back as Status Unavailable with curl's error text;
//   a failing local read of the body file as IOError.
//
// curl_global_init must have run before the first HttpClient is built: main()
// and test mains call it once; CreateS3Client also calls it under
// std::call_once (library initialization, not application state).
//
// Thread-safe: Perform() may be called from many threads at once.
#ifndef PARTFS_TRANSFER_HTTP_CLIENT_H_
#define PARTFS_TRANSFER_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/mutex.h"
#include "base/status.h"
#include "transfer/object_store.h"
#include "transfer/sigv4_signer.h"

namespace partfs {

struct HttpClientOptions {
  std::chrono::milliseconds connect_timeout{5000};
  uint32_t low_speed_bytes = 1024;
  std::chrono::seconds low_speed_time{30};
  size_t max_idle_handles = 64;  // handles kept in the pool when idle
};

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // fully encoded
  HeaderList headers;          // sent as given ("Name: value")
  // Body: at most one of these. `body_string` must outlive Perform().
  const std::string* body_string = nullptr;
  const FileRange* body_file = nullptr;
  // Response body of a 2xx goes here when set (up to `response_capacity`
  // bytes; extra bytes are an error), otherwise into HttpResponse::body.
  char* response_buffer = nullptr;
  uint64_t response_capacity = 0;
  // When a server ignores Range and answers 200 with the whole object, skip
  // this many leading bytes of it (the range's start).
  uint64_t skip_on_full_response = 0;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // XML or error body
  uint64_t buffer_bytes = 0;                   // bytes written to response_buffer

  // Header value or "" when absent; `name` lower-case.
  std::string Header(const std::string& name) const;
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one HTTP exchange. An HTTP error status is NOT a failure here:
  // the response carries it. Failure means no complete response.
  Result<HttpResponse> Perform(const HttpRequest& request);

 private:
  class Share;
  class EasyHandle;
  std::unique_ptr<EasyHandle> Acquire();
  void Release(std::unique_ptr<EasyHandle> handle);

  const HttpClientOptions options_;
  std::unique_ptr<Share> share_;
  Mutex mu_;
  std::vector<std::unique_ptr<EasyHandle>> idle_ GUARDED_BY(mu_);
};

}  // namespace partfs

#endif  // PARTFS_TRANSFER_HTTP_CLIENT_H_
