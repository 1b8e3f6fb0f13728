// The oracle of the crash torture test (crash_torture_test.cc): deterministic
// file contents, the model of what every name must hold after acknowledged
// operations, the states an operation in flight at the crash may leave, and
// the check of what the bucket really holds against all of that.
//
// Contents: version `id` of a round is `size` bytes of a counter-mode
// generator keyed by (round seed, op id), so any byte range of any version can
// be recomputed, and a prefix of a version is recognisable.
//
// Thread-compatible value types; TortureModel is not thread-safe (the test
// serialises access with its own locks).
#ifndef PARTFS_TESTS_TORTURE_TORTURE_MODEL_H_
#define PARTFS_TESTS_TORTURE_TORTURE_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace partfs::testing {

// Key of the content of the write with `op_id` in the round with `seed`.
uint64_t ContentKey(uint64_t seed, uint64_t op_id);
// Bytes [offset, offset + len) of the content with `key` into `buf`.
void FillContent(uint64_t key, uint64_t offset, char* buf, size_t len);

// One content written by a create/overwrite (the version id is the op id).
struct Version {
  uint64_t id = 0;
  uint64_t key = 0;
  uint64_t size = 0;
  std::string written_as;  // the name it was written to
};

enum class OpType { kWrite, kRename, kUnlink };
const char* OpTypeName(OpType type);

// One operation as a writer thread ran it. For a write, `acked_bytes` are the
// bytes whose write() returned, `attempted_bytes` those plus the write() in
// flight; `opened` tells whether open(O_CREAT|O_TRUNC) returned.
struct OpRecord {
  uint64_t seq = 0;  // global sequence of acknowledgement (0: not acknowledged)
  uint64_t op_id = 0;
  int thread = 0;
  OpType type = OpType::kWrite;
  std::string name;  // the written / unlinked name, or the rename source
  std::string to;    // rename target
  uint64_t version = 0;
  uint64_t size = 0;  // a write's full size
  uint64_t acked_bytes = 0;
  uint64_t attempted_bytes = 0;
  bool opened = false;
  bool fsynced = false;
  bool after_crash = false;  // run on the remount, while recovery was running
  std::string stage;  // where it stopped: "open", "write", "fsync", "close", "rename", "unlink"
  int error = 0;      // errno of the failing call (in-flight ops)
  std::string Describe() const;
};

// A state a name may hold: absent, or a prefix of `version` whose length lies
// in [min_len, max_len] (a whole version: min_len == max_len == its size).
struct Candidate {
  bool present = false;
  uint64_t version = 0;
  uint64_t min_len = 0;
  uint64_t max_len = 0;
};

// What a key really holds on the server.
struct Found {
  bool present = false;
  std::string bytes;
};

struct Violation {
  std::string name;
  std::string message;
};

class TortureModel {
 public:
  TortureModel(uint64_t seed, std::vector<std::string> names);

  uint64_t seed() const { return seed_; }
  const std::vector<std::string>& names() const { return names_; }

  // A new version (its id is `op_id`) written to `name`.
  const Version& AddVersion(uint64_t op_id, const std::string& name, uint64_t size);
  const Version* FindVersion(uint64_t id) const;

  // The acknowledged state of `name`: the version it holds whole, or nullopt (absent).
  std::optional<uint64_t> Current(const std::string& name) const;
  // Applies an acknowledged operation (assigns its seq).
  void Acknowledge(OpRecord op);
  // Records an operation that was in flight at the crash (or failed).
  void InFlight(OpRecord op);
  // True when the only in-flight operations touching `name` are writes of it.
  bool OnlyWritesInFlight(const std::string& name) const;
  // A write of `name` acknowledged after the crash (while recovery runs): it
  // must win over whatever recovery completes for the interrupted writes of
  // `name`, which stop being acceptable outcomes.
  void AcknowledgeAfterCrash(OpRecord op);
  // Names whose model became unreliable (an op failed before the kill).
  void Poison(const std::string& name) { poisoned_.push_back(name); }
  bool IsPoisoned(const std::string& name) const {
    for (const std::string& p : poisoned_) {
      if (p == name) return true;
    }
    return false;
  }

  const std::vector<OpRecord>& acked() const { return acked_; }
  const std::vector<OpRecord>& in_flight() const { return in_flight_; }

  // Checks what the bucket holds for every name (`found[name]`, absent when
  // missing) against the model; returns every violation with a readable message.
  std::vector<Violation> Check(const std::map<std::string, Found>& found) const;

  // "absent" or "v12 (d0/f3, 7340032 B, sha256 1a2b3c4d5e6f)" / "... prefix 4096 of 7340032 B".
  std::string DescribeCandidate(const Candidate& c) const;
  std::string DescribeFound(const Found& f) const;
  // The acknowledged history of `name` (last `max_ops` operations touching it).
  std::string History(const std::string& name, size_t max_ops = 6) const;

 private:
  std::vector<Candidate> Allowed(const std::string& name) const;
  Candidate Whole(std::optional<uint64_t> version) const;
  bool Matches(const Candidate& c, const Found& f) const;
  // The version and length `f` is a prefix of (searching every version), if any.
  std::optional<std::pair<uint64_t, uint64_t>> Identify(const Found& f) const;
  bool IsPrefixOf(const Version& v, const std::string& bytes) const;

  uint64_t seed_;
  std::vector<std::string> names_;
  std::map<uint64_t, Version> versions_;
  std::map<std::string, std::optional<uint64_t>> current_;
  std::vector<OpRecord> acked_;
  std::vector<OpRecord> in_flight_;
  std::vector<OpRecord> superseded_;  // interrupted writes overwritten after the crash
  std::vector<std::string> poisoned_;
  uint64_t next_seq_ = 1;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_TORTURE_TORTURE_MODEL_H_
