// `partfs check BUCKET[:/prefix] [-o ...]`: verifies a configuration without
// mounting (endpoint, TLS, credentials, bucket, region, multipart uploads) and
// prints what the mount would use: provider, addressing, region, part limits,
// and the optional features the server has. Exit 0 when everything works,
// otherwise 1 with one line naming what failed. Leaves nothing behind: the
// multipart probe is aborted and the conditional-create probe object deleted.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/logger.h"
#include "fs/bucket_probe.h"
#include "fs/cli_commands.h"
#include "fs/mount_options.h"
#include "fs/status_format.h"
#include "transfer/s3_client.h"

namespace partfs {
namespace {

constexpr char kCheckUsage[] =
    "usage: partfs check BUCKET[:/prefix] [-o endpoint=URL,region=R,provider=s3|obs|oss,...]\n"
    "Checks the endpoint, TLS, credentials, the bucket and its region, and that multipart\n"
    "uploads are allowed, with the options and credentials a mount would use; prints the\n"
    "provider, addressing, region, part limits and optional server features. Writes and\n"
    "deletes one empty probe object and aborts one probe upload under the prefix.\n"
    "Exit 0 when the mount would work, else 1 with one line naming what failed.\n";

int CheckFailed(const std::string& message) {
  std::fflush(stdout);  // the lines printed so far come first
  std::fprintf(stderr, "partfs check: %s\n", message.c_str());
  return kFailureExitCode;
}

void PrintField(const char* name, const std::string& value) {
  std::printf("%-19s %s\n", name, value.c_str());
}

std::string PartLimits(const ProviderProfile& p) {
  return HumanBytes(p.min_part_size) + " .. " + HumanBytes(p.max_part_size) + " per part, " +
         std::to_string(p.max_part_count) + " parts, objects up to " +
         HumanBytes(p.max_object_size);
}

}  // namespace

int RunCheckCommand(int argc, char** argv) {
  std::vector<std::string> positional;
  std::vector<std::string> mount_args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kCheckUsage, stdout);
      return 0;
    }
    if (arg == "-o") {
      if (i + 1 >= argc) return CheckFailed("option -o needs a value");
      mount_args.push_back(arg);
      mount_args.push_back(argv[++i]);
    } else if (arg.rfind("-o", 0) == 0 && arg.size() > 2) {
      mount_args.push_back(arg);
    } else if (!arg.empty() && arg.front() == '-') {
      return CheckFailed("unknown argument '" + arg + "' (see partfs check --help)");
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 1) return CheckFailed("expected one BUCKET[:/prefix] (see --help)");
  // The mount parser needs a mountpoint; check has none and the parser never touches it.
  mount_args.insert(mount_args.begin(), {positional[0], "/"});
  auto config = ParseMountArgs(mount_args, ProcessEnv(), getuid(), getgid());
  if (!config.ok()) return CheckFailed(config.status().message());

  PrintField("provider:", std::string(config->profile.name));
  PrintField("endpoint:", config->endpoint);
  PrintField("addressing:", config->path_style ? "path-style" : "virtual-hosted");
  PrintField("region:", config->region);
  PrintField("part limits:", PartLimits(config->profile));
  PrintField("bucket:", config->bucket + (config->prefix.empty() ? "" : ":/" + config->prefix));

  S3ClientOptions options = config->ClientOptions(Logger::Quiet());
  // A check answers in seconds: a dead endpoint is not retried for a minute.
  options.retry.max_attempts = 2;
  options.retry.max_total = std::chrono::milliseconds(5000);
  auto store = CreateS3Client(options);
  if (!store.ok()) return CheckFailed(store.status().message());

  Status access = ProbeBucketAccess(*config, store->get());
  if (!access.ok()) return CheckFailed(access.message());
  PrintField("access:", "endpoint reachable, credentials accepted, bucket listable");
  Status multipart = ProbeMultipartUpload(*config, store->get());
  if (!multipart.ok()) return CheckFailed(multipart.message());
  PrintField("multipart upload:", "allowed");
  auto conditional = ProbeConditionalCreate(*config, store->get());
  if (!conditional.ok()) return CheckFailed(conditional.status().message());
  PrintField("conditional create:",
             *conditional ? "yes: O_EXCL files are created only if absent (two hosts cannot both "
                            "win a lock file)"
                          : "no: O_EXCL files fall back to a check before the write");
  std::printf("partfs check: OK\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace partfs
