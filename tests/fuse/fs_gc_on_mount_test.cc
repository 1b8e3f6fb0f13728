// Fuse test of -o gc_on_mount: a mount aborts orphan multipart uploads under
// its prefix in the background, and leaves uploads outside the prefix alone.
#include <chrono>
#include <string>
#include <thread>

#include "gtest/gtest.h"
#include "tests/fuse/resume_support.h"
#include "tests/support/mount_fixture.h"

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

TEST(FsGcOnMountTest, AbortsOrphanUploadsUnderThePrefixOnly) {
  MountSpec spec;
  spec.prefix = "/sub";
  spec.options = {"gc_on_mount=1s"};
  Mount mount(spec);
  ObjectStore& store = mount.store();
  auto orphan = store.CreateMultipartUpload("sub/dir/orphan", {});
  ASSERT_TRUE(orphan.ok()) << orphan.status().ToString();
  auto outside = store.CreateMultipartUpload("other/keep", {});
  ASSERT_TRUE(outside.ok()) << outside.status().ToString();
  // Aborts the outside upload whatever the test's outcome.
  struct Cleanup {
    ObjectStore& store;
    std::string upload_id;
    ~Cleanup() { (void)store.AbortMultipartUpload("other/keep", upload_id); }
  } cleanup{store, *outside};

  std::this_thread::sleep_for(2200ms);  // older than 1 s (initiated has 1 s resolution)
  Status started = mount.Start();
  ASSERT_TRUE(started.ok()) << started.ToString();
  ASSERT_TRUE(testing::PollUntil(30s, [&] { return !UploadListed(store, "sub/", *orphan); }))
      << "orphan upload still listed\n"
      << mount.Log();
  ASSERT_TRUE(testing::PollUntil(10s, [&] {
    return mount.Log().find("gc_on_mount: ") != std::string::npos;
  })) << mount.Log();
  EXPECT_NE(mount.Log().find("1 aborted"), std::string::npos) << mount.Log();
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
