#include "scenarios/runner/scenario_loader.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::scenarios {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A small valid scenario; tests append or replace parts of it.
// (The "txt" delimiter keeps clang-format from reflowing the text: the
// tests check line and column numbers in it.)
constexpr char kTopology[] = R"txt(
topology {
  nat { name: "nat-a" public_address: "203.0.113.10" }
  host { name: "a" address: "10.0.1.2" }
  host { name: "b" address: "198.51.100.7" }
  link { name: "nat-a-up" from: "nat-a" to: "internet" params { delay_ms: 10 } }
  link { from: "a" to: "nat-a" }
  link { from: "b" to: "internet" }
  stun_server { name: "stun" address: "198.51.100.1" }
)txt";

constexpr char kPeers[] = R"txt(
peer { name: "alice" host: "a" ice_server { server: "stun" } }
peer { name: "bob" host: "b" }
call { offerer: "alice" answerer: "bob" }
)txt";

// The scenario with `topology` added inside the topology block and `extra`
// after everything.
std::string Valid(absl::string_view extra = "", absl::string_view topology = "") {
  return absl::StrCat(kTopology, topology, "\n}\n", kPeers, extra);
}
// Just more topology.
std::string WithTopology(absl::string_view topology) { return Valid("", topology); }

// The error message of loading `text` as "t.textproto".
std::string ErrorOf(absl::string_view text) {
  auto model = ParseScenarioText(text, "t.textproto");
  if (model.ok()) return "(loaded without error)";
  return std::string(model.status().message());
}

TEST(ScenarioLoader, LoadsAValidScenario) {
  auto model = ParseScenarioText(Valid(), "t.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  // Parents first: internet, then the NAT before the host behind it.
  ASSERT_EQ(model->nodes.size(), 5u);
  EXPECT_EQ(model->nodes[0].name, "internet");
  EXPECT_EQ(model->nodes[1].name, "nat-a");
  EXPECT_EQ(model->nodes[2].name, "a");
  EXPECT_EQ(model->nodes[2].parent, "nat-a");
  ASSERT_EQ(model->calls.size(), 1u);
  EXPECT_EQ(model->calls[0].name, "alice→bob");
  ASSERT_EQ(model->peers[0].ice_servers.size(), 1u);
  EXPECT_EQ(model->peers[0].ice_servers[0].address.ToString(), "198.51.100.1:3478");
  EXPECT_EQ(model->duration, TimeDelta::Seconds(30));
  EXPECT_EQ(model->signaling.delay, TimeDelta::Millis(50));
  EXPECT_TRUE(model->signaling.trickle);
}

TEST(ScenarioLoader, EveryExampleFileLoads) {
  auto model = LoadScenarioFile("scenarios/examples/default.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->name, "default");
  EXPECT_EQ(model->events.size(), 2u);
  EXPECT_EQ(model->expectations.size(), 7u);
}

// --- the error classes of the issue, each with file, line and column

TEST(ScenarioLoader, UnknownFieldNamesFileLineAndColumn) {
  const std::string text = "name: \"x\"\ntopology {\n  hots { name: \"a\" }\n}\n";
  EXPECT_EQ(ErrorOf(text),
            "t.textproto:3:8: Message type \"rtcsim.scenario.Topology\" has no field named "
            "\"hots\".");
}

TEST(ScenarioLoader, UnknownHostInALink) {
  std::string text = Valid();
  text.replace(text.find("from: \"a\" to: \"nat-a\""), 21, "from: \"a\" to: \"nat-z\"");
  // Line 6 of kTopology (it starts with a newline), at `to`.
  EXPECT_THAT(ErrorOf(text), HasSubstr("t.textproto:7:20: link \"\": unknown node \"nat-z\""));
  EXPECT_EQ(ErrorOf(text).find('\n'), std::string::npos) << ErrorOf(text);
}

TEST(ScenarioLoader, UnknownSourceNodeInALink) {
  const std::string text =
      WithTopology("link { name: \"stray\" from: \"ghost\" to: \"internet\" }");
  EXPECT_THAT(ErrorOf(text), HasSubstr("link \"stray\": unknown node \"ghost\""));
}

TEST(ScenarioLoader, LinkToNowhere) {
  const std::string text = WithTopology("link { name: \"dangling\" from: \"a\" }");
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("link \"dangling\" goes nowhere: it needs both `from` (the lower node) "
                        "and `to` (its parent)"));
}

TEST(ScenarioLoader, NodeWithoutALink) {
  const std::string text = WithTopology("host { name: \"lonely\" address: \"10.9.9.9\" }");
  EXPECT_THAT(ErrorOf(text), HasSubstr("host \"lonely\" has no link"));
}

TEST(ScenarioLoader, TwoLinksUpFromOneNode) {
  const std::string text = WithTopology("link { name: \"second\" from: \"a\" to: \"internet\" }");
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("node \"a\" already has a link up (\"a-nat-a\"); topologies are trees"));
}

TEST(ScenarioLoader, NegativeDelay) {
  std::string text = Valid();
  text.replace(text.find("delay_ms: 10"), 12, "delay_ms: -5");
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, HasSubstr("t.textproto:6:65: delay_ms"));
  // One error, not a cascade of "no link" errors after it.
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_THAT(error, HasSubstr("delay_ms must be in [0, 60000], got -5"));
}

TEST(ScenarioLoader, NegativeLossAndJitterAndTimes) {
  EXPECT_THAT(ErrorOf(Valid("event { at_ms: -1 link_down: \"nat-a-up\" }")),
              HasSubstr("at_ms must not be negative, got -1"));
  std::string text = Valid();
  text.replace(text.find("delay_ms: 10"), 12, "jitter_ms: -1 loss_percent: 101");
  EXPECT_THAT(ErrorOf(text), HasSubstr("jitter_ms must be in [0, 60000], got -1"));
  EXPECT_THAT(ErrorOf(text), HasSubstr("loss_percent must be in [0, 100], got 101"));
}

TEST(ScenarioLoader, DuplicateNamesPointAtBoth) {
  const std::string text = WithTopology("host { name: \"a\" address: \"10.0.1.3\" }");
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, HasSubstr("duplicate name \"a\" (first used at t.textproto:4:"));
}

TEST(ScenarioLoader, DuplicatePeersAndAddresses) {
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"bob\" host: \"a\" }")),
              HasSubstr("duplicate name \"bob\""));
  EXPECT_THAT(ErrorOf(WithTopology("host { name: \"c\" address: \"10.0.1.2\" } "
                                   "link { from: \"c\" to: \"nat-a\" }")),
              HasSubstr("address 10.0.1.2 is already used (at t.textproto:4:"));
}

TEST(ScenarioLoader, AllErrorsAreReportedInOneGo) {
  const std::string text = Valid(
      "call { offerer: \"nobody\" answerer: \"bob\" }"
      "expect { peer: \"carol\" connected_within_ms: 1 }",
      "link { name: \"l1\" from: \"ghost\" to: \"internet\" }");
  const std::string error = ErrorOf(text);
  EXPECT_THAT(error, HasSubstr("unknown node \"ghost\""));
  EXPECT_THAT(error, HasSubstr("call offerer: unknown peer \"nobody\""));
  EXPECT_THAT(error, HasSubstr("expectation: unknown peer \"carol\""));
}

TEST(ScenarioLoader, ReferencesThatDoNotResolve) {
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"carol\" host: \"nowhere\" }")),
              HasSubstr("peer \"carol\": unknown host \"nowhere\""));
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"carol\" host: \"nat-a\" }")),
              HasSubstr("\"nat-a\" is not a host"));
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"carol\" host: \"a\" ice_server { server: \"x\" } }")),
              HasSubstr("unknown STUN/TURN server \"x\""));
  EXPECT_THAT(ErrorOf(Valid("event { at_ms: 5 link_down: \"no-such-link\" }")),
              HasSubstr("unknown link \"no-such-link\""));
  EXPECT_THAT(ErrorOf(Valid("event { at_ms: 5 nat_reboot: \"a\" }")),
              HasSubstr("unknown NAT \"a\""));
  EXPECT_THAT(ErrorOf(WithTopology("link { from: \"stun\" to: \"a\" }")),
              HasSubstr("\"a\" is an end host and cannot be a parent"));
  EXPECT_THAT(
      ErrorOf(WithTopology("link { params { profile: \"5g\" } from: \"b\" to: \"nat-a\" }")),
      HasSubstr("unknown profile \"5g\""));
}

TEST(ScenarioLoader, SemanticMistakes) {
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"c\" host: \"a\" ice_transport_policy: RELAY }")),
              HasSubstr("relay policy without a TURN server"));
  EXPECT_THAT(ErrorOf(Valid("event { at_ms: 999000 link_down: \"nat-a-up\" }")),
              HasSubstr("is after the end of the run"));
  EXPECT_THAT(
      ErrorOf(Valid("duration_s: 5 call { offerer: \"bob\" answerer: \"alice\" at_ms: 6000 }")),
      HasSubstr("call bob→alice starts at 6000 ms, after the end of the run (duration 5000 ms)"));
  EXPECT_THAT(ErrorOf(Valid("call { offerer: \"bob\" answerer: \"bob\" }")),
              HasSubstr("peer \"bob\" cannot call itself"));
  EXPECT_THAT(ErrorOf(Valid("call { offerer: \"bob\" answerer: \"alice\" }")),
              HasSubstr("a second call between \"bob\" and \"alice\""));
  EXPECT_THAT(ErrorOf(Valid("expect { state_sequence { state: \"open\" } }")),
              HasSubstr("unknown connectionState \"open\""));
  EXPECT_THAT(ErrorOf(Valid("expect { peer: \"bob\" }")),
              HasSubstr("an expectation needs a check"));
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"c\" host: \"a\" audio { codec: \"opus\" } }")),
              HasSubstr("audio and video tracks are not simulated yet"));
  EXPECT_THAT(ErrorOf(Valid("peer { name: \"c\" host: \"a\" data_channel { label: \"x\" "
                            "max_retransmits: 1 max_packet_life_time_ms: 5 } }")),
              HasSubstr("max_retransmits and max_packet_life_time_ms exclude each other"));
  EXPECT_THAT(ErrorOf(absl::StrCat(kTopology, "}")), HasSubstr("the scenario has no call"));
  EXPECT_THAT(ErrorOf(WithTopology("host { name: \"z\" address: \"10.0.0.300\" }")),
              HasSubstr("bad address \"10.0.0.300\""));
}

TEST(ScenarioLoader, MissingFileIsReported) {
  auto model = LoadScenarioFile("/nonexistent/x.textproto");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(), "/nonexistent/x.textproto: cannot open the scenario file");
}

TEST(ScenarioLoader, BuildModelNamesElementPathsWithoutText) {
  scenario::Scenario s;
  s.mutable_topology()->add_link()->set_name("dangling");
  auto model = BuildModel(s, "capture");
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(model.status().message(),
              HasSubstr("capture: topology.link[0]: link \"dangling\" goes nowhere"));
}

// --- groups, profiles and link parameters

TEST(ScenarioLoader, GroupsExpandIntoHostsPeersAndCalls) {
  const std::string text = R"pb(
    topology {
      host { name: "a" address: "10.1.0.2" count: 3 }
      host { name: "b" address: "10.2.0.2" count: 3 }
      host { name: "server" address: "198.51.100.9" }
      link {
        name: "access"
        from: "a"
        to: "internet"
        params { delay_ms: 5 }
      }
      link { from: "b" to: "internet" }
      link { from: "server" to: "internet" }
    }
    peer { name: "pa" host: "a" count: 3 }
    peer { name: "pb" host: "b" count: 3 }
    peer { name: "srv" host: "server" }
    call { offerer: "pa" answerer: "pb" stagger_ms: 10 }
    call { offerer: "pb" answerer: "srv" }
    event { at_ms: 100 link_down: "access" }
  )pb";
  auto model = ParseScenarioText(text, "g.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_EQ(model->peers.size(), 7u);
  EXPECT_EQ(model->peers[2].name, "pa2");
  EXPECT_EQ(model->peers[2].host, "a2");
  ASSERT_EQ(model->calls.size(), 6u);
  EXPECT_EQ(model->calls[2].name, "pa2→pb2");
  EXPECT_EQ(model->calls[2].at, TimeDelta::Millis(20));
  EXPECT_EQ(model->calls[5].name, "pb2→srv");
  // The group's link entry expands per member, and an event naming it
  // reaches every member's link.
  ASSERT_EQ(model->events.size(), 1u);
  EXPECT_EQ(model->events[0].targets,
            (std::vector<std::string>{"access-a0", "access-a1", "access-a2"}));
  for (const NodeModel& n : model->nodes) {
    if (n.name == "a2") EXPECT_EQ(n.addresses[0].ToString(), "10.1.0.4");
  }
}

TEST(ScenarioLoader, GroupSizesMustMatch) {
  const std::string text = R"pb(
    topology {
      host { name: "a" address: "10.1.0.2" count: 3 }
      link { from: "a" to: "internet" }
    }
    peer { name: "pa" host: "a" count: 2 }
  )pb";
  EXPECT_THAT(ErrorOf(text),
              HasSubstr("peer group \"pa\" has count 2 but host group \"a\" has 3 hosts"));
}

TEST(ScenarioLoader, MeshCallsEveryPairOnce) {
  const std::string text = R"pb(
    topology {
      host { name: "h" address: "10.1.0.2" count: 4 }
      link { from: "h" to: "internet" }
    }
    peer { name: "p" host: "h" count: 4 }
    call { offerer: "p" pattern: MESH }
  )pb";
  auto model = ParseScenarioText(text, "m.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_EQ(model->calls.size(), 6u);  // 4 choose 2
}

TEST(ScenarioLoader, ProfilesStartALinkAndFieldsOverride) {
  std::string text = Valid();
  text.replace(text.find("params { delay_ms: 10 }"), 23,
               "params { profile: \"3g\" loss_percent: 0 } upstream { delay_ms: 20 }");
  auto model = ParseScenarioText(text, "t.textproto");
  ASSERT_TRUE(model.ok()) << model.status();
  const LinkModel* link = nullptr;
  for (const LinkModel& l : model->links) {
    if (l.name == "nat-a-up") link = &l;
  }
  ASSERT_NE(link, nullptr);
  // 3g: 750 kbit/s, 250 ms; loss overridden to none; upstream delay 20 ms.
  EXPECT_EQ(link->down.bandwidth_bps, 750'000);
  EXPECT_EQ(link->down.delay, TimeDelta::Millis(250));
  EXPECT_EQ(link->down.loss.kind, simnet::LossModel::Kind::kNone);
  EXPECT_EQ(link->up.delay, TimeDelta::Millis(20));
  EXPECT_EQ(link->up.bandwidth_bps, 750'000);
}

TEST(ScenarioLoader, UserProfilesBuildOnBuiltins) {
  const std::string text =
      Valid("profile { name: \"bad-3g\" params { profile: \"3g\" loss_percent: 5 } }",
            "link { from: \"x\" to: \"internet\" params { profile: \"bad-3g\" } }");
  // The stray link makes it fail, but not because of the profile.
  EXPECT_THAT(ErrorOf(text), HasSubstr("unknown node \"x\""));
  EXPECT_THAT(ErrorOf(text), Not(HasSubstr("profile")));
  const std::string dup = Valid("profile { name: \"3g\" }");
  EXPECT_THAT(ErrorOf(dup), HasSubstr("duplicate profile \"3g\" (a built-in one)"));
}

TEST(ScenarioLoader, ApplyLinkParamsReplacesOnlyWhatIsSet) {
  simnet::LinkParams base;
  base.delay = TimeDelta::Millis(40);
  base.loss = simnet::LossModel::Bernoulli(0.02);
  base.bandwidth_bps = 1'000'000;
  scenario::LinkParams change;
  change.set_loss_percent(30);
  simnet::LinkParams out = ApplyLinkParams(base, change);
  EXPECT_EQ(out.delay, TimeDelta::Millis(40));
  EXPECT_EQ(out.bandwidth_bps, 1'000'000);
  EXPECT_EQ(out.loss.kind, simnet::LossModel::Kind::kBernoulli);
  EXPECT_DOUBLE_EQ(out.loss.rate, 0.3);
  change.Clear();
  change.mutable_burst_loss()->set_p_good_to_bad_percent(1);
  change.mutable_burst_loss()->set_p_bad_to_good_percent(20);
  out = ApplyLinkParams(base, change);
  EXPECT_EQ(out.loss.kind, simnet::LossModel::Kind::kGilbertElliott);
  EXPECT_DOUBLE_EQ(out.loss.loss_in_bad, 1.0);
}

TEST(ScenarioLoader, BuiltinProfilesAreValidLinks) {
  for (const auto& [name, params] : BuiltinProfiles()) {
    EXPECT_TRUE(simnet::ValidateLinkParams(ApplyLinkParams({}, params)).ok()) << name;
  }
  EXPECT_EQ(BuiltinProfiles().count("3g"), 1u);
  EXPECT_EQ(BuiltinProfiles().count("lossy-wifi"), 1u);
  EXPECT_EQ(BuiltinProfiles().count("satellite"), 1u);
}

}  // namespace
}  // namespace rtcsim::scenarios
