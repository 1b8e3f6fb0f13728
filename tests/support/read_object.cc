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

Result<std::string> ReadObject(const FakeObjectStore& fake, const std::string& key) {
  auto data = fake.ObjectData(key);
  if (!data) return Status::NotFound("no object " + key);
  return *data;
}

namespace {

std::string OrError(Result<std::string> data) {
  return data.ok() ? *data : "<missing: " + data.status().ToString() + ">";
}

}  // namespace

std::string ReadObjectOrError(ObjectStore& store, const std::string& key) {
  return OrError(ReadObject(store, key));
}

std::string ReadObjectOrError(const FakeObjectStore& fake, const std::string& key) {
  return OrError(ReadObject(fake, key));
}

}  // namespace partfs::testing
