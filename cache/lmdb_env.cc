#include "cache/lmdb_env.h"

#include <cerrno>

namespace partfs {
namespace {

MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

}  // namespace

Status LmdbStatus(int rc, std::string_view context) {
  if (rc == 0) return Status::OK();
  std::string msg = std::string(context) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_NOTFOUND:
      return Status::NotFound(std::move(msg));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(std::move(msg));
    case MDB_MAP_FULL:
      return Status::NoSpace(std::move(msg));
    default:
      // Positive codes are errno values from the OS.
      if (rc > 0) return Status::FromErrno(rc, context);
      return Status::IOError(std::move(msg));
  }
}

bool IsLmdbEnvironmentError(int rc, LmdbCall call) {
  switch (rc) {
    case MDB_PANIC:          // LMDB itself declared the environment unusable
    case MDB_MAP_RESIZED:    // another process grew the map beyond ours
    case MDB_CORRUPTED:      // the data file is damaged
    case MDB_PAGE_NOTFOUND:  //   (or pages it points to are missing)
      return true;
    case MDB_MAP_FULL:  // the map size is fixed: no later write fits either
      return call != LmdbCall::kRead;
    case EIO:  // a failed write of the commit: what is on disk is unknown
      return call == LmdbCall::kCommit;
    default:
      return false;
  }
}

Status LmdbEnv::broken() const {
  if (!broken_.load(std::memory_order_acquire)) return Status::OK();
  MutexLock lock(&broken_mu_);
  return first_error_;
}

void LmdbEnv::MarkBroken(Status error) const {
  if (error.ok()) error = Status::IOError("journal marked broken without an error");
  MutexLock lock(&broken_mu_);
  if (broken_.load(std::memory_order_relaxed)) return;  // keep the first error
  first_error_ = std::move(error);
  broken_.store(true, std::memory_order_release);
}

Status LmdbEnv::Check(int rc, std::string_view context, LmdbCall call) const {
  Status status = LmdbStatus(rc, context);
  if (rc != 0 && IsLmdbEnvironmentError(rc, call)) MarkBroken(status);
  return status;
}

Result<std::unique_ptr<LmdbEnv>> LmdbEnv::Open(const std::string& dir, bool read_only,
                                               uint64_t map_size, unsigned max_dbs) {
  MDB_env* env = nullptr;
  int rc = mdb_env_create(&env);
  if (rc != 0) return LmdbStatus(rc, "create LMDB environment");
  std::unique_ptr<LmdbEnv> owner(new LmdbEnv(env, read_only));
  rc = mdb_env_set_maxdbs(env, max_dbs);
  if (rc != 0) return LmdbStatus(rc, "set LMDB max dbs");
  rc = mdb_env_set_mapsize(env, map_size);
  if (rc != 0) return LmdbStatus(rc, "set LMDB map size");
  unsigned flags = MDB_NOTLS;
  if (read_only) flags |= MDB_RDONLY;
  rc = mdb_env_open(env, dir.c_str(), flags, 0600);
  if (rc != 0) return LmdbStatus(rc, "open journal " + dir);
  // Reader slots of crashed processes would otherwise pin old pages forever.
  int dead = 0;
  mdb_reader_check(env, &dead);
  return owner;
}

LmdbEnv::~LmdbEnv() { mdb_env_close(env_); }

Result<std::unique_ptr<LmdbTxn>> LmdbTxn::Begin(const LmdbEnv& env, bool read_only) {
  if (Status broken = env.broken(); !broken.ok()) {
    return Status::IOError("journal is broken: " + broken.ToString());
  }
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env.get(), nullptr, read_only ? MDB_RDONLY : 0, &txn);
  if (rc != 0) return env.Check(rc, "begin journal transaction", LmdbCall::kRead);
  return std::unique_ptr<LmdbTxn>(new LmdbTxn(&env, txn));
}

LmdbTxn::~LmdbTxn() {
  if (txn_ != nullptr) mdb_txn_abort(txn_);
}

Result<MDB_dbi> LmdbTxn::OpenDb(const char* name, bool create) {
  MDB_dbi dbi = 0;
  int rc = mdb_dbi_open(txn_, name, create ? MDB_CREATE : 0, &dbi);
  if (rc != 0) {
    return env_->Check(rc, std::string("open journal database ") + name,
                       create ? LmdbCall::kWrite : LmdbCall::kRead);
  }
  return dbi;
}

Result<std::optional<std::string_view>> LmdbTxn::Get(MDB_dbi dbi, std::string_view key) {
  MDB_val k = ToVal(key);
  MDB_val v{0, nullptr};
  int rc = mdb_get(txn_, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return env_->Check(rc, "journal get", LmdbCall::kRead);
  return std::optional<std::string_view>(
      std::string_view(static_cast<const char*>(v.mv_data), v.mv_size));
}

Status LmdbTxn::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  return env_->Check(mdb_put(txn_, dbi, &k, &v, 0), "journal put", LmdbCall::kWrite);
}

Status LmdbTxn::Delete(MDB_dbi dbi, std::string_view key) {
  MDB_val k = ToVal(key);
  int rc = mdb_del(txn_, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::OK();
  return env_->Check(rc, "journal delete", LmdbCall::kWrite);
}

Status LmdbTxn::Commit() {
  MDB_txn* txn = txn_;
  txn_ = nullptr;  // mdb_txn_commit frees the txn even when it fails
  return env_->Check(mdb_txn_commit(txn), "journal commit", LmdbCall::kCommit);
}

Result<std::unique_ptr<LmdbCursor>> LmdbCursor::Open(LmdbTxn& txn, MDB_dbi dbi) {
  MDB_cursor* cursor = nullptr;
  int rc = mdb_cursor_open(txn.get(), dbi, &cursor);
  if (rc != 0) return txn.env_->Check(rc, "open journal cursor", LmdbCall::kRead);
  return std::unique_ptr<LmdbCursor>(new LmdbCursor(txn.env_, cursor));
}

LmdbCursor::~LmdbCursor() { mdb_cursor_close(cursor_); }

Result<bool> LmdbCursor::Move(MDB_cursor_op op) {
  int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return env_->Check(rc, "journal cursor", LmdbCall::kRead);
  return true;
}

Result<bool> LmdbCursor::Seek(std::string_view key) {
  key_ = ToVal(key);
  return Move(MDB_SET_RANGE);
}

Result<bool> LmdbCursor::SeekFirst() { return Move(MDB_FIRST); }

Result<bool> LmdbCursor::Next() { return Move(MDB_NEXT); }

Status LmdbCursor::DeleteCurrent() {
  return env_->Check(mdb_cursor_del(cursor_, 0), "journal cursor delete", LmdbCall::kWrite);
}

}  // namespace partfs
