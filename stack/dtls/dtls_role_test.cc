#include "stack/dtls/dtls_role.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::dtls {
namespace {

using ::testing::HasSubstr;

struct RoleCase {
  DtlsSetup offer;
  DtlsSetup answer;
  // Resulting roles, or ok = false for a forbidden combination.
  bool ok;
  DtlsRole offerer;
  DtlsRole answerer;
};

// RFC 4145 §4 and RFC 8842 §5: the full offer x answer table.
TEST(DtlsRoleTest, ResolvesEveryCombination) {
  using S = DtlsSetup;
  using R = DtlsRole;
  const RoleCase cases[] = {
      {S::kActpass, S::kActive, true, R::kServer, R::kClient},  // the WebRTC norm
      {S::kActpass, S::kPassive, true, R::kClient, R::kServer},
      {S::kActpass, S::kActpass, false},
      {S::kActive, S::kPassive, true, R::kClient, R::kServer},  // legacy offers
      {S::kPassive, S::kActive, true, R::kServer, R::kClient},
      {S::kActive, S::kActive, false},
      {S::kPassive, S::kPassive, false},
      {S::kActive, S::kActpass, false},
      {S::kHoldconn, S::kActive, false},
      {S::kActpass, S::kHoldconn, false},
  };
  for (const RoleCase& c : cases) {
    SCOPED_TRACE(ToString(c.offer) + " / " + ToString(c.answer));
    auto offerer = ResolveDtlsRole(c.offer, c.answer, /*is_offerer=*/true);
    auto answerer = ResolveDtlsRole(c.answer, c.offer, /*is_offerer=*/false);
    ASSERT_EQ(offerer.ok(), c.ok);
    ASSERT_EQ(answerer.ok(), c.ok);
    if (!c.ok) {
      EXPECT_EQ(offerer.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_EQ(offerer.status(), answerer.status());
      continue;
    }
    EXPECT_EQ(*offerer, c.offerer);
    EXPECT_EQ(*answerer, c.answerer);
  }
}

TEST(DtlsRoleTest, ErrorsNameBothValues) {
  auto r = ResolveDtlsRole(DtlsSetup::kActive, DtlsSetup::kActive, true);
  EXPECT_EQ(r.status().message(),
            "a=setup: offer active, answer active: both sides cannot take the same role");
  r = ResolveDtlsRole(DtlsSetup::kActpass, DtlsSetup::kActpass, false);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("must be active or passive"));
}

TEST(DtlsRoleTest, ParsesSetupValues) {
  EXPECT_EQ(*ParseDtlsSetup("actpass"), DtlsSetup::kActpass);
  EXPECT_EQ(*ParseDtlsSetup("ACTIVE"), DtlsSetup::kActive);
  EXPECT_EQ(*ParseDtlsSetup(" passive"), DtlsSetup::kPassive);
  EXPECT_EQ(*ParseDtlsSetup("holdconn"), DtlsSetup::kHoldconn);
  EXPECT_EQ(ParseDtlsSetup("server").status().message(),
            "a=setup: unknown value \"server\" (expected active, passive, actpass or holdconn)");
  EXPECT_EQ(ToString(DtlsRole::kClient), "client");
}

}  // namespace
}  // namespace rtcsim::dtls
