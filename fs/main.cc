// partfs entry point: dispatches to a subcommand; everything else lives in partfs_fs.
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "cache/orphan_gc.h"
#include "fs/cli_commands.h"
#include "fs/mount_options.h"

#ifndef PARTFS_VERSION
#define PARTFS_VERSION "0.1"
#endif

namespace {

// TEST hook: the fuse tests age uploads in seconds, not hours. Never documented
// for users; read here once and passed down (no global state).
int64_t GcMinAgeSeconds() {
  const char* text = std::getenv("PARTFS_TEST_GC_MIN_AGE_SECONDS");
  if (text == nullptr || *text == '\0') return partfs::kMinGcAgeSeconds;
  char* end = nullptr;
  long long value = std::strtoll(text, &end, 10);
  if (*end != '\0' || value < 1) return partfs::kMinGcAgeSeconds;
  return value;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2) {
    if (std::strcmp(argv[1], "gc") == 0) {
      return partfs::RunGcCommand(argc - 1, argv + 1, GcMinAgeSeconds());
    }
    if (std::strcmp(argv[1], "status") == 0) return partfs::RunStatusCommand(argc - 1, argv + 1);
    if (std::strcmp(argv[1], "check") == 0) return partfs::RunCheckCommand(argc - 1, argv + 1);
    // `partfs mount BUCKET MOUNTPOINT ...` is the default command spelled out.
    if (std::strcmp(argv[1], "mount") == 0) return partfs::RunMountCommand(argc - 1, argv + 1);
    if (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
      std::fputs(partfs::MountUsage().c_str(), stdout);
      return 0;
    }
    if (std::strcmp(argv[1], "--version") == 0 || std::strcmp(argv[1], "-V") == 0) {
      std::printf("partfs %s\n", PARTFS_VERSION);
      return 0;
    }
  }
  return partfs::RunMountCommand(argc, argv);
}
