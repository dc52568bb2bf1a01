// SRTP/SRTCP hot path: stock libsrtp2 (Debian's, on NSS) against the
// project's path (libsrtp2 with stack/srtp's OpenSSL crypto installed) and
// against raw OpenSSL doing the same per-packet crypto, in one process run,
// printed as one table with the ratios (see RESULTS.md).
//
//   ./rtcsim bench srtp
//   bazel run --config=opt //benchmarks:srtp_benchmark
//
// How the three columns are measured in one process although libsrtp2's
// crypto kernel is process-global: a session keeps the cipher and auth
// objects it was created with, so every stock session is created first,
// then InstallOpenSslCrypto() runs, then the project's sessions are created.
// All benchmarks can then run in any order, and each table row's three
// figures are measured back to back.
//
// Rows: AES_CM_128_HMAC_SHA1_80 and AEAD_AES_128_GCM, RTP and RTCP, protect
// and unprotect, 160- and 1,200-octet payloads. "Payload" is what follows
// the fixed header (12 octets for RTP, 8 for the RTCP receiver report), i.e.
// the part that gets encrypted.
//
// - protect: one buffer protected in place again and again, with the RTP
//   sequence number advancing (libsrtp2 refuses to reuse an index).
// - unprotect: replay protection means every packet must be new, so each
//   batch of kBatch packets is protected with the timer paused, then
//   unprotected with it running. The pause costs two CPU-clock reads per
//   batch, a few ns per packet, and applies to all three columns alike.
// - raw OpenSSL: AES-128 counter mode + HMAC-SHA1 truncated to 80 bits, or EVP
//   AES-128-GCM with a 12-octet IV and a 16-octet tag, on the same packet
//   layouts (RFC 3711 §3.1/§3.4, RFC 7714 §7/§9) with the same IV
//   formation, but no key derivation, replay window or rollover tracking.
//   Each primitive is driven the fastest way found for OpenSSL 3.0, which
//   is mostly how stack/srtp/openssl_crypto.cc drives it (see the comments
//   there): HMAC from precomputed ipad/opad SHA-1 states, the GCM tag
//   through get/set_params, and CTR as ECB over counter blocks below 1 KiB
//   but EVP AES-CTR above (stack/srtp uses ECB for all sizes, ~10 ns
//   slower at 1,200 octets: the baseline keeps the faster one).
//
// items_per_second is packets per CPU second.
#define OPENSSL_SUPPRESS_DEPRECATED 1  // SHA1_*: see above.

#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_format.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/srtp/openssl_crypto.h"
#include "stack/srtp/srtp_session.h"

namespace rtcsim {
namespace {

enum class Suite { kAesCm, kGcm };
enum class Kind { kRtp, kRtcp };
enum class Op { kProtect, kUnprotect };
enum class Impl { kStock, kLibsrtpOpenSsl, kProject, kOpenSsl };
constexpr Impl kImpls[] = {Impl::kStock, Impl::kLibsrtpOpenSsl, Impl::kProject, Impl::kOpenSsl};

const char* ToString(Suite s) {
  return s == Suite::kAesCm ? "AES_CM_128_HMAC_SHA1_80" : "AEAD_AES_128_GCM";
}
const char* ToString(Kind k) { return k == Kind::kRtp ? "RTP" : "RTCP"; }
const char* ToString(Op o) { return o == Op::kProtect ? "protect" : "unprotect"; }
const char* ToString(Impl i) {
  switch (i) {
    case Impl::kStock:
      return "stock";
    case Impl::kLibsrtpOpenSsl:
      return "libsrtp2_openssl";
    case Impl::kProject:
      return "project";
    case Impl::kOpenSsl:
      return "openssl";
  }
  return "?";
}

struct Row {
  Suite suite;
  Kind kind;
  Op op;
  int payload;
};

std::vector<Row> AllRows() {
  std::vector<Row> rows;
  for (Suite suite : {Suite::kAesCm, Suite::kGcm}) {
    for (Kind kind : {Kind::kRtp, Kind::kRtcp}) {
      for (Op op : {Op::kProtect, Op::kUnprotect}) {
        for (int payload : {160, 1200}) rows.push_back({suite, kind, op, payload});
      }
    }
  }
  return rows;
}

std::string BenchmarkName(const Row& row, Impl impl) {
  return absl::StrFormat("srtp/%s/%s/%s/%d/%s", ToString(row.suite), ToString(row.kind),
                         ToString(row.op), row.payload, ToString(impl));
}

constexpr int kBatch = 128;
constexpr uint32_t kSsrc = 0x2a2b2c2d;
constexpr int kRtpHeader = 12;
constexpr int kRtcpHeader = 8;
// Room for any SRTP/SRTCP trailer.
constexpr int kSlack = 64;

// Fixed master key || salt (30 octets covers both suites).
constexpr uint8_t kMaster[30] = {0x3a, 0x91, 0x0c, 0x5e, 0x77, 0xd2, 0x18, 0x4b, 0xa6, 0xe9,
                                 0x21, 0x6f, 0x83, 0x0d, 0xbc, 0x44, 0x5a, 0x12, 0xf0, 0x9e,
                                 0x37, 0xc8, 0x61, 0x2d, 0x8b, 0x04, 0xe3, 0x79, 0xa5, 0x16};

// The plaintext packet of a row, with kSlack octets of room behind it.
std::vector<uint8_t> MakePacket(const Row& row) {
  const int header = row.kind == Kind::kRtp ? kRtpHeader : kRtcpHeader;
  std::vector<uint8_t> p(header + row.payload + kSlack, 0);
  if (row.kind == Kind::kRtp) {
    p[0] = 0x80;  // RFC 3550 §5.1: V=2
    p[1] = 96;
  } else {
    const int words = (header + row.payload) / 4 - 1;
    p[0] = 0x80;  // RFC 3550 §6.4.2: V=2, RC=0, receiver report
    p[1] = 201;
    p[2] = words >> 8;
    p[3] = words & 0xff;
  }
  const int ssrc_at = row.kind == Kind::kRtp ? 8 : 4;
  for (int i = 0; i < 4; ++i) p[ssrc_at + i] = (kSsrc >> (24 - 8 * i)) & 0xff;
  for (int i = header; i < header + row.payload; ++i) p[i] = static_cast<uint8_t>(i * 13);
  return p;
}

void SetSeq(std::vector<uint8_t>& p, uint16_t seq) {
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
}

// ---------------------------------------------------------------------------
// libsrtp2 (stock or project): one sender and one receiver session per row.

struct SrtpPair {
  srtp_t tx = nullptr;
  srtp_t rx = nullptr;
  uint16_t next_seq = 1;
};

srtp_t CreateSession(Suite suite, srtp_ssrc_type_t direction) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (suite == Suite::kAesCm) {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  }
  policy.ssrc.type = direction;
  policy.key = const_cast<uint8_t*>(kMaster);
  // SrtpSession's default replay window (srtp_session.h), so that all
  // libsrtp2 columns keep the same bookkeeping. libsrtp2's own default, 128,
  // measured the same within noise.
  policy.window_size = srtp::SrtpSessionConfig().replay_window_size;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) {
    std::fprintf(stderr, "srtp_create failed\n");
    std::abort();
  }
  return session;
}

SrtpPair CreatePair(Suite suite) {
  return {CreateSession(suite, ssrc_any_outbound), CreateSession(suite, ssrc_any_inbound)};
}

// Protects `p` (plaintext of `row`, `plain_len` octets) with the pair's
// sender, advancing the RTP sequence number. Returns the protected length or
// -1.
int SrtpProtect(const Row& row, SrtpPair& pair, std::vector<uint8_t>& p, int plain_len) {
  int len = plain_len;
  srtp_err_status_t err;
  if (row.kind == Kind::kRtp) {
    SetSeq(p, pair.next_seq++);
    err = srtp_protect(pair.tx, p.data(), &len);
  } else {
    err = srtp_protect_rtcp(pair.tx, p.data(), &len);
  }
  return err == srtp_err_status_ok ? len : -1;
}

bool SrtpUnprotect(const Row& row, SrtpPair& pair, uint8_t* p, int len) {
  const srtp_err_status_t err = row.kind == Kind::kRtp ? srtp_unprotect(pair.rx, p, &len)
                                                       : srtp_unprotect_rtcp(pair.rx, p, &len);
  return err == srtp_err_status_ok;
}

// ---------------------------------------------------------------------------
// Raw OpenSSL: the same per-packet crypto without libsrtp2.

class RawSrtp {
 public:
  explicit RawSrtp(Suite suite)
      : suite_(suite), ctx_(EVP_CIPHER_CTX_new()), ctr_(EVP_CIPHER_CTX_new()) {
    // Session keys are arbitrary here: key derivation is not per packet.
    uint8_t key[16];
    for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(0x40 + i);
    for (int i = 0; i < 14; ++i) salt_[i] = static_cast<uint8_t>(0x90 + i);
    salt_[14] = salt_[15] = 0;
    if (suite == Suite::kAesCm) {
      EVP_EncryptInit_ex2(ctx_, EVP_aes_128_ecb(), key, nullptr, nullptr);
      EVP_CIPHER_CTX_set_padding(ctx_, 0);
      EVP_EncryptInit_ex2(ctr_, EVP_aes_128_ctr(), key, nullptr, nullptr);
      uint8_t k0[64] = {};
      for (int i = 0; i < 20; ++i) k0[i] = static_cast<uint8_t>(0x11 * i);
      uint8_t pad[64];
      for (int i = 0; i < 64; ++i) pad[i] = k0[i] ^ 0x36;
      SHA1_Init(&ipad_);
      SHA1_Update(&ipad_, pad, 64);
      for (int i = 0; i < 64; ++i) pad[i] = k0[i] ^ 0x5c;
      SHA1_Init(&opad_);
      SHA1_Update(&opad_, pad, 64);
    } else {
      EVP_EncryptInit_ex2(ctx_, EVP_aes_128_gcm(), key, nullptr, nullptr);
    }
  }
  ~RawSrtp() {
    EVP_CIPHER_CTX_free(ctr_);
    EVP_CIPHER_CTX_free(ctx_);
  }
  RawSrtp(const RawSrtp&) = delete;
  RawSrtp& operator=(const RawSrtp&) = delete;

  // Returns the protected length.
  int Protect(const Row& row, std::vector<uint8_t>& p, int plain_len) {
    uint8_t* pkt = p.data();
    if (row.kind == Kind::kRtp) {
      SetSeq(p, seq_++);
      const uint16_t seq = pkt[2] << 8 | pkt[3];
      if (suite_ == Suite::kAesCm) {
        // RFC 3711 §4.1.1 IV, then HMAC over the packet || ROC (§4.2).
        SetCtrIv(pkt + 8, 0, seq);
        Ctr(pkt + kRtpHeader, plain_len - kRtpHeader);
        Hmac80(pkt, plain_len, pkt + plain_len, /*with_roc=*/true);
        return plain_len + 10;
      }
      // RFC 7714 §8.1 IV; the header is the AAD (§8.2).
      SetGcmRtpIv(pkt + 8, 0, seq);
      GcmEncrypt(pkt, kRtpHeader, nullptr, pkt + kRtpHeader, plain_len - kRtpHeader,
                 pkt + plain_len);
      return plain_len + 16;
    }
    const uint32_t index = ++rtcp_index_ & 0x7fffffff;
    uint8_t esrtcp[4] = {static_cast<uint8_t>(0x80 | index >> 24),
                         static_cast<uint8_t>(index >> 16), static_cast<uint8_t>(index >> 8),
                         static_cast<uint8_t>(index)};
    if (suite_ == Suite::kAesCm) {
      // RFC 3711 §3.4: encrypt after the first 8 octets, append E||index,
      // authenticate all of it, append the tag.
      SetCtrIv(pkt + 4, index >> 16, index & 0xffff);
      Ctr(pkt + kRtcpHeader, plain_len - kRtcpHeader);
      std::memcpy(pkt + plain_len, esrtcp, 4);
      Hmac80(pkt, plain_len + 4, pkt + plain_len + 4, /*with_roc=*/false);
      return plain_len + 14;
    }
    // RFC 7714 §9: AAD = 8 header octets + ESRTCP word; tag, then the word.
    SetGcmRtcpIv(pkt + 4, index);
    GcmEncrypt(pkt, kRtcpHeader, esrtcp, pkt + kRtcpHeader, plain_len - kRtcpHeader,
               pkt + plain_len);
    std::memcpy(pkt + plain_len + 16, esrtcp, 4);
    return plain_len + 20;
  }

  bool Unprotect(const Row& row, uint8_t* pkt, int len) {
    if (row.kind == Kind::kRtp) {
      const uint16_t seq = pkt[2] << 8 | pkt[3];
      if (suite_ == Suite::kAesCm) {
        const int plain_len = len - 10;
        uint8_t tag[10];
        Hmac80(pkt, plain_len, tag, /*with_roc=*/true);
        if (CRYPTO_memcmp(tag, pkt + plain_len, 10) != 0) return false;
        SetCtrIv(pkt + 8, 0, seq);
        Ctr(pkt + kRtpHeader, plain_len - kRtpHeader);
        return true;
      }
      SetGcmRtpIv(pkt + 8, 0, seq);
      return GcmDecrypt(pkt, kRtpHeader, nullptr, pkt + kRtpHeader, len - 16 - kRtpHeader,
                        pkt + len - 16);
    }
    if (suite_ == Suite::kAesCm) {
      const uint8_t* word = pkt + len - 14;
      const uint32_t index = (word[0] & 0x7f) << 24 | word[1] << 16 | word[2] << 8 | word[3];
      uint8_t tag[10];
      Hmac80(pkt, len - 10, tag, /*with_roc=*/false);
      if (CRYPTO_memcmp(tag, pkt + len - 10, 10) != 0) return false;
      SetCtrIv(pkt + 4, index >> 16, index & 0xffff);
      Ctr(pkt + kRtcpHeader, len - 14 - kRtcpHeader);
      return true;
    }
    const uint8_t* word = pkt + len - 4;
    const uint32_t index = (word[0] & 0x7f) << 24 | word[1] << 16 | word[2] << 8 | word[3];
    SetGcmRtcpIv(pkt + 4, index);
    return GcmDecrypt(pkt, kRtcpHeader, word, pkt + kRtcpHeader, len - 20 - kRtcpHeader,
                      pkt + len - 20);
  }

 private:
  // IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i = ROC || SEQ
  // (for SRTCP the index takes i's place).
  void SetCtrIv(const uint8_t* ssrc, uint32_t roc, uint16_t seq) {
    std::memcpy(iv_, salt_, 16);
    for (int i = 0; i < 4; ++i) iv_[4 + i] ^= ssrc[i];
    for (int i = 0; i < 4; ++i) iv_[8 + i] ^= (roc >> (24 - 8 * i)) & 0xff;
    iv_[12] ^= seq >> 8;
    iv_[13] ^= seq & 0xff;
  }
  // AES-CTR whichever way is faster for the size
  // (openssl_primitives_benchmark): re-initialising an EVP AES-CTR context
  // costs OpenSSL 3.0 ~45 ns, so small payloads go through AES-ECB over
  // counter blocks XORed in (as stack/srtp/openssl_crypto.cc does for all
  // sizes), while from about 1 KiB the CTR code's fused XOR wins that back.
  // Packets here are under 2^16 blocks and start at a zero block counter,
  // so the low 16 bits never carry.
  void Ctr(uint8_t* data, int n) {
    if (n >= 1024) {
      int out = 0;
      EVP_EncryptInit_ex2(ctr_, nullptr, nullptr, iv_, nullptr);
      EVP_EncryptUpdate(ctr_, data, &out, data, n);
      return;
    }
    alignas(16) uint8_t keystream[1024];
    const int blocks = (n + 15) / 16;
    for (int b = 0; b < blocks; ++b) {
      std::memcpy(keystream + 16 * b, iv_, 14);
      keystream[16 * b + 14] = static_cast<uint8_t>(b >> 8);
      keystream[16 * b + 15] = static_cast<uint8_t>(b);
    }
    EVP_Cipher(ctx_, keystream, keystream, blocks * 16);
    for (int i = 0; i + 8 <= n; i += 8) {
      uint64_t d, k;
      std::memcpy(&d, data + i, 8);
      std::memcpy(&k, keystream + i, 8);
      d ^= k;
      std::memcpy(data + i, &d, 8);
    }
    for (int i = n & ~7; i < n; ++i) data[i] ^= keystream[i];
  }
  void Hmac80(const uint8_t* data, int n, uint8_t* tag, bool with_roc) {
    static constexpr uint8_t kRoc[4] = {0, 0, 0, 0};
    SHA_CTX c = ipad_;
    SHA1_Update(&c, data, n);
    if (with_roc) SHA1_Update(&c, kRoc, 4);
    uint8_t inner[20];
    SHA1_Final(inner, &c);
    c = opad_;
    SHA1_Update(&c, inner, 20);
    uint8_t full[20];
    SHA1_Final(full, &c);
    std::memcpy(tag, full, 10);
  }
  // RFC 7714 §8.1: (00 00 || SSRC || ROC || SEQ) XOR the 96-bit salt.
  void SetGcmRtpIv(const uint8_t* ssrc, uint32_t roc, uint16_t seq) {
    std::memcpy(iv_, salt_, 12);
    for (int i = 0; i < 4; ++i) iv_[2 + i] ^= ssrc[i];
    for (int i = 0; i < 4; ++i) iv_[6 + i] ^= (roc >> (24 - 8 * i)) & 0xff;
    iv_[10] ^= seq >> 8;
    iv_[11] ^= seq & 0xff;
  }
  // RFC 7714 §9.1: (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.
  void SetGcmRtcpIv(const uint8_t* ssrc, uint32_t index) {
    std::memcpy(iv_, salt_, 12);
    for (int i = 0; i < 4; ++i) iv_[2 + i] ^= ssrc[i];
    for (int i = 0; i < 4; ++i) iv_[8 + i] ^= (index >> (24 - 8 * i)) & 0xff;
  }
  void GcmEncrypt(const uint8_t* aad, int aad_len, const uint8_t* esrtcp, uint8_t* data, int n,
                  uint8_t* tag) {
    int out = 0;
    EVP_EncryptInit_ex2(ctx_, nullptr, nullptr, iv_, nullptr);
    EVP_EncryptUpdate(ctx_, nullptr, &out, aad, aad_len);
    if (esrtcp != nullptr) EVP_EncryptUpdate(ctx_, nullptr, &out, esrtcp, 4);
    EVP_EncryptUpdate(ctx_, data, &out, data, n);
    uint8_t unused[16];
    EVP_EncryptFinal_ex(ctx_, unused, &out);
    // get_params rather than EVP_CIPHER_CTX_ctrl: ~18 ns less.
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
                           OSSL_PARAM_construct_end()};
    EVP_CIPHER_CTX_get_params(ctx_, params);
  }
  bool GcmDecrypt(const uint8_t* aad, int aad_len, const uint8_t* esrtcp, uint8_t* data, int n,
                  uint8_t* tag) {
    int out = 0;
    EVP_DecryptInit_ex2(ctx_, nullptr, nullptr, iv_, nullptr);
    EVP_DecryptUpdate(ctx_, nullptr, &out, aad, aad_len);
    if (esrtcp != nullptr) EVP_DecryptUpdate(ctx_, nullptr, &out, esrtcp, 4);
    OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, 16),
                           OSSL_PARAM_construct_end()};
    EVP_CIPHER_CTX_set_params(ctx_, params);
    EVP_DecryptUpdate(ctx_, data, &out, data, n);
    uint8_t unused[16];
    return EVP_DecryptFinal_ex(ctx_, unused, &out) == 1;
  }

  Suite suite_;
  EVP_CIPHER_CTX* ctx_;  // AES-ECB or AES-GCM
  EVP_CIPHER_CTX* ctr_;  // AES-CTR
  SHA_CTX ipad_;
  SHA_CTX opad_;
  uint8_t salt_[16];
  uint8_t iv_[16];
  uint16_t seq_ = 1;
  uint32_t rtcp_index_ = 0;
};

// ---------------------------------------------------------------------------
// The benchmarks.

struct Fixture {
  ~Fixture() {
    if (pair.tx != nullptr) srtp_dealloc(pair.tx);
    if (pair.rx != nullptr) srtp_dealloc(pair.rx);
  }
  Row row;
  Impl impl;
  SrtpPair pair;                               // stock, libsrtp2_openssl
  std::unique_ptr<srtp::SrtpSession> session;  // project
  uint16_t session_seq = 1;                    // project
  std::unique_ptr<RawSrtp> raw;                // openssl
};

// The project's path: an SrtpSession keyed with the same key and salt both
// ways, so that what it protects it can also unprotect.
std::unique_ptr<srtp::SrtpSession> CreateSession(Suite suite) {
  dtls::SrtpKeyingMaterial keys;
  keys.profile = suite == Suite::kAesCm ? dtls::SrtpProfile::kAes128CmSha1_80
                                        : dtls::SrtpProfile::kAeadAes128Gcm;
  const size_t salt_len = suite == Suite::kAesCm ? 14 : 12;
  keys.local_key.assign(kMaster, kMaster + 16);
  keys.local_salt.assign(kMaster + 16, kMaster + 16 + salt_len);
  keys.remote_key = keys.local_key;
  keys.remote_salt = keys.local_salt;
  absl::StatusOr<std::unique_ptr<srtp::SrtpSession>> session = srtp::SrtpSession::Create(keys);
  if (!session.ok()) {
    std::fprintf(stderr, "SrtpSession::Create: %s\n", session.status().ToString().c_str());
    std::abort();
  }
  return *std::move(session);
}

// Protects the plaintext packet in `p` (`plain_len` octets; the vector may
// be longer). Returns the protected length, or -1.
int Protect(Fixture& f, std::vector<uint8_t>& p, int plain_len) {
  switch (f.impl) {
    case Impl::kOpenSsl:
      return f.raw->Protect(f.row, p, plain_len);
    case Impl::kProject: {
      // SrtpSession grows the vector by the trailer itself.
      p.resize(plain_len);
      absl::Status status;
      if (f.row.kind == Kind::kRtp) {
        SetSeq(p, f.session_seq++);
        status = f.session->ProtectRtp(p);
      } else {
        status = f.session->ProtectRtcp(p);
      }
      return status.ok() ? static_cast<int>(p.size()) : -1;
    }
    default:
      return SrtpProtect(f.row, f.pair, p, plain_len);
  }
}

bool Unprotect(Fixture& f, std::vector<uint8_t>& p, int len) {
  switch (f.impl) {
    case Impl::kOpenSsl:
      return f.raw->Unprotect(f.row, p.data(), len);
    case Impl::kProject:
      // Protect() left the vector at the protected length.
      return (f.row.kind == Kind::kRtp ? f.session->UnprotectRtp(p) : f.session->UnprotectRtcp(p))
          .ok();
    default:
      return SrtpUnprotect(f.row, f.pair, p.data(), len);
  }
}

void BM_Protect(benchmark::State& state, Fixture* f) {
  std::vector<uint8_t> packet = MakePacket(f->row);
  const int header = f->row.kind == Kind::kRtp ? kRtpHeader : kRtcpHeader;
  const int plain_len = header + f->row.payload;
  int64_t failures = 0;
  for (auto _ : state) {
    failures += Protect(*f, packet, plain_len) < 0;
    benchmark::DoNotOptimize(packet.data());
  }
  if (failures > 0) state.SkipWithError("protect failed");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * f->row.payload);
}

void BM_Unprotect(benchmark::State& state, Fixture* f) {
  const std::vector<uint8_t> plain = MakePacket(f->row);
  const int header = f->row.kind == Kind::kRtp ? kRtpHeader : kRtcpHeader;
  const int plain_len = header + f->row.payload;
  std::vector<std::vector<uint8_t>> batch(kBatch, plain);
  std::vector<int> lengths(kBatch);
  int64_t failures = 0;
  while (state.KeepRunningBatch(kBatch)) {
    state.PauseTiming();
    for (int i = 0; i < kBatch; ++i) {
      batch[i].assign(plain.begin(), plain.end());
      lengths[i] = Protect(*f, batch[i], plain_len);
      failures += lengths[i] < 0;
    }
    state.ResumeTiming();
    for (int i = 0; i < kBatch; ++i) {
      failures += !Unprotect(*f, batch[i], lengths[i]);
    }
  }
  if (failures > 0) state.SkipWithError("unprotect failed");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * f->row.payload);
}

// ---------------------------------------------------------------------------
// The table.

// Prints like the console reporter and keeps items_per_second per
// benchmark: the median aggregate when repetitions were asked for, else the
// median of the runs seen.
class TableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      auto it = run.counters.find("items_per_second");
      if (it == run.counters.end()) continue;
      const std::string name = run.run_name.function_name;
      if (run.run_type == Run::RT_Aggregate) {
        if (run.aggregate_name == "median") medians_[name] = it->second.value;
      } else {
        samples_[name].push_back(it->second.value);
      }
    }
  }

  // Packets per second, or a negative value if the benchmark did not run.
  double Rate(const std::string& name) const {
    if (auto it = medians_.find(name); it != medians_.end()) return it->second;
    auto it = samples_.find(name);
    if (it == samples_.end() || it->second.empty()) return -1;
    std::vector<double> v = it->second;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }

 private:
  std::map<std::string, double> medians_;
  std::map<std::string, std::vector<double>> samples_;
};

std::string FormatRate(double r) {
  if (r < 0) return "n/a";
  if (r >= 1e6) return absl::StrFormat("%.2f M", r / 1e6);
  return absl::StrFormat("%.0f k", r / 1e3);
}
std::string FormatRatio(double a, double b) {
  if (a < 0 || b <= 0) return "n/a";
  return absl::StrFormat("%.2fx", a / b);
}

void PrintTable(const TableReporter& reporter) {
  std::printf(
      "\nSRTP packets per CPU second. stock: Debian's libsrtp2 (NSS crypto). libsrtp2+ossl: "
      "libsrtp2 with stack/srtp's OpenSSL crypto, called directly. project: srtp::SrtpSession "
      "(the same, behind the project's API). openssl: raw OpenSSL, same crypto, no libsrtp2.\n\n");
  std::printf("| %-23s | %-4s | %-9s | %7s | %9s | %14s | %9s | %9s | %13s | %15s |\n", "Profile",
              "Pkt", "Op", "Payload", "stock", "libsrtp2+ossl", "project", "openssl",
              "project/stock", "project/openssl");
  std::printf(
      "|-------------------------|------|-----------|--------:|----------:|---------------:|"
      "----------:|----------:|--------------:|----------------:|\n");
  for (const Row& row : AllRows()) {
    const double stock = reporter.Rate(BenchmarkName(row, Impl::kStock));
    const double direct = reporter.Rate(BenchmarkName(row, Impl::kLibsrtpOpenSsl));
    const double project = reporter.Rate(BenchmarkName(row, Impl::kProject));
    const double openssl = reporter.Rate(BenchmarkName(row, Impl::kOpenSsl));
    std::printf("| %-23s | %-4s | %-9s | %7d | %9s | %14s | %9s | %9s | %13s | %15s |\n",
                ToString(row.suite), ToString(row.kind), ToString(row.op), row.payload,
                FormatRate(stock).c_str(), FormatRate(direct).c_str(), FormatRate(project).c_str(),
                FormatRate(openssl).c_str(), FormatRatio(project, stock).c_str(),
                FormatRatio(project, openssl).c_str());
  }
  std::fflush(stdout);
}

int Main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;

  const std::vector<Row> rows = AllRows();
  // Stable addresses: benchmarks keep pointers into this.
  std::vector<std::unique_ptr<Fixture>> fixtures;
  auto fixture = [&](const Row& row, Impl impl) {
    fixtures.push_back(std::make_unique<Fixture>());
    Fixture* f = fixtures.back().get();
    f->row = row;
    f->impl = impl;
    return f;
  };

  // Stock sessions first: after InstallOpenSslCrypto() new sessions would
  // get the OpenSSL types.
  if (srtp_init() != srtp_err_status_ok) {
    std::fprintf(stderr, "srtp_init failed\n");
    return 1;
  }
  std::map<std::string, Fixture*> by_name;
  for (const Row& row : rows) {
    Fixture* f = fixture(row, Impl::kStock);
    f->pair = CreatePair(row.suite);
    by_name[BenchmarkName(row, Impl::kStock)] = f;
  }
  if (const absl::Status status = srtp::InstallOpenSslCrypto(); !status.ok()) {
    std::fprintf(stderr, "InstallOpenSslCrypto: %s\n", status.ToString().c_str());
    return 1;
  }
  for (const Row& row : rows) {
    Fixture* direct = fixture(row, Impl::kLibsrtpOpenSsl);
    direct->pair = CreatePair(row.suite);
    by_name[BenchmarkName(row, Impl::kLibsrtpOpenSsl)] = direct;
    Fixture* project = fixture(row, Impl::kProject);
    project->session = CreateSession(row.suite);
    by_name[BenchmarkName(row, Impl::kProject)] = project;
    Fixture* raw = fixture(row, Impl::kOpenSsl);
    raw->raw = std::make_unique<RawSrtp>(row.suite);
    by_name[BenchmarkName(row, Impl::kOpenSsl)] = raw;
  }

  // Registered row by row so each row's three figures run back to back.
  for (const Row& row : rows) {
    for (Impl impl : kImpls) {
      const std::string name = BenchmarkName(row, impl);
      benchmark::RegisterBenchmark(name.c_str(), row.op == Op::kProtect ? BM_Protect : BM_Unprotect,
                                   by_name[name]);
    }
  }

  TableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  PrintTable(reporter);
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace rtcsim

int main(int argc, char** argv) { return rtcsim::Main(argc, argv); }
