// LmdbEnv's broken state: an environment-level LMDB error is remembered and
// makes every later transaction fail fast (cache/lmdb_env.h).
#include "cache/lmdb_env.h"

#include <cerrno>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace partfs {
namespace {

std::unique_ptr<LmdbEnv> OpenEnv(const std::string& dir, uint64_t map_size = 1 << 20) {
  auto env = LmdbEnv::Open(dir, /*read_only=*/false, map_size, 2);
  EXPECT_TRUE(env.ok()) << env.status().ToString();
  return env.ok() ? std::move(env).value() : nullptr;
}

MDB_dbi CreateDb(const LmdbEnv& env) {
  auto txn = LmdbTxn::Begin(env, false);
  EXPECT_TRUE(txn.ok()) << txn.status().ToString();
  auto dbi = (*txn)->OpenDb("d", /*create=*/true);
  EXPECT_TRUE(dbi.ok()) << dbi.status().ToString();
  EXPECT_TRUE((*txn)->Commit().ok());
  return *dbi;
}

TEST(CacheLmdbEnvTest, ABrokenEnvironmentFailsEveryLaterBegin) {
  testing::TempDir dir("lmdb-env");
  auto env = OpenEnv(dir.path());
  ASSERT_NE(env, nullptr);
  EXPECT_TRUE(env->broken().ok());
  auto before = LmdbTxn::Begin(*env, true);  // a txn begun before keeps working
  ASSERT_TRUE(before.ok());

  env->TEST_MarkBroken(Status::IOError("journal commit: Input/output error"));
  env->TEST_MarkBroken(Status::Corruption("a later error"));  // the first one is kept
  EXPECT_EQ(env->broken().code(), Status::Code::kIOError);
  EXPECT_EQ(env->broken().message(), "journal commit: Input/output error");
  for (bool read_only : {true, false}) {
    auto txn = LmdbTxn::Begin(*env, read_only);
    ASSERT_FALSE(txn.ok());
    EXPECT_EQ(txn.status().code(), Status::Code::kIOError);
    EXPECT_EQ(txn.status().message(),
              "journal is broken: IOError: journal commit: Input/output error");
  }
}

// A real environment error: the map (fixed size) is full.
TEST(CacheLmdbEnvTest, AFullMapBreaksTheEnvironment) {
  testing::TempDir dir("lmdb-env");
  auto env = OpenEnv(dir.path(), 64 << 10);
  ASSERT_NE(env, nullptr);
  MDB_dbi dbi = CreateDb(*env);
  const std::string value(1000, 'v');
  Status failed;
  for (int i = 0; i < 1000 && failed.ok(); ++i) {
    auto txn = LmdbTxn::Begin(*env, false);
    ASSERT_TRUE(txn.ok()) << i << ": " << txn.status().ToString();
    failed = (*txn)->Put(dbi, "key" + std::to_string(i), value);
    if (failed.ok()) failed = (*txn)->Commit();
  }
  ASSERT_FALSE(failed.ok()) << "64 KiB map never filled";
  EXPECT_EQ(failed.code(), Status::Code::kNoSpace) << failed.ToString();
  EXPECT_EQ(env->broken().ToString(), failed.ToString());
  auto read = LmdbTxn::Begin(*env, true);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().message(), "journal is broken: " + failed.ToString());
}

// An error of one call (here a bad key) leaves the environment working.
TEST(CacheLmdbEnvTest, AnOrdinaryErrorDoesNotBreakIt) {
  testing::TempDir dir("lmdb-env");
  auto env = OpenEnv(dir.path());
  ASSERT_NE(env, nullptr);
  MDB_dbi dbi = CreateDb(*env);
  auto txn = LmdbTxn::Begin(*env, false);
  ASSERT_TRUE(txn.ok());
  EXPECT_FALSE((*txn)->Put(dbi, "", "empty keys are invalid").ok());
  EXPECT_TRUE(env->broken().ok());
  txn->reset();
  EXPECT_TRUE(LmdbTxn::Begin(*env, false).ok());
}

TEST(CacheLmdbEnvTest, WhichErrorsBreakTheEnvironment) {
  for (LmdbCall call : {LmdbCall::kRead, LmdbCall::kWrite, LmdbCall::kCommit}) {
    EXPECT_TRUE(IsLmdbEnvironmentError(MDB_PANIC, call));
    EXPECT_TRUE(IsLmdbEnvironmentError(MDB_MAP_RESIZED, call));
    EXPECT_TRUE(IsLmdbEnvironmentError(MDB_CORRUPTED, call));
    EXPECT_TRUE(IsLmdbEnvironmentError(MDB_PAGE_NOTFOUND, call));
    EXPECT_FALSE(IsLmdbEnvironmentError(MDB_NOTFOUND, call));
    EXPECT_FALSE(IsLmdbEnvironmentError(MDB_BAD_VALSIZE, call));
    EXPECT_FALSE(IsLmdbEnvironmentError(ENOSPC, call));  // a full disk may drain
  }
  EXPECT_TRUE(IsLmdbEnvironmentError(MDB_MAP_FULL, LmdbCall::kCommit));
  EXPECT_TRUE(IsLmdbEnvironmentError(MDB_MAP_FULL, LmdbCall::kWrite));
  EXPECT_FALSE(IsLmdbEnvironmentError(MDB_MAP_FULL, LmdbCall::kRead));
  EXPECT_TRUE(IsLmdbEnvironmentError(EIO, LmdbCall::kCommit));
  EXPECT_FALSE(IsLmdbEnvironmentError(EIO, LmdbCall::kRead));
}

}  // namespace
}  // namespace partfs
