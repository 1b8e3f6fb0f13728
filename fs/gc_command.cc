// `partfs gc`: aborts orphaned multipart uploads (see cache/orphan_gc.h).
//
// Usage: partfs gc BUCKET[:/prefix] [--older-than DURATION] [--dry-run]
//                  [--cache-dir DIR] [-o endpoint=...,region=...,provider=...,credentials_file=...]
// The -o options and credentials are those of the mount (fs/mount_options.h).
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "base/duration.h"
#include "base/logger.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "cache/orphan_gc.h"
#include "fs/cli_commands.h"
#include "fs/mount_options.h"
#include "fs/status_format.h"
#include "transfer/s3_client.h"

namespace partfs {
namespace {

constexpr char kGcUsage[] =
    "usage: partfs gc BUCKET[:/prefix] [--older-than DURATION] [--dry-run] [--cache-dir DIR]\n"
    "                 [-o endpoint=URL,region=R,provider=s3|obs|oss,credentials_file=PATH]\n"
    "Aborts multipart uploads under the prefix that the cache's journal does not track and\n"
    "whose last activity is older than DURATION (2h, 24h, 7d; at least 1h; default 24h).\n"
    "Last activity: the newest part's LastModified (ListParts), or the initiation when the\n"
    "upload has no parts, so another host's slow but live upload is kept. An upload whose\n"
    "key a journal record has is kept too. --dry-run changes nothing.\n"
    "--no-cache: this machine has no cache dir for the bucket; no upload counts as tracked.\n"
    "Credentials: found as for a mount (see the order in partfs --help).\n";

struct GcArgs {
  std::vector<std::string> mount_args;  // for ParseMountArgs: source, placeholder, -o ...
  std::string cache_dir;
  GcOptions options;
  bool help = false;
  bool no_cache = false;
};

Result<GcArgs> ParseGcArgs(int argc, char** argv, int64_t min_age_seconds) {
  GcArgs args;
  args.options.min_age_seconds = min_age_seconds;
  std::vector<std::string> positional;
  std::vector<std::string> mount_options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& name) -> Result<std::string> {
      if (arg.rfind(name + "=", 0) == 0) return arg.substr(name.size() + 1);
      if (i + 1 >= argc) return Status::InvalidArgument(name + " needs a value");
      return std::string(argv[++i]);
    };
    if (arg == "--help" || arg == "-h") {
      args.help = true;
    } else if (arg == "--no-cache") {
      args.no_cache = true;
    } else if (arg == "--dry-run") {
      args.options.dry_run = true;
    } else if (arg == "--older-than" || arg.rfind("--older-than=", 0) == 0) {
      auto text = value("--older-than");
      if (!text.ok()) return text.status();
      auto seconds = ParseDuration(*text);
      if (!seconds.ok()) return seconds.status().WithContext("--older-than");
      PARTFS_RETURN_IF_ERROR(CheckGcAge("--older-than " + *text, *seconds, min_age_seconds));
      args.options.older_than_seconds = *seconds;
    } else if (arg == "--cache-dir" || arg.rfind("--cache-dir=", 0) == 0) {
      auto dir = value("--cache-dir");
      if (!dir.ok()) return dir.status();
      args.cache_dir = *dir;
    } else if (arg == "-o") {
      if (i + 1 >= argc) return Status::InvalidArgument("option -o needs a value");
      mount_options.push_back("-o");
      mount_options.push_back(argv[++i]);
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) {
      mount_options.push_back(arg);
    } else if (!arg.empty() && arg.front() == '-') {
      return Status::InvalidArgument("unknown argument '" + arg + "'");
    } else {
      positional.push_back(arg);
    }
  }
  if (args.help) return args;
  if (positional.size() != 1) return Status::InvalidArgument("expected one BUCKET[:/prefix]");
  // The mount parser needs a mountpoint; gc has none, and the parser never touches it.
  args.mount_args = {positional[0], "/"};
  args.mount_args.insert(args.mount_args.end(), mount_options.begin(), mount_options.end());
  return args;
}

// The cache's journal, read-only (works while mounted).
Result<std::unique_ptr<Journal>> OpenJournal(const std::string& cache_dir) {
  CacheLayout layout(cache_dir);
  if (::access(layout.JournalDir().c_str(), F_OK) != 0) {
    return Status::NotFound("no journal in " + cache_dir +
                            ": pass the mount's --cache-dir (or --no-cache when this machine has "
                            "none), otherwise uploads it tracks would look orphaned");
  }
  return Journal::Open(layout.JournalDir(), /*read_only=*/true);
}

void PrintEntry(const GcEntry& e, int64_t now) {
  std::string line = std::string(GcActionName(e.action)) + "  " + e.upload.key + "  upload " +
                     e.upload.upload_id + "  initiated " + HumanAge(now - e.upload.initiated) +
                     " ago";
  if (e.last_activity != 0) line += ", last part " + HumanAge(now - e.last_activity) + " ago";
  if (!e.error.empty()) line += "  error: " + e.error;
  std::printf("%s\n", line.c_str());
}

}  // namespace

int RunGcCommand(int argc, char** argv, int64_t min_age_seconds) {
  auto args = ParseGcArgs(argc, argv, min_age_seconds);
  if (!args.ok()) {
    std::fprintf(stderr, "partfs gc: %s\n%s", args.status().message().c_str(), kGcUsage);
    return kUsageExitCode;
  }
  if (args->help) {
    std::fputs(kGcUsage, stdout);
    return 0;
  }
  auto config = ParseMountArgs(args->mount_args, ProcessEnv(), getuid(), getgid());
  if (!config.ok()) {
    std::fprintf(stderr, "partfs gc: %s\n", config.status().message().c_str());
    return kUsageExitCode;
  }
  const std::string cache_dir = args->cache_dir.empty() ? config->cache_dir : args->cache_dir;
  args->options.bucket = config->bucket;
  args->options.prefix = config->prefix;
  Logger logger(2, LogLevel::kWarn);

  std::unique_ptr<Journal> journal;  // null with --no-cache: nothing is tracked
  if (!args->no_cache) {
    auto opened = OpenJournal(cache_dir);
    if (!opened.ok()) {
      std::fprintf(stderr, "partfs gc: %s\n", opened.status().message().c_str());
      return kFailureExitCode;
    }
    journal = std::move(opened).value();
  }
  // Read after the listing and before each abort, so uploads a mount journals meanwhile are kept.
  TrackedSource tracked = [&journal]() -> Result<TrackedUploads> {
    if (journal == nullptr) return TrackedUploads{};
    return ReadTrackedUploads(*journal);
  };
  auto client = CreateS3Client(config->ClientOptions(&logger));
  if (!client.ok()) {
    std::fprintf(stderr, "partfs gc: %s\n", client.status().ToString().c_str());
    return kFailureExitCode;
  }
  auto report = AbortOrphanUploads(**client, tracked, args->options, &logger);
  if (!report.ok()) {
    std::fprintf(stderr, "partfs gc: %s\n", report.status().ToString().c_str());
    return kFailureExitCode;
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (const auto& e : report->entries) PrintEntry(e, now);
  std::printf(
      "gc: %zu upload(s) under %s/%s: %u aborted, %u would be aborted (dry run), %u kept "
      "(tracked by the journal), %u kept (a journal record has the key), %u kept (active within "
      "%s), %u failed\n",
      report->entries.size(), config->bucket.c_str(), config->prefix.c_str(), report->aborted,
      report->would_abort, report->tracked, report->tracked_key, report->too_young,
      HumanAge(args->options.older_than_seconds).c_str(), report->failed);
  return report->failed > 0 ? kFailureExitCode : 0;
}

}  // namespace partfs
