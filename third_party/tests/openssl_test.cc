// Proves Debian's OpenSSL 3.0 computes real MACs and digests, through the
// provider-based EVP API that DTLS-SRTP key export and STUN
// MESSAGE-INTEGRITY will use.

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

std::string Hex(const uint8_t* data, size_t size) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (size_t i = 0; i < size; ++i) {
    hex.push_back(kDigits[data[i] >> 4]);
    hex.push_back(kDigits[data[i] & 0xf]);
  }
  return hex;
}

// HMAC through EVP_MAC, the OpenSSL 3 interface.
std::string EvpHmacSha1(const std::string& key, const std::string& data) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return "fetch failed";
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest_name[] = "SHA1";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  uint8_t out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  std::string result = "mac failed";
  if (EVP_MAC_init(ctx, reinterpret_cast<const uint8_t*>(key.data()), key.size(), params) == 1 &&
      EVP_MAC_update(ctx, reinterpret_cast<const uint8_t*>(data.data()), data.size()) == 1 &&
      EVP_MAC_final(ctx, out, &out_len, sizeof(out)) == 1) {
    result = Hex(out, out_len);
  }
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
  return result;
}

// RFC 2202 §3, test case 1.
TEST(OpenSsl, HmacSha1Rfc2202Case1ViaEvpMac) {
  EXPECT_EQ(EvpHmacSha1(std::string(20, '\x0b'), "Hi There"),
            "b617318655057264e28bc0b6fb378c8ef146be00");
}

// RFC 2202 §3, test case 2, through the one-shot HMAC() (not deprecated in
// 3.0, unlike HMAC_CTX).
TEST(OpenSsl, HmacSha1Rfc2202Case2ViaOneShot) {
  const std::string key = "Jefe";
  const std::string data = "what do ya want for nothing?";
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  ASSERT_NE(HMAC(EVP_sha1(), key.data(), key.size(), reinterpret_cast<const uint8_t*>(data.data()),
                 data.size(), out, &out_len),
            nullptr);
  EXPECT_EQ(Hex(out, out_len), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

// FIPS 180-2 Appendix B.1.
TEST(OpenSsl, Sha256OfAbc) {
  const std::string data = "abc";
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int out_len = 0;
  ASSERT_EQ(EVP_Digest(data.data(), data.size(), out, &out_len, EVP_sha256(), nullptr), 1);
  EXPECT_EQ(Hex(out, out_len), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace rtcsim
