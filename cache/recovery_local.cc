#include "cache/recovery_local.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "base/unique_fd.h"
#include "cache/cache_dir.h"
#include "cache/digest.h"
#include "cache/part_schedule.h"
#include "transfer/hashing.h"

namespace partfs {
namespace {

// Parses "part-<n>" (n >= 1); 0 for any other name.
uint32_t PartNumberFromName(const std::string& name) {
  static constexpr std::string_view kPrefix = "part-";
  if (name.size() <= kPrefix.size() || name.compare(0, kPrefix.size(), kPrefix) != 0) return 0;
  uint64_t n = 0;
  for (size_t i = kPrefix.size(); i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || n > 100000) return 0;
    n = n * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return static_cast<uint32_t>(n);
}

// part number -> size of files/<id>/part-<n>. A missing directory is empty.
Result<std::map<uint32_t, uint64_t>> ListPartFiles(const std::string& dir) {
  std::map<uint32_t, uint64_t> out;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return Status::FromErrno(errno, "opendir " + dir);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> closer(d, ::closedir);
  while (struct dirent* entry = ::readdir(d)) {
    uint32_t n = PartNumberFromName(entry->d_name);
    if (n == 0) continue;
    struct stat st;
    const std::string path = dir + "/" + entry->d_name;
    if (::stat(path.c_str(), &st) != 0) return Status::FromErrno(errno, "stat " + path);
    if (!S_ISREG(st.st_mode)) continue;
    out[n] = static_cast<uint64_t>(st.st_size);
  }
  return out;
}

std::string Describe(const FileRecord& record, const std::vector<PartRecord>& journal_parts,
                     const std::string& problem, int64_t now) {
  std::string text;
  text += "partfs could not complete this upload; the part files here are its data.\n";
  text += "problem: " + problem + "\n";
  text += "file_id: " + std::to_string(record.file_id) + "\n";
  text += "endpoint: " + record.endpoint + "\n";
  text += "bucket: " + record.bucket + "\n";
  text += "key: " + record.key + "\n";
  text += "upload_id: " + record.upload_id + "\n";
  text += "state: " + std::string(UploadStateName(record.state)) + "\n";
  text += "size: " + std::to_string(record.size) + "\n";
  text += "base_part_size: " + std::to_string(record.base_part_size) + "\n";
  text += "parts_per_step: " + std::to_string(record.parts_per_step) + "\n";
  text += "created_at: " + std::to_string(record.created_at) + "\n";
  text += "moved_at: " + std::to_string(now) + "\n";
  text += "part-<n> holds file bytes [PartStart(n), PartStart(n)+PartSize(n)).\n";
  text += "parts already uploaded to the server (not here): number size etag md5\n";
  for (const auto& p : journal_parts) {
    text += "  " + std::to_string(p.number) + " " + std::to_string(p.size) + " " + p.etag + " " +
            HexEncode(p.md5) + "\n";
  }
  return text;
}

Status WriteFileDurably(const std::string& path, const std::string& text) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + path);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "write " + path);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return Status::FromErrno(errno, "fsync " + path);
  return Status::OK();
}

// Builds parts 1..N from the journal and the part files; no size checks yet.
Result<LocalFile> CollectParts(const CacheLayout& layout, const FileRecord& record,
                               const std::vector<PartRecord>& journal_parts) {
  auto files = ListPartFiles(layout.FileDir(record.file_id));
  if (!files.ok()) return files.status();
  std::map<uint32_t, const PartRecord*> journaled;
  for (const auto& p : journal_parts) journaled[p.number] = &p;
  uint32_t last = 0;
  if (!journaled.empty()) last = journaled.rbegin()->first;
  if (!files->empty()) last = std::max(last, files->rbegin()->first);
  // An empty trailing part file is no data (the writer may open the next part early).
  while (last > 1 && !journaled.count(last) && files->count(last) && (*files)[last] == 0) --last;

  LocalFile local;
  for (const auto& [n, size] : *files) local.cached_bytes += size;
  uint32_t n = 1;
  for (; n <= last; ++n) {
    LocalPart part;
    part.number = n;
    auto file = files->find(n);
    if (file != files->end()) {
      part.file_path = layout.PartPath(record.file_id, n);
      part.file_size = file->second;
    }
    auto j = journaled.find(n);
    if (j != journaled.end()) {
      part.journaled = true;
      part.journal = *j->second;
      part.size = part.journal.size;
      part.md5 = part.journal.md5;
      ++local.journaled_parts;
    } else if (file != files->end()) {
      part.size = part.file_size;
      ++local.file_parts;
    } else {
      local.gap = "part " + std::to_string(n) + " of " + std::to_string(last) +
                  " is neither uploaded (journal) nor in the cache (part file " +
                  layout.PartPath(record.file_id, n) + " missing)";
      break;
    }
    local.total_size += part.size;
    local.parts.push_back(std::move(part));
  }
  for (const auto& [number, size] : *files) {
    if (number > n && number <= last) local.fragments.push_back(number);
  }
  return local;
}

}  // namespace

Result<std::string> Md5OfPartFile(const std::string& path, uint64_t* size) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Status::FromErrno(errno, "open " + path);
  // To the end of the file, whatever its size: the caller compares the count.
  Md5Hasher hasher;
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  for (;;) {
    ssize_t n = ::read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read " + path);
    }
    if (n == 0) break;
    hasher.Update(buf.data(), static_cast<size_t>(n));
    total += static_cast<uint64_t>(n);
  }
  if (size != nullptr) *size = total;
  return hasher.Digest();
}

Result<LocalFile> ScanLocalFile(const CacheLayout& layout, const FileRecord& record,
                                const std::vector<PartRecord>& journal_parts,
                                const ProviderProfile& profile, bool with_md5,
                                const std::string& boot_id) {
  if (record.base_part_size == 0 || record.parts_per_step == 0) {
    return Status::Corruption("journal record has no part schedule");
  }
  auto local = CollectParts(layout, record, journal_parts);
  if (!local.ok()) return local.status();
  PartSchedule schedule(record.base_part_size, record.parts_per_step, profile.max_part_size,
                        profile.max_part_count);
  // A short part file ends the prefix (its tail was lost with the page cache).
  for (size_t i = 0; i + 1 < local->parts.size(); ++i) {
    LocalPart& part = local->parts[i];
    const uint64_t expected = schedule.PartSize(part.number);
    if (part.journaled || part.size >= expected) continue;
    local->gap = "part " + std::to_string(part.number) + " has only " + std::to_string(part.size) +
                 " of " + std::to_string(expected) + " bytes in the cache";
    for (size_t j = i + 1; j < local->parts.size(); ++j) {
      const LocalPart& dropped = local->parts[j];
      local->total_size -= dropped.size;
      if (!dropped.file_path.empty()) local->fragments.push_back(dropped.number);
    }
    local->parts.resize(i + 1);
    std::sort(local->fragments.begin(), local->fragments.end());
    break;
  }
  const size_t count = local->parts.size();
  for (size_t i = 0; i < count; ++i) {
    LocalPart& part = local->parts[i];
    const uint64_t expected = schedule.PartSize(part.number);
    const bool last = i + 1 == count;
    if ((!last && part.size != expected) || (last && part.size > expected)) {
      return Status::Corruption("part " + std::to_string(part.number) + " has " +
                                std::to_string(part.size) + " bytes, the part schedule needs " +
                                (last ? "at most " : "exactly ") + std::to_string(expected) +
                                (part.journaled ? " (journal)" : " (part file)"));
    }
    if (part.journaled && part.md5.size() != 16) {
      return Status::Corruption("journal has no MD5 for part " + std::to_string(part.number));
    }
    if (!part.journaled && with_md5) {
      uint64_t read_size = 0;
      auto md5 = Md5OfPartFile(part.file_path, &read_size);
      if (!md5.ok()) return md5.status();
      if (read_size != part.size) {
        return Status::Corruption("part file " + part.file_path + " changed while reading it");
      }
      part.md5 = std::move(md5).value();
    }
  }
  const std::string why = local->gap.empty() ? "" : " (" + local->gap + ")";
  if (local->total_size < record.size) {
    return Status::Corruption("the cache and the server hold " + std::to_string(local->total_size) +
                              " bytes but " + std::to_string(record.size) +
                              " bytes were journaled as durable (a part file was lost)" + why);
  }
  if (!boot_id.empty() && record.boot_id == boot_id && local->total_size < record.accepted_size) {
    return Status::Corruption(
        "the cache and the server hold " + std::to_string(local->total_size) +
        " bytes but close() accepted " + std::to_string(record.accepted_size) +
        " and the machine has not restarted since (part files were removed)" + why);
  }
  return local;
}

std::string CurrentBootId() {
  UniqueFd fd(::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return "";
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof(buf));
  if (n <= 0) return "";
  std::string id(buf, static_cast<size_t>(n));
  while (!id.empty() && (id.back() == '\n' || id.back() == ' ')) id.pop_back();
  return id;
}

Result<std::string> MoveFragmentsToLostFound(const CacheLayout& layout, const FileRecord& record,
                                             const std::vector<uint32_t>& parts,
                                             const std::string& why, int64_t now) {
  PARTFS_RETURN_IF_ERROR(MakeDir(layout.LostFoundDir(), 0700));
  const std::string dst = layout.LostFoundFileDir(record.file_id);
  PARTFS_RETURN_IF_ERROR(MakeDir(dst, 0700));
  std::string text = "partfs completed key '" + record.key + "' with the valid prefix of its " +
                     "data; these part files came after a gap and are not in the object.\n" +
                     "why: " + why + "\n";
  for (uint32_t n : parts) {
    const std::string src = layout.PartPath(record.file_id, n);
    std::string target = dst + "/part-" + std::to_string(n);
    struct stat st;
    if (::stat(target.c_str(), &st) == 0) target += ".dup" + std::to_string(now);
    if (::rename(src.c_str(), target.c_str()) != 0 && errno != ENOENT) {
      return Status::FromErrno(errno, "rename " + src + " -> " + target);
    }
    text += "part-" + std::to_string(n) + "\n";
  }
  PARTFS_RETURN_IF_ERROR(WriteFileDurably(dst + "/FRAGMENTS.txt", text));
  PARTFS_RETURN_IF_ERROR(SyncDir(dst));
  PARTFS_RETURN_IF_ERROR(SyncDir(layout.LostFoundDir()));
  return dst;
}

uint64_t PartBytesInDir(const std::string& dir, uint32_t* part_files, uint32_t* highest_part) {
  auto files = ListPartFiles(dir);
  uint64_t total = 0;
  if (part_files != nullptr) *part_files = 0;
  if (highest_part != nullptr) *highest_part = 0;
  if (!files.ok()) return 0;
  for (const auto& [n, size] : *files) {
    total += size;
    if (highest_part != nullptr) *highest_part = std::max(*highest_part, n);
  }
  if (part_files != nullptr) *part_files = static_cast<uint32_t>(files->size());
  return total;
}

Result<std::string> MoveToLostFound(const CacheLayout& layout, const FileRecord& record,
                                    const std::vector<PartRecord>& journal_parts,
                                    const std::string& problem, int64_t now) {
  PARTFS_RETURN_IF_ERROR(MakeDir(layout.LostFoundDir(), 0700));
  const std::string src = layout.FileDir(record.file_id);
  const std::string dst = layout.LostFoundFileDir(record.file_id);
  if (::rename(src.c_str(), dst.c_str()) != 0) {
    if (errno == ENOENT) {
      PARTFS_RETURN_IF_ERROR(MakeDir(dst, 0700));  // no part files at all: only the description
    } else if (errno == EEXIST || errno == ENOTEMPTY) {
      // An earlier run left a directory: move the part files one by one, never overwriting.
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(src, ec)) {
        std::string target = dst + "/" + entry.path().filename().string();
        if (std::filesystem::exists(target, ec)) target += ".dup" + std::to_string(now);
        std::filesystem::rename(entry.path(), target, ec);
        if (ec)
          return Status::IOError("cannot move " + entry.path().string() + ": " + ec.message());
      }
      ::rmdir(src.c_str());
    } else {
      return Status::FromErrno(errno, "rename " + src + " -> " + dst);
    }
  }
  PARTFS_RETURN_IF_ERROR(
      WriteFileDurably(dst + "/RECORD.txt", Describe(record, journal_parts, problem, now)));
  PARTFS_RETURN_IF_ERROR(SyncDir(dst));
  PARTFS_RETURN_IF_ERROR(SyncDir(layout.LostFoundDir()));
  Status st = SyncDir(layout.FilesDir());
  if (!st.ok() && !st.IsNotFound()) return st;
  return dst;
}

Status RemoveFileDir(const CacheLayout& layout, uint64_t file_id) {
  std::error_code ec;
  std::filesystem::remove_all(layout.FileDir(file_id), ec);
  if (ec) return Status::IOError("cannot remove " + layout.FileDir(file_id) + ": " + ec.message());
  return Status::OK();
}

}  // namespace partfs
