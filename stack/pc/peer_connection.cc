#include "stack/pc/peer_connection.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "stack/dtls/dtls_over_ice.h"
#include "stack/env/random.h"
#include "stack/env/status_macros.h"

namespace rtcsim::pc {
namespace {

// RFC 7983 §7: first byte 20..63 is DTLS.
bool IsDtls(absl::Span<const uint8_t> data) {
  return !data.empty() && data[0] >= 20 && data[0] <= 63;
}

// DTLS records that reach us before the DTLS transport exists (the peer's
// ICE finished first and its ClientHello arrived before our answer was
// applied); a flight is a handful of datagrams.
constexpr size_t kMaxEarlyDtlsPackets = 16;

std::string StateName(sctp::DataChannelState state) {
  switch (state) {
    case sctp::DataChannelState::kConnecting:
      return "connecting";
    case sctp::DataChannelState::kOpen:
      return "open";
    case sctp::DataChannelState::kClosing:
      return "closing";
    case sctp::DataChannelState::kClosed:
      return "closed";
  }
  return "closed";
}

std::string CandidateStatsId(const std::string& prefix, const ice::Candidate& c) {
  return absl::StrCat(prefix, c.address.ToString(), "_", ice::ToString(c.type));
}

}  // namespace

class PeerConnection::Impl {
 public:
  Impl(Env& env, PeerConnectionConfig config, PeerConnectionCallbacks callbacks,
       std::shared_ptr<const dtls::DtlsCertificate> certificate, jsep::JsepConfig jsep_config)
      : env_(env),
        config_(std::move(config)),
        callbacks_(std::move(callbacks)),
        certificate_(std::move(certificate)),
        random_(env.CreateRandom(config_.name + "-pc")),
        jsep_(std::move(jsep_config)) {}

  ~Impl() { *alive_ = false; }

  // --- JSEP --------------------------------------------------------------

  absl::StatusOr<SessionDescription> CreateOffer(const OfferOptions& options) {
    RETURN_IF_ERROR(CheckOpen("createOffer"));
    if (ice_ == nullptr) RETURN_IF_ERROR(CreateIceAgent(ice::IceRole::kControlling));
    // RFC 8445 §9 / RFC 9429 §5.2.2: a restart needs new credentials, and
    // they belong in this offer. Only meaningful once ICE has a peer.
    if ((options.ice_restart || restart_pending_) && has_remote_credentials_) {
      RETURN_IF_ERROR(ice_->RestartIce());
      restart_pending_ = false;
      gathering_reported_complete_ = false;
      SetGatheringState(ice_->gathering_state());
    }
    ASSIGN_OR_RETURN(std::string sdp, jsep_.CreateOffer(LocalTransport()));
    return SessionDescription{SdpType::kOffer, std::move(sdp)};
  }

  absl::StatusOr<SessionDescription> CreateAnswer() {
    RETURN_IF_ERROR(CheckOpen("createAnswer"));
    if (ice_ == nullptr) {
      return absl::FailedPreconditionError(
          "InvalidStateError: createAnswer needs a remote offer first");
    }
    ASSIGN_OR_RETURN(std::string sdp, jsep_.CreateAnswer(LocalTransport()));
    return SessionDescription{SdpType::kAnswer, std::move(sdp)};
  }

  absl::Status SetLocalDescription(const SessionDescription& description) {
    RETURN_IF_ERROR(CheckOpen("setLocalDescription"));
    if (description.type != SdpType::kRollback && ice_ == nullptr) {
      return absl::FailedPreconditionError(
          "InvalidStateError: setLocalDescription needs a description from createOffer or "
          "createAnswer");
    }
    ASSIGN_OR_RETURN(jsep::AppliedDescription applied,
                     jsep_.SetLocalDescription(description.type, description.sdp));
    // W3C: applying a local description starts gathering.
    if (ice_ != nullptr && !gathering_started_ && description.type != SdpType::kRollback) {
      gathering_started_ = true;
      RETURN_IF_ERROR(ice_->GatherCandidates());
      SetGatheringState(ice_->gathering_state());
    }
    if (description.type == SdpType::kAnswer) current_local_is_offer_ = false;
    RETURN_IF_ERROR(Apply(applied, /*remote_offer=*/false));
    AfterSignalingChange();
    return absl::OkStatus();
  }

  absl::Status SetLocalDescriptionImplicit() {
    RETURN_IF_ERROR(CheckOpen("setLocalDescription"));
    const SignalingState state = jsep_.signaling_state();
    absl::StatusOr<SessionDescription> description =
        (state == SignalingState::kHaveRemoteOffer || state == SignalingState::kHaveLocalPranswer)
            ? CreateAnswer()
            : CreateOffer({});
    if (!description.ok()) return description.status();
    return SetLocalDescription(*description);
  }

  absl::Status SetRemoteDescription(const SessionDescription& description) {
    RETURN_IF_ERROR(CheckOpen("setRemoteDescription"));
    if (description.type == SdpType::kOffer) {
      // The answerer is ICE-controlled (RFC 8445 §6.1.1). An agent made for
      // an offer we rolled back, and not yet gathering, is remade.
      if (ice_ != nullptr && !gathering_started_ && ice_->role() != ice::IceRole::kControlled) {
        ice_.reset();
      }
      if (ice_ == nullptr) RETURN_IF_ERROR(CreateIceAgent(ice::IceRole::kControlled));
    } else if (description.type != SdpType::kRollback && ice_ == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("InvalidStateError: cannot set remote ", jsep::ToString(description.type),
                       " in state ", jsep::ToString(jsep_.signaling_state())));
    }
    ASSIGN_OR_RETURN(jsep::AppliedDescription applied,
                     jsep_.SetRemoteDescription(description.type, description.sdp));
    if (description.type == SdpType::kAnswer) current_local_is_offer_ = true;
    RETURN_IF_ERROR(Apply(applied, /*remote_offer=*/description.type == SdpType::kOffer));
    AfterSignalingChange();
    return absl::OkStatus();
  }

  absl::Status AddIceCandidate(const IceCandidate& candidate) {
    RETURN_IF_ERROR(CheckOpen("addIceCandidate"));
    if (!candidate.sdp_mid.has_value() && !candidate.sdp_mline_index.has_value() &&
        !candidate.candidate.empty()) {
      return absl::InvalidArgumentError("TypeError: addIceCandidate needs sdpMid or sdpMLineIndex");
    }
    if (ice_ == nullptr || !jsep_.remote_description().has_value()) {
      return absl::FailedPreconditionError(
          "InvalidStateError: addIceCandidate before setRemoteDescription");
    }
    ASSIGN_OR_RETURN(
        std::optional<ice::Candidate> parsed,
        jsep_.AddRemoteCandidate(candidate.candidate, candidate.sdp_mid, candidate.sdp_mline_index,
                                 candidate.username_fragment));
    if (!parsed.has_value()) {
      ice_->AddRemoteEndOfCandidates();
      return absl::OkStatus();
    }
    if (ice_->AddRemoteCandidate(*parsed).ok()) {
      ++counters_.remote_candidates_added;
    } else {
      // A candidate we cannot use (TCP, another component) is not an error
      // for the application (webrtc-pc §4.4.1.5 leaves it to the agent).
      ++counters_.remote_candidates_rejected;
    }
    return absl::OkStatus();
  }

  void RestartIce() {
    if (closed_) return;
    restart_pending_ = true;
    QueueNegotiationNeeded();
  }

  absl::StatusOr<std::shared_ptr<sctp::DataChannel>> CreateDataChannel(std::string label,
                                                                       sctp::DataChannelInit init) {
    RETURN_IF_ERROR(CheckOpen("createDataChannel"));
    // webrtc-pc §6.1: a label or protocol over 65,535 bytes is a TypeError.
    if (label.size() > 65535 || init.protocol.size() > 65535) {
      return absl::InvalidArgumentError("TypeError: label or protocol longer than 65535 bytes");
    }
    RETURN_IF_ERROR(EnsureDataChannelManager());
    ASSIGN_OR_RETURN(std::shared_ptr<sctp::DataChannel> channel,
                     dcm_->CreateDataChannel(std::move(label), std::move(init)));
    all_channels_.push_back(channel);
    jsep_.EnableDataChannel();
    QueueNegotiationNeeded();
    return channel;
  }

  absl::StatusOr<size_t> AddTransceiver(jsep::MediaKind kind, sdp::Direction direction) {
    RETURN_IF_ERROR(CheckOpen("addTransceiver"));
    if (kind == jsep::MediaKind::kApplication) {
      return absl::InvalidArgumentError("TypeError: addTransceiver kind must be audio or video");
    }
    const size_t index = jsep_.AddTransceiver(kind, direction, random_.Next32());
    QueueNegotiationNeeded();
    return index;
  }

  void Close() {
    if (closed_) return;
    closed_ = true;  // from here on no callback reaches the application
    *alive_ = false;
    jsep_.Close();
    dcm_.reset();  // aborts the association; channels turn closed
    if (dtls_ != nullptr) dtls_->transport().Close();
    if (ice_ != nullptr) ice_->Close();
    connection_state_ = PeerConnectionState::kClosed;
  }

  // --- State ---------------------------------------------------------------

  ice::IceConnectionState ice_connection_state() const {
    if (closed_) return ice::IceConnectionState::kClosed;
    return ice_ == nullptr ? ice::IceConnectionState::kNew : ice_->state();
  }

  RtcStatsReport GetStats() const;

  Env& env_;
  PeerConnectionConfig config_;
  PeerConnectionCallbacks callbacks_;
  std::shared_ptr<const dtls::DtlsCertificate> certificate_;
  Random random_;
  jsep::JsepSession jsep_;
  std::unique_ptr<ice::IceAgent> ice_;
  std::unique_ptr<dtls::DtlsOverIce> dtls_;
  std::unique_ptr<sctp::DataChannelManager> dcm_;
  std::optional<jsep::SctpInfo> sctp_info_;
  std::optional<dtls::DtlsRole> dtls_role_;
  std::vector<std::vector<uint8_t>> early_dtls_;
  bool gathering_started_ = false;
  bool gathering_reported_complete_ = false;
  bool has_remote_credentials_ = false;
  bool restart_pending_ = false;
  bool negotiation_needed_queued_ = false;
  bool closed_ = false;
  ice::IceGatheringState gathering_state_ = ice::IceGatheringState::kNew;
  ice::IceConnectionState reported_ice_state_ = ice::IceConnectionState::kNew;
  PeerConnectionState connection_state_ = PeerConnectionState::kNew;
  SignalingState reported_signaling_state_ = SignalingState::kStable;
  std::optional<Timestamp> connected_at_;
  // Whether the current local description is our offer (W3C: the type the
  // current descriptions report).
  bool current_local_is_offer_ = false;
  PeerConnectionCounters counters_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

 private:
  absl::Status CheckOpen(absl::string_view what) const {
    if (closed_) {
      return absl::FailedPreconditionError(
          absl::StrCat("InvalidStateError: ", what, " on a closed RTCPeerConnection"));
    }
    return absl::OkStatus();
  }

  jsep::LocalTransportInfo LocalTransport() const {
    jsep::LocalTransportInfo info;
    info.ice_ufrag = ice_->local_credentials().ufrag;
    info.ice_pwd = ice_->local_credentials().pwd;
    info.fingerprint = certificate_->fingerprint();
    info.candidates = ice_->local_candidates();
    info.gathering_complete = ice_->gathering_state() == ice::IceGatheringState::kComplete;
    return info;
  }

  absl::Status CreateIceAgent(ice::IceRole role) {
    ice::IceAgentConfig ic = config_.ice;
    ic.role = role;
    ic.servers = config_.ice_servers;
    ic.policy = config_.ice_transport_policy;
    ic.local_addresses = config_.local_addresses;
    ic.name = config_.name + "-ice";
    ice::IceAgent::Callbacks cb;
    cb.on_candidate = [this](const ice::Candidate& c) { OnLocalCandidate(c); };
    cb.on_gathering_complete = [this] { OnGatheringComplete(); };
    cb.on_state = [this](ice::IceConnectionState state) { OnIceState(state); };
    cb.on_data = [this](absl::Span<const uint8_t> data) { OnIceData(data); };
    ice_ = std::make_unique<ice::IceAgent>(env_, std::move(ic), std::move(cb));
    gathering_started_ = false;
    has_remote_credentials_ = false;
    return absl::OkStatus();
  }

  absl::Status EnsureDataChannelManager() {
    if (dcm_ != nullptr) return absl::OkStatus();
    sctp::SctpConfig sc;
    sc.max_message_size = config_.max_message_size;
    // RFC 8261 §5: each SCTP packet is one DTLS record; leave room for the
    // record overhead within the DTLS datagram limit.
    ASSIGN_OR_RETURN(
        dcm_, sctp::DataChannelManager::Create(env_, sc, [this](absl::Span<const uint8_t> packet) {
          if (dtls_ == nullptr) {
            return absl::FailedPreconditionError("no DTLS transport");
          }
          return dtls_->transport().Send(packet);
        }));
    dcm_->set_on_data_channel([this](std::shared_ptr<sctp::DataChannel> channel) {
      all_channels_.push_back(channel);
      if (!closed_ && callbacks_.on_data_channel) callbacks_.on_data_channel(std::move(channel));
    });
    return absl::OkStatus();
  }

  // Acts on what JSEP says after a description was applied.
  absl::Status Apply(const jsep::AppliedDescription& applied, bool remote_offer) {
    if (applied.has_remote) {
      const jsep::RemoteTransportInfo& remote = applied.remote;
      remote_fingerprints_ = remote.fingerprints;
      if (remote_offer && applied.remote_ice_restart && has_remote_credentials_) {
        // RFC 8445 §9: when the peer's offer restarts ICE, we restart too;
        // our answer then carries new credentials. (New credentials in an
        // answer are the reply to our own restart.)
        RETURN_IF_ERROR(ice_->RestartIce());
        gathering_reported_complete_ = false;
        SetGatheringState(ice_->gathering_state());
      }
      if (applied.remote_ice_restart || !has_remote_credentials_) {
        ice_->SetRemoteCredentials({remote.ice_ufrag, remote.ice_pwd});
        has_remote_credentials_ = true;
        for (const ice::Candidate& c : remote.candidates) {
          if (ice_->AddRemoteCandidate(c).ok()) {
            ++counters_.remote_candidates_added;
          } else {
            ++counters_.remote_candidates_rejected;
          }
        }
        if (remote.end_of_candidates) ice_->AddRemoteEndOfCandidates();
      }
    }
    if (applied.sctp.has_value()) {
      sctp_info_ = applied.sctp;
      RETURN_IF_ERROR(EnsureDataChannelManager());
      dcm_->sctp()->SetRemoteMaxMessageSize(sctp_info_->remote_max_message_size);
    }
    if (applied.dtls_role.has_value() && dtls_ == nullptr) {
      dtls_role_ = applied.dtls_role;
      RETURN_IF_ERROR(CreateDtls(*applied.dtls_role, remote_fingerprints_));
    }
    return MaybeStartSctp();
  }

  absl::Status CreateDtls(dtls::DtlsRole role, std::vector<dtls::Fingerprint> fingerprints) {
    dtls::DtlsTransportConfig dc;
    dc.role = role;
    dc.certificate = certificate_;
    dc.remote_fingerprints = std::move(fingerprints);
    dc.mtu = config_.dtls_mtu;
    dc.key_log = config_.dtls_key_log;
    dc.name = config_.name + "-dtls";
    dtls::DtlsTransport::Callbacks cb;
    cb.on_state = [this](dtls::DtlsTransportState) {
      if (!MaybeStartSctp().ok()) ++counters_.sctp_start_failures;
      UpdateConnectionState();
    };
    cb.on_data = [this](absl::Span<const uint8_t> data) {
      if (dcm_ != nullptr) dcm_->sctp()->HandlePacket(data);
    };
    ASSIGN_OR_RETURN(dtls_, dtls::DtlsOverIce::Create(env_, *ice_, std::move(dc), std::move(cb)));
    // ICE may already be up (the answerer's checks finish before the answer
    // reaches the offerer).
    dtls_->HandleIceState(ice_->state());
    std::vector<std::vector<uint8_t>> early = std::move(early_dtls_);
    early_dtls_.clear();
    for (const auto& packet : early) dtls_->HandleIceData(packet);
    return absl::OkStatus();
  }

  absl::Status MaybeStartSctp() {
    if (closed_ || dcm_ == nullptr || dcm_->started() || !sctp_info_.has_value() ||
        dtls_ == nullptr || dtls_->transport().state() != dtls::DtlsTransportState::kConnected) {
      return absl::OkStatus();
    }
    // RFC 8832 §6: the DTLS client uses even stream ids.
    const sctp::SctpRole role =
        *dtls_role_ == dtls::DtlsRole::kClient ? sctp::SctpRole::kClient : sctp::SctpRole::kServer;
    return dcm_->Start(role, sctp_info_->remote_port);
  }

  // W3C: icecandidate events are queued tasks, so an application that
  // sends its description when setLocalDescription returns always sends it
  // before the candidates gathered meanwhile.
  void PostEvent(std::function<void()> event) {
    std::weak_ptr<bool> alive = alive_;
    env_.PostTask([this, alive, event = std::move(event)] {
      if (alive.expired() || !*alive.lock() || closed_) return;
      event();
    });
  }

  IceCandidate CandidateEvent(std::string line) const {
    IceCandidate out;
    out.candidate = std::move(line);
    if (auto target = jsep_.CandidateTarget(); target.has_value()) {
      out.sdp_mid = target->first;
      out.sdp_mline_index = target->second;
    }
    out.username_fragment = ice_->local_credentials().ufrag;
    return out;
  }

  void OnLocalCandidate(const ice::Candidate& candidate) {
    if (closed_) return;
    jsep_.AddLocalCandidate(candidate);
    IceCandidate event = CandidateEvent(ice::SerializeCandidate(candidate));
    PostEvent([this, event] {
      if (callbacks_.on_ice_candidate) callbacks_.on_ice_candidate(event);
    });
  }

  void OnGatheringComplete() {
    if (closed_ || gathering_reported_complete_) return;
    gathering_reported_complete_ = true;
    jsep_.SetLocalGatheringComplete();
    // W3C: the end of gathering is an icecandidate event with a null
    // candidate (RFC 8838 §4.1.4.2 end-of-candidates), after the state
    // change.
    IceCandidate end = CandidateEvent("");
    PostEvent([this, end] {
      SetGatheringState(ice::IceGatheringState::kComplete);
      if (callbacks_.on_ice_candidate) callbacks_.on_ice_candidate(end);
    });
  }

  void SetGatheringState(ice::IceGatheringState state) {
    if (state == gathering_state_ || closed_) return;
    gathering_state_ = state;
    if (callbacks_.on_ice_gathering_state) callbacks_.on_ice_gathering_state(state);
  }

  void OnIceState(ice::IceConnectionState state) {
    if (closed_) return;
    if (dtls_ != nullptr) dtls_->HandleIceState(state);
    if (state != reported_ice_state_) {
      reported_ice_state_ = state;
      if (callbacks_.on_ice_connection_state) callbacks_.on_ice_connection_state(state);
    }
    UpdateConnectionState();
  }

  void OnIceData(absl::Span<const uint8_t> data) {
    if (closed_) return;
    if (dtls_ != nullptr) {
      if (!dtls_->HandleIceData(data)) ++counters_.non_dtls_packets_dropped;
      return;
    }
    if (!IsDtls(data)) {
      ++counters_.non_dtls_packets_dropped;
    } else if (early_dtls_.size() < kMaxEarlyDtlsPackets) {
      early_dtls_.emplace_back(data.begin(), data.end());
      ++counters_.early_dtls_packets_held;
    } else {
      ++counters_.early_dtls_packets_dropped;
    }
  }

  void UpdateConnectionState() {
    if (closed_) return;
    const PeerConnectionState state = AggregateConnectionState(
        closed_, ice_connection_state(),
        dtls_ == nullptr ? std::nullopt : std::optional(dtls_->transport().state()));
    if (state == connection_state_) return;
    connection_state_ = state;
    if (state == PeerConnectionState::kConnected && !connected_at_.has_value()) {
      connected_at_ = env_.Now();
    }
    if (callbacks_.on_connection_state) callbacks_.on_connection_state(state);
  }

  void AfterSignalingChange() {
    const SignalingState state = jsep_.signaling_state();
    if (state != reported_signaling_state_) {
      reported_signaling_state_ = state;
      if (callbacks_.on_signaling_state && !closed_) callbacks_.on_signaling_state(state);
    }
    if (state == SignalingState::kStable) QueueNegotiationNeeded();
  }

  // webrtc-pc §4.7.3: "update the negotiation-needed flag" — fired from a
  // task, only when stable, once per need.
  void QueueNegotiationNeeded() {
    if (closed_ || negotiation_needed_queued_) return;
    negotiation_needed_queued_ = true;
    std::weak_ptr<bool> alive = alive_;
    env_.PostTask([this, alive] {
      if (alive.expired() || !*alive.lock()) return;
      negotiation_needed_queued_ = false;
      if (closed_ || jsep_.signaling_state() != SignalingState::kStable) return;
      if (!jsep_.negotiation_needed() && !restart_pending_) return;
      if (callbacks_.on_negotiation_needed) callbacks_.on_negotiation_needed();
    });
  }

  std::vector<dtls::Fingerprint> remote_fingerprints_;
  // Every channel of this connection, closed ones too: webrtc-stats keeps
  // reporting them.
  std::vector<std::shared_ptr<sctp::DataChannel>> all_channels_;
};

// --- Stats -------------------------------------------------------------------

RtcStatsReport PeerConnection::Impl::GetStats() const {
  RtcStatsReport report;
  const double now_ms = static_cast<double>(env_.Now().us()) / 1000.0;
  auto add = [&](std::string id, std::string type) -> RtcStats& {
    report.stats.push_back(RtcStats{std::move(id), std::move(type), now_ms, {}});
    return report.stats.back();
  };

  // webrtc-stats §8.19 RTCPeerConnectionStats.
  RtcStats& pcs = add("P", "peer-connection");
  const sctp::DataChannelStats* dc = dcm_ == nullptr ? nullptr : &dcm_->stats();
  pcs.Set("dataChannelsOpened", dc == nullptr ? uint64_t{0} : dc->channels_opened);
  pcs.Set("dataChannelsClosed", dc == nullptr ? uint64_t{0} : dc->channels_closed);

  // webrtc-stats §8.24 RTCCertificateStats, ours and the peer's.
  const std::string local_cert_id = "CF" + certificate_->fingerprint().HexDigest();
  {
    RtcStats& cert = add(local_cert_id, "certificate");
    cert.Set("fingerprint", certificate_->fingerprint().HexDigest());
    cert.Set("fingerprintAlgorithm", certificate_->fingerprint().algorithm);
    cert.Set("base64Certificate", absl::Base64Escape(std::string(certificate_->der().begin(),
                                                                 certificate_->der().end())));
  }
  std::string remote_cert_id;
  if (dtls_ != nullptr) {
    if (auto der = dtls_->transport().remote_certificate_der(); der.has_value()) {
      auto fp = dtls::Fingerprint::OfCertificate("sha-256", *der);
      if (fp.ok()) {
        remote_cert_id = "CF" + fp->HexDigest();
        RtcStats& cert = add(remote_cert_id, "certificate");
        cert.Set("fingerprint", fp->HexDigest());
        cert.Set("fingerprintAlgorithm", fp->algorithm);
        cert.Set("base64Certificate", absl::Base64Escape(std::string(der->begin(), der->end())));
      }
    }
  }

  // Candidates and pairs (webrtc-stats §8.21, §8.22).
  std::string selected_pair_id;
  if (ice_ != nullptr) {
    const std::optional<ice::CandidatePairInfo> selected = ice_->selected_pair();
    auto add_candidate = [&](const std::string& prefix, const ice::Candidate& c,
                             bool remote) -> std::string {
      const std::string id = CandidateStatsId(prefix, c);
      if (report.Get(id) != nullptr) return id;
      RtcStats& s = add(id, remote ? "remote-candidate" : "local-candidate");
      s.Set("transportId", std::string("T01"));
      s.Set("address", c.address.ip().ToString());
      s.Set("port", static_cast<int64_t>(c.address.port()));
      s.Set("protocol", c.transport);
      s.Set("candidateType", ice::ToString(c.type));
      s.Set("priority", static_cast<int64_t>(c.priority));
      s.Set("foundation", c.foundation);
      if (c.type != ice::CandidateType::kHost && c.related.port() != 0) {
        s.Set("relatedAddress", c.related.ip().ToString());
        s.Set("relatedPort", static_cast<int64_t>(c.related.port()));
      }
      return id;
    };
    for (const ice::Candidate& c : ice_->local_candidates()) add_candidate("I", c, false);
    for (const ice::CandidatePairInfo& pair : ice_->pairs()) {
      const std::string local_id = add_candidate("I", pair.local, false);
      const std::string remote_id = add_candidate("R", pair.remote, true);
      const std::string id = absl::StrCat("CP", local_id, "_", remote_id);
      if (report.Get(id) != nullptr) continue;
      RtcStats& s = add(id, "candidate-pair");
      s.Set("transportId", std::string("T01"));
      s.Set("localCandidateId", local_id);
      s.Set("remoteCandidateId", remote_id);
      s.Set("state", ice::ToString(pair.state));
      s.Set("nominated", pair.nominated);
      s.Set("priority", pair.priority);
      s.Set("currentRoundTripTime", static_cast<double>(pair.rtt.us()) / 1e6);
      if (selected.has_value() && selected->remote.address == pair.remote.address &&
          selected->local.base == pair.local.base) {
        selected_pair_id = id;
      }
    }
    if (selected.has_value() && selected_pair_id.empty()) {
      const std::string local_id = add_candidate("I", selected->local, false);
      const std::string remote_id = add_candidate("R", selected->remote, true);
      selected_pair_id = absl::StrCat("CP", local_id, "_", remote_id);
      RtcStats& s = add(selected_pair_id, "candidate-pair");
      s.Set("transportId", std::string("T01"));
      s.Set("localCandidateId", local_id);
      s.Set("remoteCandidateId", remote_id);
      s.Set("state", ice::ToString(selected->state));
      s.Set("nominated", selected->nominated);
      s.Set("priority", selected->priority);
      s.Set("currentRoundTripTime", static_cast<double>(selected->rtt.us()) / 1e6);
    }
  }

  // webrtc-stats §8.20 RTCTransportStats: the one bundled transport.
  {
    RtcStats& t = add("T01", "transport");
    const dtls::DtlsTransportStats* ds = dtls_ == nullptr ? nullptr : &dtls_->transport().stats();
    t.Set("packetsSent", ds == nullptr ? uint64_t{0} : ds->packets_sent);
    t.Set("packetsReceived", ds == nullptr ? uint64_t{0} : ds->packets_received);
    t.Set("bytesSent", ds == nullptr ? uint64_t{0} : ds->bytes_sent);
    t.Set("bytesReceived", ds == nullptr ? uint64_t{0} : ds->bytes_received);
    t.Set("iceState", ice::ToString(ice_connection_state()));
    t.Set("dtlsState",
          dtls_ == nullptr ? std::string("new") : dtls::ToString(dtls_->transport().state()));
    if (ice_ != nullptr) {
      t.Set("iceRole", ice::ToString(ice_->role()));
      t.Set("iceLocalUsernameFragment", ice_->local_credentials().ufrag);
      t.Set("selectedCandidatePairChanges", ice_->stats().selected_pair_changes);
    }
    if (!selected_pair_id.empty()) t.Set("selectedCandidatePairId", selected_pair_id);
    t.Set("localCertificateId", local_cert_id);
    if (!remote_cert_id.empty()) t.Set("remoteCertificateId", remote_cert_id);
    if (dtls_role_.has_value()) t.Set("dtlsRole", dtls::ToString(*dtls_role_));
    if (dtls_ != nullptr && dtls_->transport().state() == dtls::DtlsTransportState::kConnected) {
      t.Set("tlsVersion", std::string("FEFD"));  // DTLS 1.2
      t.Set("dtlsCipher", dtls_->transport().cipher_suite());
    }
  }

  // webrtc-stats §8.18 RTCDataChannelStats, one per channel ever opened.
  for (size_t i = 0; i < all_channels_.size(); ++i) {
    const sctp::DataChannel& ch = *all_channels_[i];
    RtcStats& s = add(absl::StrCat("D", i), "data-channel");
    s.Set("label", ch.label());
    s.Set("protocol", ch.protocol());
    if (ch.id().has_value()) s.Set("dataChannelIdentifier", static_cast<int64_t>(*ch.id()));
    s.Set("state", StateName(ch.state()));
    s.Set("messagesSent", ch.counters().messages_sent);
    s.Set("bytesSent", ch.counters().bytes_sent);
    s.Set("messagesReceived", ch.counters().messages_received);
    s.Set("bytesReceived", ch.counters().bytes_received);
  }
  return report;
}

// --- PeerConnection ----------------------------------------------------------

absl::StatusOr<std::unique_ptr<PeerConnection>> PeerConnection::Create(
    Env& env, PeerConnectionConfig config, PeerConnectionCallbacks callbacks) {
  for (const ice::IceServer& server : config.ice_servers) {
    if (server.type == ice::IceServer::Type::kTurn &&
        (server.username.empty() || server.password.empty())) {
      return absl::InvalidArgumentError(absl::StrCat("InvalidAccessError: TURN server ",
                                                     server.address.ToString(),
                                                     " needs a username and a credential"));
    }
  }
  if (config.max_message_size == 0) {
    return absl::InvalidArgumentError("max_message_size must be positive");
  }
  std::shared_ptr<const dtls::DtlsCertificate> certificate = config.certificate;
  if (certificate == nullptr) {
    ASSIGN_OR_RETURN(certificate,
                     dtls::DtlsCertificate::Generate(env, config.name + "-certificate"));
  }
  Random ids = env.CreateRandom(config.name + "-sdp");
  jsep::JsepConfig jc;
  // RFC 9429 §5.2.1: a 64-bit session id whose top bit is zero.
  jc.session_id = absl::StrCat(ids.Next64() >> 1);
  jc.max_message_size = config.max_message_size;
  jc.cname = absl::StrCat(config.name, "-", ids.Next32());
  auto impl = std::make_unique<Impl>(env, std::move(config), std::move(callbacks),
                                     std::move(certificate), std::move(jc));
  return absl::WrapUnique(new PeerConnection(std::move(impl)));
}

PeerConnection::PeerConnection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerConnection::~PeerConnection() = default;

absl::StatusOr<SessionDescription> PeerConnection::CreateOffer(const OfferOptions& options) {
  return impl_->CreateOffer(options);
}
absl::StatusOr<SessionDescription> PeerConnection::CreateAnswer() { return impl_->CreateAnswer(); }
absl::Status PeerConnection::SetLocalDescription(const SessionDescription& description) {
  return impl_->SetLocalDescription(description);
}
absl::Status PeerConnection::SetLocalDescription() { return impl_->SetLocalDescriptionImplicit(); }
absl::Status PeerConnection::SetRemoteDescription(const SessionDescription& description) {
  return impl_->SetRemoteDescription(description);
}
absl::Status PeerConnection::AddIceCandidate(const IceCandidate& candidate) {
  return impl_->AddIceCandidate(candidate);
}
void PeerConnection::RestartIce() { impl_->RestartIce(); }
absl::StatusOr<std::shared_ptr<sctp::DataChannel>> PeerConnection::CreateDataChannel(
    std::string label, sctp::DataChannelInit init) {
  return impl_->CreateDataChannel(std::move(label), std::move(init));
}
absl::StatusOr<size_t> PeerConnection::AddTransceiver(jsep::MediaKind kind,
                                                      sdp::Direction direction) {
  return impl_->AddTransceiver(kind, direction);
}
const std::vector<jsep::Transceiver>& PeerConnection::transceivers() const {
  return impl_->jsep_.transceivers();
}
void PeerConnection::Close() { impl_->Close(); }
RtcStatsReport PeerConnection::GetStats() const { return impl_->GetStats(); }

SignalingState PeerConnection::signaling_state() const { return impl_->jsep_.signaling_state(); }
ice::IceGatheringState PeerConnection::ice_gathering_state() const {
  return impl_->gathering_state_;
}
ice::IceConnectionState PeerConnection::ice_connection_state() const {
  return impl_->ice_connection_state();
}
PeerConnectionState PeerConnection::connection_state() const { return impl_->connection_state_; }

namespace {
std::optional<SessionDescription> Described(std::optional<std::string> sdp, SdpType type) {
  if (!sdp.has_value()) return std::nullopt;
  return SessionDescription{type, *std::move(sdp)};
}
}  // namespace

// W3C: pending descriptions are the offer or pranswer in flight; of the
// current pair, the offerer's local one is the offer and the remote one the
// answer, and the other way round for the answerer.
std::optional<SessionDescription> PeerConnection::local_description() const {
  if (auto p = pending_local_description(); p.has_value()) return p;
  return current_local_description();
}
std::optional<SessionDescription> PeerConnection::remote_description() const {
  if (auto p = pending_remote_description(); p.has_value()) return p;
  return current_remote_description();
}
std::optional<SessionDescription> PeerConnection::current_local_description() const {
  return Described(impl_->jsep_.current_local_description(),
                   impl_->current_local_is_offer_ ? SdpType::kOffer : SdpType::kAnswer);
}
std::optional<SessionDescription> PeerConnection::pending_local_description() const {
  const SignalingState s = impl_->jsep_.signaling_state();
  return Described(impl_->jsep_.pending_local_description(),
                   s == SignalingState::kHaveLocalPranswer ? SdpType::kPranswer : SdpType::kOffer);
}
std::optional<SessionDescription> PeerConnection::current_remote_description() const {
  return Described(impl_->jsep_.current_remote_description(),
                   impl_->current_local_is_offer_ ? SdpType::kAnswer : SdpType::kOffer);
}
std::optional<SessionDescription> PeerConnection::pending_remote_description() const {
  const SignalingState s = impl_->jsep_.signaling_state();
  return Described(impl_->jsep_.pending_remote_description(),
                   s == SignalingState::kHaveRemotePranswer ? SdpType::kPranswer : SdpType::kOffer);
}

const dtls::DtlsCertificate& PeerConnection::certificate() const { return *impl_->certificate_; }
std::optional<ice::CandidatePairInfo> PeerConnection::selected_candidate_pair() const {
  return impl_->ice_ == nullptr ? std::nullopt : impl_->ice_->selected_pair();
}
const ice::IceAgentStats* PeerConnection::ice_stats() const {
  return impl_->ice_ == nullptr ? nullptr : &impl_->ice_->stats();
}
const dtls::DtlsTransportStats* PeerConnection::dtls_stats() const {
  return impl_->dtls_ == nullptr ? nullptr : &impl_->dtls_->transport().stats();
}
const sctp::SctpStats* PeerConnection::sctp_stats() const {
  return impl_->dcm_ == nullptr ? nullptr : &impl_->dcm_->sctp()->stats();
}
const sctp::DataChannelStats* PeerConnection::data_channel_stats() const {
  return impl_->dcm_ == nullptr ? nullptr : &impl_->dcm_->stats();
}
const PeerConnectionCounters& PeerConnection::counters() const { return impl_->counters_; }
std::optional<Timestamp> PeerConnection::connected_at() const { return impl_->connected_at_; }

}  // namespace rtcsim::pc
