// Several hosts on one bucket: `partfs gc` on host A ages an upload by its
// last activity (its newest part), so host B's slow but live upload, which no
// journal of A knows, survives while a truly abandoned upload is aborted.
// Two mounts of one bucket with separate cache dirs stand for the two hosts;
// the test hook PARTFS_TEST_GC_MIN_AGE_SECONDS lets gc use an age of seconds.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::Mount;
using testing::MountSpec;
using testing::RunCommand;
using testing::ShellQuote;

constexpr size_t kPart = 5 << 20;
constexpr int kParts = 9;

bool UploadListed(ObjectStore& store, const std::string& upload_id) {
  auto uploads = ListAllUploads(store, "");
  EXPECT_TRUE(uploads.ok()) << uploads.status().ToString();
  if (!uploads.ok()) return false;
  for (const auto& u : *uploads) {
    if (u.upload_id == upload_id) return true;
  }
  return false;
}

std::string PartData(int n) { return std::string(kPart, static_cast<char>('a' + n)); }

TEST(FsGcHostsTest, GcOnOneHostKeepsAnotherHostsLiveUploadAndAbortsAnAbandonedOne) {
  MountSpec a_spec;
  a_spec.options = {"part_size=5M"};
  Mount host_a(a_spec);
  MountSpec b_spec;
  b_spec.bucket = host_a.bucket();
  b_spec.create_bucket = false;
  b_spec.options = {"part_size=5M"};
  Mount host_b(b_spec);
  ASSERT_TRUE(host_a.Start().ok()) << host_a.Log();
  ASSERT_TRUE(host_b.Start().ok()) << host_b.Log();
  ObjectStore& store = host_a.store();

  // Abandoned: one part, then nothing.
  auto abandoned = store.CreateMultipartUpload("abandoned.bin", {});
  ASSERT_TRUE(abandoned.ok()) << abandoned.status().ToString();
  {
    testing::TempDir tmp("gc-hosts");
    const std::string path = tmp.Sub("part");
    int fd = open(path.c_str(), O_RDWR | O_CREAT, 0600);
    ASSERT_GE(fd, 0);
    const std::string data = PartData(0);
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    auto part = store.UploadPart("abandoned.bin", *abandoned, 1, FileRange{fd, 0, data.size()}, "");
    close(fd);
    ASSERT_TRUE(part.ok()) << part.status().ToString();
  }

  // Host B writes slowly: one part a second, the file kept open.
  int fd = open(host_b.File("slow.bin").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  std::string expected;
  const auto start = std::chrono::steady_clock::now();
  std::string live_id;
  std::string gc_output;
  for (int n = 0; n < kParts; ++n) {
    const std::string data = PartData(n);
    ASSERT_EQ(write(fd, data.data(), data.size()), static_cast<ssize_t>(data.size()));
    expected += data;
    std::this_thread::sleep_for(1s);
    if (n == 6) {
      // 7 s in: both uploads were initiated more than 3 s ago; B's newest part is recent.
      auto uploads = ListAllUploads(store, "slow.bin");
      ASSERT_TRUE(uploads.ok());
      ASSERT_EQ(uploads->size(), 1u);
      live_id = uploads->front().upload_id;
      const std::string env = "PARTFS_TEST_GC_MIN_AGE_SECONDS=1 AWS_ACCESS_KEY_ID=" +
                              ShellQuote(host_a.endpoint().access_key) +
                              " AWS_SECRET_ACCESS_KEY=" + ShellQuote(host_a.endpoint().secret_key) +
                              " ";
      auto gc = RunCommand(env + testing::PartfsBinary() + " gc " + host_a.bucket() +
                               " --older-than 3s --cache-dir " + ShellQuote(host_a.cache_dir()) +
                               " -o endpoint=" + host_a.endpoint().url,
                           60s);
      gc_output = gc.output;
      EXPECT_EQ(gc.exit_code, 0) << gc.output;
    }
  }
  ASSERT_EQ(close(fd), 0);
  EXPECT_GT(std::chrono::steady_clock::now() - start, 8s);

  EXPECT_NE(gc_output.find("aborted  abandoned.bin"), std::string::npos) << gc_output;
  // Old by its initiation, kept for its recent part: the last-activity rule decided.
  const size_t live_line = gc_output.find("kept-too-young  slow.bin  upload " + live_id);
  ASSERT_NE(live_line, std::string::npos) << gc_output;
  const std::string line = gc_output.substr(live_line, gc_output.find('\n', live_line) - live_line);
  EXPECT_NE(line.find(", last part "), std::string::npos) << line;
  EXPECT_NE(gc_output.find("1 aborted"), std::string::npos) << gc_output;
  EXPECT_FALSE(UploadListed(store, *abandoned));
  auto object = testing::ReadObject(store, "slow.bin");
  ASSERT_TRUE(object.ok()) << object.status().ToString() << "\n" << host_b.Log();
  EXPECT_TRUE(*object == expected) << "B's file is not intact: " << object->size() << " bytes";
}

}  // namespace
}  // namespace partfs
