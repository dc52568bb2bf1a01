// DtlsTransport between two simnet hosts over plain UDP. The binary links
// //simnet/interpose:libc_time_interpose, so libssl's timers run on virtual
// time; every timing below is measured from the hosts' captures.
#include "stack/dtls/dtls_transport.h"

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/dtls/dtls_record.h"
#include "stack/dtls/dtls_test_util.h"

namespace rtcsim::dtls {
namespace {

using testing::DtlsPair;
using testing::DtlsPairOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

std::vector<uint8_t> Bytes(absl::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

TEST(DtlsTransportTest, HandshakeCompletesWithMirroredSrtpKeys) {
  DtlsPair pair(DtlsPairOptions{});
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected())
      << pair.client().transport->error() << " / " << pair.server().transport->error();
  DtlsTransport& client = *pair.client().transport;
  DtlsTransport& server = *pair.server().transport;
  EXPECT_THAT(pair.client().states,
              ElementsAre(DtlsTransportState::kConnecting, DtlsTransportState::kConnected));
  EXPECT_THAT(pair.server().states,
              ElementsAre(DtlsTransportState::kConnecting, DtlsTransportState::kConnected));
  EXPECT_EQ(client.cipher_suite(), "ECDHE-ECDSA-AES128-GCM-SHA256");

  auto c = client.srtp_keying_material();
  auto s = server.srtp_keying_material();
  ASSERT_TRUE(c.has_value());
  ASSERT_TRUE(s.has_value());
  // GCM is first in the default preference (RFC 7714 §12: 16-byte key,
  // 12-byte salt).
  EXPECT_EQ(c->profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(s->profile, SrtpProfile::kAeadAes128Gcm);
  EXPECT_EQ(c->local_key.size(), 16u);
  EXPECT_EQ(c->local_salt.size(), 12u);
  EXPECT_EQ(c->local_key, s->remote_key);
  EXPECT_EQ(c->local_salt, s->remote_salt);
  EXPECT_EQ(c->remote_key, s->local_key);
  EXPECT_EQ(c->remote_salt, s->local_salt);
  EXPECT_NE(c->local_key, c->remote_key);

  // Each side saw the other's certificate.
  EXPECT_EQ(client.remote_certificate_der(), pair.server().certificate->der());
  EXPECT_EQ(server.remote_certificate_der(), pair.client().certificate->der());

  // 10 ms links each way: 20 ms one way, two round trips for a full DTLS 1.2
  // handshake as seen by the client.
  EXPECT_EQ(client.stats().handshake_duration, TimeDelta::Millis(80));
  EXPECT_EQ(client.stats().retransmissions, 0u);
  EXPECT_EQ(server.stats().retransmissions, 0u);
  EXPECT_EQ(client.stats().records_dropped, 0u);
  EXPECT_EQ(client.stats().early_timer_fires, 0u);
  std::printf("handshake: client %s, server %s; datagrams client %llu, server %llu\n",
              client.stats().handshake_duration.ToString().c_str(),
              server.stats().handshake_duration.ToString().c_str(),
              static_cast<unsigned long long>(client.stats().packets_sent),
              static_cast<unsigned long long>(server.stats().packets_sent));
}

TEST(DtlsTransportTest, ServerPreferenceChoosesTheSrtpProfile) {
  DtlsPairOptions options;
  options.server.srtp_profiles = {SrtpProfile::kAes128CmSha1_80, SrtpProfile::kAeadAes128Gcm};
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  auto c = pair.client().transport->srtp_keying_material();
  auto s = pair.server().transport->srtp_keying_material();
  ASSERT_TRUE(c.has_value() && s.has_value());
  EXPECT_EQ(c->profile, SrtpProfile::kAes128CmSha1_80);
  // RFC 5764 §4.1.2: 128-bit key, 112-bit salt.
  EXPECT_EQ(c->local_key.size(), 16u);
  EXPECT_EQ(c->local_salt.size(), 14u);
  EXPECT_EQ(c->local_key, s->remote_key);
  EXPECT_EQ(c->remote_salt, s->local_salt);
}

TEST(DtlsTransportTest, ClientOfferingOnlyCmGetsCm) {
  DtlsPairOptions options;
  options.client.srtp_profiles = {SrtpProfile::kAes128CmSha1_80};
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  EXPECT_EQ(pair.server().transport->srtp_keying_material()->profile,
            SrtpProfile::kAes128CmSha1_80);
}

TEST(DtlsTransportTest, NoCommonSrtpProfileConnectsWithoutKeys) {
  DtlsPairOptions options;
  options.client.srtp_profiles = {SrtpProfile::kAeadAes128Gcm};
  options.server.srtp_profiles = {SrtpProfile::kAes128CmSha1_80};
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  EXPECT_FALSE(pair.client().transport->srtp_keying_material().has_value());
  EXPECT_FALSE(pair.server().transport->srtp_keying_material().has_value());
}

TEST(DtlsTransportTest, ServerSeeingWrongClientFingerprintFailsBothSides) {
  DtlsPairOptions options;
  options.server.remote_fingerprints = {
      *Fingerprint::Parse("sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF")};
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  EXPECT_FALSE(pair.RunUntilConnected());
  const DtlsTransport& server = *pair.server().transport;
  const DtlsTransport& client = *pair.client().transport;
  EXPECT_EQ(server.state(), DtlsTransportState::kFailed);
  EXPECT_EQ(server.error().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(server.error().message(),
            absl::StrCat("remote certificate fingerprint mismatch: expected sha-256 "
                         "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
                         "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF, got ",
                         pair.client().certificate->fingerprint().ToString()));
  // RFC 8122 §6.2: the server terminates with bad_certificate, which the
  // client surfaces.
  EXPECT_EQ(client.state(), DtlsTransportState::kFailed);
  EXPECT_EQ(client.error().message(), "received fatal alert: bad certificate");
  EXPECT_EQ(server.stats().alerts_sent, 1u);
  EXPECT_EQ(client.stats().alerts_received, 1u);
  EXPECT_FALSE(client.srtp_keying_material().has_value());
  EXPECT_FALSE(server.srtp_keying_material().has_value());
}

TEST(DtlsTransportTest, ClientSeeingWrongServerFingerprintFailsBothSides) {
  DtlsPairOptions options;
  DtlsPair pair(options);
  // The client expects a different certificate than the server presents.
  auto other = DtlsCertificate::Generate(pair.client().host->env(), "another");
  ASSERT_TRUE(other.ok());
  options.client.remote_fingerprints = {(*other)->fingerprint()};
  DtlsPair wrong(options);
  wrong.Create();
  wrong.Start();
  EXPECT_FALSE(wrong.RunUntilConnected());
  EXPECT_EQ(wrong.client().transport->state(), DtlsTransportState::kFailed);
  EXPECT_THAT(std::string(wrong.client().transport->error().message()),
              StartsWith(absl::StrCat("remote certificate fingerprint mismatch: expected ",
                                      (*other)->fingerprint().ToString(), ", got sha-256 ")));
  EXPECT_EQ(wrong.server().transport->state(), DtlsTransportState::kFailed);
  EXPECT_EQ(wrong.server().transport->error().message(), "received fatal alert: bad certificate");
}

TEST(DtlsTransportTest, AnyOfSeveralFingerprintsMayMatch) {
  DtlsPairOptions options;
  DtlsPair pair(options);
  pair.Create();
  // RFC 8122 §5.1: several fingerprints of the preferred hash; one matches.
  auto decoy = DtlsCertificate::Generate(pair.client().host->env(), "decoy");
  ASSERT_TRUE(decoy.ok());
  ASSERT_TRUE(pair.client()
                  .transport
                  ->SetRemoteFingerprints(
                      {(*decoy)->fingerprint(), pair.server().certificate->fingerprint()})
                  .ok());
  pair.Start();
  EXPECT_TRUE(pair.RunUntilConnected());
}

TEST(DtlsTransportTest, FingerprintArrivingAfterTheHandshakeVerifiesLate) {
  DtlsPairOptions options;
  options.server_knows_fingerprint = false;  // the offerer awaiting the answer
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  pair.RunUntil([&] { return pair.client().transport->state() == DtlsTransportState::kConnected; },
                TimeDelta::Seconds(5));
  pair.net().RunFor(TimeDelta::Millis(100));
  DtlsTransport& server = *pair.server().transport;
  // RFC 8842 §5.2: the handshake is done, but the source is unverified.
  EXPECT_EQ(server.state(), DtlsTransportState::kConnecting);
  ASSERT_TRUE(pair.client().transport->Send(Bytes("early")).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_TRUE(pair.server().received.empty());
  EXPECT_EQ(server.stats().unverified_messages_dropped, 1u);

  ASSERT_TRUE(server.SetRemoteFingerprints({pair.client().certificate->fingerprint()}).ok());
  EXPECT_EQ(server.state(), DtlsTransportState::kConnected);
  ASSERT_TRUE(pair.client().transport->Send(Bytes("verified")).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_THAT(pair.server().received, ElementsAre(Bytes("verified")));
}

TEST(DtlsTransportTest, LateWrongFingerprintFailsAndClosesThePeer) {
  DtlsPairOptions options;
  options.server_knows_fingerprint = false;
  DtlsPair pair(options);
  pair.Create();
  pair.Start();
  pair.net().RunFor(TimeDelta::Seconds(1));
  DtlsTransport& server = *pair.server().transport;
  ASSERT_EQ(server.state(), DtlsTransportState::kConnecting);
  ASSERT_TRUE(server.SetRemoteFingerprints({pair.server().certificate->fingerprint()}).ok());
  EXPECT_EQ(server.state(), DtlsTransportState::kFailed);
  EXPECT_THAT(std::string(server.error().message()),
              StartsWith("remote certificate fingerprint mismatch: expected sha-256 "));
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(pair.client().transport->state(), DtlsTransportState::kClosed);
}

TEST(DtlsTransportTest, ApplicationDataFlowsBothWays) {
  DtlsPair pair(DtlsPairOptions{});
  pair.Create();
  EXPECT_EQ(pair.client().transport->Send(Bytes("too early")).code(),
            absl::StatusCode::kFailedPrecondition);
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  DtlsTransport& client = *pair.client().transport;
  DtlsTransport& server = *pair.server().transport;
  ASSERT_TRUE(client.Send(Bytes("hello server")).ok());
  ASSERT_TRUE(server.Send(Bytes("hello client")).ok());
  ASSERT_TRUE(client.Send(Bytes("second")).ok());
  // The largest message fits one datagram within the MTU.
  const size_t max = client.max_application_data_size();
  EXPECT_GT(max, 1000u);
  EXPECT_LT(max, client.max_datagram_size());
  std::vector<uint8_t> big(max, 0xAB);
  ASSERT_TRUE(client.Send(big).ok());
  std::vector<uint8_t> too_big(max + 1, 0xCD);
  EXPECT_EQ(client.Send(too_big).code(), absl::StatusCode::kInvalidArgument);
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_THAT(pair.server().received, ElementsAre(Bytes("hello server"), Bytes("second"), big));
  EXPECT_THAT(pair.client().received, ElementsAre(Bytes("hello client")));
  EXPECT_EQ(client.stats().messages_sent, 3u);
  EXPECT_EQ(server.stats().messages_received, 3u);
  for (const auto& d : pair.SentBy(pair.client())) {
    EXPECT_LE(d.payload.size(), client.max_datagram_size());
  }
}

TEST(DtlsTransportTest, CloseNotifyClosesThePeer) {
  DtlsPair pair(DtlsPairOptions{});
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  pair.client().transport->Close();
  EXPECT_EQ(pair.client().transport->state(), DtlsTransportState::kClosed);
  pair.net().RunFor(TimeDelta::Millis(100));
  const DtlsTransport& server = *pair.server().transport;
  EXPECT_EQ(server.state(), DtlsTransportState::kClosed);
  EXPECT_EQ(server.error().message(), "received close_notify");
  EXPECT_EQ(server.stats().alerts_received, 1u);
  EXPECT_EQ(pair.client().transport->stats().alerts_sent, 1u);
  EXPECT_THAT(pair.server().states,
              ElementsAre(DtlsTransportState::kConnecting, DtlsTransportState::kConnected,
                          DtlsTransportState::kClosed));
  // Closed transports refuse data and ignore packets.
  EXPECT_EQ(pair.client().transport->Send(Bytes("late")).code(),
            absl::StatusCode::kFailedPrecondition);
  pair.client().transport->Close();  // idempotent
}

TEST(DtlsTransportTest, GarbageAndTruncatedRecordsAreDroppedAndCounted) {
  DtlsPair pair(DtlsPairOptions{});
  pair.Create();
  pair.Start();
  DtlsTransport& server = *pair.server().transport;
  // Not DTLS by RFC 7983: STUN, RTP, empty.
  server.HandlePacket(Bytes(std::string("\x00\x01\x00\x00", 4)));
  server.HandlePacket(std::vector<uint8_t>{0x80, 0x60, 0x00, 0x01});
  server.HandlePacket({});
  // A handshake record header claiming 100 bytes with 3 present.
  std::vector<uint8_t> truncated = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 1, 2, 3};
  server.HandlePacket(truncated);
  // A header cut short.
  server.HandlePacket(std::vector<uint8_t>{22, 0xFE, 0xFD, 0, 0});
  // Right first byte, TLS (not DTLS) version.
  server.HandlePacket(std::vector<uint8_t>{22, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(server.stats().records_dropped, 6u);
  // A plaintext handshake record too short for a handshake header (OpenSSL
  // would abort the handshake on it), and a heartbeat record.
  std::vector<uint8_t> junk = {22, 0xFE, 0xFD, 0, 0,    0,    0,    0,   0,
                               0,  9,    0,    4, 0xDE, 0xAD, 0xBE, 0xEF};
  server.HandlePacket(junk);
  server.HandlePacket(std::vector<uint8_t>{24, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 9, 0, 1, 1});
  EXPECT_EQ(server.stats().records_dropped, 8u);
  // A well-framed encrypted record from the future epoch reaches OpenSSL,
  // which buffers it and later discards it for its bad tag (RFC 6347
  // §4.1.2.7) without failing the handshake.
  std::vector<uint8_t> early_forged = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 1, 0, 40};
  early_forged.resize(early_forged.size() + 40, 0x33);
  server.HandlePacket(early_forged);
  ASSERT_TRUE(pair.RunUntilConnected()) << server.error();
  // Once connected: an epoch-1 record with a bogus AEAD tag is discarded.
  std::vector<uint8_t> forged = {23, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 50, 0, 40};
  forged.resize(forged.size() + 40, 0x5A);
  server.HandlePacket(forged);
  ASSERT_TRUE(pair.client().transport->Send(Bytes("still fine")).ok());
  pair.net().RunFor(TimeDelta::Millis(100));
  EXPECT_EQ(server.state(), DtlsTransportState::kConnected);
  EXPECT_THAT(pair.server().received, ElementsAre(Bytes("still fine")));
  EXPECT_EQ(server.stats().records_dropped, 8u);
}

TEST(DtlsTransportTest, KeyLogLinesMatchTheClientHello) {
  DtlsPair pair(DtlsPairOptions{});
  pair.Create();
  pair.Start();
  ASSERT_TRUE(pair.RunUntilConnected());
  ASSERT_EQ(pair.client().key_log.size(), 1u);
  EXPECT_EQ(pair.client().key_log, pair.server().key_log);
  const std::string& line = pair.client().key_log[0];
  // NSS key log format: CLIENT_RANDOM <32-byte random> <48-byte master secret>.
  ASSERT_THAT(line, StartsWith("CLIENT_RANDOM "));
  ASSERT_EQ(line.size(), 14u + 64 + 1 + 96);
  // The random is the one in the client's first ClientHello (RFC 6347
  // §4.2.1: ClientHello body = client_version(2) random(32) ...).
  auto sent = pair.SentBy(pair.client());
  ASSERT_FALSE(sent.empty());
  auto records = ParseDtlsRecords(sent[0].payload);
  ASSERT_TRUE(records.ok());
  auto fragments = ParseHandshakeFragments((*records)[0].fragment);
  ASSERT_TRUE(fragments.ok());
  ASSERT_EQ((*fragments)[0].msg_type, static_cast<uint8_t>(HandshakeType::kClientHello));
  std::string hex;
  for (int i = 2; i < 34; ++i)
    absl::StrAppend(&hex, absl::Hex((*fragments)[0].body[i], absl::kZeroPad2));
  EXPECT_EQ(absl::AsciiStrToUpper(line.substr(14, 64)), absl::AsciiStrToUpper(hex));
}

TEST(DtlsTransportTest, ConfigErrorsAreReported) {
  DtlsPair pair(DtlsPairOptions{});
  Env& env = pair.client().host->env();
  auto send = [](absl::Span<const uint8_t>) { return absl::OkStatus(); };
  DtlsTransportConfig config;
  auto r = DtlsTransport::Create(env, config, send, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("certificate is required"));
  config.certificate = *DtlsCertificate::Generate(env);
  config.mtu = 200;
  r = DtlsTransport::Create(env, config, send, {});
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("leaves 152-byte datagrams"));
  config.mtu = 1200;
  config.max_retransmit_timeout = TimeDelta::Millis(500);
  r = DtlsTransport::Create(env, config, send, {});
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("retransmit timeouts"));
  config.max_retransmit_timeout = TimeDelta::Seconds(60);
  auto ok = DtlsTransport::Create(env, config, send, {});
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE((*ok)->Start().ok());
  EXPECT_EQ((*ok)->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ((*ok)->SetRemoteFingerprints({}).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace rtcsim::dtls
