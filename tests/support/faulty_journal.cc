#include "tests/support/faulty_journal.h"

namespace partfs::testing {

void FaultyJournal::Fail(Method method, Status status, int count) {
  MutexLock lock(&mu_);
  faults_[method] = Fault{std::move(status), count};
}

void FaultyJournal::Clear() {
  MutexLock lock(&mu_);
  faults_.clear();
}

int FaultyJournal::Calls(Method method) const {
  MutexLock lock(&mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

Status FaultyJournal::Take(Method method) {
  MutexLock lock(&mu_);
  ++calls_[method];
  auto it = faults_.find(method);
  if (it == faults_.end() || it->second.left == 0) return Status::OK();
  if (it->second.left > 0) --it->second.left;
  return it->second.status;
}

Status FaultyJournal::PutFile(const FileRecord& record) {
  PARTFS_RETURN_IF_ERROR(Take(Method::kPutFile));
  return inner_->PutFile(record);
}

Status FaultyJournal::DeleteFile(uint64_t file_id) {
  PARTFS_RETURN_IF_ERROR(Take(Method::kDeleteFile));
  return inner_->DeleteFile(file_id);
}

Status FaultyJournal::PutPart(uint64_t file_id, const PartRecord& part) {
  PARTFS_RETURN_IF_ERROR(Take(Method::kPutPart));
  return inner_->PutPart(file_id, part);
}

Status FaultyJournal::RetireKey(const std::string& endpoint, const std::string& bucket,
                                const std::string& key, std::vector<uint64_t>* retired) {
  PARTFS_RETURN_IF_ERROR(Take(Method::kRetireKey));
  return inner_->RetireKey(endpoint, bucket, key, retired);
}

Result<uint64_t> FaultyJournal::BeginRename(const RenameRecord& rename,
                                            const std::vector<uint64_t>& keep_key) {
  Status injected = Take(Method::kBeginRename);
  if (!injected.ok()) return injected;
  return inner_->BeginRename(rename, keep_key);
}

Status FaultyJournal::EndRename(uint64_t rename_id) {
  PARTFS_RETURN_IF_ERROR(Take(Method::kEndRename));
  return inner_->EndRename(rename_id);
}

}  // namespace partfs::testing
