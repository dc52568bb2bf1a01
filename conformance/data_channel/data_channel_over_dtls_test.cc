// WebRTC data channels end to end on simnet: two hosts behind NATs
// (endpoint-independent mapping, address-and-port-dependent filtering, RFC
// 4787) and a STUN server; ICE (RFC 8445) connects, DTLS runs over the
// selected pair (RFC 8842) without use_srtp, and a DataChannelManager on
// each side carries SCTP as DTLS application data (RFC 8261), its role and
// stream id parity taken from the DTLS role (RFC 8832 §6). A opens an
// in-band channel; 1,000 ordered messages cross each way and one 200 KiB
// message from A, all intact and in order with 5% loss on A's access link;
// closing the channel (RFC 8831 §6.7) closes it on both sides.
//
// No determinism assertion here: usrsctp keeps process-wide state across
// simulations (see stack/sctp/sctp_association.h), so a same-seed check
// would need the fork-per-run pattern of stack/sctp/sctp_association_test.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "simnet/network.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_over_ice.h"
#include "stack/dtls/dtls_role.h"
#include "stack/ice/ice_agent.h"
#include "stack/sctp/data_channel.h"
#include "stack/sctp/sctp_association.h"
#include "stack/stun/stun_server.h"

namespace rtcsim::conformance {
namespace {

constexpr int kMessages = 1000;
constexpr size_t kLargeSize = 200 * 1024;
constexpr double kLoss = 0.05;
constexpr uint16_t kStunPort = 3478;

// Message i from `side`: a 2-byte index, then a size and pattern that vary
// with i so reordering or corruption cannot go unnoticed.
std::vector<uint8_t> MessageFor(int side, int i) {
  std::vector<uint8_t> m(16 + (i * 37) % 900);
  for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>(side * 89 + i * 13 + k);
  m[0] = static_cast<uint8_t>(i & 0xff);
  m[1] = static_cast<uint8_t>(i >> 8);
  return m;
}

std::vector<uint8_t> LargeMessage() {
  std::vector<uint8_t> m(kLargeSize);
  for (size_t k = 0; k < m.size(); ++k) m[k] = static_cast<uint8_t>((k * 7 + k / 251) & 0xff);
  return m;
}

struct Peer {
  simnet::Host* host = nullptr;
  std::shared_ptr<const dtls::DtlsCertificate> certificate;
  std::unique_ptr<ice::IceAgent> ice;
  std::unique_ptr<dtls::DtlsOverIce> dtls;
  std::unique_ptr<sctp::DataChannelManager> dcm;
  std::vector<ice::Candidate> candidates;
  bool gathered = false;
  bool dtls_connected = false;
  std::vector<std::shared_ptr<sctp::DataChannel>> remote_channels;  // on_data_channel
  std::vector<std::vector<uint8_t>> received;
  int closed = 0;  // on_close calls
  uint64_t not_dtls = 0;
  size_t largest_sctp_packet = 0;
  uint64_t refused_by_dtls = 0;  // SCTP packets DtlsTransport::Send refused

  void Collect(sctp::DataChannel& channel) {
    channel.set_on_message([this](absl::Span<const uint8_t> d, bool binary) {
      EXPECT_TRUE(binary);
      received.emplace_back(d.begin(), d.end());
    });
    channel.set_on_close([this] { ++closed; });
  }
};

// Topology (RFC 5737 addresses), as in conformance/secure_call:
//   stun 198.51.100.1 ── internet ── nat-a 203.0.113.10 ── host-a 10.0.1.2
//                                └── nat-b 203.0.113.11 ── host-b 10.0.2.2
class DataChannelCall {
 public:
  explicit DataChannelCall(uint64_t seed) : net_(seed) {}

  void Build() {
    simnet::LinkParams core;
    core.delay = TimeDelta::Millis(10);
    simnet::Router* internet = *net_.AddRouter("internet");
    const SocketAddress stun_address(IpAddress::V4(198, 51, 100, 1), kStunPort);
    simnet::Host* server = *net_.AddHost("stun", {stun_address.ip()});
    ASSERT_TRUE(net_.Connect(server, internet, core).ok());
    auto stun = stun::StunBindingServer::Create(server->env(), stun_address);
    ASSERT_TRUE(stun.ok()) << stun.status();
    stun_ = std::move(*stun);

    for (int i = 0; i < 2; ++i) {
      const std::string name = i == 0 ? "a" : "b";
      simnet::NatConfig nat_config;
      nat_config.public_addresses = {IpAddress::V4(203, 0, 113, static_cast<uint8_t>(10 + i))};
      nat_config.mapping = simnet::NatMapping::kEndpointIndependent;
      nat_config.filtering = simnet::NatFiltering::kAddressAndPortDependent;
      simnet::Nat* nat = *net_.AddNat("nat-" + name, nat_config);
      // 5% loss both ways on A's access link, from the first packet on.
      simnet::LinkParams access = core;
      if (i == 0) access.loss = simnet::LossModel::Bernoulli(kLoss);
      access_[i] = *net_.Connect(nat, internet, access);
      peers_[i].host =
          *net_.AddHost("host-" + name, {IpAddress::V4(10, 0, static_cast<uint8_t>(1 + i), 2)});
      ASSERT_TRUE(net_.Connect(peers_[i].host, nat, simnet::LinkParams{}).ok());
      peers_[i].certificate = *dtls::DtlsCertificate::Generate(peers_[i].host->env());
    }

    ice::IceServer stun_server;
    stun_server.type = ice::IceServer::Type::kStun;
    stun_server.address = stun_address;
    // a=setup actpass in the offer, active in the answer (RFC 8842 §5.2):
    // A (offerer) is the DTLS server, B the client.
    MakePeer(peers_[0], peers_[1], ice::IceRole::kControlling,
             *dtls::ResolveDtlsRole(dtls::DtlsSetup::kActpass, dtls::DtlsSetup::kActive, true),
             stun_server);
    MakePeer(peers_[1], peers_[0], ice::IceRole::kControlled,
             *dtls::ResolveDtlsRole(dtls::DtlsSetup::kActive, dtls::DtlsSetup::kActpass, false),
             stun_server);
  }

  // ICE with all candidates exchanged at once, then DTLS, then SCTP.
  bool Connect() {
    Peer& a = peers_[0];
    Peer& b = peers_[1];
    a.ice->SetRemoteCredentials(b.ice->local_credentials());
    b.ice->SetRemoteCredentials(a.ice->local_credentials());
    if (!a.ice->GatherCandidates().ok() || !b.ice->GatherCandidates().ok()) return false;
    RunUntil([&] { return a.gathered && b.gathered; }, TimeDelta::Seconds(10));
    for (const auto& c : a.candidates) b.ice->AddRemoteCandidate(c).IgnoreError();
    for (const auto& c : b.candidates) a.ice->AddRemoteCandidate(c).IgnoreError();
    a.ice->AddRemoteEndOfCandidates();
    b.ice->AddRemoteEndOfCandidates();
    if (!RunUntil([&] { return a.dtls_connected && b.dtls_connected; }, TimeDelta::Seconds(60))) {
      return false;
    }
    dtls_connected_at_ = net_.now() - start_;
    return RunUntil(
        [&] {
          return a.dcm->sctp()->state() == sctp::SctpState::kConnected &&
                 b.dcm->sctp()->state() == sctp::SctpState::kConnected;
        },
        TimeDelta::Seconds(60));
  }

  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout) {
    const Timestamp end = net_.now() + timeout;
    while (!done() && net_.now() < end) net_.RunFor(TimeDelta::Millis(10));
    return done();
  }

  Peer& peer(int side) { return peers_[side]; }
  simnet::Link& access(int side) { return *access_[side]; }
  simnet::Network& net() { return net_; }
  TimeDelta dtls_connected_at() const { return dtls_connected_at_; }
  TimeDelta elapsed() const { return net_.now() - start_; }

 private:
  void MakePeer(Peer& self, Peer& other, ice::IceRole ice_role, dtls::DtlsRole dtls_role,
                const ice::IceServer& stun_server) {
    Peer* s = &self;
    ice::IceAgentConfig ic;
    ic.role = ice_role;
    ic.servers = {stun_server};
    ice::IceAgent::Callbacks cb;
    cb.on_candidate = [s](const ice::Candidate& c) { s->candidates.push_back(c); };
    cb.on_gathering_complete = [s] { s->gathered = true; };
    // RFC 7983: only DTLS is expected on this socket besides STUN.
    cb.on_data = [s](absl::Span<const uint8_t> data) {
      if (!s->dtls->HandleIceData(data)) ++s->not_dtls;
    };
    cb.on_state = [s](ice::IceConnectionState state) { s->dtls->HandleIceState(state); };
    self.ice = std::make_unique<ice::IceAgent>(self.host->env(), ic, cb);

    // RFC 8261: every SCTP packet is one DTLS application data record.
    sctp::SctpConfig sc;
    sc.role =
        dtls_role == dtls::DtlsRole::kClient ? sctp::SctpRole::kClient : sctp::SctpRole::kServer;
    auto dcm = sctp::DataChannelManager::Create(
        self.host->env(), sc, [s](absl::Span<const uint8_t> packet) {
          if (!s->dtls_connected) return absl::FailedPreconditionError("DTLS not connected");
          s->largest_sctp_packet = std::max(s->largest_sctp_packet, packet.size());
          absl::Status status = s->dtls->transport().Send(packet);
          if (!status.ok()) ++s->refused_by_dtls;
          return status;
        });
    ASSERT_TRUE(dcm.ok()) << dcm.status();
    self.dcm = std::move(*dcm);
    self.dcm->set_on_data_channel([s](std::shared_ptr<sctp::DataChannel> ch) {
      s->Collect(*ch);
      s->remote_channels.push_back(std::move(ch));
    });

    dtls::DtlsTransportConfig dc;
    dc.role = dtls_role;
    dc.certificate = self.certificate;
    dc.remote_fingerprints = {other.certificate->fingerprint()};
    dc.srtp_profiles = {};  // data channels only: no use_srtp
    // The default 1,200-byte path MTU: SctpConfig::mtu keeps every SCTP
    // packet within one DTLS record (asserted below).
    dtls::DtlsTransport::Callbacks dcb;
    dcb.on_state = [s](dtls::DtlsTransportState state) {
      if (state != dtls::DtlsTransportState::kConnected || s->dtls_connected) return;
      s->dtls_connected = true;
      // Both sides send INIT (RFC 8831 §6.2; collision per RFC 9260 §5.2).
      EXPECT_TRUE(s->dcm->sctp()->Connect().ok());
    };
    dcb.on_data = [s](absl::Span<const uint8_t> data) { s->dcm->sctp()->HandlePacket(data); };
    auto glue = dtls::DtlsOverIce::Create(self.host->env(), *self.ice, dc, dcb);
    ASSERT_TRUE(glue.ok()) << glue.status();
    self.dtls = std::move(*glue);
  }

  simnet::Network net_;
  Timestamp start_ = net_.now();
  std::unique_ptr<stun::StunBindingServer> stun_;
  Peer peers_[2];
  simnet::Link* access_[2] = {nullptr, nullptr};
  TimeDelta dtls_connected_at_ = TimeDelta::Zero();
};

void ExpectInOrder(const Peer& receiver, int sender_side) {
  ASSERT_GE(receiver.received.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(receiver.received[i], MessageFor(sender_side, i)) << "message " << i;
  }
}

TEST(DataChannelOverDtls, OrderedMessagesAndLargeMessageUnderLossThenClose) {
  DataChannelCall call(/*seed=*/21);
  call.Build();
  Peer& a = call.peer(0);
  Peer& b = call.peer(1);
  ASSERT_TRUE(call.Connect()) << "A: " << a.dtls->transport().error()
                              << " B: " << b.dtls->transport().error();
  // A is the DTLS server (odd ids), B the client (even ids).
  EXPECT_EQ(a.dtls->transport().role(), dtls::DtlsRole::kServer);
  EXPECT_EQ(b.dtls->transport().role(), dtls::DtlsRole::kClient);
  EXPECT_FALSE(a.dtls->transport().srtp_keying_material().has_value());
  const TimeDelta sctp_connected_at = call.elapsed();

  // In-band open from A (RFC 8832 §6).
  auto opened = a.dcm->CreateDataChannel("chat", {.protocol = "test"});
  ASSERT_TRUE(opened.ok()) << opened.status();
  std::shared_ptr<sctp::DataChannel> channel = *opened;
  EXPECT_EQ(channel->id().value() % 2, 1);
  a.Collect(*channel);
  ASSERT_TRUE(call.RunUntil(
      [&] {
        return channel->state() == sctp::DataChannelState::kOpen && !b.remote_channels.empty();
      },
      TimeDelta::Seconds(30)));
  std::shared_ptr<sctp::DataChannel> remote = b.remote_channels[0];
  EXPECT_EQ(remote->id(), channel->id());
  EXPECT_EQ(remote->label(), "chat");
  EXPECT_EQ(remote->protocol(), "test");
  EXPECT_TRUE(remote->ordered());
  EXPECT_EQ(remote->state(), sctp::DataChannelState::kOpen);

  // 1,000 each way, all queued at once, then A's large message.
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_TRUE(channel->SendBinary(MessageFor(0, i)).ok()) << i;
    ASSERT_TRUE(remote->SendBinary(MessageFor(1, i)).ok()) << i;
  }
  const std::vector<uint8_t> large = LargeMessage();
  ASSERT_TRUE(channel->SendBinary(large).ok());
  ASSERT_TRUE(call.RunUntil(
      [&] {
        return b.received.size() == static_cast<size_t>(kMessages + 1) &&
               a.received.size() == static_cast<size_t>(kMessages);
      },
      TimeDelta::Seconds(300)))
      << "B got " << b.received.size() << ", A got " << a.received.size() << "; DTLS send errors "
      << a.dtls->transport().stats().send_errors << "/" << b.dtls->transport().stats().send_errors
      << ", max app data " << a.dtls->transport().max_application_data_size() << "; sctp states "
      << static_cast<int>(a.dcm->sctp()->state()) << "/" << static_cast<int>(b.dcm->sctp()->state())
      << " dtls " << dtls::ToString(a.dtls->transport().state()) << "/"
      << dtls::ToString(b.dtls->transport().state()) << " sctp pkts A "
      << a.dcm->sctp()->stats().packets_sent << "/" << a.dcm->sctp()->stats().packets_received
      << " B " << b.dcm->sctp()->stats().packets_sent << "/"
      << b.dcm->sctp()->stats().packets_received << " buffered " << channel->buffered_amount()
      << " now " << call.elapsed().ToString() << " refused " << a.refused_by_dtls << "/"
      << b.refused_by_dtls << " largest " << a.largest_sctp_packet << "/" << b.largest_sctp_packet;
  ExpectInOrder(b, 0);
  ExpectInOrder(a, 1);
  EXPECT_TRUE(b.received.back() == large) << "the 200 KiB message differs";
  const TimeDelta transfer_done_at = call.elapsed();

  // Close from A: both directions reset, both sides report closed.
  channel->Close();
  ASSERT_TRUE(
      call.RunUntil([&] { return a.closed == 1 && b.closed == 1; }, TimeDelta::Seconds(60)));
  EXPECT_EQ(channel->state(), sctp::DataChannelState::kClosed);
  EXPECT_EQ(remote->state(), sctp::DataChannelState::kClosed);
  EXPECT_EQ(a.dcm->stats().channels_closed, 1u);
  EXPECT_EQ(b.dcm->stats().channels_closed, 1u);

  // Nothing went astray on the way.
  for (Peer* p : {&a, &b}) {
    EXPECT_EQ(p->not_dtls, 0u);
    EXPECT_EQ(p->dcm->stats().unknown_stream_dropped, 0u);
    EXPECT_EQ(p->dcm->stats().dcep_malformed, 0u);
    EXPECT_EQ(p->dcm->sctp()->stats().send_errors, 0u);
    EXPECT_EQ(p->dcm->sctp()->stats().oversized_dropped, 0u);
    EXPECT_EQ(p->dcm->sctp()->stats().messages_abandoned, 0u);
    EXPECT_EQ(p->dtls->transport().stats().send_errors, 0u);
    EXPECT_EQ(p->refused_by_dtls, 0u);
    EXPECT_LE(p->largest_sctp_packet, p->dtls->transport().max_application_data_size());
  }
  EXPECT_EQ(a.dcm->stats().messages_received, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(b.dcm->stats().messages_received, static_cast<uint64_t>(kMessages + 1));
  // The loss really happened, in both directions of A's access link.
  const simnet::LinkStats& up = call.access(0).stats(0);
  const simnet::LinkStats& down = call.access(0).stats(1);
  EXPECT_GT(up.lost, 0u);
  EXPECT_GT(down.lost, 0u);

  std::printf(
      "DTLS connected at %s (handshake %s), SCTP at %s, transfer done at %s, closed at %s\n"
      "largest SCTP packet %zu/%zu bytes (A/B), DTLS record limit %zu\n"
      "A: sctp packets sent %llu received %llu, dtls retransmissions %llu\n"
      "B: sctp packets sent %llu received %llu, dtls retransmissions %llu\n"
      "A access link lost %llu of %llu (nat->internet) and %llu of %llu (internet->nat)\n",
      call.dtls_connected_at().ToString().c_str(),
      a.dtls->transport().stats().handshake_duration.ToString().c_str(),
      sctp_connected_at.ToString().c_str(), transfer_done_at.ToString().c_str(),
      call.elapsed().ToString().c_str(), a.largest_sctp_packet, b.largest_sctp_packet,
      a.dtls->transport().max_application_data_size(),
      static_cast<unsigned long long>(a.dcm->sctp()->stats().packets_sent),
      static_cast<unsigned long long>(a.dcm->sctp()->stats().packets_received),
      static_cast<unsigned long long>(a.dtls->transport().stats().retransmissions),
      static_cast<unsigned long long>(b.dcm->sctp()->stats().packets_sent),
      static_cast<unsigned long long>(b.dcm->sctp()->stats().packets_received),
      static_cast<unsigned long long>(b.dtls->transport().stats().retransmissions),
      static_cast<unsigned long long>(up.lost), static_cast<unsigned long long>(up.offered),
      static_cast<unsigned long long>(down.lost), static_cast<unsigned long long>(down.offered));
}

}  // namespace
}  // namespace rtcsim::conformance
