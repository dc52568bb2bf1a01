// TurnServer against a hand-rolled client that builds every message itself,
// so each RFC 8656 / RFC 8489 rule is exercised on the wire without the
// TurnClient's own behaviour in the way.
#include "stack/turn/turn_server.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "stack/stun/stun_message.h"
#include "stack/turn/turn_client.h"
#include "stack/turn/turn_test_topology.h"

namespace rtcsim::turn {
namespace {

using stun::StunClass;
using stun::StunMessageBuilder;
using stun::StunMessageView;
using stun::StunMethod;
using testing::Addr;
using testing::Bytes;
using testing::Ip;
using testing::Peer;
using testing::Text;
using testing::Topology;

constexpr uint16_t kUnknownRequiredAttribute = 0x0031;

struct Reply {
  std::vector<uint8_t> bytes;
  // -1: no reply; 0: success; else the error code.
  int code = -1;
  std::optional<StunMessageView> view() const {
    auto v = StunMessageView::Parse(bytes);
    if (!v.ok()) return std::nullopt;
    return *v;
  }
};

// A client that speaks raw STUN/TURN from the NATed host.
class RawClient {
 public:
  RawClient(Topology& t, const char* bind = "192.168.1.10:6000") : t_(t) {
    auto s = t.client_host->Bind(Addr(bind));
    EXPECT_TRUE(s.ok()) << s.status();
    socket_ = *std::move(s);
    socket_->SetReceiveCallback([this](const SocketAddress&, absl::Span<const uint8_t> data) {
      received_.emplace_back(data.begin(), data.end());
    });
  }

  void SetCredentials(std::string username, std::string password) {
    username_ = std::move(username);
    password_ = std::move(password);
  }

  // Sends a request and waits 500 ms for its response. With `auth`, adds
  // USERNAME/REALM/NONCE/MESSAGE-INTEGRITY from the last challenge.
  Reply Request(StunMethod method, const std::function<void(StunMessageBuilder&)>& add,
                bool auth = true, std::optional<stun::TransactionId> id = std::nullopt) {
    stun::TransactionId tid = id.value_or(NextId());
    StunMessageBuilder b(method, StunClass::kRequest, tid);
    if (add) add(b);
    if (auth) {
      b.AddString(stun::attr::kUsername, username_);
      b.AddString(stun::attr::kRealm, realm_);
      b.AddString(stun::attr::kNonce, nonce_);
      b.AddMessageIntegrity(stun::LongTermKey(username_, realm_, password_));
    }
    b.AddFingerprint();
    return SendAndWait(b.bytes(), tid);
  }

  Reply SendAndWait(absl::Span<const uint8_t> bytes, const stun::TransactionId& tid) {
    Send(bytes);
    t_.Run(TimeDelta::Millis(500));
    Reply reply;
    for (const auto& r : received_) {
      auto v = StunMessageView::Parse(r);
      if (!v.ok() || v->transaction_id() != tid) continue;
      reply.bytes = r;
      if (v->message_class() == StunClass::kSuccessResponse) {
        reply.code = 0;
      } else {
        auto e = v->GetErrorCode();
        reply.code = e.ok() ? e->code : -2;
        // Learn realm and nonce from challenges, as a client would.
        if (reply.code == 401 || reply.code == 438) {
          auto nonce = v->GetString(stun::attr::kNonce);
          auto realm = v->GetString(stun::attr::kRealm);
          if (nonce.ok()) nonce_ = *nonce;
          if (realm.ok()) realm_ = *realm;
        }
      }
    }
    return reply;
  }

  void Send(absl::Span<const uint8_t> bytes) {
    ASSERT_TRUE(socket_->SendTo(Topology::kServer, bytes).ok());
  }

  static void AddAllocateAttributes(StunMessageBuilder& b) { b.AddRequestedTransport(17); }

  // 401 dance then an authenticated Allocate; returns the relayed address.
  SocketAddress Allocate(uint32_t lifetime_s = 0) {
    Reply challenge = Request(StunMethod::kAllocate, AddAllocateAttributes, /*auth=*/false);
    EXPECT_EQ(challenge.code, 401);
    Reply r = Request(StunMethod::kAllocate, [lifetime_s](StunMessageBuilder& b) {
      b.AddRequestedTransport(17);
      if (lifetime_s != 0) b.AddUint32(stun::attr::kLifetime, lifetime_s);
    });
    EXPECT_EQ(r.code, 0);
    auto v = r.view();
    if (!v) return {};
    last_lifetime_s = v->GetUint32(stun::attr::kLifetime).value_or(0);
    EXPECT_EQ(v->CheckIntegrity(stun::LongTermKey(username_, realm_, password_)),
              stun::IntegrityResult::kOk);
    return v->GetXorAddress(stun::attr::kXorRelayedAddress).value_or(SocketAddress());
  }

  int CreatePermission(const IpAddress& peer) {
    return Request(StunMethod::kCreatePermission,
                   [peer](StunMessageBuilder& b) {
                     b.AddXorAddress(stun::attr::kXorPeerAddress, SocketAddress(peer, 0));
                   })
        .code;
  }

  int ChannelBind(uint16_t channel, const SocketAddress& peer) {
    return Request(StunMethod::kChannelBind,
                   [channel, peer](StunMessageBuilder& b) {
                     b.AddChannelNumber(channel);
                     b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
                   })
        .code;
  }

  void SendIndication(const SocketAddress& peer, absl::string_view data) {
    StunMessageBuilder b(StunMethod::kSend, StunClass::kIndication, NextId());
    b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
    b.AddBytes(stun::attr::kData, Bytes(data));
    Send(b.bytes());
  }

  void SendChannelData(uint16_t channel, absl::string_view data) {
    Send(MakeChannelData(channel, Bytes(data)));
  }

  // Data that came back from peers: Data indications and ChannelData.
  std::vector<std::string> DataReceived() const {
    std::vector<std::string> out;
    for (const auto& r : received_) {
      if (LooksLikeChannelData(r)) {
        auto cd = ParseChannelData(r);
        out.push_back(cd.ok() ? "channel:" + Text(cd->data) : "bad-channel");
        continue;
      }
      auto v = StunMessageView::Parse(r);
      if (v.ok() && v->method() == StunMethod::kData &&
          v->message_class() == StunClass::kIndication) {
        const stun::RawAttribute* d = v->Find(stun::attr::kData);
        out.push_back(d ? "data:" + Text(d->value) : "bad-data");
      }
    }
    return out;
  }

  stun::TransactionId NextId() {
    stun::TransactionId id{};
    id[11] = static_cast<uint8_t>(++next_id_);
    id[10] = static_cast<uint8_t>(next_id_ >> 8);
    return id;
  }

  uint32_t last_lifetime_s = 0;

 private:
  Topology& t_;
  std::unique_ptr<UdpSocket> socket_;
  std::vector<std::vector<uint8_t>> received_;
  std::string username_ = "alice";
  std::string password_ = "secret";
  std::string realm_;
  std::string nonce_;
  int next_id_ = 0;
};

TEST(TurnServer, CreateRejectsBadConfig) {
  simnet::Network net(1);
  simnet::Host* h = *net.AddHost("h", {Ip("10.0.0.1")});
  TurnServerConfig config;
  config.listen = Addr("10.0.0.1:3478");
  config.realm = "";
  EXPECT_EQ(TurnServer::Create(h->env(), config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.realm = "r";
  config.max_lifetime = TimeDelta::Seconds(10);
  EXPECT_EQ(TurnServer::Create(h->env(), config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.max_lifetime = TimeDelta::Seconds(3600);
  config.relay_addresses = {Ip("10.0.0.1"), Ip("10.0.0.1")};
  EXPECT_EQ(TurnServer::Create(h->env(), config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.relay_addresses = {};
  config.listen = Addr("0.0.0.0:3478");
  EXPECT_EQ(TurnServer::Create(h->env(), config).status().code(),
            absl::StatusCode::kInvalidArgument);
  config.listen = Addr("10.0.0.9:3478");  // not this host's address
  EXPECT_FALSE(TurnServer::Create(h->env(), config).ok());
}

TEST(TurnServer, AnswersBindingRequestsAsAStunServer) {
  Topology t;
  RawClient c(t);
  Reply r = c.Request(StunMethod::kBinding, nullptr, /*auth=*/false);
  ASSERT_EQ(r.code, 0);
  auto v = r.view();
  ASSERT_TRUE(v.has_value());
  auto mapped = v->GetXorAddress(stun::attr::kXorMappedAddress);
  ASSERT_TRUE(mapped.ok()) << mapped.status();
  EXPECT_EQ(*mapped, Addr("203.0.113.1:6000"));  // the NAT's side
  EXPECT_TRUE(v->has_fingerprint());
  EXPECT_EQ(t.server->stats().binding_requests, 1u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
}

TEST(TurnServer, UnauthenticatedRequestGets401WithRealmAndNonce) {
  Topology t;
  RawClient c(t);
  Reply r = c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, /*auth=*/false);
  ASSERT_EQ(r.code, 401);
  auto v = r.view();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->GetString(stun::attr::kRealm).value_or(""), "rtcsim");
  EXPECT_EQ(v->GetString(stun::attr::kNonce).value_or("").size(), 32u);
  // RFC 8489 §9.2.4: no integrity on the challenge.
  EXPECT_FALSE(v->Has(stun::attr::kMessageIntegrity));
  EXPECT_EQ(t.server->stats().unauthenticated, 1u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
  // Every TURN request needs credentials, not only Allocate.
  Reply p = c.Request(StunMethod::kCreatePermission, nullptr, /*auth=*/false);
  EXPECT_EQ(p.code, 401);
}

TEST(TurnServer, WrongCredentialsGet401AndAreCounted) {
  Topology t;
  RawClient c(t);
  c.SetCredentials("alice", "wrong");
  EXPECT_EQ(c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, false).code, 401);
  EXPECT_EQ(c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes).code, 401);
  c.SetCredentials("nobody", "secret");
  EXPECT_EQ(c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes).code, 401);
  EXPECT_EQ(t.server->stats().wrong_credentials, 2u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
  // Integrity without USERNAME is a 400 (RFC 8489 §9.2.4).
  StunMessageBuilder b(StunMethod::kAllocate, StunClass::kRequest, c.NextId());
  b.AddRequestedTransport(17);
  b.AddMessageIntegrity(stun::LongTermKey("alice", "rtcsim", "secret"));
  auto tid = StunMessageView::Parse(b.bytes())->transaction_id();
  EXPECT_EQ(c.SendAndWait(b.bytes(), tid).code, 400);
}

TEST(TurnServer, AllocateGrantsLifetimeWithinBounds) {
  Topology t;
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  EXPECT_EQ(relayed.ip(), Ip("198.51.100.1"));
  EXPECT_EQ(c.last_lifetime_s, 600u);  // default
  RawClient c2(t, "192.168.1.10:6001");
  c2.Allocate(7200);
  EXPECT_EQ(c2.last_lifetime_s, 3600u);  // capped at the maximum
  RawClient c3(t, "192.168.1.10:6002");
  c3.Allocate(60);
  EXPECT_EQ(c3.last_lifetime_s, 600u);  // never below the default (§7.2)
  EXPECT_EQ(t.server->allocation_count(), 3u);
}

TEST(TurnServer, AllocateRulesOfSection7_2) {
  Topology t;
  RawClient c(t);
  c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, false);
  // Step 3: REQUESTED-TRANSPORT missing → 400, not UDP → 442.
  EXPECT_EQ(c.Request(StunMethod::kAllocate, nullptr).code, 400);
  EXPECT_EQ(
      c.Request(StunMethod::kAllocate, [](StunMessageBuilder& b) { b.AddRequestedTransport(6); })
          .code,
      442);
  // Step 4: DONT-FRAGMENT is unknown to this server → 420 listing it.
  Reply df = c.Request(StunMethod::kAllocate, [](StunMessageBuilder& b) {
    b.AddRequestedTransport(17);
    b.AddFlag(stun::attr::kDontFragment);
  });
  ASSERT_EQ(df.code, 420);
  auto unknown = df.view()->GetUnknownAttributes();
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(*unknown, std::vector<uint16_t>{stun::attr::kDontFragment});
  // Step 7: an unknown family → 440.
  EXPECT_EQ(c.Request(StunMethod::kAllocate,
                      [](StunMessageBuilder& b) {
                        b.AddRequestedTransport(17);
                        const uint8_t family[] = {0x03, 0, 0, 0};
                        b.AddBytes(stun::attr::kRequestedAddressFamily, family);
                      })
                .code,
            440);
  // Success, then step 2: a new Allocate on the same 5-tuple → 437, but a
  // retransmission of the one that succeeded gets the same success.
  const stun::TransactionId first = c.NextId();
  Reply ok = c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, true, first);
  ASSERT_EQ(ok.code, 0);
  Reply again = c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, true, first);
  ASSERT_EQ(again.code, 0);
  EXPECT_EQ(again.view()->GetXorAddress(stun::attr::kXorRelayedAddress).value(),
            ok.view()->GetXorAddress(stun::attr::kXorRelayedAddress).value());
  EXPECT_EQ(c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes).code, 437);
  EXPECT_EQ(t.server->stats().allocations_created, 1u);
  EXPECT_EQ(t.server->stats().allocation_mismatches, 1u);
  EXPECT_EQ(t.server->stats().unknown_attributes, 1u);
}

TEST(TurnServer, UnknownComprehensionRequiredAttributeGets420) {
  Topology t;
  RawClient c(t);
  ASSERT_FALSE(stun::IsKnownAttribute(kUnknownRequiredAttribute));
  Reply r = c.Request(
      StunMethod::kAllocate,
      [](StunMessageBuilder& b) {
        b.AddRequestedTransport(17);
        b.AddBytes(kUnknownRequiredAttribute, Bytes("????"));
        b.AddBytes(0xC001, Bytes("optional is fine"));
      },
      /*auth=*/false);
  ASSERT_EQ(r.code, 420);
  EXPECT_EQ(r.view()->GetUnknownAttributes().value(),
            std::vector<uint16_t>{kUnknownRequiredAttribute});
  EXPECT_EQ(t.server->stats().unknown_attributes, 1u);
  // Only comprehension-optional unknowns: processed normally (here: 401).
  EXPECT_EQ(c.Request(
                 StunMethod::kAllocate,
                 [](StunMessageBuilder& b) {
                   b.AddRequestedTransport(17);
                   b.AddBytes(0xC001, Bytes("optional"));
                 },
                 false)
                .code,
            401);
  // Also on Binding requests.
  EXPECT_EQ(
      c.Request(
           StunMethod::kBinding,
           [](StunMessageBuilder& b) { b.AddBytes(kUnknownRequiredAttribute, Bytes("x")); }, false)
          .code,
      420);
}

TEST(TurnServer, RequestsWithoutAllocationGet437AndForeignUsers441) {
  Topology t;
  RawClient c(t);
  c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, false);
  EXPECT_EQ(c.CreatePermission(Ip("198.51.100.20")), 437);
  EXPECT_EQ(c.ChannelBind(0x4000, Addr("198.51.100.20:7000")), 437);
  EXPECT_EQ(c.Request(StunMethod::kRefresh, nullptr).code, 437);
  c.Allocate();
  // RFC 8656 §5: another user on the same 5-tuple gets 441.
  c.SetCredentials("bob", "hunter2");
  EXPECT_EQ(c.CreatePermission(Ip("198.51.100.20")), 441);
  EXPECT_EQ(t.server->stats().username_mismatches, 1u);
  EXPECT_EQ(t.server->stats().allocation_mismatches, 3u);
}

TEST(TurnServer, NonceRotationGives438ThenAcceptsTheNewNonce) {
  TurnServerConfig config;
  config.nonce_lifetime = TimeDelta::Seconds(30);
  Topology t(config);
  RawClient c(t);
  c.Allocate();
  t.RunSeconds(31);
  Reply stale = c.Request(StunMethod::kRefresh, nullptr);
  ASSERT_EQ(stale.code, 438);
  // RFC 8489 §9.2.4: the 438 carries a new, valid NONCE and the REALM.
  EXPECT_TRUE(stale.view()->Has(stun::attr::kNonce));
  EXPECT_TRUE(stale.view()->Has(stun::attr::kRealm));
  EXPECT_EQ(c.Request(StunMethod::kRefresh, nullptr).code, 0);
  EXPECT_EQ(t.server->stats().stale_nonces, 1u);
  EXPECT_EQ(t.server->stats().refreshes, 1u);
}

TEST(TurnServer, SendIndicationNeedsAPermission) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  c.SendIndication(peer.address(), "no permission yet");
  t.RunSeconds(1);
  EXPECT_TRUE(peer.received.empty());
  EXPECT_EQ(t.server->stats().dropped_no_permission_to_peer, 1u);

  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  c.SendIndication(peer.address(), "hi");
  t.RunSeconds(1);
  ASSERT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(peer.received[0].first, relayed);
  EXPECT_EQ(c.DataReceived(), std::vector<std::string>{"data:echo:hi"});
  EXPECT_EQ(t.server->stats().send_indications, 1u);
  EXPECT_EQ(t.server->stats().data_indications_sent, 1u);
  EXPECT_EQ(t.server->stats().bytes_to_peers, 2u);
  EXPECT_EQ(t.server->stats().bytes_from_peers, 7u);
}

TEST(TurnServer, PeerWithoutPermissionIsDropped) {
  Topology t;
  Peer stranger(t.peer2_host, Addr("198.51.100.30:7000"), false);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  ASSERT_EQ(c.CreatePermission(Ip("198.51.100.20")), 0);
  ASSERT_TRUE(stranger.socket->SendTo(relayed, Bytes("let me in")).ok());
  t.RunSeconds(1);
  EXPECT_TRUE(c.DataReceived().empty());
  EXPECT_EQ(t.server->stats().dropped_no_permission_from_peer, 1u);
  // Permissions are per IP (§9): any port on a permitted IP gets through.
  Peer permitted(t.peer_host, Addr("198.51.100.20:7777"), false);
  ASSERT_TRUE(permitted.socket->SendTo(relayed, Bytes("port does not matter")).ok());
  t.RunSeconds(1);
  EXPECT_EQ(c.DataReceived(), std::vector<std::string>{"data:port does not matter"});
}

TEST(TurnServer, PermissionExpiresAfter300SecondsWithoutRefresh) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/false);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  t.RunSeconds(298);
  c.SendIndication(peer.address(), "just in time");
  ASSERT_TRUE(peer.socket->SendTo(relayed, Bytes("reply in time")).ok());
  t.RunSeconds(1);
  EXPECT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(c.DataReceived().size(), 1u);
  t.RunSeconds(2);  // 301 s after installation
  c.SendIndication(peer.address(), "too late");
  ASSERT_TRUE(peer.socket->SendTo(relayed, Bytes("reply too late")).ok());
  t.RunSeconds(1);
  EXPECT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(c.DataReceived().size(), 1u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_to_peer, 1u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_from_peer, 1u);
  EXPECT_EQ(t.server->stats().permissions_expired, 1u);
  // A new CreatePermission restores it.
  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  c.SendIndication(peer.address(), "back");
  t.RunSeconds(1);
  EXPECT_EQ(peer.received.size(), 2u);
}

TEST(TurnServer, ChannelBindingRelaysBothWaysAndItsRules) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/true);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  // §12.2 checks.
  EXPECT_EQ(c.ChannelBind(0x3FFF, peer.address()), 400);
  EXPECT_EQ(c.ChannelBind(0x5000, peer.address()), 400);
  EXPECT_EQ(c.ChannelBind(0x4000, Addr("[2001:db8::20]:7000")), 443);
  ASSERT_EQ(c.ChannelBind(0x4000, peer.address()), 0);
  EXPECT_EQ(c.ChannelBind(0x4000, peer.address()), 0);  // refresh is fine
  EXPECT_EQ(c.ChannelBind(0x4000, Addr("198.51.100.20:7001")), 400);
  EXPECT_EQ(c.ChannelBind(0x4001, peer.address()), 400);

  c.SendChannelData(0x4000, "via channel");
  t.RunSeconds(1);
  ASSERT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(peer.received[0].first, relayed);
  EXPECT_EQ(peer.received[0].second, "via channel");
  // §12.5: with a channel bound the server MUST use ChannelData.
  EXPECT_EQ(c.DataReceived(), std::vector<std::string>{"channel:echo:via channel"});
  // Unbound channel and malformed frames are dropped and counted.
  c.SendChannelData(0x4123, "nobody");
  const std::vector<uint8_t> truncated = {0x40, 0x00, 0x00, 0x20, 'x'};
  c.Send(truncated);
  t.RunSeconds(1);
  EXPECT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(t.server->stats().dropped_unbound_channel, 1u);
  EXPECT_EQ(t.server->stats().dropped_malformed, 1u);
  EXPECT_EQ(t.server->stats().channel_data_from_client, 1u);
  EXPECT_EQ(t.server->stats().channel_data_to_client, 1u);
}

TEST(TurnServer, ChannelDataAfterThePermissionLapsesIsDropped) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/false);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  ASSERT_EQ(c.ChannelBind(0x4000, peer.address()), 0);
  // The channel lasts 600 s, its permission 300 s (§9, §12).
  t.RunSeconds(400);
  c.SendChannelData(0x4000, "lapsed");
  ASSERT_TRUE(peer.socket->SendTo(relayed, Bytes("lapsed too")).ok());
  t.RunSeconds(1);
  EXPECT_TRUE(peer.received.empty());
  EXPECT_TRUE(c.DataReceived().empty());
  EXPECT_EQ(t.server->stats().dropped_no_permission_to_peer, 1u);
  EXPECT_EQ(t.server->stats().dropped_no_permission_from_peer, 1u);
  // After 600 s the channel itself is gone (the allocation is kept alive).
  ASSERT_EQ(c.Request(StunMethod::kRefresh, nullptr).code, 0);
  t.RunSeconds(300);
  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  c.SendChannelData(0x4000, "expired channel");
  ASSERT_TRUE(peer.socket->SendTo(relayed, Bytes("as a Data indication")).ok());
  t.RunSeconds(1);
  EXPECT_TRUE(peer.received.empty());
  EXPECT_EQ(t.server->stats().dropped_unbound_channel, 1u);
  EXPECT_EQ(c.DataReceived(), std::vector<std::string>{"data:as a Data indication"});
}

TEST(TurnServer, AllocationExpiresWithoutRefreshAndClosesItsRelay) {
  Topology t;
  Peer peer(t.peer_host, Addr("198.51.100.20:7000"), /*echo=*/false);
  RawClient c(t);
  SocketAddress relayed = c.Allocate();
  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  t.RunSeconds(599);
  EXPECT_EQ(t.server->allocation_count(), 1u);
  t.RunSeconds(2);
  EXPECT_EQ(t.server->allocation_count(), 0u);
  EXPECT_EQ(t.server->stats().allocations_expired, 1u);
  ASSERT_TRUE(peer.socket->SendTo(relayed, Bytes("gone")).ok());
  t.RunSeconds(1);
  EXPECT_EQ(t.turn_host->stats().no_socket_drops, 1u);
  EXPECT_EQ(c.CreatePermission(peer.address().ip()), 437);
}

TEST(TurnServer, RefreshExtendsAndLifetimeZeroDeletes) {
  Topology t;
  RawClient c(t);
  c.Allocate();
  t.RunSeconds(500);
  EXPECT_EQ(c.Request(StunMethod::kRefresh,
                      [](StunMessageBuilder& b) { b.AddUint32(stun::attr::kLifetime, 600); })
                .code,
            0);
  t.RunSeconds(500);  // 1000 s after the Allocate, 500 after the Refresh
  EXPECT_EQ(t.server->allocation_count(), 1u);
  // §8.2: a family that is not the allocation's → 443.
  EXPECT_EQ(c.Request(StunMethod::kRefresh,
                      [](StunMessageBuilder& b) {
                        const uint8_t family[] = {0x02, 0, 0, 0};
                        b.AddBytes(stun::attr::kRequestedAddressFamily, family);
                      })
                .code,
            443);
  const stun::TransactionId id = c.NextId();
  auto zero = [](StunMessageBuilder& b) { b.AddUint32(stun::attr::kLifetime, 0); };
  Reply deleted = c.Request(StunMethod::kRefresh, zero, true, id);
  ASSERT_EQ(deleted.code, 0);
  EXPECT_EQ(deleted.view()->GetUint32(stun::attr::kLifetime).value(), 0u);
  EXPECT_EQ(t.server->allocation_count(), 0u);
  EXPECT_EQ(t.server->stats().allocations_deleted, 1u);
  // §8.3: a retransmitted delete meets 437 (clients treat it as success).
  EXPECT_EQ(c.Request(StunMethod::kRefresh, zero, true, id).code, 437);
}

TEST(TurnServer, CreatePermissionValidation) {
  Topology t;
  RawClient c(t);
  c.Allocate();
  EXPECT_EQ(c.Request(StunMethod::kCreatePermission, nullptr).code, 400);
  EXPECT_EQ(c.CreatePermission(Ip("2001:db8::20")), 443);
  // Several peers in one request (§10.1).
  EXPECT_EQ(c.Request(StunMethod::kCreatePermission,
                      [](StunMessageBuilder& b) {
                        b.AddXorAddress(stun::attr::kXorPeerAddress, Addr("198.51.100.20:1"));
                        b.AddXorAddress(stun::attr::kXorPeerAddress, Addr("198.51.100.30:2"));
                      })
                .code,
            0);
  EXPECT_EQ(t.server->stats().permissions_installed, 2u);
}

TEST(TurnServer, Ipv6Relay) {
  Topology t;
  Peer peer(t.peer_host, Addr("[2001:db8::20]:7000"), /*echo=*/true);
  RawClient c(t);
  c.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, false);
  Reply r = c.Request(StunMethod::kAllocate, [](StunMessageBuilder& b) {
    b.AddRequestedTransport(17);
    const uint8_t family[] = {0x02, 0, 0, 0};
    b.AddBytes(stun::attr::kRequestedAddressFamily, family);
  });
  ASSERT_EQ(r.code, 0);
  SocketAddress relayed = r.view()->GetXorAddress(stun::attr::kXorRelayedAddress).value();
  EXPECT_EQ(relayed.ip(), Ip("2001:db8::1"));
  EXPECT_EQ(c.CreatePermission(Ip("198.51.100.20")), 443);
  ASSERT_EQ(c.CreatePermission(peer.address().ip()), 0);
  c.SendIndication(peer.address(), "six");
  t.RunSeconds(1);
  ASSERT_EQ(peer.received.size(), 1u);
  EXPECT_EQ(peer.received[0].first, relayed);
  EXPECT_EQ(c.DataReceived(), std::vector<std::string>{"data:echo:six"});
}

TEST(TurnServer, StrayAndMalformedTrafficIsCounted) {
  Topology t;
  RawClient c(t);
  const std::vector<uint8_t> garbage = {0xFF, 1, 2, 3};
  c.Send(garbage);
  // Indications and ChannelData without an allocation are ignored (§5).
  c.SendIndication(Addr("198.51.100.20:7000"), "x");
  c.SendChannelData(0x4000, "x");
  // A response sent to the server.
  StunMessageBuilder response(StunMethod::kBinding, StunClass::kSuccessResponse, c.NextId());
  c.Send(response.bytes());
  t.RunSeconds(1);
  EXPECT_EQ(t.server->stats().dropped_malformed, 2u);
  EXPECT_EQ(t.server->stats().dropped_no_allocation, 2u);
}

TEST(TurnServer, QuotaPerUser) {
  TurnServerConfig config;
  config.max_allocations_per_user = 1;
  Topology t(config);
  RawClient a(t, "192.168.1.10:6000");
  a.Allocate();
  RawClient b(t, "192.168.1.10:6001");
  b.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes, false);
  EXPECT_EQ(b.Request(StunMethod::kAllocate, RawClient::AddAllocateAttributes).code, 486);
  EXPECT_EQ(t.server->allocation_count(), 1u);
}

}  // namespace
}  // namespace rtcsim::turn
