// ReadObject: the one way tests read a whole object's bytes back from an
// ObjectStore (the fake store, an S3 client on the local server, a wrapper).
// HEAD for the size, then ranged GETs until every byte arrived, so a store
// that returns short reads is read completely. Thread-compatible; owns nothing
// past its return.
#ifndef PARTFS_TESTS_SUPPORT_READ_OBJECT_H_
#define PARTFS_TESTS_SUPPORT_READ_OBJECT_H_

#include <string>

#include "base/status.h"
#include "tests/support/fake_object_store.h"
#include "transfer/object_store.h"

namespace partfs::testing {

// The bytes of `key`, or the status of the failed HEAD/GET (NotFound when
// there is no such object).
Result<std::string> ReadObject(ObjectStore& store, const std::string& key);
// The same for the fake store, read from its contents: not counted in its
// Calls() and past any injected fault, so reading does not change what a test
// observes. (Chosen over the ObjectStore& overload for a FakeObjectStore.)
Result<std::string> ReadObject(const FakeObjectStore& fake, const std::string& key);

// The bytes of `key`, or "<missing: STATUS>" when it cannot be read: for
// comparisons in EXPECT_EQ, where a readable message beats a failed Result.
std::string ReadObjectOrError(ObjectStore& store, const std::string& key);
std::string ReadObjectOrError(const FakeObjectStore& fake, const std::string& key);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_READ_OBJECT_H_
