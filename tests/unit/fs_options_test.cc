// Unit tests for the mount command line parser (fs/mount_options.h).
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "fs/mount_options.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using Env = std::map<std::string, std::string>;

EnvLookup FakeEnv(Env env) {
  return [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

const Env kKeys = {{"AWS_ACCESS_KEY_ID", "test:tester"}, {"AWS_SECRET_ACCESS_KEY", "testing"}};

// HOME and /etc point nowhere, so the machine's own credential files never count.
Result<MountConfig> Parse(std::vector<std::string> args, Env env = kKeys) {
  env.emplace("HOME", "/nonexistent/partfs-test-home");
  return ParseMountArgs(args, FakeEnv(env), 1000, 1000, "/nonexistent/partfs-test-etc");
}

// Expects a parse failure whose message contains `needle`.
void ExpectError(std::vector<std::string> args, const std::string& needle, Env env = kKeys) {
  auto parsed = Parse(args, env);
  ASSERT_FALSE(parsed.ok()) << "accepted: " << ::testing::PrintToString(args);
  EXPECT_EQ(parsed.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(parsed.status().message().find(needle), std::string::npos)
      << "message: " << parsed.status().message();
  EXPECT_EQ(parsed.status().message().find('\n'), std::string::npos) << "not one line";
}

TEST(FsOptionsTest, Defaults) {
  auto c = Parse({"my-bucket", "/mnt/x"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->bucket, "my-bucket");
  EXPECT_EQ(c->prefix, "");
  EXPECT_EQ(c->mountpoint, "/mnt/x");
  EXPECT_FALSE(c->foreground);
  // Like s3fs and rclone: AWS S3 in us-east-1, virtual-hosted.
  EXPECT_EQ(c->endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(c->region, "us-east-1");
  EXPECT_EQ(c->profile.name, "s3");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->cache_dir, "/var/cache/partfs/my-bucket");
  EXPECT_EQ(c->cache_size, 4ull << 30);
  EXPECT_EQ(c->part_size, 8ull << 20);
  EXPECT_EQ(c->upload_threads, 4u);
  EXPECT_EQ(c->read_ahead, 16ull << 20);
  EXPECT_EQ(c->read_threads, 8u);
  EXPECT_EQ(c->uid, 1000u);
  EXPECT_EQ(c->umask, 022u);
  EXPECT_EQ(c->access_key, "test:tester");
  EXPECT_EQ(c->secret_key, "testing");
  EXPECT_FALSE(c->allow_other);
}

TEST(FsOptionsTest, AllOptions) {
  auto c = Parse({"-f", "bkt:/a/b/", "/mnt", "-o",
                  "endpoint=https://obs.example.com/,region=cn-north-4,provider=s3",
                  "-ocache_dir=/tmp/c,cache_size=1G,part_size=64M,upload_threads=8", "-o",
                  "allow_other,uid=5,gid=6,umask=027,virtual_host,retry_timeout=7",
                  "-oread_ahead=64M,read_threads=12"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_TRUE(c->foreground);
  EXPECT_EQ(c->prefix, "a/b/");
  EXPECT_EQ(c->endpoint, "https://obs.example.com");
  EXPECT_EQ(c->region, "cn-north-4");
  EXPECT_EQ(c->profile.name, "s3");
  EXPECT_FALSE(c->path_style);
  EXPECT_EQ(c->cache_dir, "/tmp/c");
  EXPECT_EQ(c->cache_size, 1ull << 30);
  EXPECT_EQ(c->part_size, 64ull << 20);
  EXPECT_EQ(c->upload_threads, 8u);
  EXPECT_TRUE(c->allow_other);
  EXPECT_EQ(c->uid, 5u);
  EXPECT_EQ(c->gid, 6u);
  EXPECT_EQ(c->umask, 027u);
  EXPECT_EQ(c->retry_timeout.count(), 7);
  EXPECT_EQ(c->read_ahead, 64ull << 20);
  EXPECT_EQ(c->read_threads, 12u);
  ReadAheadConfig read_ahead = c->ReadAheadConfigFor();
  EXPECT_EQ(read_ahead.window, 64ull << 20);
  EXPECT_EQ(read_ahead.threads, 12u);
  EXPECT_EQ(read_ahead.budget, 128ull << 20);
  EXPECT_NE(c->FuseMountOptions().find("allow_other"), std::string::npos);
  S3ClientOptions client = c->ClientOptions(nullptr);
  EXPECT_EQ(client.bucket, "bkt");
  EXPECT_FALSE(client.path_style);
  EXPECT_EQ(client.retry.max_total.count(), 7000);
  // Time, not a count of attempts, bounds a request's retries.
  EXPECT_GE(client.retry.max_attempts, 1000u);
  CacheOptions cache = c->CacheOptionsFor(nullptr);
  EXPECT_EQ(cache.part_size, 64ull << 20);
  EXPECT_EQ(cache.bucket, "bkt");
}

TEST(FsOptionsTest, DebugImpliesForeground) {
  auto c = Parse({"bkt", "/mnt", "-d"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->debug);
  EXPECT_TRUE(c->foreground);
}

TEST(FsOptionsTest, LogLevel) {
  auto c = Parse({"bkt", "/mnt"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_level, LogLevel::kInfo);
  c = Parse({"bkt", "/mnt", "-d"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
  c = Parse({"bkt", "/mnt", "-o", "log_level=warn"});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_level, LogLevel::kWarn);
  c = Parse({"bkt", "/mnt", "-o", "log_level=error", "-d"});  // the option wins over -d
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->log_level, LogLevel::kError);
}

TEST(FsOptionsTest, MetricsAddress) {
  auto c = Parse({"bkt", "/mnt", "-o", "metrics=127.0.0.1:9100"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->metrics.has_value());
  EXPECT_EQ(c->metrics->ToString(), "127.0.0.1:9100");
  c = Parse({"bkt", "/mnt", "-o", "metrics=[::1]:9101"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->metrics->host, "::1");
  EXPECT_EQ(c->metrics->ToString(), "[::1]:9101");
  EXPECT_FALSE(Parse({"bkt", "/mnt"})->metrics.has_value());
}

TEST(FsOptionsTest, AwsEndpointDefaultsToVirtualHost) {
  auto c = Parse({"bkt", "/mnt", "-o", "endpoint=https://s3.eu-west-1.amazonaws.com"});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->path_style);
  c = Parse({"bkt", "/mnt", "-o", "endpoint=https://s3.eu-west-1.amazonaws.com,path_style"});
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->path_style);
}

TEST(FsOptionsTest, PartSizeCheckedAgainstProvider) {
  // 1 MiB is below S3's 5 MiB minimum part size.
  ExpectError({"bkt", "/mnt", "-o", "provider=s3,part_size=1M"}, "provider s3");
  // OBS/OSS: the default 8 MiB part size is accepted and selects the profile.
  for (const char* name : {"obs", "oss"}) {
    auto c = Parse({"bkt", "/mnt", "-o", std::string("provider=") + name});
    ASSERT_TRUE(c.ok()) << c.status().message();
    EXPECT_EQ(c->profile.name, name);
  }
  // OSS allows 100 KiB parts; S3 does not.
  EXPECT_TRUE(Parse({"bkt", "/mnt", "-o", "provider=oss,part_size=1M"}).ok());
}

TEST(FsOptionsTest, SessionTokenFromEnv) {
  Env env = kKeys;
  env["AWS_SESSION_TOKEN"] = "tok";
  auto c = Parse({"bkt", "/mnt"}, env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->session_token, "tok");
}

// A byte size and its value; 0: rejected.
struct ByteSizeCase {
  const char* name;
  const char* text;
  uint64_t bytes;
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
void PrintTo(const ByteSizeCase& c, std::ostream* os) { *os << c.name; }

class FsOptionsByteSizeTest : public ::testing::TestWithParam<ByteSizeCase> {};

TEST_P(FsOptionsByteSizeTest, Parses) {
  auto parsed = ParseByteSize(GetParam().text);
  if (GetParam().bytes == 0) {
    EXPECT_FALSE(parsed.ok()) << "accepted: " << *parsed;
  } else {
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    EXPECT_EQ(*parsed, GetParam().bytes);
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, FsOptionsByteSizeTest,
                         ::testing::ValuesIn(std::vector<ByteSizeCase>{
                             {"Plain", "123", 123u},
                             {"Kibibytes", "8k", 8192u},
                             {"Mebibytes", "8M", 8u << 20},
                             {"Gibibytes", "2G", 2ull << 30},
                             {"Tebibytes", "1T", 1ull << 40},
                             {"Empty", "", 0},
                             {"UnitOnly", "M", 0},
                             {"UnknownUnit", "8X", 0},
                             {"Negative", "-8M", 0},
                             {"Zero", "0", 0},
                             {"Overflow", "99999999999999999999", 0},
                             {"OverflowAfterUnit", "16777216T", 0},
                         }),
                         [](const ::testing::TestParamInfo<ByteSizeCase>& info) {
                           return std::string(info.param.name);
                         });

// A command line the parser must reject, and words its message must contain.
struct RejectCase {
  const char* name;
  std::vector<std::string> args;
  const char* needle;
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

class FsOptionsRejectTest : public ::testing::TestWithParam<RejectCase> {};

TEST_P(FsOptionsRejectTest, FailsWithOneLineMessage) {
  ExpectError(GetParam().args, GetParam().needle);
}

INSTANTIATE_TEST_SUITE_P(
    BadArgumentsAndOptions, FsOptionsRejectTest,
    ::testing::ValuesIn(std::vector<RejectCase>{
        {"NoArguments", {}, "expected BUCKET[:/prefix] and MOUNTPOINT"},
        {"OneArgument", {"bkt"}, "got 1 argument"},
        {"ThreeArguments", {"bkt", "/mnt", "/extra"}, "got 3 argument"},
        {"UnknownFlag", {"bkt", "/mnt", "-x"}, "unknown argument '-x'"},
        {"DashOWithoutValue", {"bkt", "/mnt", "-o"}, "option -o needs a value"},
        {"UppercaseBucket", {"Bad_Bucket", "/mnt"}, "bucket name 'Bad_Bucket'"},
        {"ShortBucket", {"ab", "/mnt"}, "3 to 63 characters"},
        {"BucketLikeAFlag", {"-bkt-", "/mnt"}, "unknown argument"},
        {"BucketEndingInADot", {"bkt.", "/mnt"}, "start and end with a letter or digit"},
        {"PrefixWithoutSlash", {"bkt:prefix", "/mnt"}, "must start with '/'"},
        {"EmptyPathComponent", {"bkt:/a//b", "/mnt"}, "empty path component"},
        {"UnknownOption", {"bkt", "/mnt", "-o", "bogus=1"}, "unknown option 'bogus'"},
        {"EmptyOption", {"bkt", "/mnt", "-o", "allow_other,,uid=1"}, "empty option"},
        {"FtpEndpoint",
         {"bkt", "/mnt", "-o", "endpoint=ftp://x"},
         "must start with http:// or https://"},
        {"EndpointWithoutHost", {"bkt", "/mnt", "-o", "endpoint=http://"}, "has no host"},
        {"EndpointWithoutValue",
         {"bkt", "/mnt", "-o", "endpoint"},
         "option endpoint needs a value"},
        {"UnknownProvider", {"bkt", "/mnt", "-o", "provider=gcs"}, "unknown provider 'gcs'"},
        {"PathStyleAndVirtualHost",
         {"bkt", "/mnt", "-o", "path_style,virtual_host"},
         "exclude each other"},
        {"PathStyleWithValue", {"bkt", "/mnt", "-o", "path_style=1"}, "takes no value"},
        {"RelativeCacheDir",
         {"bkt", "/mnt", "-o", "cache_dir=rel/dir"},
         "must be an absolute path"},
        {"CacheSizeNotASize", {"bkt", "/mnt", "-o", "cache_size=lots"}, "option cache_size"},
        {"PartSizeBelowMinimum",
         {"bkt", "/mnt", "-o", "part_size=1M"},
         "below the provider's minimum part size"},
        {"PartSizeAboveMaximum",
         {"bkt", "/mnt", "-o", "part_size=6G"},
         "above the provider's maximum part size"},
        {"CacheSizeBelowTwoParts",
         {"bkt", "/mnt", "-o", "cache_size=8M"},
         "at least twice part_size"},
        {"ZeroUploadThreads", {"bkt", "/mnt", "-o", "upload_threads=0"}, "between 1 and 64"},
        {"TooManyUploadThreads", {"bkt", "/mnt", "-o", "upload_threads=65"}, "between 1 and 64"},
        {"UploadThreadsNotANumber", {"bkt", "/mnt", "-o", "upload_threads=x"}, "is not a number"},
        {"ZeroReadThreads", {"bkt", "/mnt", "-o", "read_threads=0"}, "between 1 and 64"},
        {"TooManyReadThreads", {"bkt", "/mnt", "-o", "read_threads=65"}, "between 1 and 64"},
        {"ReadAheadNotASize", {"bkt", "/mnt", "-o", "read_ahead=lots"}, "option read_ahead"},
        {"ReadAheadWithoutValue", {"bkt", "/mnt", "-o", "read_ahead"}, "needs a value"},
        {"ReadAheadTooLarge", {"bkt", "/mnt", "-o", "read_ahead=2G"}, "at most 1G"},
        {"UmaskNotOctal", {"bkt", "/mnt", "-o", "umask=999"}, "is not an octal number"},
        {"UmaskTooLarge", {"bkt", "/mnt", "-o", "umask=1777"}, "between 000 and 777"},
        {"NegativeUid", {"bkt", "/mnt", "-o", "uid=-1"}, "is not a number"},
        {"ZeroRetryTimeout",
         {"bkt", "/mnt", "-o", "retry_timeout=0"},
         "retry_timeout must be between"},
        {"AllowOtherWithValue", {"bkt", "/mnt", "-o", "allow_other=yes"}, "takes no value"},
        {"EmptyRegion", {"bkt", "/mnt", "-o", "region="}, "option region needs a value"},
        {"VirtualHostWithValue",
         {"bkt", "/mnt", "-o", "virtual_host=1"},
         "option virtual_host takes no value"},
        {"PartSizeNotASize", {"bkt", "/mnt", "-o", "part_size=big"}, "option part_size"},
        {"UidWithoutValue", {"bkt", "/mnt", "-o", "uid"}, "option uid needs a value"},
        {"UidOutOfRange",
         {"bkt", "/mnt", "-o", "uid=4294967295"},
         "option uid: value out of range"},
        {"GidNotANumber", {"bkt", "/mnt", "-o", "gid=x"}, "option gid: 'x' is not a number"},
        {"RetryTimeoutTooLong",
         {"bkt", "/mnt", "-o", "retry_timeout=86401"},
         "retry_timeout must be between"},
        {"CredentialsFileWithoutValue",
         {"bkt", "/mnt", "-o", "credentials_file"},
         "option credentials_file needs a value"},
        {"EmptyLogFile", {"bkt", "/mnt", "-o", "log_file="}, "option log_file needs a value"},
        {"RelativeLogFile", {"bkt", "/mnt", "-o", "log_file=rel.log"}, "must be an absolute path"},
        {"MetricsNotLoopback",
         {"bkt", "/mnt", "-o", "metrics=0.0.0.0:9100"},
         "option metrics=0.0.0.0:9100: only the loopback addresses 127.0.0.1 and [::1] are served"},
        {"MetricsNoPort", {"bkt", "/mnt", "-o", "metrics=127.0.0.1"}, "expected 127.0.0.1:PORT"},
        {"MetricsBadPort", {"bkt", "/mnt", "-o", "metrics=127.0.0.1:70000"}, "port must be"},
        {"BadLogLevel",
         {"bkt", "/mnt", "-o", "log_level=loud"},
         "option log_level: 'loud' is not error, warn, info or debug"},
    }),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return std::string(info.param.name); });

TEST(FsOptionsTest, UsageListsEveryOption) {
  const std::string usage = MountUsage();
  for (const char* line :
       {"\n  -f                      stay in the foreground\n",
        "\n  -o endpoint=URL         S3 endpoint (default: the provider's endpoint for the "
        "region,\n",
        "\n  -o credentials_file=F   lines access_key=..., secret_key=..., session_token=... "
        "(mode 600)\n",
        "\n  -o uid=N,gid=N,umask=M  owner and mode of objects without metadata\n"}) {
    EXPECT_NE(usage.find(line), std::string::npos) << line;
  }
  for (const char* name : {"region=",     "provider=",     "path_style",     "virtual_host",
                           "cache_dir=",  "cache_size=",   "part_size=",     "upload_threads=",
                           "read_ahead=", "read_threads=", "retry_timeout=", "allow_other",
                           "log_file=",   "log_level=",    "metrics=",       "gc_on_mount",
                           "writeback",   "stat_ttl=",     "listing_attrs",  "passwd_file=",
                           "profile="}) {
    EXPECT_NE(usage.find(std::string("  -o ") + name), std::string::npos) << name;
  }
}

// mount(8) and fstab pass generic options: the kernel flags reach the FUSE
// mount, the rest (fstab and systemd bookkeeping) are accepted with no effect.
TEST(FsOptionsTest, GenericMountOptionsFromMount8) {
  auto c = Parse({"bucket", "/m", "-o",
                  "rw,ro,nosuid,nodev,noexec,noatime,_netdev,nofail,defaults,auto,user,relatime,"
                  "x-systemd.automount,x-systemd.requires=network-online.target,comment=backup"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->kernel_flags,
            (std::vector<std::string>{"rw", "ro", "nosuid", "nodev", "noexec", "noatime"}));
  const std::string fuse = c->FuseMountOptions();
  EXPECT_NE(fuse.find(",rw,ro,nosuid,nodev,noexec,noatime"), std::string::npos) << fuse;
  EXPECT_EQ(fuse.find("_netdev"), std::string::npos) << fuse;
  EXPECT_EQ(fuse.find("x-systemd"), std::string::npos) << fuse;
  ExpectError({"bucket", "/m", "-o", "noatim"}, "unknown option 'noatim'");
}

TEST(FsOptionsTest, UsageListsTheCredentialsOrder) {
  const std::string usage = MountUsage();
  size_t last = 0;
  for (const char* step :
       {"1. -o credentials_file=F, -o passwd_file=F or -o profile=NAME", "2. environment",
        "3. ~/.aws/credentials", "4. ~/.passwd-s3fs, then /etc/passwd-s3fs"}) {
    const size_t at = usage.find(step);
    ASSERT_NE(at, std::string::npos) << step;
    EXPECT_GT(at, last) << step;
    last = at;
  }
}

TEST(FsOptionsTest, ListingAttrsIsAFlag) {
  auto off = Parse({"bkt", "/mnt"});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->listing_attrs);
  auto on = Parse({"bkt", "/mnt", "-o", "listing_attrs"});
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  EXPECT_TRUE(on->listing_attrs);
  auto bad = Parse({"bkt", "/mnt", "-o", "listing_attrs=1"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("listing_attrs"), std::string::npos);
}

TEST(FsOptionsTest, ReadAheadZeroTurnsItOff) {
  auto c = Parse({"bkt", "/mnt", "-o", "read_ahead=0"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->read_ahead, 0u);
  auto k = Parse({"bkt", "/mnt", "-o", "read_ahead=512K"});
  ASSERT_TRUE(k.ok()) << k.status().ToString();
  EXPECT_EQ(k->read_ahead, 512ull << 10);
}

TEST(FsOptionsTest, GcOnMount) {
  auto off = Parse({"bkt", "/mnt"});
  ASSERT_TRUE(off.ok()) << off.status().ToString();
  EXPECT_FALSE(off->gc_on_mount.has_value());
  auto bare = Parse({"bkt", "/mnt", "-o", "gc_on_mount"});
  ASSERT_TRUE(bare.ok()) << bare.status().ToString();
  EXPECT_EQ(bare->gc_on_mount, std::chrono::hours(24));
  const std::map<std::string, int64_t> good = {
      {"1h", 3600}, {"60m", 3600}, {"24h", 86400}, {"7d", 7 * 86400}, {"7200", 7200}};
  for (const auto& [text, seconds] : good) {
    auto c = Parse({"bkt", "/mnt", "-o", "allow_other,gc_on_mount=" + text + ",uid=7"});
    ASSERT_TRUE(c.ok()) << text << ": " << c.status().ToString();
    EXPECT_EQ(c->gc_on_mount, std::chrono::seconds(seconds)) << text;
  }
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount="}, "option gc_on_mount: empty duration");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=1w"}, "option gc_on_mount: duration '1w'");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=h"}, "option gc_on_mount: duration needs");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=-5m"}, "option gc_on_mount");
  // Below the safe floor of 1h: a younger upload may be one a writer has not journaled yet.
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=0"},
              "option gc_on_mount=0 is below the safe floor of 1h");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=0d"}, "gc_on_mount=0d is below the safe floor");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=1s"}, "gc_on_mount=1s is below the safe floor");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=59m"}, "gc_on_mount=59m is below the safe floor");
  ExpectError({"bkt", "/mnt", "-o", "gc_on_mount=3599"}, "safe floor of 1h");
}

TEST(FsOptionsTest, SecretsAreNeverOptions) {
  for (const char* name :
       {"access_key", "secret_key", "secret_access_key", "session_token", "passwd"}) {
    auto parsed = Parse({"bkt", "/mnt", "-o", std::string(name) + "=hunter2"});
    ASSERT_FALSE(parsed.ok()) << name;
    const std::string& msg = parsed.status().message();
    EXPECT_NE(msg.find(std::string("option ") + name + " is not accepted"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("ps"), std::string::npos) << msg;
    EXPECT_NE(msg.find("credentials_file"), std::string::npos) << msg;
    EXPECT_EQ(msg.find("hunter2"), std::string::npos) << "leaks a secret: " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos);
  }
  // Not listed in --help as options.
  EXPECT_EQ(MountUsage().find("-o secret_key"), std::string::npos);
}

TEST(FsOptionsTest, PartSizeOutsideProviderRangeNamesRangeAndProvider) {
  ExpectError({"bkt", "/mnt", "-o", "part_size=1M"},
              "part_size 1048576 is outside provider s3's part size range 5242880..5368709120");
  ExpectError({"bkt", "/mnt", "-o", "provider=oss,part_size=6G"},
              "outside provider oss's part size range 102400..5368709120");
  // The provider inferred from the endpoint sets the range.
  ExpectError(
      {"bkt", "/mnt", "-o", "endpoint=https://obs.cn-north-4.myhuaweicloud.com,part_size=1M"},
      "provider obs's part size range 5000000..");
}

TEST(FsOptionsTest, EndpointInference) {
  auto obs = Parse({"bkt", "/mnt", "-o", "endpoint=https://obs.cn-north-4.myhuaweicloud.com"});
  ASSERT_TRUE(obs.ok()) << obs.status().ToString();
  EXPECT_EQ(obs->profile.name, "obs");
  EXPECT_EQ(obs->region, "cn-north-4");
  EXPECT_FALSE(obs->path_style);
  auto oss = Parse({"bkt", "/mnt", "-o", "provider=oss,region=cn-hangzhou"});
  ASSERT_TRUE(oss.ok()) << oss.status().ToString();
  EXPECT_EQ(oss->endpoint, "https://s3.oss-cn-hangzhou.aliyuncs.com");
  EXPECT_EQ(oss->ClientOptions(nullptr).endpoint, "https://s3.oss-cn-hangzhou.aliyuncs.com");
  auto local = Parse({"bkt", "/mnt", "-o", "endpoint=http://127.0.0.1:8080"});
  ASSERT_TRUE(local.ok());
  EXPECT_TRUE(local->path_style);
  EXPECT_EQ(local->region, "us-east-1");
  auto aws = Parse({"bkt", "/mnt", "-o", "region=eu-west-1"});
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->endpoint, "https://s3.eu-west-1.amazonaws.com");
}

TEST(FsOptionsTest, RegionFromAwsConfig) {
  testing::TempDir dir("fs-options");
  {
    std::ofstream out(dir.Sub("config"));
    out << "[default]\nregion = eu-north-1\n[profile other]\nregion=ap-east-1\n";
  }
  Env env = kKeys;
  env["AWS_CONFIG_FILE"] = dir.Sub("config");
  auto c = Parse({"bkt", "/mnt"}, env);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->region, "eu-north-1");
  EXPECT_EQ(c->endpoint, "https://s3.eu-north-1.amazonaws.com");
  Env other = env;
  other["AWS_PROFILE"] = "other";
  c = Parse({"bkt", "/mnt"}, other);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->region, "ap-east-1");
  // The endpoint's host and -o region come first.
  c = Parse({"bkt", "/mnt", "-o", "endpoint=https://s3.us-west-2.amazonaws.com"}, env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->region, "us-west-2");
  c = Parse({"bkt", "/mnt", "-o", "region=sa-east-1"}, env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->region, "sa-east-1");
}

TEST(FsOptionsTest, MissingCredentials) {
  ExpectError({"bkt", "/mnt"}, "no credentials", Env{});
  ExpectError({"bkt", "/mnt"}, "AWS_SECRET_ACCESS_KEY", Env{{"AWS_ACCESS_KEY_ID", "k"}});
}

TEST(FsOptionsTest, CredentialsFile) {
  testing::TempDir dir("fs-options");
  std::string path = dir.Sub("creds");
  {
    std::ofstream out(path);
    out << "# test credentials\naccess_key=AKIDFILE\nsecret_key=s3cr3t\n\nsession_token=tk\n";
  }
  chmod(path.c_str(), 0600);
  auto c = Parse({"bkt", "/mnt", "-o", "credentials_file=" + path}, Env{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->access_key, "AKIDFILE");
  EXPECT_EQ(c->secret_key, "s3cr3t");
  EXPECT_EQ(c->session_token, "tk");

  chmod(path.c_str(), 0644);
  ExpectError({"bkt", "/mnt", "-o", "credentials_file=" + path}, "chmod 600");

  std::string bad = dir.Sub("bad");
  {
    std::ofstream out(bad);
    out << "access_key=AK\npassword=hunter2\n";
  }
  chmod(bad.c_str(), 0600);
  auto parsed = Parse({"bkt", "/mnt", "-o", "credentials_file=" + bad}, Env{});
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.status().message().find("line 2: unknown name 'password'"), std::string::npos);
  EXPECT_EQ(parsed.status().message().find("hunter2"), std::string::npos) << "leaks a secret";

  std::string partial = dir.Sub("partial");
  {
    std::ofstream out(partial);
    out << "access_key=AK\n";
  }
  chmod(partial.c_str(), 0600);
  ExpectError({"bkt", "/mnt", "-o", "credentials_file=" + partial},
              "must set both access_key and secret_key", Env{});
  ExpectError({"bkt", "/mnt", "-o", "credentials_file=" + dir.Sub("missing")},
              "cannot read credentials_file", Env{});
  EXPECT_EQ(c->credentials_source, "credentials_file " + path);
}

}  // namespace
}  // namespace partfs
