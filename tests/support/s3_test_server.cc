#include "tests/support/s3_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/run_command.h"
#include "transfer/provider_profile.h"
#include "transfer/s3_bucket_admin.h"

namespace partfs::testing {
namespace {

using std::chrono::milliseconds;

constexpr int kPortBlock = 5;         // proxy, object, container, account, memcached
constexpr int kPortRangeLow = 20000;  // below the kernel's ephemeral range (32768+)
constexpr int kPortRangeHigh = 32000;
constexpr milliseconds kScriptTimeout{90000};

std::string ScriptPath() { return std::string(PARTFS_SOURCE_DIR) + "/scripts/s3-server.sh"; }

bool CanBind(int type, int port) {
  int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// The TCP ports of the block and the log receiver's UDP port (= PORT) are free.
bool PortBlockFree(int base) {
  for (int p = base; p < base + kPortBlock; ++p) {
    if (!CanBind(SOCK_STREAM, p)) return false;
  }
  return CanBind(SOCK_DGRAM, base);
}

int ParsePort(const std::string& url) {
  size_t colon = url.rfind(':');
  if (colon == std::string::npos) return 0;
  return atoi(url.c_str() + colon + 1);
}

// A process that stops the server and removes its data directory once the
// test process (`owner`) is gone without having done so itself.
int StartWatcher(pid_t owner, const std::string& data_dir) {
  std::string script = "while kill -0 " + std::to_string(owner) +
                       " 2>/dev/null; do sleep 1; done; " + ShellQuote(ScriptPath()) + " stop " +
                       ShellQuote(data_dir) + " >/dev/null 2>&1; rm -rf " + ShellQuote(data_dir);
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    setsid();
    close_range(0, ~0U, 0);
    execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// --- the server log ----------------------------------------------------------

// Decodes %XX escapes (the proxy quotes the logged path, query included).
std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// One S3 request as the server logged it, from either server's access line:
//   Swift: "proxy-server: CLIENT REMOTE DATE METHOD PATH PROTO STATUS REFERER AGENT AUTH
//           BYTES_RECEIVED BYTES_SENT ..." (the path percent-quoted)
//   RGW:   "... beast: 0x...: CLIENT - USER [DATE] "METHOD TARGET PROTO" STATUS BYTES_SENT ..."
struct AccessLine {
  std::string method;
  std::string target;  // decoded path and query
  std::string status;
  std::string bytes_received;  // "-" for none; "" when the server does not log it (RGW)
  std::string bytes_sent;      // "-" or "0" for none
};

std::vector<std::string_view> SplitFields(std::string_view rest, size_t max_fields) {
  std::vector<std::string_view> fields;
  while (!rest.empty() && fields.size() < max_fields) {
    size_t sp = rest.find(' ');
    fields.push_back(rest.substr(0, sp));
    if (sp == std::string_view::npos) break;
    rest.remove_prefix(sp + 1);
  }
  return fields;
}

std::optional<AccessLine> ParseSwiftLine(std::string_view line) {
  static constexpr std::string_view kPrefix = "proxy-server: ";
  if (line.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  line.remove_prefix(kPrefix.size());
  auto f = SplitFields(line, 12);
  if (f.size() < 7) return std::nullopt;
  AccessLine a{std::string(f[3]), PercentDecode(f[4]), std::string(f[6]), "", ""};
  if (f.size() == 12) {
    a.bytes_received = f[10];
    a.bytes_sent = f[11];
  }
  return a;
}

std::optional<AccessLine> ParseRgwLine(std::string_view line) {
  if (line.find(" beast: ") == std::string_view::npos) return std::nullopt;
  size_t open = line.find("] \"");
  if (open == std::string_view::npos) return std::nullopt;
  line.remove_prefix(open + 3);
  size_t close = line.find('"');
  if (close == std::string_view::npos) return std::nullopt;
  auto request = SplitFields(line.substr(0, close), 3);
  auto after = SplitFields(line.substr(std::min(line.size(), close + 2)), 2);
  if (request.size() < 2 || after.size() < 2) return std::nullopt;
  return AccessLine{std::string(request[0]), PercentDecode(request[1]), std::string(after[0]), "",
                    std::string(after[1])};
}

std::optional<AccessLine> ParseAccessLine(std::string_view line) {
  if (auto swift = ParseSwiftLine(line)) return swift;
  return ParseRgwLine(line);
}

// True when `a` is an UploadPart request on `bucket`; sets `ok` when it succeeded.
bool IsUploadPartLine(const AccessLine& a, const std::string& bucket, bool* ok) {
  if (a.method != "PUT") return false;
  if (a.target.compare(0, bucket.size() + 2, "/" + bucket + "/") != 0) return false;
  size_t q = a.target.find('?');
  if (q == std::string::npos) return false;
  std::string query = "&" + a.target.substr(q + 1);
  if (query.find("&partNumber=") == std::string::npos ||
      query.find("&uploadId=") == std::string::npos) {
    return false;
  }
  *ok = a.status == "200";
  return true;
}

// Sends a request that the proxy logs, so that its line marks "everything
// answered before now". Returns false when the server cannot be reached.
bool SendLogMarker(int port, const std::string& marker) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  if (ok) {
    std::string req = "GET /info?" + marker + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    ok = write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size());
    char buf[4096];
    while (ok && read(fd, buf, sizeof(buf)) > 0) {
    }
  }
  close(fd);
  return ok;
}

struct LogCounts {
  bool marker_seen = false;
  int ok = 0;
  int all = 0;
  int requests = 0;  // every S3 request on the bucket
  int copies = 0;    // successful CopyObject requests on the bucket
};

// True for an S3 request on `bucket` (not the Swift proxy's own sub-requests,
// which use /v1/ paths).
bool IsBucketRequestLine(const AccessLine& a, const std::string& bucket) {
  const std::string root = "/" + bucket;
  if (a.target.compare(0, root.size(), root) != 0) return false;
  return a.target.size() == root.size() || a.target[root.size()] == '/' ||
         a.target[root.size()] == '?';
}

// True for a successful CopyObject of the bucket: an S3 PUT of a key (no
// query: not UploadPartCopy) that received no body (where the server logs
// that) and sent one (the CopyObjectResult).
bool IsCopyLine(const AccessLine& a, const std::string& bucket) {
  if (!IsBucketRequestLine(a, bucket)) return false;
  const bool no_body_received = a.bytes_received.empty() || a.bytes_received == "-";
  return a.method == "PUT" && a.target.find('?') == std::string::npos && a.status == "200" &&
         no_body_received && !a.bytes_sent.empty() && a.bytes_sent != "-" && a.bytes_sent != "0";
}

LogCounts ScanLog(const std::string& path, const std::string& bucket, const std::string& marker) {
  LogCounts counts;
  FILE* f = fopen(path.c_str(), "re");
  if (f == nullptr) return counts;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t n;
  while ((n = getline(&line, &cap, f)) > 0) {
    std::string s(line, static_cast<size_t>(n));
    if (!s.empty() && s.back() == '\n') s.pop_back();
    bool ok = false;
    auto access = ParseAccessLine(s);
    if (access && IsBucketRequestLine(*access, bucket)) ++counts.requests;
    if (access && IsCopyLine(*access, bucket)) ++counts.copies;
    if (access && IsUploadPartLine(*access, bucket, &ok)) {
      ++counts.all;
      if (ok) ++counts.ok;
    } else if (s.find(marker) != std::string::npos) {
      counts.marker_seen = true;
    }
  }
  free(line);
  fclose(f);
  return counts;
}

LogCounts CountParts(const S3Endpoint& endpoint, const std::string& bucket) {
  static std::atomic<int> marker_seq{0};
  std::string marker = "partfs-log-marker-" + std::to_string(getpid()) + "-" +
                       std::to_string(marker_seq.fetch_add(1));
  LogCounts counts;
  if (!SendLogMarker(endpoint.port, marker)) return ScanLog(endpoint.log_file, bucket, marker);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    counts = ScanLog(endpoint.log_file, bucket, marker);
    if (counts.marker_seen) break;
    usleep(20000);
  }
  // The proxy has two workers; a line of the other worker may trail the marker.
  usleep(100000);
  return ScanLog(endpoint.log_file, bucket, marker);
}

}  // namespace

// --- PrivateS3Server -----------------------------------------------------------

PrivateS3Server::PrivateS3Server() {
  std::string tmpl = "/tmp/partfs-s3-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  data_dir_ = tmpl;
  endpoint_.log_file = data_dir_ + "/log/swift.log";
  PickPorts();
}

PrivateS3Server::~PrivateS3Server() {
  if (ever_started_) (void)RunScript("stop " + ShellQuote(data_dir_));
  if (watcher_pid_ > 0) {
    kill(-watcher_pid_, SIGKILL);  // its group: the shell and its sleep
    kill(watcher_pid_, SIGKILL);   // in case it has not called setsid() yet
    waitpid(watcher_pid_, nullptr, 0);
  }
  std::error_code ec;
  std::filesystem::remove_all(data_dir_, ec);
}

void PrivateS3Server::PickPorts() {
  std::mt19937 rng(
      static_cast<uint32_t>(getpid()) ^
      static_cast<uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::uniform_int_distribution<int> dist(kPortRangeLow / kPortBlock, kPortRangeHigh / kPortBlock);
  int port = 0;
  for (int attempt = 0; attempt < 200 && port == 0; ++attempt) {
    int base = dist(rng) * kPortBlock;
    if (PortBlockFree(base)) port = base;
  }
  endpoint_.port = port;
  endpoint_.url = "http://127.0.0.1:" + std::to_string(port);
}

Status PrivateS3Server::RunScript(const std::string& args) {
  CommandResult r = RunCommand(ShellQuote(ScriptPath()) + " " + args, kScriptTimeout);
  if (r.exit_code == 0) return Status::OK();
  return Status::Unavailable("s3-server.sh " + args + (r.timed_out ? ": timed out" : ": failed") +
                             ":\n" + r.output);
}

Status PrivateS3Server::Start(const std::string& bucket) {
  if (endpoint_.port == 0) return Status::Unavailable("no free port block for the S3 server");
  if (watcher_pid_ < 0) watcher_pid_ = StartWatcher(getpid(), data_dir_);
  std::string bucket_arg = bucket.empty() ? "" : " --bucket " + ShellQuote(bucket);
  Status s;
  // Another process may take a port between the check and the start: before
  // the endpoint was ever handed out, retry on other ports.
  for (int attempt = 0; attempt < 3; ++attempt) {
    s = RunScript("start " + ShellQuote(data_dir_) + " " + std::to_string(endpoint_.port) +
                  bucket_arg);
    if (s.ok() || ever_started_) break;
    PickPorts();
  }
  if (!s.ok()) return s;
  running_ = true;
  ever_started_ = true;
  return Status::OK();
}

Status PrivateS3Server::Stop() {
  if (!ever_started_) return Status::OK();
  Status s = RunScript("stop " + ShellQuote(data_dir_));
  running_ = false;
  return s;
}

// --- shared server and helpers ---------------------------------------------------

S3Endpoint SharedS3Server() {
  const char* url = getenv("PARTFS_TEST_S3_ENDPOINT");
  if (url != nullptr && *url != '\0') {
    S3Endpoint e;
    e.url = url;
    e.port = ParsePort(e.url);
    const char* log = getenv("PARTFS_TEST_S3_LOG");
    if (log != nullptr) e.log_file = log;
    const char* kind = getenv("PARTFS_TEST_S3_KIND");
    if (kind != nullptr && std::string_view(kind) == "rgw") e.kind = ServerKind::kRgw;
    return e;
  }
  // One instance for the whole process, stopped by its destructor at exit.
  static PrivateS3Server server;
  static Status started = [] {
    Status s = server.Start();
    if (!s.ok()) fprintf(stderr, "SharedS3Server: %s\n", s.ToString().c_str());
    return s;
  }();
  if (!started.ok()) {
    ADD_FAILURE() << "cannot start the local S3 server: " << started.ToString();
  }
  return server.endpoint();
}

std::string UniqueBucketName(std::string_view prefix) {
  static std::atomic<uint64_t> counter{0};
  std::string clean;
  for (char c : prefix) {
    unsigned char u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      clean += static_cast<char>(std::tolower(u));
    } else if (!clean.empty() && clean.back() != '-') {
      clean += '-';
    }
  }
  while (!clean.empty() && clean.back() == '-') clean.pop_back();
  if (clean.empty()) clean = "b";
  auto now = std::chrono::system_clock::now().time_since_epoch();
  uint64_t ms = static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(now).count());
  std::string suffix = "-" + std::to_string(getpid()) + "-" + std::to_string(counter.fetch_add(1)) +
                       "-" + std::to_string(ms % 100000000);
  if (clean.size() + suffix.size() > 63) clean.resize(63 - suffix.size());
  while (clean.size() > 1 && clean.back() == '-') clean.pop_back();
  return clean + suffix;
}

S3ClientOptions ClientOptions(const S3Endpoint& endpoint, const std::string& bucket) {
  S3ClientOptions o;
  o.endpoint = endpoint.url;
  o.region = endpoint.region;
  o.bucket = bucket;
  o.access_key = endpoint.access_key;
  o.secret_key = endpoint.secret_key;
  o.path_style = true;
  o.profile = ProfileFor(Provider::kS3);
  o.connect_timeout = milliseconds(2000);
  o.low_speed_time = std::chrono::seconds(20);
  o.retry.max_attempts = 4;
  o.retry.base_delay = milliseconds(50);
  o.retry.max_delay = milliseconds(500);
  o.retry.max_total = milliseconds(10000);
  return o;
}

std::unique_ptr<ObjectStore> MakeBucketAndClient(const S3Endpoint& endpoint,
                                                 const std::string& bucket) {
  S3ClientOptions options = ClientOptions(endpoint, bucket);
  Status created = CreateBucket(options);
  if (!created.ok()) {
    ADD_FAILURE() << "CreateBucket " << bucket << ": " << created.ToString();
    return nullptr;
  }
  auto client = CreateS3Client(options);
  if (!client.ok()) {
    ADD_FAILURE() << "CreateS3Client: " << client.status().ToString();
    return nullptr;
  }
  return std::move(client).value();
}

int CountUploadPartRequests(const S3Endpoint& endpoint, const std::string& bucket) {
  if (endpoint.log_file.empty()) return -1;
  return CountParts(endpoint, bucket).ok;
}

int CountBucketRequests(const S3Endpoint& endpoint, const std::string& bucket) {
  if (endpoint.log_file.empty()) return -1;
  return CountParts(endpoint, bucket).requests;
}

int CountCopyRequests(const S3Endpoint& endpoint, const std::string& bucket) {
  if (endpoint.log_file.empty()) return -1;
  return CountParts(endpoint, bucket).copies;
}

int CountUploadPartAttempts(const S3Endpoint& endpoint, const std::string& bucket) {
  if (endpoint.log_file.empty()) return -1;
  return CountParts(endpoint, bucket).all;
}

bool TestServerIs(ServerKind kind) { return SharedS3Server().kind == kind; }

}  // namespace partfs::testing
