// Metrics: the Prometheus text format, the snapshot file, the status section
// and the loopback endpoint (a real socket, no S3 server).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "base/metrics.h"
#include "fs/metrics_endpoint.h"
#include "fs/metrics_format.h"
#include "fs/metrics_snapshot_file.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

TEST(MetricsTest, PrometheusTextFormat) {
  Metrics metrics;
  Metrics::Add(&metrics, &Metrics::bytes_uploaded, 1024);
  Metrics::Add(&metrics, &Metrics::parts_uploaded);
  Metrics::Add(nullptr, &Metrics::parts_uploaded);  // not counted, no crash
  metrics.writeback_queue.store(3);
  const std::string text = metrics.Snapshot().ToPrometheusText();
  EXPECT_NE(text.find("# HELP partfs_bytes_uploaded_total Bytes of successful UploadPart and "
                      "PutObject bodies.\n# TYPE partfs_bytes_uploaded_total counter\n"
                      "partfs_bytes_uploaded_total 1024\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\npartfs_parts_uploaded_total 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE partfs_writeback_queue gauge\npartfs_writeback_queue 3\n"),
            std::string::npos);
  // Every sample line is "name value"; every name has HELP and TYPE lines.
  size_t samples = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    ASSERT_NE(end, std::string::npos) << "the text ends with a newline";
    std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.rfind("# ", 0) == 0) continue;
    ++samples;
    std::string name = line.substr(0, line.find(' '));
    EXPECT_EQ(name.rfind("partfs_", 0), 0u) << line;
    EXPECT_NE(text.find("# TYPE " + name + " "), std::string::npos) << name;
    EXPECT_NE(text.find("# HELP " + name + " "), std::string::npos) << name;
  }
  EXPECT_EQ(samples, AllMetrics().size());
}

TEST(MetricsTest, SnapshotFileRoundTrip) {
  TempDir dir;
  MetricsFileContent c;
  c.pid = 4242;
  c.updated = 1795572021;
  c.running = true;
  c.writeback_oldest_ms = 1500;
  c.metrics.bytes_uploaded = 7 << 20;
  c.metrics.retries = 2;
  c.metrics.pending_metadata = 1;
  const std::string path = dir.path() + "/metrics";
  ASSERT_TRUE(WriteMetricsFile(path, c).ok());
  auto read = ReadMetricsFile(path);
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->pid, 4242);
  EXPECT_EQ(read->updated, 1795572021);
  EXPECT_TRUE(read->running);
  EXPECT_EQ(read->writeback_oldest_ms, 1500);
  EXPECT_EQ(read->metrics.bytes_uploaded, 7u << 20);
  EXPECT_EQ(read->metrics.retries, 2u);
  EXPECT_EQ(read->metrics.pending_metadata, 1u);
  EXPECT_TRUE(ReadMetricsFile(dir.path() + "/none").status().IsNotFound());
}

TEST(MetricsTest, StatusSectionSaysWhetherTheMountRuns) {
  MetricsFileContent c;
  c.pid = 10;
  c.updated = 1000;
  c.metrics.bytes_uploaded = 2048;
  c.metrics.parts_uploaded = 2;
  c.metrics.writeback_queue = 1;
  c.writeback_oldest_ms = 3000;
  std::string live = FormatMountMetrics(c, 10, 1002);
  EXPECT_NE(live.find("mount totals (pid 10, updated 2s ago)"), std::string::npos) << live;
  EXPECT_NE(live.find("uploaded 2.0 KiB (2048 bytes) in 2 parts"), std::string::npos) << live;
  EXPECT_NE(live.find("write-back queue 1 (oldest 3s)"), std::string::npos) << live;
  std::string gone = FormatMountMetrics(c, 0, 1100);
  EXPECT_NE(gone.find("mount not running"), std::string::npos) << gone;
  EXPECT_EQ(gone.find("write-back queue"), std::string::npos) << gone;
}

// GET over a plain socket; returns the whole response.
std::string HttpGet(uint16_t port, const std::string& path) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string request = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  EXPECT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string response;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) response.append(buf, static_cast<size_t>(n));
  close(fd);
  return response;
}

TEST(MetricsTest, EndpointServesMetricsAnd404Elsewhere) {
  Metrics metrics;
  Metrics::Add(&metrics, &Metrics::requests, 5);
  auto endpoint = MetricsEndpoint::Start(MetricsAddress{"127.0.0.1", 0}, &metrics);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  const uint16_t port = (*endpoint)->port();
  ASSERT_NE(port, 0);
  std::string ok = HttpGet(port, "/metrics");
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK", 0), 0u) << ok;
  EXPECT_NE(ok.find("text/plain; version=0.0.4"), std::string::npos) << ok;
  EXPECT_NE(ok.find("\npartfs_requests_total 5\n"), std::string::npos) << ok;
  std::string missing = HttpGet(port, "/other");
  EXPECT_NE(missing.find(" 404 "), std::string::npos) << missing;

  // The same port again: one clear error.
  auto second = MetricsEndpoint::Start(MetricsAddress{"127.0.0.1", port}, &metrics);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().message(), "cannot listen on 127.0.0.1:" + std::to_string(port) +
                                           " for metrics: Address already in use");
}

}  // namespace
}  // namespace partfs::testing
