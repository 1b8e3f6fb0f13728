#include "tests/support/mount_fixture.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/run_command.h"

extern char** environ;

namespace partfs::testing {

namespace {

using Clock = std::chrono::steady_clock;

std::string Hex(const unsigned char* data, unsigned size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

// RAII EVP_MD_CTX for SHA-256.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(const char* data, size_t size) { EVP_DigestUpdate(ctx_, data, size); }
  std::string HexDigest() {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    EVP_DigestFinal_ex(ctx_, digest, &size);
    return Hex(digest, size);
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string Unescape(const std::string& field) {  // mountinfo escapes ' ' as \040 etc.
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out.push_back(static_cast<char>(std::strtol(field.substr(i + 1, 3).c_str(), nullptr, 8)));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

}  // namespace

Mount::Mount(MountSpec spec) : dir_("partfs-mount"), spec_(std::move(spec)) {
  endpoint_ = spec_.endpoint ? *spec_.endpoint : SharedS3Server();
  mountpoint_ = dir_.Sub("mnt");
  cache_dir_ = spec_.cache_dir.empty() ? dir_.Sub("cache") : spec_.cache_dir;
  log_path_ = dir_.Sub("partfs.log");
  mkdir(mountpoint_.c_str(), 0755);
  bucket_ = spec_.bucket.empty() ? UniqueBucketName("fs") : spec_.bucket;
  if (spec_.create_bucket) {
    store_ = MakeBucketAndClient(endpoint_, bucket_);
  } else {
    auto client = CreateS3Client(ClientOptions(endpoint_, bucket_));
    if (client.ok()) store_ = std::move(*client);
  }
  if (!store_) ADD_FAILURE() << "no S3 client for bucket " << bucket_;
}

Mount::~Mount() {
  if (child_ > 0) {
    Status st = Unmount();
    if (!st.ok()) ADD_FAILURE() << "unmount: " << st.ToString() << "\n" << Log();
  } else if (IsMounted()) {
    RunCommand("umount -l " + ShellQuote(mountpoint_), std::chrono::seconds(10));
  }
}

std::string PartfsBinary() {
  const char* override_path = std::getenv("PARTFS_TEST_BINARY");
  return override_path != nullptr && *override_path != '\0' ? override_path : PARTFS_BINARY;
}

std::vector<std::string> Mount::Args() const {
  std::string opts = "endpoint=" + endpoint_.url + ",cache_dir=" + cache_dir_;
  for (const std::string& o : spec_.options) opts += "," + o;
  return {PartfsBinary(), bucket_ + (spec_.prefix.empty() ? "" : ":" + spec_.prefix),
          mountpoint_,    "-f",
          "-o",           opts};
}

std::string Mount::Log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Mount::IsMounted() const {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    if (Unescape(point) == mountpoint_) return true;
  }
  return false;
}

Status Mount::Start(std::chrono::seconds timeout) {
  if (child_ > 0) return Status::InvalidArgument("already mounted");
  std::vector<std::string> args = Args();
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv(*e);
    size_t eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env_map["AWS_ACCESS_KEY_ID"] = endpoint_.access_key;
  env_map["AWS_SECRET_ACCESS_KEY"] = endpoint_.secret_key;
  env_map.erase("AWS_SESSION_TOKEN");
  for (auto& [k, v] : spec_.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0) return Status::FromErrno(errno, "open " + log_path_);
  pid_t pid = fork();
  if (pid < 0) {
    close(log_fd);
    return Status::FromErrno(errno, "fork");
  }
  if (pid == 0) {
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  close(log_fd);
  child_ = pid;
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (IsMounted()) return Status::OK();
    int status = 0;
    if (waitpid(child_, &status, WNOHANG) == child_) {
      child_ = -1;
      return Status::IOError("partfs exited (status " + std::to_string(status) +
                             ") before mounting:\n" + Log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  Kill9();
  return Status::Unavailable("partfs did not mount within " + std::to_string(timeout.count()) +
                             " s:\n" + Log());
}

int Mount::WaitChild(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t r = waitpid(child_, &status, WNOHANG);
    if (r == child_ || (r < 0 && errno == ECHILD)) {
      child_ = -1;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    }
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Status Mount::Unmount(std::chrono::seconds timeout) {
  if (child_ <= 0) return Status::OK();
  const std::string quoted = ShellQuote(mountpoint_);
  // A busy mount (a test's process still closing) settles within a few tries.
  bool unmounted = false;
  for (int attempt = 0; attempt < 20 && !unmounted; ++attempt) {
    unmounted = RunCommand("fusermount3 -u " + quoted, std::chrono::seconds(10)).exit_code == 0;
    if (!unmounted) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  if (!unmounted) RunCommand("umount -l " + quoted, std::chrono::seconds(10));
  int code = WaitChild(timeout);
  if (code == -1) {
    kill(child_, SIGKILL);
    WaitChild(std::chrono::seconds(10));
    return Status::IOError("partfs did not exit within " + std::to_string(timeout.count()) +
                           " s after unmount; killed");
  }
  if (!unmounted) return Status::IOError("fusermount3 -u failed; lazily unmounted");
  if (code != 0) return Status::IOError("partfs exited with " + std::to_string(code));
  return Status::OK();
}

void Mount::Kill9() {
  if (child_ > 0) {
    kill(child_, SIGKILL);
    WaitChild(std::chrono::seconds(10));
  }
  child_ = -1;
  if (IsMounted()) {
    const std::string quoted = ShellQuote(mountpoint_);
    if (RunCommand("fusermount3 -u -z " + quoted, std::chrono::seconds(10)).exit_code != 0) {
      RunCommand("umount -l " + quoted, std::chrono::seconds(10));
    }
  }
}

std::string Sha256OfFile(const std::string& path) {
  Sha256 sha;
  std::ifstream in(path, std::ios::binary);
  std::vector<char> buf(1 << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    sha.Update(buf.data(), static_cast<size_t>(in.gcount()));
  }
  return sha.HexDigest();
}

Result<std::string> Sha256OfObject(ObjectStore& store, const std::string& key) {
  constexpr uint64_t kChunk = 16 << 20;
  auto info = store.HeadObject(key);
  if (!info.ok()) return info.status();
  Sha256 sha;
  std::vector<char> buf(kChunk);
  for (uint64_t offset = 0; offset < info->size;) {
    auto n = store.GetObject(key, offset, std::min(kChunk, info->size - offset), buf.data());
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::IOError("short object " + key);
    sha.Update(buf.data(), *n);
    offset += *n;
  }
  return sha.HexDigest();
}

void WriteRandomFile(const std::string& path, uint64_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  std::vector<uint64_t> buf(1 << 17);  // 1 MiB
  for (uint64_t left = size; left > 0;) {
    for (auto& word : buf) word = rng();
    uint64_t n = std::min<uint64_t>(left, buf.size() * sizeof(uint64_t));
    out.write(reinterpret_cast<const char*>(buf.data()), static_cast<std::streamsize>(n));
    left -= n;
  }
}

std::string Python3() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

}  // namespace partfs::testing
