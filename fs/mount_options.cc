#include "fs/mount_options.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "base/duration.h"
#include "cache/orphan_gc.h"
#include "cache/part_schedule.h"
#include "fs/generic_mount_options.h"
#include "transfer/endpoint_profile.h"

namespace partfs {

namespace {

constexpr uint32_t kMaxUploadThreads = 64;
constexpr uint32_t kMaxReadThreads = 64;
constexpr uint64_t kMaxReadAhead = 1ull << 30;
constexpr uint64_t kMaxRetryTimeoutSeconds = 24 * 3600;
// Attempts per request when retry_timeout bounds it (the backoff caps at 5 s, so
// 24 h of retrying stays far below this).
constexpr uint32_t kRetryAttemptsBoundedByTime = 1000000;
constexpr int64_t kDefaultGcAgeSeconds = 24 * 3600;   // bare gc_on_mount
constexpr int64_t kDefaultWritebackDelaySeconds = 1;  // bare writeback
constexpr int64_t kMaxWritebackDelaySeconds = 3600;
constexpr int64_t kMaxStatTtlSeconds = 24 * 3600;

Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

Result<uint64_t> ParseUnsigned(std::string_view name, std::string_view text, int base = 10) {
  if (text.empty()) return Bad("option " + std::string(name) + " needs a value");
  for (char c : text) {
    bool ok = base == 8 ? (c >= '0' && c <= '7') : std::isdigit(static_cast<unsigned char>(c));
    if (!ok) {
      return Bad("option " + std::string(name) + ": '" + std::string(text) + "' is not a" +
                 (base == 8 ? "n octal" : "") + " number");
    }
  }
  errno = 0;
  std::string copy(text);
  unsigned long long value = std::strtoull(copy.c_str(), nullptr, base);
  if (errno == ERANGE) return Bad("option " + std::string(name) + ": value out of range");
  return static_cast<uint64_t>(value);
}

// S3 bucket naming rules (3..63 characters, lowercase letters, digits, '.', '-').
Status ValidateBucket(const std::string& bucket) {
  if (bucket.size() < 3 || bucket.size() > 63) {
    return Bad("bucket name '" + bucket + "' must be 3 to 63 characters long");
  }
  for (char c : bucket) {
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
      return Bad("bucket name '" + bucket +
                 "' may contain only lowercase letters, digits, '.' and '-'");
    }
  }
  if (!std::isalnum(static_cast<unsigned char>(bucket.front())) ||
      !std::isalnum(static_cast<unsigned char>(bucket.back()))) {
    return Bad("bucket name '" + bucket + "' must start and end with a letter or digit");
  }
  return Status::OK();
}

// "bucket" or "bucket:/a/b" -> bucket, prefix "a/b/".
Status ParseSource(const std::string& source, MountConfig* config) {
  size_t colon = source.find(':');
  config->bucket = source.substr(0, colon);
  PARTFS_RETURN_IF_ERROR(ValidateBucket(config->bucket));
  if (colon == std::string::npos) return Status::OK();
  std::string prefix = source.substr(colon + 1);
  if (prefix.empty() || prefix.front() != '/') {
    return Bad("prefix in '" + source + "' must start with '/' (BUCKET:/prefix)");
  }
  while (!prefix.empty() && prefix.front() == '/') prefix.erase(0, 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (prefix.find("//") != std::string::npos) {
    return Bad("prefix in '" + source + "' has an empty path component");
  }
  config->prefix = prefix.empty() ? "" : prefix + "/";
  return Status::OK();
}

Status ValidateEndpoint(const std::string& endpoint) {
  bool http = endpoint.rfind("http://", 0) == 0;
  bool https = endpoint.rfind("https://", 0) == 0;
  if (!http && !https) {
    return Bad("endpoint '" + endpoint + "' must start with http:// or https://");
  }
  std::string rest = endpoint.substr(http ? 7 : 8);
  if (rest.empty() || rest.front() == '/' || rest.front() == ':') {
    return Bad("endpoint '" + endpoint + "' has no host");
  }
  return Status::OK();
}

// Options resolved in Finalize, once all are known.
struct PendingOptions {
  EndpointRequest endpoint;      // endpoint, provider, region, path_style / virtual_host
  CredentialSearch credentials;  // credentials_file, passwd_file, profile
  bool cache_size_set = false;
  std::optional<LogLevel> log_level;  // log_level=; else -d decides
};

// One "name[=value]" item of a -o list.
struct OptionArg {
  std::string name;
  bool has_value = false;
  std::string value;

  Status NeedValue() const {
    if (!has_value || value.empty()) return Bad("option " + name + " needs a value");
    return Status::OK();
  }
  Status NoValue() const {
    if (has_value) return Bad("option " + name + " takes no value");
    return Status::OK();
  }
};

Status ApplyEndpoint(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  PARTFS_RETURN_IF_ERROR(ValidateEndpoint(arg.value));
  pending->endpoint.endpoint = arg.value;
  return Status::OK();
}

Status ApplyRegion(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  pending->endpoint.region = arg.value;
  return Status::OK();
}

Status ApplyProvider(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  if (!ProfileByName(arg.value)) {
    return Bad("unknown provider '" + arg.value + "' (expected s3, obs or oss)");
  }
  pending->endpoint.provider = arg.value;
  return Status::OK();
}

// path_style or virtual_host; the default depends on the endpoint (Finalize).
Status ApplyAddressingStyle(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NoValue());
  bool path_style = arg.name == "path_style";
  if (pending->endpoint.path_style && *pending->endpoint.path_style != path_style) {
    return Bad("options path_style and virtual_host exclude each other");
  }
  pending->endpoint.path_style = path_style;
  return Status::OK();
}

// cache_dir and log_file: a value that must be an absolute path.
Status AbsolutePath(const OptionArg& arg, std::string* out) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  if (arg.value.front() != '/') {
    return Bad(arg.name + " '" + arg.value + "' must be an absolute path");
  }
  *out = arg.value;
  return Status::OK();
}

Status ApplyCacheDir(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  return AbsolutePath(arg, &config->cache_dir);
}

Result<uint64_t> ParseSizeOption(const OptionArg& arg) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  auto size = ParseByteSize(arg.value);
  if (!size.ok()) return Bad("option " + arg.name + ": " + size.status().message());
  return size;
}

Status ApplyCacheSize(const OptionArg& arg, MountConfig* config, PendingOptions* pending) {
  auto size = ParseSizeOption(arg);
  if (!size.ok()) return size.status();
  config->cache_size = *size;
  pending->cache_size_set = true;
  return Status::OK();
}

Status ApplyPartSize(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto size = ParseSizeOption(arg);
  if (!size.ok()) return size.status();
  config->part_size = *size;
  return Status::OK();
}

Status ApplyUploadThreads(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto n = ParseUnsigned(arg.name, arg.value);
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > kMaxUploadThreads) {
    return Bad("upload_threads must be between 1 and " + std::to_string(kMaxUploadThreads));
  }
  config->upload_threads = static_cast<uint32_t>(*n);
  return Status::OK();
}

// read_ahead=0 turns read-ahead off (ParseByteSize refuses 0).
Status ApplyReadAhead(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  if (arg.has_value && arg.value == "0") {
    config->read_ahead = 0;
    return Status::OK();
  }
  auto size = ParseSizeOption(arg);
  if (!size.ok()) return size.status();
  if (*size > kMaxReadAhead) return Bad("read_ahead must be at most 1G (0 turns it off)");
  config->read_ahead = *size;
  return Status::OK();
}

Status ApplyReadThreads(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto n = ParseUnsigned(arg.name, arg.value);
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > kMaxReadThreads) {
    return Bad("read_threads must be between 1 and " + std::to_string(kMaxReadThreads));
  }
  config->read_threads = static_cast<uint32_t>(*n);
  return Status::OK();
}

Status ApplyRetryTimeout(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto n = ParseUnsigned(arg.name, arg.value);
  if (!n.ok()) return n.status();
  if (*n < 1 || *n > kMaxRetryTimeoutSeconds) {
    return Bad("retry_timeout must be between 1 and " + std::to_string(kMaxRetryTimeoutSeconds) +
               " seconds");
  }
  config->retry_timeout = std::chrono::seconds(*n);
  return Status::OK();
}

// credentials_file, passwd_file and profile: read in Finalize (fs/credentials.h).
Status ApplyCredentialsFile(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  pending->credentials.credentials_file = arg.value;
  return Status::OK();
}

Status ApplyPasswdFile(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  pending->credentials.passwd_file = arg.value;
  return Status::OK();
}

Status ApplyProfile(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  pending->credentials.profile = arg.value;
  return Status::OK();
}

// access_key=, secret_key=, ...: a value on the command line shows in ps and
// /proc/PID/cmdline, so secrets are never taken there (and never echoed).
Status RefuseSecretOption(const OptionArg& arg, MountConfig*, PendingOptions*) {
  return Bad("option " + arg.name +
             " is not accepted: command-line values show in ps; use -o credentials_file=F or "
             "-o passwd_file=F (mode 600), the environment (AWS_ACCESS_KEY_ID, "
             "AWS_SECRET_ACCESS_KEY) or ~/.aws/credentials");
}

Status ApplyAllowOther(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  PARTFS_RETURN_IF_ERROR(arg.NoValue());
  config->allow_other = true;
  return Status::OK();
}

// A uid or gid; (uint32_t)-1 means "unchanged" to chown(2), so it is refused.
Result<uint64_t> ParseId(const OptionArg& arg) {
  auto n = ParseUnsigned(arg.name, arg.value);
  if (!n.ok()) return n.status();
  if (*n > 0xfffffffeull) return Bad("option " + arg.name + ": value out of range");
  return n;
}

Status ApplyUid(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto id = ParseId(arg);
  if (!id.ok()) return id.status();
  config->uid = static_cast<uid_t>(*id);
  return Status::OK();
}

Status ApplyGid(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto id = ParseId(arg);
  if (!id.ok()) return id.status();
  config->gid = static_cast<gid_t>(*id);
  return Status::OK();
}

Status ApplyUmask(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto n = ParseUnsigned(arg.name, arg.value, 8);
  if (!n.ok()) return n.status();
  if (*n > 0777) return Bad("umask must be between 000 and 777 (octal)");
  config->umask = static_cast<mode_t>(*n);
  return Status::OK();
}

Status ApplyGcOnMount(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  int64_t seconds = kDefaultGcAgeSeconds;
  if (arg.has_value) {
    auto parsed = ParseDuration(arg.value);
    if (!parsed.ok()) return Bad("option gc_on_mount: " + parsed.status().message());
    seconds = *parsed;
  }
  PARTFS_RETURN_IF_ERROR(CheckGcAge("option gc_on_mount=" + arg.value, seconds));
  config->gc_on_mount = std::chrono::seconds(seconds);
  return Status::OK();
}

Status ApplyWriteback(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  int64_t seconds = kDefaultWritebackDelaySeconds;
  if (arg.has_value) {
    auto parsed = arg.value == "0" ? Result<int64_t>(0) : ParseDuration(arg.value);
    if (!parsed.ok()) return Bad("option writeback: " + parsed.status().message());
    seconds = *parsed;
  }
  if (seconds > kMaxWritebackDelaySeconds) {
    return Bad("option writeback=" + arg.value + ": the delay must be at most 1h");
  }
  config->writeback_delay = std::chrono::seconds(seconds);
  return Status::OK();
}

Status ApplyStatTtl(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  auto parsed = arg.value == "0" ? Result<int64_t>(0) : ParseDuration(arg.value);
  if (!parsed.ok()) return Bad("option stat_ttl: " + parsed.status().message());
  if (*parsed > kMaxStatTtlSeconds) {
    return Bad("option stat_ttl=" + arg.value + ": must be at most 1d");
  }
  config->stat_ttl = std::chrono::seconds(*parsed);
  return Status::OK();
}

Status ApplyListingAttrs(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  PARTFS_RETURN_IF_ERROR(arg.NoValue());
  config->listing_attrs = true;
  return Status::OK();
}

Status ApplyLogFile(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  return AbsolutePath(arg, &config->log_file);
}

Status ApplyLogLevel(const OptionArg& arg, MountConfig*, PendingOptions* pending) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  LogLevel level;
  if (!ParseLogLevel(arg.value, &level)) {
    return Bad("option log_level: '" + arg.value + "' is not error, warn, info or debug");
  }
  pending->log_level = level;
  return Status::OK();
}

Status ApplyMetrics(const OptionArg& arg, MountConfig* config, PendingOptions*) {
  PARTFS_RETURN_IF_ERROR(arg.NeedValue());
  auto address = ParseMetricsAddress(arg.value);
  if (!address.ok()) return address.status();
  config->metrics = *address;
  return Status::OK();
}

using ApplyFn = Status (*)(const OptionArg& arg, MountConfig* config, PendingOptions* pending);

struct OptionSpec {
  std::string_view name;
  ApplyFn apply;
  // The usage line: "-o <syntax>" then the help text ('\n' continues it on the
  // next line); an empty syntax means another entry's line covers this option.
  std::string_view syntax;
  std::string_view help;
};

// Every -o option, in the order `partfs --help` lists them.
constexpr OptionSpec kOptions[] = {
    {"endpoint", ApplyEndpoint, "endpoint=URL",
     "S3 endpoint (default: the provider's endpoint for the region,\n"
     "https://s3.us-east-1.amazonaws.com without options)"},
    {"region", ApplyRegion, "region=NAME",
     "signing region (default: from the endpoint's host, else\n"
     "~/.aws/config, else us-east-1)"},
    {"provider", ApplyProvider, "provider=s3|obs|oss",
     "provider limits and conventions (default: from the endpoint's\n"
     "host; s3 for any other host)"},
    {"path_style", ApplyAddressingStyle, "path_style",
     "path-style requests (default unless the endpoint is AWS, OBS or OSS)"},
    {"virtual_host", ApplyAddressingStyle, "virtual_host",
     "virtual-hosted-style requests (bucket.host)"},
    {"cache_dir", ApplyCacheDir, "cache_dir=DIR", "write cache (default /var/cache/partfs/BUCKET)"},
    {"cache_size", ApplyCacheSize, "cache_size=SIZE",
     "max part data in the cache, K/M/G suffix (default 4G)"},
    {"part_size", ApplyPartSize, "part_size=SIZE", "first part size (default 8M)"},
    {"upload_threads", ApplyUploadThreads, "upload_threads=N",
     "parallel part uploads, 1..64 (default 4)"},
    {"read_ahead", ApplyReadAhead, "read_ahead=SIZE",
     "bytes fetched ahead of a sequential reader per open file,\n"
     "K/M/G suffix, 0 = off (default 16M)"},
    {"read_threads", ApplyReadThreads, "read_threads=N",
     "parallel read-ahead GETs of all files, 1..64 (default 8)"},
    {"retry_timeout", ApplyRetryTimeout, "retry_timeout=SEC",
     "give up retrying a request after SEC seconds (default 60)"},
    {"credentials_file", ApplyCredentialsFile, "credentials_file=F",
     "lines access_key=..., secret_key=..., session_token=... (mode 600)"},
    {"passwd_file", ApplyPasswdFile, "passwd_file=F",
     "s3fs format: ACCESS:SECRET or BUCKET:ACCESS:SECRET lines (mode 600)"},
    {"profile", ApplyProfile, "profile=NAME",
     "profile of ~/.aws/credentials and ~/.aws/config (default\n"
     "AWS_PROFILE, else default)"},
    {"access_key", RefuseSecretOption, "", ""},
    {"secret_key", RefuseSecretOption, "", ""},
    {"secret_access_key", RefuseSecretOption, "", ""},
    {"session_token", RefuseSecretOption, "", ""},
    {"passwd", RefuseSecretOption, "", ""},
    {"allow_other", ApplyAllowOther, "allow_other", "let other users access the mount"},
    {"uid", ApplyUid, "uid=N,gid=N,umask=M", "owner and mode of objects without metadata"},
    {"gid", ApplyGid, "", ""},
    {"umask", ApplyUmask, "", ""},
    {"writeback", ApplyWriteback, "writeback[=DELAY]",
     "close() returns once the file is durable in the cache; the upload\n"
     "starts DELAY (default 1s) after the last close; fsync waits for it"},
    {"stat_ttl", ApplyStatTtl, "stat_ttl=SEC",
     "trust attributes and missing names for SEC (default 60; 0 = off)"},
    {"listing_attrs", ApplyListingAttrs, "listing_attrs",
     "files whose metadata the mount has not seen take size and mtime\n"
     "from the listing and the default mode, with no HEAD (fast ls -l)"},
    {"log_file", ApplyLogFile, "log_file=PATH",
     "where a daemonized partfs logs (default: syslog, ident partfs)"},
    {"log_level", ApplyLogLevel, "log_level=LEVEL",
     "error, warn, info or debug (default info; -d: debug)"},
    {"metrics", ApplyMetrics, "metrics=HOST:PORT",
     "Prometheus text endpoint GET /metrics on 127.0.0.1:PORT\n"
     "or [::1]:PORT (loopback only)"},
    {"gc_on_mount", ApplyGcOnMount, "gc_on_mount[=AGE]",
     "at mount, abort untracked uploads under the prefix older than AGE\n"
     "(2h, 24h, 7d; at least 1h; default 24h), as `partfs gc` does"},
};

const OptionSpec* FindOption(std::string_view name) {
  for (const OptionSpec& spec : kOptions) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Applies one "name[=value]" option.
Status ApplyOption(const std::string& opt, MountConfig* config, PendingOptions* pending) {
  size_t eq = opt.find('=');
  OptionArg arg;
  arg.name = opt.substr(0, eq);
  arg.has_value = eq != std::string::npos;
  if (arg.has_value) arg.value = opt.substr(eq + 1);
  const OptionSpec* spec = FindOption(arg.name);
  if (spec == nullptr) {
    switch (ClassifyGenericMountOption(opt)) {
      case GenericMountOption::kKernelFlag:
        config->kernel_flags.push_back(opt);
        return Status::OK();
      case GenericMountOption::kNoEffect:
        return Status::OK();
      case GenericMountOption::kNotGeneric:
        break;
    }
    return Bad("unknown option '" + arg.name + "' (see partfs --help)");
  }
  return spec->apply(arg, config, pending);
}

// Usage lines: "  -f", "  -o endpoint=URL", ... with the help text from column 26.
void AppendUsageLine(std::string_view flag, std::string_view help, std::string* out) {
  constexpr size_t kHelpColumn = 26;
  std::string line = "  " + std::string(flag);
  line.append(line.size() < kHelpColumn ? kHelpColumn - line.size() : 1, ' ');
  for (char c : help) {
    line += c;
    if (c == '\n') line.append(kHelpColumn, ' ');
  }
  *out += line + "\n";
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

// part_size within the provider's part range, named in the message.
Status CheckPartSizeRange(const MountConfig& config) {
  const ProviderProfile& p = config.profile;
  if (config.part_size >= p.min_part_size && config.part_size <= p.max_part_size) {
    return Status::OK();
  }
  return Bad("part_size " + std::to_string(config.part_size) + " is outside provider " +
             std::string(p.name) + "'s part size range " + std::to_string(p.min_part_size) + ".." +
             std::to_string(p.max_part_size) + " bytes (" +
             (config.part_size < p.min_part_size ? "below the provider's minimum part size"
                                                 : "above the provider's maximum part size") +
             ")");
}

// Endpoint, provider, region and addressing (transfer/endpoint_profile.h); the
// region of ~/.aws/config fills in when nothing else names one.
Status ResolveEndpointOptions(const PendingOptions& pending, const EnvLookup& env,
                              MountConfig* config) {
  EndpointRequest request = pending.endpoint;
  request.fallback_region = AwsConfigRegion(pending.credentials, env);
  auto resolved = ResolveEndpoint(request);
  if (!resolved.ok()) return resolved.status();
  config->endpoint = resolved->endpoint;
  config->region = resolved->region;
  config->profile = resolved->profile;
  config->path_style = resolved->path_style;
  return Status::OK();
}

// The credentials chain (fs/credentials.h), for the resolved provider.
Status LoadCredentials(CredentialSearch search, const EnvLookup& env, MountConfig* config) {
  search.provider = config->profile.provider;
  auto creds = FindCredentials(search, env);
  if (!creds.ok()) return creds.status();
  config->access_key = std::move(creds->access_key);
  config->secret_key = std::move(creds->secret_key);
  config->session_token = std::move(creds->session_token);
  config->credentials_source = std::move(creds->source);
  return Status::OK();
}

// Cross-option checks and defaults that depend on other options.
Status Finalize(PendingOptions pending, const EnvLookup& env, const std::string& etc_dir,
                MountConfig* config) {
  pending.credentials.bucket = config->bucket;
  pending.credentials.home = HomeDirectory(env);
  pending.credentials.etc_dir = etc_dir;
  PARTFS_RETURN_IF_ERROR(ResolveEndpointOptions(pending, env, config));
  config->log_level =
      pending.log_level.value_or(config->debug ? LogLevel::kDebug : LogLevel::kInfo);
  if (config->cache_dir.empty()) config->cache_dir = "/var/cache/partfs/" + config->bucket;
  PARTFS_RETURN_IF_ERROR(CheckPartSizeRange(*config));
  Status schedule = PartSchedule::Validate(
      config->part_size, PartSchedule::PartsPerStepFor(config->part_size, config->profile),
      config->profile);
  if (!schedule.ok()) {
    return Bad(schedule.message() + " (provider " + std::string(config->profile.name) + ")");
  }
  // Backpressure needs room for the part being filled plus one being uploaded.
  if (config->cache_size < 2 * config->part_size) {
    return Bad("cache_size " + std::to_string(config->cache_size) +
               " must be at least twice part_size (" + std::to_string(config->part_size) + ")");
  }
  return LoadCredentials(pending.credentials, env, config);
}

}  // namespace

Result<uint64_t> ParseByteSize(std::string_view text) {
  if (text.empty()) return Bad("empty size");
  uint64_t multiplier = 1;
  char last = static_cast<char>(std::toupper(static_cast<unsigned char>(text.back())));
  if (!std::isdigit(static_cast<unsigned char>(text.back()))) {
    switch (last) {
      case 'K':
        multiplier = 1ull << 10;
        break;
      case 'M':
        multiplier = 1ull << 20;
        break;
      case 'G':
        multiplier = 1ull << 30;
        break;
      case 'T':
        multiplier = 1ull << 40;
        break;
      default:
        return Bad("'" + std::string(text) + "' is not a size (digits with K, M, G or T)");
    }
    text.remove_suffix(1);
  }
  if (text.empty()) return Bad("size has no digits");
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Bad("'" + std::string(text) + "' is not a size (digits with K, M, G or T)");
    }
  }
  if (text.size() > 19) return Bad("size '" + std::string(text) + "' is too large");
  uint64_t number = std::strtoull(std::string(text).c_str(), nullptr, 10);
  if (number > UINT64_MAX / multiplier) return Bad("size '" + std::string(text) + "' is too large");
  if (number == 0) return Bad("size must be greater than 0");
  return number * multiplier;
}

Result<MountConfig> ParseMountArgs(const std::vector<std::string>& args, const EnvLookup& env,
                                   uid_t default_uid, gid_t default_gid,
                                   const std::string& etc_dir) {
  MountConfig config;
  config.uid = default_uid;
  config.gid = default_gid;
  PendingOptions pending;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-f") {
      config.foreground = true;
    } else if (arg == "-d") {
      config.debug = true;
      config.foreground = true;
    } else if (arg == "-o" || (arg.rfind("-o", 0) == 0 && arg.size() > 2)) {
      std::string list;
      if (arg == "-o") {
        if (i + 1 >= args.size()) return Bad("option -o needs a value");
        list = args[++i];
      } else {
        list = arg.substr(2);
      }
      for (const std::string& opt : SplitComma(list)) {
        if (opt.empty()) return Bad("empty option in '-o " + list + "'");
        PARTFS_RETURN_IF_ERROR(ApplyOption(opt, &config, &pending));
      }
    } else if (!arg.empty() && arg.front() == '-') {
      return Bad("unknown argument '" + arg + "'");
    } else {
      positional.push_back(arg);
    }
  }
  if (positional.size() != 2) {
    return Bad("expected BUCKET[:/prefix] and MOUNTPOINT, got " +
               std::to_string(positional.size()) + " argument(s)");
  }
  PARTFS_RETURN_IF_ERROR(ParseSource(positional[0], &config));
  if (positional[1].empty()) return Bad("empty mount point");
  config.mountpoint = positional[1];
  PARTFS_RETURN_IF_ERROR(Finalize(std::move(pending), env, etc_dir, &config));
  return config;
}

S3ClientOptions MountConfig::ClientOptions(Logger* logger) const {
  S3ClientOptions o;
  o.endpoint = endpoint;
  o.region = region;
  o.bucket = bucket;
  o.access_key = access_key;
  o.secret_key = secret_key;
  o.session_token = session_token;
  o.path_style = path_style;
  o.profile = profile;
  o.retry.max_total = std::chrono::duration_cast<std::chrono::milliseconds>(retry_timeout);
  // retry_timeout, not a count of attempts, decides when a request gives up: a
  // server that is down for 20 s must not fail a write when retry_timeout=60.
  o.retry.max_attempts = kRetryAttemptsBoundedByTime;
  o.logger = logger;
  return o;
}

CacheOptions MountConfig::CacheOptionsFor(Logger* logger) const {
  CacheOptions o;
  o.cache_dir = cache_dir;
  o.cache_size = cache_size;
  o.part_size = part_size;
  o.upload_threads = upload_threads;
  o.profile = profile;
  o.endpoint = endpoint;
  o.bucket = bucket;
  o.logger = logger;
  return o;
}

ReadAheadConfig MountConfig::ReadAheadConfigFor() const {
  ReadAheadConfig o;
  o.window = read_ahead;
  o.threads = read_threads;
  o.budget = 2 * read_ahead;
  return o;
}

std::string MountConfig::FuseMountOptions() const {
  std::string opts = "fsname=partfs:" + bucket + ",subtype=partfs,default_permissions";
  if (allow_other) opts += ",allow_other";
  for (const std::string& flag : kernel_flags) opts += "," + flag;
  return opts;
}

std::string MountUsage() {
  std::string usage =
      R"(usage: partfs [mount] BUCKET[:/prefix] MOUNTPOINT [-f] [-d] [-o opt[,opt...]]
       mount -t fuse.partfs BUCKET[:/prefix] MOUNTPOINT [-o opt[,opt...]]
       partfs check BUCKET[:/prefix] [-o ...]   verify endpoint, credentials, bucket
       partfs status ...   show uploads in flight (see partfs status --help)
       partfs gc ...       clean up abandoned uploads (see partfs gc --help)
       partfs --version

)";
  AppendUsageLine("-f", "stay in the foreground", &usage);
  AppendUsageLine("-d", "debug logging (implies -f)", &usage);
  for (const OptionSpec& spec : kOptions) {
    if (!spec.syntax.empty()) AppendUsageLine("-o " + std::string(spec.syntax), spec.help, &usage);
  }
  usage +=
      "\nmount(8) and fstab options are accepted too: ro, rw, nosuid, nodev, noexec, noatime,\n"
      "sync, dirsync (passed to the kernel) and defaults, _netdev, nofail, auto, noauto, user,\n"
      "relatime, x-systemd.*, comment=... (no effect on partfs).\n";
  usage += R"(
credentials, the first source that has a key (never -o access_key=/secret_key=):
  1. -o credentials_file=F, -o passwd_file=F or -o profile=NAME (only that source)
  2. environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
     provider obs first OBS_ACCESS_KEY_ID, OBS_SECRET_ACCESS_KEY, OBS_SECURITY_TOKEN;
     provider oss first OSS_ACCESS_KEY_ID, OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN,
     then ALIBABA_CLOUD_ACCESS_KEY_ID, ..._SECRET, ALIBABA_CLOUD_SECURITY_TOKEN
  3. ~/.aws/credentials, ~/.aws/config (profile AWS_PROFILE, else default;
     AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE)
  4. ~/.passwd-s3fs, then /etc/passwd-s3fs
  password files must be mode 600
)";
  return usage;
}

}  // namespace partfs
