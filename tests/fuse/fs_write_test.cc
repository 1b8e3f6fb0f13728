// Fuse tests: files written through a real mount with ordinary tools arrive
// intact in the bucket, as multipart uploads with the expected part count.
#include <sys/stat.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kPart = 8 * kMiB;  // the default part_size

uint64_t RandomSeed() { return std::random_device{}(); }

// The 1 GiB source file, generated once per test process.
const std::string& OneGiBSource() {
  static TempDir dir("fs-source");  // removed at process exit
  static const std::string path = [] {
    std::string p = dir.Sub("1g");
    WriteRandomFile(p, 1024 * kMiB, RandomSeed());
    return p;
  }();
  return path;
}

std::string EtagOf(Mount& mount, const std::string& key) {
  auto info = mount.store().HeadObject(key);
  return info.ok() ? info->etag : "<" + info.status().ToString() + ">";
}

void ExpectObjectEqualsFile(Mount& mount, const std::string& key, const std::string& file) {
  auto sha = Sha256OfObject(mount.store(), key);
  ASSERT_TRUE(sha.ok()) << key << ": " << sha.status().ToString();
  EXPECT_EQ(*sha, Sha256OfFile(file)) << key;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(FsWriteTest, OneGiBWithDd) {
  const std::string& source = OneGiBSource();
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto r = RunCommand("dd if=" + ShellQuote(source) + " of=" + ShellQuote(mount.File("big")) +
                          " bs=1M conv=fsync status=none",
                      std::chrono::seconds(240));
  ASSERT_EQ(r.exit_code, 0) << r.output << mount.Log();
  ExpectObjectEqualsFile(mount, "big", source);
  // 1 GiB in 8 MiB parts: 128 parts.
  EXPECT_TRUE(EndsWith(EtagOf(mount, "big"), "-128")) << EtagOf(mount, "big");
}

TEST(FsWriteTest, EdgeSizes) {
  TempDir sources("fs-edge");
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  struct Case {
    uint64_t size;
    std::string etag_suffix;  // "" = a single PutObject (no "-N")
  };
  const std::vector<Case> cases = {{0, ""}, {1, ""}, {kPart, "?"}, {kPart + 1, "-2"}};
  for (const Case& c : cases) {
    std::string name = "size-" + std::to_string(c.size);
    std::string source = sources.Sub(name);
    WriteRandomFile(source, c.size, RandomSeed());
    auto r = RunCommand("cp " + ShellQuote(source) + " " + ShellQuote(mount.File(name)),
                        std::chrono::seconds(60));
    ASSERT_EQ(r.exit_code, 0) << name << ": " << r.output << mount.Log();
    auto info = mount.store().HeadObject(name);
    // A file closed without any write is completed at release, just after close().
    for (int i = 0; i < 100 && c.size == 0 && !info.ok(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      info = mount.store().HeadObject(name);
    }
    ASSERT_TRUE(info.ok()) << name << ": " << info.status().ToString();
    EXPECT_EQ(info->size, c.size) << name;
    ExpectObjectEqualsFile(mount, name, source);
    if (c.etag_suffix.empty()) {
      EXPECT_EQ(info->etag.find('-'), std::string::npos) << name << " " << info->etag;
    } else if (c.etag_suffix != "?") {
      EXPECT_TRUE(EndsWith(info->etag, c.etag_suffix)) << name << " " << info->etag;
    }
    // The mount reports the same size.
    struct stat st;
    ASSERT_EQ(stat(mount.File(name).c_str(), &st), 0);
    EXPECT_EQ(static_cast<uint64_t>(st.st_size), c.size) << name;
  }
}

TEST(FsWriteTest, EightConcurrentWriters) {
  constexpr int kFiles = 8;
  TempDir sources("fs-concurrent");
  for (int i = 0; i < kFiles; ++i) {
    WriteRandomFile(sources.Sub("f" + std::to_string(i)), 40 * kMiB, RandomSeed());
  }
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::string script =
      "set -u; pids=''; for i in 0 1 2 3 4 5 6 7; do dd if=" + ShellQuote(sources.path()) +
      "/f$i of=" + ShellQuote(mount.path()) +
      "/f$i bs=1M conv=fsync status=none & pids=\"$pids $!\"; done; "
      "rc=0; for p in $pids; do wait $p || rc=1; done; exit $rc";
  auto r = RunCommand(script, std::chrono::seconds(240));
  ASSERT_EQ(r.exit_code, 0) << r.output << mount.Log();
  for (int i = 0; i < kFiles; ++i) {
    std::string name = "f" + std::to_string(i);
    ExpectObjectEqualsFile(mount, name, sources.Sub(name));
    EXPECT_TRUE(EndsWith(EtagOf(mount, name), "-5")) << name << " " << EtagOf(mount, name);
  }
}

TEST(FsWriteTest, LsShowsFilesAndDirectories) {
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  auto r = RunCommand("cd " + ShellQuote(mount.path()) +
                          " && echo one > a.txt && mkdir d && echo two > d/b.txt && ls && ls d",
                      std::chrono::seconds(60));
  ASSERT_EQ(r.exit_code, 0) << r.output << mount.Log();
  EXPECT_EQ(r.output, "a.txt\nd\nb.txt\n");
  auto body = RunCommand("cat " + ShellQuote(mount.File("d/b.txt")), std::chrono::seconds(30));
  EXPECT_EQ(body.output, "two\n");
  EXPECT_TRUE(mount.store().HeadObject("d/b.txt").ok());
}

}  // namespace
}  // namespace partfs::testing
