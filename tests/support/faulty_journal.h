// FaultyJournal: a Journal wrapper for unit tests that fails a chosen call
// (the next N calls of one method, or calls for one file id) with a chosen
// Status, leaving the wrapped journal untouched for those calls: the state a
// crash or an I/O error at that step leaves. Everything else passes through.
// Install it with CacheOptions::wrap_journal.
//
// Thread-safe.
#ifndef PARTFS_TESTS_SUPPORT_FAULTY_JOURNAL_H_
#define PARTFS_TESTS_SUPPORT_FAULTY_JOURNAL_H_

#include <map>
#include <memory>
#include <string>

#include "base/mutex.h"
#include "cache/journal.h"

namespace partfs::testing {

class FaultyJournal : public Journal {
 public:
  enum class Method { kPutFile, kDeleteFile, kPutPart, kRetireKey, kBeginRename, kEndRename };

  explicit FaultyJournal(std::unique_ptr<Journal> inner) : inner_(std::move(inner)) {}

  // The next `count` calls of `method` fail with `status` (count < 0: until cleared).
  void Fail(Method method, Status status, int count = 1);
  void Clear();
  int Calls(Method method) const;

  Result<uint64_t> AllocateFileId() override { return inner_->AllocateFileId(); }
  Status PutFile(const FileRecord& record) override;
  Result<FileRecord> GetFile(uint64_t file_id) override { return inner_->GetFile(file_id); }
  Status DeleteFile(uint64_t file_id) override;
  Status PutPart(uint64_t file_id, const PartRecord& part) override;
  Result<std::vector<PartRecord>> GetParts(uint64_t file_id) override {
    return inner_->GetParts(file_id);
  }
  Status DeletePartsFrom(uint64_t file_id, uint32_t first) override {
    return inner_->DeletePartsFrom(file_id, first);
  }
  Status DeletePart(uint64_t file_id, uint32_t number) override {
    return inner_->DeletePart(file_id, number);
  }
  Result<std::vector<FileRecord>> ListFiles() override { return inner_->ListFiles(); }
  Result<std::vector<uint64_t>> CorruptFileIds() override { return inner_->CorruptFileIds(); }
  Status PutFileRetiringOthers(const FileRecord& record, std::vector<uint64_t>* retired) override {
    return inner_->PutFileRetiringOthers(record, retired);
  }
  Status RetireKey(const std::string& endpoint, const std::string& bucket, const std::string& key,
                   std::vector<uint64_t>* retired) override;
  Result<uint64_t> BeginRename(const RenameRecord& rename,
                               const std::vector<uint64_t>& keep_key) override;
  Status CommitRename(const RenameRecord& rename, const std::vector<uint64_t>& keep_key,
                      std::vector<uint64_t>* retired) override {
    return inner_->CommitRename(rename, keep_key, retired);
  }
  Status EndRename(uint64_t rename_id) override;
  Result<std::vector<RenameRecord>> ListRenames() override { return inner_->ListRenames(); }
  Status Health() const override { return inner_->Health(); }
  Status PutPendingMetadata(const PendingMetadataRecord& record) override {
    return inner_->PutPendingMetadata(record);
  }
  Status DropPendingMetadata(const std::string& endpoint, const std::string& bucket,
                             const std::string& key) override {
    return inner_->DropPendingMetadata(endpoint, bucket, key);
  }
  Result<std::vector<PendingMetadataRecord>> ListPendingMetadata() override {
    return inner_->ListPendingMetadata();
  }

 private:
  // The injected failure for one call of `method`, or OK.
  Status Take(Method method);

  std::unique_ptr<Journal> inner_;
  mutable Mutex mu_;
  struct Fault {
    Status status;
    int left = 0;
  };
  std::map<Method, Fault> faults_ GUARDED_BY(mu_);
  std::map<Method, int> calls_ GUARDED_BY(mu_);
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_FAULTY_JOURNAL_H_
