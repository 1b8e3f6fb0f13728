#include "cache/part_uploader.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "cache/upload_errors.h"
#include "transfer/hashing.h"

namespace partfs {

std::string NormalizeEtag(std::string_view quoted) {
  std::string etag = StripEtagQuotes(quoted);
  std::transform(etag.begin(), etag.end(), etag.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return etag;
}

PartUploader::PartUploader(Journal* journal, ObjectStore* store, Logger* logger)
    : journal_(journal), store_(store), logger_(logger != nullptr ? logger : Logger::Quiet()) {}

Result<PartRecord> PartUploader::Send(const UploadTarget& target, const PartSource& part) {
  auto etag = store_->UploadPart(target.key, target.upload_id, part.number,
                                 FileRange{part.fd, 0, part.size}, Base64Encode(part.md5));
  if (!etag.ok()) return etag.status().WithContext("UploadPart " + std::to_string(part.number));
  PartRecord record{part.number, part.size, NormalizeEtag(*etag), part.md5};
  PARTFS_RETURN_IF_ERROR(RecordUploaded(target.file_id, record, part.path));
  return record;
}

Status PartUploader::RecordUploaded(uint64_t file_id, const PartRecord& part,
                                    const std::string& path) {
  // Journal first, then unlink: a part is always on the server (journaled) or in the cache.
  PARTFS_RETURN_IF_ERROR(journal_->PutPart(file_id, part));
  RemovePartFile(path);
  return Status::OK();
}

void PartUploader::RemovePartFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    logger_->Warn(Status::FromErrno(errno, "remove part file " + path).ToString());
  }
}

Result<std::string> PartUploader::Complete(const UploadTarget& target,
                                           const std::vector<PartRecord>& parts, bool if_absent) {
  std::vector<CompletedPart> completed;
  std::vector<std::string> md5s;
  for (const PartRecord& part : parts) {
    const uint32_t expected = static_cast<uint32_t>(completed.size()) + 1;
    if (part.number != expected) return MissingPartError(expected, target.key);
    completed.push_back(CompletedPart{part.number, part.etag});
    md5s.push_back(part.md5);
  }
  const std::string expected = MultipartEtag(md5s);
  auto etag = if_absent ? store_->CompleteMultipartUploadIfAbsent(target.key, target.upload_id,
                                                                  completed, expected)
                        : store_->CompleteMultipartUpload(target.key, target.upload_id, completed,
                                                          expected);
  if (!etag.ok()) {
    return etag.status().WithContext("CompleteMultipartUpload of " + target.key + " (" +
                                     std::to_string(completed.size()) + " parts)");
  }
  if (NormalizeEtag(*etag) != expected) {
    logger_->Warn(UnexpectedCompletedEtag(target.key, *etag, expected).message());
  }
  return etag;
}

Status PartUploader::RecordCompleted(FileRecord record, const std::string& etag) {
  record.state = UploadState::kCompleted;
  record.completed_etag = etag;
  return journal_->PutFile(record);
}

}  // namespace partfs
