#include "simnet/network.h"

#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/capture/pcapng_writer.h"

namespace rtcsim::simnet {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

TEST(Network, BindingAUsedPortFailsClearly) {
  Network net(1);
  Host* h = *net.AddHost("alice", {Ip("10.0.0.1")});
  auto a = h->Bind(SocketAddress(Ip("10.0.0.1"), 5000));
  ASSERT_TRUE(a.ok());
  auto b = h->Bind(SocketAddress(Ip("10.0.0.1"), 5000));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(b.status().message(), "host alice: address 10.0.0.1:5000 is already in use");
  auto c = h->Bind(SocketAddress(Ip("10.9.9.9"), 5000));
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(c.status().message().find("has no address 10.9.9.9"), std::string::npos);
  auto d = h->Bind(SocketAddress(IpAddress::AnyV6(), 0));
  EXPECT_NE(d.status().message().find("no IPv6 address"), std::string::npos);
  a->reset();  // closing frees the port
  EXPECT_TRUE(h->Bind(SocketAddress(Ip("10.0.0.1"), 5000)).ok());
}

TEST(Network, EphemeralPortsAreSequentialAndSkipUsedOnes) {
  Network net(1);
  Host* h = *net.AddHost("alice", {Ip("10.0.0.1")});
  auto taken = h->Bind(SocketAddress(Ip("10.0.0.1"), 49153));
  auto a = h->Bind(SocketAddress(IpAddress::AnyV4(), 0));
  auto b = h->Bind(SocketAddress(IpAddress::AnyV4(), 0));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)->local_address().ToString(), "10.0.0.1:49152");
  EXPECT_EQ((*b)->local_address().ToString(), "10.0.0.1:49154");
}

TEST(Network, SendingNowhereGivesAnErrorOrACountedDrop) {
  Network net(1);
  Router* r = *net.AddRouter("r");
  Host* alone = *net.AddHost("alone", {Ip("10.0.0.1")});
  Host* h = *net.AddHost("h", {Ip("10.0.0.2"), Ip("2001:db8::2")});
  ASSERT_TRUE(net.Connect(h, r, LinkParams{}).ok());
  auto s = *alone->Bind(SocketAddress(Ip("10.0.0.1"), 1));
  const uint8_t data[3] = {1, 2, 3};
  absl::Status st = s->SendTo(SocketAddress(Ip("192.0.2.1"), 9), data);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(st.message().find("no route to 192.0.2.1:9"), std::string::npos) << st;

  auto t = *h->Bind(SocketAddress(Ip("10.0.0.2"), 1));
  EXPECT_EQ(t->SendTo(SocketAddress(Ip("2001:db8::9"), 9), data).code(),
            absl::StatusCode::kInvalidArgument);  // family mismatch
  EXPECT_EQ(t->SendTo(SocketAddress(IpAddress::AnyV4(), 9), data).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t->SendTo(SocketAddress(Ip("192.0.2.1"), 0), data).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(t->SendTo(SocketAddress(Ip("224.0.0.1"), 9), data).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<uint8_t> huge(70000);
  EXPECT_EQ(t->SendTo(SocketAddress(Ip("192.0.2.1"), 9), huge).code(),
            absl::StatusCode::kInvalidArgument);
  // Routable from the host, unknown to the network: the router drops it,
  // counted and traced, as a real router would (no ICMP is modelled).
  EXPECT_TRUE(t->SendTo(SocketAddress(Ip("192.0.2.1"), 9), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(net.packets().live(), 0u);
}

TEST(Network, BadTopologyIsRejected) {
  Network net(1);
  Router* r = *net.AddRouter("r");
  Host* a = *net.AddHost("a", {Ip("10.0.0.1")});
  Host* b = *net.AddHost("b", {Ip("10.0.0.2")});
  EXPECT_EQ(net.AddHost("a", {Ip("10.0.0.3")}).status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(net.AddHost("c", {Ip("10.0.0.1")}).status().message().find("already belongs to a"),
            std::string::npos);
  EXPECT_FALSE(net.AddHost("bad name", {Ip("10.0.0.9")}).ok());
  EXPECT_FALSE(net.AddHost("nobody", {}).ok());
  EXPECT_FALSE(net.Connect(a, b, LinkParams{}).ok());
  EXPECT_FALSE(net.Connect(a, a, LinkParams{}).ok());
  LinkParams negative;
  negative.delay = TimeDelta::Millis(-1);
  auto bad = net.Connect(a, r, negative);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("link a-r: delay must not be negative"), std::string::npos)
      << bad.status();
  ASSERT_TRUE(net.Connect(a, r, LinkParams{}).ok());
  EXPECT_EQ(net.Connect(a, r, LinkParams{}).status().code(), absl::StatusCode::kFailedPrecondition);
  Router* r2 = *net.AddRouter("r2");
  ASSERT_TRUE(net.Connect(r2, r, LinkParams{}).ok());
  EXPECT_NE(net.Connect(r, r2, LinkParams{}).status().message().find("loop"), std::string::npos);
}

TEST(Network, NoSocketAtTheDestinationIsCountedNotAnError) {
  Network net(1);
  Router* r = *net.AddRouter("r");
  Host* a = *net.AddHost("a", {Ip("10.0.0.1")});
  Host* b = *net.AddHost("b", {Ip("10.0.0.2")});
  ASSERT_TRUE(net.Connect(a, r, LinkParams{}).ok());
  ASSERT_TRUE(net.Connect(b, r, LinkParams{}).ok());
  auto s = *a->Bind(SocketAddress(Ip("10.0.0.1"), 1));
  const uint8_t data[1] = {0};
  ASSERT_TRUE(s->SendTo(SocketAddress(Ip("10.0.0.2"), 7), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(b->stats().no_socket_drops, 1u);
}

TEST(Network, Ipv6EndToEndAndLocalDelivery) {
  Network net(1);
  Router* r = *net.AddRouter("r");
  Host* a = *net.AddHost("a", {Ip("2001:db8::1")});
  Host* b = *net.AddHost("b", {Ip("2001:db8::2")});
  LinkParams p;
  p.delay = TimeDelta::Millis(10);
  ASSERT_TRUE(net.Connect(a, r, p).ok());
  ASSERT_TRUE(net.Connect(b, r, p).ok());
  auto sa = *a->Bind(SocketAddress(Ip("2001:db8::1"), 1000));
  auto sa2 = *a->Bind(SocketAddress(Ip("2001:db8::1"), 1001));
  auto sb = *b->Bind(SocketAddress(Ip("2001:db8::2"), 2000));
  std::vector<std::pair<std::string, int64_t>> got;
  sb->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> d) {
    got.push_back({from.ToString(), net.now().ms()});
    ASSERT_TRUE(sb->SendTo(from, d).ok());  // echo
  });
  sa2->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> d) {
    got.push_back({from.ToString(), net.now().ms()});
  });
  const uint8_t data[2] = {1, 2};
  ASSERT_TRUE(sa->SendTo(SocketAddress(Ip("2001:db8::2"), 2000), data).ok());
  ASSERT_TRUE(sa->SendTo(SocketAddress(Ip("2001:db8::1"), 1001), data).ok());  // to itself
  net.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], (std::pair<std::string, int64_t>{"[2001:db8::1]:1000", 0}));
  EXPECT_EQ(got[1], (std::pair<std::string, int64_t>{"[2001:db8::1]:1000", 20}));
}

TEST(Network, SetHostAddressesMovesTheHostAndStrandsOldSockets) {
  Network net(1);
  Router* r = *net.AddRouter("r");
  Host* a = *net.AddHost("a0", {Ip("10.0.1.2")});
  Host* b = *net.AddHost("b", {Ip("10.0.2.2")});
  ASSERT_TRUE(net.Connect(a, r, LinkParams{}).ok());
  ASSERT_TRUE(net.Connect(b, r, LinkParams{}).ok());
  auto old_socket = *a->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  EXPECT_EQ(old_socket->local_address().ToString(), "10.0.1.2:49152");
  auto sb = *b->Bind(SocketAddress(Ip("10.0.2.2"), 7000));
  std::vector<std::string> at_b;
  sb->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t>) {
    at_b.push_back(from.ToString());
  });
  int at_old = 0;
  old_socket->SetReceiveCallback(
      [&](const SocketAddress&, absl::Span<const uint8_t>) { ++at_old; });
  const uint8_t data[2] = {1, 2};
  ASSERT_TRUE(old_socket->SendTo(SocketAddress(Ip("10.0.2.2"), 7000), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(at_b, std::vector<std::string>{"10.0.1.2:49152"});

  // Validation, as AddHost: nothing changes on a rejected call.
  EXPECT_EQ(net.SetHostAddresses(a, {}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(net.SetHostAddresses(a, {Ip("10.0.2.2")}).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(net.SetHostAddresses(a, {IpAddress::AnyV4()}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(net.SetHostAddresses(a, {Ip("10.0.1.3"), Ip("10.0.1.3")}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(a->addresses(), std::vector<IpAddress>{Ip("10.0.1.2")});

  const uint64_t events = net.trace().events();
  ASSERT_TRUE(net.SetHostAddresses(a, {Ip("10.0.1.3")}).ok());
  EXPECT_EQ(a->addresses(), std::vector<IpAddress>{Ip("10.0.1.3")});
  EXPECT_EQ(net.trace().events(), events + 1);  // kAddressChanged

  // The old socket can no longer send, and says why.
  const absl::Status st = old_socket->SendTo(SocketAddress(Ip("10.0.2.2"), 7000), data);
  EXPECT_EQ(st.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(st.message(), "host a0 no longer has address 10.0.1.2");

  // The route to the old address is gone: the router drops, nothing arrives.
  const uint64_t received = a->stats().received;
  ASSERT_TRUE(sb->SendTo(SocketAddress(Ip("10.0.1.2"), 49152), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(at_old, 0);
  EXPECT_EQ(a->stats().received, received);
  EXPECT_EQ(net.packets().live(), 0u);

  // An unspecified bind picks the new address, which is reachable both ways.
  auto new_socket = *a->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  EXPECT_EQ(new_socket->local_address().ip(), Ip("10.0.1.3"));
  std::vector<std::string> at_new;
  new_socket->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t>) {
    at_new.push_back(from.ToString());
  });
  ASSERT_TRUE(new_socket->SendTo(SocketAddress(Ip("10.0.2.2"), 7000), data).ok());
  ASSERT_TRUE(sb->SendTo(new_socket->local_address(), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(at_b.size(), 2u);
  EXPECT_EQ(at_b[1], new_socket->local_address().ToString());
  EXPECT_EQ(at_new, std::vector<std::string>{"10.0.2.2:7000"});

  // Another node may now take the old address; moving back revives the old
  // socket, as an OS socket bound to an address that returns.
  ASSERT_TRUE(net.SetHostAddresses(a, {Ip("10.0.1.3"), Ip("10.0.1.2")}).ok());
  EXPECT_TRUE(old_socket->SendTo(SocketAddress(Ip("10.0.2.2"), 7000), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(at_b.size(), 3u);
}

TEST(Network, SetHostAddressesBehindANatDropsInboundForTheOldAddress) {
  Network net(1);
  Router* internet = *net.AddRouter("internet");
  Host* server = *net.AddHost("server", {Ip("198.51.100.1")});
  NatConfig c;
  c.public_addresses = {Ip("203.0.113.1")};
  Nat* nat = *net.AddNat("nat", c);
  Host* a = *net.AddHost("a", {Ip("192.168.1.2")});
  ASSERT_TRUE(net.Connect(server, internet, LinkParams{}).ok());
  ASSERT_TRUE(net.Connect(nat, internet, LinkParams{}).ok());
  ASSERT_TRUE(net.Connect(a, nat, LinkParams{}).ok());
  auto ss = *server->Bind(SocketAddress(Ip("198.51.100.1"), 3478));
  std::vector<SocketAddress> seen;
  ss->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> d) {
    seen.push_back(from);
    EXPECT_TRUE(ss->SendTo(from, d).ok());  // echo
  });
  auto s1 = *a->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  int got1 = 0;
  s1->SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t>) { ++got1; });
  const uint8_t data[1] = {9};
  ASSERT_TRUE(s1->SendTo(SocketAddress(Ip("198.51.100.1"), 3478), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(got1, 1);

  ASSERT_TRUE(net.SetHostAddresses(a, {Ip("192.168.1.3")}).ok());
  // The server answers the old mapping again: the NAT translates it to the
  // old inside address, which no longer has a route.
  ASSERT_TRUE(ss->SendTo(seen.back(), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(got1, 1);
  EXPECT_EQ(net.packets().live(), 0u);

  auto s2 = *a->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
  int got2 = 0;
  s2->SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t>) { ++got2; });
  ASSERT_TRUE(s2->SendTo(SocketAddress(Ip("198.51.100.1"), 3478), data).ok());
  net.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(got2, 1);
  EXPECT_EQ(seen.back().ip(), Ip("203.0.113.1"));
}

// Two NATed hosts and a server over lossy, jittery, duplicating links; both
// hosts keep talking to the server and the server answers.
struct RunResult {
  uint64_t hash;
  uint64_t events;
  std::vector<uint8_t> capture;
  std::vector<uint8_t> link_capture;
};

RunResult Simulate(uint64_t seed) {
  Network net(seed);
  Router* internet = *net.AddRouter("internet");
  Host* server = *net.AddHost("server", {Ip("198.51.100.1")});
  NatConfig c1;
  c1.public_addresses = {Ip("203.0.113.1")};
  c1.port_allocation = PortAllocation::kRandom;
  NatConfig c2 = c1;
  c2.public_addresses = {Ip("203.0.113.2")};
  c2.mapping = NatMapping::kAddressAndPortDependent;
  Nat* n1 = *net.AddNat("nat1", c1);
  Nat* n2 = *net.AddNat("nat2", c2);
  Host* a = *net.AddHost("a", {Ip("192.168.1.2")});
  Host* b = *net.AddHost("b", {Ip("192.168.2.2")});
  LinkParams lossy;
  lossy.delay = TimeDelta::Millis(15);
  lossy.jitter = TimeDelta::Millis(10);
  lossy.allow_reordering = true;
  lossy.loss = LossModel::GilbertElliott(0.05, 0.3);
  lossy.duplicate = 0.01;
  lossy.bandwidth_bps = 2000000;
  EXPECT_TRUE(net.Connect(server, internet, LinkParams{}).ok());
  EXPECT_TRUE(net.Connect(n1, internet, lossy).ok());
  EXPECT_TRUE(net.Connect(n2, internet, lossy).ok());
  EXPECT_TRUE(net.Connect(a, n1, LinkParams{}).ok());
  EXPECT_TRUE(net.Connect(b, n2, LinkParams{}).ok());
  PcapngWriter* cap = net.CaptureHost(server);
  PcapngWriter* link_cap = net.CaptureLink(net.links()[1].get());
  auto ss = *server->Bind(SocketAddress(Ip("198.51.100.1"), 3478));
  ss->SetReceiveCallback([&](const SocketAddress& from, absl::Span<const uint8_t> d) {
    EXPECT_TRUE(ss->SendTo(from, d).ok());
  });
  std::vector<std::unique_ptr<UdpSocket>> sockets;
  for (Host* h : {a, b}) {
    sockets.push_back(*h->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0)));
    UdpSocket* s = sockets.back().get();
    Random rng = h->env().CreateRandom("traffic");
    for (int i = 0; i < 500; ++i) {
      TimeDelta at = TimeDelta::Millis(i * 20) + TimeDelta::Micros(rng.Uniform(5000));
      size_t size = 50 + rng.Uniform(1000);
      net.loop().ScheduleAfter(at, [s, size] {
        std::vector<uint8_t> payload(size, static_cast<uint8_t>(size));
        EXPECT_TRUE(s->SendTo(SocketAddress(Ip("198.51.100.1"), 3478), payload).ok());
      });
    }
  }
  net.RunFor(TimeDelta::Seconds(12));
  EXPECT_GT(server->stats().received, 500u);
  EXPECT_GT(n1->stats().translated_in, 300u);  // ~14 % loss each way
  return RunResult{net.trace().hash(), net.trace().events(), cap->bytes(), link_cap->bytes()};
}

TEST(Determinism, SameSeedSameTraceHashAndIdenticalCaptureBytes) {
  RunResult first = Simulate(42);
  RunResult second = Simulate(42);
  EXPECT_GT(first.events, 3000u);
  EXPECT_EQ(first.hash, second.hash);
  EXPECT_EQ(first.events, second.events);
  EXPECT_GT(first.capture.size(), 100000u);
  EXPECT_TRUE(first.capture == second.capture) << "host capture differs";
  EXPECT_TRUE(first.link_capture == second.link_capture) << "link capture differs";
}

TEST(Determinism, DifferentSeedDifferentHash) {
  RunResult a = Simulate(42);
  RunResult b = Simulate(43);
  EXPECT_NE(a.hash, b.hash);
  EXPECT_NE(a.capture, b.capture);
}

}  // namespace
}  // namespace rtcsim::simnet
