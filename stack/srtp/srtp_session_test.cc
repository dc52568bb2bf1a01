// SrtpSession: round trips for both DTLS-SRTP profiles, the drops of RFC
// 3711 §3.3 (authentication, replay) with their counters, and the rollover
// counter across the 16-bit sequence wrap (RFC 3711 §3.3.1).
#include "stack/srtp/srtp_session.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/rtp/rtp_packet.h"
#include "stack/rtp/seq_num.h"
#include "stack/srtp/srtp_test_util.h"

namespace rtcsim::srtp {
namespace {

using dtls::SrtpKeyingMaterial;
using dtls::SrtpProfile;
using ::testing::HasSubstr;

constexpr uint32_t kSsrc = 0x11223344;

// Two ends of one DTLS-SRTP association: A's local keys are B's remote keys
// (RFC 5764 §4.2), drawn from fixed octets so failures reproduce.
struct KeyPair {
  SrtpKeyingMaterial a;
  SrtpKeyingMaterial b;
};

KeyPair MakeKeys(SrtpProfile profile, uint8_t seed = 1) {
  auto bytes = [&](size_t n, uint8_t start) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(start + 37 * i + seed * 11);
    return v;
  };
  KeyPair keys;
  const size_t k = dtls::SrtpKeyLength(profile);
  const size_t s = dtls::SrtpSaltLength(profile);
  keys.a.profile = keys.b.profile = profile;
  keys.a.local_key = keys.b.remote_key = bytes(k, 1);
  keys.a.local_salt = keys.b.remote_salt = bytes(s, 2);
  keys.a.remote_key = keys.b.local_key = bytes(k, 3);
  keys.a.remote_salt = keys.b.local_salt = bytes(s, 4);
  return keys;
}

std::vector<uint8_t> Payload(size_t size, uint8_t tag) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(tag + i);
  return p;
}

std::vector<uint8_t> Rtp(uint16_t seq, uint32_t ssrc = kSsrc, size_t payload_size = 160) {
  const std::vector<uint8_t> payload = Payload(payload_size, static_cast<uint8_t>(seq));
  auto packet = rtp::RtpPacketBuilder()
                    .set_payload_type(111)
                    .set_sequence_number(rtp::SeqNum(seq))
                    .set_timestamp(960u * seq)
                    .set_ssrc(ssrc)
                    .set_payload(payload)
                    .Build();
  return *packet;
}

std::vector<uint8_t> Rtcp(uint32_t ssrc) {
  std::vector<uint8_t> p = testing::MakeRtcp(ssrc, Payload(20, 7));
  p.resize(testing::RtcpLength(p));
  return p;
}

class SrtpSessionTest : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
    keys_ = MakeKeys(GetParam());
    auto a = SrtpSession::Create(keys_.a);
    auto b = SrtpSession::Create(keys_.b);
    ASSERT_TRUE(a.ok()) << a.status();
    ASSERT_TRUE(b.ok()) << b.status();
    a_ = std::move(*a);
    b_ = std::move(*b);
  }

  size_t RtpTagSize() const { return GetParam() == SrtpProfile::kAes128CmSha1_80 ? 10 : 16; }

  KeyPair keys_;
  std::unique_ptr<SrtpSession> a_;
  std::unique_ptr<SrtpSession> b_;
};

TEST_P(SrtpSessionTest, RtpRoundTripBothWays) {
  for (uint16_t seq = 100; seq < 110; ++seq) {
    const std::vector<uint8_t> plain = Rtp(seq);
    std::vector<uint8_t> packet = plain;
    ASSERT_TRUE(a_->ProtectRtp(packet).ok());
    // RFC 3711 §3.1 / RFC 7714 §8: the header stays in the clear, the
    // payload is encrypted, the tag is appended.
    ASSERT_EQ(packet.size(), plain.size() + RtpTagSize());
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 12, packet.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 12, plain.end(), packet.begin() + 12));
    ASSERT_TRUE(b_->UnprotectRtp(packet).ok());
    EXPECT_EQ(packet, plain);

    std::vector<uint8_t> back = Rtp(seq, kSsrc + 1);
    const std::vector<uint8_t> back_plain = back;
    ASSERT_TRUE(b_->ProtectRtp(back).ok());
    ASSERT_TRUE(a_->UnprotectRtp(back).ok());
    EXPECT_EQ(back, back_plain);
  }
  EXPECT_EQ(a_->stats().rtp_protected, 10u);
  EXPECT_EQ(b_->stats().rtp_unprotected, 10u);
  EXPECT_EQ(b_->stats().rtp_protected, 10u);
  EXPECT_EQ(a_->stats().rtp_unprotected, 10u);
  EXPECT_EQ(b_->stats().auth_failures + b_->stats().replay_drops + b_->stats().other_errors, 0u);
}

TEST_P(SrtpSessionTest, RtcpRoundTrip) {
  for (int i = 0; i < 5; ++i) {
    const std::vector<uint8_t> plain = Rtcp(kSsrc);
    std::vector<uint8_t> packet = plain;
    ASSERT_TRUE(a_->ProtectRtcp(packet).ok());
    // RFC 3711 §3.4: E flag + SRTCP index, then the 80-bit tag; RFC 7714
    // §9.3 puts the 16-octet tag (inside the ciphertext) before E + index.
    EXPECT_EQ(packet.size(), plain.size() + 4 + RtpTagSize());
    const size_t index_at =
        GetParam() == SrtpProfile::kAeadAes128Gcm ? packet.size() - 4 : plain.size();
    // The E flag is set: SRTCP payloads are encrypted by default.
    EXPECT_EQ(packet[index_at] & 0x80, 0x80);
    ASSERT_TRUE(b_->UnprotectRtcp(packet).ok());
    EXPECT_EQ(packet, plain);
  }
  std::vector<uint8_t> packet = Rtcp(kSsrc + 1);
  ASSERT_TRUE(b_->ProtectRtcp(packet).ok());
  ASSERT_TRUE(a_->UnprotectRtcp(packet).ok());
  EXPECT_EQ(a_->stats().rtcp_protected, 5u);
  EXPECT_EQ(b_->stats().rtcp_unprotected, 5u);
  EXPECT_EQ(a_->stats().rtcp_unprotected, 1u);
}

TEST_P(SrtpSessionTest, WrongKeyFailsAuthentication) {
  // A peer keyed from another handshake: same profile, different keys.
  KeyPair other = MakeKeys(GetParam(), /*seed=*/2);
  auto intruder = SrtpSession::Create(other.a);
  ASSERT_TRUE(intruder.ok());
  std::vector<uint8_t> packet = Rtp(1);
  ASSERT_TRUE((*intruder)->ProtectRtp(packet).ok());
  absl::Status status = b_->UnprotectRtp(packet);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(),
              HasSubstr("SRTP authentication failed (srtp_err_status_auth_fail)"));
  EXPECT_EQ(b_->stats().auth_failures, 1u);

  std::vector<uint8_t> rtcp = Rtcp(kSsrc);
  ASSERT_TRUE((*intruder)->ProtectRtcp(rtcp).ok());
  status = b_->UnprotectRtcp(rtcp);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(status.message(), HasSubstr("SRTCP authentication failed"));
  EXPECT_EQ(b_->stats().auth_failures, 2u);
  EXPECT_EQ(b_->stats().rtp_unprotected + b_->stats().rtcp_unprotected, 0u);

  // The real sender still gets through: a forgery does not poison the
  // receiver's state (RFC 3711 §3.3: the replay list is updated only after
  // authentication succeeds).
  std::vector<uint8_t> good = Rtp(1);
  ASSERT_TRUE(a_->ProtectRtp(good).ok());
  EXPECT_TRUE(b_->UnprotectRtp(good).ok());
}

TEST_P(SrtpSessionTest, TamperedTagOrPayloadFailsAuthentication) {
  std::vector<uint8_t> packet = Rtp(7);
  ASSERT_TRUE(a_->ProtectRtp(packet).ok());
  std::vector<uint8_t> tag_flipped = packet;
  tag_flipped.back() ^= 0x01;
  std::vector<uint8_t> payload_flipped = packet;
  payload_flipped[20] ^= 0x80;
  std::vector<uint8_t> header_flipped = packet;
  header_flipped[1] ^= 0x01;  // the payload type: authenticated, not encrypted
  for (std::vector<uint8_t>* p : {&tag_flipped, &payload_flipped, &header_flipped}) {
    const absl::Status status = b_->UnprotectRtp(*p);
    EXPECT_EQ(status.code(), absl::StatusCode::kUnauthenticated) << status;
  }
  EXPECT_EQ(b_->stats().auth_failures, 3u);
  // The original still verifies: failed packets did not enter the window.
  EXPECT_TRUE(b_->UnprotectRtp(packet).ok());

  std::vector<uint8_t> rtcp = Rtcp(kSsrc);
  ASSERT_TRUE(a_->ProtectRtcp(rtcp).ok());
  rtcp[rtcp.size() - 3] ^= 0x10;
  EXPECT_EQ(b_->UnprotectRtcp(rtcp).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(b_->stats().auth_failures, 4u);
}

TEST_P(SrtpSessionTest, ReplayedPacketIsDropped) {
  std::vector<uint8_t> packet = Rtp(500);
  ASSERT_TRUE(a_->ProtectRtp(packet).ok());
  std::vector<uint8_t> copy = packet;
  ASSERT_TRUE(b_->UnprotectRtp(packet).ok());
  const absl::Status status = b_->UnprotectRtp(copy);
  EXPECT_EQ(status.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(status.message(), HasSubstr("replayed packet"));
  EXPECT_EQ(b_->stats().replay_drops, 1u);
  EXPECT_EQ(b_->stats().rtp_unprotected, 1u);

  // SRTCP has its own replay list, keyed by the SRTCP index (RFC 3711 §3.4).
  std::vector<uint8_t> rtcp = Rtcp(kSsrc);
  ASSERT_TRUE(a_->ProtectRtcp(rtcp).ok());
  std::vector<uint8_t> rtcp_copy = rtcp;
  ASSERT_TRUE(b_->UnprotectRtcp(rtcp).ok());
  EXPECT_EQ(b_->UnprotectRtcp(rtcp_copy).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(b_->stats().replay_drops, 2u);
}

TEST_P(SrtpSessionTest, SenderRefusesToReuseASequenceNumber) {
  // RFC 3711 §9.1: the same index under the same key is keystream reuse.
  std::vector<uint8_t> first = Rtp(9);
  std::vector<uint8_t> again = Rtp(9);
  ASSERT_TRUE(a_->ProtectRtp(first).ok());
  const size_t size = again.size();
  EXPECT_EQ(a_->ProtectRtp(again).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(again.size(), size);
  EXPECT_EQ(a_->stats().other_errors, 1u);
}

TEST_P(SrtpSessionTest, RolloverCounterAcrossSequenceWrap) {
  // 70,000 consecutive packets from seq 65,000 wrap twice (at 65,536 and
  // 131,072); both ends must keep the same ROC (RFC 3711 §3.3.1, the
  // estimation of Appendix A) or every packet after the wrap fails.
  constexpr int64_t kFirst = 65'000;
  constexpr int kCount = 70'000;
  std::vector<uint8_t> packet;
  for (int i = 0; i < kCount; ++i) {
    const int64_t extended = kFirst + i;
    const uint16_t seq = static_cast<uint16_t>(extended & 0xffff);
    packet = Rtp(seq, kSsrc, /*payload_size=*/32);
    const std::vector<uint8_t> plain = packet;
    ASSERT_TRUE(a_->ProtectRtp(packet).ok()) << "seq " << seq;
    const absl::Status status = b_->UnprotectRtp(packet);
    ASSERT_TRUE(status.ok()) << "packet " << i << " seq " << seq << ": " << status;
    ASSERT_EQ(packet, plain);
    if (seq == 0xffff || seq == 0 || i == kCount - 1) {
      const uint32_t roc = *b_->InboundRoc(kSsrc);
      EXPECT_EQ(roc, *a_->OutboundRoc(kSsrc));
      EXPECT_EQ(rtp::ExtendedSeqNum::FromRoc(roc, rtp::SeqNum(seq)).value(), extended);
    }
  }
  EXPECT_EQ(*b_->InboundRoc(kSsrc), 2u);
  EXPECT_EQ(b_->stats().rtp_unprotected, static_cast<uint64_t>(kCount));
  EXPECT_EQ(b_->stats().auth_failures + b_->stats().replay_drops, 0u);
}

TEST_P(SrtpSessionTest, LossThenReorderWithinAndBeyondTheWindow) {
  std::vector<std::vector<uint8_t>> sent;
  for (uint16_t seq = 0; seq < 1700; ++seq) {
    sent.push_back(Rtp(seq, kSsrc, 40));
    ASSERT_TRUE(a_->ProtectRtp(sent.back()).ok());
  }
  auto deliver = [&](uint16_t seq) {
    std::vector<uint8_t> p = sent[seq];
    return b_->UnprotectRtp(p);
  };
  // 0..9 arrive, 10..19 are late, 20..29 arrive.
  for (uint16_t seq = 0; seq < 10; ++seq) ASSERT_TRUE(deliver(seq).ok());
  for (uint16_t seq = 20; seq < 30; ++seq) ASSERT_TRUE(deliver(seq).ok());
  // The late ones are inside the window and not yet seen: accepted once.
  for (uint16_t seq = 19; seq >= 10; --seq) EXPECT_TRUE(deliver(seq).ok()) << seq;
  EXPECT_EQ(deliver(15).code(), absl::StatusCode::kAlreadyExists);
  // A jump of 1,500 moves the window; 12 is now more than 1,024 behind
  // (SrtpSessionConfig::replay_window_size) and is dropped as too old.
  ASSERT_TRUE(deliver(1600).ok());
  const absl::Status old = deliver(12);
  EXPECT_EQ(old.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(old.message(), HasSubstr("older than the replay window"));
  // 1,000 behind is still inside, never seen: accepted.
  EXPECT_TRUE(deliver(600).ok());
  EXPECT_EQ(b_->stats().rtp_unprotected, 32u);
  EXPECT_EQ(b_->stats().replay_drops, 2u);
}

TEST_P(SrtpSessionTest, TruncatedPacketsAreCountedNotCrashed) {
  std::vector<uint8_t> empty;
  EXPECT_EQ(b_->UnprotectRtp(empty).code(), absl::StatusCode::kOutOfRange);
  std::vector<uint8_t> header_only = Rtp(3, kSsrc, 0);
  header_only.resize(11);
  EXPECT_EQ(b_->UnprotectRtp(header_only).code(), absl::StatusCode::kOutOfRange);
  std::vector<uint8_t> short_rtcp(8, 0x80);
  EXPECT_EQ(b_->UnprotectRtcp(short_rtcp).code(), absl::StatusCode::kOutOfRange);
  // A header with no room for a tag: libsrtp2's own length check.
  std::vector<uint8_t> no_tag = Rtp(4, kSsrc, 2);
  EXPECT_FALSE(b_->UnprotectRtp(no_tag).ok());
  EXPECT_EQ(b_->stats().other_errors + b_->stats().auth_failures, 4u);
  std::vector<uint8_t> tiny(5);
  EXPECT_EQ(a_->ProtectRtp(tiny).code(), absl::StatusCode::kOutOfRange);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpSessionTest,
                         ::testing::Values(SrtpProfile::kAes128CmSha1_80,
                                           SrtpProfile::kAeadAes128Gcm),
                         [](const ::testing::TestParamInfo<SrtpProfile>& info) {
                           return info.param == SrtpProfile::kAes128CmSha1_80
                                      ? std::string("AesCmSha1_80")
                                      : std::string("AeadAes128Gcm");
                         });

TEST(SrtpSessionCreateTest, RejectsKeysOfTheWrongLength) {
  KeyPair keys = MakeKeys(SrtpProfile::kAes128CmSha1_80);
  keys.a.profile = SrtpProfile::kAeadAes128Gcm;  // 12-byte salt expected
  auto session = SrtpSession::Create(keys.a);
  EXPECT_EQ(session.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(session.status().message(), HasSubstr("12-byte master salt"));
  SrtpSessionConfig config;
  config.replay_window_size = 32;
  EXPECT_EQ(SrtpSession::Create(MakeKeys(SrtpProfile::kAeadAes128Gcm).a, config).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(SrtpSessionCreateTest, OtherProfilesRoundTrip) {
  for (SrtpProfile profile : {SrtpProfile::kAes128CmSha1_32, SrtpProfile::kAeadAes256Gcm}) {
    KeyPair keys = MakeKeys(profile);
    auto a = SrtpSession::Create(keys.a);
    auto b = SrtpSession::Create(keys.b);
    ASSERT_TRUE(a.ok() && b.ok());
    std::vector<uint8_t> packet = Rtp(1);
    const std::vector<uint8_t> plain = packet;
    ASSERT_TRUE((*a)->ProtectRtp(packet).ok());
    ASSERT_TRUE((*b)->UnprotectRtp(packet).ok()) << dtls::ToString(profile);
    EXPECT_EQ(packet, plain);
  }
}

}  // namespace
}  // namespace rtcsim::srtp
