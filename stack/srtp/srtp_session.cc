// SRTP/SRTCP session over libsrtp2 (RFC 3711, RFC 7714), keyed by the
// DTLS-SRTP exporter (RFC 5764 §4.2).
//
// libsrtp2 wants one buffer holding the packet and room for what it
// appends, and reports the new length through an int*. It writes past the
// packet's end, so the vector is grown to the worst case first and shrunk
// to what libsrtp2 reports afterwards: a resize within capacity, no
// allocation once the caller's buffer has grown once.
//
//   SRTP  (RFC 3711 §3.1):  header | encrypted payload | [MKI] | auth tag
//   SRTCP (RFC 3711 §3.4):  header + SSRC | encrypted rest | E+index | tag
#include "stack/srtp/srtp_session.h"

#include <srtp2/srtp.h>

#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "stack/env/status_macros.h"
#include "stack/srtp/openssl_crypto.h"

namespace rtcsim::srtp {

struct SrtpSession::Contexts {
  srtp_t outbound = nullptr;
  srtp_t inbound = nullptr;
  ~Contexts() {
    if (outbound != nullptr) srtp_dealloc(outbound);
    if (inbound != nullptr) srtp_dealloc(inbound);
  }
};

namespace {

// RFC 3550 §5.1: the fixed RTP header. RFC 3550 §6.4.1: an RTCP packet's
// header plus the sender's SSRC, the part SRTCP leaves in the clear.
constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;
// RFC 3711 §3.4: the E flag and 31-bit SRTCP index that follow the payload.
constexpr size_t kSrtcpIndexSize = 4;

const char* ErrorName(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return "srtp_err_status_ok";
    case srtp_err_status_fail:
      return "srtp_err_status_fail";
    case srtp_err_status_bad_param:
      return "srtp_err_status_bad_param";
    case srtp_err_status_alloc_fail:
      return "srtp_err_status_alloc_fail";
    case srtp_err_status_init_fail:
      return "srtp_err_status_init_fail";
    case srtp_err_status_auth_fail:
      return "srtp_err_status_auth_fail";
    case srtp_err_status_cipher_fail:
      return "srtp_err_status_cipher_fail";
    case srtp_err_status_replay_fail:
      return "srtp_err_status_replay_fail";
    case srtp_err_status_replay_old:
      return "srtp_err_status_replay_old";
    case srtp_err_status_algo_fail:
      return "srtp_err_status_algo_fail";
    case srtp_err_status_no_ctx:
      return "srtp_err_status_no_ctx";
    case srtp_err_status_key_expired:
      return "srtp_err_status_key_expired";
    case srtp_err_status_parse_err:
      return "srtp_err_status_parse_err";
    case srtp_err_status_bad_mki:
      return "srtp_err_status_bad_mki";
    case srtp_err_status_pkt_idx_old:
      return "srtp_err_status_pkt_idx_old";
    case srtp_err_status_pkt_idx_adv:
      return "srtp_err_status_pkt_idx_adv";
    default:
      return "srtp_err_status_other";
  }
}

std::string Describe(srtp_err_status_t status) {
  return absl::StrCat(ErrorName(status), " = ", static_cast<int>(status));
}

// The libsrtp2 crypto policies for a DTLS-SRTP profile.
absl::Status SetPolicies(dtls::SrtpProfile profile, srtp_policy_t& policy) {
  switch (profile) {
    case dtls::SrtpProfile::kAes128CmSha1_80:
      // RFC 5764 §4.1.2: AES-128 counter mode, HMAC-SHA1 with an 80-bit tag
      // for both SRTP and SRTCP.
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return absl::OkStatus();
    case dtls::SrtpProfile::kAes128CmSha1_32:
      // RFC 5764 §4.1.2: the 32-bit tag applies to SRTP only; SRTCP keeps
      // the 80-bit tag (RFC 3711 §5.2 forbids shortening it).
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      return absl::OkStatus();
    case dtls::SrtpProfile::kAeadAes128Gcm:
      // RFC 7714 §14.2: AEAD_AES_128_GCM, 16-octet tag, SRTP and SRTCP.
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      return absl::OkStatus();
    case dtls::SrtpProfile::kAeadAes256Gcm:
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_256_16_auth(&policy.rtcp);
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported SRTP profile ", static_cast<int>(profile)));
}

absl::Status CreateContext(dtls::SrtpProfile profile, const std::vector<uint8_t>& key,
                           const std::vector<uint8_t>& salt, srtp_ssrc_type_t direction,
                           int window_size, srtp_t* out) {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  RETURN_IF_ERROR(SetPolicies(profile, policy));
  // libsrtp2 takes the master key and master salt as one string, key first
  // (the layout of RFC 4568's inline key parameter).
  std::vector<uint8_t> master(key);
  master.insert(master.end(), salt.begin(), salt.end());
  policy.ssrc.type = direction;
  policy.ssrc.value = 0;
  policy.key = master.data();
  policy.window_size = static_cast<unsigned long>(window_size);
  // RFC 3711 §9.1: sending two packets under one index reuses keystream;
  // libsrtp2 refuses to protect a sequence number twice unless told not to.
  policy.allow_repeat_tx = 0;
  policy.next = nullptr;
  const srtp_err_status_t status = srtp_create(out, &policy);
  // srtp_create copied the key into the derived session keys.
  std::memset(master.data(), 0, master.size());
  if (status != srtp_err_status_ok) {
    *out = nullptr;
    return absl::InternalError(absl::StrCat("srtp_create failed (", Describe(status), ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SrtpSession>> SrtpSession::Create(
    const dtls::SrtpKeyingMaterial& keys, SrtpSessionConfig config) {
  const size_t key_len = dtls::SrtpKeyLength(keys.profile);
  const size_t salt_len = dtls::SrtpSaltLength(keys.profile);
  if (keys.local_key.size() != key_len || keys.remote_key.size() != key_len ||
      keys.local_salt.size() != salt_len || keys.remote_salt.size() != salt_len) {
    return absl::InvalidArgumentError(absl::StrCat(
        dtls::ToString(keys.profile), " needs a ", key_len, "-byte master key and a ", salt_len,
        "-byte master salt; got local ", keys.local_key.size(), "/", keys.local_salt.size(),
        ", remote ", keys.remote_key.size(), "/", keys.remote_salt.size()));
  }
  // libsrtp2's bounds for the RTP replay window (srtp_rdbx_init).
  if (config.replay_window_size < 64 || config.replay_window_size >= 0x8000) {
    return absl::InvalidArgumentError(absl::StrCat("replay window size ", config.replay_window_size,
                                                   " outside libsrtp2's 64..32767"));
  }
  // The kernel is global and sessions keep the types they were created
  // with, so the OpenSSL types must be in place before srtp_create.
  RETURN_IF_ERROR(InstallOpenSslCrypto());
  auto contexts = std::make_unique<Contexts>();
  RETURN_IF_ERROR(CreateContext(keys.profile, keys.local_key, keys.local_salt, ssrc_any_outbound,
                                config.replay_window_size, &contexts->outbound));
  RETURN_IF_ERROR(CreateContext(keys.profile, keys.remote_key, keys.remote_salt, ssrc_any_inbound,
                                config.replay_window_size, &contexts->inbound));
  return std::unique_ptr<SrtpSession>(new SrtpSession(keys.profile, std::move(contexts)));
}

SrtpSession::SrtpSession(dtls::SrtpProfile profile, std::unique_ptr<Contexts> contexts)
    : profile_(profile), contexts_(std::move(contexts)) {}

SrtpSession::~SrtpSession() = default;

absl::Status SrtpSession::ProtectRtp(std::vector<uint8_t>& packet) {
  return Protect(packet, /*rtcp=*/false);
}
absl::Status SrtpSession::ProtectRtcp(std::vector<uint8_t>& packet) {
  return Protect(packet, /*rtcp=*/true);
}
absl::Status SrtpSession::UnprotectRtp(std::vector<uint8_t>& packet) {
  return Unprotect(packet, /*rtcp=*/false);
}
absl::Status SrtpSession::UnprotectRtcp(std::vector<uint8_t>& packet) {
  return Unprotect(packet, /*rtcp=*/true);
}

absl::Status SrtpSession::Protect(std::vector<uint8_t>& packet, bool rtcp) {
  const char* what = rtcp ? "RTCP" : "RTP";
  const size_t original = packet.size();
  if (original < (rtcp ? kRtcpHeaderSize : kRtpHeaderSize)) {
    ++stats_.other_errors;
    return absl::OutOfRangeError(absl::StrCat("truncated ", what, " packet: ", original, " bytes"));
  }
  // The trailer: tag (and MKI) for SRTP; SRTCP adds the E+index word.
  const size_t room = SRTP_MAX_TRAILER_LEN + (rtcp ? kSrtcpIndexSize : 0);
  if (original > static_cast<size_t>(INT_MAX) - room) {
    ++stats_.other_errors;
    return absl::InvalidArgumentError(absl::StrCat(what, " packet too large"));
  }
  packet.resize(original + room);
  int len = static_cast<int>(original);
  const srtp_err_status_t status = rtcp
                                       ? srtp_protect_rtcp(contexts_->outbound, packet.data(), &len)
                                       : srtp_protect(contexts_->outbound, packet.data(), &len);
  if (status != srtp_err_status_ok) {
    packet.resize(original);
    ++stats_.other_errors;
    if (status == srtp_err_status_replay_fail || status == srtp_err_status_replay_old) {
      // RFC 3711 §9.1: never encrypt twice under one index.
      return absl::FailedPreconditionError(
          absl::StrCat(what, " sequence number already protected, refusing to reuse keystream (",
                       Describe(status), ")"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("SRTP protect of ", what, " failed (", Describe(status), ")"));
  }
  packet.resize(static_cast<size_t>(len));
  ++(rtcp ? stats_.rtcp_protected : stats_.rtp_protected);
  return absl::OkStatus();
}

absl::Status SrtpSession::Unprotect(std::vector<uint8_t>& packet, bool rtcp) {
  const char* what = rtcp ? "SRTCP" : "SRTP";
  // libsrtp2 validates the lengths too; checking here gives the clearer
  // reason and keeps INT_MAX out of reach.
  const size_t minimum = rtcp ? kRtcpHeaderSize + kSrtcpIndexSize : kRtpHeaderSize;
  if (packet.size() < minimum) {
    ++stats_.other_errors;
    return absl::OutOfRangeError(
        absl::StrCat("truncated ", what, " packet: ", packet.size(), " bytes"));
  }
  if (packet.size() > static_cast<size_t>(INT_MAX)) {
    ++stats_.other_errors;
    return absl::InvalidArgumentError(absl::StrCat(what, " packet too large"));
  }
  int len = static_cast<int>(packet.size());
  const srtp_err_status_t status =
      rtcp ? srtp_unprotect_rtcp(contexts_->inbound, packet.data(), &len)
           : srtp_unprotect(contexts_->inbound, packet.data(), &len);
  switch (status) {
    case srtp_err_status_ok:
      packet.resize(static_cast<size_t>(len));
      ++(rtcp ? stats_.rtcp_unprotected : stats_.rtp_unprotected);
      return absl::OkStatus();
    case srtp_err_status_auth_fail:
      // RFC 3711 §3.3 step 5: an unauthentic packet is discarded.
      ++stats_.auth_failures;
      return absl::UnauthenticatedError(
          absl::StrCat(what, " authentication failed (srtp_err_status_auth_fail)"));
    case srtp_err_status_replay_fail:
      // RFC 3711 §3.3.2: the index is inside the window and already seen.
      ++stats_.replay_drops;
      return absl::AlreadyExistsError(
          absl::StrCat(what, " replayed packet (srtp_err_status_replay_fail)"));
    case srtp_err_status_replay_old:
      // RFC 3711 §3.3.2: the index is left of the window; it cannot be told
      // from a replay, so it is dropped as one.
      ++stats_.replay_drops;
      return absl::AlreadyExistsError(
          absl::StrCat(what, " packet older than the replay window (srtp_err_status_replay_old)"));
    case srtp_err_status_bad_param:
    case srtp_err_status_parse_err:
      ++stats_.other_errors;
      return absl::InvalidArgumentError(
          absl::StrCat("malformed ", what, " packet (", Describe(status), ")"));
    default:
      ++stats_.other_errors;
      return absl::InvalidArgumentError(
          absl::StrCat(what, " unprotect failed (", Describe(status), ")"));
  }
}

absl::StatusOr<uint32_t> SrtpSession::OutboundRoc(uint32_t ssrc) const {
  uint32_t roc = 0;
  if (srtp_get_stream_roc(contexts_->outbound, ssrc, &roc) != srtp_err_status_ok) {
    return absl::NotFoundError(absl::StrCat("no outbound SRTP stream for SSRC ", ssrc));
  }
  return roc;
}

absl::StatusOr<uint32_t> SrtpSession::InboundRoc(uint32_t ssrc) const {
  uint32_t roc = 0;
  if (srtp_get_stream_roc(contexts_->inbound, ssrc, &roc) != srtp_err_status_ok) {
    return absl::NotFoundError(absl::StrCat("no inbound SRTP stream for SSRC ", ssrc));
  }
  return roc;
}

}  // namespace rtcsim::srtp
