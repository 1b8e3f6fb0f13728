#include "transfer/http_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <mutex>

namespace partfs {

namespace {

// Handshake and certificate failures: named as TLS failures so that `partfs
// check` and the mount tell them from an endpoint that does not answer.
bool IsTlsError(CURLcode rc) {
  switch (rc) {
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
      return true;
    default:
      return false;
  }
}
// libcurl accepts at most 2 MiB for the upload buffer and 512 KiB for the
// download buffer; large buffers mean fewer pread() calls and callbacks.
constexpr long kUploadBufferSize = 2 * 1024 * 1024;
constexpr long kDownloadBufferSize = 512 * 1024;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// Everything the callbacks of one Perform() need; lives on Perform()'s stack.
struct TransferState {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  CURL* curl = nullptr;
  uint64_t body_length = 0;
  uint64_t body_pos = 0;
  Status local_error;
  bool sink_decided = false;
  bool to_buffer = false;
  bool full_response = false;  // 200 to a ranged request: stop when the buffer is full
  bool stopped_full = false;
  bool overflow = false;
  uint64_t skip = 0;
};

size_t ReadBody(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* st = static_cast<TransferState*>(userdata);
  const uint64_t want = std::min<uint64_t>(size * nitems, st->body_length - st->body_pos);
  if (want == 0) return 0;
  if (st->request->body_string != nullptr) {
    std::memcpy(buffer, st->request->body_string->data() + st->body_pos, want);
    st->body_pos += want;
    return want;
  }
  const FileRange& range = *st->request->body_file;
  uint64_t got = 0;
  while (got < want) {
    ssize_t n = pread(range.fd, buffer + got, want - got,
                      static_cast<off_t>(range.offset + st->body_pos + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st->local_error = Status::FromErrno(errno, "reading request body");
      return CURL_READFUNC_ABORT;
    }
    if (n == 0) {
      st->local_error = Status::IOError("request body file is shorter than the range to send");
      return CURL_READFUNC_ABORT;
    }
    got += static_cast<uint64_t>(n);
  }
  st->body_pos += got;
  return got;
}

// Lets curl rewind the body (e.g. when it must resend on a reused connection).
int SeekBody(void* userdata, curl_off_t offset, int origin) {
  auto* st = static_cast<TransferState*>(userdata);
  if (origin != SEEK_SET || offset < 0 || static_cast<uint64_t>(offset) > st->body_length) {
    return CURL_SEEKFUNC_CANTSEEK;
  }
  st->body_pos = static_cast<uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

void DecideSink(TransferState* st) {
  long code = 0;
  curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &code);
  st->to_buffer = st->request->response_buffer != nullptr && code >= 200 && code < 300;
  if (st->to_buffer && code == 200 && st->request->skip_on_full_response > 0) {
    st->skip = st->request->skip_on_full_response;
  }
  st->full_response = st->to_buffer && code == 200;
  st->sink_decided = true;
}

size_t WriteBody(char* ptr, size_t size, size_t nmemb, void* userdata) {
  auto* st = static_cast<TransferState*>(userdata);
  const size_t n = size * nmemb;
  if (!st->sink_decided) DecideSink(st);
  if (!st->to_buffer) {
    // Error and XML bodies are small; bound them anyway.
    if (st->response->body.size() + n > 64 * 1024 * 1024) return 0;
    st->response->body.append(ptr, n);
    return n;
  }
  size_t consumed = 0;
  if (st->skip > 0) {
    const size_t take = std::min<uint64_t>(st->skip, n);
    st->skip -= take;
    consumed += take;
  }
  const uint64_t room = st->request->response_capacity - st->response->buffer_bytes;
  const size_t copy = std::min<uint64_t>(n - consumed, room);
  std::memcpy(st->request->response_buffer + st->response->buffer_bytes, ptr + consumed, copy);
  st->response->buffer_bytes += copy;
  consumed += copy;
  if (consumed < n) {
    (st->full_response ? st->stopped_full : st->overflow) = true;
    return 0;  // aborts the transfer
  }
  return n;
}

size_t ReadHeader(char* ptr, size_t size, size_t nitems, void* userdata) {
  auto* st = static_cast<TransferState*>(userdata);
  const size_t n = size * nitems;
  std::string_view line(ptr, n);
  if (line.starts_with("HTTP/")) {
    st->response->headers.clear();  // a new response (e.g. after 100 Continue)
    return n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
    value.remove_suffix(1);
  }
  st->response->headers[name] = std::string(value);
  return n;
}

// Connection, timeout and buffer settings plus the callbacks, which all get `st`.
void SetTransferOptions(CURL* curl, const HttpClientOptions& options, CURLSH* share, char* errbuf,
                        TransferState* st) {
  curl_easy_setopt(curl, CURLOPT_URL, st->request->url.c_str());
  curl_easy_setopt(curl, CURLOPT_SHARE, share);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  // S3 keys may contain "." and ".." segments: send the path exactly as encoded.
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(options.low_speed_bytes));
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, static_cast<long>(options.low_speed_time.count()));
  curl_easy_setopt(curl, CURLOPT_BUFFERSIZE, kDownloadBufferSize);
  curl_easy_setopt(curl, CURLOPT_UPLOAD_BUFFERSIZE, kUploadBufferSize);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &ReadHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, st);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &WriteBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, st);
}

// The HTTP method, and for requests with a body the callbacks streaming it.
void SetMethodAndBody(CURL* curl, TransferState* st) {
  const HttpRequest& request = *st->request;
  const bool has_body = request.body_string != nullptr || request.body_file != nullptr;
  if (request.body_string != nullptr) st->body_length = request.body_string->size();
  if (request.body_file != nullptr) st->body_length = request.body_file->length;
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (has_body || request.method == "PUT" || request.method == "POST") {
    // Upload mode streams the body through ReadBody with a Content-Length.
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st->body_length));
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadBody);
    curl_easy_setopt(curl, CURLOPT_READDATA, st);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, &SeekBody);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, st);
    if (request.method != "PUT") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
}

// The request's headers as a curl list, led by an empty "Expect:" that stops
// curl from waiting for 100-continue on uploads.
Result<Slist> BuildHeaderList(const HeaderList& request_headers) {
  Slist headers(curl_slist_append(nullptr, "Expect:"));
  for (const auto& [name, value] : request_headers) {
    std::string line = value.empty() ? name + ";" : name + ": " + value;
    curl_slist* appended = curl_slist_append(headers.get(), line.c_str());
    if (appended == nullptr) return Status::Unavailable("out of memory building headers");
    (void)headers.release();
    headers.reset(appended);
  }
  return headers;
}

// The outcome of a finished curl_easy_perform: the response, or why there is
// no complete one (a local body read, a full or overflowing buffer, transport).
Result<HttpResponse> CollectResponse(CURLcode rc, const char* errbuf, const TransferState& st,
                                     HttpResponse response) {
  const HttpRequest& request = *st.request;
  if (!st.local_error.ok()) return st.local_error;
  if (rc == CURLE_WRITE_ERROR && st.stopped_full) return response;
  if (st.overflow) {
    return Status::IOError("response body larger than the " +
                           std::to_string(request.response_capacity) + "-byte buffer");
  }
  if (rc != CURLE_OK) {
    std::string msg = std::string(curl_easy_strerror(rc));
    if (IsTlsError(rc)) msg = "TLS failure: " + msg;
    if (errbuf[0] != '\0') msg += ": " + std::string(errbuf);
    return Status::Unavailable(request.method + " request failed: " + msg);
  }
  return response;
}
}  // namespace

std::string HttpResponse::Header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

// Shares the DNS cache and TLS sessions between the pool's easy handles.
class HttpClient::Share {
 public:
  Share() : share_(curl_share_init()) {
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &Share::Lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &Share::Unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }
  ~Share() { curl_share_cleanup(share_); }
  Share(const Share&) = delete;
  Share& operator=(const Share&) = delete;
  CURLSH* get() const { return share_; }

 private:
  static void Lock(CURL*, curl_lock_data data, curl_lock_access, void* userptr) {
    static_cast<Share*>(userptr)->locks_[Index(data)].lock();
  }
  static void Unlock(CURL*, curl_lock_data data, void* userptr) {
    static_cast<Share*>(userptr)->locks_[Index(data)].unlock();
  }
  static size_t Index(curl_lock_data data) {
    return std::min<size_t>(static_cast<size_t>(data), kLocks - 1);
  }
  static constexpr size_t kLocks = CURL_LOCK_DATA_LAST + 1;
  CURLSH* share_;
  std::mutex locks_[kLocks];
};

// Owns one CURL easy handle (and, through it, its cached connections).
class HttpClient::EasyHandle {
 public:
  EasyHandle() : curl_(curl_easy_init()) {}
  ~EasyHandle() {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;
  CURL* get() const { return curl_; }

 private:
  CURL* curl_;
};

HttpClient::HttpClient(HttpClientOptions options)
    : options_(options), share_(std::make_unique<Share>()) {}

HttpClient::~HttpClient() {
  MutexLock lock(&mu_);
  idle_.clear();  // handles go before the share they use
}

std::unique_ptr<HttpClient::EasyHandle> HttpClient::Acquire() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      auto handle = std::move(idle_.back());
      idle_.pop_back();
      return handle;
    }
  }
  return std::make_unique<EasyHandle>();
}

void HttpClient::Release(std::unique_ptr<EasyHandle> handle) {
  MutexLock lock(&mu_);
  if (idle_.size() < options_.max_idle_handles) idle_.push_back(std::move(handle));
}

Result<HttpResponse> HttpClient::Perform(const HttpRequest& request) {
  auto handle = Acquire();
  CURL* curl = handle->get();
  if (curl == nullptr) return Status::Unavailable("curl_easy_init failed");
  curl_easy_reset(curl);

  HttpResponse response;
  TransferState st;
  st.request = &request;
  st.response = &response;
  st.curl = curl;
  char errbuf[CURL_ERROR_SIZE] = {0};
  SetTransferOptions(curl, options_, share_->get(), errbuf, &st);
  SetMethodAndBody(curl, &st);
  auto headers = BuildHeaderList(request.headers);
  if (!headers.ok()) return headers.status();
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers->get());

  const CURLcode rc = curl_easy_perform(curl);
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  response.status = static_cast<int>(code);
  // Drop pointers into this stack frame before the handle goes back to the pool.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  Release(std::move(handle));
  return CollectResponse(rc, errbuf, st, std::move(response));
}

}  // namespace partfs
