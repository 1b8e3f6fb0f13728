// Fuse tests of the mount's metrics: the Prometheus endpoint (-o metrics=) and
// the totals `partfs status` prints while the mount runs and after it ended;
// a port in use fails the mount with one line and exit 1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::Mount;
using testing::MountSpec;
using testing::RunCommand;
using testing::ShellQuote;

// A loopback socket bound to a free port (kept open while the caller needs the port taken).
int BindFreePort(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  *port = ntohs(addr.sin_port);
  return fd;
}

uint16_t FreePort() {
  uint16_t port = 0;
  close(BindFreePort(&port));
  return port;
}

// The value of the sample `name` in a Prometheus text, -1 when absent.
long long Sample(const std::string& text, const std::string& name) {
  size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stoll(text.substr(at + name.size() + 2));
}

TEST(FsMetricsTest, EndpointAndStatusCountAnUpload) {
  const uint16_t port = FreePort();
  MountSpec spec;
  spec.options = {"part_size=5M", "metrics=127.0.0.1:" + std::to_string(port)};
  Mount mount(spec);
  ASSERT_TRUE(mount.Start().ok()) << mount.Log();
  {
    std::ofstream out(mount.File("big.bin"), std::ios::binary);
    std::string chunk(1 << 20, 'm');
    for (int i = 0; i < 12; ++i)
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    out.close();
    ASSERT_TRUE(out.good());
  }
  const std::string curl = "curl -sf http://127.0.0.1:" + std::to_string(port) + "/metrics";
  auto r = RunCommand(curl, 10s);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("# TYPE partfs_parts_uploaded_total counter"), std::string::npos)
      << r.output;
  EXPECT_EQ(Sample(r.output, "partfs_parts_uploaded_total"), 3) << r.output;
  EXPECT_EQ(Sample(r.output, "partfs_bytes_uploaded_total"), 12 << 20) << r.output;
  EXPECT_EQ(Sample(r.output, "partfs_uploads_completed_total"), 1) << r.output;
  EXPECT_GT(Sample(r.output, "partfs_requests_total"), 4) << r.output;
  EXPECT_EQ(Sample(r.output, "partfs_failed_requests_total"), 0) << r.output;
  auto other = RunCommand(
      "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:" + std::to_string(port) + "/", 10s);
  EXPECT_EQ(other.output, "404");

  const std::string status =
      testing::PartfsBinary() + " status --cache-dir " + ShellQuote(mount.cache_dir());
  ASSERT_TRUE(testing::PollUntil(5s, [&] {
    auto s = RunCommand(status, 10s);
    return s.output.find("in 3 parts") != std::string::npos;
  }));
  auto s = RunCommand(status, 10s);
  EXPECT_EQ(s.exit_code, 0) << s.output;
  EXPECT_NE(s.output.find("mount totals (pid " + std::to_string(mount.pid())), std::string::npos)
      << s.output;
  EXPECT_NE(s.output.find("uploaded 12 MiB (12582912 bytes) in 3 parts and"), std::string::npos)
      << s.output;
  EXPECT_NE(s.output.find("write-back queue 0, pending metadata 0"), std::string::npos) << s.output;

  ASSERT_TRUE(mount.Unmount().ok()) << mount.Log();
  auto after = RunCommand(status, 10s);
  EXPECT_NE(after.output.find("mount not running; totals of the last mount"), std::string::npos)
      << after.output;
  EXPECT_NE(after.output.find("in 3 parts"), std::string::npos) << after.output;
}

TEST(FsMetricsTest, PortInUseFailsTheMountWithOneLine) {
  uint16_t port = 0;
  const int taken = BindFreePort(&port);
  ASSERT_EQ(listen(taken, 1), 0);
  MountSpec spec;
  spec.options = {"metrics=127.0.0.1:" + std::to_string(port)};
  Mount mount(spec);
  Status started = mount.Start(10s);
  close(taken);
  EXPECT_FALSE(started.ok());
  EXPECT_NE(mount.Log().find("partfs: cannot listen on 127.0.0.1:" + std::to_string(port) +
                             " for metrics: Address already in use"),
            std::string::npos)
      << mount.Log();
}

}  // namespace
}  // namespace partfs
