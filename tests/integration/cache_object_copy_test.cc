// The multipart copy (cache/object_copy.h) on the local S3 server, with the
// single-request limit lowered to 5 MiB: a 12 MiB object copied in 3 parts,
// with its metadata, and onto itself with new metadata.
#include "cache/object_copy.h"

#include "tests/integration/transfer_test_fixture.h"
#include "tests/support/read_object.h"
#include "tests/support/test_data.h"

namespace partfs::testing {
namespace {

constexpr uint64_t kMiB = 1 << 20;

class CacheObjectCopyTest : public TransferBucketTest {};

TEST_F(CacheObjectCopyTest, MultipartCopyAboveALoweredLimit) {
  ProviderProfile profile = ProfileFor(Provider::kS3);
  profile.max_part_size = 5 * kMiB;
  const std::string data = TestBytes(12 * kMiB, 11);
  ASSERT_TRUE(store_->PutObjectFromString("src", data, {{"mode", "33188"}}).ok());

  auto etag = CopyObjectOfAnySize(*store_, profile, "src", data.size(), "dir/dst",
                                  MetadataDirective::kCopy, {}, 3);
  ASSERT_TRUE(etag.ok()) << etag.status().ToString();
  EXPECT_NE(etag->find("-3"), std::string::npos) << *etag << ": a 3-part multipart ETag";
  EXPECT_EQ(ReadObjectOrError(*store_, "dir/dst"), data);
  auto info = store_->HeadObject("dir/dst");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->user_metadata["mode"], "33188");

  ASSERT_TRUE(CopyObjectOfAnySize(*store_, profile, "src", data.size(), "src",
                                  MetadataDirective::kReplace, {{"mode", "33261"}}, 2)
                  .ok());
  info = store_->HeadObject("src");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->user_metadata["mode"], "33261");
  EXPECT_EQ(ReadObjectOrError(*store_, "src"), data);
  auto uploads = ListAllUploads(*store_, "");
  ASSERT_TRUE(uploads.ok());
  EXPECT_TRUE(uploads->empty());
}

}  // namespace
}  // namespace partfs::testing
