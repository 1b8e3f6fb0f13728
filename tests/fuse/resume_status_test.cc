// `partfs status --cache-dir DIR [--json]` (the real binary) while a large write
// is in progress, after a kill -9 of the mount, and after the remount's recovery.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"
#include "tests/support/run_command.h"
#include "tests/support/temp_dir.h"

namespace partfs::testing {
namespace {

using namespace std::chrono_literals;

constexpr uint64_t kMiB = 1 << 20;
constexpr uint64_t kWritten = 44 * kMiB;  // 5 full 8 MiB parts + a 4 MiB tail

// The status JSON's essentials, parsed by python's json module (so the output
// must be valid JSON): "<n files> <mounted> <key> <state> <parts_uploaded>
// <parts_total> <bytes_cached> <last_error empty?>" for the first file.
std::string StatusJsonSummary(const std::string& cache_dir) {
  auto r = RunCommand(std::string(PARTFS_BINARY) + " status --json --cache-dir " +
                          ShellQuote(cache_dir) + " | " + Python3() +
                          " -c 'import json,sys; d=json.load(sys.stdin); f=d[\"files\"]; "
                          "print(len(f), d[\"mounted\"], *([f[0][k] for k in (\"key\", \"state\", "
                          "\"parts_uploaded\", \"parts_total\", \"bytes_cached\")] if f else []))'",
                      std::chrono::seconds(30));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return r.output;
}

TEST(ResumeStatusTest, StatusWhileWritingAfterCrashAndAfterRecovery) {
  TempDir tmp("resume-status");
  WriteUrandomFile(tmp.Sub("source"), kWritten);
  ASSERT_FALSE(HasFatalFailure());
  Mount mount;
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();

  // A writer that keeps the file open after writing 44 MiB (a write in progress).
  const std::string script = tmp.Sub("writer.py");
  std::ofstream(script) << "import os, sys, time\n"
                           "data = open(sys.argv[1], 'rb').read()\n"
                           "fd = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT | os.O_TRUNC)\n"
                           "view = memoryview(data)\n"
                           "while view:\n"
                           "    view = view[os.write(fd, view[:1 << 20]):]\n"
                           "time.sleep(600)\n";
  ChildProcess writer({Python3(), script, tmp.Sub("source"), mount.File("growing")},
                      tmp.Sub("writer.log"));
  ASSERT_TRUE(PollUntil(60s,
                        [&] {
                          auto e = FindJournalEntry(mount.cache_dir(), "growing");
                          return writer.BytesWritten() >= static_cast<int64_t>(kWritten) && e &&
                                 e->parts.size() == 5;
                        }))
      << mount.Log() << writer.Output();

  auto table = PartfsStatus(mount.cache_dir(), false);
  std::printf("[ResumeStatus] while writing:\n%s", table.output.c_str());
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find("mounted (pid " + std::to_string(mount.pid()) + ")"),
            std::string::npos)
      << table.output;
  EXPECT_NE(table.output.find("writing"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("5/6"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find(mount.bucket() + "/growing"), std::string::npos) << table.output;
  EXPECT_EQ(StatusJsonSummary(mount.cache_dir()),
            "1 True growing writing 5 6 " + std::to_string(4 * kMiB) + "\n");

  mount.Kill9();
  writer.Kill();
  writer.Wait(30s);
  table = PartfsStatus(mount.cache_dir(), false);
  std::printf("[ResumeStatus] after the crash:\n%s", table.output.c_str());
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_NE(table.output.find("not mounted"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("5/6"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find(mount.bucket() + "/growing"), std::string::npos) << table.output;
  EXPECT_EQ(StatusJsonSummary(mount.cache_dir()),
            "1 False growing writing 5 6 " + std::to_string(4 * kMiB) + "\n");

  ASSERT_NO_FATAL_FAILURE(RemountAndWaitForRecovery(mount, 60s));
  table = PartfsStatus(mount.cache_dir(), false);
  EXPECT_NE(table.output.find("no uploads in flight"), std::string::npos) << table.output;
  EXPECT_EQ(StatusJsonSummary(mount.cache_dir()), "0 True\n");
  // The crashed write's bytes became the object.
  auto sha = Sha256OfObject(mount.store(), "growing");
  ASSERT_TRUE(sha.ok()) << sha.status().ToString() << "\n" << mount.Log();
  EXPECT_EQ(*sha, Sha256OfFile(tmp.Sub("source")));
}

}  // namespace
}  // namespace partfs::testing
