// RFC 7714 §16 (SRTP) and §17 (SRTCP) test vectors through srtp_protect(),
// srtp_unprotect() and their RTCP versions, with the OpenSSL AES-GCM
// installed: the whole packet has to match byte for byte, so libsrtp2's
// IV formation, AAD, tag placement and ESRTCP word are checked together
// with the cipher.
//
// RFC 7714 prints session keys and salts, not master keys, and libsrtp2
// always derives session keys (RFC 3711 §4.3) with no way to set them
// directly. So this test replaces the key-derivation PRF itself, through
// the same srtp_replace_cipher_type() hook: KdfStandIn behaves exactly like
// our AES-ICM (it delegates, and so passes libsrtp2's self-tests), except
// when keyed with kStandInMaster, where the "keystream" it returns for each
// RFC 3711 §4.3.2 label is the RFC 7714 session key or salt. Because the
// hook is process-global this file is a test binary of its own.
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <new>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "stack/srtp/openssl_crypto.h"
#include "stack/srtp/srtp_test_util.h"

namespace rtcsim::srtp {
namespace {

using ::rtcsim::srtp::testing::FromHex;
using ::rtcsim::srtp::testing::ToHex;

// Master key || master salt that switches KdfStandIn to the RFC 7714 keys;
// long enough for AES-256 + 96-bit salt, compared over the first
// master_len octets.
const uint8_t kStandInMaster[44] = {
    0xc3, 0x3c, 0xa5, 0x5a, 0x96, 0x69, 0x0f, 0xf0, 0xc3, 0x3c, 0xa5, 0x5a, 0x96, 0x69, 0x0f,
    0xf0, 0xc3, 0x3c, 0xa5, 0x5a, 0x96, 0x69, 0x0f, 0xf0, 0xc3, 0x3c, 0xa5, 0x5a, 0x96, 0x69,
    0x0f, 0xf0, 0xc3, 0x3c, 0xa5, 0x5a, 0x96, 0x69, 0x0f, 0xf0, 0xc3, 0x3c, 0xa5, 0x5a};

// RFC 7714 §16: "The 16-octet (128-bit) key is 00 01 02 ... 0f, and the
// 32-octet (256-bit) key is 00 01 02 ... 1f", salt "Quid pro quo". §17
// uses the same values for SRTCP.
std::vector<uint8_t> Rfc7714Key(int aes_key_len) {
  std::vector<uint8_t> key(aes_key_len);
  for (int i = 0; i < aes_key_len; ++i) key[i] = static_cast<uint8_t>(i);
  return key;
}
const std::vector<uint8_t>& Rfc7714Salt() {
  static const std::vector<uint8_t> kSalt = FromHex("517569642070726f2071756f");
  return kSalt;
}

struct KdfStandIn {
  srtp_cipher_t base;
  srtp_cipher_t* real;
  int master_len;  // master key + salt length compared with kStandInMaster
  int aes_key_len;
  bool standing_in;             // keyed with kStandInMaster
  std::vector<uint8_t> output;  // what the current label derives to
  size_t offset;
};

int stand_in_derivations = 0;

template <srtp_cipher_type_id_t kId>
const srtp_cipher_type_t& StandInType();

template <srtp_cipher_type_id_t kId>
srtp_err_status_t StandInAlloc(srtp_cipher_t** out, int key_len, int tag_len) {
  auto* s = new (std::nothrow) KdfStandIn{};
  if (s == nullptr) return srtp_err_status_alloc_fail;
  const srtp_err_status_t err =
      srtp_cipher_type_alloc(OpenSslCipherType(kId), &s->real, key_len, tag_len);
  if (err != srtp_err_status_ok) {
    delete s;
    return err;
  }
  // The PRF key is master key || master salt, the salt padded to 14
  // octets; GCM master salts are 12 (RFC 7714 §12).
  s->aes_key_len = kId == SRTP_AES_ICM_128 ? 16 : 32;
  s->master_len = s->aes_key_len + 12;
  s->base = *s->real;
  s->base.type = &StandInType<kId>();
  s->base.state = s;
  *out = &s->base;
  return srtp_err_status_ok;
}

srtp_err_status_t StandInDealloc(srtp_cipher_t* base) {
  auto* s = static_cast<KdfStandIn*>(base->state);
  srtp_cipher_dealloc(s->real);
  delete s;
  return srtp_err_status_ok;
}

srtp_err_status_t StandInInit(void* state, const uint8_t* key) {
  auto* s = static_cast<KdfStandIn*>(state);
  s->standing_in = std::memcmp(key, kStandInMaster, s->master_len) == 0;
  return srtp_cipher_init(s->real, key);
}

srtp_err_status_t StandInSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction) {
  auto* s = static_cast<KdfStandIn*>(state);
  if (!s->standing_in) return srtp_cipher_set_iv(s->real, iv, direction);
  // RFC 3711 §4.3.1 with key_derivation_rate 0: the PRF input is the label
  // in octet 7 and zeros elsewhere (the salt is the cipher's business).
  for (int i = 0; i < 16; ++i) {
    if (i != 7 && iv[i] != 0) return srtp_err_status_bad_param;
  }
  // RFC 3711 §4.3.2 labels: 0x00/0x03 SRTP/SRTCP encryption key, 0x02/0x05
  // the salts, 0x01/0x04 authentication keys (none with AEAD).
  switch (iv[7]) {
    case 0x00:
    case 0x03:
      s->output = Rfc7714Key(s->aes_key_len);
      break;
    case 0x02:
    case 0x05:
      s->output = Rfc7714Salt();
      break;
    default:
      s->output.clear();
  }
  s->offset = 0;
  ++stand_in_derivations;
  return srtp_err_status_ok;
}

srtp_err_status_t StandInCrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* s = static_cast<KdfStandIn*>(state);
  if (!s->standing_in) return srtp_cipher_encrypt(s->real, buffer, octets);
  for (unsigned int i = 0; i < *octets; ++i, ++s->offset) {
    buffer[i] ^= s->offset < s->output.size() ? s->output[s->offset] : 0;
  }
  return srtp_err_status_ok;
}

template <srtp_cipher_type_id_t kId>
const srtp_cipher_type_t& StandInType() {
  static const srtp_cipher_type_t kType = {
      &StandInAlloc<kId>,
      &StandInDealloc,
      &StandInInit,
      nullptr,
      &StandInCrypt,
      &StandInCrypt,
      &StandInSetIv,
      nullptr,
      "RFC 7714 key-derivation stand-in (test only)",
      OpenSslCipherType(kId)->test_data,
      kId,
  };
  return kType;
}

class Rfc7714Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const absl::Status status = InstallOpenSslCrypto();
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(srtp_replace_cipher_type(&StandInType<SRTP_AES_ICM_128>(), SRTP_AES_ICM_128),
              srtp_err_status_ok);
    ASSERT_EQ(srtp_replace_cipher_type(&StandInType<SRTP_AES_ICM_256>(), SRTP_AES_ICM_256),
              srtp_err_status_ok);
  }
  static void TearDownTestSuite() {
    EXPECT_EQ(srtp_replace_cipher_type(OpenSslCipherType(SRTP_AES_ICM_128), SRTP_AES_ICM_128),
              srtp_err_status_ok);
    EXPECT_EQ(srtp_replace_cipher_type(OpenSslCipherType(SRTP_AES_ICM_256), SRTP_AES_ICM_256),
              srtp_err_status_ok);
    EXPECT_TRUE(OpenSslCryptoInstalled());
  }

  void TearDown() override {
    for (srtp_t s : sessions_) srtp_dealloc(s);
  }

  // A session on the RFC 7714 keys. `aes256` picks AEAD_AES_256_GCM;
  // `encrypt` false gives RFC 7714's "tagging only" (sec_serv_auth).
  srtp_t Session(bool aes256, bool encrypt, srtp_ssrc_type_t direction) {
    srtp_policy_t policy;
    std::memset(&policy, 0, sizeof(policy));
    auto set = aes256 ? srtp_crypto_policy_set_aes_gcm_256_16_auth
                      : srtp_crypto_policy_set_aes_gcm_128_16_auth;
    set(&policy.rtp);
    set(&policy.rtcp);
    if (!encrypt) {
      policy.rtp.sec_serv = sec_serv_auth;
      policy.rtcp.sec_serv = sec_serv_auth;
    }
    policy.ssrc.type = direction;
    policy.key = const_cast<uint8_t*>(kStandInMaster);
    policy.window_size = 128;
    const int before = stand_in_derivations;
    srtp_t session = nullptr;
    EXPECT_EQ(srtp_create(&session, &policy), srtp_err_status_ok);
    // The keys really came from the stand-in.
    EXPECT_GT(stand_in_derivations, before);
    if (session != nullptr) sessions_.push_back(session);
    return session;
  }

  std::vector<srtp_t> sessions_;
};

// RFC 7714 §16: the RTP packet all SRTP examples use (SSRC 5501a0b2,
// SEQ f17b, ROC 0).
const char kRtpPacket[] =
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976"
    "69736120 696e2070 61727465 73207472 6573";

void ExpectProtect(srtp_t tx, const char* plain_hex, const char* expected_hex) {
  std::vector<uint8_t> packet = FromHex(plain_hex);
  int len = packet.size();
  packet.resize(len + SRTP_MAX_TRAILER_LEN);
  ASSERT_EQ(srtp_protect(tx, packet.data(), &len), srtp_err_status_ok);
  EXPECT_EQ(ToHex(packet.data(), len), ToHex(FromHex(expected_hex)));
}

void ExpectUnprotect(srtp_t rx, const char* protected_hex, const char* expected_hex) {
  // The last tag octet flipped: rejected, without touching the window.
  std::vector<uint8_t> forged = FromHex(protected_hex);
  forged.back() ^= 0x01;
  int len = forged.size();
  EXPECT_EQ(srtp_unprotect(rx, forged.data(), &len), srtp_err_status_auth_fail);

  std::vector<uint8_t> packet = FromHex(protected_hex);
  len = packet.size();
  ASSERT_EQ(srtp_unprotect(rx, packet.data(), &len), srtp_err_status_ok);
  EXPECT_EQ(ToHex(packet.data(), len), ToHex(FromHex(expected_hex)));
  // RFC 3711 §3.3.2: and only once.
  std::vector<uint8_t> again = FromHex(protected_hex);
  len = again.size();
  EXPECT_EQ(srtp_unprotect(rx, again.data(), &len), srtp_err_status_replay_fail);
}

// §16.1.1 / §16.1.2.
TEST_F(Rfc7714Test, SrtpAeadAes128GcmEncryptionAndDecryption) {
  constexpr char kEncrypted[] =
      "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5"
      "0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439"
      "0cce";
  ExpectProtect(Session(false, true, ssrc_any_outbound), kRtpPacket, kEncrypted);
  ExpectUnprotect(Session(false, true, ssrc_any_inbound), kEncrypted, kRtpPacket);
}

// §16.2.1 / §16.2.2.
TEST_F(Rfc7714Test, SrtpAeadAes256GcmEncryptionAndDecryption) {
  constexpr char kEncrypted[] =
      "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238"
      "9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7"
      "6c13";
  ExpectProtect(Session(true, true, ssrc_any_outbound), kRtpPacket, kEncrypted);
  ExpectUnprotect(Session(true, true, ssrc_any_inbound), kEncrypted, kRtpPacket);
}

// §16.1.3/§16.1.4 and §16.2.3/§16.2.4: tagging only, the whole RTP packet
// is AAD. libsrtp2 2.5 always encrypts RTP under AEAD (its AEAD protect
// path ignores sec_serv), so these run on the cipher the way srtp.c would
// drive it: IV, AAD, nothing to encrypt, tag.
TEST_F(Rfc7714Test, SrtpTaggingOnlyOnTheCipher) {
  struct Case {
    srtp_cipher_type_id_t id;
    int aes_key_len;
    const char* tag;
  };
  for (const Case& tc : {Case{SRTP_AES_GCM_128, 16, "22493f82d2bce397e9d79e3b19aa4216"},
                         Case{SRTP_AES_GCM_256, 32, "a866d5910f887463067ceefec45215d4"}}) {
    SCOPED_TRACE(tc.id);
    std::vector<uint8_t> key = Rfc7714Key(tc.aes_key_len);
    key.insert(key.end(), Rfc7714Salt().begin(), Rfc7714Salt().end());
    srtp_cipher_t* cipher = nullptr;
    ASSERT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(tc.id), &cipher, key.size(), 16),
              srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_init(cipher, key.data()), srtp_err_status_ok);
    std::vector<uint8_t> iv = FromHex("51753c6580c2726f20718414");
    const std::vector<uint8_t> aad = FromHex(kRtpPacket);

    ASSERT_EQ(srtp_cipher_set_iv(cipher, iv.data(), srtp_direction_encrypt), srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher, aad.data(), aad.size()), srtp_err_status_ok);
    uint32_t len = 0;
    ASSERT_EQ(srtp_cipher_encrypt(cipher, nullptr, &len), srtp_err_status_ok);
    uint8_t tag[16];
    uint32_t tag_len = 0;
    ASSERT_EQ(srtp_cipher_get_tag(cipher, tag, &tag_len), srtp_err_status_ok);
    EXPECT_EQ(ToHex(tag, tag_len), tc.tag);

    // Verification: the "cipher" is the tag alone.
    std::vector<uint8_t> received = FromHex(tc.tag);
    ASSERT_EQ(srtp_cipher_set_iv(cipher, iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher, aad.data(), aad.size()), srtp_err_status_ok);
    len = received.size();
    EXPECT_EQ(srtp_cipher_decrypt(cipher, received.data(), &len), srtp_err_status_ok);
    EXPECT_EQ(len, 0u);
    received = FromHex(tc.tag);
    received[3] ^= 0x10;
    ASSERT_EQ(srtp_cipher_set_iv(cipher, iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher, aad.data(), aad.size()), srtp_err_status_ok);
    len = received.size();
    EXPECT_EQ(srtp_cipher_decrypt(cipher, received.data(), &len), srtp_err_status_auth_fail);
    srtp_cipher_dealloc(cipher);
  }
}

// §17: the RTCP packet of §17.1-17.4 (SSRC 4d617273), SRTCP index 0x5d4.
const char kRtcpPacket[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef";

// libsrtp2 numbers SRTCP packets itself, so send throwaway packets until
// the next index is the one the RFC uses.
void AdvanceSrtcpIndexTo(srtp_t tx, uint32_t index) {
  for (;;) {
    std::vector<uint8_t> packet = FromHex(kRtcpPacket);
    int len = packet.size();
    packet.resize(len + SRTP_MAX_TRAILER_LEN + 4);
    ASSERT_EQ(srtp_protect_rtcp(tx, packet.data(), &len), srtp_err_status_ok);
    // RFC 7714 §17: the ESRTCP word ends the packet.
    const uint32_t sent = (packet[len - 4] & 0x7f) << 24 | packet[len - 3] << 16 |
                          packet[len - 2] << 8 | packet[len - 1];
    ASSERT_LT(sent, index);
    if (sent + 1 == index) return;
  }
}

void ExpectProtectRtcp(srtp_t tx, const char* expected_hex) {
  AdvanceSrtcpIndexTo(tx, 0x5d4);
  std::vector<uint8_t> packet = FromHex(kRtcpPacket);
  int len = packet.size();
  packet.resize(len + SRTP_MAX_TRAILER_LEN + 4);
  ASSERT_EQ(srtp_protect_rtcp(tx, packet.data(), &len), srtp_err_status_ok);
  EXPECT_EQ(ToHex(packet.data(), len), ToHex(FromHex(expected_hex)));
}

void ExpectUnprotectRtcp(srtp_t rx, const char* protected_hex) {
  // The last tag octet flipped (the tag precedes the ESRTCP word): rejected,
  // and the genuine packet still passes afterwards.
  std::vector<uint8_t> forged = FromHex(protected_hex);
  forged[forged.size() - 5] ^= 0x01;
  int len = forged.size();
  EXPECT_EQ(srtp_unprotect_rtcp(rx, forged.data(), &len), srtp_err_status_auth_fail);

  std::vector<uint8_t> packet = FromHex(protected_hex);
  len = packet.size();
  ASSERT_EQ(srtp_unprotect_rtcp(rx, packet.data(), &len), srtp_err_status_ok);
  EXPECT_EQ(ToHex(packet.data(), len), ToHex(FromHex(kRtcpPacket)));
  // RFC 3711 §3.4 (replay protection as for SRTP): and only once.
  std::vector<uint8_t> again = FromHex(protected_hex);
  len = again.size();
  EXPECT_EQ(srtp_unprotect_rtcp(rx, again.data(), &len), srtp_err_status_replay_fail);
}

// §17.1: AEAD_AES_128_GCM, encryption and tagging.
constexpr char kSrtcp128Encrypted[] =
    "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d"
    "c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872"
    "45d9eade 800005d4";
// §17.2: AEAD_AES_256_GCM, verification and decryption.
constexpr char kSrtcp256Encrypted[] =
    "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50"
    "a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c"
    "b26ac3be 800005d4";
// §17.3: AEAD_AES_128_GCM, tagging only (E = 0).
constexpr char kSrtcp128Tagged[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790"
    "125f62b3 000005d4";
// §17.4: AEAD_AES_256_GCM, tag verification.
constexpr char kSrtcp256Tagged[] =
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
    "deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393"
    "ed2615fe 000005d4";

TEST_F(Rfc7714Test, SrtcpAeadAes128GcmEncryptionAndTagging) {
  ExpectProtectRtcp(Session(false, true, ssrc_any_outbound), kSrtcp128Encrypted);
  ExpectUnprotectRtcp(Session(false, true, ssrc_any_inbound), kSrtcp128Encrypted);
}

TEST_F(Rfc7714Test, SrtcpAeadAes256GcmVerificationAndDecryption) {
  ExpectProtectRtcp(Session(true, true, ssrc_any_outbound), kSrtcp256Encrypted);
  ExpectUnprotectRtcp(Session(true, true, ssrc_any_inbound), kSrtcp256Encrypted);
}

TEST_F(Rfc7714Test, SrtcpAeadAes128GcmTaggingOnly) {
  ExpectProtectRtcp(Session(false, false, ssrc_any_outbound), kSrtcp128Tagged);
  ExpectUnprotectRtcp(Session(false, false, ssrc_any_inbound), kSrtcp128Tagged);
}

TEST_F(Rfc7714Test, SrtcpAeadAes256GcmTagVerification) {
  ExpectProtectRtcp(Session(true, false, ssrc_any_outbound), kSrtcp256Tagged);
  ExpectUnprotectRtcp(Session(true, false, ssrc_any_inbound), kSrtcp256Tagged);
}

}  // namespace
}  // namespace rtcsim::srtp
