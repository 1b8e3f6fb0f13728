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
  std::vector<LocalPart> parts;  // parts 1..N in order: the longest valid prefix
  uint64_t total_size = 0;
  uint32_t journaled_parts = 0;
  uint32_t file_parts = 0;    // parts that exist only as a part file
  uint64_t cached_bytes = 0;  // bytes in part files (stale copies included)
  // Part files after a gap or a short part (power loss beyond the last fsync):
  // not part of the object; recovery keeps them in lost+found.
  std::vector<uint32_t> fragments;
  std::string gap;  // why the prefix ends early; empty when it holds every part
};

// Reads journal parts and files/<id>/part-<n> and finds the longest valid
// prefix: parts 1..k each journaled or in a part file, every part but the last
// exactly PartSize(n), the last no larger. A missing part or a short part file
// ends the prefix; later part files become `fragments`. Damage -> Corruption
// naming the problem: a journaled part of the wrong size, a prefix shorter than
// record.size (the size last made durable by fsync), or, when the record's
// boot_id equals `boot_id` (no reboot since: the page cache kept every byte),
// a prefix shorter than record.accepted_size. Computes MD5s of part files only
// when `with_md5`.
Result<LocalFile> ScanLocalFile(const CacheLayout& layout, const FileRecord& record,
                                const std::vector<PartRecord>& journal_parts,
                                const ProviderProfile& profile, bool with_md5,
                                const std::string& boot_id = "");

// Moves the part files `parts` of files/<id>/ to lost+found/<id>/ (never
// overwriting) with a FRAGMENTS.txt saying why. Returns the directory. `now`
// (seconds since the epoch) names the copies of names already taken.
Result<std::string> MoveFragmentsToLostFound(const CacheLayout& layout, const FileRecord& record,
                                             const std::vector<uint32_t>& parts,
                                             const std::string& why, int64_t now);

// The kernel's boot id (/proc/sys/kernel/random/boot_id), "" if unknown.
std::string CurrentBootId();

// Bytes held in <dir>/part-* (for `partfs status`); 0 when the dir is missing.
// `highest_part` (optional) gets the largest part number found, 0 if none.
uint64_t PartBytesInDir(const std::string& dir, uint32_t* part_files,
                        uint32_t* highest_part = nullptr);

// Raw MD5 of a whole file, streamed.
Result<std::string> Md5OfPartFile(const std::string& path, uint64_t* size);

// Moves files/<id>/ to lost+found/<id>/ (merging into an existing one), writes
// lost+found/<id>/RECORD.txt describing the record and `problem` (moved at
// `now`, seconds since the epoch), and fsyncs.
// Never deletes anything. Returns the lost+found directory.
Result<std::string> MoveToLostFound(const CacheLayout& layout, const FileRecord& record,
                                    const std::vector<PartRecord>& journal_parts,
                                    const std::string& problem, int64_t now);

// Removes files/<id>/ and what is in it (after the object is complete).
Status RemoveFileDir(const CacheLayout& layout, uint64_t file_id);

}  // namespace partfs

#endif  // PARTFS_CACHE_RECOVERY_LOCAL_H_
