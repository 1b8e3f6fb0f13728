// The credentials chain: where a mount finds its access key, secret key and
// session token, in this order (the first source that has a key wins):
//   1. -o credentials_file=F (lines access_key=, secret_key=, session_token=)
//      or -o passwd_file=F (s3fs format: ACCESS:SECRET, BUCKET:ACCESS:SECRET);
//      a file named by an option must hold credentials, there is no fallback;
//   2. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN;
//      for provider obs first OBS_ACCESS_KEY_ID, OBS_SECRET_ACCESS_KEY,
//      OBS_SECURITY_TOKEN; for provider oss first OSS_ACCESS_KEY_ID,
//      OSS_ACCESS_KEY_SECRET, OSS_SESSION_TOKEN, then ALIBABA_CLOUD_ACCESS_KEY_ID,
//      ALIBABA_CLOUD_ACCESS_KEY_SECRET, ALIBABA_CLOUD_SECURITY_TOKEN;
//   3. ~/.aws/credentials then ~/.aws/config (AWS_SHARED_CREDENTIALS_FILE,
//      AWS_CONFIG_FILE), profile AWS_PROFILE, else "default"; -o profile=NAME
//      names this source like a file option (as the AWS CLI's --profile beats
//      its environment): it comes before the environment, with no fallback;
//   4. ~/.passwd-s3fs, then /etc/passwd-s3fs.
// Password-style files (1 and 4) that group or others may access are refused.
// Messages are one line, name files and variables, never a secret's value.
// Pure functions apart from reading the files named; thread-compatible.
#ifndef PARTFS_FS_CREDENTIALS_H_
#define PARTFS_FS_CREDENTIALS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "transfer/provider_profile.h"

namespace partfs {

// Looks up an environment variable; nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment.
EnvLookup ProcessEnv();

struct Credentials {
  std::string access_key;
  std::string secret_key;
  std::string session_token;  // "" when none
  std::string source;         // where they came from, for messages: "environment (AWS_...)"
};

struct CredentialSearch {
  std::optional<std::string> credentials_file;  // -o credentials_file
  std::optional<std::string> passwd_file;       // -o passwd_file
  std::optional<std::string> profile;           // -o profile
  Provider provider = Provider::kS3;
  std::string bucket;            // selects BUCKET:ACCESS:SECRET lines of passwd files
  std::string home;              // the user's home directory; "" when unknown
  std::string etc_dir = "/etc";  // where passwd-s3fs is looked for (tests use a temp dir)
};

// Walks the chain above. InvalidArgument with a one-line message when a source
// is broken (unreadable, group-readable, malformed) or when no source has
// credentials (the message lists every place looked).
Result<Credentials> FindCredentials(const CredentialSearch& search, const EnvLookup& env);

// The region of the selected AWS profile in ~/.aws/config (AWS_CONFIG_FILE);
// nullopt when the file, the profile or its region is missing.
std::optional<std::string> AwsConfigRegion(const CredentialSearch& search, const EnvLookup& env);

// HOME, else the current user's home directory from the password database
// (mount(8) and systemd may start partfs without HOME); "" when neither.
std::string HomeDirectory(const EnvLookup& env);

}  // namespace partfs

#endif  // PARTFS_FS_CREDENTIALS_H_
