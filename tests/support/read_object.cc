#include "tests/support/read_object.h"

namespace partfs::testing {

Result<std::string> ReadObject(ObjectStore& store, const std::string& key) {
  auto info = store.HeadObject(key);
  if (!info.ok()) return info.status();
  std::string data(info->size, '\0');
  uint64_t done = 0;
  while (done < data.size()) {
    auto n = store.GetObject(key, done, data.size() - done, data.data() + done);
    if (!n.ok()) return n.status();
    if (*n == 0) return Status::IOError("short object: " + key);
    done += *n;
  }
  return data;
}

std::string ReadObjectOrError(ObjectStore& store, const std::string& key) {
  auto data = ReadObject(store, key);
  return data.ok() ? *data : "<missing: " + data.status().ToString() + ">";
}

}  // namespace partfs::testing
