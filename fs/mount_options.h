// MountConfig and its parser: the command line of a `partfs BUCKET[:/prefix] MOUNTPOINT` mount,
// validated into one value before anything is mounted.
//
// Usage: partfs BUCKET[:/prefix] MOUNTPOINT [-f] [-d] [-o opt[,opt...]]
// ParseMountArgs never exits, prints or touches the filesystem except to read
// credential files (fs/credentials.h); the caller prints the one-line message of a failed parse
// and exits with kUsageExitCode. Pure value types, thread-compatible.
#ifndef PARTFS_FS_MOUNT_OPTIONS_H_
#define PARTFS_FS_MOUNT_OPTIONS_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/logger.h"
#include "base/status.h"
#include "cache/write_cache.h"
#include "fs/credentials.h"
#include "fs/metrics_endpoint.h"
#include "fs/read_ahead_pool.h"
#include "transfer/provider_profile.h"
#include "transfer/s3_client.h"

namespace partfs {

inline constexpr int kUsageExitCode = 2;    // bad command line or options
inline constexpr int kFailureExitCode = 1;  // endpoint, credentials, bucket, cache, mount failures

struct MountConfig {
  std::string bucket;
  std::string prefix;  // "" or "dir/sub/" (no leading '/', always a trailing '/')
  std::string mountpoint;
  bool foreground = false;
  bool debug = false;  // -d: debug logging and libfuse request tracing; implies -f

  // Endpoint, region, provider and addressing as given or inferred
  // (transfer/endpoint_profile.h); by default AWS S3 in us-east-1.
  std::string endpoint = "https://s3.us-east-1.amazonaws.com";
  std::string region = "us-east-1";
  ProviderProfile profile = ProfileFor(Provider::kS3);
  bool path_style = false;
  // From the credentials chain (fs/credentials.h). Secrets: never logged or printed.
  std::string access_key;
  std::string secret_key;
  std::string session_token;
  std::string credentials_source;  // where they came from, e.g. "environment (AWS_ACCESS_KEY_ID)"
  std::chrono::seconds retry_timeout{60};  // give up retrying one request after this long

  std::string cache_dir;  // default /var/cache/partfs/<bucket>
  uint64_t cache_size = 4ull << 30;
  uint64_t part_size = 8ull << 20;
  uint32_t upload_threads = 4;
  uint64_t read_ahead = 16ull << 20;  // per open file; 0: every read is one ranged GET
  uint32_t read_threads = 8;

  bool allow_other = false;
  // Generic mount flags from mount(8)/fstab passed to the FUSE mount: ro, nosuid, noatime, ...
  std::vector<std::string> kernel_flags;
  uid_t uid = 0;  // owner of objects without "uid" metadata (default: the mounting user)
  gid_t gid = 0;
  mode_t umask = 022;    // default modes: files 0666 & ~umask, directories 0777 & ~umask
  std::string log_file;  // daemon mode log destination ("" = syslog after mount)
  LogLevel log_level = LogLevel::kInfo;  // log_level=...; -d alone makes it kDebug
  // metrics=127.0.0.1:PORT: the Prometheus endpoint (loopback only).
  std::optional<MetricsAddress> metrics;
  // gc_on_mount[=DURATION]: at mount, abort orphan uploads under the prefix older than this.
  std::optional<std::chrono::seconds> gc_on_mount;
  // writeback[=DELAY]: close() returns once the file is durable in the cache;
  // the upload starts DELAY after the last close (see docs/SEMANTICS.md).
  std::optional<std::chrono::seconds> writeback_delay;
  // stat_ttl=SEC: how long attributes and missing names are trusted.
  std::chrono::seconds stat_ttl{60};
  // listing_attrs: files listed without known metadata are not HEADed; they
  // show the listing's size and LastModified, uid/gid/umask's owner and mode.
  bool listing_attrs = false;

  S3ClientOptions ClientOptions(Logger* logger) const;
  CacheOptions CacheOptionsFor(Logger* logger) const;
  // read_ahead and read_threads; all files together hold at most two windows.
  ReadAheadConfig ReadAheadConfigFor() const;
  // The -o string handed to libfuse (fsname, subtype, default_permissions, allow_other).
  std::string FuseMountOptions() const;
};

// `args` excludes the program name. Defaults for uid/gid come from `default_uid`/`default_gid`.
// `etc_dir` is where /etc/passwd-s3fs is looked for (tests pass a temp dir).
// Returns InvalidArgument with a one-line message naming the problem.
Result<MountConfig> ParseMountArgs(const std::vector<std::string>& args, const EnvLookup& env,
                                   uid_t default_uid, gid_t default_gid,
                                   const std::string& etc_dir = "/etc");

// "8M" -> 8388608. Suffixes K, M, G, T (powers of 1024), case-insensitive; none = bytes.
Result<uint64_t> ParseByteSize(std::string_view text);

// The text printed by `partfs --help`.
std::string MountUsage();

}  // namespace partfs

#endif  // PARTFS_FS_MOUNT_OPTIONS_H_
