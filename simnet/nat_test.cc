#include "simnet/nat.h"

#include <memory>
#include <tuple>

#include "gtest/gtest.h"
#include "simnet/nat_probe.h"
#include "simnet/network.h"

namespace rtcsim::simnet {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

LinkParams Delay(int ms) {
  LinkParams p;
  p.delay = TimeDelta::Millis(ms);
  return p;
}

// internet ── probe server (198.51.100.1 and .2)
//    └── nat (203.0.113.1) ── client (192.168.1.10)
struct Topology {
  explicit Topology(NatConfig nat_config, uint64_t seed = 1) : net(seed) {
    internet = *net.AddRouter("internet");
    server = *net.AddHost("server", {Ip("198.51.100.1"), Ip("198.51.100.2")});
    nat_config.public_addresses = {Ip("203.0.113.1")};
    nat = *net.AddNat("nat", nat_config);
    client = *net.AddHost("client", {Ip("192.168.1.10")});
    EXPECT_TRUE(net.Connect(server, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(nat, internet, Delay(10)).ok());
    EXPECT_TRUE(net.Connect(client, nat, Delay(1)).ok());
    probe_server = *ProbeServer::Create(server->env(), Ip("198.51.100.1"), Ip("198.51.100.2"));
    probe = std::make_unique<ProbeClient>(net, *client, SocketAddress(Ip("198.51.100.1"), 3478),
                                          SocketAddress(Ip("198.51.100.2"), 3479));
  }
  Network net;
  Router* internet;
  Host* server;
  Nat* nat;
  Host* client;
  std::unique_ptr<ProbeServer> probe_server;
  std::unique_ptr<ProbeClient> probe;
};

class NatBehaviourTest : public testing::TestWithParam<std::tuple<NatMapping, NatFiltering>> {};

// RFC 4787 §4.1 × §5: each of the nine combinations, classified from outside
// by RFC 5780 §4.3/§4.4 tests, comes back as configured.
TEST_P(NatBehaviourTest, ProbeClassifiesConfiguredBehaviour) {
  auto [mapping, filtering] = GetParam();
  NatConfig config;
  config.mapping = mapping;
  config.filtering = filtering;
  Topology t(config);
  auto c = t.probe->Classify();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->mapping, mapping) << c->ToString();
  EXPECT_EQ(c->filtering, filtering) << c->ToString();
  EXPECT_TRUE(c->port_preserved);
  EXPECT_GT(t.nat->stats().mappings_created, 0u);
  if (filtering != NatFiltering::kEndpointIndependent) {
    EXPECT_GT(t.nat->stats().filtered, 0u);
  }
}

std::string BehaviourName(
    const testing::TestParamInfo<std::tuple<NatMapping, NatFiltering>>& info) {
  static const char* kNames[] = {"EndpointIndependent", "AddressDependent",
                                 "AddressAndPortDependent"};
  return std::string(kNames[static_cast<int>(std::get<0>(info.param))]) + "Mapping_" +
         kNames[static_cast<int>(std::get<1>(info.param))] + "Filtering";
}

INSTANTIATE_TEST_SUITE_P(AllNine, NatBehaviourTest,
                         testing::Combine(testing::Values(NatMapping::kEndpointIndependent,
                                                          NatMapping::kAddressDependent,
                                                          NatMapping::kAddressAndPortDependent),
                                          testing::Values(NatFiltering::kEndpointIndependent,
                                                          NatFiltering::kAddressDependent,
                                                          NatFiltering::kAddressAndPortDependent)),
                         BehaviourName);

TEST(Nat, HairpinningOnDeliversToTheMappedAddress) {
  NatConfig config;
  config.hairpinning = true;
  Topology t(config);
  auto hairpins = t.probe->Hairpins();
  ASSERT_TRUE(hairpins.ok()) << hairpins.status();
  EXPECT_TRUE(*hairpins);
  EXPECT_EQ(t.nat->stats().hairpinned, 1u);
}

TEST(Nat, HairpinningOffDropsAndCounts) {
  NatConfig config;
  config.hairpinning = false;
  Topology t(config);
  auto hairpins = t.probe->Hairpins();
  ASSERT_TRUE(hairpins.ok()) << hairpins.status();
  EXPECT_FALSE(*hairpins);
  EXPECT_EQ(t.nat->stats().hairpin_drops, 1u);
}

// RFC 5780 §4.6: a reply held back longer than the mapping lifetime finds the
// mapping gone; one held back less gets through.
TEST(Nat, MappingExpiresAfterItsLifetimeWithoutTraffic) {
  NatConfig config;
  config.mapping_lifetime = TimeDelta::Seconds(30);
  Topology t(config);
  auto early = t.probe->MappingSurvives(TimeDelta::Seconds(29));
  ASSERT_TRUE(early.ok()) << early.status();
  EXPECT_TRUE(*early);
  EXPECT_EQ(t.nat->stats().mappings_expired, 0u);
  auto late = t.probe->MappingSurvives(TimeDelta::Seconds(31));
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_FALSE(*late);
  EXPECT_GE(t.nat->stats().mappings_expired, 1u);
  EXPECT_GE(t.nat->stats().no_mapping, 1u);
}

TEST(Nat, OutboundTrafficRefreshesTheMapping) {
  NatConfig config;
  config.mapping_lifetime = TimeDelta::Seconds(30);
  Topology t(config);
  auto s = t.probe->NewSocket();
  ASSERT_TRUE(s.ok());
  auto first = t.probe->Query(**s, {});
  ASSERT_TRUE(first.ok() && first->has_value());
  // Keep it alive with a packet every 20 s for 100 s, then check it is the
  // same mapping.
  for (int i = 0; i < 5; ++i) {
    t.net.RunFor(TimeDelta::Seconds(20));
    auto again = t.probe->Query(**s, {});
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ(**again, **first);
  }
  EXPECT_EQ(t.nat->stats().mappings_created, 1u);
  EXPECT_EQ(t.nat->stats().mappings_expired, 0u);
}

TEST(Nat, SequentialAllocationStartsAtTheRangeAndAdvances) {
  NatConfig config;
  config.port_allocation = PortAllocation::kSequential;
  config.port_min = 20000;
  config.mapping = NatMapping::kAddressAndPortDependent;
  Topology t(config);
  auto s = t.probe->NewSocket();
  auto a = t.probe->Query(**s, {.target = 0});
  auto b = t.probe->Query(**s, {.target = 1});
  ASSERT_TRUE(a.ok() && a->has_value() && b.ok() && b->has_value());
  EXPECT_EQ((*a)->port(), 20000);
  EXPECT_EQ((*b)->port(), 20001);
  EXPECT_EQ((*a)->ip(), Ip("203.0.113.1"));
}

TEST(Nat, RandomAllocationIsSeededAndStaysInRange) {
  auto first_port = [](uint64_t seed) {
    NatConfig config;
    config.port_allocation = PortAllocation::kRandom;
    config.port_min = 30000;
    config.port_max = 40000;
    Topology t(config, seed);
    auto s = t.probe->NewSocket();
    auto m = t.probe->Query(**s, {});
    EXPECT_TRUE(m.ok() && m->has_value());
    return (*m)->port();
  };
  uint16_t p1 = first_port(1);
  EXPECT_GE(p1, 30000);
  EXPECT_LE(p1, 40000);
  EXPECT_EQ(p1, first_port(1));
  EXPECT_NE(p1, first_port(2));
}

TEST(Nat, PreservationFallsBackWhenThePortIsTaken) {
  NatConfig config;
  config.public_addresses = {Ip("203.0.113.1")};
  Network net(1);
  Router* internet = *net.AddRouter("internet");
  Host* server = *net.AddHost("server", {Ip("198.51.100.1"), Ip("198.51.100.2")});
  Nat* nat = *net.AddNat("nat", config);
  Host* a = *net.AddHost("a", {Ip("192.168.1.10")});
  Host* b = *net.AddHost("b", {Ip("192.168.1.11")});
  ASSERT_TRUE(net.Connect(server, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(nat, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(a, nat, Delay(1)).ok());
  ASSERT_TRUE(net.Connect(b, nat, Delay(1)).ok());
  auto ps = ProbeServer::Create(server->env(), Ip("198.51.100.1"), Ip("198.51.100.2"));
  ASSERT_TRUE(ps.ok());
  SocketAddress p(Ip("198.51.100.1"), 3478), alt(Ip("198.51.100.2"), 3479);
  ProbeClient pa(net, *a, p, alt), pb(net, *b, p, alt);
  auto sa = a->Bind(SocketAddress(Ip("192.168.1.10"), 5000));
  auto sb = b->Bind(SocketAddress(Ip("192.168.1.11"), 5000));
  ASSERT_TRUE(sa.ok() && sb.ok());
  auto ma = pa.Query(**sa, {});
  auto mb = pb.Query(**sb, {});
  ASSERT_TRUE(ma.ok() && ma->has_value() && mb.ok() && mb->has_value());
  EXPECT_EQ((*ma)->port(), 5000);
  EXPECT_NE((*mb)->port(), 5000);
}

// A NAT behind a NAT: the outside sees the composite, the stricter of the two.
TEST(Nat, NestedNatsCompose) {
  Network net(1);
  Router* internet = *net.AddRouter("internet");
  Host* server = *net.AddHost("server", {Ip("198.51.100.1"), Ip("198.51.100.2")});
  NatConfig outer_config;
  outer_config.public_addresses = {Ip("203.0.113.1")};
  outer_config.mapping = NatMapping::kEndpointIndependent;
  outer_config.filtering = NatFiltering::kAddressDependent;
  NatConfig inner_config;
  inner_config.public_addresses = {Ip("100.64.0.2")};  // carrier-grade NAT space
  inner_config.mapping = NatMapping::kAddressAndPortDependent;
  inner_config.filtering = NatFiltering::kEndpointIndependent;
  Nat* outer = *net.AddNat("cgnat", outer_config);
  Nat* inner = *net.AddNat("home", inner_config);
  Host* client = *net.AddHost("client", {Ip("192.168.1.10")});
  ASSERT_TRUE(net.Connect(server, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(outer, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(inner, outer, Delay(2)).ok());
  ASSERT_TRUE(net.Connect(client, inner, Delay(1)).ok());
  auto ps = ProbeServer::Create(server->env(), Ip("198.51.100.1"), Ip("198.51.100.2"));
  ASSERT_TRUE(ps.ok());
  ProbeClient probe(net, *client, SocketAddress(Ip("198.51.100.1"), 3478),
                    SocketAddress(Ip("198.51.100.2"), 3479));
  auto c = probe.Classify();
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->mapping, NatMapping::kAddressAndPortDependent);
  EXPECT_EQ(c->filtering, NatFiltering::kAddressDependent);
  EXPECT_GT(inner->stats().translated_out, 0u);
  EXPECT_GT(outer->stats().translated_out, 0u);
}

TEST(Nat, RebootDropsAllMappings) {
  Topology t(NatConfig{});
  auto s = t.probe->NewSocket();
  auto held = t.probe->Query(**s, {.reply_after = TimeDelta::Seconds(5)}, TimeDelta::Zero());
  ASSERT_TRUE(held.ok());
  EXPECT_FALSE(held->has_value());  // reply still pending at the server
  EXPECT_EQ(t.nat->active_mappings(), 1u);
  t.nat->DropAllMappings();
  EXPECT_EQ(t.nat->active_mappings(), 0u);
  t.net.RunFor(TimeDelta::Seconds(10));
  EXPECT_EQ(t.nat->stats().no_mapping, 1u);
}

TEST(Nat, InvalidConfigIsRejectedWithAReason) {
  Network net(1);
  NatConfig none;
  auto a = net.AddNat("n1", none);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("public address"), std::string::npos);
  NatConfig bad_lifetime;
  bad_lifetime.public_addresses = {Ip("203.0.113.1")};
  bad_lifetime.mapping_lifetime = TimeDelta::Zero();
  auto b = net.AddNat("n2", bad_lifetime);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("mapping_lifetime"), std::string::npos);
  NatConfig bad_range;
  bad_range.public_addresses = {Ip("203.0.113.1")};
  bad_range.port_min = 5000;
  bad_range.port_max = 4000;
  EXPECT_FALSE(net.AddNat("n3", bad_range).ok());
}

// Firewalls in front of the client: UDP blocked, or only some ports allowed.
TEST(Firewall, BlockingUdpStopsTheProbe) {
  Network net(1);
  Router* internet = *net.AddRouter("internet");
  Host* server = *net.AddHost("server", {Ip("198.51.100.1"), Ip("198.51.100.2")});
  Firewall* fw = *net.AddFirewall("fw", FirewallConfig{.block_udp = true});
  Host* client = *net.AddHost("client", {Ip("203.0.113.50")});
  ASSERT_TRUE(net.Connect(server, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(fw, internet, Delay(5)).ok());
  ASSERT_TRUE(net.Connect(client, fw, Delay(1)).ok());
  auto ps = ProbeServer::Create(server->env(), Ip("198.51.100.1"), Ip("198.51.100.2"));
  ProbeClient probe(net, *client, SocketAddress(Ip("198.51.100.1"), 3478),
                    SocketAddress(Ip("198.51.100.2"), 3479));
  auto c = probe.Classify();
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GT(fw->stats().blocked, 0u);

  // Only 3478 allowed, and only as replies to the inside's own flows.
  fw->set_config(FirewallConfig{.allowed_udp_ports = {3478}});
  auto s = probe.NewSocket();
  auto ok = probe.Query(**s, {.target = 0});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->has_value());
  auto other_port = probe.Query(**s, {.target = 1});
  ASSERT_TRUE(other_port.ok());
  EXPECT_FALSE(other_port->has_value());
  auto unsolicited = probe.Query(**s, {.change_ip = true});
  ASSERT_TRUE(unsolicited.ok());
  EXPECT_FALSE(unsolicited->has_value());
}

}  // namespace
}  // namespace rtcsim::simnet
