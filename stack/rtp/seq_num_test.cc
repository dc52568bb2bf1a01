#include "stack/rtp/seq_num.h"

#include <cstdint>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim::rtp {
namespace {

TEST(SeqNum, ArithmeticWraps) {
  EXPECT_EQ(SeqNum(65535) + 1, SeqNum(0));
  EXPECT_EQ(SeqNum(0) - 1, SeqNum(65535));
  EXPECT_EQ(SeqNum(10) + 70000, SeqNum(static_cast<uint16_t>(10 + 70000)));
  SeqNum s(65535);
  ++s;
  EXPECT_EQ(s, SeqNum(0));
}

TEST(SeqNum, DeltaIsShortestWayRound) {
  struct Case {
    uint16_t a, b;
    int delta;
  };
  for (const Case& c : std::vector<Case>{
           {5, 5, 0},
           {6, 5, 1},
           {5, 6, -1},
           {2, 65534, 4},
           {65534, 2, -4},
           {0, 65535, 1},
           {65535, 0, -1},
           {32767, 0, 32767},
           {0, 32767, -32767},
           {32768, 0, -32768},  // half the circle: ambiguous
           {0, 32768, -32768},
           {40000, 7232, -32768},
       }) {
    EXPECT_EQ(SeqNumDelta(SeqNum(c.a), SeqNum(c.b)), c.delta) << c.a << " - " << c.b;
  }
}

TEST(SeqNum, IsNewerIsWrapAwareAndAntisymmetric) {
  EXPECT_TRUE(IsNewer(SeqNum(1), SeqNum(0)));
  EXPECT_FALSE(IsNewer(SeqNum(0), SeqNum(1)));
  EXPECT_TRUE(IsNewer(SeqNum(0), SeqNum(65535)));
  EXPECT_TRUE(IsNewer(SeqNum(100), SeqNum(65000)));
  EXPECT_FALSE(IsNewer(SeqNum(65000), SeqNum(100)));
  EXPECT_FALSE(IsNewer(SeqNum(7), SeqNum(7)));
  // Exactly half apart: neither is newer.
  EXPECT_FALSE(IsNewer(SeqNum(32768), SeqNum(0)));
  EXPECT_FALSE(IsNewer(SeqNum(0), SeqNum(32768)));
  // Exhaustive antisymmetry against a few anchors.
  for (uint16_t anchor : {uint16_t{0}, uint16_t{1}, uint16_t{32767}, uint16_t{65535}}) {
    for (uint32_t v = 0; v < 65536; ++v) {
      const SeqNum a(static_cast<uint16_t>(v)), b(anchor);
      ASSERT_FALSE(IsNewer(a, b) && IsNewer(b, a)) << v << " vs " << anchor;
    }
  }
}

TEST(ExtendedSeqNum, Fields) {
  const ExtendedSeqNum e = ExtendedSeqNum::FromRoc(2, SeqNum(5));
  EXPECT_EQ(e.value(), 2 * 65536 + 5);
  EXPECT_EQ(e.rollover_count(), 2);
  EXPECT_EQ(e.seq(), SeqNum(5));
  EXPECT_EQ(e.ToReportField(), 0x00020005u);
  EXPECT_EQ(e.ToString(), "131077 (roc 2, seq 5)");
  const ExtendedSeqNum neg(-1);
  EXPECT_EQ(neg.rollover_count(), -1);
  EXPECT_EQ(neg.seq(), SeqNum(65535));
  EXPECT_LT(neg, ExtendedSeqNum(0));
  EXPECT_EQ(ExtendedSeqNum(10) - ExtendedSeqNum(3), 7);
  // ROC is 32 bits in SRTP; the extended value holds all of it.
  EXPECT_EQ(ExtendedSeqNum::FromRoc(0xFFFFFFFF, SeqNum(0xFFFF)).value(), (int64_t{1} << 48) - 1);
}

TEST(Unwrap, PicksClosestExtension) {
  const ExtendedSeqNum ref = ExtendedSeqNum::FromRoc(3, SeqNum(65530));
  EXPECT_EQ(Unwrap(SeqNum(2), ref), ExtendedSeqNum::FromRoc(4, SeqNum(2)));
  EXPECT_EQ(Unwrap(SeqNum(65520), ref), ExtendedSeqNum::FromRoc(3, SeqNum(65520)));
  const ExtendedSeqNum early = ExtendedSeqNum::FromRoc(3, SeqNum(4));
  EXPECT_EQ(Unwrap(SeqNum(65534), early), ExtendedSeqNum::FromRoc(2, SeqNum(65534)));
  // Half the circle ahead counts as behind.
  EXPECT_EQ(Unwrap(SeqNum(32768), ExtendedSeqNum(0)), ExtendedSeqNum(-32768));
  EXPECT_EQ(Unwrap(SeqNum(32767), ExtendedSeqNum(0)), ExtendedSeqNum(32767));
}

TEST(SeqNumUnwrapper, FollowsWrapsReorderingAndGaps) {
  SeqNumUnwrapper u;
  EXPECT_FALSE(u.highest().has_value());
  EXPECT_EQ(u.Unwrap(SeqNum(65533)).value(), 65533);
  EXPECT_EQ(u.Unwrap(SeqNum(65535)).value(), 65535);
  EXPECT_EQ(u.Unwrap(SeqNum(0)).value(), 65536);
  EXPECT_EQ(u.Unwrap(SeqNum(65534)).value(), 65534);  // late, before the wrap
  EXPECT_EQ(u.Unwrap(SeqNum(1)).value(), 65537);
  EXPECT_EQ(u.highest()->value(), 65537);
  // A gap of up to half the space still moves forward.
  EXPECT_EQ(u.Unwrap(SeqNum(30000)).value(), 65536 + 30000);
  EXPECT_EQ(u.Unwrap(SeqNum(62767)).value(), 65536 + 62767);
  EXPECT_EQ(u.highest()->rollover_count(), 1);
}

TEST(SeqNumUnwrapper, LateBurstDoesNotMoveReferenceBack) {
  SeqNumUnwrapper u;
  u.Unwrap(SeqNum(40000));
  // Many late packets, each older than the last: the reference stays at the
  // highest, so 40001 after them is still the next packet, not a cycle on.
  for (int i = 1; i <= 30000; ++i) u.Unwrap(SeqNum(static_cast<uint16_t>(40000 - i)));
  EXPECT_EQ(u.Unwrap(SeqNum(40001)).value(), 40001);
}

TEST(SeqNumUnwrapper, OlderThanFirstGoesNegative) {
  SeqNumUnwrapper u;
  EXPECT_EQ(u.Unwrap(SeqNum(3)).value(), 3);
  const ExtendedSeqNum e = u.Unwrap(SeqNum(65535));
  EXPECT_EQ(e.value(), -1);
  EXPECT_EQ(u.highest()->value(), 3);
  u.Reset();
  EXPECT_EQ(u.Unwrap(SeqNum(65535)).value(), 65535);
}

TEST(SeqNumUnwrapper, ManyCyclesInOrder) {
  SeqNumUnwrapper u;
  SeqNum s(100);
  int64_t expected = 100;
  for (int i = 0; i < 5 * 65536; i += 7) {
    ASSERT_EQ(u.Unwrap(s).value(), expected);
    s = s + 7;
    expected += 7;
  }
  EXPECT_EQ(u.highest()->rollover_count(), (expected - 7) >> 16);
}

}  // namespace
}  // namespace rtcsim::rtp
