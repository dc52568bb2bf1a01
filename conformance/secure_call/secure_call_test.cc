// A secure call end to end on simnet: two hosts behind different NATs
// (endpoint-independent mapping, RFC 4787 §4.1) with a STUN server, ICE
// (RFC 8445) connects, DTLS-SRTP (RFC 5764, RFC 8842) runs over the
// selected pair, each side keys an SrtpSession from its exporter output,
// and 500 RTP packets cross in each direction encrypted (RFC 3711 / RFC
// 7714). The capture of one host is then dissected by the system tshark
// (Debian package tshark): the DTLS handshake records, their decryption
// with the transport's NSS key log, and the SRTP packets decoded as RTP
// with exact counts. A third party forging A's address gets a replayed, a
// tampered and a foreign-key packet to B's SrtpSession, which drops and
// counts each. The same seed twice gives identical capture bytes.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/demux/demux.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_over_ice.h"
#include "stack/dtls/dtls_role.h"
#include "stack/ice/ice_agent.h"
#include "stack/rtp/rtp_packet.h"
#include "stack/srtp/srtp_session.h"
#include "stack/stun/stun_server.h"

namespace rtcsim::conformance {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kPackets = 500;
constexpr size_t kPayloadSize = 160;
constexpr uint8_t kPayloadType = 111;  // dynamic (RFC 3551 §6), Opus by convention
constexpr TimeDelta kPacketInterval = TimeDelta::Millis(20);
// A starts close to the 16-bit wrap so the call also crosses a rollover
// (RFC 3711 §3.3.1) end to end; B starts at 0.
constexpr uint16_t kFirstSeq[2] = {65'300, 0};
constexpr uint32_t kSsrc[2] = {0xA1A2A3A4, 0xB1B2B3B4};
constexpr uint16_t kStunPort = 3478;

std::vector<uint8_t> PayloadFor(int side, int i) {
  std::vector<uint8_t> p(kPayloadSize);
  for (size_t k = 0; k < p.size(); ++k) p[k] = static_cast<uint8_t>(side * 101 + i * 7 + k);
  return p;
}

struct Received {
  uint16_t seq;
  uint32_t ssrc;
  std::vector<uint8_t> payload;
};

struct Peer {
  int side = 0;
  simnet::Host* host = nullptr;
  std::shared_ptr<const dtls::DtlsCertificate> certificate;
  std::unique_ptr<ice::IceAgent> ice;
  std::unique_ptr<dtls::DtlsOverIce> dtls;
  std::unique_ptr<srtp::SrtpSession> srtp;
  std::vector<ice::Candidate> candidates;
  bool gathered = false;
  std::vector<std::string> key_log;
  std::vector<Received> media;
  std::vector<absl::Status> media_errors;
  uint64_t media_before_keys = 0;
  simnet::PcapngWriter* capture = nullptr;

  // RFC 7983 §7: DTLS went to the transport already; 128..191 is SRTP or
  // SRTCP, told apart by RFC 5761 §4.
  void OnMedia(absl::Span<const uint8_t> data) {
    const demux::PacketKind kind = demux::Classify(data);
    if (kind != demux::PacketKind::kRtp && kind != demux::PacketKind::kRtcp) return;
    if (srtp == nullptr) {
      ++media_before_keys;
      return;
    }
    std::vector<uint8_t> packet(data.begin(), data.end());
    const absl::Status status =
        kind == demux::PacketKind::kRtp ? srtp->UnprotectRtp(packet) : srtp->UnprotectRtcp(packet);
    if (!status.ok()) {
      media_errors.push_back(status);
      return;
    }
    if (kind != demux::PacketKind::kRtp) return;
    auto view = rtp::RtpPacketView::Parse(packet);
    if (!view.ok()) {
      media_errors.push_back(view.status());
      return;
    }
    media.push_back({view->sequence_number().value(), view->ssrc(),
                     std::vector<uint8_t>(view->payload().begin(), view->payload().end())});
  }
};

struct CallOptions {
  uint64_t seed = 1;
  dtls::SrtpProfile profile = dtls::SrtpProfile::kAeadAes128Gcm;
};

// The topology (addresses from RFC 5737):
//   stun 198.51.100.1:3478 ── internet ── nat-a 203.0.113.10 ── host-a 10.0.1.2
//                                     └── nat-b 203.0.113.11 ── host-b 10.0.2.2
// Both NATs map endpoint-independently and filter by address and port, so
// the direct path needs the server-reflexive candidates and ICE's
// simultaneous checks to open both filters.
class SecureCall {
 public:
  explicit SecureCall(CallOptions options) : options_(options), net_(options.seed) {}

  void Build() {
    simnet::LinkParams core;
    core.delay = TimeDelta::Millis(10);
    simnet::LinkParams lan;
    simnet::Router* internet = *net_.AddRouter("internet");
    internet_ = internet;
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
      access_[i] = *net_.Connect(nat, internet, core);
      peers_[i].side = i;
      peers_[i].host =
          *net_.AddHost("host-" + name, {IpAddress::V4(10, 0, static_cast<uint8_t>(1 + i), 2)});
      ASSERT_TRUE(net_.Connect(peers_[i].host, nat, lan).ok());
      peers_[i].capture = net_.CaptureHost(peers_[i].host);
      peers_[i].certificate = *dtls::DtlsCertificate::Generate(peers_[i].host->env());
    }

    ice::IceServer stun_server;
    stun_server.type = ice::IceServer::Type::kStun;
    stun_server.address = stun_address;
    // a=setup: the offer says actpass, the answer active (RFC 8842 §5.2),
    // so A (offerer) is the DTLS server and B the client.
    MakePeer(peers_[0], peers_[1], ice::IceRole::kControlling,
             *dtls::ResolveDtlsRole(dtls::DtlsSetup::kActpass, dtls::DtlsSetup::kActive, true),
             stun_server);
    MakePeer(peers_[1], peers_[0], ice::IceRole::kControlled,
             *dtls::ResolveDtlsRole(dtls::DtlsSetup::kActive, dtls::DtlsSetup::kActpass, false),
             stun_server);
  }

  // ICE with gathered candidates exchanged in one go (no trickle needed
  // here), then the DTLS handshake. True once both SRTP sessions exist.
  bool Connect() {
    Peer& a = peers_[0];
    Peer& b = peers_[1];
    a.ice->SetRemoteCredentials(b.ice->local_credentials());
    b.ice->SetRemoteCredentials(a.ice->local_credentials());
    if (!a.ice->GatherCandidates().ok() || !b.ice->GatherCandidates().ok()) return false;
    RunUntil([&] { return a.gathered && b.gathered; }, TimeDelta::Seconds(5));
    for (const auto& c : a.candidates) b.ice->AddRemoteCandidate(c).IgnoreError();
    for (const auto& c : b.candidates) a.ice->AddRemoteCandidate(c).IgnoreError();
    a.ice->AddRemoteEndOfCandidates();
    b.ice->AddRemoteEndOfCandidates();
    return RunUntil([&] { return a.srtp != nullptr && b.srtp != nullptr; }, TimeDelta::Seconds(20));
  }

  // kPackets RTP packets each way, one per kPacketInterval.
  void Talk() {
    uint32_t timestamp[2] = {1000, 2000};
    for (int i = 0; i < kPackets; ++i) {
      for (int side = 0; side < 2; ++side) {
        const std::vector<uint8_t> payload = PayloadFor(side, i);
        auto packet = rtp::RtpPacketBuilder()
                          .set_payload_type(kPayloadType)
                          .set_sequence_number(rtp::SeqNum(kFirstSeq[side]) + i)
                          .set_timestamp(timestamp[side])
                          .set_ssrc(kSsrc[side])
                          .set_payload(payload)
                          .Build();
        ASSERT_TRUE(packet.ok()) << packet.status();
        ASSERT_TRUE(peers_[side].srtp->ProtectRtp(*packet).ok());
        ASSERT_TRUE(peers_[side].ice->Send(*packet).ok());
        sent_[side].push_back(*packet);
        timestamp[side] += 960;  // 20 ms at 48 kHz
      }
      net_.RunFor(kPacketInterval);
    }
    net_.RunFor(TimeDelta::Millis(500));
  }

  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout) {
    const Timestamp end = net_.now() + timeout;
    while (!done() && net_.now() < end) net_.RunFor(TimeDelta::Millis(10));
    return done();
  }

  // A datagram from a third party on the internet that forges the source
  // address of `from_side`'s NAT mapping, so it passes the receiver's NAT
  // filter and ICE's valid-pair check (RFC 8445 §12.1 checks addresses,
  // which anyone can forge; only SRTP's authentication and replay
  // protection, RFC 3711 §3.3, stand behind them). It enters the internet
  // router from the STUN server's side (interface 0), as if routed in.
  void InjectForged(int from_side, std::vector<uint8_t> payload) {
    const int to_side = 1 - from_side;
    const auto seen_by_receiver = peers_[to_side].ice->selected_pair();
    const auto seen_by_sender = peers_[from_side].ice->selected_pair();
    ASSERT_TRUE(seen_by_receiver.has_value() && seen_by_sender.has_value());
    simnet::PacketPool& pool = net_.packets();
    const simnet::PacketRef ref = pool.Alloc();
    simnet::Packet& packet = pool[ref];
    packet = simnet::Packet{};
    packet.id = net_.NextPacketId();
    packet.src = seen_by_receiver->remote.address;
    packet.dst = seen_by_sender->remote.address;
    packet.payload = std::move(payload);
    internet_->Receive(/*iface=*/0, ref);
  }

  // The SRTP packets each side sent, as they went on the wire.
  const std::vector<std::vector<uint8_t>>& sent(int side) const { return sent_[side]; }
  simnet::Network& net() { return net_; }
  Peer& peer(int side) { return peers_[side]; }
  simnet::Link& access(int side) { return *access_[side]; }

 private:
  void MakePeer(Peer& self, Peer& other, ice::IceRole ice_role, dtls::DtlsRole dtls_role,
                const ice::IceServer& stun_server) {
    ice::IceAgentConfig ic;
    ic.role = ice_role;
    ic.servers = {stun_server};
    ice::IceAgent::Callbacks cb;
    Peer* s = &self;
    cb.on_candidate = [s](const ice::Candidate& c) { s->candidates.push_back(c); };
    cb.on_gathering_complete = [s] { s->gathered = true; };
    cb.on_data = [s](absl::Span<const uint8_t> data) {
      if (!s->dtls->HandleIceData(data)) s->OnMedia(data);
    };
    cb.on_state = [s](ice::IceConnectionState state) { s->dtls->HandleIceState(state); };
    self.ice = std::make_unique<ice::IceAgent>(self.host->env(), ic, cb);

    dtls::DtlsTransportConfig dc;
    dc.role = dtls_role;
    dc.certificate = self.certificate;
    dc.remote_fingerprints = {other.certificate->fingerprint()};
    dc.srtp_profiles = {options_.profile};
    dc.key_log = [s](absl::string_view line) { s->key_log.emplace_back(line); };
    dtls::DtlsTransport::Callbacks dcb;
    // RFC 5764 §4.2: the keys exist once the handshake is done; the SRTP
    // session is keyed from them before any media can arrive.
    dcb.on_state = [s](dtls::DtlsTransportState state) {
      if (state != dtls::DtlsTransportState::kConnected || s->srtp != nullptr) return;
      auto keys = s->dtls->transport().srtp_keying_material();
      ASSERT_TRUE(keys.has_value());
      auto session = srtp::SrtpSession::Create(*keys);
      ASSERT_TRUE(session.ok()) << session.status();
      s->srtp = std::move(*session);
    };
    auto glue = dtls::DtlsOverIce::Create(self.host->env(), *self.ice, dc, dcb);
    ASSERT_TRUE(glue.ok()) << glue.status();
    self.dtls = std::move(*glue);
  }

  CallOptions options_;
  simnet::Network net_;
  std::unique_ptr<stun::StunBindingServer> stun_;
  Peer peers_[2];
  simnet::Link* access_[2] = {nullptr, nullptr};
  simnet::Router* internet_ = nullptr;
  std::vector<std::vector<uint8_t>> sent_[2];
};

std::string OutDir() {
  for (const char* var : {"TEST_UNDECLARED_OUTPUTS_DIR", "TEST_TMPDIR"}) {
    const char* dir = std::getenv(var);
    if (dir != nullptr) return dir;
  }
  return "/tmp";
}

// Runs tshark with `args`; HOME points at the test's directory so that no
// user profile changes the dissection. Returns stdout.
std::string Tshark(const std::string& args) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string home = tmp != nullptr ? tmp : "/tmp";
  const std::string cmd = absl::StrCat("env HOME='", home, "' XDG_CONFIG_HOME='", home,
                                       "/config' tshark ", args, " 2>/dev/null");
  std::string out;
  std::FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run tshark: " << cmd;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int status = pclose(pipe);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "tshark failed (is it installed? apt-get install tshark): " << cmd;
  return out;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

std::string Hex(absl::Span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) absl::StrAppend(&out, absl::Hex(b, absl::kZeroPad2));
  return out;
}

void ExpectKeysAgree(SecureCall& call, dtls::SrtpProfile profile) {
  auto a = call.peer(0).dtls->transport().srtp_keying_material();
  auto b = call.peer(1).dtls->transport().srtp_keying_material();
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->profile, profile);
  EXPECT_EQ(b->profile, profile);
  // RFC 5764 §4.2: what one side protects with, the other verifies with.
  EXPECT_EQ(a->local_key, b->remote_key);
  EXPECT_EQ(a->local_salt, b->remote_salt);
  EXPECT_EQ(a->remote_key, b->local_key);
  EXPECT_EQ(a->remote_salt, b->local_salt);
  EXPECT_NE(a->local_key, a->remote_key);
}

// Every packet arrived once, in order, with its sequence number and
// payload intact.
void ExpectAllMedia(const Peer& receiver, int sender_side) {
  ASSERT_EQ(receiver.media.size(), static_cast<size_t>(kPackets));
  for (int i = 0; i < kPackets; ++i) {
    const Received& r = receiver.media[i];
    EXPECT_EQ(r.seq, static_cast<uint16_t>(kFirstSeq[sender_side] + i)) << i;
    EXPECT_EQ(r.ssrc, kSsrc[sender_side]);
    EXPECT_EQ(r.payload, PayloadFor(sender_side, i)) << i;
  }
  EXPECT_TRUE(receiver.media_errors.empty()) << receiver.media_errors.front();
  EXPECT_EQ(receiver.media_before_keys, 0u);
  EXPECT_EQ(receiver.srtp->stats().rtp_unprotected, static_cast<uint64_t>(kPackets));
  EXPECT_EQ(receiver.srtp->stats().auth_failures, 0u);
  EXPECT_EQ(receiver.srtp->stats().replay_drops, 0u);
}

class SecureCallTest : public ::testing::TestWithParam<dtls::SrtpProfile> {};

TEST_P(SecureCallTest, MediaCrossesEncryptedAndTsharkSeesIt) {
  const dtls::SrtpProfile profile = GetParam();
  SecureCall call({.seed = 11, .profile = profile});
  call.Build();
  ASSERT_TRUE(call.Connect()) << "A: " << call.peer(0).dtls->transport().error()
                              << " B: " << call.peer(1).dtls->transport().error();
  ExpectKeysAgree(call, profile);
  call.Talk();
  ExpectAllMedia(call.peer(1), 0);
  ExpectAllMedia(call.peer(0), 1);
  // B received A's packets across A's sequence wrap: its ROC moved on.
  EXPECT_EQ(*call.peer(1).srtp->InboundRoc(kSsrc[0]), 1u);

  // Write the capture and the key log for tshark and for people.
  const std::string name = absl::StrCat("secure_call_", dtls::ToString(profile));
  const std::string capture = absl::StrCat(OutDir(), "/", name, "_a.pcapng");
  const std::string key_log = absl::StrCat(OutDir(), "/", name, "_a.keylog");
  ASSERT_TRUE(call.peer(0).capture->WriteToFile(capture).ok());
  ASSERT_TRUE(
      call.peer(1).capture->WriteToFile(absl::StrCat(OutDir(), "/", name, "_b.pcapng")).ok());
  ASSERT_FALSE(call.peer(0).key_log.empty());
  std::ofstream(key_log) << absl::StrJoin(call.peer(0).key_log, "\n") << "\n";

  // A's ICE socket: everything (STUN, DTLS, SRTP) shares it (RFC 7983).
  const auto pair = call.peer(0).ice->selected_pair();
  ASSERT_TRUE(pair.has_value());
  const int port = pair->local.base.port();
  const std::string read = absl::StrCat("-r '", capture, "'");

  // DTLS: with the port decoded as DTLS, the RFC 6347 §4.2 handshake in
  // order. A is the server: 1 ClientHello (B); 2 ServerHello, 11
  // Certificate, 12 ServerKeyExchange, 13 CertificateRequest, 14
  // ServerHelloDone (A); 11, 16 ClientKeyExchange, 15 CertificateVerify (B).
  // The Finished messages (20) are encrypted: visible only with the key log.
  const std::string as_dtls = absl::StrCat(read, " -d udp.port==", port, ",dtls");
  const std::string handshake_fields = " -Y dtls.handshake.type -T fields -e dtls.handshake.type";
  const std::string types = Tshark(as_dtls + handshake_fields);
  EXPECT_THAT(types, HasSubstr("1\n2,11,12,13,14\n11,16,15\n")) << types;
  EXPECT_THAT(types, Not(HasSubstr("20"))) << types;
  // The ServerHello's use_srtp picks the one profile offered (RFC 5764
  // §4.1.1), printed by tshark with its registry code.
  EXPECT_THAT(Tshark(as_dtls + " -V -Y dtls.handshake.type==2"),
              ::testing::ContainsRegex(
                  absl::StrCat("SRTP Protection Profile: SRTP_[A-Z0-9_]+ \\(0x",
                               absl::Hex(static_cast<uint16_t>(profile), absl::kZeroPad4), "\\)")));
  const std::string decrypted =
      Tshark(absl::StrCat(as_dtls, " -o tls.keylog_file:'", key_log, "'", handshake_fields));
  // B's Finished rides behind its CertificateVerify; A's comes alone.
  EXPECT_THAT(decrypted, HasSubstr("1\n2,11,12,13,14\n11,16,15,20\n20\n")) << decrypted;

  // SRTP: RTP's header is in the clear (RFC 3711 §3.1), so with the port
  // decoded as RTP tshark reads version, payload type, SSRC and sequence
  // numbers; STUN and DTLS on the same port are not version 2.
  const std::string rtp = Tshark(absl::StrCat(
      read, " -d udp.port==", port, ",rtp -Y 'rtp.version==2 && rtp.p_type==", kPayloadType,
      "' -T fields -e rtp.ssrc -e rtp.seq -e rtp.payload"));
  std::map<std::string, int> per_ssrc;
  std::map<std::string, std::vector<int>> seqs;
  bool plaintext_seen = false;
  const std::string plain_hex = Hex(PayloadFor(0, 3));
  for (const std::string& line : Lines(rtp)) {
    std::vector<std::string> f = absl::StrSplit(line, '\t');
    ASSERT_GE(f.size(), 3u) << line;
    ++per_ssrc[f[0]];
    seqs[f[0]].push_back(std::stoi(f[1]));
    std::string payload = f[2];
    payload.erase(std::remove(payload.begin(), payload.end(), ':'), payload.end());
    if (payload.find(plain_hex) != std::string::npos) plaintext_seen = true;
  }
  const std::string ssrc_a = absl::StrCat("0x", absl::Hex(kSsrc[0], absl::kZeroPad8));
  const std::string ssrc_b = absl::StrCat("0x", absl::Hex(kSsrc[1], absl::kZeroPad8));
  EXPECT_EQ(per_ssrc.size(), 2u) << rtp.substr(0, 400);
  EXPECT_EQ(per_ssrc[ssrc_a], kPackets);
  EXPECT_EQ(per_ssrc[ssrc_b], kPackets);
  ASSERT_EQ(seqs[ssrc_a].size(), static_cast<size_t>(kPackets));
  EXPECT_EQ(seqs[ssrc_a].front(), kFirstSeq[0]);
  EXPECT_EQ(seqs[ssrc_a].back(), static_cast<uint16_t>(kFirstSeq[0] + kPackets - 1));
  EXPECT_FALSE(plaintext_seen) << "an RTP payload crossed the network unencrypted";
}

INSTANTIATE_TEST_SUITE_P(Profiles, SecureCallTest,
                         ::testing::Values(dtls::SrtpProfile::kAes128CmSha1_80,
                                           dtls::SrtpProfile::kAeadAes128Gcm),
                         [](const ::testing::TestParamInfo<dtls::SrtpProfile>& info) {
                           return info.param == dtls::SrtpProfile::kAes128CmSha1_80
                                      ? std::string("AesCmSha1_80")
                                      : std::string("AeadAes128Gcm");
                         });

// A third party who can forge A's address replays one of A's SRTP packets,
// sends a fresh one with a tampered tag, and one made under its own key.
// All three reach B's SrtpSession through the NAT and ICE (the address is
// A's) and are dropped there, each with its reason and counter; the call
// goes on undisturbed.
TEST_P(SecureCallTest, ForgedReplayedAndTamperedPacketsAreDroppedAndCounted) {
  const dtls::SrtpProfile profile = GetParam();
  SecureCall call({.seed = 12, .profile = profile});
  call.Build();
  ASSERT_TRUE(call.Connect());
  call.Talk();
  Peer& a = call.peer(0);
  Peer& b = call.peer(1);
  ExpectAllMedia(b, 0);
  const uint64_t data_before = b.ice->stats().data_received;

  // 1. A replay of packet 100, byte for byte (RFC 3711 §3.3.2).
  call.InjectForged(0, call.sent(0)[100]);
  call.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(b.srtp->stats().replay_drops, 1u);
  ASSERT_EQ(b.media_errors.size(), 1u);
  EXPECT_EQ(b.media_errors.back().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(b.media_errors.back().message(), HasSubstr("replayed packet"));

  // 2. The next packet A would send, one tag bit flipped on the way. The
  //    index is fresh, so the replay check passes and authentication fails
  //    (RFC 3711 §3.3 step 5; RFC 7714 §9.2 for GCM).
  const uint16_t next_seq = static_cast<uint16_t>(kFirstSeq[0] + kPackets);
  const std::vector<uint8_t> next_payload = PayloadFor(0, kPackets);
  std::vector<uint8_t> next = *rtp::RtpPacketBuilder()
                                   .set_payload_type(kPayloadType)
                                   .set_sequence_number(rtp::SeqNum(next_seq))
                                   .set_ssrc(kSsrc[0])
                                   .set_payload(next_payload)
                                   .Build();
  ASSERT_TRUE(a.srtp->ProtectRtp(next).ok());
  std::vector<uint8_t> tampered = next;
  tampered.back() ^= 0x01;
  call.InjectForged(0, tampered);
  call.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(b.srtp->stats().auth_failures, 1u);
  ASSERT_EQ(b.media_errors.size(), 2u);
  EXPECT_EQ(b.media_errors.back().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(b.media_errors.back().message(),
              HasSubstr("SRTP authentication failed (srtp_err_status_auth_fail)"));

  // 3. A packet the third party protected under keys of its own.
  dtls::SrtpKeyingMaterial own = *a.dtls->transport().srtp_keying_material();
  for (auto* v : {&own.local_key, &own.local_salt}) {
    for (uint8_t& byte : *v) byte ^= 0x5a;
  }
  auto intruder = srtp::SrtpSession::Create(own);
  ASSERT_TRUE(intruder.ok()) << intruder.status();
  std::vector<uint8_t> forged = *rtp::RtpPacketBuilder()
                                     .set_payload_type(kPayloadType)
                                     .set_sequence_number(rtp::SeqNum(next_seq + 1))
                                     .set_ssrc(kSsrc[0])
                                     .set_payload(next_payload)
                                     .Build();
  ASSERT_TRUE((*intruder)->ProtectRtp(forged).ok());
  call.InjectForged(0, forged);
  call.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(b.srtp->stats().auth_failures, 2u);

  // All three crossed ICE (same source as A) and died in SRTP.
  EXPECT_EQ(b.ice->stats().data_received, data_before + 3);
  EXPECT_EQ(b.media.size(), static_cast<size_t>(kPackets));

  // The genuine packet still gets through: neither forgery moved the
  // replay window (it is updated only after authentication, RFC 3711 §3.3).
  ASSERT_TRUE(a.ice->Send(next).ok());
  call.net().RunFor(TimeDelta::Millis(100));
  ASSERT_EQ(b.media.size(), static_cast<size_t>(kPackets + 1));
  EXPECT_EQ(b.media.back().seq, next_seq);
  EXPECT_EQ(b.media.back().payload, next_payload);
  EXPECT_EQ(b.srtp->stats().rtp_unprotected, static_cast<uint64_t>(kPackets + 1));
  EXPECT_EQ(b.srtp->stats().replay_drops, 1u);
  EXPECT_EQ(b.srtp->stats().auth_failures, 2u);
  EXPECT_EQ(b.srtp->stats().other_errors, 0u);
}

// DESIGN.md §4: same seed, same binary, identical capture bytes, on both
// hosts, certificates, DTLS randoms, ICE credentials and SRTP output
// included. A different seed changes them.
TEST(SecureCallDeterminismTest, SameSeedSameCaptureBytes) {
  auto run = [](uint64_t seed) {
    SecureCall call({.seed = seed});
    call.Build();
    EXPECT_TRUE(call.Connect());
    call.Talk();
    return std::make_pair(call.peer(0).capture->bytes(), call.peer(1).capture->bytes());
  };
  const auto first = run(5);
  const auto second = run(5);
  ASSERT_GT(first.first.size(), 200'000u);
  EXPECT_TRUE(first.first == second.first) << "host A's capture differs between two runs";
  EXPECT_TRUE(first.second == second.second) << "host B's capture differs between two runs";
  const auto other = run(6);
  EXPECT_FALSE(first.first == other.first);
}

}  // namespace
}  // namespace rtcsim::conformance
