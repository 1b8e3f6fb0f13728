#include "tests/support/fake_object_store.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include "transfer/hashing.h"

namespace partfs::testing {
namespace {

int64_t Now() { return static_cast<int64_t>(time(nullptr)); }

Status RemoteError(Status::Code code, int http, const std::string& remote, std::string msg) {
  return Status::Remote(code, http, remote, std::move(msg));
}

Status NoSuchUpload(const std::string& upload_id) {
  return RemoteError(Status::Code::kNotFound, 404, "NoSuchUpload",
                     "upload " + upload_id + " does not exist");
}

Status CheckMd5(const std::string& data, const std::string& content_md5_base64) {
  if (content_md5_base64.empty() || ContentMd5(data) == content_md5_base64) return Status::OK();
  return RemoteError(Status::Code::kInvalidArgument, 400, "BadDigest",
                     "Content-MD5 does not match the body");
}

}  // namespace

void FakeObjectStore::FailOperation(Op op, Status status, int count) {
  MutexLock lock(&mu_);
  op_faults_[static_cast<uint32_t>(op)] = Fault{std::move(status), count};
}

void FakeObjectStore::FailPart(uint32_t part_number, Status status, int count) {
  MutexLock lock(&mu_);
  part_faults_[part_number] = Fault{std::move(status), count};
}

void FakeObjectStore::ClearFaults() {
  MutexLock lock(&mu_);
  op_faults_.clear();
  part_faults_.clear();
}

void FakeObjectStore::SetUploadPartDelay(std::chrono::milliseconds delay) {
  MutexLock lock(&mu_);
  upload_delay_ = delay;
}

void FakeObjectStore::SetListObjectsTokens(std::vector<std::string> tokens) {
  MutexLock lock(&mu_);
  list_tokens_ = std::move(tokens);
  next_list_token_ = 0;
}

int FakeObjectStore::Calls(Op op) const {
  MutexLock lock(&mu_);
  auto it = calls_.find(static_cast<uint32_t>(op));
  return it == calls_.end() ? 0 : it->second;
}

int FakeObjectStore::MaxConcurrentUploads() const {
  MutexLock lock(&mu_);
  return max_concurrent_uploads_;
}

std::optional<std::string> FakeObjectStore::ObjectData(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.data;
}

std::optional<UserMetadata> FakeObjectStore::ObjectMetadata(const std::string& key) const {
  MutexLock lock(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) return std::nullopt;
  return it->second.metadata;
}

size_t FakeObjectStore::OpenUploads() const {
  MutexLock lock(&mu_);
  return uploads_.size();
}

std::vector<uint32_t> FakeObjectStore::UploadedParts(const std::string& upload_id) const {
  MutexLock lock(&mu_);
  std::vector<uint32_t> numbers;
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end()) return numbers;
  for (const auto& [number, part] : it->second.parts) numbers.push_back(number);
  return numbers;
}

Status FakeObjectStore::TakeFault(std::map<uint32_t, Fault>& faults, uint32_t key) {
  auto it = faults.find(key);
  if (it == faults.end()) return Status::OK();
  Status status = it->second.status;
  if (it->second.remaining > 0 && --it->second.remaining == 0) faults.erase(it);
  return status;
}

Status FakeObjectStore::Enter(Op op) {
  ++calls_[static_cast<uint32_t>(op)];
  return TakeFault(op_faults_, static_cast<uint32_t>(op));
}

Result<std::string> FakeObjectStore::ReadRange(const FileRange& body) {
  std::string data(body.length, '\0');
  uint64_t done = 0;
  while (done < body.length) {
    ssize_t n = pread(body.fd, data.data() + done, body.length - done,
                      static_cast<off_t>(body.offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "fake store read body");
    if (n == 0) return Status::IOError("fake store: body shorter than its FileRange");
    done += static_cast<uint64_t>(n);
  }
  return data;
}

Result<ObjectInfo> FakeObjectStore::HeadObject(const std::string& key) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kHeadObject));
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no object " + key);
  ObjectInfo info;
  info.size = it->second.data.size();
  info.etag = it->second.etag;
  info.last_modified = it->second.last_modified;
  info.user_metadata = it->second.metadata;
  return info;
}

Result<uint64_t> FakeObjectStore::GetObject(const std::string& key, uint64_t offset,
                                            uint64_t length, char* buf) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kGetObject));
  auto it = objects_.find(key);
  if (it == objects_.end()) return Status::NotFound("no object " + key);
  const std::string& data = it->second.data;
  if (offset >= data.size()) return uint64_t{0};
  uint64_t n = std::min<uint64_t>(length, data.size() - offset);
  std::copy_n(data.data() + offset, n, buf);
  return n;
}

Result<std::string> FakeObjectStore::PutObject(const std::string& key, const FileRange& body,
                                               const UserMetadata& metadata,
                                               const std::string& content_md5_base64) {
  auto data = ReadRange(body);
  if (!data.ok()) return data.status();
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kPutObject));
  PARTFS_RETURN_IF_ERROR(CheckMd5(*data, content_md5_base64));
  std::string etag = HexEncode(Md5(*data));
  objects_[key] = Object{std::move(*data), etag, metadata, Now()};
  return etag;
}

Result<std::string> FakeObjectStore::PutObjectFromString(const std::string& key,
                                                         const std::string& data,
                                                         const UserMetadata& metadata) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kPutObject));
  std::string etag = HexEncode(Md5(data));
  objects_[key] = Object{data, etag, metadata, Now()};
  return etag;
}

Status FakeObjectStore::DeleteObject(const std::string& key) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kDeleteObject));
  objects_.erase(key);
  return Status::OK();
}

Result<std::vector<std::string>> FakeObjectStore::DeleteObjects(
    const std::vector<std::string>& keys) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kDeleteObject));
  for (const auto& key : keys) objects_.erase(key);
  return std::vector<std::string>();
}

Result<ListObjectsPage> FakeObjectStore::ListObjects(const std::string& prefix,
                                                     const std::string& delimiter,
                                                     const std::string& continuation_token,
                                                     uint32_t max_keys) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kListObjects));
  ListObjectsPage page;
  uint32_t limit = max_keys == 0 ? 1000 : max_keys;
  for (auto it = objects_.upper_bound(continuation_token); it != objects_.end(); ++it) {
    const std::string& key = it->first;
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!delimiter.empty()) {
      size_t pos = key.find(delimiter, prefix.size());
      if (pos != std::string::npos) {
        std::string common = key.substr(0, pos + delimiter.size());
        if (page.common_prefixes.empty() || page.common_prefixes.back() != common) {
          page.common_prefixes.push_back(common);
        }
        continue;
      }
    }
    if (page.objects.size() == limit) {
      page.truncated = true;
      page.next_continuation_token = page.objects.back().key;
      break;
    }
    page.objects.push_back(
        ListedObject{key, it->second.data.size(), it->second.etag, it->second.last_modified});
  }
  if (!list_tokens_.empty()) {
    page.truncated = true;
    page.next_continuation_token = list_tokens_[next_list_token_++ % list_tokens_.size()];
  }
  return page;
}

Result<std::string> FakeObjectStore::CopyObject(const std::string& source_key,
                                                const std::string& dest_key,
                                                MetadataDirective directive,
                                                const UserMetadata& metadata) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kCopyObject));
  auto it = objects_.find(source_key);
  if (it == objects_.end()) return Status::NotFound("no object " + source_key);
  Object copy = it->second;
  if (directive == MetadataDirective::kReplace) copy.metadata = metadata;
  copy.last_modified = Now();
  objects_[dest_key] = copy;
  return copy.etag;
}

Result<std::string> FakeObjectStore::CreateMultipartUpload(const std::string& key,
                                                           const UserMetadata& metadata) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kCreateMultipartUpload));
  std::string id = "upload-" + std::to_string(next_upload_++);
  uploads_[id] = Upload{key, metadata, {}, Now()};
  return id;
}

Result<std::string> FakeObjectStore::UploadPart(const std::string& key,
                                                const std::string& upload_id, uint32_t part_number,
                                                const FileRange& body,
                                                const std::string& content_md5_base64) {
  std::chrono::milliseconds delay;
  {
    MutexLock lock(&mu_);
    PARTFS_RETURN_IF_ERROR(Enter(Op::kUploadPart));
    PARTFS_RETURN_IF_ERROR(TakeFault(part_faults_, part_number));
    delay = upload_delay_;
    max_concurrent_uploads_ = std::max(max_concurrent_uploads_, ++concurrent_uploads_);
  }
  if (delay.count() > 0) std::this_thread::sleep_for(delay);
  auto data = ReadRange(body);
  MutexLock lock(&mu_);
  --concurrent_uploads_;
  if (!data.ok()) return data.status();
  PARTFS_RETURN_IF_ERROR(CheckMd5(*data, content_md5_base64));
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) return NoSuchUpload(upload_id);
  if (part_number < 1 || part_number > 10000) {
    return RemoteError(Status::Code::kInvalidArgument, 400, "InvalidArgument",
                       "part number out of range");
  }
  std::string md5 = Md5(*data);
  std::string etag = HexEncode(md5);
  it->second.parts[part_number] = StoredPart{std::move(*data), etag, md5, Now()};
  return etag;
}

Result<std::string> FakeObjectStore::UploadPartCopy(const std::string& key,
                                                    const std::string& upload_id,
                                                    uint32_t part_number,
                                                    const std::string& source_key, uint64_t first,
                                                    uint64_t last) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kUploadPart));
  auto src = objects_.find(source_key);
  if (src == objects_.end()) return Status::NotFound("no object " + source_key);
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) return NoSuchUpload(upload_id);
  if (first > last || last >= src->second.data.size()) {
    return Status::InvalidArgument("copy range out of bounds");
  }
  std::string data = src->second.data.substr(first, last - first + 1);
  std::string md5 = Md5(data);
  std::string etag = HexEncode(md5);
  it->second.parts[part_number] = StoredPart{std::move(data), etag, md5, Now()};
  return etag;
}

Result<std::string> FakeObjectStore::CompleteMultipartUpload(
    const std::string& key, const std::string& upload_id, const std::vector<CompletedPart>& parts,
    const std::string& expected_etag) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kCompleteMultipartUpload));
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) {
    // Like the real client: a retried Complete whose object already exists succeeds.
    auto obj = objects_.find(key);
    if (!expected_etag.empty() && obj != objects_.end() && obj->second.etag == expected_etag) {
      return obj->second.etag;
    }
    return NoSuchUpload(upload_id);
  }
  if (parts.empty()) {
    return RemoteError(Status::Code::kInvalidArgument, 400, "MalformedXML", "no parts");
  }
  std::string data;
  std::vector<std::string> md5s;
  uint32_t previous = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    const CompletedPart& p = parts[i];
    auto stored = it->second.parts.find(p.number);
    if (p.number <= previous) {
      return RemoteError(Status::Code::kInvalidArgument, 400, "InvalidPartOrder",
                         "parts not in ascending order");
    }
    previous = p.number;
    if (stored == it->second.parts.end() || stored->second.etag != p.etag) {
      return RemoteError(Status::Code::kInvalidArgument, 400, "InvalidPart",
                         "part " + std::to_string(p.number) + " not found or ETag mismatch");
    }
    if (i + 1 < parts.size() && stored->second.data.size() < min_part_size_) {
      return RemoteError(Status::Code::kInvalidArgument, 400, "EntityTooSmall",
                         "part " + std::to_string(p.number) + " is smaller than the minimum");
    }
    data += stored->second.data;
    md5s.push_back(stored->second.md5);
  }
  std::string etag = MultipartEtag(md5s);
  objects_[key] = Object{std::move(data), etag, it->second.metadata, Now()};
  uploads_.erase(it);
  return etag;
}

Status FakeObjectStore::AbortMultipartUpload(const std::string& key, const std::string& upload_id) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kAbortMultipartUpload));
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) return NoSuchUpload(upload_id);
  uploads_.erase(it);
  return Status::OK();
}

Result<ListPartsPage> FakeObjectStore::ListParts(const std::string& key,
                                                 const std::string& upload_id,
                                                 uint32_t part_number_marker, uint32_t max_parts) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kListParts));
  auto it = uploads_.find(upload_id);
  if (it == uploads_.end() || it->second.key != key) return NoSuchUpload(upload_id);
  ListPartsPage page;
  uint32_t limit = max_parts == 0 ? 1000 : max_parts;
  for (auto p = it->second.parts.upper_bound(part_number_marker); p != it->second.parts.end();
       ++p) {
    if (page.parts.size() == limit) {
      page.truncated = true;
      page.next_part_number_marker = page.parts.back().number;
      break;
    }
    page.parts.push_back(
        PartEntry{p->first, p->second.data.size(), p->second.etag, p->second.last_modified});
  }
  return page;
}

Result<ListUploadsPage> FakeObjectStore::ListMultipartUploads(const std::string& prefix,
                                                              const std::string& key_marker,
                                                              const std::string& upload_id_marker,
                                                              uint32_t max_uploads) {
  MutexLock lock(&mu_);
  PARTFS_RETURN_IF_ERROR(Enter(Op::kListMultipartUploads));
  std::vector<UploadEntry> all;
  for (const auto& [id, upload] : uploads_) {
    if (upload.key.compare(0, prefix.size(), prefix) == 0) {
      all.push_back(UploadEntry{upload.key, id, upload.initiated});
    }
  }
  std::sort(all.begin(), all.end(), [](const UploadEntry& a, const UploadEntry& b) {
    return a.key != b.key ? a.key < b.key : a.upload_id < b.upload_id;
  });
  ListUploadsPage page;
  uint32_t limit = max_uploads == 0 ? 1000 : max_uploads;
  for (const auto& u : all) {
    if (!key_marker.empty() &&
        (u.key < key_marker ||
         (u.key == key_marker && (upload_id_marker.empty() || u.upload_id <= upload_id_marker)))) {
      continue;
    }
    if (page.uploads.size() == limit) {
      page.truncated = true;
      page.next_key_marker = page.uploads.back().key;
      page.next_upload_id_marker = page.uploads.back().upload_id;
      break;
    }
    page.uploads.push_back(u);
  }
  return page;
}

}  // namespace partfs::testing
