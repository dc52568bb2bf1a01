#include "stack/env/random.h"

#include <set>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

TEST(Random, SameSeedSameSequence) {
  Random a(42), b(42), c(43);
  bool any_diff = false;
  for (int i = 0; i < 100; ++i) {
    uint64_t x = a.Next64();
    EXPECT_EQ(x, b.Next64());
    any_diff |= x != c.Next64();
  }
  EXPECT_TRUE(any_diff);
}

TEST(Random, KnownOutputIsStableAcrossBuilds) {
  // Pinned so that a change of generator (which would silently change every
  // recorded trace hash) fails here first.
  Random r(1);
  EXPECT_EQ(r.Next64(), 0xb3f2af6d0fc710c5ULL);
  EXPECT_EQ(StableHash(7, "alice/ice"), StableHash(7, "alice/ice"));
  EXPECT_NE(StableHash(7, "alice/ice"), StableHash(7, "bob/ice"));
  EXPECT_NE(StableHash(7, "alice/ice"), StableHash(8, "alice/ice"));
}

TEST(Random, DerivedStreamsAreIndependentOfEachOther) {
  Random a1 = Random::Derive(5, "a");
  Random b = Random::Derive(5, "b");
  b.Next64();
  Random a2 = Random::Derive(5, "a");
  EXPECT_EQ(a1.Next64(), a2.Next64());
}

TEST(Random, UniformStaysInRangeAndCoversIt) {
  Random r(3);
  std::set<uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    uint64_t v = r.Uniform(7);
    ASSERT_LT(v, 7u);
    seen.insert(v);
  }
  EXPECT_EQ(seen.size(), 7u);
  for (int i = 0; i < 1000; ++i) {
    int64_t v = r.UniformRange(-3, 3);
    ASSERT_GE(v, -3);
    ASSERT_LE(v, 3);
  }
}

TEST(Random, BernoulliMatchesProbability) {
  Random r(9);
  int hits = 0;
  const int n = 200000;
  for (int i = 0; i < n; ++i) hits += r.Bernoulli(Probability::FromDouble(0.25));
  // 0.25 ± 5 standard deviations (sd = sqrt(n p q) ≈ 194).
  EXPECT_NEAR(hits, n / 4, 5 * 194);
  EXPECT_FALSE(r.Bernoulli(Probability::Never()));
  EXPECT_TRUE(r.Bernoulli(Probability::Always()));
}

}  // namespace
}  // namespace rtcsim
