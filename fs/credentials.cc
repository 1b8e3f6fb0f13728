#include "fs/credentials.h"

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <vector>

#include "base/unique_fd.h"

namespace partfs {

namespace {

Status Bad(std::string msg) { return Status::InvalidArgument(std::move(msg)); }

std::string Trim(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && std::isspace(static_cast<unsigned char>(text[start]))) ++start;
  size_t end = text.size();
  while (end > start && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return std::string(text.substr(start, end - start));
}

std::optional<std::string> NonEmpty(const EnvLookup& env, std::string_view name) {
  auto value = env(name);
  if (!value || value->empty()) return std::nullopt;
  return value;
}

// The whole content of `path`; nullopt when it does not exist and `must_exist`
// is false. A password-style file (`private_file`) that group or others may
// access is refused, as is one that cannot be read.
// `label` names the file in messages ("credentials_file F" or just F).
Result<std::optional<std::string>> ReadFile(const std::string& path, const std::string& label,
                                            bool must_exist, bool private_file) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    if (err == ENOENT && !must_exist) return std::optional<std::string>();
    return Bad("cannot read " + label + ": " + std::strerror(err));
  }
  struct stat st;
  if (fstat(fd.get(), &st) != 0) {
    return Bad("cannot read " + label + ": " + std::strerror(errno));
  }
  if (private_file && (st.st_mode & 077) != 0) {
    return Bad(label + " must not be accessible by group or others: run chmod 600 " + path);
  }
  std::string content;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Bad("cannot read " + label + ": " + std::strerror(errno));
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  return std::optional<std::string>(std::move(content));
}

std::vector<std::string> Lines(const std::string& content) {
  std::vector<std::string> lines;
  std::istringstream in(content);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// -o credentials_file: lines "access_key=...", "secret_key=...", "session_token=...".
Result<Credentials> ParseCredentialsFile(const std::string& path, const std::string& content) {
  Credentials creds;
  creds.source = "credentials_file " + path;
  int line_number = 0;
  for (const std::string& raw : Lines(content)) {
    ++line_number;
    const std::string line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    const size_t eq = line.find('=');
    const std::string where = "credentials_file " + path + " line " + std::to_string(line_number);
    if (eq == std::string::npos) return Bad(where + ": expected name=value");
    const std::string name = Trim(line.substr(0, eq));
    const std::string value = Trim(line.substr(eq + 1));
    if (name == "access_key") {
      creds.access_key = value;
    } else if (name == "secret_key") {
      creds.secret_key = value;
    } else if (name == "session_token") {
      creds.session_token = value;
    } else {
      // Never echo the value: it may be a secret.
      return Bad(where + ": unknown name '" + name + "'");
    }
  }
  if (creds.access_key.empty() || creds.secret_key.empty()) {
    return Bad("credentials_file " + path + " must set both access_key and secret_key");
  }
  return creds;
}

// s3fs passwd format: "ACCESS:SECRET" (any bucket) and "BUCKET:ACCESS:SECRET"
// lines; the line for `bucket` wins. nullopt when neither kind matches.
Result<std::optional<Credentials>> ParsePasswdFile(const std::string& path,
                                                   const std::string& content,
                                                   const std::string& bucket) {
  std::optional<Credentials> any_bucket;
  std::optional<Credentials> this_bucket;
  int line_number = 0;
  for (const std::string& raw : Lines(content)) {
    ++line_number;
    const std::string line = Trim(raw);
    if (line.empty() || line.front() == '#') continue;
    std::vector<std::string> fields;
    size_t start = 0;
    for (size_t colon; (colon = line.find(':', start)) != std::string::npos; start = colon + 1) {
      fields.push_back(line.substr(start, colon - start));
    }
    fields.push_back(line.substr(start));
    const std::string where = path + " line " + std::to_string(line_number);
    if (fields.size() < 2 || fields.size() > 3) {
      return Bad(where + ": expected ACCESS:SECRET or BUCKET:ACCESS:SECRET");
    }
    const size_t key_field = fields.size() - 2;
    Credentials creds;
    creds.access_key = fields[key_field];
    creds.secret_key = fields[key_field + 1];
    creds.source = path;
    if (creds.access_key.empty() || creds.secret_key.empty()) {
      return Bad(where + ": empty access key or secret");
    }
    if (fields.size() == 2) {
      if (!any_bucket) any_bucket = std::move(creds);
    } else if (fields[0] == bucket && !this_bucket) {
      this_bucket = std::move(creds);
    }
  }
  return this_bucket ? this_bucket : any_bucket;
}

// One AWS ini file: section name -> key -> value. Keys lower-cased.
using IniSections = std::map<std::string, std::map<std::string, std::string>>;

IniSections ParseIni(const std::string& content) {
  IniSections sections;
  std::string section;
  for (const std::string& raw : Lines(content)) {
    const std::string line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      const size_t close = line.find(']');
      section = Trim(line.substr(1, close == std::string::npos ? std::string::npos : close - 1));
      sections[section];
      continue;
    }
    const size_t eq = line.find('=');
    if (eq == std::string::npos || section.empty()) continue;
    std::string key = Trim(line.substr(0, eq));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    sections[section][key] = Trim(line.substr(eq + 1));
  }
  return sections;
}

struct AwsFiles {
  std::string credentials_path;  // "" when no home and no AWS_SHARED_CREDENTIALS_FILE
  std::string config_path;
  std::string profile;
  bool profile_named = false;  // by -o profile or AWS_PROFILE, not the default
};

AwsFiles LocateAwsFiles(const CredentialSearch& search, const EnvLookup& env) {
  AwsFiles files;
  if (auto path = NonEmpty(env, "AWS_SHARED_CREDENTIALS_FILE")) {
    files.credentials_path = *path;
  } else if (!search.home.empty()) {
    files.credentials_path = search.home + "/.aws/credentials";
  }
  if (auto path = NonEmpty(env, "AWS_CONFIG_FILE")) {
    files.config_path = *path;
  } else if (!search.home.empty()) {
    files.config_path = search.home + "/.aws/config";
  }
  if (search.profile) {
    files.profile = *search.profile;
    files.profile_named = true;
  } else if (auto name = NonEmpty(env, "AWS_PROFILE")) {
    files.profile = *name;
    files.profile_named = true;
  } else {
    files.profile = "default";
  }
  return files;
}

// The profile's section: "[NAME]" in credentials; "[profile NAME]" (or
// "[default]") in config.
const std::map<std::string, std::string>* FindProfile(const IniSections& ini,
                                                      const std::string& profile, bool config) {
  auto it = ini.find(config && profile != "default" ? "profile " + profile : profile);
  if (it == ini.end() && config) it = ini.find(profile);
  return it == ini.end() ? nullptr : &it->second;
}

// Looks for the profile's keys in one AWS file. Sets *profile_seen when the
// file has the profile's section.
Result<std::optional<Credentials>> FromAwsFile(const std::string& path, const AwsFiles& files,
                                               bool config, bool* profile_seen) {
  if (path.empty()) return std::optional<Credentials>();
  auto content = ReadFile(path, path, /*must_exist=*/false, /*private_file=*/false);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return std::optional<Credentials>();
  const IniSections ini = ParseIni(**content);
  const auto* section = FindProfile(ini, files.profile, config);
  if (section == nullptr) return std::optional<Credentials>();
  *profile_seen = true;
  auto get = [&](const char* key) {
    auto it = section->find(key);
    return it == section->end() ? std::string() : it->second;
  };
  Credentials creds;
  creds.access_key = get("aws_access_key_id");
  creds.secret_key = get("aws_secret_access_key");
  creds.session_token = get("aws_session_token");
  creds.source = path + " [" + files.profile + "]";
  if (creds.access_key.empty() && creds.secret_key.empty()) return std::optional<Credentials>();
  if (creds.access_key.empty() || creds.secret_key.empty()) {
    return Bad(path + " profile " + files.profile +
               " must set both aws_access_key_id and aws_secret_access_key");
  }
  return std::optional<Credentials>(std::move(creds));
}

struct EnvNames {
  const char* access_key;
  const char* secret_key;
  const char* session_token;
};

constexpr EnvNames kAwsEnv{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"};
constexpr EnvNames kObsEnv{"OBS_ACCESS_KEY_ID", "OBS_SECRET_ACCESS_KEY", "OBS_SECURITY_TOKEN"};
constexpr EnvNames kOssEnv{"OSS_ACCESS_KEY_ID", "OSS_ACCESS_KEY_SECRET", "OSS_SESSION_TOKEN"};
constexpr EnvNames kAlibabaEnv{"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
                               "ALIBABA_CLOUD_SECURITY_TOKEN"};

// The variable sets a provider's own tools use, then AWS's.
std::vector<EnvNames> EnvSetsFor(Provider provider) {
  switch (provider) {
    case Provider::kObs:
      return {kObsEnv, kAwsEnv};
    case Provider::kOss:
      return {kOssEnv, kAlibabaEnv, kAwsEnv};
    case Provider::kS3:
      break;
  }
  return {kAwsEnv};
}

Result<std::optional<Credentials>> FromEnv(const EnvNames& names, const EnvLookup& env) {
  auto key = NonEmpty(env, names.access_key);
  auto secret = NonEmpty(env, names.secret_key);
  if (!key && !secret) return std::optional<Credentials>();
  if (!key || !secret) {
    return Bad(std::string(key ? names.access_key : names.secret_key) + " is set but " +
               (key ? names.secret_key : names.access_key) + " is not");
  }
  Credentials creds;
  creds.access_key = *key;
  creds.secret_key = *secret;
  creds.session_token = NonEmpty(env, names.session_token).value_or("");
  creds.source = std::string("environment (") + names.access_key + ")";
  return std::optional<Credentials>(std::move(creds));
}

Result<std::optional<Credentials>> FromPasswdFile(const std::string& path, const std::string& label,
                                                  bool must_exist, const std::string& bucket) {
  auto content = ReadFile(path, label, must_exist, /*private_file=*/true);
  if (!content.ok()) return content.status();
  if (!content->has_value()) return std::optional<Credentials>();
  return ParsePasswdFile(path, **content, bucket);
}

// Step 3: the selected profile in ~/.aws/credentials, then ~/.aws/config.
// Appends the places looked to *looked. A profile named by -o profile or
// AWS_PROFILE that neither file has is an error.
Result<std::optional<Credentials>> FromAwsProfile(const CredentialSearch& search,
                                                  const EnvLookup& env,
                                                  std::vector<std::string>* looked) {
  const AwsFiles aws = LocateAwsFiles(search, env);
  bool profile_seen = false;
  for (bool config : {false, true}) {
    const std::string& path = config ? aws.config_path : aws.credentials_path;
    if (path.empty()) continue;
    auto creds = FromAwsFile(path, aws, config, &profile_seen);
    if (!creds.ok()) return creds.status();
    if (creds->has_value()) return creds;
    looked->push_back(path + " [" + aws.profile + "]");
  }
  if (aws.profile_named && !profile_seen) {
    return Bad("profile " + aws.profile + " not found in " +
               (aws.credentials_path.empty() ? "~/.aws/credentials" : aws.credentials_path) +
               " nor " + (aws.config_path.empty() ? "~/.aws/config" : aws.config_path));
  }
  return std::optional<Credentials>();
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::string HomeDirectory(const EnvLookup& env) {
  if (auto home = NonEmpty(env, "HOME")) return *home;
  std::vector<char> buf(16384);
  struct passwd pw;
  struct passwd* found = nullptr;
  if (getpwuid_r(getuid(), &pw, buf.data(), buf.size(), &found) == 0 && found != nullptr &&
      found->pw_dir != nullptr) {
    return found->pw_dir;
  }
  return "";
}

Result<Credentials> FindCredentials(const CredentialSearch& search, const EnvLookup& env) {
  // 1. Files named by options: authoritative.
  if (search.credentials_file && search.passwd_file) {
    return Bad("options credentials_file and passwd_file exclude each other");
  }
  if (search.credentials_file) {
    auto content =
        ReadFile(*search.credentials_file, "credentials_file " + *search.credentials_file,
                 /*must_exist=*/true, /*private_file=*/true);
    if (!content.ok()) return content.status();
    return ParseCredentialsFile(*search.credentials_file, **content);
  }
  if (search.passwd_file) {
    auto creds = FromPasswdFile(*search.passwd_file, "passwd_file " + *search.passwd_file,
                                /*must_exist=*/true, search.bucket);
    if (!creds.ok()) return creds.status();
    if (!creds->has_value()) {
      return Bad("passwd_file " + *search.passwd_file + " has no ACCESS:SECRET line and none for " +
                 "bucket " + search.bucket);
    }
    return std::move(**creds);
  }
  std::vector<std::string> looked;
  // -o profile names a source like a file option (as the AWS CLI's --profile
  // beats its environment): that profile must hold the keys.
  if (search.profile) {
    auto creds = FromAwsProfile(search, env, &looked);
    if (!creds.ok()) return creds.status();
    if (creds->has_value()) return std::move(**creds);
    std::string places;
    for (const std::string& place : looked) places += (places.empty() ? "" : ", ") + place;
    return Bad("profile " + *search.profile +
               " has no aws_access_key_id and aws_secret_access_key (looked in " + places + ")");
  }
  // 2. The environment.
  for (const EnvNames& names : EnvSetsFor(search.provider)) {
    auto creds = FromEnv(names, env);
    if (!creds.ok()) return creds.status();
    if (creds->has_value()) return std::move(**creds);
    looked.push_back(std::string(names.access_key) + "/" + names.secret_key);
  }
  // 3. The AWS CLI's files.
  auto aws_creds = FromAwsProfile(search, env, &looked);
  if (!aws_creds.ok()) return aws_creds.status();
  if (aws_creds->has_value()) return std::move(**aws_creds);
  // 4. s3fs's passwd files.
  std::vector<std::string> passwd_files;
  if (!search.home.empty()) passwd_files.push_back(search.home + "/.passwd-s3fs");
  passwd_files.push_back(search.etc_dir + "/passwd-s3fs");
  for (const std::string& path : passwd_files) {
    auto creds = FromPasswdFile(path, path, /*must_exist=*/false, search.bucket);
    if (!creds.ok()) return creds.status();
    if (creds->has_value()) return std::move(**creds);
    looked.push_back(path);
  }
  std::string msg = "no credentials found (looked in";
  for (size_t i = 0; i < looked.size(); ++i) msg += (i == 0 ? " " : ", ") + looked[i];
  msg += "); use -o credentials_file=F or -o passwd_file=F, or see partfs --help";
  return Bad(std::move(msg));
}

std::optional<std::string> AwsConfigRegion(const CredentialSearch& search, const EnvLookup& env) {
  const AwsFiles aws = LocateAwsFiles(search, env);
  if (aws.config_path.empty()) return std::nullopt;
  auto content = ReadFile(aws.config_path, aws.config_path, /*must_exist=*/false,
                          /*private_file=*/false);
  if (!content.ok() || !content->has_value()) return std::nullopt;
  const IniSections ini = ParseIni(**content);
  const auto* section = FindProfile(ini, aws.profile, /*config=*/true);
  if (section == nullptr) return std::nullopt;
  auto it = section->find("region");
  if (it == section->end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace partfs
