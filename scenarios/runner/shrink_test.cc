#include "scenarios/runner/shrink.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "scenarios/runner/scenario_loader.h"

namespace rtcsim::scenarios {
namespace {

using ::testing::ElementsAre;

scenario::Scenario Parse(const std::string& text) {
  scenario::Scenario s;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &s));
  EXPECT_TRUE(BuildModel(s, "test").ok()) << BuildModel(s, "test").status();
  return s;
}

// Three peers, three calls, four events, channels and expectations.
constexpr char kThreePeers[] = R"pb(
  name: "three"
  duration_s: 20
  topology {
    host { name: "hx" address: "192.0.2.1" }
    host { name: "hy" address: "192.0.2.2" }
    host { name: "hz" address: "192.0.2.3" }
    link {
      from: "hx"
      to: "internet"
      params { delay_ms: 10 }
    }
    link {
      from: "hy"
      to: "internet"
      params { delay_ms: 10 }
    }
    link {
      from: "hz"
      to: "internet"
      params { delay_ms: 10 }
    }
  }
  peer {
    name: "x"
    host: "hx"
    data_channel {
      label: "a"
      traffic { count: 100 }
    }
    data_channel {
      label: "b"
      traffic { count: 10 both_directions: true }
    }
  }
  peer {
    name: "y"
    host: "hy"
    data_channel {
      label: "c"
      traffic { count: 8 }
    }
  }
  peer { name: "z" host: "hz" }
  call { offerer: "x" answerer: "y" }
  call { offerer: "y" answerer: "z" }
  call { offerer: "x" answerer: "z" at_ms: 100 }
  event {
    at_ms: 100
    link_change {
      link: "hx-internet"
      params { loss_percent: 5 }
    }
  }
  event { at_ms: 200 link_down: "hy-internet" }
  event { at_ms: 300 link_up: "hy-internet" }
  event { at_ms: 400 restart_ice: "z" }
  expect { connected_within_ms: 1000 }
  expect {
    peer: "y"
    messages { label: "a" min_delivered: 100 }
  }
  expect { peer: "z" no_errors: true }
)pb";

bool HasPeer(const scenario::Scenario& s, const std::string& name) {
  for (const auto& p : s.peer()) {
    if (p.name() == name) return true;
  }
  return false;
}

TEST(ShrinkTest, ReducesToWhatThePredicateNeeds) {
  const scenario::Scenario start = Parse(kThreePeers);
  int asked = 0;
  std::vector<std::string> invalid;
  const ShrinkResult r = Shrink(start, [&](const scenario::Scenario& s) {
    ++asked;
    if (auto m = BuildModel(s, "candidate"); !m.ok()) invalid.push_back(m.status().ToString());
    return HasPeer(s, "x") && s.event_size() >= 2;
  });
  EXPECT_TRUE(invalid.empty()) << invalid.front();
  EXPECT_EQ(r.runs, asked);
  EXPECT_FALSE(r.out_of_runs);
  ASSERT_TRUE(BuildModel(r.scenario, "result").ok()) << BuildModel(r.scenario, "result").status();
  // Exactly what the predicate needs, plus what any scenario needs: a call,
  // so a second peer.
  EXPECT_TRUE(HasPeer(r.scenario, "x"));
  EXPECT_EQ(r.scenario.event_size(), 2);
  EXPECT_EQ(r.scenario.peer_size(), 2);
  EXPECT_EQ(r.scenario.call_size(), 1);
  EXPECT_EQ(r.scenario.expect_size(), 0);
  for (const auto& p : r.scenario.peer()) EXPECT_EQ(p.data_channel_size(), 0) << p.name();
  EXPECT_LT(r.scenario.duration_s(), 2);
  EXPECT_GE(r.scenario.duration_s(), 1);
  EXPECT_EQ(ScenarioSize(r.scenario), "2 peers, 1 calls, 2 events, 0 messages, 1.25 s");
}

TEST(ShrinkTest, KeepsTheStartWhenNothingElseFails) {
  const scenario::Scenario start = Parse(kThreePeers);
  const ShrinkResult r = Shrink(start, [](const scenario::Scenario&) { return false; });
  EXPECT_EQ(r.steps, 0);
  EXPECT_GT(r.runs, 10);
  EXPECT_EQ(r.scenario.SerializeAsString(), start.SerializeAsString());
}

TEST(ShrinkTest, RemovingAPeerDropsItsCallsEventsAndExpectations) {
  const scenario::Scenario start = Parse(kThreePeers);
  // Fails while z is gone or... only the first candidate, removing x (which
  // leaves y→z), is accepted; then nothing else.
  bool first = true;
  ShrinkOptions options;
  std::vector<std::string> steps;
  options.on_step = [&](const std::string& step, const scenario::Scenario&, int) {
    steps.push_back(step);
  };
  const ShrinkResult r = Shrink(
      start,
      [&](const scenario::Scenario&) {
        const bool keep = first;
        first = false;
        return keep;
      },
      options);
  ASSERT_THAT(steps,
              ElementsAre("removed peer \"x\" (and 2 calls, 0 expectations, 0 events naming it)"));
  EXPECT_FALSE(HasPeer(r.scenario, "x"));
  EXPECT_EQ(r.scenario.call_size(), 1);
  EXPECT_EQ(r.scenario.event_size(), 4);

  // Removing z drops its expectation and its restart_ice event too.
  first = true;
  steps.clear();
  const ShrinkResult r2 = Shrink(
      start,
      [&](const scenario::Scenario& s) {
        return !HasPeer(s, "z") && HasPeer(s, "x") && HasPeer(s, "y") && s.event_size() == 3 &&
               s.expect_size() == 2 && s.call_size() == 1;
      },
      options);
  ASSERT_FALSE(steps.empty());
  EXPECT_EQ(steps[0], "removed peer \"z\" (and 2 calls, 1 expectations, 1 events naming it)");
  EXPECT_FALSE(HasPeer(r2.scenario, "z"));
}

// Groups: a PAIRS call between two groups of 4 only stays valid when both
// are halved together; halving one alone fails BuildModel and is skipped.
constexpr char kGroups[] = R"pb(
  name: "groups"
  topology {
    host { name: "ha" address: "10.0.0.2" count: 4 }
    host { name: "hb" address: "10.0.1.2" count: 4 }
    link { from: "ha" to: "internet" }
    link { from: "hb" to: "internet" }
  }
  peer {
    name: "pa"
    host: "ha"
    count: 4
    data_channel {
      label: "d"
      traffic { count: 3 }
    }
  }
  peer { name: "pb" host: "hb" count: 4 }
  call { offerer: "pa" answerer: "pb" pattern: PAIRS }
)pb";

TEST(ShrinkTest, HalvesGroupsAndSkipsInvalidCandidates) {
  const scenario::Scenario start = Parse(kGroups);
  EXPECT_EQ(ScenarioSize(start), "8 peers, 1 calls, 0 events, 12 messages, 30 s");
  std::vector<std::string> invalid;
  const ShrinkResult r = Shrink(start, [&](const scenario::Scenario& s) {
    if (auto m = BuildModel(s, "candidate"); !m.ok()) invalid.push_back(m.status().ToString());
    return s.peer_size() == 2 && s.peer(0).count() >= 2 && s.peer(1).count() >= 2;
  });
  EXPECT_TRUE(invalid.empty()) << invalid.front();
  EXPECT_GT(r.skipped, 0);  // pa or pb halved alone
  ASSERT_EQ(r.scenario.peer_size(), 2);
  EXPECT_EQ(r.scenario.peer(0).count(), 2);
  EXPECT_EQ(r.scenario.peer(1).count(), 2);
  EXPECT_EQ(r.scenario.topology().host(0).count(), 2);
  EXPECT_EQ(r.scenario.topology().host(1).count(), 2);
  EXPECT_TRUE(BuildModel(r.scenario, "result").ok());
}

TEST(ShrinkTest, StopsAtMaxRuns) {
  ShrinkOptions options;
  options.max_runs = 3;
  const ShrinkResult r = Shrink(
      Parse(kThreePeers), [](const scenario::Scenario&) { return true; }, options);
  EXPECT_EQ(r.runs, 3);
  EXPECT_EQ(r.steps, 3);
  EXPECT_TRUE(r.out_of_runs);
}

}  // namespace
}  // namespace rtcsim::scenarios
