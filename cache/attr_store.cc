// AttrStore: see cache/attr_store.h.
#include "cache/attr_store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

namespace partfs {

namespace {

constexpr uint64_t kMapSize = 256ull << 20;  // about a million entries
constexpr uint32_t kFormat = 1;

void AppendU32(uint32_t v, std::string* out) { out->append(reinterpret_cast<char*>(&v), 4); }
void AppendU64(uint64_t v, std::string* out) { out->append(reinterpret_cast<char*>(&v), 8); }
void AppendString(const std::string& s, std::string* out) {
  AppendU32(static_cast<uint32_t>(s.size()), out);
  out->append(s);
}

// Reads what the Append* functions wrote; false once the input runs short.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U32(uint32_t* v) { return Raw(v, 4); }
  bool U64(uint64_t* v) { return Raw(v, 8); }
  bool String(std::string* s) {
    uint32_t n = 0;
    if (!U32(&n) || in_.size() < n) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }

 private:
  bool Raw(void* v, size_t n) {
    if (in_.size() < n) return false;
    std::memcpy(v, in_.data(), n);
    in_.remove_prefix(n);
    return true;
  }
  std::string_view in_;
};

std::string Encode(const std::string& etag, uint64_t size, const UserMetadata& metadata) {
  std::string out;
  AppendU32(kFormat, &out);
  AppendString(etag, &out);
  AppendU64(size, &out);
  AppendU32(static_cast<uint32_t>(metadata.size()), &out);
  for (const auto& [name, value] : metadata) {
    AppendString(name, &out);
    AppendString(value, &out);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<AttrStore>> AttrStore::Open(const std::string& dir, Logger* logger) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::IOError("mkdir " + dir + ": " + std::strerror(errno));
  }
  auto env = LmdbEnv::Open(dir, /*read_only=*/false, kMapSize, 1);
  if (!env.ok()) return env.status();
  // A cache: losing the last writes in a power loss only costs HEADs.
  int rc = mdb_env_set_flags((*env)->get(), MDB_NOSYNC, 1);
  if (rc != 0) return LmdbStatus(rc, "attribute store: set MDB_NOSYNC");
  auto txn = LmdbTxn::Begin(**env, /*read_only=*/false);
  if (!txn.ok()) return txn.status();
  auto dbi = (*txn)->OpenDb("attrs", /*create=*/true);
  if (!dbi.ok()) return dbi.status();
  PARTFS_RETURN_IF_ERROR((*txn)->Commit());
  return std::unique_ptr<AttrStore>(new AttrStore(std::move(*env), *dbi, logger));
}

void AttrStore::LogFailureOnce(const Status& status) {
  if (!failure_logged_.exchange(true)) {
    logger_->Warn("attribute store: " + status.ToString() +
                  " (stat after a remount falls back to HEAD requests)");
  }
}

void AttrStore::Put(const std::string& key, const std::string& etag, uint64_t size,
                    const UserMetadata& metadata) {
  if (etag.empty()) return;
  auto txn = LmdbTxn::Begin(*env_, /*read_only=*/false);
  Status status = txn.ok() ? (*txn)->Put(dbi_, key, Encode(etag, size, metadata)) : txn.status();
  if (status.ok()) status = (*txn)->Commit();
  if (!status.ok()) LogFailureOnce(status);
}

std::optional<UserMetadata> AttrStore::Find(const std::string& key, const std::string& etag,
                                            uint64_t size) const {
  if (etag.empty()) return std::nullopt;
  auto txn = LmdbTxn::Begin(*env_, /*read_only=*/true);
  if (!txn.ok()) return std::nullopt;
  auto value = (*txn)->Get(dbi_, key);
  if (!value.ok() || !*value) return std::nullopt;
  Reader in(**value);
  uint32_t format = 0, count = 0;
  std::string stored_etag;
  uint64_t stored_size = 0;
  if (!in.U32(&format) || format != kFormat || !in.String(&stored_etag) || !in.U64(&stored_size) ||
      !in.U32(&count)) {
    return std::nullopt;
  }
  if (stored_etag != etag || stored_size != size) return std::nullopt;
  UserMetadata metadata;
  for (uint32_t i = 0; i < count; ++i) {
    std::string name, v;
    if (!in.String(&name) || !in.String(&v)) return std::nullopt;
    metadata[name] = std::move(v);
  }
  return metadata;
}

void AttrStore::Erase(const std::string& key) {
  auto txn = LmdbTxn::Begin(*env_, /*read_only=*/false);
  Status status = txn.ok() ? (*txn)->Delete(dbi_, key) : txn.status();
  if (status.ok()) status = (*txn)->Commit();
  if (!status.ok()) LogFailureOnce(status);
}

}  // namespace partfs
