#include "tests/support/fault_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cctype>
#include <chrono>
#include <cstring>

namespace partfs::testing {

namespace {
constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kChunk = 256 * 1024;

bool SendAll(int fd, const char* data, size_t len) {
  while (len > 0) {
    ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

int ConnectLoopback(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{30, 0};  // bounded waits on the server side
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Makes close(fd) send a RST instead of a FIN.
void SetResetOnClose(int fd) {
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

uint64_t ContentLength(const std::string& head) {
  const std::string lower = Lower(head);
  size_t pos = lower.find("\r\ncontent-length:");
  if (pos == std::string::npos) return 0;
  return std::strtoull(lower.c_str() + pos + 17, nullptr, 10);
}

std::string ErrorResponse(int status, const std::string& code, bool head_only) {
  const std::string body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code +
                           "</Code><Message>Injected by FaultProxy.</Message>"
                           "<RequestId>faultproxy</RequestId></Error>";
  std::string out =
      "HTTP/1.1 " + std::to_string(status) + " Injected Fault\r\n" +
      "Content-Type: application/xml\r\nContent-Length: " + std::to_string(body.size()) +
      "\r\nConnection: keep-alive\r\n\r\n";
  if (!head_only) out += body;
  return out;
}
}  // namespace

struct FaultProxy::Connection {
  int client_fd = -1;
  std::thread thread;
  std::atomic<bool> done{false};
};

FaultProxy::FaultProxy(int target_port) : target_port_(target_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  assert(listen_fd_ >= 0);
  int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int rc = bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  assert(rc == 0);
  rc = listen(listen_fd_, 64);
  assert(rc == 0);
  socklen_t len = sizeof(addr);
  getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  (void)rc;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

FaultProxy::~FaultProxy() { Stop(); }

void FaultProxy::FailNextRequests(int n, int http_status, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = n;
  fail_status_ = http_status;
  fail_code_ = code;
}

void FaultProxy::FailAllRequests(int http_status, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_all_ = true;
  fail_status_ = http_status;
  fail_code_ = code;
}

void FaultProxy::CutNextConnections(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_connections_ = n;
}

void FaultProxy::CutNextRequests(int n, uint64_t after_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_requests_ = n;
  cut_after_ = after_bytes;
}

void FaultProxy::DropNextResponses(int n) {
  std::lock_guard<std::mutex> lock(mu_);
  drop_next_ = n;
}

void FaultProxy::FailRequestsMatching(std::vector<std::string> substrings, int pass_first,
                                      int http_status, const std::string& code) {
  std::lock_guard<std::mutex> lock(mu_);
  match_all_ = std::move(substrings);
  match_pass_ = pass_first;
  match_status_ = http_status;
  match_code_ = code;
}

void FaultProxy::PassThrough() {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = cut_connections_ = cut_requests_ = drop_next_ = 0;
  fail_all_ = false;
  match_all_.clear();
  match_pass_ = 0;
  random_on_ = false;
  outage_ = false;
  delay_ = std::chrono::milliseconds(0);
  delay_match_.clear();
}

void FaultProxy::DelayRequestsMatching(std::vector<std::string> substrings,
                                       std::chrono::milliseconds delay) {
  std::lock_guard<std::mutex> lock(mu_);
  delay_match_ = std::move(substrings);
  delay_ = delay;
}

std::chrono::milliseconds FaultProxy::DelayFor(const std::string& head) {
  std::lock_guard<std::mutex> lock(mu_);
  if (delay_.count() <= 0) return std::chrono::milliseconds(0);
  const std::string line = head.substr(0, head.find("\r\n"));
  for (const std::string& s : delay_match_) {
    if (line.find(s) == std::string::npos) return std::chrono::milliseconds(0);
  }
  return delay_;
}

void FaultProxy::FaultRandomly(const RandomFaults& faults) {
  std::lock_guard<std::mutex> lock(mu_);
  random_ = faults;
  random_on_ = faults.probability > 0;
  random_stalls_ = 0;
  random_engine_.seed(faults.seed);
}

FaultProxy::RandomFaultCounts FaultProxy::random_fault_counts() const {
  RandomFaultCounts c;
  c.slow_down_503 = random_503_.load();
  c.internal_error_500 = random_500_.load();
  c.reset = random_reset_.load();
  c.stall = random_stall_.load();
  return c;
}

void FaultProxy::SetOutage(bool on) {
  std::lock_guard<std::mutex> lock(mu_);
  outage_ = on;
  if (on) {
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);  // requests in flight fail
  }
}

FaultProxy::Action FaultProxy::NextRequestAction(const std::string& head, uint64_t* cut_after,
                                                 int* fail_status, std::string* fail_code) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fail_all_ || fail_next_ > 0) {
    if (!fail_all_) --fail_next_;
    *fail_status = fail_status_;
    *fail_code = fail_code_;
    return Action::kFail;
  }
  if (!match_all_.empty()) {
    const std::string line = head.substr(0, head.find("\r\n"));
    bool matches = true;
    for (const std::string& s : match_all_) matches = matches && line.find(s) != std::string::npos;
    if (matches) {
      matching_seen_++;
      if (match_pass_ == 0) {
        *fail_status = match_status_;
        *fail_code = match_code_;
        return Action::kFail;
      }
      --match_pass_;  // let this one through (subject to the rules below)
    }
  }
  if (cut_requests_ > 0) {
    --cut_requests_;
    *cut_after = cut_after_;
    return Action::kCut;
  }
  if (drop_next_ > 0) {
    --drop_next_;
    return Action::kDrop;
  }
  if (random_on_) {
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    if (unit(random_engine_) < random_.probability) {
      const int w503 = std::max(0, random_.weight_503), w500 = std::max(0, random_.weight_500);
      const int wreset = std::max(0, random_.weight_reset);
      const int wstall = std::max(0, random_.weight_stall);
      const int sum = w503 + w500 + wreset + wstall;
      int pick = sum > 0 ? static_cast<int>(random_engine_() % static_cast<uint64_t>(sum)) : 0;
      if (sum == 0 || pick < w503) {
        random_503_++;
        *fail_status = 503;
        *fail_code = "SlowDown";
        return Action::kFail;
      }
      pick -= w503;
      if (pick < w500) {
        random_500_++;
        *fail_status = 500;
        *fail_code = "InternalError";
        return Action::kFail;
      }
      pick -= w500;
      if (pick < wreset) {
        const uint64_t total = head.size() + ContentLength(head);
        *cut_after = random_engine_() % (total + 1);
        random_reset_++;
        return Action::kReset;
      }
      if (random_stalls_ < random_.max_stalls) {
        ++random_stalls_;
        random_stall_++;
        return Action::kStall;
      }
      random_503_++;
      *fail_status = 503;
      *fail_code = "SlowDown";
      return Action::kFail;
    }
  }
  return Action::kPass;
}

std::string FaultProxy::last_request_head() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_head_;
}

bool FaultProxy::TakeConnectionCut() {
  std::lock_guard<std::mutex> lock(mu_);
  if (cut_connections_ == 0) return false;
  --cut_connections_;
  return true;
}

void FaultProxy::Track(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.insert(fd);
}

void FaultProxy::Untrack(int fd) {
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  close(fd);
}

void FaultProxy::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 100) <= 0) continue;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (TakeConnectionCut()) {
      faults_injected_++;
      close(fd);
      continue;
    }
    if (outage_.load()) {
      faults_injected_++;
      outage_refusals_++;
      SetResetOnClose(fd);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    // Reap finished connections, then admit this one if there is room.
    std::vector<std::unique_ptr<Connection>> finished;
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto split = std::stable_partition(connections_.begin(), connections_.end(),
                                         [](const auto& c) { return !c->done.load(); });
      for (auto it = split; it != connections_.end(); ++it) finished.push_back(std::move(*it));
      connections_.erase(split, connections_.end());
    }
    for (auto& c : finished) c->thread.join();
    std::lock_guard<std::mutex> lock(mu_);
    if (static_cast<int>(connections_.size()) >= kMaxConnections || stopping_.load()) {
      close(fd);
      continue;
    }
    open_fds_.insert(fd);
    auto conn = std::make_unique<Connection>();
    conn->client_fd = fd;
    Connection* raw = conn.get();
    conn->thread = std::thread([this, raw] { Serve(raw); });
    connections_.push_back(std::move(conn));
  }
}

void FaultProxy::Serve(Connection* conn) {
  const int client = conn->client_fd;
  int server = -1;
  std::thread relay;
  std::string buf;
  std::vector<char> tmp(kChunk);

  // Reads more client bytes into buf; false on EOF/error.
  auto fill = [&]() {
    ssize_t n = recv(client, tmp.data(), tmp.size(), 0);
    if (n <= 0) return false;
    buf.append(tmp.data(), static_cast<size_t>(n));
    return true;
  };
  // Moves `len` body bytes from the client to `dest` (or discards them, dest < 0).
  auto pump = [&](uint64_t len, int dest) {
    while (len > 0) {
      if (buf.empty() && !fill()) return false;
      const size_t take = std::min<uint64_t>(len, buf.size());
      if (dest >= 0 && !SendAll(dest, buf.data(), take)) return false;
      buf.erase(0, take);
      len -= take;
    }
    return true;
  };

  while (!stopping_.load()) {
    size_t head_end;
    bool ok = true;
    while ((head_end = buf.find("\r\n\r\n")) == std::string::npos) {
      if (buf.size() > kMaxHead || !fill()) {
        ok = false;
        break;
      }
    }
    if (!ok) break;
    std::string head = buf.substr(0, head_end + 4);
    buf.erase(0, head_end + 4);
    const uint64_t body_len = ContentLength(head);
    const bool is_head = head.rfind("HEAD ", 0) == 0;
    requests_seen_++;
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_head_ = head;
    }

    uint64_t cut_after = 0;
    int fail_status = 503;
    std::string fail_code;
    const Action action = NextRequestAction(head, &cut_after, &fail_status, &fail_code);
    if (action == Action::kFail) {
      faults_injected_++;
      if (!pump(body_len, -1)) break;
      const std::string resp = ErrorResponse(fail_status, fail_code, is_head);
      if (!SendAll(client, resp.data(), resp.size())) break;
      continue;
    }
    if (action == Action::kCut) {
      faults_injected_++;
      const uint64_t total = head.size() + body_len;
      const uint64_t keep = std::min(cut_after, total);
      if (keep > head.size()) pump(keep - head.size(), -1);
      break;
    }
    if (action == Action::kReset) {
      faults_injected_++;
      // The head is already read; read on to the cut point, then reset.
      const uint64_t keep = std::min(cut_after, head.size() + body_len);
      if (keep > head.size()) pump(keep - head.size(), -1);
      SetResetOnClose(client);
      break;
    }
    if (action == Action::kStall) {
      faults_injected_++;
      // Read (and discard) whatever comes, answer nothing, until the client
      // gives up, the stall is over or the proxy stops.
      std::chrono::seconds stall_for;
      {
        std::lock_guard<std::mutex> lock(mu_);
        stall_for = random_.stall_for;
      }
      const auto until = std::chrono::steady_clock::now() + stall_for;
      while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
        pollfd pfd{client, POLLIN, 0};
        const int ready = poll(&pfd, 1, 200);
        if (ready < 0 && errno != EINTR) break;
        if (ready <= 0) continue;
        ssize_t n = recv(client, tmp.data(), tmp.size(), 0);
        if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) break;
      }
      break;
    }
    if (action == Action::kDrop) {
      faults_injected_++;
      // A separate server connection that closes after its one response, so
      // "whole response received" is simply EOF.
      int fresh = ConnectLoopback(target_port_);
      if (fresh < 0) break;
      head.insert(head.size() - 2, "Connection: close\r\n");
      if (SendAll(fresh, head.data(), head.size()) && pump(body_len, fresh)) {
        while (recv(fresh, tmp.data(), tmp.size(), 0) > 0) {
        }
      }
      close(fresh);
      break;
    }
    const auto delay = DelayFor(head);
    if (delay.count() > 0) {
      delayed_++;
      const auto until = std::chrono::steady_clock::now() + delay;
      while (!stopping_.load() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    if (server < 0) {
      server = ConnectLoopback(target_port_);
      if (server < 0) break;
      Track(server);
      relay = std::thread([client, server] {
        std::vector<char> rbuf(kChunk);
        for (;;) {
          ssize_t n = recv(server, rbuf.data(), rbuf.size(), 0);
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0 || !SendAll(client, rbuf.data(), static_cast<size_t>(n))) break;
        }
        shutdown(client, SHUT_RDWR);  // ends the request loop too
      });
    }
    if (!SendAll(server, head.data(), head.size()) || !pump(body_len, server)) break;
  }

  shutdown(client, SHUT_RDWR);
  if (server >= 0) shutdown(server, SHUT_RDWR);
  if (relay.joinable()) relay.join();
  if (server >= 0) Untrack(server);
  Untrack(client);
  conn->done = true;
}

void FaultProxy::Stop() {
  if (stopping_.exchange(true)) return;
  if (accept_thread_.joinable()) accept_thread_.join();
  std::vector<std::unique_ptr<Connection>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    all.swap(connections_);
  }
  for (auto& c : all) c->thread.join();
  close(listen_fd_);
}

}  // namespace partfs::testing
