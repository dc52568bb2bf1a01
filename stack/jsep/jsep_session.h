// JSEP offer/answer (RFC 9429, RFC 3264) for one PeerConnection, as pure
// session logic: it builds and checks SDP and keeps the signaling state, and
// owns no socket, clock or transport. The PeerConnection (stack/pc) feeds it
// what its transports know (ICE credentials, certificate fingerprint,
// gathered candidates) and acts on what applying a description returns.
//
// What it supports, as a browser does:
//   - unified plan: one m-section per transceiver, each with a=mid; at most
//     one m=application section for data channels (RFC 8841);
//   - max-bundle: every m-section in one BUNDLE group on one transport
//     (RFC 8843), offered with a=group:BUNDLE and the same ICE/DTLS
//     parameters in each section, rtcp-mux always (RFC 5761, RFC 8858);
//   - answers that reject (port 0) m-sections it cannot use: an unknown
//     media type, a protocol other than UDP/TLS/RTP/SAVPF or UDP/DTLS/SCTP,
//     no codec in common, a second data section (RFC 3264 §6, RFC 9429
//     §5.3.1);
//   - answer directions per RFC 3264 §6.1 / RFC 9429 §5.3.1;
//   - rollback (RFC 9429 §4.1.10.2), pranswer, renegotiation that adds an
//     m-section (a data channel or a transceiver) later, ICE restart.
//
// Errors are InvalidArgument for a bad description (naming what and, for
// SDP syntax, the line) and InvalidStateError-like FailedPrecondition for a
// call not allowed in the current signaling state (W3C names in the text).
#ifndef RTCSIM_STACK_JSEP_JSEP_SESSION_H_
#define RTCSIM_STACK_JSEP_JSEP_SESSION_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/dtls/dtls_role.h"
#include "stack/dtls/fingerprint.h"
#include "stack/ice/candidate.h"
#include "stack/sdp/attributes.h"
#include "stack/sdp/session_description.h"

namespace rtcsim::jsep {

// W3C RTCSdpType.
enum class SdpType { kOffer, kPranswer, kAnswer, kRollback };
std::string ToString(SdpType type);  // "offer", "pranswer", "answer", "rollback"
absl::StatusOr<SdpType> ParseSdpType(absl::string_view text);

// W3C RTCSignalingState.
enum class SignalingState {
  kStable,
  kHaveLocalOffer,
  kHaveRemoteOffer,
  kHaveLocalPranswer,
  kHaveRemotePranswer,
  kClosed,
};
std::string ToString(SignalingState state);  // "stable", "have-local-offer", ...

enum class MediaKind { kAudio, kVideo, kApplication };
std::string ToString(MediaKind kind);  // the SDP media name

// A codec this endpoint supports, in preference order.
struct Codec {
  uint8_t payload_type = 0;
  std::string name;  // "opus", "VP8"
  uint32_t clock_rate = 0;
  uint8_t channels = 0;              // audio only; 0 omits the encoding parameter
  std::string fmtp;                  // verbatim parameters, empty for none
  std::vector<std::string> rtcp_fb;  // "nack", "nack pli", "transport-cc"

  bool operator==(const Codec&) const = default;
};
// opus/48000/2 on PT 111 (RFC 7587); VP8/90000 on PT 96 (RFC 7741).
std::vector<Codec> DefaultAudioCodecs();
std::vector<Codec> DefaultVideoCodecs();

// W3C RTCRtpTransceiver, as far as negotiation sees it.
struct Transceiver {
  MediaKind kind = MediaKind::kAudio;
  sdp::Direction direction = sdp::Direction::kSendRecv;  // what the app wants
  // The direction negotiated for us (W3C currentDirection), set when an
  // answer is applied; nullopt before, kInactive once stopped or rejected.
  std::optional<sdp::Direction> current_direction;
  std::optional<std::string> mid;  // set when it gets an m-section
  bool stopped = false;
  // Codecs in common after the answer (the answerer's order); before, ours.
  std::vector<Codec> codecs;
  uint32_t ssrc = 0;  // what we send with (a=ssrc), drawn by the caller
};

// What this endpoint puts in its descriptions about the one (bundled)
// transport.
struct LocalTransportInfo {
  std::string ice_ufrag;
  std::string ice_pwd;
  dtls::Fingerprint fingerprint;
  // Candidates gathered so far and whether gathering is over: W3C
  // localDescription includes them (and a=end-of-candidates) once known.
  std::vector<ice::Candidate> candidates;
  bool gathering_complete = false;
};

// What the remote description says about the transport: the parameters of
// the BUNDLE-tagged m-section (RFC 8843 §7.3.1), or of the first accepted
// section when the peer does not bundle.
struct RemoteTransportInfo {
  std::string ice_ufrag;
  std::string ice_pwd;
  bool ice_lite = false;
  std::vector<std::string> ice_options;  // e.g. "trickle"
  std::vector<dtls::Fingerprint> fingerprints;
  dtls::DtlsSetup setup = dtls::DtlsSetup::kActpass;
  std::vector<ice::Candidate> candidates;  // those in the SDP itself
  bool end_of_candidates = false;
};

// The data section, once negotiated (both descriptions, not rejected).
struct SctpInfo {
  std::string mid;
  uint16_t local_port = 5000;
  uint16_t remote_port = 5000;  // RFC 8841 §5.1, 5000 when absent
  // RFC 8841 §6.1: what the peer can receive; absent means 64 KiB, 0 means
  // no limit. Our sends must stay within min(ours, this) — see
  // JsepConfig::max_message_size.
  uint64_t remote_max_message_size = 65536;
};

// What the PeerConnection must do after a description was applied.
struct AppliedDescription {
  // True after a remote description: `remote` holds its transport.
  bool has_remote = false;
  RemoteTransportInfo remote;
  // The remote ICE credentials differ from those applied before (RFC 8445
  // §9, RFC 9429 §5.10/§5.11): an ICE restart by the peer.
  bool remote_ice_restart = false;
  // Whether we are the offerer of the current (or pending) exchange:
  // the offerer is ICE-controlling (RFC 8445 §6.1.1), unless the peer is
  // ice-lite.
  bool is_offerer = false;
  // Known once an answer (or pranswer) is applied, either direction
  // (dtls::ResolveDtlsRole on our a=setup and theirs).
  std::optional<dtls::DtlsRole> dtls_role;
  // The data section, once an answer negotiated one.
  std::optional<SctpInfo> sctp;
  // True when the exchange is complete (signaling state back to stable).
  bool stable = false;
};

struct JsepConfig {
  // o= session id: a decimal string (up to 63 bits), drawn by the caller
  // so two runs with one seed give the same SDP (RFC 9429 §5.2.1).
  std::string session_id = "1";
  std::vector<Codec> audio_codecs = DefaultAudioCodecs();
  std::vector<Codec> video_codecs = DefaultVideoCodecs();
  uint16_t sctp_port = 5000;
  // a=max-message-size we offer (RFC 8841 §6.1).
  uint64_t max_message_size = 256 * 1024;
  std::string cname = "rtcsim";   // a=ssrc:<ssrc> cname:
  std::string msid_stream = "-";  // a=msid:<stream> <track>
  // Accept a remote data section in the pre-RFC 8841 form
  // "m=application <port> DTLS/SCTP <sctp-port>" + a=sctpmap (what aiortc
  // and older browsers offer), answering in the same form. Off: such a
  // section is rejected (port 0) like any unknown protocol.
  bool accept_legacy_dtls_sctp = true;
};

class JsepSession {
 public:
  explicit JsepSession(JsepConfig config);

  // W3C addTransceiver: an m-section in the next offer (negotiation needed).
  // `ssrc` is what we will send with. Returns the transceiver's index.
  size_t AddTransceiver(MediaKind kind, sdp::Direction direction, uint32_t ssrc);
  // W3C transceiver.direction = ...; negotiation needed if it changes.
  absl::Status SetDirection(size_t index, sdp::Direction direction);
  // W3C transceiver.stop(): port 0 in the next offer (RFC 9429 §4.2.5).
  absl::Status StopTransceiver(size_t index);
  // The first createDataChannel: the next offer gets m=application
  // (RFC 8841, RFC 9429 §5.2.1); a no-op once there is one.
  void EnableDataChannel();
  // W3C "negotiation needed": something the current descriptions lack.
  bool negotiation_needed() const;

  // RFC 9429 §5.2. FailedPrecondition unless stable or have-local-offer.
  // With `ice_restart` the caller passes new credentials in `transport`.
  absl::StatusOr<std::string> CreateOffer(const LocalTransportInfo& transport);
  // RFC 9429 §5.3. FailedPrecondition unless have-remote-offer or
  // have-local-pranswer. a=setup:active (RFC 5763 §5, RFC 8842 §5.3).
  absl::StatusOr<std::string> CreateAnswer(const LocalTransportInfo& transport);

  // RFC 9429 §5.5–5.7 and the W3C state table. `sdp` is ignored for
  // rollback. Offers/answers must be ones we created (the W3C rule that the
  // SDP must match the last createOffer/createAnswer; we check the ICE
  // credentials and the m-line count and kinds). Errors leave all state as
  // it was.
  absl::StatusOr<AppliedDescription> SetLocalDescription(SdpType type, absl::string_view sdp);
  // Checks the description (RFC 8866 syntax, then what JSEP needs: ICE
  // credentials and a fingerprint per used section, a=setup, a=mid, BUNDLE
  // consistency, rtcp-mux, m-line count and order against our offer for an
  // answer) and applies it. Errors leave all state as it was.
  absl::StatusOr<AppliedDescription> SetRemoteDescription(SdpType type, absl::string_view sdp);

  // W3C addIceCandidate: `candidate` is the "candidate:..." value (an empty
  // one is end-of-candidates, RFC 8838 §4.1.4.2). The m-section is picked by
  // `mid` or else `mline_index` (one of them required); `ufrag`, when given,
  // must match the remote description's (else it belongs to another ICE
  // generation). Needs a remote description. The candidate is added to the
  // remote description's text (W3C). Returns the parsed candidate, or
  // nullopt for end-of-candidates.
  absl::StatusOr<std::optional<ice::Candidate>> AddRemoteCandidate(
      absl::string_view candidate, std::optional<std::string> mid,
      std::optional<size_t> mline_index, std::optional<std::string> ufrag);
  // A gathered local candidate / the end of gathering, reflected in the
  // current and pending local descriptions (W3C localDescription).
  void AddLocalCandidate(const ice::Candidate& candidate);
  void SetLocalGatheringComplete();
  // The mid and m-line index a local candidate is signalled with (the
  // BUNDLE tag section): what onicecandidate reports.
  std::optional<std::pair<std::string, size_t>> CandidateTarget() const;

  // W3C close(): signaling state "closed", every later call fails.
  void Close();

  SignalingState signaling_state() const;
  // W3C localDescription / remoteDescription (pending if any, else current)
  // and the four explicit ones; serialised SDP.
  std::optional<std::string> local_description() const;
  std::optional<std::string> remote_description() const;
  std::optional<std::string> current_local_description() const;
  std::optional<std::string> pending_local_description() const;
  std::optional<std::string> current_remote_description() const;
  std::optional<std::string> pending_remote_description() const;
  const std::vector<Transceiver>& transceivers() const;
  // The negotiated data section, if any (same as the last AppliedDescription).
  std::optional<SctpInfo> sctp() const;

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;  // copyable snapshot state for rollback
};

}  // namespace rtcsim::jsep

#endif  // RTCSIM_STACK_JSEP_JSEP_SESSION_H_
