// Fuzz target for everything the TURN server and client accept from the
// wire: each input is sent, as one datagram, from a client that holds an
// allocation (with a permission and a channel) to a TurnServer on simnet,
// and is also handed to that client's HandlePacket as if the server had sent
// it. Neither may crash, and the allocation must keep working: after every
// input a ChannelData round trip through the relay still succeeds.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "simnet/network.h"
#include "stack/turn/turn_client.h"
#include "stack/turn/turn_server.h"

namespace rtcsim::turn {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }
SocketAddress Addr(const char* s) { return *SocketAddress::Parse(s); }

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "turn_packet_fuzzer: %s\n", what);
    std::abort();
  }
}

// turn (198.51.100.1) and peer (198.51.100.20) on one router with the client
// (192.0.2.10): no NAT, so the fuzzer's datagrams come from the allocation's
// 5-tuple.
struct World {
  World() : net(1) {
    simnet::LinkParams link;
    link.delay = TimeDelta::Millis(1);
    auto* internet = *net.AddRouter("internet");
    auto* turn_host = *net.AddHost("turn", {Ip("198.51.100.1")});
    auto* peer_host = *net.AddHost("peer", {Ip("198.51.100.20")});
    client_host = *net.AddHost("client", {Ip("192.0.2.10")});
    Check(net.Connect(turn_host, internet, link).ok(), "connect turn");
    Check(net.Connect(peer_host, internet, link).ok(), "connect peer");
    Check(net.Connect(client_host, internet, link).ok(), "connect client");
    TurnServerConfig config;
    config.listen = Addr("198.51.100.1:3478");
    config.users = {{"alice", "secret"}};
    server = *TurnServer::Create(turn_host->env(), config);
    peer = *peer_host->Bind(Addr("198.51.100.20:7000"));
    peer->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      peer->SendTo(from, data).IgnoreError();  // echo
    });
    socket = *client_host->Bind(Addr("192.0.2.10:5000"));
    TurnClientConfig client_config;
    client_config.server = config.listen;
    client_config.username = "alice";
    client_config.password = "secret";
    client = std::make_unique<TurnClient>(
        client_host->env(), client_config,
        [this](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
          socket->SendTo(to, bytes).IgnoreError();
        });
    socket->SetReceiveCallback([this](const SocketAddress&, absl::Span<const uint8_t> data) {
      client->HandlePacket(data);
    });
    client->SetDataCallback([this](const SocketAddress&, absl::Span<const uint8_t>) { ++echoes; });
    bool allocated = false, bound = false;
    client->Allocate([&](absl::StatusOr<TurnClient::Allocation> a) { allocated = a.ok(); });
    net.RunFor(TimeDelta::Seconds(1));
    Check(allocated, "allocate");
    client->BindChannel(peer->local_address(), [&](absl::Status s) { bound = s.ok(); });
    net.RunFor(TimeDelta::Seconds(1));
    Check(bound, "channel bind");
  }

  simnet::Network net;
  simnet::Host* client_host;
  std::unique_ptr<TurnServer> server;
  std::unique_ptr<UdpSocket> peer;
  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<TurnClient> client;
  uint64_t echoes = 0;
};

}  // namespace
}  // namespace rtcsim::turn

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using rtcsim::TimeDelta;
  static auto* world = new rtcsim::turn::World();
  absl::Span<const uint8_t> input(data, size);
  // To the server, from the allocation's 5-tuple.
  world->socket->SendTo(world->server->listen_address(), input).IgnoreError();
  // To the client, as if from the server.
  world->client->HandlePacket(input);
  world->net.RunFor(TimeDelta::Millis(20));
  // The allocation survives whatever came in (a fuzzed Refresh with
  // LIFETIME 0 cannot authenticate, so nothing can delete it).
  const uint64_t before = world->echoes;
  const uint8_t probe[] = {'p'};
  rtcsim::turn::Check(world->client->SendTo(world->peer->local_address(), probe).ok(), "send");
  world->net.RunFor(TimeDelta::Millis(20));
  rtcsim::turn::Check(world->echoes == before + 1, "relay round trip after input");
  return 0;
}
