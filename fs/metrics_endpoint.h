// MetricsEndpoint: the Prometheus text endpoint of `-o metrics=ADDR:PORT`.
// GET /metrics answers the mount's counters in the text exposition format
// (base/metrics.h); any other path is 404, any other method 405.
//
// Served by libmicrohttpd (its own polling thread), a maintained HTTP server
// library, not a hand-written one. The listening socket is bound here first,
// so a port in use fails Start with the bind error. Listens on a loopback
// address only (127.0.0.1 or [::1]): the counters are not meant for the network.
//
// Thread-safe; non-copyable owner of the server. `metrics` must outlive it.
#ifndef PARTFS_FS_METRICS_ENDPOINT_H_
#define PARTFS_FS_METRICS_ENDPOINT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/metrics.h"
#include "base/status.h"

struct MHD_Daemon;

namespace partfs {

struct MetricsAddress {
  std::string host;  // "127.0.0.1" or "::1"
  uint16_t port = 0;
  std::string ToString() const;  // "127.0.0.1:9100", "[::1]:9100"
};

// "127.0.0.1:PORT" or "[::1]:PORT" (also "localhost:PORT" = 127.0.0.1).
// InvalidArgument naming the problem otherwise (another host, no port...).
Result<MetricsAddress> ParseMetricsAddress(std::string_view text);

class MetricsEndpoint {
 public:
  // Binds `address` and starts serving. Unavailable "cannot listen on ...: <errno text>".
  static Result<std::unique_ptr<MetricsEndpoint>> Start(const MetricsAddress& address,
                                                        const Metrics* metrics);
  ~MetricsEndpoint();
  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  // The port bound (useful with port 0 in tests).
  uint16_t port() const { return port_; }

 private:
  MetricsEndpoint(int listen_fd, uint16_t port);

  int listen_fd_;  // owned until the daemon runs, which then owns (and closes) it
  uint16_t port_;
  MHD_Daemon* daemon_ = nullptr;
};

}  // namespace partfs

#endif  // PARTFS_FS_METRICS_ENDPOINT_H_
