// The OpenSSL 3.0 API choices behind stack/srtp/openssl_crypto.cc, measured
// (see RESULTS.md, "SRTP hot path"):
//
// - HMAC-SHA1 per packet: EVP_MAC re-initialised with its key, HMAC_CTX
//   likewise, EVP_MD_CTX copies of keyed inner/outer digests, and plain
//   SHA_CTX copies of precomputed ipad/opad states (what stack/srtp uses).
// - AES-128 counter mode per packet: an EVP AES-CTR context re-initialised
//   with each packet's IV, against an ECB context keyed once and fed counter
//   blocks (what stack/srtp uses).
// - AES-128-GCM per packet, reading the tag through EVP_CIPHER_CTX_ctrl or
//   EVP_CIPHER_CTX_get_params (what stack/srtp uses).
//
//   ./rtcsim bench openssl_primitives
//
// Message sizes: HMAC over 172 and 1,212 octets (an RTP packet with a 160-
// or 1,200-octet payload, plus the ROC); ciphers over 160 and 1,200 octets.
#define OPENSSL_SUPPRESS_DEPRECATED 1  // HMAC_CTX and SHA1_*, measured here.

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <cstdint>
#include <cstring>
#include <vector>

namespace rtcsim {
namespace {

constexpr uint8_t kHmacKey[20] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                  11, 12, 13, 14, 15, 16, 17, 18, 19, 20};
constexpr uint8_t kAesKey[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
                                 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};

void BM_HmacEvpMac(benchmark::State& state) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  EVP_MAC_init(ctx, kHmacKey, sizeof(kHmacKey), params);
  std::vector<uint8_t> message(state.range(0), 0x5a);
  uint8_t tag[20];
  size_t tag_len = 0;
  for (auto _ : state) {
    EVP_MAC_init(ctx, nullptr, 0, nullptr);  // Same key again.
    EVP_MAC_update(ctx, message.data(), message.size());
    EVP_MAC_final(ctx, tag, &tag_len, sizeof(tag));
    benchmark::DoNotOptimize(tag);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(mac);
}

void BM_HmacHmacCtx(benchmark::State& state) {
  HMAC_CTX* ctx = HMAC_CTX_new();
  HMAC_Init_ex(ctx, kHmacKey, sizeof(kHmacKey), EVP_sha1(), nullptr);
  std::vector<uint8_t> message(state.range(0), 0x5a);
  uint8_t tag[20];
  unsigned int tag_len = 0;
  for (auto _ : state) {
    HMAC_Init_ex(ctx, nullptr, 0, nullptr, nullptr);  // Same key again.
    HMAC_Update(ctx, message.data(), message.size());
    HMAC_Final(ctx, tag, &tag_len);
    benchmark::DoNotOptimize(tag);
  }
  state.SetItemsProcessed(state.iterations());
  HMAC_CTX_free(ctx);
}

// RFC 2104 §2: the first block of each hash is K0 XOR ipad / opad.
void Pads(uint8_t ipad[64], uint8_t opad[64]) {
  uint8_t k0[64] = {};
  std::memcpy(k0, kHmacKey, sizeof(kHmacKey));
  for (int i = 0; i < 64; ++i) {
    ipad[i] = k0[i] ^ 0x36;
    opad[i] = k0[i] ^ 0x5c;
  }
}

void BM_HmacEvpMdCopy(benchmark::State& state) {
  EVP_MD* md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
  EVP_MD_CTX* inner_keyed = EVP_MD_CTX_new();
  EVP_MD_CTX* outer_keyed = EVP_MD_CTX_new();
  EVP_MD_CTX* work = EVP_MD_CTX_new();
  uint8_t ipad[64], opad[64];
  Pads(ipad, opad);
  EVP_DigestInit_ex(inner_keyed, md, nullptr);
  EVP_DigestUpdate(inner_keyed, ipad, 64);
  EVP_DigestInit_ex(outer_keyed, md, nullptr);
  EVP_DigestUpdate(outer_keyed, opad, 64);
  std::vector<uint8_t> message(state.range(0), 0x5a);
  uint8_t inner[20], tag[20];
  unsigned int len = 0;
  for (auto _ : state) {
    EVP_MD_CTX_copy_ex(work, inner_keyed);
    EVP_DigestUpdate(work, message.data(), message.size());
    EVP_DigestFinal_ex(work, inner, &len);
    EVP_MD_CTX_copy_ex(work, outer_keyed);
    EVP_DigestUpdate(work, inner, sizeof(inner));
    EVP_DigestFinal_ex(work, tag, &len);
    benchmark::DoNotOptimize(tag);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MD_CTX_free(work);
  EVP_MD_CTX_free(outer_keyed);
  EVP_MD_CTX_free(inner_keyed);
  EVP_MD_free(md);
}

void BM_HmacShaCtxPads(benchmark::State& state) {
  uint8_t ipad[64], opad[64];
  Pads(ipad, opad);
  SHA_CTX inner_keyed, outer_keyed;
  SHA1_Init(&inner_keyed);
  SHA1_Update(&inner_keyed, ipad, 64);
  SHA1_Init(&outer_keyed);
  SHA1_Update(&outer_keyed, opad, 64);
  std::vector<uint8_t> message(state.range(0), 0x5a);
  uint8_t inner[20], tag[20];
  for (auto _ : state) {
    SHA_CTX c = inner_keyed;
    SHA1_Update(&c, message.data(), message.size());
    SHA1_Final(inner, &c);
    c = outer_keyed;
    SHA1_Update(&c, inner, sizeof(inner));
    SHA1_Final(tag, &c);
    benchmark::DoNotOptimize(tag);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_CtrEvpReinit(benchmark::State& state) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  uint8_t iv[16] = {};
  EVP_EncryptInit_ex2(ctx, EVP_aes_128_ctr(), kAesKey, iv, nullptr);
  std::vector<uint8_t> data(state.range(0), 0x5a);
  int out = 0;
  for (auto _ : state) {
    ++iv[13];  // A new packet index.
    EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr);
    EVP_EncryptUpdate(ctx, data.data(), &out, data.data(), data.size());
    benchmark::DoNotOptimize(data.data());
  }
  state.SetItemsProcessed(state.iterations());
  EVP_CIPHER_CTX_free(ctx);
}

void BM_CtrEcbCounterBlocks(benchmark::State& state) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex2(ctx, EVP_aes_128_ecb(), kAesKey, nullptr, nullptr);
  EVP_CIPHER_CTX_set_padding(ctx, 0);
  uint8_t iv[16] = {};
  std::vector<uint8_t> data(state.range(0), 0x5a);
  alignas(16) uint8_t keystream[2048];
  for (auto _ : state) {
    ++iv[13];
    const int n = data.size();
    const int blocks = (n + 15) / 16;
    for (int b = 0; b < blocks; ++b) {
      std::memcpy(keystream + 16 * b, iv, 14);
      keystream[16 * b + 14] = static_cast<uint8_t>(b >> 8);
      keystream[16 * b + 15] = static_cast<uint8_t>(b);
    }
    EVP_Cipher(ctx, keystream, keystream, blocks * 16);
    for (int i = 0; i < n; ++i) data[i] ^= keystream[i];
    benchmark::DoNotOptimize(data.data());
  }
  state.SetItemsProcessed(state.iterations());
  EVP_CIPHER_CTX_free(ctx);
}

template <bool kTagViaParams>
void BM_Gcm(benchmark::State& state) {
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  EVP_EncryptInit_ex2(ctx, EVP_aes_128_gcm(), kAesKey, nullptr, nullptr);
  uint8_t iv[12] = {};
  const uint8_t aad[12] = {0x80, 0x60};
  std::vector<uint8_t> data(state.range(0), 0x5a);
  uint8_t tag[16];
  int out = 0;
  for (auto _ : state) {
    ++iv[11];
    EVP_EncryptInit_ex2(ctx, nullptr, nullptr, iv, nullptr);
    EVP_EncryptUpdate(ctx, nullptr, &out, aad, sizeof(aad));
    EVP_EncryptUpdate(ctx, data.data(), &out, data.data(), data.size());
    EVP_EncryptFinal_ex(ctx, tag, &out);
    if constexpr (kTagViaParams) {
      OSSL_PARAM params[] = {
          OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, sizeof(tag)),
          OSSL_PARAM_construct_end()};
      EVP_CIPHER_CTX_get_params(ctx, params);
    } else {
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, sizeof(tag), tag);
    }
    benchmark::DoNotOptimize(tag);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_CIPHER_CTX_free(ctx);
}

BENCHMARK(BM_HmacEvpMac)->Arg(172)->Arg(1212);
BENCHMARK(BM_HmacHmacCtx)->Arg(172)->Arg(1212);
BENCHMARK(BM_HmacEvpMdCopy)->Arg(172)->Arg(1212);
BENCHMARK(BM_HmacShaCtxPads)->Arg(172)->Arg(1212);
BENCHMARK(BM_CtrEvpReinit)->Arg(160)->Arg(1200);
BENCHMARK(BM_CtrEcbCounterBlocks)->Arg(160)->Arg(1200);
BENCHMARK(BM_Gcm<false>)->Name("BM_GcmTagViaCtrl")->Arg(160)->Arg(1200);
BENCHMARK(BM_Gcm<true>)->Name("BM_GcmTagViaGetParams")->Arg(160)->Arg(1200);

}  // namespace
}  // namespace rtcsim

BENCHMARK_MAIN();
