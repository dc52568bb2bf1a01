// A WebRTC PeerConnection in the W3C shape (webrtc-pc §4): JSEP signalling
// (stack/jsep) over one bundled transport, IceAgent → DtlsTransport →
// SCTP data channels, as libdatachannel chains its transports.
//
// The W3C API is asynchronous (promises, events); here every call runs to
// completion on the Env's thread and returns a Status, and events are
// callbacks on that thread. Callbacks may call back into the
// PeerConnection, but must not destroy it; post a task to do that.
//
// Transports are created when they can be: the IceAgent with the first
// offer (created or received: the offerer is ICE-controlling, RFC 8445
// §6.1.1), gathering with the first setLocalDescription (W3C), the DTLS
// transport once the answer fixes the DTLS role (RFC 8842 §5), the SCTP
// association once DTLS is connected and the data section is negotiated
// (RFC 8841). A DTLS ClientHello that arrives before our answer is applied
// (the answerer's ICE may finish first) is held and replayed.
//
// Example (two peers, signalling elided):
//   auto a = *PeerConnection::Create(env_a, {.name = "a"}, callbacks_a);
//   auto ch = *a->CreateDataChannel("chat");
//   auto offer = *a->CreateOffer();
//   a->SetLocalDescription(offer);   // starts gathering; candidates trickle
//   ... b->SetRemoteDescription(offer); b->SetLocalDescription(*b->CreateAnswer());
//   ... a->SetRemoteDescription(answer);
#ifndef RTCSIM_STACK_PC_PEER_CONNECTION_H_
#define RTCSIM_STACK_PC_PEER_CONNECTION_H_

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
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/env/env.h"
#include "stack/env/socket_address.h"
#include "stack/ice/ice_agent.h"
#include "stack/jsep/jsep_session.h"
#include "stack/pc/connection_state.h"
#include "stack/pc/rtc_stats.h"
#include "stack/sctp/data_channel.h"
#include "stack/sctp/sctp_association.h"

namespace rtcsim::pc {

using jsep::SdpType;
using jsep::SignalingState;

// W3C RTCSessionDescriptionInit.
struct SessionDescription {
  SdpType type = SdpType::kOffer;
  std::string sdp;
};

// W3C RTCIceCandidateInit. An empty `candidate` is end-of-candidates.
struct IceCandidate {
  std::string candidate;  // "candidate:..." (no "a=")
  std::optional<std::string> sdp_mid;
  std::optional<size_t> sdp_mline_index;
  std::optional<std::string> username_fragment;
};

struct PeerConnectionConfig {
  // W3C RTCConfiguration.
  std::vector<ice::IceServer> ice_servers;
  ice::IceTransportPolicy ice_transport_policy = ice::IceTransportPolicy::kAll;
  // Null: generate an ECDSA P-256 certificate from the Env's random stream.
  std::shared_ptr<const dtls::DtlsCertificate> certificate;

  // Local addresses to gather on; empty means the Env's default address.
  std::vector<IpAddress> local_addresses;
  // Names this PeerConnection's random streams (ICE credentials, DTLS, SCTP,
  // SSRCs, the SDP session id). PeerConnections sharing an Env need
  // distinct names.
  std::string name = "pc";
  // ICE timing and policy knobs; role, servers, policy, addresses and name
  // are set by the PeerConnection.
  ice::IceAgentConfig ice;
  // DTLS path MTU (see DtlsTransportConfig::mtu).
  int dtls_mtu = 1200;
  // What we offer as a=max-message-size and accept (RFC 8841 §6.1).
  size_t max_message_size = 256 * 1024;
  // NSS key log lines for Wireshark/tshark, if set.
  std::function<void(absl::string_view)> dtls_key_log;
};

struct OfferOptions {
  // W3C RTCOfferOptions.iceRestart (also set by RestartIce()).
  bool ice_restart = false;
};

// W3C event handlers.
struct PeerConnectionCallbacks {
  // onicecandidate: a gathered candidate, then one with an empty
  // `candidate` at the end of gathering (W3C "null candidate").
  std::function<void(const IceCandidate&)> on_ice_candidate;
  std::function<void(ice::IceGatheringState)> on_ice_gathering_state;
  std::function<void(SignalingState)> on_signaling_state;
  std::function<void(ice::IceConnectionState)> on_ice_connection_state;
  std::function<void(PeerConnectionState)> on_connection_state;
  // ondatachannel: a channel the peer opened in-band, already open.
  std::function<void(std::shared_ptr<sctp::DataChannel>)> on_data_channel;
  // onnegotiationneeded (posted, fired when stable).
  std::function<void()> on_negotiation_needed;
};

// Counters the W3C stats do not carry, for tests and summaries.
struct PeerConnectionCounters {
  uint64_t early_dtls_packets_held = 0;     // DTLS before our DTLS transport existed
  uint64_t early_dtls_packets_dropped = 0;  // beyond the hold limit
  uint64_t remote_candidates_added = 0;
  uint64_t remote_candidates_rejected = 0;
  uint64_t non_dtls_packets_dropped = 0;  // SRTP/other with no media transport yet
  uint64_t sctp_start_failures = 0;       // DataChannelManager::Start refused
};

class PeerConnection {
 public:
  // InvalidArgument for a bad configuration (e.g. TURN server without
  // credentials); certificate generation errors pass through.
  static absl::StatusOr<std::unique_ptr<PeerConnection>> Create(Env& env,
                                                                PeerConnectionConfig config,
                                                                PeerConnectionCallbacks callbacks);
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  // JSEP (RFC 9429 §4.1.8–4.1.10). State errors are FailedPrecondition
  // "InvalidStateError: ..."; bad SDP is InvalidArgument with the line.
  absl::StatusOr<SessionDescription> CreateOffer(const OfferOptions& options = {});
  absl::StatusOr<SessionDescription> CreateAnswer();
  absl::Status SetLocalDescription(const SessionDescription& description);
  // W3C parameterless setLocalDescription(): creates the offer or answer the
  // signaling state calls for and applies it.
  absl::Status SetLocalDescription();
  absl::Status SetRemoteDescription(const SessionDescription& description);
  // W3C addIceCandidate (trickle, RFC 8838). Candidates the ICE agent
  // cannot use (e.g. TCP) are counted and ignored, as browsers do; a
  // malformed line, an unknown mid or a wrong ufrag is InvalidArgument.
  absl::Status AddIceCandidate(const IceCandidate& candidate);
  // W3C restartIce(): the next offer carries new ICE credentials.
  void RestartIce();

  // W3C createDataChannel. The first one makes negotiation needed (an
  // m=application section). Errors: InvalidArgument for bad options (both
  // partial-reliability limits, a negotiated channel without an id),
  // FailedPrecondition once closed.
  absl::StatusOr<std::shared_ptr<sctp::DataChannel>> CreateDataChannel(
      std::string label, sctp::DataChannelInit init = {});
  // W3C addTransceiver (negotiation only in this version: m-sections with
  // our codecs are offered and answered; no media flows). Returns the index
  // into transceivers().
  absl::StatusOr<size_t> AddTransceiver(jsep::MediaKind kind,
                                        sdp::Direction direction = sdp::Direction::kSendRecv);
  const std::vector<jsep::Transceiver>& transceivers() const;

  // W3C close(): closes channels, the association, DTLS (close_notify) and
  // ICE; states become closed without further callbacks.
  void Close();

  // W3C getStats(): peer-connection, transport, candidate-pair,
  // local-candidate, remote-candidate, certificate and data-channel
  // objects with webrtc-stats member names.
  RtcStatsReport GetStats() const;

  SignalingState signaling_state() const;
  ice::IceGatheringState ice_gathering_state() const;
  ice::IceConnectionState ice_connection_state() const;
  PeerConnectionState connection_state() const;
  std::optional<SessionDescription> local_description() const;
  std::optional<SessionDescription> remote_description() const;
  std::optional<SessionDescription> current_local_description() const;
  std::optional<SessionDescription> pending_local_description() const;
  std::optional<SessionDescription> current_remote_description() const;
  std::optional<SessionDescription> pending_remote_description() const;

  // Below the W3C surface, for tests, tools and summaries.
  const dtls::DtlsCertificate& certificate() const;
  std::optional<ice::CandidatePairInfo> selected_candidate_pair() const;
  // Null until the transport exists.
  const ice::IceAgentStats* ice_stats() const;
  const dtls::DtlsTransportStats* dtls_stats() const;
  const sctp::SctpStats* sctp_stats() const;
  const sctp::DataChannelStats* data_channel_stats() const;
  const PeerConnectionCounters& counters() const;
  // When the connection state first became connected (Env clock).
  std::optional<Timestamp> connected_at() const;

  class Impl;

 private:
  explicit PeerConnection(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rtcsim::pc

#endif  // RTCSIM_STACK_PC_PEER_CONNECTION_H_
