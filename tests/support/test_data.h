// Test data helpers shared by the unit and integration tiers: deterministic
// pseudo-random bytes, the captured responses in tests/data/, writing bytes to
// a file, and sending bytes as one part
// of a multipart upload (ObjectStore::UploadPart reads from a file descriptor).
// All functions are thread-compatible and own nothing past their return.
#ifndef PARTFS_TESTS_SUPPORT_TEST_DATA_H_
#define PARTFS_TESTS_SUPPORT_TEST_DATA_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "transfer/object_store.h"

namespace partfs::testing {

// `size` deterministic, non-repeating bytes (xorshift64); another `seed` gives
// other bytes.
std::string TestBytes(uint64_t size, uint32_t seed = 1);

// The contents of tests/data/`name` in the source tree; a (non-fatal) test
// failure when it is missing or empty.
std::string ReadTestData(const std::string& name);

// Writes `bytes` to `path` (created or truncated); fails the test on error.
void WriteBytesToFile(const std::string& path, const std::string& bytes);

// Uploads `bytes` as part `n` of `upload_id` through `store`, staging them in
// the scratch file `scratch_path` (removed afterwards). Returns the part's ETag.
Result<std::string> UploadPartBytes(ObjectStore& store, const std::string& key,
                                    const std::string& upload_id, uint32_t n,
                                    const std::string& bytes, const std::string& scratch_path);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_TEST_DATA_H_
