#include "fs/process_info.h"

#include <cstdlib>
#include <fstream>
#include <string>

namespace partfs {

std::optional<pid_t> ProcessOfThread(pid_t tid) {
  if (tid <= 0) return std::nullopt;
  std::ifstream in("/proc/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Tgid:", 0) == 0) {
      long tgid = std::strtol(line.c_str() + 5, nullptr, 10);
      if (tgid <= 0) return std::nullopt;
      return static_cast<pid_t>(tgid);
    }
  }
  return std::nullopt;
}

}  // namespace partfs
