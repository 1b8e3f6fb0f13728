// The torture test's oracle can fail: TortureModel::Check flags every kind of
// wrong bucket state it is meant to catch (no server, no mount).
#include "tests/torture/torture_model.h"

#include <string>

#include "gtest/gtest.h"

namespace partfs::testing {
namespace {

std::string Content(const TortureModel& model, uint64_t version, uint64_t len) {
  std::string s(len, '\0');
  FillContent(model.FindVersion(version)->key, 0, s.data(), len);
  return s;
}

Found Present(std::string bytes) { return Found{true, std::move(bytes)}; }

OpRecord Write(uint64_t id, const std::string& name, uint64_t size) {
  OpRecord op;
  op.op_id = op.version = id;
  op.type = OpType::kWrite;
  op.name = name;
  op.size = size;
  op.acked_bytes = op.attempted_bytes = size;
  op.opened = true;
  return op;
}

class TortureModelTest : public ::testing::Test {
 protected:
  TortureModelTest() : model_(42, {"a", "b"}) {
    model_.AddVersion(1, "a", 3000);
    model_.Acknowledge(Write(1, "a", 3000));
  }
  TortureModel model_;
};

TEST_F(TortureModelTest, AcknowledgedStateMustBeExact) {
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 1, 3000))}}).empty());
  // A truncated object, a missing one, garbage, an unexpected object at "b".
  EXPECT_EQ(model_.Check({{"a", Present(Content(model_, 1, 2999))}}).size(), 1u);
  EXPECT_EQ(model_.Check({}).size(), 1u);
  auto garbage = model_.Check({{"a", Present(std::string(3000, 'x'))}});
  ASSERT_EQ(garbage.size(), 1u);
  EXPECT_NE(garbage[0].message.find("no version ever written"), std::string::npos)
      << garbage[0].message;
  EXPECT_EQ(model_
                .Check({{"a", Present(Content(model_, 1, 3000))},
                        {"b", Present(Content(model_, 1, 3000))}})
                .size(),
            1u);
}

TEST_F(TortureModelTest, InterruptedWriteKeepsAcceptedBytes) {
  model_.AddVersion(2, "a", 10000);
  OpRecord op = Write(2, "a", 10000);
  op.acked_bytes = 4096;
  op.attempted_bytes = 8192;
  op.stage = "write";
  model_.InFlight(op);
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 2, 4096))}}).empty());
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 2, 8192))}}).empty());
  // Fewer bytes than accepted, more than ever sent, or the old content.
  auto lost = model_.Check({{"a", Present(Content(model_, 2, 4095))}});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].message.find("accepted were lost"), std::string::npos) << lost[0].message;
  EXPECT_EQ(model_.Check({{"a", Present(Content(model_, 2, 8193))}}).size(), 1u);
  EXPECT_EQ(model_.Check({{"a", Present(Content(model_, 1, 3000))}}).size(), 1u);
}

TEST_F(TortureModelTest, InterruptedOpenMayLeaveOldOrEmpty) {
  model_.AddVersion(2, "a", 10000);
  OpRecord op = Write(2, "a", 10000);
  op.acked_bytes = op.attempted_bytes = 0;
  op.stage = "open";
  model_.InFlight(op);
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 1, 3000))}}).empty());
  EXPECT_TRUE(model_.Check({{"a", Present("")}}).empty());
  EXPECT_EQ(model_.Check({}).size(), 1u);  // "a" existed: absent is wrong
}

TEST_F(TortureModelTest, InterruptedRenameMustNotLoseTheContent) {
  OpRecord op;
  op.op_id = 2;
  op.type = OpType::kRename;
  op.name = "a";
  op.to = "b";
  op.stage = "rename";
  model_.InFlight(op);
  const Found whole = Present(Content(model_, 1, 3000));
  EXPECT_TRUE(model_.Check({{"a", whole}}).empty());
  EXPECT_TRUE(model_.Check({{"b", whole}}).empty());
  EXPECT_TRUE(model_.Check({{"a", whole}, {"b", whole}}).empty());
  auto vanished = model_.Check({});
  ASSERT_EQ(vanished.size(), 1u);
  EXPECT_NE(vanished[0].message.find("at neither name"), std::string::npos);
}

TEST_F(TortureModelTest, InterruptedUnlinkMayLeaveEither) {
  OpRecord op;
  op.op_id = 2;
  op.type = OpType::kUnlink;
  op.name = "a";
  op.stage = "unlink";
  model_.InFlight(op);
  EXPECT_TRUE(model_.Check({}).empty());
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 1, 3000))}}).empty());
  EXPECT_EQ(model_.Check({{"a", Present(Content(model_, 1, 100))}}).size(), 1u);
}

TEST_F(TortureModelTest, WriteAfterTheCrashMustWinOverRecovery) {
  model_.AddVersion(2, "a", 10000);
  OpRecord interrupted = Write(2, "a", 10000);
  interrupted.acked_bytes = interrupted.attempted_bytes = 10000;
  interrupted.stage = "close";
  model_.InFlight(interrupted);
  ASSERT_TRUE(model_.OnlyWritesInFlight("a"));
  model_.AddVersion(3, "a", 500);
  OpRecord rewrite = Write(3, "a", 500);
  rewrite.after_crash = true;
  model_.AcknowledgeAfterCrash(rewrite);
  EXPECT_TRUE(model_.Check({{"a", Present(Content(model_, 3, 500))}}).empty());
  // Recovery completing the interrupted write last would be a lost update.
  auto lost = model_.Check({{"a", Present(Content(model_, 2, 10000))}});
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_NE(lost[0].message.find("superseded after the crash"), std::string::npos)
      << lost[0].message;
}

}  // namespace
}  // namespace partfs::testing
