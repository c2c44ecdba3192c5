#include "core/base/error.h"

#include "gtest/gtest.h"

namespace parley {
namespace {

TEST(ErrorTest, KindTravelsWithTheStatus) {
  absl::Status s =
      Error(ErrorKind::kProtocol, absl::InvalidArgumentError("bad message"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bad message");
  EXPECT_EQ(KindOf(s), ErrorKind::kProtocol);
  EXPECT_FALSE(ErrorDetailOf(s).has_value());
  absl::Status copy = s;
  EXPECT_EQ(KindOf(copy), ErrorKind::kProtocol);
}

TEST(ErrorTest, DetailAndReplacement) {
  absl::Status s =
      Error(ErrorKind::kSendFailed, absl::UnavailableError("send: EPIPE"), 32);
  EXPECT_EQ(KindOf(s), ErrorKind::kSendFailed);
  ASSERT_TRUE(ErrorDetailOf(s).has_value());
  EXPECT_EQ(*ErrorDetailOf(s), 32);
  // A new kind replaces the old one and drops its detail.
  s = Error(ErrorKind::kDeadline, s);
  EXPECT_EQ(KindOf(s), ErrorKind::kDeadline);
  EXPECT_FALSE(ErrorDetailOf(s).has_value());
}

TEST(ErrorTest, DefaultKindOnlyWhenNone) {
  absl::Status plain = absl::InternalError("x");
  EXPECT_EQ(KindOf(plain), ErrorKind::kUnclassified);
  EXPECT_EQ(KindOf(WithDefaultKind(ErrorKind::kProtocol, plain)),
            ErrorKind::kProtocol);
  absl::Status typed = Error(ErrorKind::kCancelled, absl::CancelledError("c"));
  EXPECT_EQ(KindOf(WithDefaultKind(ErrorKind::kProtocol, typed)),
            ErrorKind::kCancelled);
  EXPECT_TRUE(Error(ErrorKind::kProtocol, absl::OkStatus()).ok());
}

TEST(ErrorTest, EveryKindHasAName) {
  for (int k = 0; k <= static_cast<int>(ErrorKind::kLast); ++k) {
    EXPECT_STRNE(ErrorKindName(static_cast<ErrorKind>(k)), "?") << k;
  }
}

}  // namespace
}  // namespace parley
