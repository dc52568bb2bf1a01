#include "stack/turn/turn_client.h"

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "stack/stun/stun_message.h"
#include "stack/turn/turn_server.h"
#include "stack/turn/turn_test_topology.h"

namespace rtcsim::turn {
namespace {

using testing::Addr;
using testing::Bytes;
using testing::Ip;
using testing::Peer;
using testing::Text;
using testing::Topology;

// A TurnClient on the NATed client host, wired to one socket as an ICE
// agent would wire it: everything from the server goes to HandlePacket.
struct ClientSide {
  ClientSide(Topology& t, TurnClientConfig config) {
    auto s = t.client_host->Bind(Addr("192.168.1.10:5000"));
    EXPECT_TRUE(s.ok()) << s.status();
    socket = *std::move(s);
    if (config.server.port() == 0) config.server = Topology::kServer;
    if (config.username.empty()) config.username = "alice";
    if (config.password.empty()) config.password = "secret";
    client = std::make_unique<TurnClient>(
        t.client_host->env(), config,
        [this](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
          socket->SendTo(to, bytes).IgnoreError();
        });
    socket->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      if (from == client->server()) {
        if (!client->HandlePacket(data)) ++not_turn;
      }
    });
    client->SetDataCallback([this](const SocketAddress& peer, absl::Span<const uint8_t> data) {
      received.emplace_back(peer, Text(data));
    });
    client->SetFailureCallback([this](absl::Status s) { failure = s; });
  }

  // Allocates and runs the network until the answer is in.
  absl::StatusOr<TurnClient::Allocation> Allocate(Topology& t) {
    std::optional<absl::StatusOr<TurnClient::Allocation>> result;
    client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { result = std::move(r); });
    t.RunSeconds(2);
    EXPECT_TRUE(result.has_value()) << "no Allocate answer within 2 s";
    if (!result.has_value()) return absl::DeadlineExceededError("no answer");
    return *result;
  }

  absl::Status CreatePermission(Topology& t, const IpAddress& peer) {
    std::optional<absl::Status> result;
    client->CreatePermission(peer, [&](absl::Status s) { result = s; });
    t.RunSeconds(1);
    return result.value_or(absl::DeadlineExceededError("no CreatePermission answer"));
  }

  absl::Status BindChannel(Topology& t, const SocketAddress& peer) {
    std::optional<absl::Status> result;
    client->BindChannel(peer, [&](absl::Status s) { result = s; });
    t.RunSeconds(1);
    return result.value_or(absl::DeadlineExceededError("no ChannelBind answer"));
  }

  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<TurnClient> client;
  std::vector<std::pair<SocketAddress, std::string>> received;
  std::optional<absl::Status> failure;
  int not_turn = 0;
};

TEST(TurnClient, AllocatesBehindNatAfterUnauthorizedChallenge) {
  Topology t;
  ClientSide c(t, {});
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  // RFC 8656 §7.3: the relayed address is on the server; the mapped one is
  // the NAT's public side (port preserved by the default NAT).
  EXPECT_EQ(allocation->relayed.ip(), Ip("198.51.100.1"));
  EXPECT_NE(allocation->relayed.port(), 3478);
  EXPECT_EQ(allocation->mapped, Addr("203.0.113.1:5000"));
  EXPECT_EQ(allocation->lifetime, TimeDelta::Seconds(600));
  // RFC 8489 §9.2: one unauthenticated request, 401, one authenticated.
  EXPECT_EQ(c.client->stats().allocate_requests, 2u);
  EXPECT_EQ(c.client->stats().unauthorized_challenges, 1u);
  EXPECT_EQ(c.client->stats().stale_nonce_retries, 0u);
  EXPECT_EQ(t.server->stats().unauthenticated, 1u);
  EXPECT_EQ(t.server->stats().allocations_created, 1u);
  EXPECT_EQ(t.server->allocation_count(), 1u);
  auto on_server = t.server->RelayedAddressFor(Addr("203.0.113.1:5000"));
  ASSERT_TRUE(on_server.ok()) << on_server.status();
  EXPECT_EQ(*on_server, allocation->relayed);
  EXPECT_EQ(c.client->transaction_stats().timed_out, 0u);
}

TEST(TurnClient, WrongPasswordFailsWith401) {
  Topology t;
  TurnClientConfig config;
  config.password = "not-the-secret";
  ClientSide c(t, config);
  auto allocation = c.Allocate(t);
  ASSERT_FALSE(allocation.ok());
  EXPECT_EQ(TurnErrorCode(allocation.status()), 401) << allocation.status();
  EXPECT_EQ(allocation.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(c.client->state(), TurnState::kFailed);
  // RFC 8489 §9.2.5: no second authenticated retry with the same password.
  EXPECT_EQ(c.client->stats().allocate_requests, 2u);
  EXPECT_EQ(t.server->stats().wrong_credentials, 1u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
}

TEST(TurnClient, UnknownUserFailsWith401) {
  Topology t;
  TurnClientConfig config;
  config.username = "mallory";
  ClientSide c(t, config);
  auto allocation = c.Allocate(t);
  ASSERT_FALSE(allocation.ok());
  EXPECT_EQ(TurnErrorCode(allocation.status()), 401);
  EXPECT_EQ(t.server->stats().wrong_credentials, 1u);
}

TEST(TurnClient, OtherErrorsReportCodeAndReason) {
  TurnServerConfig config;
  config.relay_addresses = {Ip("198.51.100.1")};  // no IPv6 relay
  Topology t(config);
  TurnClientConfig client_config;
  client_config.request_ipv6 = true;
  ClientSide c(t, client_config);
  auto allocation = c.Allocate(t);
  ASSERT_FALSE(allocation.ok());
  EXPECT_EQ(TurnErrorCode(allocation.status()), 440);
  EXPECT_NE(allocation.status().message().find("Address Family not Supported"), std::string::npos)
      << allocation.status();
  EXPECT_EQ(c.client->state(), TurnState::kFailed);
}

TEST(TurnClient, NoServerTimesOut) {
  Topology t;
  TurnClientConfig config;
  config.server = Addr("198.51.100.99:3478");  // nobody there
  ClientSide c(t, config);
  std::optional<absl::StatusOr<TurnClient::Allocation>> result;
  c.client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { result = std::move(r); });
  t.RunSeconds(60);  // RFC 8489 §6.2.1: 39.5 s with the default RTO
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kDeadlineExceeded) << result->status();
  EXPECT_EQ(TurnErrorCode(result->status()), 0);
  EXPECT_EQ(c.client->transaction_stats().timed_out, 1u);
}

TEST(TurnClient, StaleNonceIsRetriedWithTheNewNonce) {
  TurnServerConfig config;
  config.nonce_lifetime = TimeDelta::Seconds(30);
  Topology t(config);
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());
  t.RunSeconds(60);  // the nonce is stale now
  ASSERT_TRUE(c.CreatePermission(t, Ip("198.51.100.20")).ok());
  EXPECT_EQ(c.client->stats().stale_nonce_retries, 1u);
  EXPECT_EQ(t.server->stats().stale_nonces, 1u);
  EXPECT_TRUE(c.client->HasPermission(Ip("198.51.100.20")));
  // Refreshes later on keep working through further rotations.
  t.RunSeconds(1200);
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  EXPECT_GE(c.client->stats().stale_nonce_retries, 3u);
  EXPECT_GE(c.client->stats().refreshes, 2u);
  EXPECT_FALSE(c.failure.has_value());
}

TEST(TurnClient, SendIndicationAndDataIndicationRelayBothWays) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  ClientSide c(t, {});
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok());

  // No permission yet: the client refuses (RFC 8656 §11.1).
  EXPECT_EQ(c.client->SendTo(peer.address(), Bytes("early")).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c.CreatePermission(t, peer.address().ip()).ok());
  EXPECT_EQ(c.client->stats().permissions_created, 1u);
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("hello")).ok());
  t.RunSeconds(1);

  ASSERT_EQ(peer.received.size(), 1u);
  // The peer sees the relayed address, not the client's.
  EXPECT_EQ(peer.received[0].first, allocation->relayed);
  EXPECT_EQ(peer.received[0].second, "hello");
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].first, peer.address());
  EXPECT_EQ(c.received[0].second, "echo:hello");
  EXPECT_EQ(c.client->stats().send_indications, 1u);
  EXPECT_EQ(c.client->stats().data_indications, 1u);
  EXPECT_EQ(t.server->stats().send_indications, 1u);
  EXPECT_EQ(t.server->stats().data_indications_sent, 1u);
  EXPECT_EQ(c.not_turn, 0);
}

TEST(TurnClient, ChannelDataBothWays) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  ClientSide c(t, {});
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok());
  ASSERT_TRUE(c.BindChannel(t, peer.address()).ok());
  EXPECT_EQ(c.client->stats().channels_bound, 1u);
  // RFC 8656 §12.2: the binding installed the permission too.
  EXPECT_TRUE(c.client->HasPermission(peer.address().ip()));

  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("ping" + std::to_string(i))).ok());
  }
  t.RunSeconds(1);
  ASSERT_EQ(peer.received.size(), 5u);
  EXPECT_EQ(peer.received[4].first, allocation->relayed);
  EXPECT_EQ(peer.received[4].second, "ping4");
  ASSERT_EQ(c.received.size(), 5u);
  EXPECT_EQ(c.received[4].first, peer.address());
  EXPECT_EQ(c.received[4].second, "echo:ping4");
  EXPECT_EQ(c.client->stats().channel_data_sent, 5u);
  EXPECT_EQ(c.client->stats().channel_data_received, 5u);
  EXPECT_EQ(c.client->stats().send_indications, 0u);
  EXPECT_EQ(c.client->stats().data_indications, 0u);
  EXPECT_EQ(t.server->stats().channel_data_from_client, 5u);
  EXPECT_EQ(t.server->stats().channel_data_to_client, 5u);

  // Another port on the same peer IP has no channel: Send/Data indications.
  Peer other_port(t.peer_host, Addr("198.51.100.20:7001"), /*echo=*/true);
  ASSERT_TRUE(c.client->SendTo(other_port.address(), Bytes("side")).ok());
  t.RunSeconds(1);
  ASSERT_EQ(other_port.received.size(), 1u);
  EXPECT_EQ(c.client->stats().send_indications, 1u);
  EXPECT_EQ(c.client->stats().data_indications, 1u);
}

TEST(TurnClient, ChannelsAreNumberedFrom0x4000) {
  Topology t;
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());
  ASSERT_TRUE(c.BindChannel(t, Addr("198.51.100.20:7000")).ok());
  ASSERT_TRUE(c.BindChannel(t, Addr("198.51.100.20:7001")).ok());
  // Rebinding the same peer refreshes, keeping its number.
  ASSERT_TRUE(c.BindChannel(t, Addr("198.51.100.20:7000")).ok());
  EXPECT_EQ(c.client->stats().channels_bound, 2u);
  EXPECT_EQ(t.server->stats().channels_bound, 3u);
  // The first channel is 0x4000: ChannelData from the server on it is
  // delivered as from the first peer.
  std::vector<uint8_t> frame = MakeChannelData(0x4000, Bytes("x"));
  EXPECT_TRUE(c.client->HandlePacket(frame));
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].first, Addr("198.51.100.20:7000"));
  frame = MakeChannelData(0x4001, Bytes("y"));
  EXPECT_TRUE(c.client->HandlePacket(frame));
  ASSERT_EQ(c.received.size(), 2u);
  EXPECT_EQ(c.received[1].first, Addr("198.51.100.20:7001"));
}

TEST(TurnClient, AutomaticRefreshKeepsPermissionsChannelsAndAllocationPast10Minutes) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  Peer channel_peer(t.peer_host, Addr("198.51.100.20:7100"), /*echo=*/true);
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());
  ASSERT_TRUE(c.CreatePermission(t, peer.address().ip()).ok());
  ASSERT_TRUE(c.BindChannel(t, channel_peer.address()).ok());
  // One round trip a minute for 25 minutes (past the 600 s allocation,
  // 300 s permission and 600 s channel lifetimes, twice over).
  for (int minute = 1; minute <= 25; ++minute) {
    t.RunSeconds(60);
    ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("m" + std::to_string(minute))).ok())
        << "minute " << minute;
    ASSERT_TRUE(c.client->SendTo(channel_peer.address(), Bytes("c" + std::to_string(minute))).ok())
        << "minute " << minute;
  }
  t.RunSeconds(1);
  EXPECT_EQ(peer.received.size(), 25u);
  EXPECT_EQ(channel_peer.received.size(), 25u);
  EXPECT_EQ(c.received.size(), 50u);
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  EXPECT_FALSE(c.failure.has_value());
  // 600 s lifetime → refresh at 540 s: at 540, 1080 s.
  EXPECT_EQ(c.client->stats().refreshes, 2u);
  EXPECT_GE(c.client->stats().permission_refreshes, 5u);
  EXPECT_GE(c.client->stats().channel_refreshes, 2u);
  EXPECT_EQ(c.client->stats().channel_data_sent, 25u);
  EXPECT_EQ(c.client->stats().channel_data_received, 25u);
  EXPECT_EQ(c.client->stats().dropped, 0u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_to_peer, 0u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_from_peer, 0u);
  EXPECT_EQ(t.server->stats().allocations_expired, 0u);
  EXPECT_EQ(t.server->allocation_count(), 1u);
}

TEST(TurnClient, RefreshesSurviveAnOutageThatSwallowsAWholeTransaction) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());  // allocated at ~0 s: refresh due at ~540 s
  ASSERT_TRUE(c.CreatePermission(t, peer.address().ip()).ok());  // ~2 s: refresh at ~242 s
  auto at = [](int64_t s) { return Timestamp::Zero() + TimeDelta::Seconds(s); };
  // Outage 1 loses every transmission of the permission refresh (RFC 8489
  // §6.2.1: 0, .5, 1.5, 3.5, 7.5, 15.5, 31.5 s; timeout at 39.5 s); the retry
  // at ~281.5 s lands before the permission lapses at ~302 s.
  t.net.RunUntil(at(230));
  t.client_link->SetUp(false);
  t.net.RunUntil(at(280));
  t.client_link->SetUp(true);
  t.net.RunUntil(at(310));
  EXPECT_TRUE(c.client->HasPermission(peer.address().ip()));
  EXPECT_EQ(c.client->stats().refresh_retries, 1u);
  // Outage 2 does the same to the allocation refresh at ~540 s.
  t.net.RunUntil(at(530));
  t.client_link->SetUp(false);
  t.net.RunUntil(at(575));
  t.client_link->SetUp(true);
  t.net.RunUntil(at(700));
  EXPECT_EQ(c.client->stats().refresh_retries, 2u);
  EXPECT_EQ(c.client->stats().refreshes, 1u);
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  EXPECT_FALSE(c.failure.has_value());
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("still here")).ok());
  t.RunSeconds(1);
  ASSERT_EQ(c.received.size(), 1u);
  EXPECT_EQ(c.received[0].second, "echo:still here");
  EXPECT_EQ(t.server->stats().allocations_expired, 0u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_from_peer, 0u);
}

TEST(TurnClient, ShortLifetimeRefreshesAtHalf) {
  TurnServerConfig config;
  config.default_lifetime = TimeDelta::Seconds(100);
  config.max_lifetime = TimeDelta::Seconds(100);
  Topology t(config);
  ClientSide c(t, {});
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok());
  EXPECT_EQ(allocation->lifetime, TimeDelta::Seconds(100));
  // Lifetime − 60 s would be 40 s, earlier than half (50 s): refresh at 50 s.
  t.RunSeconds(47);
  EXPECT_EQ(c.client->stats().refreshes, 0u);
  t.RunSeconds(5);
  EXPECT_EQ(c.client->stats().refreshes, 1u);
  t.RunSeconds(1000);
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
  EXPECT_EQ(t.server->stats().allocations_expired, 0u);
}

TEST(TurnClient, DeallocateDeletesTheAllocation) {
  Topology t;
  ClientSide c(t, {});
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok());
  ASSERT_TRUE(c.CreatePermission(t, Ip("198.51.100.20")).ok());
  c.client->Deallocate();
  EXPECT_EQ(c.client->state(), TurnState::kDeallocated);
  EXPECT_FALSE(c.client->HasPermission(Ip("198.51.100.20")));
  EXPECT_EQ(c.client->SendTo(Addr("198.51.100.20:7000"), Bytes("x")).code(),
            absl::StatusCode::kFailedPrecondition);
  t.RunSeconds(1);
  EXPECT_EQ(t.server->allocation_count(), 0u);
  EXPECT_EQ(t.server->stats().allocations_deleted, 1u);
  // The relay port is closed: a peer sending there reaches no socket.
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), false);
  ASSERT_TRUE(peer.socket->SendTo(allocation->relayed, Bytes("late")).ok());
  t.RunSeconds(1);
  EXPECT_EQ(t.turn_host->stats().no_socket_drops, 1u);
  // No timers fire for the old allocation.
  t.RunSeconds(3600);
  EXPECT_EQ(c.client->stats().refreshes, 0u);
  EXPECT_EQ(c.client->stats().permission_refreshes, 0u);
  // And a new allocation can be made from the same 5-tuple.
  auto again = c.Allocate(t);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(t.server->allocation_count(), 1u);
}

TEST(TurnClient, ServerLosingTheAllocationFailsTheClientOnce) {
  Topology t;
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());
  // A server restart: the new one knows neither the nonce nor the
  // allocation. The next Refresh gets 438 (retried), then 437.
  t.server.reset();
  TurnServerConfig config;
  config.listen = Topology::kServer;
  config.users = {{"alice", "secret"}};
  auto restarted = TurnServer::Create(t.turn_host->env(), config);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  t.server = *std::move(restarted);
  t.RunSeconds(600);
  ASSERT_TRUE(c.failure.has_value());
  EXPECT_EQ(TurnErrorCode(*c.failure), 437) << *c.failure;
  EXPECT_EQ(c.client->state(), TurnState::kFailed);
  EXPECT_EQ(c.client->stats().stale_nonce_retries, 1u);
  EXPECT_EQ(t.server->stats().allocation_mismatches, 1u);
}

TEST(TurnClient, Ipv6RelayFromAnIpv4Client) {
  Topology t;
  Peer peer(t.peer_host, Addr("[2001:db8::20]:7000"), /*echo=*/true);
  TurnClientConfig config;
  config.request_ipv6 = true;
  ClientSide c(t, config);
  auto allocation = c.Allocate(t);
  ASSERT_TRUE(allocation.ok()) << allocation.status();
  EXPECT_EQ(allocation->relayed.ip(), Ip("2001:db8::1"));
  EXPECT_EQ(allocation->mapped, Addr("203.0.113.1:5000"));
  // RFC 8656 §10.1: only peers of the relayed family.
  std::optional<absl::Status> wrong_family;
  c.client->CreatePermission(Ip("198.51.100.20"), [&](absl::Status s) { wrong_family = s; });
  ASSERT_TRUE(wrong_family.has_value());
  EXPECT_EQ(wrong_family->code(), absl::StatusCode::kInvalidArgument);

  ASSERT_TRUE(c.CreatePermission(t, peer.address().ip()).ok());
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("v6 by indication")).ok());
  t.RunSeconds(1);
  ASSERT_TRUE(c.BindChannel(t, peer.address()).ok());
  ASSERT_TRUE(c.client->SendTo(peer.address(), Bytes("v6 by channel")).ok());
  t.RunSeconds(1);
  ASSERT_EQ(peer.received.size(), 2u);
  EXPECT_EQ(peer.received[0].first, allocation->relayed);
  EXPECT_EQ(peer.received[1].second, "v6 by channel");
  ASSERT_EQ(c.received.size(), 2u);
  EXPECT_EQ(c.received[0].first, peer.address());
  EXPECT_EQ(c.received[1].second, "echo:v6 by channel");
  EXPECT_EQ(c.client->stats().data_indications, 1u);
  EXPECT_EQ(c.client->stats().channel_data_received, 1u);
}

TEST(TurnClient, MalformedAndUnexpectedTrafficIsDroppedAndCounted) {
  Topology t;
  ClientSide c(t, {});
  ASSERT_TRUE(c.Allocate(t).ok());
  ASSERT_TRUE(c.BindChannel(t, Addr("198.51.100.20:7000")).ok());
  const uint64_t dropped = c.client->stats().dropped;
  // Length says 16, two bytes follow.
  const std::vector<uint8_t> truncated = {0x40, 0x00, 0x00, 0x10, 1, 2};
  EXPECT_TRUE(c.client->HandlePacket(truncated));
  // A channel nobody bound.
  EXPECT_TRUE(c.client->HandlePacket(MakeChannelData(0x4ABC, Bytes("x"))));
  // Channel 0x4FFF is in range but unbound; 0x5000 is reserved, and with a
  // first byte of 0x50 it is not even TURN-shaped (RFC 7983).
  EXPECT_TRUE(c.client->HandlePacket(MakeChannelData(0x4FFF, Bytes("x"))));
  const std::vector<uint8_t> reserved = {0x50, 0x00, 0x00, 0x00};
  EXPECT_FALSE(c.client->HandlePacket(reserved));
  // A Data indication from a peer without permission (RFC 8656 §11.4).
  stun::TransactionId id{};
  id[0] = 7;
  stun::StunMessageBuilder data(stun::StunMethod::kData, stun::StunClass::kIndication, id);
  data.AddXorAddress(stun::attr::kXorPeerAddress, Addr("198.51.100.30:9"));
  data.AddBytes(stun::attr::kData, Bytes("spoof"));
  EXPECT_TRUE(c.client->HandlePacket(data.bytes()));
  // A Data indication without DATA.
  stun::StunMessageBuilder no_data(stun::StunMethod::kData, stun::StunClass::kIndication, id);
  no_data.AddXorAddress(stun::attr::kXorPeerAddress, Addr("198.51.100.20:7000"));
  EXPECT_TRUE(c.client->HandlePacket(no_data.bytes()));
  // A STUN-looking message that does not parse.
  std::vector<uint8_t> broken = data.bytes();
  broken[3] += 4;  // length no longer matches
  EXPECT_TRUE(c.client->HandlePacket(broken));
  EXPECT_EQ(c.client->stats().dropped, dropped + 6);
  EXPECT_TRUE(c.received.empty());

  // Not ours at all: a Binding response with an unknown transaction, RTP.
  stun::StunMessageBuilder binding(stun::StunMethod::kBinding, stun::StunClass::kSuccessResponse,
                                   id);
  binding.AddXorAddress(stun::attr::kXorMappedAddress, Addr("203.0.113.1:5000"));
  EXPECT_FALSE(c.client->HandlePacket(binding.bytes()));
  const std::vector<uint8_t> rtp = {0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_FALSE(c.client->HandlePacket(rtp));
  EXPECT_EQ(c.client->stats().dropped, dropped + 6);
  EXPECT_EQ(c.client->state(), TurnState::kAllocated);
}

TEST(TurnClient, MisuseIsRefused) {
  Topology t;
  ClientSide c(t, {});
  std::optional<absl::Status> permission, channel;
  c.client->CreatePermission(Ip("198.51.100.20"), [&](absl::Status s) { permission = s; });
  c.client->BindChannel(Addr("198.51.100.20:7000"), [&](absl::Status s) { channel = s; });
  ASSERT_TRUE(permission.has_value() && channel.has_value());
  EXPECT_EQ(permission->code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(channel->code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.client->SendTo(Addr("198.51.100.20:7000"), Bytes("x")).code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(c.Allocate(t).ok());
  std::optional<absl::StatusOr<TurnClient::Allocation>> second;
  c.client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { second = std::move(r); });
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TurnClient, DeallocateWhileAllocatingDeletesWhatTheServerCreated) {
  Topology t;
  ClientSide c(t, {});
  std::optional<absl::StatusOr<TurnClient::Allocation>> result;
  c.client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { result = std::move(r); });
  c.client->Deallocate();
  t.RunSeconds(2);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(c.client->state(), TurnState::kDeallocated);
  EXPECT_EQ(t.server->stats().allocations_created, 1u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
}

TEST(TurnClient, LossyPathStillAllocatesByRetransmission) {
  // 30% loss each way on the client's access link: the RFC 8489
  // retransmissions and the server's idempotent Allocate get through.
  Topology t({}, /*seed=*/7);
  simnet::LinkParams lossy = testing::Delay(1);
  lossy.loss = simnet::LossModel::Bernoulli(0.3);
  ASSERT_TRUE(t.client_link->SetParams(lossy).ok());
  ClientSide c(t, {});
  std::optional<absl::StatusOr<TurnClient::Allocation>> result;
  c.client->Allocate([&](absl::StatusOr<TurnClient::Allocation> r) { result = std::move(r); });
  t.RunSeconds(60);
  ASSERT_TRUE(result.has_value());
  ASSERT_TRUE(result->ok()) << result->status();
  EXPECT_GT(c.client->transaction_stats().retransmissions, 0u);
  EXPECT_EQ(t.server->stats().allocations_created, 1u);
}

TEST(TurnClient, SameSeedSameRun) {
  auto run = [](uint64_t seed) {
    Topology t({}, seed);
    Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
    ClientSide c(t, {});
    auto allocation = c.Allocate(t);
    EXPECT_TRUE(allocation.ok());
    EXPECT_TRUE(c.BindChannel(t, peer.address()).ok());
    EXPECT_TRUE(c.client->SendTo(peer.address(), Bytes("x")).ok());
    t.RunSeconds(700);
    return std::make_pair(allocation->relayed, t.net.trace().hash());
  };
  EXPECT_EQ(run(3), run(3));
}

}  // namespace
}  // namespace rtcsim::turn
