// FileWriterImpl: in-place changes, rewrites of earlier parts, truncation
// into them, and reads of the file while it is written.
//
// A part before the current one is "handed off": uploading, uploaded (kept as
// a clean copy while the budget has room, else only in the upload) or, for an
// in-place change, copied server-side from the base object. Writing into it
// brings it back as a local part file (durable first, then its journaled
// upload forgotten, so recovery sends the new bytes), sent again at Finish.
// Bytes only in an unfinished upload cannot be read back: NeedsCheckpoint.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <vector>

#include "cache/cache_dir.h"
#include "cache/file_writer_impl.h"

namespace partfs {

namespace {

constexpr uint64_t kFetchChunk = 4ull << 20;  // bounds the memory of a ranged GET

// The raw MD5 an ETag of a single-part object or part is, when it is one.
std::optional<std::string> RawMd5OfEtag(const std::string& etag) {
  if (etag.size() != 32) return std::nullopt;
  std::string raw(16, '\0');
  for (size_t i = 0; i < 16; ++i) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nibble(etag[2 * i]), lo = nibble(etag[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    raw[i] = static_cast<char>(hi << 4 | lo);
  }
  return raw;
}

// Reads up to `size` bytes at `offset` of `fd`; the rest of `buf` is zeros
// (a sparse or shorter part file holds zeros there).
Status PreadZeroFill(int fd, uint64_t offset, size_t size, char* buf) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::FromErrno(errno, "read of a part file");
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  std::memset(buf + done, 0, size - done);
  return Status::OK();
}

// Copies the first `size` bytes of `from` into `to` (at 0).
Status CopyPartBytes(int from, uint64_t size, PartFile& to) {
  std::vector<char> buf(std::min<uint64_t>(size, kFetchChunk));
  for (uint64_t done = 0; done < size;) {
    size_t len = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - done));
    PARTFS_RETURN_IF_ERROR(PreadZeroFill(from, done, len, buf.data()));
    PARTFS_RETURN_IF_ERROR(to.Write(done, buf.data(), len));
    done += len;
  }
  return Status::OK();
}

}  // namespace

Status FileWriterImpl::FetchBase(const std::string& key, uint64_t offset, uint64_t size,
                                 PartFile& file, uint64_t at) {
  std::vector<char> buf(std::min<uint64_t>(size, kFetchChunk));
  for (uint64_t done = 0; done < size;) {
    uint64_t len = std::min<uint64_t>(buf.size(), size - done);
    auto got = ctx_.store->GetObject(key, offset + done, len, buf.data());
    if (!got.ok()) return got.status().WithContext("reading " + key + " to change it");
    if (*got != len) {
      return Status::Corruption(key + " is shorter than when its change started: it was " +
                                "replaced by another client");
    }
    PARTFS_RETURN_IF_ERROR(file.Write(at + done, buf.data(), static_cast<size_t>(len)));
    done += len;
  }
  return Status::OK();
}

Status FileWriterImpl::LoadBase() {
  MutexLock op(&op_mu_);
  uint64_t base_size = 0;
  {
    MutexLock lock(&mu_);
    base_size = record_.base_size;
    base_key_ = record_.key;
    keep_uploaded_ = true;
  }
  // Parts wholly inside the base are copied by the server; the rest is read.
  uint32_t first_partial = 1;
  while (schedule_.PartStart(first_partial) + schedule_.PartSize(first_partial) <= base_size) {
    ++first_partial;
  }
  if (first_partial > 1) {
    PARTFS_RETURN_IF_ERROR(EnsureUpload());
    MutexLock lock(&mu_);
    for (uint32_t number = 1; number < first_partial; ++number) {
      while (in_flight_ >= ctx_.max_parts_in_flight) cv_.Wait();
      Part& part = parts_[number];
      part.size = schedule_.PartSize(number);
      part.from_base = true;
      part.state = PartState::kUploading;
      ++in_flight_;
      bool queued =
          ctx_.pool->Submit([this, number, key = record_.key, upload_id = record_.upload_id,
                             source = base_key_] { CopyJob(number, key, upload_id, source); });
      if (!queued) {
        part.state = PartState::kFailed;
        part.error = Status::Aborted("write cache is shutting down");
        --in_flight_;
      }
    }
  }
  PARTFS_RETURN_IF_ERROR(WaitForParts());
  cur_part_ = first_partial;
  cur_start_ = schedule_.PartStart(first_partial);
  cur_size_ = schedule_.PartSize(first_partial);
  if (base_size > cur_start_) {
    const uint64_t tail = base_size - cur_start_;
    PARTFS_RETURN_IF_ERROR(EnsureCurrentFile());
    PARTFS_RETURN_IF_ERROR(ctx_.budget->Reserve(tail));
    Status fetched = FetchBase(base_key_, cur_start_, tail, *cur_file_, 0);
    if (!fetched.ok()) {
      ctx_.budget->Release(tail - std::min(tail, cur_file_->size()));
      return fetched;
    }
  }
  {
    MutexLock lock(&mu_);
    size_ = base_size;
  }
  PARTFS_RETURN_IF_ERROR(SyncPartFiles());
  {
    MutexLock lock(&mu_);
    record_.size = base_size;
    record_.base_state = BaseState::kLoaded;
  }
  return PersistRecord();
}

void FileWriterImpl::CopyJob(uint32_t number, std::string key, std::string upload_id,
                             std::string source) {
  const uint64_t first = schedule_.PartStart(number);
  const uint64_t size = schedule_.PartSize(number);
  Result<PartRecord> copied = Status::IOError("unset");
  auto etag = ctx_.store->UploadPartCopy(key, upload_id, number, source, first, first + size - 1);
  if (!etag.ok()) {
    copied = etag.status().WithContext("UploadPartCopy " + std::to_string(number));
  } else if (auto md5 = RawMd5OfEtag(NormalizeEtag(*etag))) {
    PartRecord record{number, size, NormalizeEtag(*etag), *md5};
    Status journaled = ctx_.journal->PutPart(file_id_, record);
    copied = journaled.ok() ? Result<PartRecord>(record) : Result<PartRecord>(journaled);
  } else {
    // The server's part ETag is not an MD5 (the journal needs one): send the
    // bytes ourselves instead, through a part file.
    auto file = PartFile::Create(ctx_.layout.PartPath(file_id_, number));
    Status fetched = file.ok() ? FetchBase(source, first, size, **file, 0) : file.status();
    Result<std::string> digest = fetched.ok() ? (*file)->Md5() : Result<std::string>(fetched);
    copied = digest.ok()
                 ? uploader_.Send(UploadTarget{file_id_, key, upload_id},
                                  PartSource{number, (*file)->fd(), size, *digest, (*file)->path()})
                 : Result<PartRecord>(digest.status());
    if (!copied.ok() && file.ok()) (void)(*file)->Unlink();
  }
  if (!copied.ok()) {
    ctx_.logger->Error("copy of part " + std::to_string(number) + " of " + source + " for " + key +
                       " failed: " + copied.status().ToString());
  }
  MutexLock lock(&mu_);
  Part& part = parts_[number];
  if (copied.ok()) {
    part.state = PartState::kDone;
    part.uploaded = std::move(copied).value();
  } else {
    part.state = PartState::kFailed;
    part.error = copied.status();
  }
  --in_flight_;
  cv_.SignalAll();
}

void FileWriterImpl::DropKept(Part& part) {
  ctx_.budget->Release(part.size);
  part.file.reset();
  part.kept = false;
}

Result<std::shared_ptr<PartFile>> FileWriterImpl::BringBack(uint32_t number) {
  const uint64_t size = schedule_.PartSize(number);
  std::shared_ptr<PartFile> source;
  bool local = false;  // `source` is the part's own file (its upload failed)
  {
    MutexLock lock(&mu_);
    auto it = parts_.find(number);
    if (it == parts_.end()) {
      return Status::IOError("part " + std::to_string(number) + " of " + record_.key +
                             " is unknown");
    }
    while (it->second.state == PartState::kUploading) cv_.Wait();
    const Part& part = it->second;
    if (!part.file && !part.from_base) {
      return Status::NeedsCheckpoint("part " + std::to_string(number) + " of " + record_.key +
                                     " is only in its unfinished upload");
    }
    source = part.file;
    local = part.file && !part.kept && part.state == PartState::kFailed;
  }
  std::shared_ptr<PartFile> file;
  if (local) {
    file = source;  // still holds its budget: the failed upload never drained it
  } else {
    PARTFS_RETURN_IF_ERROR(ctx_.budget->Reserve(size));
    auto created = PartFile::Create(ctx_.layout.PartPath(file_id_, number));
    Status filled = created.status();
    if (created.ok()) {
      file = std::move(*created);
      filled = source ? CopyPartBytes(source->fd(), size, *file)
                      : FetchBase(base_key_, schedule_.PartStart(number), size, *file, 0);
    }
    // Durable before the journal forgets the upload: a part is always one or the other.
    if (filled.ok()) filled = file->Sync();
    if (filled.ok()) filled = SyncDir(ctx_.layout.FileDir(file_id_));
    if (!filled.ok()) {
      if (file) (void)file->Unlink();
      ctx_.budget->Release(size);
      return filled;
    }
  }
  PARTFS_RETURN_IF_ERROR(ctx_.journal->DeletePart(file_id_, number));
  {
    MutexLock lock(&mu_);
    Part& part = parts_[number];
    if (part.kept) DropKept(part);
    parts_.erase(number);
  }
  dirty_[number] = file;
  return file;
}

Status FileWriterImpl::WriteEarlier(uint32_t number, uint64_t in_part, const char* data,
                                    size_t size) {
  // An unlinked or replaced file's bytes die with it: accept and drop them.
  if (Retired()) return Status::OK();
  {
    MutexLock lock(&mu_);
    keep_uploaded_ = true;
  }
  std::shared_ptr<PartFile> file;
  if (auto it = dirty_.find(number); it != dirty_.end()) {
    file = it->second;
  } else {
    auto back = BringBack(number);
    if (!back.ok()) return back.status();
    file = std::move(back).value();
  }
  // Full-size already (every part before the current one is): no budget to reserve.
  return file->Write(in_part, data, size);
}

Status FileWriterImpl::ShrinkBelowCurrent(uint64_t size) {
  // The part holding the new last byte becomes the current part again.
  const uint32_t keep = size == 0 ? 1 : schedule_.PartForOffset(size - 1);
  const uint64_t keep_len = size - schedule_.PartStart(keep);
  std::shared_ptr<PartFile> file;
  if (auto it = dirty_.find(keep); it != dirty_.end()) {
    file = it->second;
  } else if (keep_len > 0 && !Retired()) {
    auto back = BringBack(keep);
    if (!back.ok()) return back.status();
    file = std::move(back).value();
  }
  dirty_.erase(keep);
  // The new size first (recovery's lower bound), then the parts it cuts off.
  bool persist = false;
  {
    MutexLock lock(&mu_);
    while (in_flight_ > 0) cv_.Wait();
    size_ = size;
    persist = size < record_.size;
    if (persist) record_.size = size;
  }
  if (persist) {
    Status persisted = PersistRecord();
    if (!persisted.ok() && !IsRetired(persisted)) return persisted;
  }
  PARTFS_RETURN_IF_ERROR(ctx_.journal->DeletePartsFrom(file_id_, keep));
  DropLocalParts(keep);  // `keep` itself left dirty_ above
  cur_part_ = keep;
  cur_start_ = schedule_.PartStart(keep);
  cur_size_ = schedule_.PartSize(keep);
  cur_file_ = std::move(file);
  if (cur_file_) return ResizeCurrent(keep_len);
  return Status::OK();
}

Status FileWriterImpl::ReadPart(uint32_t number, uint64_t in_part, size_t size, char* buf) {
  std::shared_ptr<PartFile> file;
  if (auto it = dirty_.find(number); it != dirty_.end()) {
    file = it->second;
  } else if (number == cur_part_ && cur_file_) {
    file = cur_file_;
  } else {
    bool from_base = false;
    {
      MutexLock lock(&mu_);
      keep_uploaded_ = true;
      // Not handed off (past the current part: grown by truncate) reads zeros.
      auto part = parts_.find(number);
      if (part != parts_.end()) {
        file = part->second.file;  // an upload in flight still has its file
        from_base = part->second.from_base;
        if (!file && !from_base) {
          return Status::NeedsCheckpoint("part " + std::to_string(number) + " of " + record_.key +
                                         " is only in its unfinished upload");
        }
      }
    }
    if (!file && from_base) {
      const uint64_t offset = schedule_.PartStart(number) + in_part;
      auto got = ctx_.store->GetObject(base_key_, offset, size, buf);
      if (!got.ok()) return got.status();
      std::memset(buf + *got, 0, size - *got);
      return Status::OK();
    }
  }
  if (!file) {
    std::memset(buf, 0, size);
    return Status::OK();
  }
  return PreadZeroFill(file->fd(), in_part, size, buf);
}

Result<size_t> FileWriterImpl::Read(uint64_t offset, size_t size, char* buf) {
  MutexLock op(&op_mu_);
  if (Finished()) {
    // Its local data may be gone already: the object holds every byte now.
    return Status::NeedsCheckpoint(Key() + " is complete: read the object");
  }
  {
    MutexLock lock(&mu_);
    keep_uploaded_ = true;  // a reader: parts uploaded from now on stay readable
  }
  uint64_t file_size = Size();
  if (offset >= file_size) return size_t{0};
  size = static_cast<size_t>(std::min<uint64_t>(size, file_size - offset));
  size_t done = 0;
  while (done < size) {
    const uint64_t at = offset + done;
    const uint32_t number = schedule_.PartForOffset(at);
    const uint64_t in_part = at - schedule_.PartStart(number);
    size_t len =
        static_cast<size_t>(std::min<uint64_t>(size - done, schedule_.PartSize(number) - in_part));
    // The part being filled ends at the file size (a failed gap write may leave more).
    PARTFS_RETURN_IF_ERROR(ReadPart(number, in_part, len, buf + done));
    done += len;
  }
  return done;
}

Status FileWriterImpl::HandOffDirty() {
  while (!dirty_.empty()) {
    auto it = dirty_.begin();
    const uint32_t number = it->first;
    std::shared_ptr<PartFile> file = it->second;
    PARTFS_RETURN_IF_ERROR(HandOff(number, file, schedule_.PartSize(number)));
    dirty_.erase(number);
  }
  return Status::OK();
}

}  // namespace partfs
