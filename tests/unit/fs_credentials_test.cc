// Unit tests for the credentials chain (fs/credentials.h): each source, the
// order between them, and the refusals, with a fake environment, a temp home
// and a temp /etc.
#include "fs/credentials.h"

#include <sys/stat.h>

#include <fstream>
#include <map>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

using Env = std::map<std::string, std::string>;

class FsCredentialsTest : public ::testing::Test {
 protected:
  FsCredentialsTest() : dir_("fs-credentials") {
    mkdir(Home().c_str(), 0700);
    mkdir((Home() + "/.aws").c_str(), 0700);
    mkdir(Etc().c_str(), 0755);
    search_.bucket = "bkt";
    search_.home = Home();
    search_.etc_dir = Etc();
  }

  std::string Home() const { return dir_.Sub("home"); }
  std::string Etc() const { return dir_.Sub("etc"); }

  void Write(const std::string& path, const std::string& content, mode_t mode = 0600) {
    {
      std::ofstream out(path);
      out << content;
    }
    chmod(path.c_str(), mode);
  }

  Result<Credentials> Find() {
    Env env = env_;
    return FindCredentials(search_, [env](std::string_view name) -> std::optional<std::string> {
      auto it = env.find(std::string(name));
      if (it == env.end()) return std::nullopt;
      return it->second;
    });
  }

  void ExpectKeys(const std::string& access, const std::string& secret,
                  const std::string& token = "") {
    auto creds = Find();
    ASSERT_TRUE(creds.ok()) << creds.status().ToString();
    EXPECT_EQ(creds->access_key, access);
    EXPECT_EQ(creds->secret_key, secret);
    EXPECT_EQ(creds->session_token, token);
  }

  // A failure whose one-line message contains `needle` and no secret.
  void ExpectError(const std::string& needle) {
    auto creds = Find();
    ASSERT_FALSE(creds.ok());
    const std::string& msg = creds.status().message();
    EXPECT_EQ(creds.status().code(), Status::Code::kInvalidArgument);
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_EQ(msg.find("s3cret"), std::string::npos) << "leaks a secret: " << msg;
  }

  testing::TempDir dir_;
  CredentialSearch search_;
  Env env_;
};

TEST_F(FsCredentialsTest, CredentialsFileOption) {
  Write(dir_.Sub("c"), "access_key=AKFILE\nsecret_key=s3cretFILE\nsession_token=TOKFILE\n");
  search_.credentials_file = dir_.Sub("c");
  env_ = {{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cretENV"}};
  ExpectKeys("AKFILE", "s3cretFILE", "TOKFILE");  // the option beats the environment
  EXPECT_EQ(Find()->source, "credentials_file " + dir_.Sub("c"));
}

TEST_F(FsCredentialsTest, PasswdFileOptionBucketLineWins) {
  Write(dir_.Sub("p"), "# s3fs\nAKANY:s3cretANY\nother:AKOTHER:s3cretOTHER\nbkt:AKBKT:s3cretBKT\n");
  search_.passwd_file = dir_.Sub("p");
  ExpectKeys("AKBKT", "s3cretBKT");
  search_.bucket = "third";
  ExpectKeys("AKANY", "s3cretANY");
  Write(dir_.Sub("p"), "other:AKOTHER:s3cretOTHER\n");
  ExpectError("passwd_file " + dir_.Sub("p") + " has no ACCESS:SECRET line");
  Write(dir_.Sub("p"), "a:b:c:d\n");
  ExpectError(dir_.Sub("p") + " line 1: expected ACCESS:SECRET or BUCKET:ACCESS:SECRET");
}

TEST_F(FsCredentialsTest, BothFileOptionsExcludeEachOther) {
  search_.credentials_file = dir_.Sub("c");
  search_.passwd_file = dir_.Sub("p");
  ExpectError("credentials_file and passwd_file exclude each other");
}

TEST_F(FsCredentialsTest, GroupReadableFilesAreRefused) {
  Write(dir_.Sub("c"), "access_key=AK\nsecret_key=s3cret\n", 0640);
  search_.credentials_file = dir_.Sub("c");
  ExpectError("credentials_file " + dir_.Sub("c") +
              " must not be accessible by group or others: run chmod 600 " + dir_.Sub("c"));
  search_.credentials_file.reset();
  Write(dir_.Sub("p"), "AK:s3cret\n", 0604);
  search_.passwd_file = dir_.Sub("p");
  ExpectError("run chmod 600 " + dir_.Sub("p"));
  search_.passwd_file.reset();
  // Also the implicit ones: ~/.passwd-s3fs and /etc/passwd-s3fs.
  Write(Home() + "/.passwd-s3fs", "AK:s3cret\n", 0644);
  ExpectError("run chmod 600 " + Home() + "/.passwd-s3fs");
  unlink((Home() + "/.passwd-s3fs").c_str());
  Write(Etc() + "/passwd-s3fs", "AK:s3cret\n", 0640);
  ExpectError("run chmod 600 " + Etc() + "/passwd-s3fs");
}

TEST_F(FsCredentialsTest, UnreadableFileIsNamed) {
  search_.passwd_file = dir_.Sub("missing");
  ExpectError("cannot read passwd_file " + dir_.Sub("missing") + ": No such file or directory");
}

TEST_F(FsCredentialsTest, EnvironmentPerProvider) {
  env_ = {{"AWS_ACCESS_KEY_ID", "AKAWS"},
          {"AWS_SECRET_ACCESS_KEY", "s3cretAWS"},
          {"AWS_SESSION_TOKEN", "TOKAWS"},
          {"OBS_ACCESS_KEY_ID", "AKOBS"},
          {"OBS_SECRET_ACCESS_KEY", "s3cretOBS"},
          {"OBS_SECURITY_TOKEN", "TOKOBS"},
          {"OSS_ACCESS_KEY_ID", "AKOSS"},
          {"OSS_ACCESS_KEY_SECRET", "s3cretOSS"},
          {"OSS_SESSION_TOKEN", "TOKOSS"},
          {"ALIBABA_CLOUD_ACCESS_KEY_ID", "AKALI"},
          {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s3cretALI"},
          {"ALIBABA_CLOUD_SECURITY_TOKEN", "TOKALI"}};
  search_.provider = Provider::kS3;
  ExpectKeys("AKAWS", "s3cretAWS", "TOKAWS");
  EXPECT_EQ(Find()->source, "environment (AWS_ACCESS_KEY_ID)");
  search_.provider = Provider::kObs;
  ExpectKeys("AKOBS", "s3cretOBS", "TOKOBS");
  search_.provider = Provider::kOss;
  ExpectKeys("AKOSS", "s3cretOSS", "TOKOSS");
  env_.erase("OSS_ACCESS_KEY_ID");
  env_.erase("OSS_ACCESS_KEY_SECRET");
  ExpectKeys("AKALI", "s3cretALI", "TOKALI");
  env_.erase("ALIBABA_CLOUD_ACCESS_KEY_ID");
  env_.erase("ALIBABA_CLOUD_ACCESS_KEY_SECRET");
  ExpectKeys("AKAWS", "s3cretAWS", "TOKAWS");  // the provider's names, then AWS's
  search_.provider = Provider::kObs;
  env_.erase("OBS_ACCESS_KEY_ID");
  env_.erase("OBS_SECRET_ACCESS_KEY");
  ExpectKeys("AKAWS", "s3cretAWS", "TOKAWS");
}

TEST_F(FsCredentialsTest, HalfAnEnvironmentPairIsAnError) {
  env_ = {{"AWS_ACCESS_KEY_ID", "AK"}};
  ExpectError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  env_ = {{"OSS_ACCESS_KEY_SECRET", "s3cret"}};
  search_.provider = Provider::kOss;
  ExpectError("OSS_ACCESS_KEY_SECRET is set but OSS_ACCESS_KEY_ID is not");
}

TEST_F(FsCredentialsTest, EnvironmentBeatsFiles) {
  Write(Home() + "/.aws/credentials",
        "[default]\naws_access_key_id=AKINI\n"
        "aws_secret_access_key=s3cretINI\n");
  Write(Home() + "/.passwd-s3fs", "AKPW:s3cretPW\n");
  env_ = {{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cretENV"}};
  ExpectKeys("AKENV", "s3cretENV");
  env_.clear();
  ExpectKeys("AKINI", "s3cretINI");  // ~/.aws before ~/.passwd-s3fs
  unlink((Home() + "/.aws/credentials").c_str());
  ExpectKeys("AKPW", "s3cretPW");
}

TEST_F(FsCredentialsTest, AwsSharedFilesAndProfiles) {
  Write(Home() + "/.aws/credentials",
        "# comment\n[default]\naws_access_key_id = AKDEF\naws_secret_access_key = s3cretDEF\n\n"
        "[work]\naws_access_key_id=AKWORK\naws_secret_access_key=s3cretWORK\n"
        "aws_session_token=TOKWORK\n",
        0644);  // the AWS CLI does not demand 600 here; neither do we
  Write(Home() + "/.aws/config",
        "[default]\nregion=eu-west-1\n[profile cfgonly]\naws_access_key_id=AKCFG\n"
        "aws_secret_access_key=s3cretCFG\nregion = ap-south-1\n");
  ExpectKeys("AKDEF", "s3cretDEF");
  EXPECT_EQ(Find()->source, Home() + "/.aws/credentials [default]");
  env_["AWS_PROFILE"] = "work";
  ExpectKeys("AKWORK", "s3cretWORK", "TOKWORK");
  search_.profile = "cfgonly";  // -o profile beats AWS_PROFILE; found in config
  ExpectKeys("AKCFG", "s3cretCFG");
  search_.profile = "nosuch";
  ExpectError("profile nosuch not found in " + Home() + "/.aws/credentials nor " + Home() +
              "/.aws/config");
}

// -o profile names its source like a file option: it beats the environment,
// and a profile without keys is an error, not a reason to look further.
TEST_F(FsCredentialsTest, ProfileOptionBeatsEnvironment) {
  Write(Home() + "/.aws/credentials",
        "[work]\naws_access_key_id=AKWORK\naws_secret_access_key=s3cretWORK\n");
  Write(Home() + "/.aws/config", "[profile nokeys]\nregion=eu-west-1\n");
  Write(Home() + "/.passwd-s3fs", "AKPW:s3cretPW\n");
  env_ = {{"AWS_ACCESS_KEY_ID", "AKENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cretENV"}};
  ExpectKeys("AKENV", "s3cretENV");
  search_.profile = "work";
  ExpectKeys("AKWORK", "s3cretWORK");
  search_.profile = "nokeys";
  ExpectError("profile nokeys has no aws_access_key_id and aws_secret_access_key (looked in " +
              Home() + "/.aws/credentials [nokeys], " + Home() + "/.aws/config [nokeys])");
}

TEST_F(FsCredentialsTest, AwsFileLocationsFromEnvironment) {
  Write(dir_.Sub("creds.ini"), "[default]\naws_access_key_id=AKX\naws_secret_access_key=s3cretX\n");
  Write(dir_.Sub("config.ini"), "[profile p]\nregion=us-west-1\n");
  env_["AWS_SHARED_CREDENTIALS_FILE"] = dir_.Sub("creds.ini");
  env_["AWS_CONFIG_FILE"] = dir_.Sub("config.ini");
  ExpectKeys("AKX", "s3cretX");
  Env env = env_;
  auto lookup = [env](std::string_view name) -> std::optional<std::string> {
    auto it = env.find(std::string(name));
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
  EXPECT_EQ(AwsConfigRegion(search_, lookup), std::nullopt);  // profile default has none
  search_.profile = "p";
  EXPECT_EQ(AwsConfigRegion(search_, lookup), "us-west-1");
}

TEST_F(FsCredentialsTest, PasswdFilesInHomeThenEtc) {
  Write(Etc() + "/passwd-s3fs", "AKETC:s3cretETC\n");
  ExpectKeys("AKETC", "s3cretETC");
  Write(Home() + "/.passwd-s3fs", "bkt:AKHOME:s3cretHOME\n");
  ExpectKeys("AKHOME", "s3cretHOME");
  // A home file with no line for this bucket falls through to /etc.
  search_.bucket = "other";
  ExpectKeys("AKETC", "s3cretETC");
}

TEST_F(FsCredentialsTest, NothingFoundListsEveryPlace) {
  search_.provider = Provider::kOss;
  ExpectError(
      "no credentials found (looked in OSS_ACCESS_KEY_ID/OSS_ACCESS_KEY_SECRET, "
      "ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET, "
      "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, " +
      Home() + "/.aws/credentials [default], " + Home() + "/.aws/config [default], " + Home() +
      "/.passwd-s3fs, " + Etc() + "/passwd-s3fs); use -o credentials_file=F");
}

TEST(FsHomeDirectoryTest, HomeElsePasswordDatabase) {
  auto env_with = [](std::optional<std::string> home) {
    return [home](std::string_view name) -> std::optional<std::string> {
      if (name == "HOME") return home;
      return std::nullopt;
    };
  };
  EXPECT_EQ(HomeDirectory(env_with("/home/someone")), "/home/someone");
  // Without HOME (mount(8), systemd) the password database names it.
  EXPECT_FALSE(HomeDirectory(env_with(std::nullopt)).empty());
}

}  // namespace
}  // namespace partfs
