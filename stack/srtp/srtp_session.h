// An SRTP/SRTCP session (RFC 3711, RFC 7714) keyed by DTLS-SRTP (RFC 5764):
// libsrtp2 does the framing, key derivation, rollover counters and replay
// protection, with OpenSSL doing the crypto (openssl_crypto.h).
//
//   auto keys = dtls.srtp_keying_material();            // once connected
//   auto session = SrtpSession::Create(*keys);
//   std::vector<uint8_t> packet = ...;                  // plain RTP
//   RETURN_IF_ERROR((*session)->ProtectRtp(packet));    // now SRTP
//   ...
//   if (!(*session)->UnprotectRtp(received).ok()) drop; // counted in stats()
//
// A session holds two libsrtp2 contexts, one per direction, because
// DTLS-SRTP keys each direction separately (RFC 5764 §4.2): the outbound
// one with the local master key/salt, matching any SSRC we send, and the
// inbound one with the remote key/salt, matching any SSRC we receive. Each
// SSRC gets its own cryptographic context (RFC 3711 §3.2.3) cloned from
// these templates on first use.
//
// No clock, socket, thread or randomness of its own. Not thread-safe.
#ifndef RTCSIM_STACK_SRTP_SRTP_SESSION_H_
#define RTCSIM_STACK_SRTP_SRTP_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/dtls/dtls_transport.h"

namespace rtcsim::srtp {

struct SrtpSessionConfig {
  // RFC 3711 §3.3.2: the receiver keeps a sliding replay window of at least
  // 64 packets. 1024 tolerates the reordering of bursty video over a
  // congested path (libsrtp2's own default is 128); libsrtp2 accepts
  // 64..32768. SRTCP uses libsrtp2's fixed 128-packet window.
  int replay_window_size = 1024;
};

struct SrtpSessionStats {
  uint64_t rtp_protected = 0;
  uint64_t rtcp_protected = 0;
  uint64_t rtp_unprotected = 0;  // accepted: authentic, not replayed
  uint64_t rtcp_unprotected = 0;
  // Dropped because the authentication tag did not verify (RFC 3711 §3.3
  // step 5, RFC 7714 §9.2): wrong key, tampering, corruption.
  uint64_t auth_failures = 0;
  // Dropped by the replay check (RFC 3711 §3.3.2): the index was already
  // seen, or is older than the window.
  uint64_t replay_drops = 0;
  // Anything else: truncated or malformed packets, failed protection.
  uint64_t other_errors = 0;
};

class SrtpSession {
 public:
  // InvalidArgument if the key or salt lengths do not match the profile
  // (RFC 5764 §4.1.2, RFC 7714 §12) or the replay window is out of range;
  // Internal if libsrtp2 or the OpenSSL crypto cannot be set up.
  static absl::StatusOr<std::unique_ptr<SrtpSession>> Create(const dtls::SrtpKeyingMaterial& keys,
                                                             SrtpSessionConfig config = {});
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place: `packet` holds one RTP (RTCP) packet and is grown by the
  // authentication tag (and, for SRTCP, the E flag + index word, RFC 3711
  // §3.4). On error `packet` keeps its original size; its contents are
  // unspecified if libsrtp2 failed after it started encrypting.
  absl::Status ProtectRtp(std::vector<uint8_t>& packet);
  absl::Status ProtectRtcp(std::vector<uint8_t>& packet);

  // In place: `packet` holds one SRTP (SRTCP) packet and becomes the
  // plaintext on success. On error the contents of `packet` are
  // unspecified (AEAD decrypts before it verifies) and the drop is counted:
  //   Unauthenticated  "SRTP authentication failed (srtp_err_status_auth_fail)"
  //   AlreadyExists    "replayed packet (srtp_err_status_replay_fail)" or
  //                    "packet older than the replay window (..._replay_old)"
  //   OutOfRange       truncated
  //   InvalidArgument  malformed header
  absl::Status UnprotectRtp(std::vector<uint8_t>& packet);
  absl::Status UnprotectRtcp(std::vector<uint8_t>& packet);

  // The rollover counter (RFC 3711 §3.3.1) libsrtp2 keeps for `ssrc` in
  // each direction; with the last sequence number it gives the extended
  // sequence number. NotFound if no packet of that SSRC went through yet.
  absl::StatusOr<uint32_t> OutboundRoc(uint32_t ssrc) const;
  absl::StatusOr<uint32_t> InboundRoc(uint32_t ssrc) const;

  dtls::SrtpProfile profile() const { return profile_; }
  const SrtpSessionStats& stats() const { return stats_; }

 private:
  struct Contexts;
  SrtpSession(dtls::SrtpProfile profile, std::unique_ptr<Contexts> contexts);

  absl::Status Unprotect(std::vector<uint8_t>& packet, bool rtcp);
  absl::Status Protect(std::vector<uint8_t>& packet, bool rtcp);

  dtls::SrtpProfile profile_;
  std::unique_ptr<Contexts> contexts_;
  SrtpSessionStats stats_;
};

}  // namespace rtcsim::srtp

#endif  // RTCSIM_STACK_SRTP_SRTP_SESSION_H_
