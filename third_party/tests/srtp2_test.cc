// Proves Debian's libsrtp2 (built against NSS) really protects and verifies
// RTP: a round trip per crypto suite, tag tampering and replay detection.

#include <srtp2/srtp.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

constexpr int kRtpHeaderSize = 12;
constexpr uint32_t kSsrc = 0x11223344;

// A fixed master key + salt (30 bytes is enough for both suites: AES-CM uses
// 16 + 14, AES-GCM 16 + 12). Fixed so the test is deterministic.
constexpr std::array<uint8_t, SRTP_MASTER_KEY_LEN> kMasterKey = {
    0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d};

// Builds a minimal RTP packet (RFC 3550 §5.1): V=2, no padding, extension or
// CSRCs, payload type 96. The vector has room for the SRTP trailer because
// srtp_protect() writes past the plaintext length.
std::vector<uint8_t> MakeRtpPacket(uint16_t seq, uint32_t timestamp,
                                   const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> packet(kRtpHeaderSize + payload.size() + SRTP_MAX_TRAILER_LEN, 0);
  packet[0] = 0x80;
  packet[1] = 96;
  packet[2] = seq >> 8;
  packet[3] = seq & 0xff;
  for (int i = 0; i < 4; ++i) {
    packet[4 + i] = (timestamp >> (24 - 8 * i)) & 0xff;
    packet[8 + i] = (kSsrc >> (24 - 8 * i)) & 0xff;
  }
  std::memcpy(packet.data() + kRtpHeaderSize, payload.data(), payload.size());
  return packet;
}

struct Suite {
  const char* name;
  void (*set_policy)(srtp_crypto_policy_t*);
  int tag_len;
};

// Names the suite in gtest failure messages instead of dumping raw bytes.
void PrintTo(const Suite& suite, std::ostream* os) { *os << suite.name; }

class Srtp2Test : public ::testing::TestWithParam<Suite> {
 protected:
  static void SetUpTestSuite() { ASSERT_EQ(srtp_init(), srtp_err_status_ok); }
  static void TearDownTestSuite() { srtp_shutdown(); }

  void SetUp() override {
    ASSERT_EQ(CreateSession(ssrc_any_outbound, &sender_), srtp_err_status_ok);
    ASSERT_EQ(CreateSession(ssrc_any_inbound, &receiver_), srtp_err_status_ok);
  }

  void TearDown() override {
    if (sender_ != nullptr) srtp_dealloc(sender_);
    if (receiver_ != nullptr) srtp_dealloc(receiver_);
  }

  srtp_err_status_t CreateSession(srtp_ssrc_type_t direction, srtp_t* out) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    GetParam().set_policy(&policy.rtp);
    GetParam().set_policy(&policy.rtcp);
    policy.ssrc.type = direction;
    // srtp_create() copies the key material, so pointing at a constant is ok.
    policy.key = const_cast<uint8_t*>(kMasterKey.data());
    policy.window_size = 128;
    policy.allow_repeat_tx = 0;
    policy.next = nullptr;
    return srtp_create(out, &policy);
  }

  srtp_t sender_ = nullptr;
  srtp_t receiver_ = nullptr;
};

TEST_P(Srtp2Test, ProtectUnprotectRoundTrip) {
  const std::vector<uint8_t> payload = {'h', 'e', 'l', 'l', 'o',  ' ',
                                        's', 'r', 't', 'p', 0x00, 0xff};
  std::vector<uint8_t> packet = MakeRtpPacket(1000, 160, payload);
  const int plain_len = kRtpHeaderSize + payload.size();

  int len = plain_len;
  ASSERT_EQ(srtp_protect(sender_, packet.data(), &len), srtp_err_status_ok);
  // The suite appends its auth tag; the payload must no longer be plaintext.
  EXPECT_EQ(len, plain_len + GetParam().tag_len);
  EXPECT_NE(std::memcmp(packet.data() + kRtpHeaderSize, payload.data(), payload.size()), 0);

  std::vector<uint8_t> replay = packet;  // Same SRTP bytes, for later.

  ASSERT_EQ(srtp_unprotect(receiver_, packet.data(), &len), srtp_err_status_ok);
  ASSERT_EQ(len, plain_len);
  EXPECT_EQ(std::vector<uint8_t>(packet.begin() + kRtpHeaderSize, packet.begin() + len), payload);

  // RFC 3711 §3.3.2: an index already seen must be rejected.
  int replay_len = plain_len + GetParam().tag_len;
  EXPECT_EQ(srtp_unprotect(receiver_, replay.data(), &replay_len), srtp_err_status_replay_fail);
}

TEST_P(Srtp2Test, TamperedTagFailsAuthentication) {
  const std::vector<uint8_t> payload(40, 0x5a);
  std::vector<uint8_t> packet = MakeRtpPacket(2000, 320, payload);
  int len = kRtpHeaderSize + payload.size();
  ASSERT_EQ(srtp_protect(sender_, packet.data(), &len), srtp_err_status_ok);

  const int protected_len = len;

  // Tamper with a copy: Debian's NSS-backed AES-GCM overwrites the payload
  // (with zeros) when tag verification fails, so a rejected buffer cannot be
  // reused. AES-CM + HMAC leaves it untouched.
  std::vector<uint8_t> forged = packet;
  forged[protected_len - 1] ^= 0x01;  // Last byte of the auth tag.
  int forged_len = protected_len;
  EXPECT_EQ(srtp_unprotect(receiver_, forged.data(), &forged_len), srtp_err_status_auth_fail);

  // A forged packet must not advance the replay window: the genuine one
  // still verifies afterwards.
  EXPECT_EQ(srtp_unprotect(receiver_, packet.data(), &len), srtp_err_status_ok);
  EXPECT_EQ(len, kRtpHeaderSize + static_cast<int>(payload.size()));
  EXPECT_EQ(std::vector<uint8_t>(packet.begin() + kRtpHeaderSize, packet.begin() + len), payload);
}

INSTANTIATE_TEST_SUITE_P(
    Suites, Srtp2Test,
    ::testing::Values(Suite{"AesCm128HmacSha1_80", &srtp_crypto_policy_set_rtp_default, 10},
                      Suite{"AeadAes128Gcm", &srtp_crypto_policy_set_aes_gcm_128_16_auth, 16}),
    [](const ::testing::TestParamInfo<Suite>& info) { return info.param.name; });

}  // namespace
}  // namespace rtcsim
