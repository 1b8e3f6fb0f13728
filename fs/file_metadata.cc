#include "fs/file_metadata.h"

#include <strings.h>

#include <cerrno>
#include <cstdlib>

namespace partfs {

namespace {

const std::string* Find(const UserMetadata& metadata, const char* name) {
  for (const auto& [key, value] : metadata) {
    if (strcasecmp(key.c_str(), name) == 0) return &value;
  }
  return nullptr;
}

std::optional<uint64_t> ParseDecimal(const std::string* text, uint64_t max) {
  if (text == nullptr || text->empty()) return std::nullopt;
  errno = 0;
  char* end = nullptr;
  unsigned long long value = std::strtoull(text->c_str(), &end, 10);
  if (errno != 0 || end == text->c_str() || value > max) return std::nullopt;
  // s3fs may write fractional mtimes ("1700000000.5"); the integer part is enough.
  if (*end != '\0' && *end != '.') return std::nullopt;
  if (text->front() == '-') return std::nullopt;
  return value;
}

// Removes every spelling of `name` so that the stored value is the only one.
void Erase(UserMetadata* metadata, const char* name) {
  for (auto it = metadata->begin(); it != metadata->end();) {
    it = strcasecmp(it->first.c_str(), name) == 0 ? metadata->erase(it) : std::next(it);
  }
}

}  // namespace

FileMetadata ParseFileMetadata(const UserMetadata& metadata) {
  FileMetadata out;
  if (auto v = ParseDecimal(Find(metadata, "mode"), 0177777)) out.mode = static_cast<mode_t>(*v);
  if (auto v = ParseDecimal(Find(metadata, "uid"), 0xfffffffeull)) out.uid = static_cast<uid_t>(*v);
  if (auto v = ParseDecimal(Find(metadata, "gid"), 0xfffffffeull)) out.gid = static_cast<gid_t>(*v);
  if (auto v = ParseDecimal(Find(metadata, "mtime"), INT64_MAX))
    out.mtime = static_cast<int64_t>(*v);
  return out;
}

void StoreFileMetadata(const FileMetadata& fields, UserMetadata* metadata) {
  auto put = [metadata](const char* name, uint64_t value) {
    Erase(metadata, name);
    (*metadata)[name] = std::to_string(value);
  };
  if (fields.mode) put("mode", *fields.mode);
  if (fields.uid) put("uid", *fields.uid);
  if (fields.gid) put("gid", *fields.gid);
  if (fields.mtime) put("mtime", static_cast<uint64_t>(*fields.mtime));
}

}  // namespace partfs
