#include "cache/cache_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

namespace partfs {

int LockHolderPid(const CacheLayout& layout) {
  std::ifstream in(layout.LockFile());
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid > 0x3fffffff) return 0;
  return static_cast<int>(pid);
}

Status MakeDir(const std::string& path, unsigned mode) {
  if (mkdir(path.c_str(), mode) == 0) {
    // The new entry is durable only once its parent directory is.
    size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return SyncDir(".");
    return SyncDir(slash == 0 ? "/" : path.substr(0, slash));
  }
  int err = errno;
  struct stat st;
  if (err == EEXIST && stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
  return Status::FromErrno(err, "create directory " + path);
}

Status SyncDir(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open directory " + path);
  Status status;
  if (fsync(fd) != 0) status = Status::FromErrno(errno, "fsync directory " + path);
  close(fd);
  return status;
}

Result<std::unique_ptr<CacheDir>> CacheDir::Open(const std::string& root) {
  if (root.empty()) return Status::InvalidArgument("cache directory is not set");
  CacheLayout layout(root);
  // Missing parents are created too (0700, like the cache directory itself).
  for (size_t slash = root.find('/', 1); slash != std::string::npos;
       slash = root.find('/', slash + 1)) {
    PARTFS_RETURN_IF_ERROR(MakeDir(root.substr(0, slash), 0700));
  }
  PARTFS_RETURN_IF_ERROR(MakeDir(root, 0700));
  int fd = open(layout.LockFile().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::FromErrno(errno, "open " + layout.LockFile());
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) {
      const int pid = LockHolderPid(layout);
      return Status::Busy("cache directory " + root + " is in use by another partfs (pid " +
                          (pid == 0 ? std::string("unknown") : std::to_string(pid)) + ")");
    }
    return Status::FromErrno(err, "lock " + layout.LockFile());
  }
  std::unique_ptr<CacheDir> dir(new CacheDir(layout, fd));
  std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    return Status::FromErrno(errno, "write pid to " + layout.LockFile());
  }
  PARTFS_RETURN_IF_ERROR(MakeDir(layout.FilesDir(), 0700));
  // Made here rather than by Journal::Open so that its entry in the root is fsync'd too.
  PARTFS_RETURN_IF_ERROR(MakeDir(layout.JournalDir(), 0700));
  return dir;
}

CacheDir::~CacheDir() { close(lock_fd_); }

Status CheckFreeSpace(const std::string& dir, uint64_t need, uint64_t headroom) {
  struct statvfs st;
  if (statvfs(dir.c_str(), &st) != 0) return Status::OK();
  uint64_t available = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  if (available >= need && available - need >= headroom) return Status::OK();
  return Status::NoSpace(dir + " has " + std::to_string(available) + " bytes free, " +
                         std::to_string(need) + " more would leave less than the " +
                         std::to_string(headroom) + " bytes kept for the journal");
}

}  // namespace partfs
