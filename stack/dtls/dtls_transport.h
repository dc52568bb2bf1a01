// A DTLS 1.2 transport (RFC 6347) for DTLS-SRTP (RFC 5764, RFC 8842) and
// SCTP over DTLS (RFC 8261), on OpenSSL, owning no socket: the owner feeds
// it received datagrams and gives it a function that sends one.
//
//   auto cert = DtlsCertificate::Generate(env);
//   DtlsTransportConfig config;
//   config.role = *ResolveDtlsRole(local_setup, remote_setup, is_offerer);
//   config.certificate = *cert;
//   config.remote_fingerprints = {*Fingerprint::Parse("sha-256 AB:...")};
//   auto dtls = DtlsTransport::Create(env, config,
//       [&](absl::Span<const uint8_t> p) { return ice.Send(p); }, callbacks);
//   (*dtls)->Start();
//   // in the ICE agent's on_data: if (LooksLikeDtls(p)) dtls->HandlePacket(p);
//
// See dtls_over_ice.h for that wiring, and dtls_transport.cc for the design
// (BIO, timers, determinism, fingerprint checks).
#ifndef RTCSIM_STACK_DTLS_DTLS_TRANSPORT_H_
#define RTCSIM_STACK_DTLS_DTLS_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_role.h"
#include "stack/dtls/fingerprint.h"
#include "stack/env/env.h"

namespace rtcsim::dtls {

// W3C RTCDtlsTransportState.
enum class DtlsTransportState { kNew, kConnecting, kConnected, kClosed, kFailed };
std::string ToString(DtlsTransportState state);

// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2), by their
// use_srtp identifiers.
enum class SrtpProfile : uint16_t {
  kAes128CmSha1_80 = 0x0001,
  kAes128CmSha1_32 = 0x0002,
  kAeadAes128Gcm = 0x0007,
  kAeadAes256Gcm = 0x0008,
};
// The registry names, which OpenSSL also uses: "SRTP_AES128_CM_SHA1_80",
// "SRTP_AEAD_AES_128_GCM", ...
std::string ToString(SrtpProfile profile);
// Master key and master salt lengths in bytes: RFC 5764 §4.1.2 (CM: 16/14),
// RFC 7714 §12 (GCM: 16 or 32 / 12).
size_t SrtpKeyLength(SrtpProfile profile);
size_t SrtpSaltLength(SrtpProfile profile);

// SRTP master keys and salts from the RFC 5764 §4.2 exporter, oriented by
// role: "local" protects what this endpoint sends (client_write_* for the
// DTLS client, server_write_* for the server), "remote" what it receives.
struct SrtpKeyingMaterial {
  SrtpProfile profile = SrtpProfile::kAeadAes128Gcm;
  std::vector<uint8_t> local_key;
  std::vector<uint8_t> local_salt;
  std::vector<uint8_t> remote_key;
  std::vector<uint8_t> remote_salt;
};

struct DtlsTransportConfig {
  DtlsRole role = DtlsRole::kClient;
  std::shared_ptr<const DtlsCertificate> certificate;  // required
  // The peer's a=fingerprint values (RFC 8122 §5). May be empty at Create:
  // the offerer may receive a ClientHello before the answer (RFC 8842 §5.2);
  // the handshake then runs, but the transport stays "connecting" and passes
  // no data up until SetRemoteFingerprints() verifies the certificate.
  std::vector<Fingerprint> remote_fingerprints;
  // use_srtp profiles in preference order. The server's order decides
  // (RFC 5764 §4.1.1: the server picks one of the client's). Empty: no
  // use_srtp extension (a data-channel-only association).
  std::vector<SrtpProfile> srtp_profiles = {SrtpProfile::kAeadAes128Gcm,
                                            SrtpProfile::kAes128CmSha1_80};
  // Path MTU in IP-packet bytes; DTLS datagrams are kept to mtu -
  // packet_overhead bytes (RFC 6347 §4.1.1.1). The default overhead, 48, is
  // an IPv6 + UDP header, so the limit holds for either family; add what a
  // TURN relay adds (36 for a Send indication, 4 for ChannelData).
  int mtu = 1200;
  int packet_overhead = 48;
  // RFC 6347 §4.2.4.1: the retransmission timer starts at 1 s and doubles
  // on each expiry, up to at least 60 s.
  TimeDelta initial_retransmit_timeout = TimeDelta::Seconds(1);
  TimeDelta max_retransmit_timeout = TimeDelta::Seconds(60);
  // Receives NSS key log lines ("CLIENT_RANDOM <hex> <hex>") so captures
  // can be decrypted (tshark -o tls.keylog_file:...). Optional.
  std::function<void(absl::string_view line)> key_log;
  // Names the random stream (Env::CreateRandom). Transports sharing one
  // Env need distinct names.
  std::string name = "dtls";
};

struct DtlsTransportStats {
  uint64_t packets_sent = 0;  // datagrams handed to the send function
  uint64_t bytes_sent = 0;
  uint64_t packets_received = 0;  // datagrams given to HandlePacket
  uint64_t bytes_received = 0;
  // Retransmission timer expiries handled; each resent the last flight
  // (RFC 6347 §4.2.4).
  uint64_t retransmissions = 0;
  // Datagrams dropped before OpenSSL saw them: not DTLS (RFC 7983) or with
  // broken record framing (RFC 6347 §4.1.2.7: invalid records are silently
  // discarded).
  uint64_t records_dropped = 0;
  uint64_t packets_ignored = 0;  // received once closed or failed
  uint64_t alerts_sent = 0;
  uint64_t alerts_received = 0;
  uint64_t messages_sent = 0;  // application data
  uint64_t messages_received = 0;
  // Application data received before the remote fingerprint was verified
  // (RFC 8842 §5.2: it comes from an unverified source); dropped.
  uint64_t unverified_messages_dropped = 0;
  uint64_t send_errors = 0;  // the send function returned an error
  // The timer fired but OpenSSL's clock said it had not expired (a sign that
  // a simulation binary lacks //simnet/interpose:libc_time_interpose).
  uint64_t early_timer_fires = 0;
  // Times OpenSSL fell back to a smaller datagram limit after unanswered
  // retransmissions (RFC 6347 §4.1.1.1).
  uint64_t mtu_backoffs = 0;
  // From Start() to the end of the handshake, on the Env's clock.
  TimeDelta handshake_duration = TimeDelta::Zero();
};

class DtlsTransport {
 public:
  // Sends one datagram. Errors are counted (stats().send_errors) and treated
  // as loss; retransmission recovers.
  using SendFunction = std::function<absl::Status(absl::Span<const uint8_t>)>;
  struct Callbacks {
    std::function<void(DtlsTransportState)> on_state;
    // Application data; the span is valid only during the call.
    std::function<void(absl::Span<const uint8_t>)> on_data;
  };

  // InvalidArgument for a bad config (no certificate, MTU too small or too
  // large, unsupported fingerprint hash, timeouts out of order).
  static absl::StatusOr<std::unique_ptr<DtlsTransport>> Create(Env& env, DtlsTransportConfig config,
                                                               SendFunction send,
                                                               Callbacks callbacks);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  // Starts the handshake: the client sends its ClientHello, the server
  // waits for one. Datagrams received before Start() are kept (up to 16)
  // and processed now. FailedPrecondition unless the state is "new".
  absl::Status Start();

  // The peer's fingerprints, when they arrive after Create (see the config).
  // If the handshake already finished, verifies the peer's certificate now:
  // connected on a match, failed on a mismatch (with a close_notify to the
  // peer: OpenSSL offers no way to send bad_certificate once the handshake
  // is over). InvalidArgument for an empty list or an unusable hash.
  absl::Status SetRemoteFingerprints(std::vector<Fingerprint> fingerprints);

  // A datagram from the peer. Anything not DTLS (RFC 7983) or with broken
  // record framing is dropped and counted. Safe to call re-entrantly (e.g.
  // from a send function that delivers synchronously): such datagrams are
  // queued and processed once the current one is done.
  void HandlePacket(absl::Span<const uint8_t> datagram);

  // Sends application data as one DTLS record (datagram semantics: never
  // fragmented). FailedPrecondition unless connected; InvalidArgument if
  // larger than max_application_data_size().
  absl::Status Send(absl::Span<const uint8_t> data);

  // Sends close_notify (RFC 5246 §7.2.1) if the handshake started, and
  // moves to "closed". Idempotent. The transport must not be destroyed from
  // inside its own callbacks; Close() may be called from them.
  void Close();

  DtlsTransportState state() const;
  // Why the transport failed (or closed on a received close_notify); OK
  // otherwise. E.g. "remote certificate fingerprint mismatch: expected
  // sha-256 AB:..., got sha-256 CD:...", "received fatal alert: bad
  // certificate", "handshake timed out after 12 retransmissions".
  const absl::Status& error() const;
  DtlsRole role() const;
  const DtlsTransportStats& stats() const;
  // Once connected with use_srtp negotiated.
  std::optional<SrtpKeyingMaterial> srtp_keying_material() const;
  // The certificate the peer presented (DER), once it did.
  std::optional<std::vector<uint8_t>> remote_certificate_der() const;
  // e.g. "ECDHE-ECDSA-AES128-GCM-SHA256", once connected.
  std::string cipher_suite() const;
  // Largest Send() payload: the datagram limit minus record overhead for the
  // negotiated cipher (0 before the handshake completes).
  size_t max_application_data_size() const;
  // Largest datagram this transport sends: mtu - packet_overhead.
  size_t max_datagram_size() const;

 private:
  class Impl;
  explicit DtlsTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_DTLS_TRANSPORT_H_
