// RecoveryResumeCases: the crash-recovery tests that run on every store, written
// once (recovery_resume_cases.cc) and instantiated by each tier with its
// backend: the unit tier on the fake store, the integration tier on the local
// S3 server. A tier instantiates them with
//   INSTANTIATE_TEST_SUITE_P(Tier, RecoveryResumeCases,
//                            ::testing::Values(RecoveryBackendParam{"Name", &MakeBackend}),
//                            RecoveryBackendName);
// and links tests/shared/recovery_resume_cases.cc into its binary.
#ifndef PARTFS_TESTS_SHARED_RECOVERY_RESUME_CASES_H_
#define PARTFS_TESTS_SHARED_RECOVERY_RESUME_CASES_H_

#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "tests/support/recovery_fixture.h"

namespace partfs::testing {

struct RecoveryBackendParam {
  const char* name;  // the instance's name in the test name
  RecoveryBackendFactory make;
};
// gtest prints a parameter in test names and failures: its name, not its bytes.
inline void PrintTo(const RecoveryBackendParam& c, std::ostream* os) { *os << c.name; }

inline std::string RecoveryBackendName(const ::testing::TestParamInfo<RecoveryBackendParam>& info) {
  return info.param.name;
}

class RecoveryResumeCases : public RecoveryTestBase,
                            public ::testing::WithParamInterface<RecoveryBackendParam> {
 protected:
  RecoveryResumeCases() : RecoveryTestBase(GetParam().make()) {}

  // Every part uploaded and journaled by a writer in `state`: only Complete is left.
  void CheckEveryPartUploaded(UploadState state, const std::string& key, uint32_t seed);
  // The crash came between Complete and dropping the record of a writer in `state`.
  void CheckCompletedButNotJournaled(UploadState state, const std::string& key, uint32_t seed);
};

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SHARED_RECOVERY_RESUME_CASES_H_
