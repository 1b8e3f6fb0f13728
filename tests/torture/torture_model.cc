#include "tests/torture/torture_model.h"

#include <algorithm>
#include <cstring>
#include <sstream>

#include "transfer/hashing.h"

namespace partfs::testing {

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::string ShortSha(const std::string& bytes) { return Sha256Hex(bytes).substr(0, 12); }

}  // namespace

uint64_t ContentKey(uint64_t seed, uint64_t op_id) {
  return SplitMix64(seed ^ SplitMix64(op_id * 0x2545f4914f6cdd1dull));
}

void FillContent(uint64_t key, uint64_t offset, char* buf, size_t len) {
  while (len > 0) {
    const uint64_t word_index = offset / 8;
    const size_t in_word = offset % 8;
    const uint64_t word = SplitMix64(key ^ (word_index * 0x9e3779b97f4a7c15ull));
    unsigned char bytes[8];
    std::memcpy(bytes, &word, 8);
    const size_t take = std::min<size_t>(len, 8 - in_word);
    std::memcpy(buf, bytes + in_word, take);
    buf += take;
    offset += take;
    len -= take;
  }
}

const char* OpTypeName(OpType type) {
  switch (type) {
    case OpType::kWrite:
      return "write";
    case OpType::kRename:
      return "rename";
    case OpType::kUnlink:
      return "unlink";
  }
  return "?";
}

std::string OpRecord::Describe() const {
  std::ostringstream out;
  if (seq > 0) {
    out << "#" << seq << " ";
  } else {
    out << "in-flight ";
  }
  if (after_crash) out << "after-crash ";
  out << "op" << op_id << " t" << thread << " " << OpTypeName(type) << " " << name;
  if (type == OpType::kRename) out << " -> " << to;
  if (type == OpType::kWrite) {
    out << " v" << version << " size " << size;
    if (seq == 0) {
      out << " (opened " << (opened ? "yes" : "no") << ", accepted " << acked_bytes
          << ", attempted " << attempted_bytes << ")";
    }
    if (fsynced) out << " fsync";
  }
  if (seq == 0) {
    out << " stopped at " << stage;
    if (error != 0) out << " errno " << error << " (" << std::strerror(error) << ")";
  }
  return out.str();
}

TortureModel::TortureModel(uint64_t seed, std::vector<std::string> names)
    : seed_(seed), names_(std::move(names)) {
  for (const std::string& n : names_) current_[n] = std::nullopt;
}

const Version& TortureModel::AddVersion(uint64_t op_id, const std::string& name, uint64_t size) {
  Version v;
  v.id = op_id;
  v.key = ContentKey(seed_, op_id);
  v.size = size;
  v.written_as = name;
  return versions_[op_id] = v;
}

const Version* TortureModel::FindVersion(uint64_t id) const {
  auto it = versions_.find(id);
  return it == versions_.end() ? nullptr : &it->second;
}

std::optional<uint64_t> TortureModel::Current(const std::string& name) const {
  auto it = current_.find(name);
  return it == current_.end() ? std::nullopt : it->second;
}

void TortureModel::Acknowledge(OpRecord op) {
  op.seq = next_seq_++;
  switch (op.type) {
    case OpType::kWrite:
      current_[op.name] = op.version;
      break;
    case OpType::kRename:
      current_[op.to] = current_[op.name];
      current_[op.name] = std::nullopt;
      break;
    case OpType::kUnlink:
      current_[op.name] = std::nullopt;
      break;
  }
  acked_.push_back(std::move(op));
}

void TortureModel::InFlight(OpRecord op) {
  op.seq = 0;
  in_flight_.push_back(std::move(op));
}

bool TortureModel::OnlyWritesInFlight(const std::string& name) const {
  for (const OpRecord& op : in_flight_) {
    if (op.type != OpType::kWrite && (op.name == name || op.to == name)) return false;
  }
  return true;
}

void TortureModel::AcknowledgeAfterCrash(OpRecord op) {
  std::vector<OpRecord> kept;
  for (OpRecord& f : in_flight_) {
    if (f.type == OpType::kWrite && f.name == op.name) {
      superseded_.push_back(std::move(f));
    } else {
      kept.push_back(std::move(f));
    }
  }
  in_flight_ = std::move(kept);
  Acknowledge(std::move(op));
}

Candidate TortureModel::Whole(std::optional<uint64_t> version) const {
  Candidate c;
  if (!version) return c;
  c.present = true;
  c.version = *version;
  const Version* v = FindVersion(*version);
  c.min_len = c.max_len = v ? v->size : 0;
  return c;
}

std::vector<Candidate> TortureModel::Allowed(const std::string& name) const {
  const Candidate base = Whole(Current(name));
  std::vector<Candidate> allowed;
  bool touched = false;
  for (const OpRecord& op : in_flight_) {
    if (op.type == OpType::kWrite && op.name == name) {
      touched = true;
      // Accepted bytes must survive (SEMANTICS tenet 1): once one write()
      // returned, the old state is no longer an acceptable outcome.
      if (op.acked_bytes == 0) allowed.push_back(base);
      Candidate c;
      c.present = true;
      c.version = op.version;
      c.min_len = op.acked_bytes;
      c.max_len = std::max(op.acked_bytes, op.attempted_bytes);
      allowed.push_back(c);
    } else if (op.type == OpType::kRename && op.name == name) {
      touched = true;
      allowed.push_back(base);
      allowed.push_back(Candidate{});  // absent
    } else if (op.type == OpType::kRename && op.to == name) {
      touched = true;
      allowed.push_back(base);
      allowed.push_back(Whole(Current(op.name)));
    } else if (op.type == OpType::kUnlink && op.name == name) {
      touched = true;
      allowed.push_back(base);
      allowed.push_back(Candidate{});
    }
  }
  if (!touched) allowed.push_back(base);
  return allowed;
}

bool TortureModel::IsPrefixOf(const Version& v, const std::string& bytes) const {
  if (bytes.size() > v.size) return false;
  constexpr size_t kChunk = 1 << 20;
  std::string expected;
  for (size_t offset = 0; offset < bytes.size(); offset += kChunk) {
    const size_t len = std::min(kChunk, bytes.size() - offset);
    expected.resize(len);
    FillContent(v.key, offset, expected.data(), len);
    if (std::memcmp(expected.data(), bytes.data() + offset, len) != 0) return false;
  }
  return true;
}

bool TortureModel::Matches(const Candidate& c, const Found& f) const {
  if (!c.present) return !f.present;
  if (!f.present) return false;
  const uint64_t len = f.bytes.size();
  if (len < c.min_len || len > c.max_len) return false;
  const Version* v = FindVersion(c.version);
  return v != nullptr && IsPrefixOf(*v, f.bytes);
}

std::optional<std::pair<uint64_t, uint64_t>> TortureModel::Identify(const Found& f) const {
  if (!f.present) return std::nullopt;
  // Prefer an exact whole version, then any version the bytes are a prefix of.
  std::optional<std::pair<uint64_t, uint64_t>> prefix;
  for (const auto& [id, v] : versions_) {
    if (v.size < f.bytes.size()) continue;
    if (!f.bytes.empty()) {
      char first[8];
      const size_t n = std::min<size_t>(8, f.bytes.size());
      FillContent(v.key, 0, first, n);
      if (std::memcmp(first, f.bytes.data(), n) != 0) continue;
    }
    if (!IsPrefixOf(v, f.bytes)) continue;
    if (v.size == f.bytes.size()) return std::make_pair(id, v.size);
    if (!prefix) prefix = std::make_pair(id, v.size);
  }
  return prefix;
}

std::string TortureModel::DescribeCandidate(const Candidate& c) const {
  if (!c.present) return "absent";
  const Version* v = FindVersion(c.version);
  std::ostringstream out;
  out << "v" << c.version;
  if (v == nullptr) return out.str() + " (unknown version)";
  std::string whole(v->size, '\0');
  FillContent(v->key, 0, whole.data(), whole.size());
  out << " (written to " << v->written_as << ", " << v->size << " B, sha256 " << ShortSha(whole)
      << ")";
  if (c.min_len != v->size || c.max_len != v->size) {
    out << " prefix of " << c.min_len << ".." << c.max_len << " B";
  }
  return out.str();
}

std::string TortureModel::DescribeFound(const Found& f) const {
  if (!f.present) return "absent";
  std::ostringstream out;
  out << f.bytes.size() << " B, sha256 " << ShortSha(f.bytes);
  auto id = Identify(f);
  if (f.bytes.empty()) {
    out << " (empty)";
  } else if (!id) {
    out << " = bytes of no version ever written (garbage)";
  } else {
    const Version* v = FindVersion(id->first);
    out << " = v" << id->first << " (written to " << v->written_as << ")";
    if (id->second != f.bytes.size()) out << " prefix of its " << id->second << " B";
  }
  return out.str();
}

std::string TortureModel::History(const std::string& name, size_t max_ops) const {
  std::vector<const OpRecord*> ops;
  for (const OpRecord& op : acked_) {
    if (op.name == name || op.to == name) ops.push_back(&op);
  }
  std::ostringstream out;
  const size_t start = ops.size() > max_ops ? ops.size() - max_ops : 0;
  if (start > 0) out << "    ... " << start << " earlier ops\n";
  for (size_t i = start; i < ops.size(); ++i) out << "    " << ops[i]->Describe() << "\n";
  for (const OpRecord& op : in_flight_) {
    if (op.name == name || op.to == name) out << "    " << op.Describe() << "\n";
  }
  for (const OpRecord& op : superseded_) {
    if (op.name == name) out << "    (superseded after the crash) " << op.Describe() << "\n";
  }
  if (ops.empty()) out << "    (no acknowledged op)\n";
  return out.str();
}

std::vector<Violation> TortureModel::Check(const std::map<std::string, Found>& found) const {
  std::vector<Violation> violations;
  auto found_for = [&](const std::string& name) {
    auto it = found.find(name);
    return it == found.end() ? Found{} : it->second;
  };
  for (const std::string& name : names_) {
    const Found f = found_for(name);
    const std::vector<Candidate> allowed = Allowed(name);
    bool ok = false;
    for (const Candidate& c : allowed) ok = ok || Matches(c, f);
    if (ok) continue;
    std::ostringstream msg;
    msg << name << ": found " << DescribeFound(f) << "\n  expected one of:";
    for (const Candidate& c : allowed) msg << "\n    " << DescribeCandidate(c);
    bool accepted_lost = false;
    for (const OpRecord& op : in_flight_) {
      if (op.type == OpType::kWrite && op.name == name && op.acked_bytes > 0) {
        accepted_lost = !f.present || f.bytes.size() < op.acked_bytes;
      }
    }
    if (accepted_lost) msg << "\n  => bytes a write() accepted were lost";
    msg << "\n  history:\n" << History(name);
    violations.push_back({name, msg.str()});
  }
  // A rename in flight moves content; it may sit at either name or both, but
  // it must not vanish from both.
  for (const OpRecord& op : in_flight_) {
    if (op.type != OpType::kRename) continue;
    const Candidate source = Whole(Current(op.name));
    if (!source.present) continue;
    if (Matches(source, found_for(op.name)) || Matches(source, found_for(op.to))) continue;
    std::ostringstream msg;
    msg << op.name << " -> " << op.to << ": the renamed content " << DescribeCandidate(source)
        << " is at neither name (source: " << DescribeFound(found_for(op.name))
        << ", target: " << DescribeFound(found_for(op.to)) << ")";
    violations.push_back({op.name, msg.str()});
  }
  return violations;
}

}  // namespace partfs::testing
