#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

TEST(Abseil, StatusOrAndStrCat) {
  absl::StatusOr<int> v = absl::InvalidArgumentError(absl::StrCat("bad ", 42));
  EXPECT_EQ(v.status().message(), "bad 42");
}
