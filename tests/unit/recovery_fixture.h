// The recovery fixture of the unit tier: RecoveryTestBase on the in-memory
// fake store (FakeRecoveryBackend), with the fake at hand as `fake_` for
// fault injection and direct checks.
#ifndef PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_
#define PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_

#include <memory>
#include <string>

#include "tests/support/fake_object_store.h"
#include "tests/support/recovery_fixture.h"

namespace partfs::testing {

inline constexpr char kRecEndpoint[] = "http://127.0.0.1:9";
inline constexpr char kRecBucket[] = "recovery-bucket";

// The fake store; every UploadPart it receives counts as a request.
class FakeRecoveryBackend : public RecoveryBackend {
 public:
  ObjectStore& Store() override { return fake; }
  std::string Endpoint() const override { return kRecEndpoint; }
  std::string Bucket() const override { return kRecBucket; }
  int UploadPartRequests(int /*at_least*/) override {
    return fake.Calls(FakeObjectStore::Op::kUploadPart);
  }

  FakeObjectStore fake;
};

inline std::unique_ptr<RecoveryBackend> MakeFakeRecoveryBackend() {
  return std::make_unique<FakeRecoveryBackend>();
}

class RecoveryFixture : public RecoveryTestBase {
 protected:
  RecoveryFixture() : RecoveryFixture(new FakeRecoveryBackend) {}

 private:
  // The base owns `backend` from its first member on; `fake_` refers into it.
  explicit RecoveryFixture(FakeRecoveryBackend* backend)
      : RecoveryTestBase(std::unique_ptr<RecoveryBackend>(backend)), fake_(backend->fake) {}

 protected:
  FakeObjectStore& fake_;
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_UNIT_RECOVERY_FIXTURE_H_
