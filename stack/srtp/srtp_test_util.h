// Helpers shared by the stack/srtp tests: hex vectors, RTP/RTCP packets and
// libsrtp2 sessions for the profiles the project uses.
#ifndef RTCSIM_STACK_SRTP_SRTP_TEST_UTIL_H_
#define RTCSIM_STACK_SRTP_SRTP_TEST_UTIL_H_

#include <srtp2/srtp.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace rtcsim::srtp::testing {

// Bytes from hex digits; spaces are ignored so RFC layouts paste as is.
inline std::vector<uint8_t> FromHex(absl::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    int v;
    if (c >= '0' && c <= '9') {
      v = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      v = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      v = c - 'A' + 10;
    } else {
      continue;
    }
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::string ToHex(const uint8_t* data, size_t len) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < len; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}
inline std::string ToHex(const std::vector<uint8_t>& v) { return ToHex(v.data(), v.size()); }

// A minimal RTP packet (RFC 3550 §5.1): V=2, payload type 96, no CSRCs or
// extension, with room behind it for the SRTP trailer.
inline std::vector<uint8_t> MakeRtp(uint16_t seq, uint32_t ssrc,
                                    const std::vector<uint8_t>& payload) {
  std::vector<uint8_t> p(12 + payload.size() + SRTP_MAX_TRAILER_LEN, 0);
  p[0] = 0x80;
  p[1] = 96;
  p[2] = seq >> 8;
  p[3] = seq & 0xff;
  p[4] = 0x00;
  p[5] = 0x00;
  p[6] = 0x12;
  p[7] = 0x34;
  for (int i = 0; i < 4; ++i) p[8 + i] = (ssrc >> (24 - 8 * i)) & 0xff;
  if (!payload.empty()) std::memcpy(p.data() + 12, payload.data(), payload.size());
  return p;
}

// A receiver report (RFC 3550 §6.4.2) with no report blocks, followed by
// `extra` opaque octets so the encrypted part has some length.
inline std::vector<uint8_t> MakeRtcp(uint32_t ssrc, const std::vector<uint8_t>& extra) {
  const size_t words = (8 + extra.size() + 3) / 4;
  std::vector<uint8_t> p(words * 4 + SRTP_MAX_TRAILER_LEN + 4, 0);
  p[0] = 0x80;
  p[1] = 201;  // RR
  p[2] = (words - 1) >> 8;
  p[3] = (words - 1) & 0xff;
  for (int i = 0; i < 4; ++i) p[4 + i] = (ssrc >> (24 - 8 * i)) & 0xff;
  if (!extra.empty()) std::memcpy(p.data() + 8, extra.data(), extra.size());
  return p;
}
inline int RtcpLength(const std::vector<uint8_t>& p) { return 4 * ((p[2] << 8 | p[3]) + 1); }

struct Profile {
  const char* name;
  void (*set_rtp)(srtp_crypto_policy_t*);
  void (*set_rtcp)(srtp_crypto_policy_t*);
  int master_len;  // master key + master salt
  int rtp_tag_len;
  int rtcp_tag_len;
  bool aead;
};

inline void PrintTo(const Profile& p, std::ostream* os) { *os << p.name; }

// RFC 5764 §4.1.2 / RFC 7714 §14.2 profiles plus the AES-192/256 variants
// of RFC 6188, which also run on the replaced ciphers.
inline const std::vector<Profile>& AllProfiles() {
  static const std::vector<Profile> kProfiles = {
      {"AES_CM_128_HMAC_SHA1_80", srtp_crypto_policy_set_rtp_default,
       srtp_crypto_policy_set_rtcp_default, 30, 10, 10, false},
      {"AES_CM_128_HMAC_SHA1_32", srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32,
       srtp_crypto_policy_set_rtcp_default, 30, 4, 10, false},
      {"AES_192_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80,
       srtp_crypto_policy_set_aes_cm_192_hmac_sha1_80, 38, 10, 10, false},
      {"AES_256_CM_HMAC_SHA1_80", srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
       srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, 46, 10, 10, false},
      {"AEAD_AES_128_GCM", srtp_crypto_policy_set_aes_gcm_128_16_auth,
       srtp_crypto_policy_set_aes_gcm_128_16_auth, 28, 16, 16, true},
      {"AEAD_AES_256_GCM", srtp_crypto_policy_set_aes_gcm_256_16_auth,
       srtp_crypto_policy_set_aes_gcm_256_16_auth, 44, 16, 16, true},
      {"AES_128_GCM_8", srtp_crypto_policy_set_aes_gcm_128_8_auth,
       srtp_crypto_policy_set_aes_gcm_128_8_auth, 28, 8, 8, true},
  };
  return kProfiles;
}

// Fixed master key material (46 octets covers every profile).
inline const uint8_t* TestMasterKey() {
  static const uint8_t kKey[46] = {0x6a, 0x2b, 0x11, 0x94, 0xc0, 0x3d, 0x5e, 0x72, 0x08, 0x19,
                                   0xaf, 0xe3, 0x4c, 0x57, 0x90, 0x21, 0xb8, 0x0d, 0x66, 0x3f,
                                   0x12, 0x7a, 0xc9, 0x44, 0xe1, 0x5b, 0x30, 0x8e, 0xd2, 0x07,
                                   0x9c, 0x73, 0x25, 0xfa, 0x4e, 0x81, 0x36, 0xbd, 0x0a, 0x5f,
                                   0xc4, 0x93, 0x28, 0x71, 0xe6, 0x1d};
  return kKey;
}

// Creates a session for one direction. srtp_create copies the key.
inline srtp_err_status_t CreateSession(const Profile& profile, const uint8_t* master,
                                       srtp_ssrc_type_t direction, srtp_t* out, uint32_t ssrc = 0) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  profile.set_rtp(&policy.rtp);
  profile.set_rtcp(&policy.rtcp);
  policy.ssrc.type = direction;
  policy.ssrc.value = ssrc;
  policy.key = const_cast<uint8_t*>(master);
  policy.window_size = 128;
  return srtp_create(out, &policy);
}

}  // namespace rtcsim::srtp::testing

#endif  // RTCSIM_STACK_SRTP_SRTP_TEST_UTIL_H_
