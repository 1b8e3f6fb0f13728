// The LMDB implementation of Journal (schema in cache/journal_codec.h).
#include "cache/journal.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <optional>

#include "cache/journal_codec.h"
#include "cache/lmdb_env.h"

namespace partfs {
namespace {

constexpr uint64_t kMapSize = 1ull << 30;  // sparse; far more than any realistic journal
// 2: file records of version 2 and the "renames" DB; a version-1 journal is upgraded in place.
constexpr uint64_t kSchemaVersion = 2;
constexpr char kFilesDb[] = "files";
constexpr char kPartsDb[] = "parts";
constexpr char kMetaDb[] = "meta";
constexpr char kRenamesDb[] = "renames";
// Added without a schema change: an older binary ignores it (its changes then
// stay unapplied, never wrong: each applies only to its recorded ETag).
constexpr char kPendingMetadataDb[] = "pending_metadata";
constexpr char kNextFileIdKey[] = "next_file_id";
constexpr char kSchemaVersionKey[] = "schema_version";

// Calls fn(key, value) for every entry of `dbi`, in key order; fn returns
// false to stop early. Entries must not be changed while scanning.
template <typename Fn>
Status ScanDb(LmdbTxn& txn, MDB_dbi dbi, Fn fn) {
  auto cursor = LmdbCursor::Open(txn, dbi);
  if (!cursor.ok()) return cursor.status();
  auto found = (*cursor)->SeekFirst();
  for (; found.ok() && *found; found = (*cursor)->Next()) {
    if (!fn((*cursor)->key(), (*cursor)->value())) return Status::OK();
  }
  return found.status();
}

class LmdbJournal : public Journal {
 public:
  LmdbJournal(std::unique_ptr<LmdbEnv> env, MDB_dbi files, MDB_dbi parts, MDB_dbi meta,
              std::optional<MDB_dbi> renames, std::optional<MDB_dbi> pending_metadata)
      : env_(std::move(env)),
        files_(files),
        parts_(parts),
        meta_(meta),
        renames_(renames.value_or(0)),
        has_renames_(renames.has_value()),
        pending_metadata_(pending_metadata.value_or(0)),
        has_pending_metadata_(pending_metadata.has_value()) {}

  Result<uint64_t> AllocateFileId() override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    auto id = NextId(**txn);
    if (!id.ok()) return id.status();
    PARTFS_RETURN_IF_ERROR((*txn)->Commit());
    return id;
  }

  Status PutFileRetiringOthers(const FileRecord& record, std::vector<uint64_t>* retired) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR(
        RetireLocked(**txn, record.endpoint, record.bucket, record.key, record.file_id, retired));
    PARTFS_RETURN_IF_ERROR((*txn)->Put(files_, FileKey(record.file_id), EncodeFileRecord(record)));
    return (*txn)->Commit();
  }

  Status RetireKey(const std::string& endpoint, const std::string& bucket, const std::string& key,
                   std::vector<uint64_t>* retired) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR(RetireLocked(**txn, endpoint, bucket, key, 0, retired));
    return (*txn)->Commit();
  }

  Result<uint64_t> BeginRename(const RenameRecord& rename,
                               const std::vector<uint64_t>& keep_key) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    auto pending = RecordsOfRenameSource(**txn, rename);
    if (!pending.ok()) return pending.status();
    for (const auto& file : *pending) {
      if (std::find(keep_key.begin(), keep_key.end(), file.file_id) != keep_key.end()) continue;
      if (!file.upload_id.empty() || file.upload_intent_at != 0) {
        // A multipart upload belongs to its key and cannot follow the rename.
        return Status::Busy("'" + rename.from +
                            "' has an unfinished multipart upload in the cache; "
                            "rename it once that upload completes");
      }
    }
    auto id = NextId(**txn);
    if (!id.ok()) return id.status();
    RenameRecord record = rename;
    record.id = *id;
    if (!record.prefix) {
      PARTFS_RETURN_IF_ERROR(
          DropRenamesOfLocked(**txn, record.endpoint, record.bucket, record.from));
      PARTFS_RETURN_IF_ERROR(DropRenamesOfLocked(**txn, record.endpoint, record.bucket, record.to));
    }
    PARTFS_RETURN_IF_ERROR((*txn)->Put(renames_, FileKey(record.id), EncodeRenameRecord(record)));
    PARTFS_RETURN_IF_ERROR((*txn)->Commit());
    return record.id;
  }

  Status CommitRename(const RenameRecord& rename, const std::vector<uint64_t>& keep_key,
                      std::vector<uint64_t>* retired) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    if (!rename.prefix) {
      PARTFS_RETURN_IF_ERROR(RetireLocked(**txn, rename.endpoint, rename.bucket, rename.to, 0,
                                          retired, /*drop_renames=*/false));
    }
    // Pending versions of the source follow it to its new name.
    auto moved = RecordsOfRenameSource(**txn, rename);
    if (!moved.ok()) return moved.status();
    for (auto& file : *moved) {
      if (std::find(keep_key.begin(), keep_key.end(), file.file_id) != keep_key.end()) continue;
      if (!file.upload_id.empty() || file.upload_intent_at != 0) continue;  // checked at Begin
      file.key = rename.to + file.key.substr(rename.prefix ? rename.from.size() : file.key.size());
      PARTFS_RETURN_IF_ERROR((*txn)->Put(files_, FileKey(file.file_id), EncodeFileRecord(file)));
    }
    return (*txn)->Commit();
  }

  Status EndRename(uint64_t rename_id) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR((*txn)->Delete(renames_, FileKey(rename_id)));
    return (*txn)->Commit();
  }

  Status Health() const override { return env_->broken(); }

  Status PutPendingMetadata(const PendingMetadataRecord& record) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR((*txn)->Put(
        pending_metadata_, PendingMetadataKey(record.endpoint, record.bucket, record.key),
        EncodePendingMetadata(record)));
    return (*txn)->Commit();
  }

  Status DropPendingMetadata(const std::string& endpoint, const std::string& bucket,
                             const std::string& key) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR(
        (*txn)->Delete(pending_metadata_, PendingMetadataKey(endpoint, bucket, key)));
    return (*txn)->Commit();
  }

  Result<std::vector<PendingMetadataRecord>> ListPendingMetadata() override {
    if (!has_pending_metadata_) return std::vector<PendingMetadataRecord>{};
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    std::vector<PendingMetadataRecord> records;
    PARTFS_RETURN_IF_ERROR(
        ScanDb(**txn, pending_metadata_, [&](std::string_view, std::string_view value) {
          auto record = DecodePendingMetadata(value);
          if (record.ok()) records.push_back(std::move(*record));  // damaged: never applied
          return true;
        }));
    return records;
  }

  Result<std::vector<RenameRecord>> ListRenames() override {
    if (!has_renames_) return std::vector<RenameRecord>{};
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    std::vector<RenameRecord> renames;
    Status damaged;
    PARTFS_RETURN_IF_ERROR(ScanDb(**txn, renames_, [&](std::string_view, std::string_view value) {
      auto record = DecodeRenameRecord(value);
      if (!record.ok()) damaged = record.status();
      if (record.ok()) renames.push_back(std::move(*record));
      return record.ok();
    }));
    if (!damaged.ok()) return damaged;
    return renames;
  }

  Status PutFile(const FileRecord& record) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    // A retired record stays retired: a writer's late update must not bring it back.
    if (record.state != UploadState::kRetired) {
      auto existing = (*txn)->Get(files_, FileKey(record.file_id));
      if (!existing.ok()) return existing.status();
      if (existing->has_value()) {
        auto decoded = DecodeFileRecord(**existing);
        if (decoded.ok() && decoded->state == UploadState::kRetired) {
          return RetiredStatus();
        }
      }
    }
    PARTFS_RETURN_IF_ERROR((*txn)->Put(files_, FileKey(record.file_id), EncodeFileRecord(record)));
    return (*txn)->Commit();
  }

  Result<FileRecord> GetFile(uint64_t file_id) override {
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    auto value = (*txn)->Get(files_, FileKey(file_id));
    if (!value.ok()) return value.status();
    if (!value->has_value()) {
      return Status::NotFound("journal has no file " + std::to_string(file_id));
    }
    return DecodeFileRecord(**value);
  }

  Status DeleteFile(uint64_t file_id) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR((*txn)->Delete(files_, FileKey(file_id)));
    {
      auto cursor = LmdbCursor::Open(**txn, parts_);
      if (!cursor.ok()) return cursor.status();
      std::string prefix = FileKey(file_id);
      auto found = (*cursor)->Seek(prefix);
      while (found.ok() && *found && (*cursor)->key().substr(0, 8) == prefix) {
        PARTFS_RETURN_IF_ERROR((*cursor)->DeleteCurrent());
        // After a delete the cursor already points at the following entry.
        found = (*cursor)->Seek(prefix);
      }
      if (!found.ok()) return found.status();
    }
    return (*txn)->Commit();
  }

  Status PutPart(uint64_t file_id, const PartRecord& part) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR(
        (*txn)->Put(parts_, PartKey(file_id, part.number), EncodePartRecord(part)));
    return (*txn)->Commit();
  }

  Status DeletePartsFrom(uint64_t file_id, uint32_t first) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    {
      // The cursor is closed before the commit (a write transaction's commit frees it).
      auto cursor = LmdbCursor::Open(**txn, parts_);
      if (!cursor.ok()) return cursor.status();
      const std::string start = PartKey(file_id, first);
      const std::string prefix = FileKey(file_id);
      auto found = (*cursor)->Seek(start);
      while (found.ok() && *found && (*cursor)->key().substr(0, 8) == prefix) {
        PARTFS_RETURN_IF_ERROR((*cursor)->DeleteCurrent());
        found = (*cursor)->Seek(start);  // a delete leaves the cursor on the next entry
      }
      if (!found.ok()) return found.status();
    }
    return (*txn)->Commit();
  }

  Status DeletePart(uint64_t file_id, uint32_t number) override {
    auto txn = Write();
    if (!txn.ok()) return txn.status();
    PARTFS_RETURN_IF_ERROR((*txn)->Delete(parts_, PartKey(file_id, number)));
    return (*txn)->Commit();
  }

  Result<std::vector<PartRecord>> GetParts(uint64_t file_id) override {
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    auto cursor = LmdbCursor::Open(**txn, parts_);
    if (!cursor.ok()) return cursor.status();
    std::vector<PartRecord> parts;
    std::string prefix = FileKey(file_id);
    auto found = (*cursor)->Seek(prefix);
    for (; found.ok() && *found; found = (*cursor)->Next()) {
      uint64_t id = 0;
      uint32_t number = 0;
      PARTFS_RETURN_IF_ERROR(ParsePartKey((*cursor)->key(), &id, &number));
      if (id != file_id) break;
      auto part = DecodePartRecord((*cursor)->value());
      if (!part.ok()) return part.status();
      if (part->number != number) {
        return Status::Corruption("journal part record " + std::to_string(number) + " of file " +
                                  std::to_string(file_id) + " holds part " +
                                  std::to_string(part->number));
      }
      parts.push_back(std::move(*part));
    }
    if (!found.ok()) return found.status();
    return parts;
  }

  Result<std::vector<FileRecord>> ListFiles() override {
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    std::vector<FileRecord> files;
    PARTFS_RETURN_IF_ERROR(ScanDb(**txn, files_, [&](std::string_view, std::string_view value) {
      auto record = DecodeFileRecord(value);
      if (record.ok()) files.push_back(std::move(*record));  // else set aside: CorruptFileIds
      return true;
    }));
    return files;
  }

  Result<std::vector<uint64_t>> CorruptFileIds() override {
    auto txn = LmdbTxn::Begin(*env_, true);
    if (!txn.ok()) return txn.status();
    std::vector<uint64_t> ids;
    PARTFS_RETURN_IF_ERROR(ScanDb(**txn, files_, [&](std::string_view key, std::string_view value) {
      if (DecodeFileRecord(value).ok()) return true;
      auto id = ParseFileKey(key);
      ids.push_back(id.ok() ? *id : 0);
      return true;
    }));
    return ids;
  }

 private:
  Result<uint64_t> NextId(LmdbTxn& txn) {
    auto current = txn.Get(meta_, kNextFileIdKey);
    if (!current.ok()) return current.status();
    uint64_t id = 1;
    if (current->has_value()) {
      auto decoded = DecodeU64(**current);
      if (!decoded.ok()) return decoded.status();
      id = *decoded;
    }
    PARTFS_RETURN_IF_ERROR(txn.Put(meta_, kNextFileIdKey, EncodeU64(id + 1)));
    return id;
  }

  // The readable, unretired records of endpoint/bucket/key except `skip_id`.
  Result<std::vector<FileRecord>> RecordsOfKey(LmdbTxn& txn, const std::string& endpoint,
                                               const std::string& bucket, const std::string& key,
                                               uint64_t skip_id) {
    std::vector<FileRecord> records;
    PARTFS_RETURN_IF_ERROR(ScanDb(txn, files_, [&](std::string_view, std::string_view value) {
      auto record = DecodeFileRecord(value);
      if (record.ok() && record->file_id != skip_id && record->key == key &&
          record->bucket == bucket && record->endpoint == endpoint &&
          record->state != UploadState::kRetired) {
        records.push_back(std::move(*record));
      }
      return true;
    }));
    return records;
  }

  // Directory renames (RenameRecord::prefix): the records a rename moves are
  // those of its source key, or of every key under its source prefix.
  Result<std::vector<FileRecord>> RecordsOfRenameSource(LmdbTxn& txn, const RenameRecord& rename) {
    if (!rename.prefix) return RecordsOfKey(txn, rename.endpoint, rename.bucket, rename.from, 0);
    std::vector<FileRecord> records;
    PARTFS_RETURN_IF_ERROR(ScanDb(txn, files_, [&](std::string_view, std::string_view value) {
      auto record = DecodeFileRecord(value);
      if (record.ok() && record->key.compare(0, rename.from.size(), rename.from) == 0 &&
          record->bucket == rename.bucket && record->endpoint == rename.endpoint &&
          record->state != UploadState::kRetired) {
        records.push_back(std::move(*record));
      }
      return true;
    }));
    return records;
  }

  // Marks every readable record of endpoint/bucket/key except `keep_id` as
  // kRetired within `txn`.
  Status RetireLocked(LmdbTxn& txn, const std::string& endpoint, const std::string& bucket,
                      const std::string& key, uint64_t keep_id, std::vector<uint64_t>* retired,
                      bool drop_renames = true) {
    auto to_retire = RecordsOfKey(txn, endpoint, bucket, key, keep_id);
    if (!to_retire.ok()) return to_retire.status();
    for (auto& record : *to_retire) {
      record.state = UploadState::kRetired;
      PARTFS_RETURN_IF_ERROR(txn.Put(files_, FileKey(record.file_id), EncodeFileRecord(record)));
      if (retired != nullptr) retired->push_back(record.file_id);
    }
    return drop_renames ? DropRenamesOfLocked(txn, endpoint, bucket, key) : Status::OK();
  }

  // An unfinished rename from or onto `key` is superseded by a newer operation
  // on the key: rolling it forward later would undo that operation.
  Status DropRenamesOfLocked(LmdbTxn& txn, const std::string& endpoint, const std::string& bucket,
                             const std::string& key) {
    if (!has_renames_) return Status::OK();
    std::vector<uint64_t> stale;
    PARTFS_RETURN_IF_ERROR(ScanDb(txn, renames_, [&](std::string_view, std::string_view value) {
      auto rename = DecodeRenameRecord(value);
      if (rename.ok() && rename->endpoint == endpoint && rename->bucket == bucket &&
          (rename->from == key || rename->to == key)) {
        stale.push_back(rename->id);
      }
      return true;
    }));
    for (uint64_t id : stale) PARTFS_RETURN_IF_ERROR(txn.Delete(renames_, FileKey(id)));
    return Status::OK();
  }

  Result<std::unique_ptr<LmdbTxn>> Write() {
    if (env_->read_only()) return Status::PermissionDenied("journal is open read-only");
    return LmdbTxn::Begin(*env_, false);
  }

  std::unique_ptr<LmdbEnv> env_;
  MDB_dbi files_, parts_, meta_, renames_;
  bool has_renames_;  // false only for a read-only view of a version-1 journal
  MDB_dbi pending_metadata_;
  bool has_pending_metadata_;  // false only for a read-only view of an older journal
};

// Checks (or, on a new journal, writes) the schema version.
Status CheckSchema(LmdbTxn& txn, MDB_dbi meta, bool read_only) {
  auto value = txn.Get(meta, kSchemaVersionKey);
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    if (read_only) return Status::Corruption("journal has no schema version");
    return txn.Put(meta, kSchemaVersionKey, EncodeU64(kSchemaVersion));
  }
  auto version = DecodeU64(**value);
  if (!version.ok()) return version.status();
  if (*version == 1 && !read_only)
    return txn.Put(meta, kSchemaVersionKey, EncodeU64(kSchemaVersion));
  if (*version != kSchemaVersion && !(read_only && *version == 1)) {
    return Status::NotSupported("journal schema version " + std::to_string(*version) +
                                " is not supported (expected " + std::to_string(kSchemaVersion) +
                                ")");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Journal>> Journal::Open(const std::string& dir, bool read_only) {
  if (!read_only && mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::FromErrno(errno, "create journal directory " + dir);
  }
  if (read_only) {
    struct stat st;
    if (stat((dir + "/data.mdb").c_str(), &st) != 0) {
      return Status::FromErrno(errno, "open journal " + dir);
    }
  }
  auto env = LmdbEnv::Open(dir, read_only, kMapSize, 8);
  if (!env.ok()) return env.status();
  auto txn = LmdbTxn::Begin(**env, read_only);
  if (!txn.ok()) return txn.status();
  auto files = (*txn)->OpenDb(kFilesDb, !read_only);
  if (!files.ok()) return files.status().WithContext(dir);
  auto parts = (*txn)->OpenDb(kPartsDb, !read_only);
  if (!parts.ok()) return parts.status().WithContext(dir);
  auto meta = (*txn)->OpenDb(kMetaDb, !read_only);
  if (!meta.ok()) return meta.status().WithContext(dir);
  // A read-only open of a version-1 journal has no renames DB: use an empty view.
  auto renames = (*txn)->OpenDb(kRenamesDb, !read_only);
  if (!renames.ok() && !(read_only && renames.status().IsNotFound())) {
    return renames.status().WithContext(dir);
  }
  auto pending_metadata = (*txn)->OpenDb(kPendingMetadataDb, !read_only);
  if (!pending_metadata.ok() && !(read_only && pending_metadata.status().IsNotFound())) {
    return pending_metadata.status().WithContext(dir);
  }
  PARTFS_RETURN_IF_ERROR(CheckSchema(**txn, *meta, read_only).WithContext(dir));
  // Committing makes the handles usable by later transactions.
  PARTFS_RETURN_IF_ERROR((*txn)->Commit());
  return std::unique_ptr<Journal>(new LmdbJournal(
      std::move(*env), *files, *parts, *meta,
      renames.ok() ? std::optional<MDB_dbi>(*renames) : std::nullopt,
      pending_metadata.ok() ? std::optional<MDB_dbi>(*pending_metadata) : std::nullopt));
}

}  // namespace partfs
