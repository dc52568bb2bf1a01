// Tests of the OpenSSL-backed libsrtp2 crypto: libsrtp2's own self-tests,
// published vectors (RFC 3711 Appendix B, RFC 7714 §16-17, RFC 2202) at the
// cipher level and through srtp_protect(), and the SRTP security properties
// (tag check, replay window) with the replacements installed.
//
// Interop with the stock NSS implementation is in
// openssl_crypto_interop_test.cc, and srtp_protect() against RFC 7714's
// packets in rfc7714_test.cc: both need a process of their own.
#include "stack/srtp/openssl_crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <srtp2/auth.h>
#include <srtp2/cipher.h>
#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/srtp/srtp_test_util.h"

namespace rtcsim::srtp {
namespace {

using ::rtcsim::srtp::testing::AllProfiles;
using ::rtcsim::srtp::testing::CreateSession;
using ::rtcsim::srtp::testing::FromHex;
using ::rtcsim::srtp::testing::MakeRtcp;
using ::rtcsim::srtp::testing::MakeRtp;
using ::rtcsim::srtp::testing::Profile;
using ::rtcsim::srtp::testing::RtcpLength;
using ::rtcsim::srtp::testing::TestMasterKey;
using ::rtcsim::srtp::testing::ToHex;

constexpr srtp_cipher_type_id_t kCipherIds[] = {
    SRTP_AES_ICM_128, SRTP_AES_ICM_192, SRTP_AES_ICM_256, SRTP_AES_GCM_128, SRTP_AES_GCM_256};

class OpenSslCryptoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const absl::Status status = InstallOpenSslCrypto();
    ASSERT_TRUE(status.ok()) << status;
  }
};

// Owns a cipher instance made directly from one of our types.
struct Cipher {
  Cipher(srtp_cipher_type_id_t id, int key_len, int tag_len = 0) {
    status = srtp_cipher_type_alloc(OpenSslCipherType(id), &c, key_len, tag_len);
  }
  ~Cipher() {
    if (c != nullptr) srtp_cipher_dealloc(c);
  }
  srtp_cipher_t* c = nullptr;
  srtp_err_status_t status;
};

TEST_F(OpenSslCryptoTest, InstallReplacesEveryTypeAndIsIdempotent) {
  EXPECT_TRUE(OpenSslCryptoInstalled());
  EXPECT_TRUE(InstallOpenSslCrypto().ok());
  EXPECT_TRUE(OpenSslCryptoInstalled());
  for (srtp_cipher_type_id_t id : kCipherIds) {
    ASSERT_NE(OpenSslCipherType(id), nullptr) << id;
    EXPECT_EQ(OpenSslCipherType(id)->id, id);
  }
  EXPECT_EQ(OpenSslCipherType(SRTP_NULL_CIPHER), nullptr);
}

// srtp_shutdown() empties libsrtp2's crypto kernel and srtp_init() reloads
// the NSS types, so installing again must notice and replace them again.
TEST_F(OpenSslCryptoTest, ReinstallsAfterShutdownAndInit) {
  ASSERT_EQ(srtp_shutdown(), srtp_err_status_ok);
  EXPECT_FALSE(OpenSslCryptoInstalled());
  ASSERT_EQ(srtp_init(), srtp_err_status_ok);
  EXPECT_FALSE(OpenSslCryptoInstalled());
  ASSERT_TRUE(InstallOpenSslCrypto().ok());
  EXPECT_TRUE(OpenSslCryptoInstalled());
  // And from a shut-down kernel InstallOpenSslCrypto() calls srtp_init().
  ASSERT_EQ(srtp_shutdown(), srtp_err_status_ok);
  ASSERT_TRUE(InstallOpenSslCrypto().ok());
  EXPECT_TRUE(OpenSslCryptoInstalled());
}

// libsrtp2's own known-answer and random round-trip tests, over the vectors
// each type carries (srtp_replace_* ran them too, plus the NSS types').
TEST_F(OpenSslCryptoTest, LibsrtpSelfTestsPass) {
  for (srtp_cipher_type_id_t id : kCipherIds) {
    EXPECT_EQ(srtp_cipher_type_self_test(OpenSslCipherType(id)), srtp_err_status_ok)
        << OpenSslCipherType(id)->description;
  }
  EXPECT_EQ(srtp_auth_type_self_test(&OpenSslHmacSha1()), srtp_err_status_ok);
}

// RFC 3711 Appendix B.2: the whole 65,282-block keystream segment, checked
// at the three blocks the RFC prints at each end.
TEST_F(OpenSslCryptoTest, Rfc3711B2AesCmKeystream) {
  Cipher cipher(SRTP_AES_ICM_128, 30);
  ASSERT_EQ(cipher.status, srtp_err_status_ok);
  const std::vector<uint8_t> key_and_salt = FromHex(
      "2B7E151628AED2A6ABF7158809CF4F3C"  // session key
      "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");    // session salt
  ASSERT_EQ(srtp_cipher_init(cipher.c, key_and_salt.data()), srtp_err_status_ok);
  // Rollover counter, sequence number and SSRC all zero.
  uint8_t iv[16] = {};
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv, srtp_direction_encrypt), srtp_err_status_ok);

  std::vector<uint8_t> keystream(1044512, 0);
  uint32_t len = keystream.size();
  ASSERT_EQ(srtp_cipher_encrypt(cipher.c, keystream.data(), &len), srtp_err_status_ok);
  ASSERT_EQ(len, keystream.size());
  auto block = [&](size_t index) { return ToHex(keystream.data() + 16 * index, 16); };
  EXPECT_EQ(block(0x0000), "e03ead0935c95e80e166b16dd92b4eb4");
  EXPECT_EQ(block(0x0001), "d23513162b02d0f72a43a2fe4a5f97ab");
  EXPECT_EQ(block(0x0002), "41e95b3bb0a2e8dd477901e4fca894c0");
  EXPECT_EQ(block(0xfeff), "ec8cdf7398607cb0f2d21675ea9ea1e4");
  EXPECT_EQ(block(0xff00), "362b7c3c6773516318a077d7fc5073ae");
  EXPECT_EQ(block(0xff01), "6a2cc3787889374fbeb4c81b17ba6c44");
  EXPECT_EQ(keystream.size(), 65282u * 16);
}

// The same keystream produced in uneven pieces, as srtp.c may ask for it.
TEST_F(OpenSslCryptoTest, AesCmKeystreamContinuesAcrossCalls) {
  Cipher cipher(SRTP_AES_ICM_128, 30);
  const std::vector<uint8_t> key_and_salt =
      FromHex("2B7E151628AED2A6ABF7158809CF4F3C F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  ASSERT_EQ(srtp_cipher_init(cipher.c, key_and_salt.data()), srtp_err_status_ok);
  uint8_t iv[16] = {};
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv, srtp_direction_encrypt), srtp_err_status_ok);
  std::vector<uint8_t> keystream(48, 0);
  for (auto [offset, n] : {std::pair<uint32_t, uint32_t>{0, 5}, {5, 0}, {5, 20}, {25, 23}}) {
    uint32_t len = n;
    ASSERT_EQ(srtp_cipher_encrypt(cipher.c, keystream.data() + offset, &len), srtp_err_status_ok);
  }
  EXPECT_EQ(ToHex(keystream),
            "e03ead0935c95e80e166b16dd92b4eb4"
            "d23513162b02d0f72a43a2fe4a5f97ab"
            "41e95b3bb0a2e8dd477901e4fca894c0");
}

// RFC 3711 §4.1.1: at most 2^16 keystream blocks per IV.
TEST_F(OpenSslCryptoTest, AesCmRefusesMoreThan2To16BlocksPerIv) {
  Cipher cipher(SRTP_AES_ICM_128, 30);
  std::vector<uint8_t> key(30, 7);
  ASSERT_EQ(srtp_cipher_init(cipher.c, key.data()), srtp_err_status_ok);
  uint8_t iv[16] = {};
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv, srtp_direction_encrypt), srtp_err_status_ok);
  std::vector<uint8_t> buffer((1 << 16) * 16 + 1, 0);
  uint32_t len = buffer.size();
  EXPECT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_terminus);
  len = buffer.size() - 1;
  EXPECT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_ok);
  len = 1;
  EXPECT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_terminus);
  // A new IV starts a new segment.
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv, srtp_direction_encrypt), srtp_err_status_ok);
  EXPECT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_ok);
}

// RFC 3711 Appendix B.3: our AES-CM used as the key-derivation PRF
// (§4.3.3), the way libsrtp2 drives it: key = master key || master salt,
// IV = the label in octet 7 (x * 2^16 before the salt is XORed in).
TEST_F(OpenSslCryptoTest, Rfc3711B3KeyDerivationPrf) {
  Cipher prf(SRTP_AES_ICM_128, 30);
  const std::vector<uint8_t> master = FromHex(
      "E1F97A0D3E018BE0D64FA32C06DE4139"  // master key
      "0EC675AD498AFEEBB6960B3AABE6");    // master salt
  ASSERT_EQ(srtp_cipher_init(prf.c, master.data()), srtp_err_status_ok);
  auto derive = [&](uint8_t label, uint32_t n) {
    uint8_t iv[16] = {};
    iv[7] = label;
    std::vector<uint8_t> out(n, 0);
    EXPECT_EQ(srtp_cipher_set_iv(prf.c, iv, srtp_direction_encrypt), srtp_err_status_ok);
    EXPECT_EQ(srtp_cipher_encrypt(prf.c, out.data(), &n), srtp_err_status_ok);
    return ToHex(out);
  };
  EXPECT_EQ(derive(0x00, 16), "c61e7a93744f39ee10734afe3ff7a087");  // cipher key
  EXPECT_EQ(derive(0x02, 14), "30cbbc08863d8c85d49db34a9ae1");      // cipher salt
  EXPECT_EQ(derive(0x01, 94),                                       // auth key
            "cebe321f6ff7716b6fd4ab49af256a15"
            "6d38baa48f0a0acf3c34e2359e6cdbce"
            "e049646c43d9327ad175578ef7227098"
            "6371c10c9a369ac2f94a8c5fbcdddc25"
            "6d6e919a48b610ef17c2041e47403576"
            "6b68642c59bbfc2f34db60dbdfb2");
}

// RFC 3711 Appendix B.3 end to end: libsrtp2 derives the session keys from
// the B.3 master key with our PRF, then protects an RTP packet with our
// AES-CM and HMAC-SHA1. The expected packet is built here from the session
// keys printed in B.3, with plain EVP calls and OpenSSL's one-shot HMAC(),
// following RFC 3711 §3.1 / §4.1.1 / §4.2.1.
TEST_F(OpenSslCryptoTest, Rfc3711B3KeyDerivationThroughSrtpProtect) {
  const std::vector<uint8_t> master =
      FromHex("E1F97A0D3E018BE0D64FA32C06DE4139 0EC675AD498AFEEBB6960B3AABE6");
  const std::vector<uint8_t> cipher_key = FromHex("C61E7A93744F39EE10734AFE3FF7A087");
  const std::vector<uint8_t> cipher_salt = FromHex("30CBBC08863D8C85D49DB34A9AE1");
  // HMAC-SHA1 uses the first 160 bits of the auth key (RFC 3711 §8.2).
  const std::vector<uint8_t> auth_key = FromHex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4");

  srtp_t sender = nullptr;
  ASSERT_EQ(CreateSession(AllProfiles()[0], master.data(), ssrc_any_outbound, &sender),
            srtp_err_status_ok);
  constexpr uint32_t kSsrc = 0xdecafbad;
  std::vector<uint8_t> payload(77);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);

  for (uint16_t seq : {uint16_t{1}, uint16_t{2}, uint16_t{300}}) {
    std::vector<uint8_t> packet = MakeRtp(seq, kSsrc, payload);
    int len = 12 + payload.size();
    ASSERT_EQ(srtp_protect(sender, packet.data(), &len), srtp_err_status_ok);
    ASSERT_EQ(len, 12 + static_cast<int>(payload.size()) + 10);

    // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = SEQ (ROC 0).
    uint8_t iv[16] = {};
    std::memcpy(iv, cipher_salt.data(), 14);
    for (int i = 0; i < 4; ++i) iv[4 + i] ^= (kSsrc >> (24 - 8 * i)) & 0xff;
    iv[12] ^= seq >> 8;
    iv[13] ^= seq & 0xff;
    std::vector<uint8_t> expected = MakeRtp(seq, kSsrc, payload);
    expected.resize(12 + payload.size());
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int out_len = 0;
    ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nullptr, cipher_key.data(), iv), 1);
    ASSERT_EQ(EVP_EncryptUpdate(ctx, expected.data() + 12, &out_len, expected.data() + 12,
                                payload.size()),
              1);
    EVP_CIPHER_CTX_free(ctx);
    // M = authenticated portion || ROC (§4.2), the tag its leftmost 80 bits.
    std::vector<uint8_t> m = expected;
    m.insert(m.end(), {0, 0, 0, 0});
    uint8_t mac[20];
    unsigned int mac_len = 0;
    HMAC(EVP_sha1(), auth_key.data(), auth_key.size(), m.data(), m.size(), mac, &mac_len);
    expected.insert(expected.end(), mac, mac + 10);

    EXPECT_EQ(ToHex(packet.data(), len), ToHex(expected)) << "seq " << seq;
  }
  srtp_dealloc(sender);
}

// RFC 7714 §16.1.1 / §16.2.1 at the cipher level, driven the way srtp.c
// drives it, and §17.1 with the SRTCP AAD in srtp.c's two pieces.
TEST_F(OpenSslCryptoTest, Rfc7714GcmVectors) {
  const std::vector<uint8_t> salt = FromHex("517569642070726f2071756f");
  std::vector<uint8_t> rtp_iv = FromHex("51753c6580c2726f20718414");
  const std::vector<uint8_t> rtp_header = FromHex("8040f17b8041f8d35501a0b2");
  const std::vector<uint8_t> rtp_payload = FromHex(
      "47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573");
  struct Case {
    srtp_cipher_type_id_t id;
    const char* key;
    const char* expected;
  };
  const Case cases[] = {
      {SRTP_AES_GCM_128, "000102030405060708090a0b0c0d0e0f",
       "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b"
       "36de3adf8833899d7f27beb16a9152cf765ee4390cce"},
      {SRTP_AES_GCM_256, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
       "32b1de78a822fe12ef9f78fa332e33aab18012389a58e2f3b50b2a0276ffae0f"
       "1ba63799b87b7aa3db36dfffd6b0f9bb7878d7a76c13"},
  };
  for (const Case& tc : cases) {
    SCOPED_TRACE(tc.id);
    std::vector<uint8_t> key = FromHex(tc.key);
    key.insert(key.end(), salt.begin(), salt.end());
    Cipher cipher(tc.id, key.size(), 16);
    ASSERT_EQ(cipher.status, srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_init(cipher.c, key.data()), srtp_err_status_ok);

    std::vector<uint8_t> buffer = rtp_payload;
    buffer.resize(rtp_payload.size() + 16);
    ASSERT_EQ(srtp_cipher_set_iv(cipher.c, rtp_iv.data(), srtp_direction_encrypt),
              srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher.c, rtp_header.data(), rtp_header.size()),
              srtp_err_status_ok);
    uint32_t len = rtp_payload.size();
    ASSERT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_ok);
    uint32_t tag_len = 0;
    ASSERT_EQ(srtp_cipher_get_tag(cipher.c, buffer.data() + len, &tag_len), srtp_err_status_ok);
    ASSERT_EQ(tag_len, 16u);
    EXPECT_EQ(ToHex(buffer), tc.expected);

    // §16.x.2: decryption gives the plaintext back and drops the tag.
    ASSERT_EQ(srtp_cipher_set_iv(cipher.c, rtp_iv.data(), srtp_direction_decrypt),
              srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher.c, rtp_header.data(), rtp_header.size()),
              srtp_err_status_ok);
    len = buffer.size();
    ASSERT_EQ(srtp_cipher_decrypt(cipher.c, buffer.data(), &len), srtp_err_status_ok);
    EXPECT_EQ(len, rtp_payload.size());
    buffer.resize(len);
    EXPECT_EQ(buffer, rtp_payload);
  }

  // §17.1: AAD = first 8 octets of the RTCP packet, then the ESRTCP word.
  std::vector<uint8_t> key = FromHex("000102030405060708090a0b0c0d0e0f 517569642070726f2071756f");
  Cipher cipher(SRTP_AES_GCM_128, 28, 16);
  ASSERT_EQ(srtp_cipher_init(cipher.c, key.data()), srtp_err_status_ok);
  std::vector<uint8_t> rtcp_iv = FromHex("517524055203726f207170bb");
  const std::vector<uint8_t> header = FromHex("81c8000d4d617273");
  const std::vector<uint8_t> esrtcp = FromHex("800005d4");
  std::vector<uint8_t> buffer = FromHex(
      "4e545031 4e545032 52545020 0000042a 0000e930 4c756e61"
      "deadbeef deadbeef deadbeef deadbeef deadbeef");
  const size_t plain_len = buffer.size();
  buffer.resize(plain_len + 16);
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, rtcp_iv.data(), srtp_direction_encrypt),
            srtp_err_status_ok);
  ASSERT_EQ(srtp_cipher_set_aad(cipher.c, header.data(), header.size()), srtp_err_status_ok);
  ASSERT_EQ(srtp_cipher_set_aad(cipher.c, esrtcp.data(), esrtcp.size()), srtp_err_status_ok);
  uint32_t len = plain_len;
  ASSERT_EQ(srtp_cipher_encrypt(cipher.c, buffer.data(), &len), srtp_err_status_ok);
  uint32_t tag_len = 0;
  ASSERT_EQ(srtp_cipher_get_tag(cipher.c, buffer.data() + len, &tag_len), srtp_err_status_ok);
  EXPECT_EQ(ToHex(buffer),
            "63e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda"
            "4ce09b4686303ded0bb9275bc84aa45896cf4d2fc5abf87245d9eade");
}

// A wrong GCM tag fails, and the in-place decryption releases nothing
// (RFC 5116 §2.2).
TEST_F(OpenSslCryptoTest, GcmTagMismatchFailsAndWipesPlaintext) {
  std::vector<uint8_t> key = FromHex("000102030405060708090a0b0c0d0e0f 517569642070726f2071756f");
  Cipher cipher(SRTP_AES_GCM_128, 28, 16);
  ASSERT_EQ(srtp_cipher_init(cipher.c, key.data()), srtp_err_status_ok);
  std::vector<uint8_t> iv = FromHex("51753c6580c2726f20718414");
  const std::vector<uint8_t> aad = FromHex("8040f17b8041f8d35501a0b2");
  std::vector<uint8_t> buffer = FromHex(
      "f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b"
      "36de3adf8833899d7f27beb16a9152cf765ee4390cce");
  for (size_t flip : {size_t{0}, buffer.size() - 1}) {
    SCOPED_TRACE(flip);
    std::vector<uint8_t> forged = buffer;
    forged[flip] ^= 0x40;
    ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
    ASSERT_EQ(srtp_cipher_set_aad(cipher.c, aad.data(), aad.size()), srtp_err_status_ok);
    uint32_t len = forged.size();
    EXPECT_EQ(srtp_cipher_decrypt(cipher.c, forged.data(), &len), srtp_err_status_auth_fail);
    EXPECT_EQ(std::vector<uint8_t>(forged.begin(), forged.begin() + 38),
              std::vector<uint8_t>(38, 0));
  }
  // A different AAD (the RTP header) fails too.
  std::vector<uint8_t> wrong_aad = aad;
  wrong_aad[1] ^= 1;
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  ASSERT_EQ(srtp_cipher_set_aad(cipher.c, wrong_aad.data(), wrong_aad.size()), srtp_err_status_ok);
  uint32_t len = buffer.size();
  EXPECT_EQ(srtp_cipher_decrypt(cipher.c, buffer.data(), &len), srtp_err_status_auth_fail);
  // Shorter than a tag.
  ASSERT_EQ(srtp_cipher_set_iv(cipher.c, iv.data(), srtp_direction_decrypt), srtp_err_status_ok);
  len = 15;
  EXPECT_EQ(srtp_cipher_decrypt(cipher.c, buffer.data(), &len), srtp_err_status_bad_param);
}

// RFC 2202 §3: HMAC-SHA1 test cases 1-7, one-shot and fed in pieces.
TEST_F(OpenSslCryptoTest, Rfc2202HmacSha1) {
  struct Case {
    std::vector<uint8_t> key;
    std::vector<uint8_t> data;
    const char* digest;
  };
  auto ascii = [](const char* s) { return std::vector<uint8_t>(s, s + std::strlen(s)); };
  const std::vector<Case> cases = {
      {std::vector<uint8_t>(20, 0x0b), ascii("Hi There"),
       "b617318655057264e28bc0b6fb378c8ef146be00"},
      {ascii("Jefe"), ascii("what do ya want for nothing?"),
       "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
      {std::vector<uint8_t>(20, 0xaa), std::vector<uint8_t>(50, 0xdd),
       "125d7342b9ac11cd91a39af48aa17b4f63f175d3"},
      {FromHex("0102030405060708090a0b0c0d0e0f10111213141516171819"),
       std::vector<uint8_t>(50, 0xcd), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"},
      {std::vector<uint8_t>(20, 0x0c), ascii("Test With Truncation"),
       "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"},
      {std::vector<uint8_t>(80, 0xaa),
       ascii("Test Using Larger Than Block-Size Key - Hash Key First"),
       "aa4ae5e15272d00e95705637ce8a3b55ed402112"},
      {std::vector<uint8_t>(80, 0xaa),
       ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data"),
       "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"},
  };
  const srtp_auth_type_t& type = OpenSslHmacSha1();
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(i + 1);
    const Case& tc = cases[i];
    srtp_auth_t* auth = nullptr;
    ASSERT_EQ(srtp_auth_type_alloc(&type, &auth, tc.key.size(), 20), srtp_err_status_ok);
    ASSERT_EQ(srtp_auth_init(auth, tc.key.data()), srtp_err_status_ok);
    uint8_t tag[20];
    // Twice: a computed tag leaves the state ready for the next message.
    for (int round = 0; round < 2; ++round) {
      ASSERT_EQ(srtp_auth_start(auth), srtp_err_status_ok);
      ASSERT_EQ(srtp_auth_compute(auth, tc.data.data(), tc.data.size(), tag), srtp_err_status_ok);
      EXPECT_EQ(ToHex(tag, 20), tc.digest);
    }
    // Split like srtp.c splits a packet from its ROC.
    const size_t half = tc.data.size() / 2;
    ASSERT_EQ(srtp_auth_start(auth), srtp_err_status_ok);
    ASSERT_EQ(srtp_auth_update(auth, tc.data.data(), half), srtp_err_status_ok);
    ASSERT_EQ(srtp_auth_update(auth, tc.data.data() + half, 0), srtp_err_status_ok);
    ASSERT_EQ(srtp_auth_compute(auth, tc.data.data() + half, tc.data.size() - half, tag),
              srtp_err_status_ok);
    EXPECT_EQ(ToHex(tag, 20), tc.digest);
    ASSERT_EQ(srtp_auth_dealloc(auth), srtp_err_status_ok);
  }
  // Case 5's HMAC-SHA1-96: truncation keeps the leftmost octets.
  srtp_auth_t* auth = nullptr;
  ASSERT_EQ(srtp_auth_type_alloc(&type, &auth, 20, 12), srtp_err_status_ok);
  ASSERT_EQ(srtp_auth_init(auth, cases[4].key.data()), srtp_err_status_ok);
  uint8_t tag[20] = {};
  ASSERT_EQ(srtp_auth_start(auth), srtp_err_status_ok);
  ASSERT_EQ(srtp_auth_compute(auth, cases[4].data.data(), cases[4].data.size(), tag),
            srtp_err_status_ok);
  EXPECT_EQ(ToHex(tag, 20),
            "4c1a03424b55e07fe7f27be100000000"
            "00000000");
  EXPECT_EQ(srtp_auth_get_tag_length(auth), 12);
  EXPECT_EQ(srtp_auth_get_prefix_length(auth), 0);
  srtp_auth_dealloc(auth);
}

TEST_F(OpenSslCryptoTest, RejectsBadParameters) {
  srtp_cipher_t* c = nullptr;
  // Counter mode keys carry the 14-octet salt.
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_ICM_128), &c, 16, 0),
            srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_ICM_128), &c, 46, 0),
            srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_ICM_256), &c, 30, 0),
            srtp_err_status_bad_param);
  // GCM keys carry the 12-octet salt; tags are 8 or 16 octets.
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_GCM_128), &c, 30, 16),
            srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_GCM_128), &c, 28, 12),
            srtp_err_status_bad_param);
  EXPECT_EQ(srtp_cipher_type_alloc(OpenSslCipherType(SRTP_AES_GCM_256), &c, 28, 16),
            srtp_err_status_bad_param);
  srtp_auth_t* a = nullptr;
  EXPECT_EQ(srtp_auth_type_alloc(&OpenSslHmacSha1(), &a, 20, 21), srtp_err_status_bad_param);
  EXPECT_EQ(srtp_auth_type_alloc(&OpenSslHmacSha1(), &a, 20, 0), srtp_err_status_bad_param);

  // GCM needs a direction, and encrypt/decrypt must match it.
  Cipher gcm(SRTP_AES_GCM_128, 28, 16);
  std::vector<uint8_t> key(28, 1);
  ASSERT_EQ(srtp_cipher_init(gcm.c, key.data()), srtp_err_status_ok);
  uint8_t iv[12] = {};
  EXPECT_EQ(srtp_cipher_set_iv(gcm.c, iv, srtp_direction_any), srtp_err_status_bad_param);
  ASSERT_EQ(srtp_cipher_set_iv(gcm.c, iv, srtp_direction_decrypt), srtp_err_status_ok);
  uint8_t buffer[32] = {};
  uint32_t len = 16;
  EXPECT_EQ(srtp_cipher_encrypt(gcm.c, buffer, &len), srtp_err_status_bad_param);
  ASSERT_EQ(srtp_cipher_set_iv(gcm.c, iv, srtp_direction_encrypt), srtp_err_status_ok);
  len = 32;
  EXPECT_EQ(srtp_cipher_decrypt(gcm.c, buffer, &len), srtp_err_status_bad_param);
  // Counter mode has no AAD or tag.
  Cipher icm(SRTP_AES_ICM_128, 30);
  EXPECT_EQ(srtp_cipher_set_aad(icm.c, buffer, 4), srtp_err_status_no_such_op);
}

// --------------------------------------------------------------------------
// SRTP/SRTCP through libsrtp2 with the replacements, per profile.

class ProfileTest : public ::testing::TestWithParam<Profile> {
 protected:
  void SetUp() override {
    const absl::Status status = InstallOpenSslCrypto();
    ASSERT_TRUE(status.ok()) << status;
    ASSERT_EQ(CreateSession(GetParam(), TestMasterKey(), ssrc_any_outbound, &sender_),
              srtp_err_status_ok);
    ASSERT_EQ(CreateSession(GetParam(), TestMasterKey(), ssrc_any_inbound, &receiver_),
              srtp_err_status_ok);
  }
  void TearDown() override {
    if (sender_ != nullptr) srtp_dealloc(sender_);
    if (receiver_ != nullptr) srtp_dealloc(receiver_);
  }

  static std::vector<uint8_t> Payload(size_t n, uint8_t seed) {
    std::vector<uint8_t> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(seed + 31 * i);
    return p;
  }

  srtp_t sender_ = nullptr;
  srtp_t receiver_ = nullptr;
};

TEST_P(ProfileTest, RtpRoundTripTamperAndReplay) {
  constexpr uint32_t kSsrc = 0x0badcafe;
  for (size_t size : {size_t{0}, size_t{1}, size_t{15}, size_t{16}, size_t{160}, size_t{1200}}) {
    SCOPED_TRACE(size);
    const std::vector<uint8_t> payload = Payload(size, static_cast<uint8_t>(size));
    const uint16_t seq = static_cast<uint16_t>(1000 + size);
    std::vector<uint8_t> packet = MakeRtp(seq, kSsrc, payload);
    const int plain_len = 12 + size;
    int len = plain_len;
    ASSERT_EQ(srtp_protect(sender_, packet.data(), &len), srtp_err_status_ok);
    ASSERT_EQ(len, plain_len + GetParam().rtp_tag_len);
    if (size >= 16) {
      EXPECT_NE(std::memcmp(packet.data() + 12, payload.data(), size), 0);
    }
    const std::vector<uint8_t> srtp_bytes(packet.begin(), packet.begin() + len);

    // RFC 3711 §3.3 step 5 / RFC 7714 §7.2: a flipped bit in the header,
    // the payload or the tag fails authentication.
    for (int flip : {1, plain_len - 1, len - 1}) {
      if (flip < 12 && flip != 1) continue;
      std::vector<uint8_t> forged = packet;
      forged[flip] ^= 0x01;
      int forged_len = len;
      EXPECT_EQ(srtp_unprotect(receiver_, forged.data(), &forged_len), srtp_err_status_auth_fail)
          << "flipped octet " << flip;
    }
    // Forgeries do not move the replay window: the real packet still passes.
    ASSERT_EQ(srtp_unprotect(receiver_, packet.data(), &len), srtp_err_status_ok);
    ASSERT_EQ(len, plain_len);
    EXPECT_EQ(std::vector<uint8_t>(packet.begin() + 12, packet.begin() + len), payload);

    // RFC 3711 §3.3.2: the same index again is a replay.
    std::vector<uint8_t> replay = srtp_bytes;
    int replay_len = replay.size();
    EXPECT_EQ(srtp_unprotect(receiver_, replay.data(), &replay_len), srtp_err_status_replay_fail);
  }
}

TEST_P(ProfileTest, RtcpRoundTripTamperAndReplay) {
  constexpr uint32_t kSsrc = 0x5eed1e55;
  for (size_t size : {size_t{0}, size_t{4}, size_t{24}, size_t{160}, size_t{1200}}) {
    SCOPED_TRACE(size);
    const std::vector<uint8_t> extra = Payload(size, 3);
    std::vector<uint8_t> packet = MakeRtcp(kSsrc, extra);
    const int plain_len = RtcpLength(packet);
    const std::vector<uint8_t> plain(packet.begin(), packet.begin() + plain_len);
    int len = plain_len;
    ASSERT_EQ(srtp_protect_rtcp(sender_, packet.data(), &len), srtp_err_status_ok);
    // RFC 3711 §3.4: E flag + 31-bit SRTCP index, then the tag.
    ASSERT_EQ(len, plain_len + 4 + GetParam().rtcp_tag_len);
    const std::vector<uint8_t> srtcp_bytes(packet.begin(), packet.begin() + len);

    // RFC 3711 §3.4 puts the tag after the E||index word, RFC 7714 §17
    // before it (the tag ends the AEAD cipher). Flipping the index's third
    // octet moves it 256 ahead: a fresh index, so the replay check passes
    // and authentication has to catch it.
    const int tag_len = GetParam().rtcp_tag_len;
    const int index_at = GetParam().aead ? plain_len + tag_len : plain_len;
    const int tag_at = GetParam().aead ? plain_len : plain_len + 4;
    for (int flip : {5, plain_len - 1, index_at + 2, tag_at, tag_at + tag_len - 1}) {
      std::vector<uint8_t> forged = packet;
      forged[flip] ^= 0x01;
      int forged_len = len;
      EXPECT_EQ(srtp_unprotect_rtcp(receiver_, forged.data(), &forged_len),
                srtp_err_status_auth_fail)
          << "flipped octet " << flip;
    }
    ASSERT_EQ(srtp_unprotect_rtcp(receiver_, packet.data(), &len), srtp_err_status_ok);
    ASSERT_EQ(len, plain_len);
    EXPECT_EQ(std::vector<uint8_t>(packet.begin(), packet.begin() + len), plain);

    std::vector<uint8_t> replay = srtcp_bytes;
    int replay_len = replay.size();
    EXPECT_EQ(srtp_unprotect_rtcp(receiver_, replay.data(), &replay_len),
              srtp_err_status_replay_fail);
  }
}

// RFC 3711 §3.3.1: the rollover counter advances when SEQ wraps, and both
// ends must agree on it for the keystream and the tag (which covers ROC).
TEST_P(ProfileTest, RolloverCounterAcrossSequenceWrap) {
  constexpr uint32_t kSsrc = 0x00c0ffee;
  const std::vector<uint8_t> payload = Payload(100, 9);
  for (uint32_t i = 0; i < 8; ++i) {
    const uint16_t seq = static_cast<uint16_t>(65532 + i);
    SCOPED_TRACE(seq);
    std::vector<uint8_t> packet = MakeRtp(seq, kSsrc, payload);
    int len = 12 + payload.size();
    ASSERT_EQ(srtp_protect(sender_, packet.data(), &len), srtp_err_status_ok);
    ASSERT_EQ(srtp_unprotect(receiver_, packet.data(), &len), srtp_err_status_ok);
    EXPECT_EQ(std::vector<uint8_t>(packet.begin() + 12, packet.begin() + len), payload);
  }
  uint32_t roc = 0;
  ASSERT_EQ(srtp_get_stream_roc(sender_, kSsrc, &roc), srtp_err_status_ok);
  EXPECT_EQ(roc, 1u);
}

INSTANTIATE_TEST_SUITE_P(Profiles, ProfileTest, ::testing::ValuesIn(AllProfiles()),
                         [](const ::testing::TestParamInfo<Profile>& info) {
                           return std::string(info.param.name);
                         });

}  // namespace
}  // namespace rtcsim::srtp
