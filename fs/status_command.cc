// `partfs status`: shows the uploads a cache directory's journal tracks (see
// cache/status_report.h, fs/status_format.h). Read-only; works while mounted and after a crash.
//
// Usage: partfs status [BUCKET] [--cache-dir DIR] [--json] [--provider s3|obs|oss]
#include <cstdio>
#include <ctime>
#include <string>

#include "cache/cache_layout.h"
#include "cache/status_report.h"
#include "fs/cli_commands.h"
#include "fs/metrics_format.h"
#include "fs/mount_options.h"
#include "fs/status_format.h"

namespace partfs {
namespace {

constexpr char kStatusUsage[] =
    "usage: partfs status [BUCKET] [--cache-dir DIR] [--json] [--provider s3|obs|oss]\n"
    "Shows every upload the cache's journal tracks: key, state, parts uploaded/needed, bytes\n"
    "uploaded and held in the cache, age and last error. The cache dir defaults to\n"
    "/var/cache/partfs/BUCKET. Works while mounted and after a crash; changes nothing.\n"
    "Also prints the totals of the running mount (bytes and parts uploaded, requests,\n"
    "retries, failures, recoveries, write-back queue) from its snapshot in the cache dir,\n"
    "updated every second, or those of the last mount when none runs.\n";

}  // namespace

int RunStatusCommand(int argc, char** argv) {
  std::string cache_dir, bucket;
  bool json = false;
  ProviderProfile profile = ProfileFor(Provider::kS3);
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kStatusUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--cache-dir" || arg == "--provider") {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "partfs status: %s needs a value\n%s", arg.c_str(), kStatusUsage);
        return kUsageExitCode;
      }
      std::string value = argv[++i];
      if (arg == "--cache-dir") {
        cache_dir = value;
      } else if (auto p = ProfileByName(value)) {
        profile = *p;
      } else {
        std::fprintf(stderr, "partfs status: unknown provider '%s'\n", value.c_str());
        return kUsageExitCode;
      }
    } else if (arg.rfind("--cache-dir=", 0) == 0) {
      cache_dir = arg.substr(12);
    } else if (!arg.empty() && arg.front() != '-' && bucket.empty()) {
      bucket = arg;
    } else {
      std::fprintf(stderr, "partfs status: unexpected argument '%s'\n%s", arg.c_str(),
                   kStatusUsage);
      return kUsageExitCode;
    }
  }
  if (cache_dir.empty()) {
    if (bucket.empty()) {
      std::fprintf(stderr, "partfs status: give --cache-dir DIR or a BUCKET\n%s", kStatusUsage);
      return kUsageExitCode;
    }
    cache_dir = "/var/cache/partfs/" + bucket.substr(0, bucket.find(':'));
  }
  auto report = ReadStatusReport(cache_dir, profile, 0);
  if (!report.ok()) {
    std::fprintf(stderr, "partfs status: %s\n", report.status().ToString().c_str());
    return kFailureExitCode;
  }
  std::string text = json ? FormatStatusJson(*report) : FormatStatusTable(*report);
  std::fputs(text.c_str(), stdout);
  if (!json) {
    auto metrics = ReadMetricsFile(CacheLayout(cache_dir).MetricsFile());
    if (metrics.ok()) {
      const int64_t now = static_cast<int64_t>(std::time(nullptr));
      std::fputs(FormatMountMetrics(*metrics, report->mount_pid, now).c_str(), stdout);
    }
  }
  return 0;
}

}  // namespace partfs
