// RAII wrappers for LMDB: the environment, transactions and cursors.
//
// LmdbEnv owns an MDB_env (closed on destruction). LmdbTxn owns an MDB_txn
// and aborts it on destruction unless Commit() succeeded. LmdbCursor owns an
// MDB_cursor of one transaction and must die before it. All are non-copyable.
//
// Thread-safety: LmdbEnv is thread-safe (opened with MDB_NOTLS, so a
// transaction is not tied to the thread that began it); an LmdbTxn and its
// cursors must be used by one thread at a time. Write transactions are
// serialized by LMDB itself.
//
// A broken environment: an error of the whole environment rather than of one
// transaction (MDB_PANIC, MDB_MAP_RESIZED, MDB_CORRUPTED, MDB_PAGE_NOTFOUND;
// MDB_MAP_FULL from a write or commit; EIO from a commit) is never swallowed.
// The call that meets it returns it as usual, and the LmdbEnv remembers the
// first one: from then on every LmdbTxn::Begin fails at once with
// IOError("journal is broken: <first error>"). It does not heal; the owner
// (the mount) must stop and reopen. Nothing here logs.
#ifndef PARTFS_CACHE_LMDB_ENV_H_
#define PARTFS_CACHE_LMDB_ENV_H_

#include <lmdb.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/mutex.h"
#include "base/status.h"

namespace partfs {

// Converts an LMDB return code (0 = success) into a Status naming `context`.
Status LmdbStatus(int rc, std::string_view context);

// What an LMDB call did, for IsLmdbEnvironmentError.
enum class LmdbCall { kRead, kWrite, kCommit };  // kWrite: put, delete, cursor delete

// True when `rc` from a call of kind `call` breaks the whole environment (see above).
bool IsLmdbEnvironmentError(int rc, LmdbCall call);

class LmdbEnv {
 public:
  // Opens the environment in the existing directory `dir`. `max_dbs` named
  // databases; `map_size` bytes of (sparse) address space.
  static Result<std::unique_ptr<LmdbEnv>> Open(const std::string& dir, bool read_only,
                                               uint64_t map_size, unsigned max_dbs);
  ~LmdbEnv();
  LmdbEnv(const LmdbEnv&) = delete;
  LmdbEnv& operator=(const LmdbEnv&) = delete;

  MDB_env* get() const { return env_; }
  bool read_only() const { return read_only_; }

  // OK while the environment works, else the first environment error met.
  Status broken() const;
  // Test hook: breaks the environment as if `error` had been met.
  void TEST_MarkBroken(Status error) const { MarkBroken(std::move(error)); }

 private:
  friend class LmdbTxn;
  friend class LmdbCursor;

  LmdbEnv(MDB_env* env, bool read_only) : env_(env), read_only_(read_only) {}
  // Remembers `error` unless an earlier one is remembered. Const (and the state
  // mutable) because any transaction of a const env may meet the error.
  void MarkBroken(Status error) const;
  // LmdbStatus(rc, context); an environment error also breaks the env.
  Status Check(int rc, std::string_view context, LmdbCall call) const;

  MDB_env* env_;
  bool read_only_;
  mutable std::atomic<bool> broken_{false};  // set once first_error_ is
  mutable Mutex broken_mu_;
  mutable Status first_error_ GUARDED_BY(broken_mu_);
};

class LmdbTxn {
 public:
  static Result<std::unique_ptr<LmdbTxn>> Begin(const LmdbEnv& env, bool read_only);
  ~LmdbTxn();
  LmdbTxn(const LmdbTxn&) = delete;
  LmdbTxn& operator=(const LmdbTxn&) = delete;

  // Opens (with `create`, creates) a named database within this transaction.
  Result<MDB_dbi> OpenDb(const char* name, bool create);
  // The value of `key`, nullopt when absent. The view is valid until the txn ends.
  Result<std::optional<std::string_view>> Get(MDB_dbi dbi, std::string_view key);
  Status Put(MDB_dbi dbi, std::string_view key, std::string_view value);
  // OK also when the key is absent.
  Status Delete(MDB_dbi dbi, std::string_view key);
  // Commits (durably unless the env says otherwise); the txn is finished either way.
  Status Commit();

  MDB_txn* get() const { return txn_; }

 private:
  friend class LmdbCursor;
  LmdbTxn(const LmdbEnv* env, MDB_txn* txn) : env_(env), txn_(txn) {}
  const LmdbEnv* env_;  // outlives the txn
  MDB_txn* txn_;        // null once committed or aborted
};

class LmdbCursor {
 public:
  static Result<std::unique_ptr<LmdbCursor>> Open(LmdbTxn& txn, MDB_dbi dbi);
  ~LmdbCursor();
  LmdbCursor(const LmdbCursor&) = delete;
  LmdbCursor& operator=(const LmdbCursor&) = delete;

  // Positions at the first key >= `key` (SeekFirst: the first key). Returns
  // false when there is no such key.
  Result<bool> Seek(std::string_view key);
  Result<bool> SeekFirst();
  Result<bool> Next();
  // Deletes the entry under the cursor.
  Status DeleteCurrent();

  std::string_view key() const { return {static_cast<const char*>(key_.mv_data), key_.mv_size}; }
  std::string_view value() const {
    return {static_cast<const char*>(value_.mv_data), value_.mv_size};
  }

 private:
  LmdbCursor(const LmdbEnv* env, MDB_cursor* cursor) : env_(env), cursor_(cursor) {}
  Result<bool> Move(MDB_cursor_op op);
  const LmdbEnv* env_;  // outlives the cursor
  MDB_cursor* cursor_;
  MDB_val key_{0, nullptr};
  MDB_val value_{0, nullptr};
};

}  // namespace partfs

#endif  // PARTFS_CACHE_LMDB_ENV_H_
