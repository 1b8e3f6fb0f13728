#include "fs/metrics_endpoint.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace partfs {

std::string MetricsAddress::ToString() const {
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

Result<MetricsAddress> ParseMetricsAddress(std::string_view text) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument("option metrics=" + std::string(text) + ": " + why);
  };
  MetricsAddress address;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return bad("expected [::1]:PORT");
    }
    address.host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return bad("expected 127.0.0.1:PORT or [::1]:PORT");
    address.host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  if (address.host == "localhost") address.host = "127.0.0.1";
  if (address.host != "127.0.0.1" && address.host != "::1") {
    return bad("only the loopback addresses 127.0.0.1 and [::1] are served");
  }
  if (port_text.empty() || port_text.size() > 5) return bad("the port must be 1..65535");
  for (char c : port_text) {
    if (c < '0' || c > '9') return bad("the port must be 1..65535");
  }
  const long port = std::strtol(std::string(port_text).c_str(), nullptr, 10);
  if (port < 1 || port > 65535) return bad("the port must be 1..65535");
  address.port = static_cast<uint16_t>(port);
  return address;
}

namespace {

MHD_Result Reply(MHD_Connection* connection, unsigned int code, const std::string& body,
                 const char* content_type) {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_Result result = MHD_queue_response(connection, code, response);
  MHD_destroy_response(response);
  return result;
}

MHD_Result Handle(void* cls, MHD_Connection* connection, const char* url, const char* method,
                  const char*, const char*, size_t*, void**) {
  const auto* metrics = static_cast<const Metrics*>(cls);
  if (std::strcmp(url, "/metrics") != 0) {
    return Reply(connection, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n", "text/plain");
  }
  if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
    return Reply(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n", "text/plain");
  }
  return Reply(connection, MHD_HTTP_OK, metrics->Snapshot().ToPrometheusText(),
               "text/plain; version=0.0.4; charset=utf-8");
}

// A bound, listening socket for `address`, or the errno of the step that failed.
Result<int> Listen(const MetricsAddress& address, uint16_t* bound_port) {
  const bool v6 = address.host == "::1";
  sockaddr_storage storage{};
  socklen_t length;
  if (v6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(address.port);
    inet_pton(AF_INET6, "::1", &in6->sin6_addr);
    length = sizeof(sockaddr_in6);
  } else {
    auto* in4 = reinterpret_cast<sockaddr_in*>(&storage);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(address.port);
    inet_pton(AF_INET, "127.0.0.1", &in4->sin_addr);
    length = sizeof(sockaddr_in);
  }
  const std::string where = "cannot listen on " + address.ToString() + " for metrics";
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Unavailable(where + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, 16) != 0) {
    const int err = errno;
    ::close(fd);
    return Status::Unavailable(where + ": " + std::strerror(err));
  }
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) == 0) {
    *bound_port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                           : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  }
  return fd;
}

}  // namespace

MetricsEndpoint::MetricsEndpoint(int listen_fd, uint16_t port)
    : listen_fd_(listen_fd), port_(port) {}

Result<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const MetricsAddress& address,
                                                                const Metrics* metrics) {
  uint16_t port = address.port;
  auto fd = Listen(address, &port);
  if (!fd.ok()) return fd.status();
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint(*fd, port));
  const unsigned int flags =
      MHD_USE_INTERNAL_POLLING_THREAD | (address.host == "::1" ? MHD_USE_IPv6 : 0);
  endpoint->daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Handle, const_cast<Metrics*>(metrics), MHD_OPTION_LISTEN_SOCKET,
      static_cast<MHD_socket>(*fd), MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
  if (endpoint->daemon_ == nullptr) {
    return Status::Unavailable("cannot start the metrics server on " + address.ToString());
  }
  endpoint->listen_fd_ = -1;  // MHD_stop_daemon closes it
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

}  // namespace partfs
