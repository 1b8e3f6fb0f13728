// partfs entry point: dispatches to a subcommand; everything else lives in partfs_fs.
#include <cstdio>
#include <cstring>

#include "fs/cli_commands.h"
#include "fs/mount_options.h"

#ifndef PARTFS_VERSION
#define PARTFS_VERSION "0.1"
#endif

int main(int argc, char** argv) {
  if (argc >= 2) {
    if (std::strcmp(argv[1], "gc") == 0) return partfs::RunGcCommand(argc - 1, argv + 1);
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
