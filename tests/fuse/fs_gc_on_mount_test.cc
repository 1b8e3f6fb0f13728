// Fuse test of -o gc_on_mount: a mount runs gc over the uploads under its
// prefix in the background (uploads outside the prefix are not even looked at)
// and keeps orphans younger than the age, which is at least 1h (the safe floor;
// a lower age is refused at start, see fs_cli_test). Aborting old orphans is
// tested with a shifted clock in unit/recovery_gc_status_test and against the
// server in integration/recovery_resume_test.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/support/mount_fixture.h"
#include "tests/support/resume_support.h"

namespace partfs {
namespace {

using namespace std::chrono_literals;
using testing::Mount;
using testing::MountSpec;

// True while `upload_id` is listed under `prefix`.
bool UploadListed(ObjectStore& store, const std::string& prefix, const std::string& upload_id) {
  auto uploads = ListAllUploads(store, prefix);
  EXPECT_TRUE(uploads.ok()) << uploads.status().ToString();
  if (!uploads.ok()) return false;
  for (const auto& u : *uploads) {
    if (u.upload_id == upload_id) return true;
  }
  return false;
}

TEST(FsGcOnMountTest, KeepsOrphansYoungerThanTheAgeUnderThePrefixOnly) {
  MountSpec spec;
  spec.prefix = "/sub";
  spec.options = {"gc_on_mount=1h"};
  Mount mount(spec);
  ObjectStore& store = mount.store();
  auto orphan = store.CreateMultipartUpload("sub/dir/orphan", {});
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  auto outside = store.CreateMultipartUpload("other/keep", {});
  ASSERT_TRUE(outside.ok()) << outside.status().ToString();
  // Aborts both uploads whatever the test's outcome.
  struct Cleanup {
    ObjectStore& store;
    std::string orphan, outside;
    ~Cleanup() {
      (void)store.AbortMultipartUpload("sub/dir/orphan", orphan);
      (void)store.AbortMultipartUpload("other/keep", outside);
    }
  } cleanup{store, *orphan, *outside};

  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(testing::PollUntil(30s, [&] {
    return mount.Log().find("gc_on_mount: ") != std::string::npos;
  })) << mount.Log();
  const std::string log = mount.Log();
  EXPECT_NE(log.find("gc_on_mount: 1 upload(s) under " + mount.bucket() + "/sub/: 0 aborted"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("1 kept (younger than 1h00m)"), std::string::npos) << log;
  EXPECT_TRUE(UploadListed(store, "sub/", *orphan)) << "younger than 1h: kept";
  EXPECT_TRUE(UploadListed(store, "other/", *outside)) << "outside the prefix: kept";
}

TEST(FsGcOnMountTest, OffByDefault) {
  Mount mount;
  auto orphan = mount.store().CreateMultipartUpload("orphan", {});
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  std::this_thread::sleep_for(1200ms);
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  std::this_thread::sleep_for(1s);
  EXPECT_TRUE(UploadListed(mount.store(), "", *orphan));
  EXPECT_EQ(mount.Log().find("gc_on_mount"), std::string::npos) << mount.Log();
  (void)mount.store().AbortMultipartUpload("orphan", *orphan);
}

}  // namespace
}  // namespace partfs
