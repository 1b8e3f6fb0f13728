// Local side of crash recovery: what a file record's data looks like in the
// cache (journaled parts + part files), checked against the journal/part-file
// rules of docs/DESIGN.md, and moving an unrecoverable file to lost+found.
//
// Pure functions over the file system and a Journal snapshot; thread-safe as
// long as no other thread changes the same files/<id>/ directory.
#ifndef PARTFS_CACHE_RECOVERY_LOCAL_H_
#define PARTFS_CACHE_RECOVERY_LOCAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "cache/cache_layout.h"
#include "cache/journal.h"
#include "transfer/provider_profile.h"

namespace partfs {

// One part of a file as recovery sees it. A part is journaled (on the server
// as far as the journal knows) or only in a part file, sometimes both (crash
// between PutPart and unlink: the journal wins, the file is a stale copy).
struct LocalPart {
  uint32_t number = 0;
  uint64_t size = 0;
  bool journaled = false;
  PartRecord journal;     // valid when journaled
  std::string file_path;  // empty when there is no part file
  uint64_t file_size = 0;
  std::string md5;  // raw 16 bytes: the journal's, else computed from the file
};

struct LocalFile {
  std::vector<LocalPart> parts;  // parts 1..N in order
  uint64_t total_size = 0;
  uint32_t journaled_parts = 0;
  uint32_t file_parts = 0;    // parts that exist only as a part file
  uint64_t cached_bytes = 0;  // bytes in part files (stale copies included)
};

// Reads journal parts and files/<id>/part-<n> and checks the rules: parts
// 1..N all present, every non-last part exactly PartSize(n), the last no
// larger, the total not below record.size (the size last made durable by
// fsync). Damage -> Corruption naming the problem. Computes MD5s of part files
// only when `with_md5`.
Result<LocalFile> ScanLocalFile(const CacheLayout& layout, const FileRecord& record,
                                const std::vector<PartRecord>& journal_parts,
                                const ProviderProfile& profile, bool with_md5);

// Bytes held in <dir>/part-* (for `partfs status`); 0 when the dir is missing.
// `highest_part` (optional) gets the largest part number found, 0 if none.
uint64_t PartBytesInDir(const std::string& dir, uint32_t* part_files,
                        uint32_t* highest_part = nullptr);

// Raw MD5 of a whole file, streamed.
Result<std::string> Md5OfPartFile(const std::string& path, uint64_t* size);

// Moves files/<id>/ to lost+found/<id>/ (merging into an existing one), writes
// lost+found/<id>/RECORD.txt describing the record and `problem`, and fsyncs.
// Never deletes anything. Returns the lost+found directory.
Result<std::string> MoveToLostFound(const CacheLayout& layout, const FileRecord& record,
                                    const std::vector<PartRecord>& journal_parts,
                                    const std::string& problem);

// Removes files/<id>/ and what is in it (after the object is complete).
Status RemoveFileDir(const CacheLayout& layout, uint64_t file_id);

}  // namespace partfs

#endif  // PARTFS_CACHE_RECOVERY_LOCAL_H_
