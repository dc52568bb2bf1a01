// PeerConnection on two simnet hosts (one link, no NAT): the W3C state
// machines, JSEP calls in the wrong state, negotiation needed,
// renegotiation, ICE restart, getStats, close, and the security check that
// a wrong fingerprint fails the connection (RFC 8122 §5, RFC 8842 §5.1).
// Signalling is done by hand, without delay.
#include "stack/pc/peer_connection.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/network.h"

namespace rtcsim::pc {
namespace {

using ::testing::HasSubstr;

struct Side {
  simnet::Host* host = nullptr;
  std::unique_ptr<PeerConnection> pc;
  std::vector<IceCandidate> candidates;  // gathered, not yet delivered
  std::vector<SignalingState> signaling;
  std::vector<PeerConnectionState> connection;
  std::vector<std::shared_ptr<sctp::DataChannel>> remote_channels;
  std::vector<std::string> messages;
  int negotiation_needed = 0;
};

class PeerConnectionTest : public ::testing::Test {
 protected:
  PeerConnectionTest() : net_(7) {
    simnet::Router* router = *net_.AddRouter("router");
    simnet::LinkParams link;
    link.delay = TimeDelta::Millis(10);
    for (int i = 0; i < 2; ++i) {
      side_[i].host =
          *net_.AddHost(i == 0 ? "a" : "b", {IpAddress::V4(10, 0, 0, static_cast<uint8_t>(2 + i))});
      EXPECT_TRUE(net_.Connect(side_[i].host, router, link).ok());
    }
  }

  void Create(int i, PeerConnectionConfig config = {}) {
    Side* s = &side_[i];
    config.name = i == 0 ? "a" : "b";
    PeerConnectionCallbacks cb;
    cb.on_ice_candidate = [s](const IceCandidate& c) { s->candidates.push_back(c); };
    cb.on_signaling_state = [s](SignalingState st) { s->signaling.push_back(st); };
    cb.on_connection_state = [s](PeerConnectionState st) { s->connection.push_back(st); };
    cb.on_data_channel = [s](std::shared_ptr<sctp::DataChannel> ch) {
      ch->set_on_message(
          [s](absl::Span<const uint8_t> d, bool) { s->messages.emplace_back(d.begin(), d.end()); });
      s->remote_channels.push_back(std::move(ch));
    };
    cb.on_negotiation_needed = [s] { ++s->negotiation_needed; };
    auto pc = PeerConnection::Create(s->host->env(), std::move(config), std::move(cb));
    ASSERT_TRUE(pc.ok()) << pc.status();
    s->pc = std::move(*pc);
  }

  PeerConnection& a() { return *side_[0].pc; }
  PeerConnection& b() { return *side_[1].pc; }

  void Run(TimeDelta d) { net_.RunFor(d); }
  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout = TimeDelta::Seconds(30)) {
    const Timestamp end = net_.now() + timeout;
    while (!done() && net_.now() < end) net_.RunFor(TimeDelta::Millis(5));
    return done();
  }

  // Delivers the candidates each side gathered so far to the other.
  void Trickle() {
    for (int i = 0; i < 2; ++i) {
      for (const IceCandidate& c : side_[i].candidates) {
        absl::Status st = side_[1 - i].pc->AddIceCandidate(c);
        EXPECT_TRUE(st.ok()) << c.candidate << ": " << st;
      }
      side_[i].candidates.clear();
    }
  }

  // Offer from A, answer from B, trickle until both are connected.
  void Negotiate(std::function<std::string(std::string)> edit_answer = nullptr) {
    ASSERT_TRUE(a().SetLocalDescription().ok());
    ASSERT_TRUE(b().SetRemoteDescription(*a().local_description()).ok());
    ASSERT_TRUE(b().SetLocalDescription().ok());
    SessionDescription answer = *b().local_description();
    if (edit_answer) answer.sdp = edit_answer(answer.sdp);
    ASSERT_TRUE(a().SetRemoteDescription(answer).ok());
    for (int k = 0; k < 40; ++k) {
      Run(TimeDelta::Millis(50));
      Trickle();
    }
  }

  bool Connected() {
    return a().connection_state() == PeerConnectionState::kConnected &&
           b().connection_state() == PeerConnectionState::kConnected;
  }

  simnet::Network net_;
  Side side_[2];
};

TEST_F(PeerConnectionTest, OfferAnswerConnectsAndCarriesData) {
  Create(0);
  Create(1);
  auto ch = a().CreateDataChannel("chat");
  ASSERT_TRUE(ch.ok()) << ch.status();
  EXPECT_FALSE((*ch)->id().has_value()) << "W3C: id is null before the DTLS role is known";
  Run(TimeDelta::Millis(1));
  EXPECT_EQ(side_[0].negotiation_needed, 1);
  Negotiate();
  ASSERT_TRUE(RunUntil([&] { return Connected(); }));
  ASSERT_TRUE(RunUntil([&] { return !side_[1].remote_channels.empty(); }));
  // A offered actpass, B answered active: B is the DTLS client with even
  // ids, so A's channel got an odd one (RFC 8832 §6).
  ASSERT_TRUE((*ch)->id().has_value());
  EXPECT_EQ(*(*ch)->id() % 2, 1);
  ASSERT_TRUE(RunUntil([&] { return (*ch)->state() == sctp::DataChannelState::kOpen; }));
  ASSERT_TRUE((*ch)->Send("hello").ok());
  ASSERT_TRUE(RunUntil([&] { return !side_[1].messages.empty(); }));
  EXPECT_EQ(side_[1].messages[0], "hello");

  EXPECT_EQ(a().signaling_state(), SignalingState::kStable);
  EXPECT_EQ(side_[0].signaling, (std::vector<SignalingState>{SignalingState::kHaveLocalOffer,
                                                             SignalingState::kStable}));
  EXPECT_EQ(side_[1].signaling, (std::vector<SignalingState>{SignalingState::kHaveRemoteOffer,
                                                             SignalingState::kStable}));
  EXPECT_EQ(side_[0].connection,
            (std::vector<PeerConnectionState>{PeerConnectionState::kConnecting,
                                              PeerConnectionState::kConnected}));
  EXPECT_EQ(a().current_local_description()->type, SdpType::kOffer);
  EXPECT_EQ(a().current_remote_description()->type, SdpType::kAnswer);
  EXPECT_EQ(b().current_local_description()->type, SdpType::kAnswer);
  EXPECT_FALSE(a().pending_local_description().has_value());
  EXPECT_TRUE(a().connected_at().has_value());
  EXPECT_EQ(a().ice_gathering_state(), ice::IceGatheringState::kComplete);
}

TEST_F(PeerConnectionTest, GetStatsUsesWebrtcStatsNames) {
  Create(0);
  Create(1);
  auto ch = a().CreateDataChannel("chat");
  Negotiate();
  ASSERT_TRUE(
      RunUntil([&] { return Connected() && (*ch)->state() == sctp::DataChannelState::kOpen; }));
  ASSERT_TRUE((*ch)->Send("0123456789").ok());
  ASSERT_TRUE(RunUntil([&] { return !side_[1].messages.empty(); }));
  const RtcStatsReport report = a().GetStats();
  for (const char* type : {"peer-connection", "transport", "candidate-pair", "local-candidate",
                           "remote-candidate", "certificate", "data-channel"}) {
    EXPECT_FALSE(report.OfType(type).empty()) << type << " missing in " << report.ToJson();
  }
  const RtcStats* transport = report.Get("T01");
  ASSERT_NE(transport, nullptr);
  EXPECT_EQ(transport->GetString("dtlsState"), "connected");
  EXPECT_EQ(transport->GetString("dtlsRole"), "server");
  EXPECT_EQ(transport->GetString("iceRole"), "controlling");
  const RtcStats* pair = report.Get(transport->GetString("selectedCandidatePairId"));
  ASSERT_NE(pair, nullptr) << report.ToJson();
  EXPECT_EQ(pair->GetString("state"), "succeeded");
  EXPECT_NE(report.Get(pair->GetString("localCandidateId")), nullptr);
  EXPECT_NE(report.Get(pair->GetString("remoteCandidateId")), nullptr);
  EXPECT_NE(report.Get(transport->GetString("remoteCertificateId")), nullptr);
  const RtcStats* channel = report.OfType("data-channel")[0];
  EXPECT_EQ(channel->GetString("label"), "chat");
  EXPECT_EQ(channel->GetString("state"), "open");
  EXPECT_EQ(channel->GetUint("messagesSent"), 1u);
  EXPECT_EQ(channel->GetUint("bytesSent"), 10u);
  const RtcStatsReport b_report = b().GetStats();
  const RtcStats* remote_channel = b_report.OfType("data-channel")[0];
  EXPECT_EQ(remote_channel->GetUint("messagesReceived"), 1u);
  EXPECT_EQ(remote_channel->GetUint("bytesReceived"), 10u);
  // webrtc-stats keeps closed channels in the report.
  (*ch)->Close();
  ASSERT_TRUE(RunUntil([&] { return (*ch)->state() == sctp::DataChannelState::kClosed; }));
  const RtcStatsReport after_close = a().GetStats();
  ASSERT_EQ(after_close.OfType("data-channel").size(), 1u);
  EXPECT_EQ(after_close.OfType("data-channel")[0]->GetString("state"), "closed");
  EXPECT_EQ(report.Get("P")->GetUint("dataChannelsOpened"), 1u);
  EXPECT_GT(transport->GetUint("bytesSent"), 0u);
}

TEST_F(PeerConnectionTest, CallsInTheWrongStateFailWithW3cErrors) {
  Create(0);
  Create(1);
  auto answer = a().CreateAnswer();
  ASSERT_FALSE(answer.ok());
  EXPECT_THAT(answer.status().message(), HasSubstr("InvalidStateError"));
  IceCandidate c{.candidate = "candidate:1 1 udp 2130706431 10.0.0.9 5000 typ host",
                 .sdp_mid = "0"};
  absl::Status early = b().AddIceCandidate(c);
  EXPECT_THAT(early.message(), HasSubstr("before setRemoteDescription"));
  ASSERT_TRUE(a().CreateDataChannel("x").ok());
  auto offer = a().CreateOffer();
  ASSERT_TRUE(offer.ok());
  ASSERT_TRUE(a().SetLocalDescription(*offer).ok());
  // An offer applied as the remote answer to itself is the wrong type/state.
  absl::Status wrong = a().SetRemoteDescription({SdpType::kOffer, offer->sdp});
  EXPECT_FALSE(wrong.ok());
  EXPECT_EQ(a().signaling_state(), SignalingState::kHaveLocalOffer)
      << "a failed call changed state";
  // Garbage SDP names the line.
  ASSERT_TRUE(b().SetRemoteDescription(*a().local_description()).ok());
  absl::Status garbage = a().SetRemoteDescription({SdpType::kAnswer, "v=0\r\nx\r\n"});
  EXPECT_THAT(garbage.message(), HasSubstr("line 2"));
  // Rollback returns to stable.
  ASSERT_TRUE(a().SetLocalDescription({SdpType::kRollback, ""}).ok());
  EXPECT_EQ(a().signaling_state(), SignalingState::kStable);
  a().Close();
  EXPECT_EQ(a().connection_state(), PeerConnectionState::kClosed);
  EXPECT_EQ(a().signaling_state(), SignalingState::kClosed);
  EXPECT_THAT(a().CreateOffer().status().message(), HasSubstr("closed"));
  EXPECT_FALSE(a().CreateDataChannel("y").ok());
}

// RFC 8842 §5.1 / RFC 8122 §5: the certificate must match the fingerprint
// in the peer's description, or the connection fails.
TEST_F(PeerConnectionTest, FingerprintMismatchFailsTheConnection) {
  Create(0);
  Create(1);
  ASSERT_TRUE(a().CreateDataChannel("chat").ok());
  const std::string real = b().certificate().fingerprint().HexDigest();
  std::string forged = real;
  forged[0] = forged[0] == 'A' ? 'B' : 'A';
  Negotiate([&](std::string sdp) { return absl::StrReplaceAll(sdp, {{real, forged}}); });
  ASSERT_TRUE(RunUntil([&] { return a().connection_state() == PeerConnectionState::kFailed; }))
      << ToString(a().connection_state());
  EXPECT_NE(b().connection_state(), PeerConnectionState::kConnected);
  EXPECT_EQ(side_[1].messages.size(), 0u);
}

TEST_F(PeerConnectionTest, RenegotiationAddsAnAudioSectionLaterAndKeepsTheConnection) {
  Create(0);
  Create(1);
  auto ch = a().CreateDataChannel("chat");
  Negotiate();
  ASSERT_TRUE(
      RunUntil([&] { return Connected() && (*ch)->state() == sctp::DataChannelState::kOpen; }));
  const int before = side_[0].negotiation_needed;
  ASSERT_TRUE(a().AddTransceiver(jsep::MediaKind::kAudio).ok());
  Run(TimeDelta::Millis(1));
  EXPECT_EQ(side_[0].negotiation_needed, before + 1);
  ASSERT_TRUE(a().SetLocalDescription().ok());
  EXPECT_THAT(a().local_description()->sdp, HasSubstr("m=audio"));
  ASSERT_TRUE(b().SetRemoteDescription(*a().local_description()).ok());
  ASSERT_TRUE(b().SetLocalDescription().ok());
  ASSERT_TRUE(a().SetRemoteDescription(*b().local_description()).ok());
  EXPECT_EQ(a().signaling_state(), SignalingState::kStable);
  ASSERT_EQ(b().transceivers().size(), 1u);
  EXPECT_EQ(b().transceivers()[0].kind, jsep::MediaKind::kAudio);
  // The data channel kept working over the same transport.
  ASSERT_TRUE((*ch)->Send("after").ok());
  ASSERT_TRUE(RunUntil([&] { return !side_[1].messages.empty(); }));
  EXPECT_TRUE(Connected());
}

TEST_F(PeerConnectionTest, RestartIceRenegotiatesNewCredentials) {
  Create(0);
  Create(1);
  auto ch = a().CreateDataChannel("chat");
  Negotiate();
  ASSERT_TRUE(
      RunUntil([&] { return Connected() && (*ch)->state() == sctp::DataChannelState::kOpen; }));
  const std::string old_ufrag = a().GetStats().Get("T01")->GetString("iceLocalUsernameFragment");
  a().RestartIce();
  Run(TimeDelta::Millis(1));
  Negotiate();
  EXPECT_NE(a().GetStats().Get("T01")->GetString("iceLocalUsernameFragment"), old_ufrag);
  EXPECT_GE(a().ice_stats()->ice_restarts, 1u);
  ASSERT_TRUE((*ch)->Send("still here").ok());
  ASSERT_TRUE(RunUntil([&] { return !side_[1].messages.empty(); }));
  EXPECT_TRUE(RunUntil([&] { return Connected(); }))
      << ToString(a().connection_state()) << " " << ToString(b().connection_state()) << " "
      << ice::ToString(a().ice_connection_state()) << " "
      << ice::ToString(b().ice_connection_state());
}

// A network change (simnet::Network::SetHostAddresses): A's host moves to a
// new address, the transport's path is gone; restartIce() plus the usual
// renegotiation gathers on the new address and the same SCTP association
// carries on, including what was sent while the path was down.
TEST_F(PeerConnectionTest, RestartIceAfterTheHostMovesRecoversTheCall) {
  Create(0);
  Create(1);
  auto ch = a().CreateDataChannel("chat");
  Negotiate();
  ASSERT_TRUE(
      RunUntil([&] { return Connected() && (*ch)->state() == sctp::DataChannelState::kOpen; }));
  ASSERT_TRUE(net_.SetHostAddresses(side_[0].host, {IpAddress::V4(10, 0, 0, 12)}).ok());
  ASSERT_TRUE((*ch)->Send("while moving").ok());
  Run(TimeDelta::Millis(500));
  EXPECT_TRUE(side_[1].messages.empty());
  EXPECT_GE(a().ice_stats()->send_errors, 1u);

  a().RestartIce();
  Run(TimeDelta::Millis(1));
  Negotiate();
  EXPECT_EQ(a().ice_stats()->host_address_changes, 1u);
  ASSERT_TRUE(RunUntil([&] { return Connected(); }))
      << ToString(a().connection_state()) << " " << ToString(b().connection_state());
  ASSERT_TRUE((*ch)->Send("after the move").ok());
  ASSERT_TRUE(RunUntil([&] { return side_[1].messages.size() == 2; }));
  EXPECT_EQ(side_[1].messages[0], "while moving");
  EXPECT_EQ(side_[1].messages[1], "after the move");
}

// RFC 8841 §6.1: the peer's a=max-message-size bounds what we send; a
// message above it is refused with a message naming both sizes.
TEST_F(PeerConnectionTest, PeersMaxMessageSizeBoundsSends) {
  Create(0);
  PeerConnectionConfig small;
  small.max_message_size = 65536;
  Create(1, small);
  auto ch = a().CreateDataChannel("chat");
  Negotiate();
  ASSERT_TRUE(
      RunUntil([&] { return Connected() && (*ch)->state() == sctp::DataChannelState::kOpen; }));
  EXPECT_THAT(b().local_description()->sdp, HasSubstr("a=max-message-size:65536"));
  const std::string big(65537, 'x');
  absl::Status refused = (*ch)->Send(big);
  EXPECT_TRUE(absl::IsInvalidArgument(refused)) << refused;
  EXPECT_THAT(refused.message(), HasSubstr("65537"));
  EXPECT_THAT(refused.message(), HasSubstr("peer's max-message-size 65536"));
  ASSERT_TRUE((*ch)->Send(std::string(65536, 'y')).ok());
  ASSERT_TRUE(RunUntil([&] { return !side_[1].messages.empty(); }));
  EXPECT_EQ(side_[1].messages[0].size(), 65536u);
}

}  // namespace
}  // namespace rtcsim::pc
