// TempDir: a directory under /tmp removed (recursively) when the object dies.
#ifndef PARTFS_TESTS_SUPPORT_TEMP_DIR_H_
#define PARTFS_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>

namespace partfs::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "partfs-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_TEMP_DIR_H_
