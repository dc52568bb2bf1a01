// OpenSSL-backed cipher and auth types for libsrtp2's crypto kernel.
//
// The contract (learned from libsrtp2's srtp.c and its self-test driver):
//
// - alloc(key_len, tag_len) creates an instance; key_len counts the salt
//   too (30 = AES-128 key + 112-bit salt for counter mode, 28 = AES-128 key
//   + 96-bit salt for GCM), and srtp.c derives the key/salt split from it.
// - init(key) is called once per session key (and again by the self-tests);
//   everything expensive (AES key schedule, GHASH key, HMAC pads) happens
//   here, so the per-packet calls below allocate nothing.
// - Counter mode, per packet: set_iv(16-octet IV before the salt is XORed
//   in), then encrypt/decrypt, possibly in several pieces that continue
//   the same keystream.
// - GCM, per packet: set_iv(12-octet IV, direction), set_aad (possibly
//   several calls that concatenate), then either encrypt + get_tag, or
//   decrypt over ciphertext||tag, which must verify the tag and shorten the
//   length by the tag.
// - HMAC, per packet: start, update*, compute(last piece) -> truncated tag.
#include "stack/srtp/openssl_crypto.h"

// The low-level SHA1_* functions are deprecated in OpenSSL 3.0 but still
// exported, and they are the only OpenSSL SHA-1 API whose state can be
// copied without a heap allocation: resetting an EVP_MAC or HMAC_CTX to its
// key re-duplicates the provider's digest context for every message. For a
// 172-octet message (160-byte payload + RTP header) the precomputed
// ipad/opad states below take 150 ns, HMAC_CTX 211 ns and EVP_MAC 257 ns on
// the development machine (benchmarks/openssl_primitives_benchmark.cc,
// RESULTS.md). The same assembly (SHA-NI where present) does the hashing in
// all three.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

// libsrtp2 exports these two lookups (crypto_kernel.h, not installed by the
// -dev package). They let InstallOpenSslCrypto() see whether the kernel is
// initialised and which type it currently holds for an id, which is the
// only way to notice an srtp_shutdown()/srtp_init() cycle that silently
// brought the NSS types back.
extern "C" {
const srtp_cipher_type_t* srtp_crypto_kernel_get_cipher_type(srtp_cipher_type_id_t id);
const srtp_auth_type_t* srtp_crypto_kernel_get_auth_type(srtp_auth_type_id_t id);
}

namespace rtcsim::srtp {
namespace {

// --------------------------------------------------------------------------
// Known-answer vectors (libsrtp2 runs them when a type is installed).

// Hex string -> bytes at compile time, so the vectors below read like the
// documents they are copied from.
consteval uint8_t HexNibble(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}
template <size_t N>
consteval std::array<uint8_t, (N - 1) / 2> Hex(const char (&hex)[N]) {
  static_assert(N % 2 == 1, "hex strings need an even number of digits");
  std::array<uint8_t, (N - 1) / 2> out{};
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = HexNibble(hex[2 * i]) << 4 | HexNibble(hex[2 * i + 1]);
  }
  return out;
}

// AES counter mode. The session salt of every case is the one of RFC 3711
// Appendix B.2 (F0F1...FD). libsrtp2's idx is the IV before the salt is
// XORed in (RFC 3711 §4.1.1), so idx = 0 starts the keystream at counter
// F0F1...FD0000, and idx = 0...FEFF starts it at F0F1...FDFEFF, the initial
// counter block of NIST SP 800-38A Appendix F.5 (which is why RFC 3711 chose
// that salt: "the latter part of the keystream segment coincides with the
// test case in Section F.5.1").
constexpr auto kB2KeyAndSalt =
    Hex("2B7E151628AED2A6ABF7158809CF4F3C"
        "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
uint8_t kIcmIvZero[16] = {};
uint8_t kIcmIvFeff[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFE, 0xFF};
constexpr std::array<uint8_t, 48> kZeros48{};
// RFC 3711 Appendix B.2: the first three keystream blocks.
constexpr auto kB2Keystream =
    Hex("E03EAD0935C95E80E166B16DD92B4EB4"
        "D23513162B02D0F72A43A2FE4A5F97AB"
        "41E95B3BB0A2E8DD477901E4FCA894C0");
// NIST SP 800-38A Appendix F.5 plaintext, common to F.5.1/F.5.3/F.5.5.
constexpr auto kSp80038aPlaintext =
    Hex("6bc1bee22e409f96e93d7e117393172a"
        "ae2d8a571e03ac9c9eb76fac45af8e51"
        "30c81c46a35ce411e5fbc1191a0a52ef"
        "f69f2445df4f9b17ad2b417be66c3710");
// F.5.1 CTR-AES128.Encrypt (the tail of RFC 3711 B.2's keystream segment).
constexpr auto kF51Ciphertext =
    Hex("874d6191b620e3261bef6864990db6ce"
        "9806f66b7970fdff8617187bb9fffdff"
        "5ae4df3edbd5d35e5b4f09020db03eab"
        "1e031dda2fbe03d1792170a0f3009cee");
// F.5.3 CTR-AES192.Encrypt.
constexpr auto kF53KeyAndSalt =
    Hex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"
        "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
constexpr auto kF53Ciphertext =
    Hex("1abc932417521ca24f2b0459fe7e6e0b"
        "090339ec0aa6faefd5ccc2c6f4ce8e94"
        "1e36b26bd1ebc670d1bd1d665620abf7"
        "4f78a7f6d29809585a97daec58c6b050");
// F.5.5 CTR-AES256.Encrypt.
constexpr auto kF55KeyAndSalt =
    Hex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4"
        "F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
constexpr auto kF55Ciphertext =
    Hex("601ec313775789a5b7a7f504bbf3d228"
        "f443e3ca4d62b59aca84e990cacaf5c5"
        "2b0930daa23de94ce87017ba2d84988d"
        "dfc9c58db67aada613c2dd08457941a6");

// libsrtp2's test-case struct takes non-const pointers for the IV only.
template <typename Key, typename Pt, typename Ct>
constexpr srtp_cipher_test_case_t IcmCase(const Key& key, uint8_t* iv, const Pt& pt, const Ct& ct,
                                          const srtp_cipher_test_case_t* next) {
  return {static_cast<int>(key.size()),
          key.data(),
          iv,
          static_cast<unsigned>(pt.size()),
          pt.data(),
          static_cast<unsigned>(ct.size()),
          ct.data(),
          0,
          nullptr,
          0,
          next};
}

const srtp_cipher_test_case_t kIcm128F51 =
    IcmCase(kB2KeyAndSalt, kIcmIvFeff, kSp80038aPlaintext, kF51Ciphertext, nullptr);
const srtp_cipher_test_case_t kIcm128B2 =
    IcmCase(kB2KeyAndSalt, kIcmIvZero, kZeros48, kB2Keystream, &kIcm128F51);
const srtp_cipher_test_case_t kIcm192F53 =
    IcmCase(kF53KeyAndSalt, kIcmIvFeff, kSp80038aPlaintext, kF53Ciphertext, nullptr);
const srtp_cipher_test_case_t kIcm256F55 =
    IcmCase(kF55KeyAndSalt, kIcmIvFeff, kSp80038aPlaintext, kF55Ciphertext, nullptr);

// AES-GCM: RFC 7714 §16 (SRTP) and §17 (SRTCP). The cases are the cipher's
// view of those packets: key||salt, the IV of §8.1 / §9.1 (already salted),
// the AAD, and the payload; the expected ciphertext ends in the tag.
constexpr auto kGcm128KeyAndSalt =
    Hex("000102030405060708090a0b0c0d0e0f"
        "517569642070726f2071756f");
constexpr auto kGcm256KeyAndSalt =
    Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
        "517569642070726f2071756f");
uint8_t kGcmRtpIv[12] = {0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14};
uint8_t kGcmRtcpIv[12] = {0x51, 0x75, 0x24, 0x05, 0x52, 0x03, 0x72, 0x6f, 0x20, 0x71, 0x70, 0xbb};
constexpr auto kRtpHeader = Hex("8040f17b8041f8d35501a0b2");
constexpr auto kRtpPayload =
    Hex("47616c6c696120657374206f6d6e6973"
        "2064697669736120696e207061727465"
        "732074726573");
// RFC 7714 §16.1.1 "Cipher with tag".
constexpr auto kGcm128RtpCipher =
    Hex("f24de3a3fb34de6cacba861c9d7e4bca"
        "be633bd50d294e6f42a5f47a51c7d19b"
        "36de3adf8833899d7f27beb16a9152cf"
        "765ee4390cce");
// The same with the tag truncated to its leftmost 8 octets (NIST SP
// 800-38D §5.2.1.2), for libsrtp2's 8-octet-tag GCM policies.
constexpr auto kGcm128RtpCipherTag8 =
    Hex("f24de3a3fb34de6cacba861c9d7e4bca"
        "be633bd50d294e6f42a5f47a51c7d19b"
        "36de3adf8833899d7f27beb16a91");
// RFC 7714 §16.2.1 "Cipher with tag".
constexpr auto kGcm256RtpCipher =
    Hex("32b1de78a822fe12ef9f78fa332e33aa"
        "b18012389a58e2f3b50b2a0276ffae0f"
        "1ba63799b87b7aa3db36dfffd6b0f9bb"
        "7878d7a76c13");
// RFC 7714 §17: the AAD of an encrypted SRTCP packet is its first 8 octets
// and the ESRTCP word (E=1, index 0x5d4); the rest of the packet is
// encrypted.
constexpr auto kRtcpAad = Hex("81c8000d4d617273800005d4");
constexpr auto kRtcpPayload =
    Hex("4e5450314e54503252545020"
        "0000042a0000e9304c756e61"
        "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");
// RFC 7714 §17.1 "Cipher with tag".
constexpr auto kGcm128RtcpCipher =
    Hex("63e94885dcdab67ca727d7662f6b7e99"
        "7ff5c0f76c06f32dc676a5f1730d6fda"
        "4ce09b4686303ded0bb9275bc84aa458"
        "96cf4d2fc5abf87245d9eade");
// RFC 7714 §17.2: the cipher of the packet being decrypted.
constexpr auto kGcm256RtcpCipher =
    Hex("d50ae4d1f5ce5d304ba297e47d470c28"
        "2c3ece5dbffe0a50a2eaa5c1110555be"
        "8415f658c61de0476f1b6fad1d1eb30c"
        "4446839f57ff6f6cb26ac3be");
// RFC 7714 §17.3 / §17.4, tagging only (E=0): the whole RTCP packet and
// the ESRTCP word are AAD, nothing is encrypted, the cipher is the tag.
constexpr auto kRtcpAuthOnlyAad =
    Hex("81c8000d4d6172734e5450314e545032"
        "525450200000042a0000e9304c756e61"
        "deadbeefdeadbeefdeadbeefdeadbeef"
        "deadbeef000005d4");
constexpr std::array<uint8_t, 0> kEmpty{};
constexpr auto kGcm128RtcpAuthOnlyTag = Hex("841dd9683dd78ec92ae58790125f62b3");
constexpr auto kGcm256RtcpAuthOnlyTag = Hex("91db4afbfeee5a978fab4393ed2615fe");

template <typename Key, typename Aad, typename Pt, typename Ct>
constexpr srtp_cipher_test_case_t GcmCase(const Key& key, uint8_t* iv, const Aad& aad, const Pt& pt,
                                          const Ct& ct, const srtp_cipher_test_case_t* next) {
  return {static_cast<int>(key.size()),
          key.data(),
          iv,
          static_cast<unsigned>(pt.size()),
          pt.data(),
          static_cast<unsigned>(ct.size()),
          ct.data(),
          static_cast<int>(aad.size()),
          aad.data(),
          static_cast<int>(ct.size() - pt.size()),
          next};
}

// libsrtp2 uses the first case's key and tag length for its random
// round-trip tests, so the 16-octet-tag SRTP case comes first.
const srtp_cipher_test_case_t kGcm128RtpTag8 =
    GcmCase(kGcm128KeyAndSalt, kGcmRtpIv, kRtpHeader, kRtpPayload, kGcm128RtpCipherTag8, nullptr);
const srtp_cipher_test_case_t kGcm128RtcpAuthOnly =
    GcmCase(kGcm128KeyAndSalt, kGcmRtcpIv, kRtcpAuthOnlyAad, kEmpty, kGcm128RtcpAuthOnlyTag,
            &kGcm128RtpTag8);
const srtp_cipher_test_case_t kGcm128Rtcp = GcmCase(
    kGcm128KeyAndSalt, kGcmRtcpIv, kRtcpAad, kRtcpPayload, kGcm128RtcpCipher, &kGcm128RtcpAuthOnly);
const srtp_cipher_test_case_t kGcm128Rtp =
    GcmCase(kGcm128KeyAndSalt, kGcmRtpIv, kRtpHeader, kRtpPayload, kGcm128RtpCipher, &kGcm128Rtcp);

const srtp_cipher_test_case_t kGcm256RtcpAuthOnly = GcmCase(
    kGcm256KeyAndSalt, kGcmRtcpIv, kRtcpAuthOnlyAad, kEmpty, kGcm256RtcpAuthOnlyTag, nullptr);
const srtp_cipher_test_case_t kGcm256Rtcp = GcmCase(
    kGcm256KeyAndSalt, kGcmRtcpIv, kRtcpAad, kRtcpPayload, kGcm256RtcpCipher, &kGcm256RtcpAuthOnly);
const srtp_cipher_test_case_t kGcm256Rtp =
    GcmCase(kGcm256KeyAndSalt, kGcmRtpIv, kRtpHeader, kRtpPayload, kGcm256RtpCipher, &kGcm256Rtcp);

// HMAC-SHA1: RFC 2202 §3, all seven cases (the key of 6 and 7 is longer
// than SHA-1's block, the tag of 5 is truncated to 96 bits).
template <size_t N>
constexpr std::array<uint8_t, N - 1> Ascii(const char (&s)[N]) {
  std::array<uint8_t, N - 1> out{};
  for (size_t i = 0; i + 1 < N; ++i) out[i] = static_cast<uint8_t>(s[i]);
  return out;
}
template <size_t N>
constexpr std::array<uint8_t, N> Repeat(uint8_t byte) {
  std::array<uint8_t, N> out{};
  for (auto& b : out) b = byte;
  return out;
}
constexpr auto kHmacKey1 = Repeat<20>(0x0b);
constexpr auto kHmacData1 = Ascii("Hi There");
constexpr auto kHmacTag1 = Hex("b617318655057264e28bc0b6fb378c8ef146be00");
constexpr auto kHmacKey2 = Ascii("Jefe");
constexpr auto kHmacData2 = Ascii("what do ya want for nothing?");
constexpr auto kHmacTag2 = Hex("effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
constexpr auto kHmacKey3 = Repeat<20>(0xaa);
constexpr auto kHmacData3 = Repeat<50>(0xdd);
constexpr auto kHmacTag3 = Hex("125d7342b9ac11cd91a39af48aa17b4f63f175d3");
constexpr auto kHmacKey4 = Hex("0102030405060708090a0b0c0d0e0f10111213141516171819");
constexpr auto kHmacData4 = Repeat<50>(0xcd);
constexpr auto kHmacTag4 = Hex("4c9007f4026250c6bc8414f9bf50c86c2d7235da");
constexpr auto kHmacKey5 = Repeat<20>(0x0c);
constexpr auto kHmacData5 = Ascii("Test With Truncation");
constexpr auto kHmacTag5 = Hex("4c1a03424b55e07fe7f27be1");  // HMAC-SHA-1-96
constexpr auto kHmacKey67 = Repeat<80>(0xaa);
constexpr auto kHmacData6 = Ascii("Test Using Larger Than Block-Size Key - Hash Key First");
constexpr auto kHmacTag6 = Hex("aa4ae5e15272d00e95705637ce8a3b55ed402112");
constexpr auto kHmacData7 =
    Ascii("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data");
constexpr auto kHmacTag7 = Hex("e8e99d0f45237d786d6bbaa7965c7808bbff1a91");

template <typename Key, typename Data, typename Tag>
constexpr srtp_auth_test_case_t HmacCase(const Key& key, const Data& data, const Tag& tag,
                                         const srtp_auth_test_case_t* next) {
  return {static_cast<int>(key.size()),
          key.data(),
          static_cast<int>(data.size()),
          data.data(),
          static_cast<int>(tag.size()),
          tag.data(),
          next};
}
const srtp_auth_test_case_t kHmac7 = HmacCase(kHmacKey67, kHmacData7, kHmacTag7, nullptr);
const srtp_auth_test_case_t kHmac6 = HmacCase(kHmacKey67, kHmacData6, kHmacTag6, &kHmac7);
const srtp_auth_test_case_t kHmac5 = HmacCase(kHmacKey5, kHmacData5, kHmacTag5, &kHmac6);
const srtp_auth_test_case_t kHmac4 = HmacCase(kHmacKey4, kHmacData4, kHmacTag4, &kHmac5);
const srtp_auth_test_case_t kHmac3 = HmacCase(kHmacKey3, kHmacData3, kHmacTag3, &kHmac4);
const srtp_auth_test_case_t kHmac2 = HmacCase(kHmacKey2, kHmacData2, kHmacTag2, &kHmac3);
const srtp_auth_test_case_t kHmac1 = HmacCase(kHmacKey1, kHmacData1, kHmacTag1, &kHmac2);

// --------------------------------------------------------------------------
// AES in counter mode (RFC 3711 §4.1.1; AES-192/256 per RFC 6188).

// RFC 3711 §4.1.1 and RFC 6188 §3: the session salt is 112 bits for every
// AES key size.
constexpr int kIcmSaltLen = 14;
// RFC 3711 §4.1.1: "The number of blocks of keystream generated for any
// fixed value of IV MUST NOT exceed 2^16".
constexpr uint32_t kIcmMaxKeystreamBytes = (1u << 16) * 16;

// Fetched once: an explicit fetch keeps EVP from looking the algorithm up
// again at every key change. Never freed (process lifetime).
const EVP_CIPHER* FetchEcb(int aes_key_len) {
  static const EVP_CIPHER* const k128 = EVP_CIPHER_fetch(nullptr, "AES-128-ECB", nullptr);
  static const EVP_CIPHER* const k192 = EVP_CIPHER_fetch(nullptr, "AES-192-ECB", nullptr);
  static const EVP_CIPHER* const k256 = EVP_CIPHER_fetch(nullptr, "AES-256-ECB", nullptr);
  return aes_key_len == 16 ? k128 : aes_key_len == 24 ? k192 : k256;
}
const EVP_CIPHER* FetchGcm(int aes_key_len) {
  static const EVP_CIPHER* const k128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static const EVP_CIPHER* const k256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  return aes_key_len == 16 ? k128 : k256;
}

// Counter mode is computed here from an AES-ECB context that is keyed once
// per session key: each call encrypts a run of counter blocks in one EVP
// call and XORs the result in. The obvious EVP AES-CTR context would need
// re-initialising with the IV for every packet, and in OpenSSL 3.0 that
// re-initialisation alone costs about 45 ns (the provider answers the IV
// length through OSSL_PARAM string lookups): 80 ns against 35 ns for a
// 160-octet payload on the development machine, with the same AES-NI code
// doing the blocks.
constexpr int kIcmChunkBlocks = 128;  // Keystream per EVP call: 2 KiB.

// One allocation per cipher instance: libsrtp2's srtp_cipher_t followed by
// our state, which its `state` pointer points back to.
struct IcmCipher {
  srtp_cipher_t base;
  EVP_CIPHER_CTX* ecb;
  int aes_key_len;
  // The session salt as a 128-bit value, k_s * 2^16: the salt in the top
  // 112 bits and zeros where the block counter goes.
  uint8_t salt[16];
  // The next counter block, as a big-endian 128-bit integer.
  uint64_t counter_hi;
  uint64_t counter_lo;
  // The last keystream block and how much of it is used, so that calls
  // continue the keystream mid-block.
  uint8_t tail[16];
  int tail_used;
  // Keystream blocks left for the current IV (the 2^16-block limit above).
  uint32_t blocks_left;
};

template <int kAesKeyLen, srtp_cipher_type_id_t kId>
srtp_err_status_t IcmAlloc(srtp_cipher_t** out, int key_len, int /*tag_len*/);
srtp_err_status_t IcmDealloc(srtp_cipher_t* c);
srtp_err_status_t IcmInit(void* state, const uint8_t* key);
srtp_err_status_t IcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction);
srtp_err_status_t IcmCrypt(void* state, uint8_t* buffer, unsigned int* octets);

// set_aad/get_tag stay null: libsrtp2 calls them only for AEAD types and
// answers srtp_err_status_no_such_op for the others.
const srtp_cipher_type_t kAesIcm128 = {
    &IcmAlloc<16, SRTP_AES_ICM_128>,
    &IcmDealloc,
    &IcmInit,
    nullptr,
    &IcmCrypt,
    &IcmCrypt,
    &IcmSetIv,
    nullptr,
    "AES-128 counter mode using OpenSSL (rtcsim)",
    &kIcm128B2,
    SRTP_AES_ICM_128,
};
const srtp_cipher_type_t kAesIcm192 = {
    &IcmAlloc<24, SRTP_AES_ICM_192>,
    &IcmDealloc,
    &IcmInit,
    nullptr,
    &IcmCrypt,
    &IcmCrypt,
    &IcmSetIv,
    nullptr,
    "AES-192 counter mode using OpenSSL (rtcsim)",
    &kIcm192F53,
    SRTP_AES_ICM_192,
};
const srtp_cipher_type_t kAesIcm256 = {
    &IcmAlloc<32, SRTP_AES_ICM_256>,
    &IcmDealloc,
    &IcmInit,
    nullptr,
    &IcmCrypt,
    &IcmCrypt,
    &IcmSetIv,
    nullptr,
    "AES-256 counter mode using OpenSSL (rtcsim)",
    &kIcm256F55,
    SRTP_AES_ICM_256,
};

template <int kAesKeyLen, srtp_cipher_type_id_t kId>
srtp_err_status_t IcmAlloc(srtp_cipher_t** out, int key_len, int /*tag_len*/) {
  // The key always carries the salt: srtp.c splits it with the type's id
  // (base key = key_len - 14), and the key derivation picks the AES key
  // size from the master key||salt length (RFC 3711 §4.3.3, RFC 6188 §3).
  if (key_len != kAesKeyLen + kIcmSaltLen) return srtp_err_status_bad_param;
  const EVP_CIPHER* evp = FetchEcb(kAesKeyLen);
  if (evp == nullptr) return srtp_err_status_cipher_fail;
  auto* c = new (std::nothrow) IcmCipher{};
  if (c == nullptr) return srtp_err_status_alloc_fail;
  c->ecb = EVP_CIPHER_CTX_new();
  // Binding the algorithm now (no key yet) makes init() only a key change.
  // ECB sees whole blocks only, so padding stays off.
  if (c->ecb == nullptr || EVP_EncryptInit_ex2(c->ecb, evp, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(c->ecb, 0) != 1) {
    EVP_CIPHER_CTX_free(c->ecb);
    delete c;
    return srtp_err_status_alloc_fail;
  }
  c->aes_key_len = kAesKeyLen;
  c->tail_used = 16;
  c->base.type = kId == SRTP_AES_ICM_128   ? &kAesIcm128
                 : kId == SRTP_AES_ICM_192 ? &kAesIcm192
                                           : &kAesIcm256;
  c->base.state = c;
  c->base.key_len = key_len;
  c->base.algorithm = kId;
  *out = &c->base;
  return srtp_err_status_ok;
}

srtp_err_status_t IcmDealloc(srtp_cipher_t* base) {
  auto* c = static_cast<IcmCipher*>(base->state);
  EVP_CIPHER_CTX_free(c->ecb);  // Cleanses the key schedule.
  OPENSSL_cleanse(c, sizeof(*c));
  delete c;
  return srtp_err_status_ok;
}

srtp_err_status_t IcmInit(void* state, const uint8_t* key) {
  auto* c = static_cast<IcmCipher*>(state);
  // key = AES key || 112-bit salt.
  if (EVP_EncryptInit_ex2(c->ecb, nullptr, key, nullptr, nullptr) != 1) {
    return srtp_err_status_init_fail;
  }
  std::memcpy(c->salt, key + c->aes_key_len, kIcmSaltLen);
  c->salt[14] = c->salt[15] = 0;
  c->tail_used = 16;
  c->blocks_left = 0;  // No IV yet.
  return srtp_err_status_ok;
}

uint64_t LoadBigEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  return v;
}

// One 8-octet store: a byte-at-a-time loop here cost about 4 ns per
// keystream block (measured), as much as the AES itself.
void StoreBigEndian64(uint64_t v, uint8_t* p) {
  if constexpr (std::endian::native == std::endian::little) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

srtp_err_status_t IcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t /*direction*/) {
  auto* c = static_cast<IcmCipher*>(state);
  // RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16);
  // libsrtp2 passes the last two terms (or, for key derivation, x * 2^16 of
  // §4.3.3 with the salt term left to the cipher). Counter mode runs the
  // same way in both directions.
  uint8_t counter[16];
  for (int i = 0; i < 16; ++i) counter[i] = c->salt[i] ^ iv[i];
  c->counter_hi = LoadBigEndian64(counter);
  c->counter_lo = LoadBigEndian64(counter + 8);
  c->tail_used = 16;
  c->blocks_left = kIcmMaxKeystreamBytes / 16;
  return srtp_err_status_ok;
}

void XorInto(uint8_t* data, const uint8_t* keystream, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t d, k;
    std::memcpy(&d, data + i, 8);
    std::memcpy(&k, keystream + i, 8);
    d ^= k;
    std::memcpy(data + i, &d, 8);
  }
  for (; i < n; ++i) data[i] ^= keystream[i];
}

srtp_err_status_t IcmCrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* c = static_cast<IcmCipher*>(state);
  size_t n = *octets;
  // Whatever is left of the last block first, so that successive calls
  // continue one keystream.
  while (n > 0 && c->tail_used < 16) {
    *buffer++ ^= c->tail[c->tail_used++];
    --n;
  }
  if (n == 0) return srtp_err_status_ok;
  const size_t blocks_needed = (n + 15) / 16;
  if (blocks_needed > c->blocks_left) return srtp_err_status_terminus;
  c->blocks_left -= blocks_needed;

  alignas(16) uint8_t keystream[kIcmChunkBlocks * 16];
  while (n > 0) {
    const size_t blocks = std::min<size_t>((n + 15) / 16, kIcmChunkBlocks);
    // E(k, IV) || E(k, IV + 1 mod 2^128) || ... (RFC 3711 §4.1.1).
    for (size_t b = 0; b < blocks; ++b) {
      StoreBigEndian64(c->counter_hi, keystream + 16 * b);
      StoreBigEndian64(c->counter_lo, keystream + 16 * b + 8);
      if (++c->counter_lo == 0) ++c->counter_hi;
    }
    if (EVP_Cipher(c->ecb, keystream, keystream, static_cast<unsigned int>(blocks * 16)) <= 0) {
      return srtp_err_status_cipher_fail;
    }
    const size_t take = std::min(n, blocks * 16);
    XorInto(buffer, keystream, take);
    buffer += take;
    n -= take;
    if (take % 16 != 0) {
      // Keep the rest of the last block for the next call.
      std::memcpy(c->tail, keystream + (blocks - 1) * 16, 16);
      c->tail_used = static_cast<int>(take % 16);
    }
  }
  // The keystream left on the stack is not wiped: with the ciphertext it
  // gives the plaintext, which sits in the caller's buffer anyway.
  return srtp_err_status_ok;
}

// --------------------------------------------------------------------------
// AES-GCM (RFC 7714).

// RFC 7714 §8.1, §9.1: 12-octet IVs built from a 96-bit salt.
constexpr int kGcmSaltLen = 12;
constexpr int kGcmIvLen = 12;

struct GcmCipher {
  srtp_cipher_t base;
  EVP_CIPHER_CTX* ctx;
  int aes_key_len;
  // RFC 7714 §7.2 / §14 use 16-octet tags; libsrtp2 also offers 8-octet
  // ones (its *_8_auth policies).
  int tag_len;
  bool encrypting;
};

template <int kAesKeyLen, srtp_cipher_type_id_t kId>
srtp_err_status_t GcmAlloc(srtp_cipher_t** out, int key_len, int tag_len);
srtp_err_status_t GcmDealloc(srtp_cipher_t* c);
srtp_err_status_t GcmInit(void* state, const uint8_t* key);
srtp_err_status_t GcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction);
srtp_err_status_t GcmSetAad(void* state, const uint8_t* aad, uint32_t aad_len);
srtp_err_status_t GcmEncrypt(void* state, uint8_t* buffer, unsigned int* octets);
srtp_err_status_t GcmDecrypt(void* state, uint8_t* buffer, unsigned int* octets);
srtp_err_status_t GcmGetTag(void* state, uint8_t* tag, uint32_t* len);

const srtp_cipher_type_t kAesGcm128 = {
    &GcmAlloc<16, SRTP_AES_GCM_128>,
    &GcmDealloc,
    &GcmInit,
    &GcmSetAad,
    &GcmEncrypt,
    &GcmDecrypt,
    &GcmSetIv,
    &GcmGetTag,
    "AES-128 GCM using OpenSSL (rtcsim)",
    &kGcm128Rtp,
    SRTP_AES_GCM_128,
};
const srtp_cipher_type_t kAesGcm256 = {
    &GcmAlloc<32, SRTP_AES_GCM_256>,
    &GcmDealloc,
    &GcmInit,
    &GcmSetAad,
    &GcmEncrypt,
    &GcmDecrypt,
    &GcmSetIv,
    &GcmGetTag,
    "AES-256 GCM using OpenSSL (rtcsim)",
    &kGcm256Rtp,
    SRTP_AES_GCM_256,
};

template <int kAesKeyLen, srtp_cipher_type_id_t kId>
srtp_err_status_t GcmAlloc(srtp_cipher_t** out, int key_len, int tag_len) {
  // As for counter mode the key length includes the salt, although srtp.c
  // keeps the salt itself and forms the IV (RFC 7714 §8.1).
  if (key_len != kAesKeyLen + kGcmSaltLen) return srtp_err_status_bad_param;
  if (tag_len != 8 && tag_len != 16) return srtp_err_status_bad_param;
  const EVP_CIPHER* evp = FetchGcm(kAesKeyLen);
  if (evp == nullptr) return srtp_err_status_cipher_fail;
  auto* c = new (std::nothrow) GcmCipher{};
  if (c == nullptr) return srtp_err_status_alloc_fail;
  c->ctx = EVP_CIPHER_CTX_new();
  if (c->ctx == nullptr || EVP_EncryptInit_ex2(c->ctx, evp, nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(c->ctx, EVP_CTRL_AEAD_SET_IVLEN, kGcmIvLen, nullptr) != 1) {
    EVP_CIPHER_CTX_free(c->ctx);
    delete c;
    return srtp_err_status_alloc_fail;
  }
  c->aes_key_len = kAesKeyLen;
  c->tag_len = tag_len;
  c->encrypting = true;
  c->base.type = kId == SRTP_AES_GCM_128 ? &kAesGcm128 : &kAesGcm256;
  c->base.state = c;
  c->base.key_len = key_len;
  // libsrtp2's self-test only exercises AAD and tags when `algorithm` names
  // a GCM type.
  c->base.algorithm = kId;
  *out = &c->base;
  return srtp_err_status_ok;
}

srtp_err_status_t GcmDealloc(srtp_cipher_t* base) {
  auto* c = static_cast<GcmCipher*>(base->state);
  EVP_CIPHER_CTX_free(c->ctx);
  delete c;
  return srtp_err_status_ok;
}

srtp_err_status_t GcmInit(void* state, const uint8_t* key) {
  auto* c = static_cast<GcmCipher*>(state);
  // Only the AES key: the trailing salt is srtp.c's business. This also
  // derives the GHASH key H once per session key.
  if (EVP_CipherInit_ex2(c->ctx, nullptr, key, nullptr, c->encrypting ? 1 : 0, nullptr) != 1) {
    return srtp_err_status_init_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t GcmSetIv(void* state, uint8_t* iv, srtp_cipher_direction_t direction) {
  auto* c = static_cast<GcmCipher*>(state);
  // Unlike counter mode, GCM has to know the direction up front: decryption
  // checks the tag over the ciphertext it consumes.
  if (direction != srtp_direction_encrypt && direction != srtp_direction_decrypt) {
    return srtp_err_status_bad_param;
  }
  c->encrypting = direction == srtp_direction_encrypt;
  // Re-initialising with only an IV restarts GCM (counter, GHASH, AAD)
  // under the key schedule already in place.
  if (EVP_CipherInit_ex2(c->ctx, nullptr, nullptr, iv, c->encrypting ? 1 : 0, nullptr) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t GcmSetAad(void* state, const uint8_t* aad, uint32_t aad_len) {
  auto* c = static_cast<GcmCipher*>(state);
  // SRTCP supplies its AAD in two pieces, the header and then the ESRTCP
  // word (RFC 7714 §9.3), so calls must concatenate; GCM allows that as
  // long as all AAD precedes the payload.
  if (aad_len == 0) return srtp_err_status_ok;
  int unused = 0;
  if (EVP_CipherUpdate(c->ctx, nullptr, &unused, aad, static_cast<int>(aad_len)) != 1) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t GcmEncrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* c = static_cast<GcmCipher*>(state);
  if (!c->encrypting) return srtp_err_status_bad_param;
  // Zero octets happens for SRTCP without confidentiality: all of the
  // packet is AAD and only the tag is produced (RFC 7714 §9.3).
  if (*octets == 0) return srtp_err_status_ok;
  int written = 0;
  if (EVP_EncryptUpdate(c->ctx, buffer, &written, buffer, static_cast<int>(*octets)) != 1 ||
      written != static_cast<int>(*octets)) {
    return srtp_err_status_cipher_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t GcmGetTag(void* state, uint8_t* tag, uint32_t* len) {
  auto* c = static_cast<GcmCipher*>(state);
  if (!c->encrypting) return srtp_err_status_bad_param;
  // GCM in OpenSSL buffers nothing, so Final writes no output; it computes
  // the tag, of which SRTP keeps the leftmost tag_len octets.
  uint8_t unused[16];
  int written = 0;
  // The tag is read with get_params directly: EVP_CIPHER_CTX_ctrl would
  // build the same OSSL_PARAM itself, about 18 ns more per packet.
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, c->tag_len),
      OSSL_PARAM_construct_end()};
  if (EVP_EncryptFinal_ex(c->ctx, unused, &written) != 1 ||
      EVP_CIPHER_CTX_get_params(c->ctx, params) != 1) {
    return srtp_err_status_cipher_fail;
  }
  *len = static_cast<uint32_t>(c->tag_len);
  return srtp_err_status_ok;
}

srtp_err_status_t GcmDecrypt(void* state, uint8_t* buffer, unsigned int* octets) {
  auto* c = static_cast<GcmCipher*>(state);
  if (c->encrypting) return srtp_err_status_bad_param;
  // The input is ciphertext || tag (RFC 7714 §7.2 / §9.2 treat the tag as
  // the end of the cipher).
  if (*octets < static_cast<unsigned int>(c->tag_len)) return srtp_err_status_bad_param;
  const int payload_len = static_cast<int>(*octets) - c->tag_len;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG,
                                                           buffer + payload_len, c->tag_len),
                         OSSL_PARAM_construct_end()};
  if (EVP_CIPHER_CTX_set_params(c->ctx, params) != 1) return srtp_err_status_cipher_fail;
  int written = 0;
  if (payload_len > 0 && (EVP_DecryptUpdate(c->ctx, buffer, &written, buffer, payload_len) != 1 ||
                          written != payload_len)) {
    return srtp_err_status_cipher_fail;
  }
  uint8_t unused[16];
  if (EVP_DecryptFinal_ex(c->ctx, unused, &written) != 1) {
    // RFC 5116 §2.2: a failed check must release no plaintext. Decryption
    // ran in place, so wipe what it produced.
    OPENSSL_cleanse(buffer, payload_len);
    return srtp_err_status_auth_fail;
  }
  *octets = static_cast<unsigned int>(payload_len);
  return srtp_err_status_ok;
}

// --------------------------------------------------------------------------
// HMAC-SHA1 (RFC 2104; RFC 3711 §4.2.1).

constexpr int kSha1BlockLen = 64;
constexpr int kSha1DigestLen = 20;

struct HmacSha1 {
  srtp_auth_t base;
  // SHA-1 states after absorbing K0 XOR ipad and K0 XOR opad (RFC 2104 §2,
  // steps 2-3 and 5-6 up to the first block). Each packet starts from a
  // copy, so a tag costs the packet's blocks plus two final blocks.
  SHA_CTX inner_keyed;
  SHA_CTX outer_keyed;
  SHA_CTX running;
};

srtp_err_status_t HmacAlloc(srtp_auth_t** out, int key_len, int out_len);
srtp_err_status_t HmacDealloc(srtp_auth_t* a);
srtp_err_status_t HmacInit(void* state, const uint8_t* key, int key_len);
srtp_err_status_t HmacStart(void* state);
srtp_err_status_t HmacUpdate(void* state, const uint8_t* buffer, int octets);
srtp_err_status_t HmacCompute(void* state, const uint8_t* buffer, int octets, int tag_len,
                              uint8_t* tag);

const srtp_auth_type_t kHmacSha1 = {
    &HmacAlloc,
    &HmacDealloc,
    &HmacInit,
    &HmacCompute,
    &HmacUpdate,
    &HmacStart,
    "HMAC-SHA1 using OpenSSL (rtcsim)",
    &kHmac1,
    SRTP_HMAC_SHA1,
};

srtp_err_status_t HmacAlloc(srtp_auth_t** out, int key_len, int out_len) {
  // SRTP uses 20-octet keys (RFC 3711 §8.2), but HMAC accepts any length
  // (RFC 2104 §2 hashes keys longer than a block), so the RFC 2202 vectors
  // can all run. Tags are at most the digest.
  if (key_len < 0 || out_len < 1 || out_len > kSha1DigestLen) return srtp_err_status_bad_param;
  auto* a = new (std::nothrow) HmacSha1{};
  if (a == nullptr) return srtp_err_status_alloc_fail;
  a->base.type = &kHmacSha1;
  a->base.state = a;
  a->base.out_len = out_len;
  a->base.key_len = key_len;
  // RFC 3711 §4.2.1: SRTP_PREFIX_LENGTH is 0 for HMAC-SHA1.
  a->base.prefix_len = 0;
  *out = &a->base;
  return srtp_err_status_ok;
}

srtp_err_status_t HmacDealloc(srtp_auth_t* base) {
  auto* a = static_cast<HmacSha1*>(base->state);
  OPENSSL_cleanse(a, sizeof(*a));
  delete a;
  return srtp_err_status_ok;
}

srtp_err_status_t HmacInit(void* state, const uint8_t* key, int key_len) {
  auto* a = static_cast<HmacSha1*>(state);
  if (key_len < 0) return srtp_err_status_bad_param;
  // RFC 2104 §2: K0 is the key zero-padded to the block size, or its hash
  // first if it is longer than a block.
  uint8_t k0[kSha1BlockLen] = {};
  if (key_len > kSha1BlockLen) {
    SHA1(key, key_len, k0);
  } else if (key_len > 0) {
    std::memcpy(k0, key, key_len);
  }
  uint8_t pad[kSha1BlockLen];
  for (int i = 0; i < kSha1BlockLen; ++i) pad[i] = k0[i] ^ 0x36;
  bool ok = SHA1_Init(&a->inner_keyed) == 1 && SHA1_Update(&a->inner_keyed, pad, sizeof(pad)) == 1;
  for (int i = 0; i < kSha1BlockLen; ++i) pad[i] = k0[i] ^ 0x5c;
  ok = ok && SHA1_Init(&a->outer_keyed) == 1 && SHA1_Update(&a->outer_keyed, pad, sizeof(pad)) == 1;
  OPENSSL_cleanse(k0, sizeof(k0));
  OPENSSL_cleanse(pad, sizeof(pad));
  if (!ok) return srtp_err_status_init_fail;
  a->running = a->inner_keyed;
  return srtp_err_status_ok;
}

srtp_err_status_t HmacStart(void* state) {
  auto* a = static_cast<HmacSha1*>(state);
  a->running = a->inner_keyed;
  return srtp_err_status_ok;
}

srtp_err_status_t HmacUpdate(void* state, const uint8_t* buffer, int octets) {
  auto* a = static_cast<HmacSha1*>(state);
  if (octets < 0) return srtp_err_status_bad_param;
  if (octets > 0 && SHA1_Update(&a->running, buffer, octets) != 1) {
    return srtp_err_status_auth_fail;
  }
  return srtp_err_status_ok;
}

srtp_err_status_t HmacCompute(void* state, const uint8_t* buffer, int octets, int tag_len,
                              uint8_t* tag) {
  auto* a = static_cast<HmacSha1*>(state);
  if (octets < 0 || tag_len < 1 || tag_len > kSha1DigestLen) return srtp_err_status_bad_param;
  uint8_t inner[kSha1DigestLen];
  uint8_t full[kSha1DigestLen];
  SHA_CTX outer = a->outer_keyed;
  const bool ok = (octets == 0 || SHA1_Update(&a->running, buffer, octets) == 1) &&
                  SHA1_Final(inner, &a->running) == 1 &&
                  SHA1_Update(&outer, inner, sizeof(inner)) == 1 && SHA1_Final(full, &outer) == 1;
  // Ready for the next message even if the caller skips start().
  a->running = a->inner_keyed;
  if (!ok) return srtp_err_status_auth_fail;
  // RFC 3711 §4.2.1: the tag is the n_tag leftmost bits.
  std::memcpy(tag, full, tag_len);
  return srtp_err_status_ok;
}

// --------------------------------------------------------------------------
// Installation.

struct CipherSlot {
  const srtp_cipher_type_t* type;
  srtp_cipher_type_id_t id;
};
constexpr CipherSlot kCipherSlots[] = {
    {&kAesIcm128, SRTP_AES_ICM_128}, {&kAesIcm192, SRTP_AES_ICM_192},
    {&kAesIcm256, SRTP_AES_ICM_256}, {&kAesGcm128, SRTP_AES_GCM_128},
    {&kAesGcm256, SRTP_AES_GCM_256},
};

ABSL_CONST_INIT absl::Mutex install_mu(absl::kConstInit);

bool InstalledLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(install_mu) {
  for (const CipherSlot& slot : kCipherSlots) {
    if (srtp_crypto_kernel_get_cipher_type(slot.id) != slot.type) return false;
  }
  return srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1) == &kHmacSha1;
}

}  // namespace

const srtp_cipher_type_t* OpenSslCipherType(srtp_cipher_type_id_t id) {
  for (const CipherSlot& slot : kCipherSlots) {
    if (slot.id == id) return slot.type;
  }
  return nullptr;
}

const srtp_auth_type_t& OpenSslHmacSha1() { return kHmacSha1; }

bool OpenSslCryptoInstalled() {
  absl::MutexLock lock(&install_mu);
  return InstalledLocked();
}

absl::Status InstallOpenSslCrypto() {
  absl::MutexLock lock(&install_mu);
  if (InstalledLocked()) return absl::OkStatus();
  // The null cipher is always present once the kernel is initialised.
  // srtp_init() on an initialised kernel would instead re-run every
  // self-test, so only call it when needed.
  if (srtp_crypto_kernel_get_cipher_type(SRTP_NULL_CIPHER) == nullptr) {
    if (const srtp_err_status_t err = srtp_init(); err != srtp_err_status_ok) {
      return absl::InternalError(absl::StrCat("srtp_init failed: srtp_err_status_t ", err));
    }
  }
  // srtp_replace_* runs the new type's own vectors and those of the type
  // it replaces before switching; a failure leaves the old type in place.
  for (const CipherSlot& slot : kCipherSlots) {
    if (srtp_crypto_kernel_get_cipher_type(slot.id) == slot.type) continue;
    if (const srtp_err_status_t err = srtp_replace_cipher_type(slot.type, slot.id);
        err != srtp_err_status_ok) {
      return absl::InternalError(absl::StrCat("libsrtp2 rejected \"", slot.type->description,
                                              "\" (cipher id ", slot.id, "): srtp_err_status_t ",
                                              err));
    }
  }
  if (srtp_crypto_kernel_get_auth_type(SRTP_HMAC_SHA1) != &kHmacSha1) {
    if (const srtp_err_status_t err = srtp_replace_auth_type(&kHmacSha1, SRTP_HMAC_SHA1);
        err != srtp_err_status_ok) {
      return absl::InternalError(absl::StrCat("libsrtp2 rejected \"", kHmacSha1.description,
                                              "\": srtp_err_status_t ", err));
    }
  }
  return absl::OkStatus();
}

}  // namespace rtcsim::srtp
