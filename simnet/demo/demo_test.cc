#include "simnet/demo/demo.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace rtcsim::simnet {
namespace {

DemoOptions Short(uint64_t seed) {
  DemoOptions o;
  o.seed = seed;
  o.duration = TimeDelta::Seconds(20);
  return o;
}

TEST(Demo, SameSeedSameHashAndCapturesInOneProcess) {
  auto a = RunDemo(Short(1));
  auto b = RunDemo(Short(1));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->trace_hash, b->trace_hash);
  EXPECT_EQ(a->trace_events, b->trace_events);
  ASSERT_EQ(a->captures.size(), 9u);
  for (size_t i = 0; i < a->captures.size(); ++i) {
    EXPECT_GT(a->captures[i].second.size(), 1000u) << a->captures[i].first;
    EXPECT_TRUE(a->captures[i].second == b->captures[i].second) << a->captures[i].first;
  }
  auto c = RunDemo(Short(2));
  ASSERT_TRUE(c.ok());
  EXPECT_NE(a->trace_hash, c->trace_hash);
}

// What RFC 4787 predicts once everyone knows everyone's server-facing
// mapping: carol's address-and-port-dependent mapping gives every peer a new
// external port that her address-and-port-dependent filter has never sent to,
// so nobody reaches her; bob's port-dependent filter admits only the ports he
// has sent to, which carol's per-destination mapping never matches. The rest
// (endpoint-independent mappings, or address-dependent filtering behind the
// CGNAT, which admits carol's new ports from an address dave has sent to) connect.
TEST(Demo, HolePunchingOutcomeFollowsTheNatBehaviours) {
  auto r = RunDemo(Short(1));
  ASSERT_TRUE(r.ok()) << r.status();
  const std::set<std::string> blocked = {"alice->carol", "bob->carol", "dave->carol", "carol->bob"};
  ASSERT_EQ(r->pairs.size(), 12u);
  for (const DemoPair& p : r->pairs) {
    const std::string name = p.from + "->" + p.to;
    EXPECT_GT(p.sent, 500u) << name;
    if (blocked.contains(name)) {
      EXPECT_EQ(p.received, 0u) << name;
    } else {
      // Alice's Wi-Fi is down 3 s of the 20 and loses bursts besides.
      EXPECT_GT(p.received, p.sent * 6 / 10) << name;
    }
  }
  uint64_t filtered = 0;
  for (const auto& n : r->nats) filtered += n.filtered;
  EXPECT_GT(filtered, 1000u);
}

TEST(Demo, RejectsANonPositiveDuration) {
  DemoOptions o;
  o.duration = TimeDelta::Zero();
  EXPECT_EQ(RunDemo(o).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rtcsim::simnet
