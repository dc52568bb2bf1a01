// Shared simnet topology for the TURN tests:
//
//   internet ── turn   (198.51.100.1, 2001:db8::1)   TurnServer on :3478
//      ├──────── peer  (198.51.100.20, 2001:db8::20) UDP echo-or-record on :7000
//      ├──────── peer2 (198.51.100.30)               a peer with no permission
//      └── nat (203.0.113.1) ── client (192.168.1.10)
//
// simnet is a test-only dependency here; the TURN library never sees it.
#ifndef RTCSIM_STACK_TURN_TURN_TEST_TOPOLOGY_H_
#define RTCSIM_STACK_TURN_TURN_TEST_TOPOLOGY_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/turn/turn_server.h"

namespace rtcsim::turn::testing {

inline IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
inline SocketAddress Addr(const char* s) { return *SocketAddress::Parse(s); }

inline std::vector<uint8_t> Bytes(absl::string_view s) {
  return std::vector<uint8_t>(s.begin(), s.end());
}
inline std::string Text(absl::Span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

inline simnet::LinkParams Delay(int ms) {
  simnet::LinkParams p;
  p.delay = TimeDelta::Millis(ms);
  return p;
}

// A UDP endpoint on a host that records what it receives and, if `echo`,
// sends each datagram back prefixed with "echo:".
struct Peer {
  Peer(simnet::Host* host, const SocketAddress& bind, bool echo) : echo(echo) {
    auto s = host->Bind(bind);
    EXPECT_TRUE(s.ok()) << s.status();
    socket = *std::move(s);
    socket->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      received.emplace_back(from, Text(data));
      if (this->echo) socket->SendTo(from, Bytes("echo:" + Text(data))).IgnoreError();
    });
  }
  SocketAddress address() const { return socket->local_address(); }

  bool echo;
  std::unique_ptr<UdpSocket> socket;
  std::vector<std::pair<SocketAddress, std::string>> received;
};

struct Topology {
  explicit Topology(TurnServerConfig config = {}, uint64_t seed = 1) : net(seed) {
    internet = *net.AddRouter("internet");
    turn_host = *net.AddHost("turn", {Ip("198.51.100.1"), Ip("2001:db8::1")});
    peer_host = *net.AddHost("peer", {Ip("198.51.100.20"), Ip("2001:db8::20")});
    peer2_host = *net.AddHost("peer2", {Ip("198.51.100.30")});
    simnet::NatConfig nat_config;
    nat_config.public_addresses = {Ip("203.0.113.1")};
    nat = *net.AddNat("nat", nat_config);
    client_host = *net.AddHost("client", {Ip("192.168.1.10")});
    EXPECT_TRUE(net.Connect(turn_host, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(peer_host, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(peer2_host, internet, Delay(5)).ok());
    EXPECT_TRUE(net.Connect(nat, internet, Delay(10)).ok());
    auto link = net.Connect(client_host, nat, Delay(1));
    EXPECT_TRUE(link.ok());
    client_link = *link;

    if (config.listen.port() == 0) config.listen = kServer;
    if (config.users.empty()) config.users = {{"alice", "secret"}, {"bob", "hunter2"}};
    if (config.relay_addresses.empty()) {
      config.relay_addresses = {Ip("198.51.100.1"), Ip("2001:db8::1")};
    }
    auto s = TurnServer::Create(turn_host->env(), std::move(config));
    EXPECT_TRUE(s.ok()) << s.status();
    server = *std::move(s);
  }

  void Run(TimeDelta d) { net.RunFor(d); }
  void RunSeconds(int64_t s) { net.RunFor(TimeDelta::Seconds(s)); }

  static inline const SocketAddress kServer = *SocketAddress::Parse("198.51.100.1:3478");

  simnet::Network net;
  simnet::Router* internet;
  simnet::Host* turn_host;
  simnet::Host* peer_host;
  simnet::Host* peer2_host;
  simnet::Nat* nat;
  simnet::Host* client_host;
  simnet::Link* client_link;
  std::unique_ptr<TurnServer> server;
};

}  // namespace rtcsim::turn::testing

#endif  // RTCSIM_STACK_TURN_TURN_TEST_TOPOLOGY_H_
