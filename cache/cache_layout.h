// CacheLayout: where things live inside a cache directory.
//
//   <cache_dir>/            0700
//     LOCK                  flock()ed by the mount that owns the directory
//     journal/              the LMDB environment (data.mdb, lock.mdb)
//     files/<id>/part-<n>   part files (0600) of the file with journal id <id>
//     lost+found/<id>/      part files of uploads that could not be completed, kept for the
//     operator
//
// Pure path arithmetic; thread-compatible.
#ifndef PARTFS_CACHE_CACHE_LAYOUT_H_
#define PARTFS_CACHE_CACHE_LAYOUT_H_

#include <cstdint>
#include <string>

namespace partfs {

class CacheLayout {
 public:
  explicit CacheLayout(std::string cache_dir) : root_(std::move(cache_dir)) {}

  const std::string& root() const { return root_; }
  std::string LockFile() const { return root_ + "/LOCK"; }
  std::string JournalDir() const { return root_ + "/journal"; }
  // The running mount's metrics snapshot (fs/metrics_snapshot_file.h).
  std::string MetricsFile() const { return root_ + "/metrics"; }
  std::string FilesDir() const { return root_ + "/files"; }
  std::string FileDir(uint64_t file_id) const { return FilesDir() + "/" + std::to_string(file_id); }
  std::string PartPath(uint64_t file_id, uint32_t part_number) const {
    return FileDir(file_id) + "/part-" + std::to_string(part_number);
  }
  std::string LostFoundDir() const { return root_ + "/lost+found"; }
  std::string LostFoundFileDir(uint64_t file_id) const {
    return LostFoundDir() + "/" + std::to_string(file_id);
  }

 private:
  std::string root_;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_CACHE_LAYOUT_H_
