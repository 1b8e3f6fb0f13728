// FaultProxy: a loopback HTTP/1.1 proxy in front of a local server port, for
// fault-injection tests (retries, cut connections, lost responses).
//
// It listens on 127.0.0.1 on an ephemeral port; point a client's endpoint at
// url(). By default every request is passed through. Faults are armed with a
// count and consumed by the next requests/connections in arrival order:
//   FailNextRequests(n)      answer n requests itself with a 503 SlowDown XML
//                            error (the request body is read and discarded,
//                            the connection stays usable);
//   CutNextConnections(n)    close n newly accepted connections at once;
//   CutNextRequests(n, k)    read the first k bytes of n requests (head and
//                            body), then close the connection;
//   DropNextResponses(n)     forward n requests to the server, wait for the
//                            server's whole response, then close the client's
//                            connection without answering (the operation took
//                            effect, the client does not know).
// and one standing rule until PassThrough():
//   FailRequestsMatching(s)  answer every request whose request line contains
//                            all of the substrings `s` with an error (e.g.
//                            {"POST ", "uploadId="}: CompleteMultipartUpload),
//                            optionally after letting the first k through.
// and, for the fault and soak tests, a random mix of faults (FaultRandomly), an
// outage (SetOutage) and slowed requests (DelayRequestsMatching): see those.
// Requests are assumed to carry Content-Length bodies (as curl sends them).
//
// Thread-safe. One thread accepts; each connection gets a thread for each
// direction, bounded by kMaxConnections. Stop() (also run by the destructor)
// closes every socket and joins every thread.
#ifndef PARTFS_TESTS_SUPPORT_FAULT_PROXY_H_
#define PARTFS_TESTS_SUPPORT_FAULT_PROXY_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace partfs::testing {

class FaultProxy {
 public:
  static constexpr int kMaxConnections = 64;

  // Starts listening; aborts the test process (assert) if no socket can be bound.
  explicit FaultProxy(int target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void FailNextRequests(int n, int http_status = 503, const std::string& code = "SlowDown");
  // A permanent failure mode: every request is answered with the error.
  void FailAllRequests(int http_status = 503, const std::string& code = "SlowDown");
  void CutNextConnections(int n);
  void CutNextRequests(int n, uint64_t after_bytes);
  void DropNextResponses(int n);
  // Fails (like FailNextRequests) every request whose request line contains all of
  // `substrings`, after passing the first `pass_first` of them through unchanged.
  void FailRequestsMatching(std::vector<std::string> substrings, int pass_first = 0,
                            int http_status = 503, const std::string& code = "SlowDown");
  // Requests that matched FailRequestsMatching's substrings so far (passed or failed).
  int matching_requests_seen() const { return matching_seen_.load(); }
  void PassThrough();  // disarms every fault (also the random mix and an outage)

  // The random mix: each request not claimed by an armed fault above is, with
  // `probability`, answered by one fault kind chosen by the weights:
  //   503 SlowDown, 500 InternalError (answered by the proxy, body discarded);
  //   reset: a random part of the head+body is read, then the connection is
  //          reset (RST), the server never sees the request;
  //   stall: the request is read and never answered; the connection is held
  //          until the client gives up (closes) or `stall_for` passed. At most
  //          `max_stalls` stalls in all (a stall costs the client its whole
  //          low-speed timeout); further draws of "stall" become 503s.
  // Deterministic for `seed` in the order requests arrive.
  struct RandomFaults {
    double probability = 0.1;
    uint64_t seed = 1;
    int weight_503 = 1;
    int weight_500 = 1;
    int weight_reset = 1;
    int weight_stall = 0;
    int max_stalls = 0;
    std::chrono::seconds stall_for{60};
  };
  void FaultRandomly(const RandomFaults& faults);
  // Faults the random mix injected so far, by kind.
  struct RandomFaultCounts {
    int slow_down_503 = 0;
    int internal_error_500 = 0;
    int reset = 0;
    int stall = 0;
    int total() const { return slow_down_503 + internal_error_500 + reset + stall; }
  };
  RandomFaultCounts random_fault_counts() const;

  // An outage (a stopped server, from the client's view): while on, every new
  // connection is reset as soon as it is accepted, and turning it on resets
  // every open connection (requests in flight fail). Counted in
  // faults_injected() and outage_refusals().
  void SetOutage(bool on);
  int outage_refusals() const { return outage_refusals_.load(); }

  // Slow uploads without failing them: every request whose request line
  // contains all of `substrings` (and that no fault claims) is held `delay`
  // before it is forwarded; the client sees no answer meanwhile (keep it under
  // the client's low-speed timeout). A zero delay or PassThrough() ends it.
  void DelayRequestsMatching(std::vector<std::string> substrings, std::chrono::milliseconds delay);
  int delayed_requests() const { return delayed_.load(); }

  int requests_seen() const { return requests_seen_.load(); }
  // The head (request line and headers) of the latest request received.
  std::string last_request_head();
  int faults_injected() const { return faults_injected_.load(); }

  void Stop();

 private:
  enum class Action { kPass, kFail, kCut, kDrop, kReset, kStall };
  struct Connection;

  void AcceptLoop();
  void Serve(Connection* conn);
  Action NextRequestAction(const std::string& head, uint64_t* cut_after, int* fail_status,
                           std::string* fail_code);
  bool TakeConnectionCut();
  std::chrono::milliseconds DelayFor(const std::string& head);
  void Track(int fd);
  void Untrack(int fd);

  const int target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::thread accept_thread_;

  std::mutex mu_;  // guards everything below
  int fail_next_ = 0;
  bool fail_all_ = false;
  int fail_status_ = 503;
  std::string fail_code_ = "SlowDown";
  int cut_connections_ = 0;
  int cut_requests_ = 0;
  uint64_t cut_after_ = 0;
  int drop_next_ = 0;
  std::vector<std::string> match_all_;  // FailRequestsMatching's substrings; empty = off
  int match_pass_ = 0;                  // matching requests still to let through
  int match_status_ = 503;
  std::string match_code_;
  std::set<int> open_fds_;
  std::string last_head_;
  std::vector<std::unique_ptr<Connection>> connections_;

  RandomFaults random_{};
  bool random_on_ = false;
  int random_stalls_ = 0;
  std::mt19937_64 random_engine_;

  std::vector<std::string> delay_match_;
  std::chrono::milliseconds delay_{0};
  std::atomic<int> delayed_{0};

  std::atomic<bool> outage_{false};
  std::atomic<int> outage_refusals_{0};
  std::atomic<int> random_503_{0};
  std::atomic<int> random_500_{0};
  std::atomic<int> random_reset_{0};
  std::atomic<int> random_stall_{0};
  std::atomic<int> requests_seen_{0};
  std::atomic<int> faults_injected_{0};
  std::atomic<int> matching_seen_{0};
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_FAULT_PROXY_H_
