// JSEP session logic: RFC 9429 (JSEP; section numbers as in RFC 8829, which
// it obsoletes without renumbering §4–§5), RFC 3264 (offer/answer), RFC 8843
// (BUNDLE), RFC 8839 (ICE SDP), RFC 8841/8842 (SCTP and DTLS in SDP) and the
// W3C webrtc-pc signaling state machine:
//
//                 SLD(offer)                 SRD(offer)
//   have-local-offer <------- stable -------> have-remote-offer
//     |   SRD(pranswer)        ^  ^               |  SLD(pranswer)
//     v                        |  |               v
//   have-remote-pranswer ------+  +------ have-local-pranswer
//            SRD(answer)                SLD(answer)
//   (SRD(answer) from have-local-offer and SLD(answer) from
//   have-remote-offer go straight to stable; rollback from either offer
//   state goes back to stable.)
//
// Every public mutator works on a copy of the state and installs it only on
// success, so a failed call changes nothing (W3C: a rejected promise leaves
// the connection as it was).
#include "stack/jsep/jsep_session.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "stack/env/status_macros.h"

namespace rtcsim::jsep {
namespace {

constexpr absl::string_view kRtpProto = "UDP/TLS/RTP/SAVPF";     // RFC 9429 §5.1.2
constexpr absl::string_view kSctpProto = "UDP/DTLS/SCTP";        // RFC 8841 §4.1
constexpr absl::string_view kLegacySctpProto = "DTLS/SCTP";      // draft-ietf-mmusic-sctp-sdp-05
constexpr absl::string_view kDataFormat = "webrtc-datachannel";  // RFC 8841 §4.2
constexpr uint64_t kDefaultRemoteMaxMessageSize = 65536;         // RFC 8841 §6.1

// ---------------------------------------------------------------------------
// Small helpers over the SDP model.

void Add(std::vector<sdp::Attribute>& attrs, absl::string_view name,
         std::optional<std::string> value = std::nullopt) {
  attrs.push_back(sdp::Attribute{std::string(name), std::move(value)});
}

std::optional<std::string> MidOf(const sdp::MediaDescription& m) {
  auto mid = sdp::GetFirst<sdp::Mid>(m.attributes);
  if (!mid.ok() || !mid->has_value()) return std::nullopt;
  return (*mid)->id;
}

std::string Where(size_t index, const std::optional<std::string>& mid) {
  if (mid.has_value()) return absl::StrCat("m-section ", index, " (mid ", *mid, ")");
  return absl::StrCat("m-section ", index);
}

// A media-level attribute, else the session-level one (RFC 8866 §5.13:
// session-level attributes are defaults for every media section).
std::optional<std::string> MediaOrSession(const sdp::SessionDescription& d,
                                          const sdp::MediaDescription& m, absl::string_view name) {
  if (sdp::HasAttribute(m.attributes, name)) return sdp::FirstValue(m.attributes, name);
  if (sdp::HasAttribute(d.attributes, name)) return sdp::FirstValue(d.attributes, name);
  return std::nullopt;
}

bool HasMediaOrSession(const sdp::SessionDescription& d, const sdp::MediaDescription& m,
                       absl::string_view name) {
  return sdp::HasAttribute(m.attributes, name) || sdp::HasAttribute(d.attributes, name);
}

sdp::Direction DirectionOf(const sdp::SessionDescription& d, const sdp::MediaDescription& m) {
  return sdp::GetDirection(m.attributes, sdp::GetDirection(d.attributes));
}

bool Sends(sdp::Direction d) {
  return d == sdp::Direction::kSendRecv || d == sdp::Direction::kSendOnly;
}
bool Receives(sdp::Direction d) {
  return d == sdp::Direction::kSendRecv || d == sdp::Direction::kRecvOnly;
}
sdp::Direction MakeDirection(bool send, bool recv) {
  if (send && recv) return sdp::Direction::kSendRecv;
  if (send) return sdp::Direction::kSendOnly;
  if (recv) return sdp::Direction::kRecvOnly;
  return sdp::Direction::kInactive;
}
// The peer's sendonly is our recvonly (RFC 3264 §6.1).
sdp::Direction Reverse(sdp::Direction d) { return MakeDirection(Receives(d), Sends(d)); }
sdp::Direction Intersect(sdp::Direction a, sdp::Direction b) {
  return MakeDirection(Sends(a) && Sends(b), Receives(a) && Receives(b));
}

std::optional<MediaKind> KindOf(absl::string_view media) {
  if (media == "audio") return MediaKind::kAudio;
  if (media == "video") return MediaKind::kVideo;
  if (media == "application") return MediaKind::kApplication;
  return std::nullopt;
}

dtls::DtlsSetup ToDtls(sdp::SetupRole role) {
  switch (role) {
    case sdp::SetupRole::kActive:
      return dtls::DtlsSetup::kActive;
    case sdp::SetupRole::kPassive:
      return dtls::DtlsSetup::kPassive;
    case sdp::SetupRole::kActpass:
      return dtls::DtlsSetup::kActpass;
    case sdp::SetupRole::kHoldconn:
      return dtls::DtlsSetup::kHoldconn;
  }
  return dtls::DtlsSetup::kActpass;
}
// The index of the m-section whose transport everything uses: the
// BUNDLE-tagged one, i.e. the first mid of the first BUNDLE group that is
// not rejected (RFC 8843 §7.2.1, §7.3.1), else the first accepted section.
std::optional<size_t> TransportIndex(const sdp::SessionDescription& d) {
  auto groups = sdp::BundleGroups(d);
  if (groups.ok() && !groups->empty()) {
    for (const std::string& mid : groups->front()) {
      for (size_t i = 0; i < d.media.size(); ++i) {
        if (d.media[i].port != 0 && MidOf(d.media[i]) == mid) return i;
      }
    }
  }
  for (size_t i = 0; i < d.media.size(); ++i) {
    if (d.media[i].port != 0) return i;
  }
  return std::nullopt;
}

std::optional<size_t> IndexOfMid(const sdp::SessionDescription& d, absl::string_view mid) {
  for (size_t i = 0; i < d.media.size(); ++i) {
    if (MidOf(d.media[i]) == mid) return i;
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------
// Codecs.

uint8_t NormalizedChannels(const Codec& c) { return c.channels == 0 ? 1 : c.channels; }

// RFC 3264 §6.1: codecs match on encoding name (case-insensitive, RFC 4855
// §3), clock rate and channel count — not on payload type.
bool SameCodec(const Codec& a, const Codec& b) {
  return absl::EqualsIgnoreCase(a.name, b.name) && a.clock_rate == b.clock_rate &&
         NormalizedChannels(a) == NormalizedChannels(b);
}

// The codecs an RTP m-section lists, in m-line order. Formats without an
// a=rtpmap (static payload types such as 0 = PCMU) are skipped: we support
// none of them.
absl::StatusOr<std::vector<Codec>> CodecsOf(const sdp::MediaDescription& m) {
  ASSIGN_OR_RETURN(auto rtpmaps, sdp::GetAll<sdp::RtpMap>(m.attributes));
  ASSIGN_OR_RETURN(auto fmtps, sdp::GetAll<sdp::Fmtp>(m.attributes));
  ASSIGN_OR_RETURN(auto feedback, sdp::GetAll<sdp::RtcpFb>(m.attributes));
  std::vector<Codec> out;
  for (const std::string& format : m.formats) {
    for (const sdp::RtpMap& map : rtpmaps) {
      if (absl::StrCat(map.payload_type) != format) continue;
      Codec c;
      c.payload_type = map.payload_type;
      c.name = map.encoding;
      c.clock_rate = map.clock_rate;
      int channels = 0;
      if (map.encoding_parameters.has_value() &&
          absl::SimpleAtoi(*map.encoding_parameters, &channels) && channels > 0 && channels < 256) {
        c.channels = static_cast<uint8_t>(channels);
      }
      for (const sdp::Fmtp& f : fmtps) {
        if (f.format == format) c.fmtp = f.parameters;
      }
      for (const sdp::RtcpFb& fb : feedback) {
        if (fb.format != format && fb.format != "*") continue;
        c.rtcp_fb.push_back(fb.parameter ? absl::StrCat(fb.type, " ", *fb.parameter) : fb.type);
      }
      out.push_back(std::move(c));
      break;
    }
  }
  return out;
}

// RFC 3264 §6.1 / RFC 9429 §5.3.1: the answer lists the offered codecs we
// support, in the offerer's order and with the offerer's payload types; the
// parameters and feedback are ours (feedback only where the offer has it
// too, RFC 4585 §4.2).
std::vector<Codec> IntersectCodecs(const std::vector<Codec>& offered,
                                   const std::vector<Codec>& ours) {
  std::vector<Codec> out;
  for (const Codec& theirs : offered) {
    auto it = std::find_if(ours.begin(), ours.end(),
                           [&](const Codec& c) { return SameCodec(c, theirs); });
    if (it == ours.end()) continue;
    Codec c = *it;
    c.payload_type = theirs.payload_type;
    c.rtcp_fb.clear();
    for (const std::string& fb : it->rtcp_fb) {
      if (std::find(theirs.rtcp_fb.begin(), theirs.rtcp_fb.end(), fb) != theirs.rtcp_fb.end()) {
        c.rtcp_fb.push_back(fb);
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// The codecs of an answer that we support (what the transceiver now uses).
std::vector<Codec> SupportedOf(const std::vector<Codec>& in_answer,
                               const std::vector<Codec>& ours) {
  std::vector<Codec> out;
  for (const Codec& c : in_answer) {
    if (std::any_of(ours.begin(), ours.end(), [&](const Codec& o) { return SameCodec(o, c); })) {
      out.push_back(c);
    }
  }
  return out;
}

// Our codecs for an offer, keeping payload types already negotiated for the
// m-section: RFC 3264 §8.3.2 forbids changing a payload type's mapping in a
// session. Collisions move to a free dynamic payload type (RFC 3551 §3).
std::vector<Codec> OfferCodecs(const std::vector<Codec>& ours,
                               const std::vector<Codec>& negotiated) {
  std::vector<Codec> out = ours;
  std::set<uint8_t> taken;
  for (Codec& c : out) {
    for (const Codec& n : negotiated) {
      if (SameCodec(n, c)) c.payload_type = n.payload_type;
    }
  }
  for (const Codec& n : negotiated) taken.insert(n.payload_type);
  std::set<uint8_t> used;
  for (Codec& c : out) {
    const bool kept = std::any_of(negotiated.begin(), negotiated.end(),
                                  [&](const Codec& n) { return SameCodec(n, c); });
    if (used.count(c.payload_type) || (!kept && taken.count(c.payload_type))) {
      for (int pt = 96; pt <= 127; ++pt) {
        if (!used.count(pt) && !taken.count(pt)) {
          c.payload_type = static_cast<uint8_t>(pt);
          break;
        }
      }
    }
    used.insert(c.payload_type);
  }
  return out;
}

void AddCodecs(sdp::MediaDescription& m, const std::vector<Codec>& codecs) {
  for (const Codec& c : codecs) m.formats.push_back(absl::StrCat(c.payload_type));
  for (const Codec& c : codecs) {
    sdp::RtpMap map;
    map.payload_type = c.payload_type;
    map.encoding = c.name;
    map.clock_rate = c.clock_rate;
    if (c.channels != 0) map.encoding_parameters = absl::StrCat(c.channels);
    m.attributes.push_back(sdp::ToAttribute(map));
    for (const std::string& fb : c.rtcp_fb) {
      Add(m.attributes, sdp::RtcpFb::kName, absl::StrCat(c.payload_type, " ", fb));
    }
    if (!c.fmtp.empty()) {
      m.attributes.push_back(sdp::ToAttribute(sdp::Fmtp{absl::StrCat(c.payload_type), c.fmtp}));
    }
  }
}

// ---------------------------------------------------------------------------
// Building m-sections.

// Transport lines every used m-section carries: with max-bundle all share
// one transport, and RFC 9429 §5.2.1 still puts the ICE and DTLS parameters
// in each section (RFC 8843 §7.1.3 lets the offerer do so).
void AddTransport(sdp::MediaDescription& m, const LocalTransportInfo& transport,
                  sdp::SetupRole setup, bool tag_section) {
  m.connections = {sdp::Connection{}};
  if (tag_section) {
    // RFC 9429 §5.2.1: the default candidate gives port and c=; until there
    // is one, port 9 and 0.0.0.0 (RFC 8840 §4.1.1).
    for (const ice::Candidate& c : transport.candidates) {
      if (!absl::EqualsIgnoreCase(c.transport, "udp") || c.address.port() == 0) continue;
      m.port = c.address.port();
      m.connections = {
          sdp::Connection{"IN", c.address.ip().is_v6() ? "IP6" : "IP4", c.address.ip().ToString()}};
      break;
    }
    for (const ice::Candidate& c : transport.candidates) {
      m.attributes.push_back(sdp::ToAttribute(sdp::CandidateAttribute{c}));
    }
    if (transport.gathering_complete) Add(m.attributes, sdp::kEndOfCandidates);
  }
  m.attributes.push_back(sdp::ToAttribute(sdp::IceUfrag{transport.ice_ufrag}));
  m.attributes.push_back(sdp::ToAttribute(sdp::IcePwd{transport.ice_pwd}));
  // RFC 8840 §4.1.1: we trickle.
  m.attributes.push_back(sdp::ToAttribute(sdp::IceOptions{{"trickle"}}));
  m.attributes.push_back(sdp::ToAttribute(sdp::FingerprintAttribute{transport.fingerprint}));
  m.attributes.push_back(sdp::ToAttribute(sdp::SetupAttribute{setup}));
}

struct RtpSectionParams {
  MediaKind kind = MediaKind::kAudio;
  std::string mid;
  sdp::Direction direction = sdp::Direction::kSendRecv;
  std::vector<Codec> codecs;
  uint32_t ssrc = 0;
  bool rtcp_rsize = true;
};

sdp::MediaDescription RtpSection(const RtpSectionParams& p, const JsepConfig& config,
                                 const LocalTransportInfo& transport, sdp::SetupRole setup,
                                 bool tag_section) {
  sdp::MediaDescription m;
  m.media = ToString(p.kind);
  m.port = 9;
  m.proto = std::string(kRtpProto);
  // RFC 9429 §5.2.1: a=rtcp with the dummy address, for peers that ignore
  // rtcp-mux (RFC 5761 §5.1.3).
  Add(m.attributes, "rtcp", "9 IN IP4 0.0.0.0");
  AddTransport(m, transport, setup, tag_section);
  m.attributes.push_back(sdp::ToAttribute(sdp::Mid{p.mid}));
  sdp::SetDirection(m.attributes, p.direction);
  const bool sending = Sends(p.direction) && p.ssrc != 0;
  if (sending) {
    // RFC 8830 §2: stream and track ids; the track id is derived from the
    // mid so the output stays deterministic.
    m.attributes.push_back(
        sdp::ToAttribute(sdp::Msid{config.msid_stream, absl::StrCat("track-", p.mid)}));
  }
  Add(m.attributes, sdp::kRtcpMux);                      // RFC 8858 §4: always multiplex
  if (p.rtcp_rsize) Add(m.attributes, sdp::kRtcpRsize);  // RFC 5506 §5
  AddCodecs(m, p.codecs);
  if (sending) {
    m.attributes.push_back(sdp::ToAttribute(sdp::Ssrc{p.ssrc, "cname", config.cname}));
  }
  return m;
}

sdp::MediaDescription DataSection(const std::string& mid, bool legacy, const JsepConfig& config,
                                  const LocalTransportInfo& transport, sdp::SetupRole setup,
                                  bool tag_section) {
  sdp::MediaDescription m;
  m.media = "application";
  m.port = 9;
  if (legacy) {
    // The pre-RFC 8841 form: the SCTP port is the format, a=sctpmap maps it.
    m.proto = std::string(kLegacySctpProto);
    m.formats = {absl::StrCat(config.sctp_port)};
  } else {
    m.proto = std::string(kSctpProto);
    m.formats = {std::string(kDataFormat)};
  }
  AddTransport(m, transport, setup, tag_section);
  m.attributes.push_back(sdp::ToAttribute(sdp::Mid{mid}));
  if (legacy) {
    Add(m.attributes, "sctpmap", absl::StrCat(config.sctp_port, " ", kDataFormat, " 65535"));
  } else {
    m.attributes.push_back(sdp::ToAttribute(sdp::SctpPort{config.sctp_port}));  // RFC 8841 §5.1
  }
  m.attributes.push_back(sdp::ToAttribute(sdp::MaxMessageSize{config.max_message_size}));
  return m;
}

// RFC 3264 §6 / RFC 9429 §5.2.2, §5.3.1: a rejected section keeps media,
// proto and formats, port 0, and (RFC 8843 §7.3.3) stays out of BUNDLE.
sdp::MediaDescription RejectedSection(const sdp::MediaDescription& like,
                                      const std::optional<std::string>& mid) {
  sdp::MediaDescription m;
  m.media = like.media;
  m.port = 0;
  m.proto = like.proto;
  m.formats = like.formats;
  if (m.formats.empty()) m.formats = {"0"};
  m.connections = {sdp::Connection{}};
  if (mid.has_value()) m.attributes.push_back(sdp::ToAttribute(sdp::Mid{*mid}));
  return m;
}

sdp::SessionDescription SessionSkeleton(const JsepConfig& config) {
  sdp::SessionDescription d;
  d.origin.username = "-";
  d.origin.session_id = config.session_id;
  d.origin.address = "127.0.0.1";
  d.session_name = "-";
  d.timings = {sdp::Timing{}};
  return d;
}

void AddBundleGroup(sdp::SessionDescription& d, const std::vector<std::string>& mids) {
  if (mids.empty()) return;
  d.attributes.insert(d.attributes.begin(), sdp::ToAttribute(sdp::Group{"BUNDLE", mids}));
}

// ---------------------------------------------------------------------------
// Reading remote descriptions.

// What we can do with an m-section of a remote offer, before BUNDLE and
// codecs are considered.
enum class Usable { kNo, kRtp, kData, kLegacyData };

Usable Classify(const sdp::MediaDescription& m, const JsepConfig& config) {
  if (m.port == 0) return Usable::kNo;
  if (m.media == "audio" || m.media == "video") {
    return m.proto == kRtpProto ? Usable::kRtp : Usable::kNo;
  }
  if (m.media == "application") {
    if (m.proto == kSctpProto &&
        std::find(m.formats.begin(), m.formats.end(), kDataFormat) != m.formats.end()) {
      return Usable::kData;
    }
    if (config.accept_legacy_dtls_sctp && m.proto == kLegacySctpProto && !m.formats.empty()) {
      auto sctpmap = sdp::FirstValue(m.attributes, "sctpmap");
      if (sctpmap.has_value() && absl::StrContains(*sctpmap, kDataFormat))
        return Usable::kLegacyData;
    }
  }
  return Usable::kNo;
}

absl::Status Invalid(absl::string_view where, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
}

// RFC 9429 §5.8 (parsing) and §5.8.3 (semantics) for what we rely on.
absl::Status ValidateRemote(const sdp::SessionDescription& d, SdpType type) {
  std::set<std::string> mids;
  for (size_t i = 0; i < d.media.size(); ++i) {
    const sdp::MediaDescription& m = d.media[i];
    auto mid_or = sdp::GetFirst<sdp::Mid>(m.attributes);
    if (!mid_or.ok()) return Invalid(Where(i, std::nullopt), mid_or.status().message());
    std::optional<std::string> mid;
    if (mid_or->has_value()) mid = (*mid_or)->id;
    if (mid.has_value() && !mids.insert(*mid).second) {
      return Invalid(Where(i, mid), "duplicate a=mid (RFC 5888 §4)");
    }
    if (m.port == 0) continue;  // rejected: nothing else matters
    const std::string where = Where(i, mid);
    // RFC 9429 §5.8.3 / RFC 8843 §7.1: every used section has a mid.
    if (!mid.has_value()) return Invalid(where, "missing a=mid (RFC 9429 §5.8.3, RFC 8843 §7.1)");
    // RFC 8839 §5.4: ICE credentials, at media or session level.
    auto ufrag = MediaOrSession(d, m, sdp::IceUfrag::kName);
    if (!ufrag.has_value()) return Invalid(where, "missing a=ice-ufrag (RFC 8839 §5.4)");
    if (auto u = sdp::IceUfrag::Parse(*ufrag); !u.ok()) return Invalid(where, u.status().message());
    auto pwd = MediaOrSession(d, m, sdp::IcePwd::kName);
    if (!pwd.has_value()) return Invalid(where, "missing a=ice-pwd (RFC 8839 §5.4)");
    if (auto p = sdp::IcePwd::Parse(*pwd); !p.ok()) return Invalid(where, p.status().message());
    // RFC 8842 §5.1 / RFC 5763 §5: a certificate fingerprint.
    auto fps = sdp::GetAll<sdp::FingerprintAttribute>(m.attributes);
    if (!fps.ok()) return Invalid(where, fps.status().message());
    if (fps->empty()) {
      fps = sdp::GetAll<sdp::FingerprintAttribute>(d.attributes);
      if (!fps.ok()) return Invalid(where, fps.status().message());
    }
    if (fps->empty()) return Invalid(where, "missing a=fingerprint (RFC 8842 §5.1)");
    // RFC 8842 §5.2/§5.3 (RFC 4145 §4): a=setup; absent in an offer means
    // actpass... which RFC 4145 §4 makes "active" by default, but every
    // WebRTC offerer is actpass (RFC 8842 §5.2 MUST), so we assume that.
    auto setup = MediaOrSession(d, m, sdp::SetupAttribute::kName);
    if (setup.has_value()) {
      auto s = sdp::SetupAttribute::Parse(*setup);
      if (!s.ok()) return Invalid(where, s.status().message());
      // RFC 8842 §5: DTLS has no use for holdconn (nor does RFC 9429).
      if (s->role == sdp::SetupRole::kHoldconn) {
        return Invalid(where, "a=setup:holdconn is not supported (RFC 8842 §5)");
      }
      if (type != SdpType::kOffer && s->role != sdp::SetupRole::kActive &&
          s->role != sdp::SetupRole::kPassive) {
        return Invalid(where, absl::StrCat("a=setup:", *setup,
                                           " in an answer; it must be active or passive "
                                           "(RFC 8842 §5.3, RFC 4145 §4)"));
      }
    } else if (type != SdpType::kOffer) {
      return Invalid(where,
                     "missing a=setup; an answer must say active or passive (RFC 8842 §5.3)");
    }
    // RFC 8858 §4 / RFC 9429 §5.8.3: RTP sections we would use multiplex
    // RTCP; JSEP requires it and we open no separate RTCP transport.
    if ((m.media == "audio" || m.media == "video") && m.proto == kRtpProto &&
        !sdp::HasAttribute(m.attributes, sdp::kRtcpMux)) {
      return Invalid(where, "missing a=rtcp-mux (RFC 8858 §4, RFC 9429 §5.8.3)");
    }
    if (auto c = sdp::GetAll<sdp::CandidateAttribute>(m.attributes); !c.ok()) {
      return Invalid(where, c.status().message());
    }
    if (auto r = CodecsOf(m); !r.ok()) return Invalid(where, r.status().message());
  }
  auto groups = sdp::BundleGroups(d);
  if (!groups.ok()) return Invalid("session", groups.status().message());
  for (const auto& group : *groups) {
    for (const std::string& mid : group) {
      if (!mids.count(mid)) {
        return absl::InvalidArgumentError(absl::StrCat("a=group:BUNDLE names mid ", mid,
                                                       ", which no m-section has (RFC 8843 §7.2)"));
      }
    }
  }
  return absl::OkStatus();
}

// Call after ValidateRemote: the values exist and parse.
RemoteTransportInfo TransportOf(const sdp::SessionDescription& d, size_t index) {
  const sdp::MediaDescription& m = d.media[index];
  RemoteTransportInfo t;
  t.ice_ufrag = MediaOrSession(d, m, sdp::IceUfrag::kName).value_or("");
  t.ice_pwd = MediaOrSession(d, m, sdp::IcePwd::kName).value_or("");
  t.ice_lite = sdp::HasAttribute(d.attributes, "ice-lite");  // RFC 8839 §5.3
  if (auto o = MediaOrSession(d, m, sdp::IceOptions::kName)) {
    if (auto parsed = sdp::IceOptions::Parse(*o); parsed.ok()) t.ice_options = parsed->options;
  }
  auto fps = sdp::GetAll<sdp::FingerprintAttribute>(m.attributes);
  if (fps.ok() && fps->empty()) fps = sdp::GetAll<sdp::FingerprintAttribute>(d.attributes);
  if (fps.ok()) {
    for (const auto& f : *fps) t.fingerprints.push_back(f.fingerprint);
  }
  if (auto s = MediaOrSession(d, m, sdp::SetupAttribute::kName)) {
    if (auto parsed = sdp::SetupAttribute::Parse(*s); parsed.ok()) t.setup = ToDtls(parsed->role);
  }
  if (auto cands = sdp::GetAll<sdp::CandidateAttribute>(m.attributes); cands.ok()) {
    for (const auto& c : *cands) t.candidates.push_back(c.candidate);
  }
  t.end_of_candidates = HasMediaOrSession(d, m, sdp::kEndOfCandidates);
  return t;
}

// RFC 8841 §5.1 / §6.1, or the legacy sctpmap form.
void FillRemoteSctp(const sdp::MediaDescription& m, SctpInfo& info) {
  info.remote_port = 5000;
  if (m.proto == kLegacySctpProto && !m.formats.empty()) {
    int port = 0;
    if (absl::SimpleAtoi(m.formats.front(), &port) && port > 0 && port < 65536) {
      info.remote_port = static_cast<uint16_t>(port);
    }
  } else if (auto p = sdp::GetFirst<sdp::SctpPort>(m.attributes); p.ok() && p->has_value()) {
    info.remote_port = (*p)->port;
  }
  info.remote_max_message_size = kDefaultRemoteMaxMessageSize;
  if (auto s = sdp::GetFirst<sdp::MaxMessageSize>(m.attributes); s.ok() && s->has_value()) {
    info.remote_max_message_size = (*s)->bytes;
  }
}

absl::StatusOr<sdp::SessionDescription> ParseSdp(absl::string_view text) {
  auto parsed = sdp::Parse(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("SDP syntax: ", parsed.status().message()));
  }
  return parsed;
}

std::optional<dtls::DtlsSetup> SetupOf(const sdp::SessionDescription& d, size_t index) {
  auto s = MediaOrSession(d, d.media[index], sdp::SetupAttribute::kName);
  if (!s.has_value()) return std::nullopt;
  auto parsed = sdp::SetupAttribute::Parse(*s);
  if (!parsed.ok()) return std::nullopt;
  return ToDtls(parsed->role);
}

// The session with the o= line blanked: two created descriptions that
// differ only there are "the same" for the session version (RFC 9429
// §5.2.2).
std::string Body(sdp::SessionDescription d) {
  d.origin.session_version = "0";
  return sdp::Serialize(d);
}

void AddCandidateTo(sdp::MediaDescription& m, const ice::Candidate& candidate) {
  sdp::Attribute a = sdp::ToAttribute(sdp::CandidateAttribute{candidate});
  if (std::find(m.attributes.begin(), m.attributes.end(), a) != m.attributes.end()) return;
  // Keep candidates together, before a=end-of-candidates if there is one.
  auto pos = std::find_if(m.attributes.begin(), m.attributes.end(),
                          [](const sdp::Attribute& x) { return x.name == sdp::kEndOfCandidates; });
  m.attributes.insert(pos, std::move(a));
}

void AddEndOfCandidates(sdp::MediaDescription& m) {
  if (!sdp::HasAttribute(m.attributes, sdp::kEndOfCandidates)) {
    Add(m.attributes, sdp::kEndOfCandidates);
  }
}

absl::Status StateError(absl::string_view what, SignalingState state) {
  return absl::FailedPreconditionError(
      absl::StrCat("InvalidStateError: cannot ", what, " in state ", ToString(state)));
}

absl::Status ClosedError() {
  return absl::FailedPreconditionError("InvalidStateError: the RTCPeerConnection is closed");
}

}  // namespace

// ---------------------------------------------------------------------------
// Enums.

std::string ToString(SdpType type) {
  switch (type) {
    case SdpType::kOffer:
      return "offer";
    case SdpType::kPranswer:
      return "pranswer";
    case SdpType::kAnswer:
      return "answer";
    case SdpType::kRollback:
      return "rollback";
  }
  return "?";
}

absl::StatusOr<SdpType> ParseSdpType(absl::string_view text) {
  for (SdpType t : {SdpType::kOffer, SdpType::kPranswer, SdpType::kAnswer, SdpType::kRollback}) {
    if (text == ToString(t)) return t;
  }
  // W3C: RTCSdpType is an enum, so anything else is a TypeError.
  return absl::InvalidArgumentError(absl::StrCat("TypeError: unknown RTCSdpType \"", text, "\""));
}

std::string ToString(SignalingState state) {
  switch (state) {
    case SignalingState::kStable:
      return "stable";
    case SignalingState::kHaveLocalOffer:
      return "have-local-offer";
    case SignalingState::kHaveRemoteOffer:
      return "have-remote-offer";
    case SignalingState::kHaveLocalPranswer:
      return "have-local-pranswer";
    case SignalingState::kHaveRemotePranswer:
      return "have-remote-pranswer";
    case SignalingState::kClosed:
      return "closed";
  }
  return "?";
}

std::string ToString(MediaKind kind) {
  switch (kind) {
    case MediaKind::kAudio:
      return "audio";
    case MediaKind::kVideo:
      return "video";
    case MediaKind::kApplication:
      return "application";
  }
  return "?";
}

std::vector<Codec> DefaultAudioCodecs() {
  // RFC 7587 §7: opus is always 48000/2 in SDP.
  return {Codec{111, "opus", 48000, 2, "minptime=10;useinbandfec=1", {}}};
}

std::vector<Codec> DefaultVideoCodecs() {
  // RFC 7741 §6.1; NACK (RFC 4585), PLI and FIR (RFC 5104) feedback.
  return {Codec{96, "VP8", 90000, 0, "", {"nack", "nack pli", "ccm fir"}}};
}

// ---------------------------------------------------------------------------
// State.

// Everything a session knows; JsepSession::Impl is this (a separate name
// so the helpers below can use it while Impl stays private).
struct State {
  // Who an m-section of a description we create belongs to.
  struct Owner {
    enum Kind { kNone, kTransceiver, kData } kind = kNone;
    size_t transceiver = 0;
  };
  // The last createOffer/createAnswer output, which SetLocalDescription
  // must match (W3C: "the SDP must be the last created one").
  struct Created {
    sdp::SessionDescription description;
    std::vector<Owner> owners;
    std::string ice_ufrag;
    std::string ice_pwd;
  };

  JsepConfig config;
  SignalingState state = SignalingState::kStable;
  std::vector<Transceiver> transceivers;
  std::vector<bool> created_by_remote;  // parallel to transceivers
  bool data_wanted = false;
  std::optional<std::string> data_mid;  // the data section, once associated
  bool data_legacy = false;             // it uses the DTLS/SCTP form

  std::optional<sdp::SessionDescription> current_local, pending_local;
  std::optional<sdp::SessionDescription> current_remote, pending_remote;
  bool current_local_is_offer = false;

  // RFC 9429 §5.2.2: counts created descriptions that differ; not part of
  // what rollback restores.
  uint64_t session_version = 0;
  std::optional<std::string> last_created_body;
  std::optional<Created> last_offer, last_answer;

  std::optional<std::pair<std::string, std::string>> remote_ice;  // ufrag, pwd
  bool is_offerer = false;
  std::optional<dtls::DtlsRole> dtls_role;
  std::optional<SctpInfo> sctp;

  // The state when the current offer/answer exchange began (left stable),
  // restored by rollback (RFC 9429 §5.7).
  std::shared_ptr<const State> rollback_base;

  std::optional<size_t> TransceiverWithMid(absl::string_view mid) const {
    for (size_t i = 0; i < transceivers.size(); ++i) {
      if (transceivers[i].mid == mid) return i;
    }
    return std::nullopt;
  }

  const std::vector<Codec>& OurCodecs(MediaKind kind) const {
    return kind == MediaKind::kVideo ? config.video_codecs : config.audio_codecs;
  }

  std::string NextVersion(const sdp::SessionDescription& d) {
    std::string body = Body(d);
    if (!last_created_body.has_value() || *last_created_body != body) {
      ++session_version;
      last_created_body = std::move(body);
    }
    return absl::StrCat(session_version);
  }

  const std::optional<sdp::SessionDescription>& local() const {
    return pending_local.has_value() ? pending_local : current_local;
  }
  const std::optional<sdp::SessionDescription>& remote() const {
    return pending_remote.has_value() ? pending_remote : current_remote;
  }
};

struct JsepSession::Impl : State {};

namespace {

// RFC 9429 §5.7 / W3C "rollback": back to the state at which the exchange
// began, keeping what the application did since (new transceivers, which
// lose any mid; direction changes; stop) but dropping transceivers that the
// rolled-back remote offer created.
State RolledBack(const State& now) {
  const State& base = *now.rollback_base;
  State out = now;
  out.state = SignalingState::kStable;
  out.current_local = base.current_local;
  out.pending_local = base.pending_local;
  out.current_remote = base.current_remote;
  out.pending_remote = base.pending_remote;
  out.current_local_is_offer = base.current_local_is_offer;
  out.data_mid = base.data_mid;
  out.data_legacy = base.data_legacy;
  out.remote_ice = base.remote_ice;
  out.is_offerer = base.is_offerer;
  out.dtls_role = base.dtls_role;
  out.sctp = base.sctp;
  out.last_answer.reset();
  out.rollback_base.reset();
  out.transceivers.clear();
  out.created_by_remote.clear();
  for (size_t i = 0; i < now.transceivers.size(); ++i) {
    Transceiver t = now.transceivers[i];
    if (i < base.transceivers.size()) {
      t.mid = base.transceivers[i].mid;
      t.current_direction = base.transceivers[i].current_direction;
      t.codecs = base.transceivers[i].codecs;
    } else if (now.created_by_remote[i]) {
      continue;
    } else {
      t.mid.reset();
    }
    out.transceivers.push_back(std::move(t));
    out.created_by_remote.push_back(i < base.created_by_remote.size() && base.created_by_remote[i]);
  }
  return out;
}

// Which sections of a remote offer we accept, on top of Classify: with
// max-bundle (RFC 9429 §4.1.1) we run one transport, so only sections in
// the first BUNDLE group — or, from a peer that does not bundle, only the
// first usable section — can be used (RFC 8843 §7.3.3 lets the answerer
// reject the others).
std::vector<bool> BundleEligible(const sdp::SessionDescription& offer, const JsepConfig& config) {
  std::vector<bool> ok(offer.media.size(), false);
  auto groups = sdp::BundleGroups(offer);
  if (groups.ok() && !groups->empty()) {
    for (size_t i = 0; i < offer.media.size(); ++i) {
      auto mid = MidOf(offer.media[i]);
      ok[i] = mid.has_value() && std::find(groups->front().begin(), groups->front().end(), *mid) !=
                                     groups->front().end();
    }
    return ok;
  }
  for (size_t i = 0; i < offer.media.size(); ++i) {
    if (Classify(offer.media[i], config) != Usable::kNo) {
      ok[i] = true;
      break;
    }
  }
  return ok;
}

// RFC 9429 §5.10 for an offer: associate each m-section with a transceiver
// (W3C: an existing one with its mid; else an unassociated one of the same
// kind, as for addTrack; else a new recvonly one) or with the data channel.
absl::Status AssociateRemoteOffer(State& s, const sdp::SessionDescription& offer) {
  const std::vector<bool> eligible = BundleEligible(offer, s.config);
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaDescription& m = offer.media[i];
    const std::optional<std::string> mid = MidOf(m);
    if (!mid.has_value()) continue;  // only rejected sections lack one (validated)
    if (s.TransceiverWithMid(*mid).has_value() || s.data_mid == mid) continue;
    const Usable usable = Classify(m, s.config);
    if (usable == Usable::kNo || !eligible[i]) continue;
    if (usable == Usable::kRtp) {
      const MediaKind kind = *KindOf(m.media);
      auto offered = CodecsOf(m);
      if (!offered.ok()) return offered.status();
      if (IntersectCodecs(*offered, s.OurCodecs(kind)).empty()) continue;  // will reject
      const sdp::Direction dir = DirectionOf(offer, m);
      std::optional<size_t> pick;
      if (Receives(dir)) {
        for (size_t t = 0; t < s.transceivers.size(); ++t) {
          const Transceiver& x = s.transceivers[t];
          if (x.kind == kind && !x.mid.has_value() && !x.stopped) {
            pick = t;
            break;
          }
        }
      }
      if (!pick.has_value()) {
        Transceiver t;
        t.kind = kind;
        t.direction = sdp::Direction::kRecvOnly;
        t.codecs = s.OurCodecs(kind);
        s.transceivers.push_back(std::move(t));
        s.created_by_remote.push_back(true);
        pick = s.transceivers.size() - 1;
      }
      s.transceivers[*pick].mid = *mid;
    } else if (!s.data_mid.has_value()) {
      // RFC 8841 §5.1 / RFC 9429 §5.3.1: one data section; a second one is
      // rejected in the answer.
      s.data_mid = *mid;
      s.data_legacy = usable == Usable::kLegacyData;
    }
  }
  return absl::OkStatus();
}

// RFC 9429 §5.11 / W3C "set the description" for an answer or pranswer:
// current directions, codecs, the data section and the DTLS role.
absl::Status ApplyAnswer(State& s, const sdp::SessionDescription& offer,
                         const sdp::SessionDescription& answer, bool local_is_offerer,
                         bool final_answer) {
  const sdp::SessionDescription& local = local_is_offerer ? offer : answer;
  const sdp::SessionDescription& remote = local_is_offerer ? answer : offer;
  std::optional<SctpInfo> sctp;
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const std::optional<std::string> mid = MidOf(offer.media[i]);
    if (!mid.has_value()) continue;
    const bool rejected = offer.media[i].port == 0 || answer.media[i].port == 0;
    if (auto t = s.TransceiverWithMid(*mid)) {
      Transceiver& x = s.transceivers[*t];
      if (rejected) {
        // RFC 9429 §5.11 / W3C: a rejected m-section stops its transceiver.
        x.current_direction = sdp::Direction::kInactive;
        if (final_answer) x.stopped = true;
        continue;
      }
      const sdp::Direction answered = DirectionOf(answer, answer.media[i]);
      x.current_direction = local_is_offerer ? Reverse(answered) : answered;
      auto codecs = CodecsOf(answer.media[i]);
      if (!codecs.ok()) return codecs.status();
      x.codecs = SupportedOf(*codecs, s.OurCodecs(x.kind));
    } else if (s.data_mid == mid && !rejected) {
      SctpInfo info;
      info.mid = *mid;
      info.local_port = s.config.sctp_port;
      FillRemoteSctp(remote.media[i], info);
      sctp = info;
    }
  }
  s.sctp = sctp;
  if (!sctp.has_value()) {
    // The data section was rejected (or never there): a later
    // createDataChannel needs a new one.
    s.data_mid.reset();
  }
  const auto local_index = TransportIndex(local);
  const auto remote_index = TransportIndex(remote);
  if (local_index.has_value() && remote_index.has_value()) {
    const auto local_setup = SetupOf(local, *local_index);
    const auto remote_setup = SetupOf(remote, *remote_index).value_or(dtls::DtlsSetup::kActpass);
    auto role = dtls::ResolveDtlsRole(local_setup.value_or(dtls::DtlsSetup::kActpass), remote_setup,
                                      local_is_offerer);
    if (!role.ok()) return absl::InvalidArgumentError(role.status().message());
    s.dtls_role = *role;
  }
  s.is_offerer = local_is_offerer;
  return absl::OkStatus();
}

absl::Status CheckAnswerMatchesOffer(const sdp::SessionDescription& offer,
                                     const sdp::SessionDescription& answer, absl::string_view who) {
  // RFC 3264 §6: the answer has exactly the offer's m-lines, in order, with
  // the same media; RFC 9429 §5.3.1 keeps the mids.
  if (answer.media.size() != offer.media.size()) {
    return absl::InvalidArgumentError(absl::StrCat(who, " answer has ", answer.media.size(),
                                                   " m-sections, the offer ", offer.media.size(),
                                                   " (RFC 3264 §6)"));
  }
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const auto offer_mid = MidOf(offer.media[i]);
    const auto answer_mid = MidOf(answer.media[i]);
    if (answer.media[i].media != offer.media[i].media) {
      return Invalid(Where(i, answer_mid), absl::StrCat("the answer has m=", answer.media[i].media,
                                                        " where the offer has m=",
                                                        offer.media[i].media, " (RFC 3264 §6)"));
    }
    if (answer_mid.has_value() && answer_mid != offer_mid) {
      return Invalid(Where(i, answer_mid),
                     absl::StrCat("the answer's mid differs from the offer's (",
                                  offer_mid.value_or("none"), ", RFC 9429 §5.3.1)"));
    }
    if (!answer_mid.has_value() && answer.media[i].port != 0) {
      return Invalid(Where(i, answer_mid), "missing a=mid (RFC 9429 §5.8.3)");
    }
  }
  return absl::OkStatus();
}

// SetLocalDescription must get what createOffer/createAnswer produced
// (W3C: InvalidModificationError otherwise): the same m-lines and mids and
// the same ICE credentials.
absl::Status CheckLocalMatchesCreated(const sdp::SessionDescription& d,
                                      const std::optional<State::Created>& created, SdpType type) {
  const std::string what = ToString(type == SdpType::kOffer ? SdpType::kOffer : SdpType::kAnswer);
  if (!created.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("InvalidModificationError: no ", what,
                                                   " was created to set as the local description"));
  }
  const sdp::SessionDescription& c = created->description;
  if (d.media.size() != c.media.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("InvalidModificationError: the local ", what, " has ", d.media.size(),
                     " m-sections, the last created one ", c.media.size()));
  }
  for (size_t i = 0; i < d.media.size(); ++i) {
    if (d.media[i].media != c.media[i].media || MidOf(d.media[i]) != MidOf(c.media[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("InvalidModificationError: ", Where(i, MidOf(d.media[i])),
                       " differs from the last created ", what));
    }
    if (d.media[i].port == 0) continue;
    if (MediaOrSession(d, d.media[i], sdp::IceUfrag::kName) != created->ice_ufrag ||
        MediaOrSession(d, d.media[i], sdp::IcePwd::kName) != created->ice_pwd) {
      return absl::InvalidArgumentError(
          absl::StrCat("InvalidModificationError: ", Where(i, MidOf(d.media[i])),
                       ": ICE credentials differ from the last created ", what));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------------------
// JsepSession.

JsepSession::JsepSession(JsepConfig config) : impl_(std::make_shared<Impl>()) {
  impl_->config = std::move(config);
}

size_t JsepSession::AddTransceiver(MediaKind kind, sdp::Direction direction, uint32_t ssrc) {
  auto next = std::make_shared<Impl>(*impl_);
  Transceiver t;
  t.kind = kind;
  t.direction = direction;
  t.ssrc = ssrc;
  t.codecs = next->OurCodecs(kind);
  next->transceivers.push_back(std::move(t));
  next->created_by_remote.push_back(false);
  impl_ = std::move(next);
  return impl_->transceivers.size() - 1;
}

absl::Status JsepSession::SetDirection(size_t index, sdp::Direction direction) {
  if (impl_->state == SignalingState::kClosed) return ClosedError();
  if (index >= impl_->transceivers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no transceiver ", index));
  }
  if (impl_->transceivers[index].stopped) {
    return absl::FailedPreconditionError(
        absl::StrCat("InvalidStateError: transceiver ", index, " is stopped"));
  }
  auto next = std::make_shared<Impl>(*impl_);
  next->transceivers[index].direction = direction;
  impl_ = std::move(next);
  return absl::OkStatus();
}

absl::Status JsepSession::StopTransceiver(size_t index) {
  if (impl_->state == SignalingState::kClosed) return ClosedError();
  if (index >= impl_->transceivers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("no transceiver ", index));
  }
  auto next = std::make_shared<Impl>(*impl_);
  Transceiver& t = next->transceivers[index];
  t.stopped = true;
  t.direction = sdp::Direction::kInactive;
  // W3C stop(): currentDirection becomes null... we report inactive, as the
  // header documents ("kInactive once stopped").
  t.current_direction = sdp::Direction::kInactive;
  impl_ = std::move(next);
  return absl::OkStatus();
}

void JsepSession::EnableDataChannel() {
  if (impl_->data_wanted) return;
  auto next = std::make_shared<Impl>(*impl_);
  next->data_wanted = true;
  impl_ = std::move(next);
}

bool JsepSession::negotiation_needed() const {
  const Impl& s = *impl_;
  // W3C "update the negotiation-needed flag": only evaluated in stable.
  if (s.state != SignalingState::kStable) return false;
  const auto& local = s.current_local;
  const auto& remote = s.current_remote;
  for (const Transceiver& t : s.transceivers) {
    if (t.stopped) {
      // A stopped transceiver whose section is not yet rejected.
      if (!t.mid.has_value() || !local.has_value()) continue;
      auto i = IndexOfMid(*local, *t.mid);
      if (i.has_value() && local->media[*i].port != 0) return true;
      continue;
    }
    if (!t.mid.has_value() || !local.has_value()) return true;
    auto i = IndexOfMid(*local, *t.mid);
    if (!i.has_value()) return true;
    const sdp::Direction in_local = DirectionOf(*local, local->media[*i]);
    if (s.current_local_is_offer) {
      if (in_local != t.direction) return true;
    } else if (remote.has_value() && *i < remote->media.size()) {
      const sdp::Direction offered = DirectionOf(*remote, remote->media[*i]);
      if (in_local != Intersect(t.direction, Reverse(offered))) return true;
    }
  }
  return s.data_wanted && !s.data_mid.has_value();
}

absl::StatusOr<std::string> JsepSession::CreateOffer(const LocalTransportInfo& transport) {
  const Impl& s = *impl_;
  if (s.state == SignalingState::kClosed) return ClosedError();
  if (s.state != SignalingState::kStable && s.state != SignalingState::kHaveLocalOffer) {
    return StateError("create offer", s.state);
  }
  auto next = std::make_shared<Impl>(s);
  // RFC 9429 §5.2.2: the m-sections of the current (or pending) local
  // description stay, in order, with their mids; new ones are appended.
  const std::optional<sdp::SessionDescription>& base =
      s.state == SignalingState::kHaveLocalOffer ? s.pending_local : s.current_local;

  struct Line {
    State::Owner owner;
    std::string mid;
    const sdp::MediaDescription* previous = nullptr;  // for rejected ones
  };
  std::vector<Line> lines;
  std::set<std::string> used_mids;
  if (base.has_value()) {
    for (const sdp::MediaDescription& m : base->media) {
      Line line;
      line.mid = MidOf(m).value_or("");
      line.previous = &m;
      if (auto t = s.TransceiverWithMid(line.mid)) {
        line.owner = {State::Owner::kTransceiver, *t};
      } else if (s.data_mid == line.mid) {
        line.owner = {State::Owner::kData, 0};
      }
      used_mids.insert(line.mid);
      lines.push_back(std::move(line));
    }
  }
  // RFC 9429 §5.2.1: mids "0", "1", ... — the m-line index unless taken.
  auto new_mid = [&]() {
    size_t n = lines.size();
    while (used_mids.count(absl::StrCat(n))) ++n;
    std::string mid = absl::StrCat(n);
    used_mids.insert(mid);
    return mid;
  };
  for (size_t t = 0; t < s.transceivers.size(); ++t) {
    // §5.2.2: a stopped transceiver without an m-section gets none.
    if (s.transceivers[t].mid.has_value() || s.transceivers[t].stopped) continue;
    Line line;
    line.owner = {State::Owner::kTransceiver, t};
    line.mid = new_mid();
    lines.push_back(std::move(line));
  }
  const bool has_data = std::any_of(lines.begin(), lines.end(), [](const Line& l) {
    return l.owner.kind == State::Owner::kData;
  });
  if (s.data_wanted && !has_data) {
    Line line;
    line.owner = {State::Owner::kData, 0};
    line.mid = new_mid();
    lines.push_back(std::move(line));
  }

  auto used = [&](const Line& l) {
    if (l.owner.kind == State::Owner::kData) return true;
    if (l.owner.kind == State::Owner::kTransceiver)
      return !s.transceivers[l.owner.transceiver].stopped;
    return false;
  };
  std::vector<std::string> bundle;
  for (const Line& l : lines) {
    if (used(l)) bundle.push_back(l.mid);
  }

  sdp::SessionDescription d = SessionSkeleton(s.config);
  // RFC 8843 §7.2: one BUNDLE group with every used section; the first is
  // the offerer's tag and carries the candidates (RFC 8843 §10.1).
  AddBundleGroup(d, bundle);
  Add(d.attributes, "msid-semantic", " WMS");  // as browsers write it (RFC 8830 history)
  State::Created created;
  bool tag_done = false;
  for (const Line& l : lines) {
    created.owners.push_back(l.owner);
    if (!used(l)) {
      sdp::MediaDescription like;
      if (l.previous != nullptr) {
        like = *l.previous;
      } else {
        like.media = ToString(s.transceivers[l.owner.transceiver].kind);
        like.proto = std::string(kRtpProto);
      }
      // RFC 9429 §5.2.2: a stopped transceiver's section gets port 0.
      d.media.push_back(RejectedSection(like, l.mid));
      continue;
    }
    const bool tag = !tag_done;
    tag_done = true;
    // RFC 8842 §5.2: the offerer always says actpass, also in later offers.
    if (l.owner.kind == State::Owner::kData) {
      d.media.push_back(DataSection(l.mid, s.data_legacy && s.data_mid == l.mid, s.config,
                                    transport, sdp::SetupRole::kActpass, tag));
    } else {
      const Transceiver& t = s.transceivers[l.owner.transceiver];
      RtpSectionParams p;
      p.kind = t.kind;
      p.mid = l.mid;
      p.direction = t.direction;
      p.codecs =
          OfferCodecs(s.OurCodecs(t.kind), t.mid.has_value() ? t.codecs : std::vector<Codec>{});
      p.ssrc = t.ssrc;
      d.media.push_back(RtpSection(p, s.config, transport, sdp::SetupRole::kActpass, tag));
    }
  }
  d.origin.session_version = next->NextVersion(d);
  created.description = d;
  created.ice_ufrag = transport.ice_ufrag;
  created.ice_pwd = transport.ice_pwd;
  next->last_offer = std::move(created);
  impl_ = std::move(next);
  return sdp::Serialize(d);
}

absl::StatusOr<std::string> JsepSession::CreateAnswer(const LocalTransportInfo& transport) {
  const Impl& s = *impl_;
  if (s.state == SignalingState::kClosed) return ClosedError();
  if (s.state != SignalingState::kHaveRemoteOffer &&
      s.state != SignalingState::kHaveLocalPranswer) {
    return StateError("create answer", s.state);
  }
  auto next = std::make_shared<Impl>(s);
  const sdp::SessionDescription& offer = *s.pending_remote;
  const std::vector<bool> eligible = BundleEligible(offer, s.config);

  // RFC 9429 §5.3.1 / RFC 8842 §5.3: answer active (RFC 5763 §5: the
  // answerer is the DTLS client) unless an existing association gives us
  // the server role (§5.3.2 keeps it) or the offerer already chose.
  sdp::SetupRole setup = sdp::SetupRole::kActive;
  if (s.dtls_role == dtls::DtlsRole::kServer) setup = sdp::SetupRole::kPassive;
  if (auto ti = TransportIndex(offer)) {
    const auto offered = SetupOf(offer, *ti);
    if (offered == dtls::DtlsSetup::kActive) setup = sdp::SetupRole::kPassive;
    if (offered == dtls::DtlsSetup::kPassive) setup = sdp::SetupRole::kActive;
  }

  sdp::SessionDescription d = SessionSkeleton(s.config);
  State::Created created;
  std::vector<bool> accepted(offer.media.size(), false);
  std::vector<sdp::MediaDescription> sections(offer.media.size());
  std::vector<State::Owner> owners(offer.media.size());
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaDescription& m = offer.media[i];
    const std::optional<std::string> mid = MidOf(m);
    const Usable usable = Classify(m, s.config);
    if (mid.has_value() && usable != Usable::kNo && eligible[i]) {
      if (auto t = s.TransceiverWithMid(*mid);
          t.has_value() && usable == Usable::kRtp && !s.transceivers[*t].stopped) {
        owners[i] = {State::Owner::kTransceiver, *t};
      } else if (s.data_mid == mid && usable != Usable::kRtp) {
        owners[i] = {State::Owner::kData, 0};
      }
    }
    accepted[i] = owners[i].kind != State::Owner::kNone;
  }
  // RFC 8843 §7.3.1: our group lists what we accept, in the offer's group
  // order; its first mid is the answerer's tag and carries our candidates.
  std::vector<std::string> bundle;
  if (auto groups = sdp::BundleGroups(offer); groups.ok() && !groups->empty()) {
    for (const std::string& mid : groups->front()) {
      auto i = IndexOfMid(offer, mid);
      if (i.has_value() && accepted[*i]) bundle.push_back(mid);
    }
  }
  std::optional<size_t> tag_index;
  if (!bundle.empty()) {
    tag_index = IndexOfMid(offer, bundle.front());
  } else {
    for (size_t i = 0; i < accepted.size() && !tag_index; ++i) {
      if (accepted[i]) tag_index = i;
    }
  }
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const sdp::MediaDescription& m = offer.media[i];
    const std::optional<std::string> mid = MidOf(m);
    const bool tag = tag_index == i;
    if (owners[i].kind == State::Owner::kTransceiver) {
      const Transceiver& t = s.transceivers[owners[i].transceiver];
      auto offered = CodecsOf(m);
      if (!offered.ok()) return offered.status();
      RtpSectionParams p;
      p.kind = t.kind;
      p.mid = *mid;
      // RFC 3264 §6.1: what we want, limited by the reverse of the offer.
      p.direction = Intersect(t.direction, Reverse(DirectionOf(offer, m)));
      p.codecs = IntersectCodecs(*offered, s.OurCodecs(t.kind));
      p.ssrc = t.ssrc;
      p.rtcp_rsize = sdp::HasAttribute(m.attributes, sdp::kRtcpRsize);  // RFC 5506 §5
      if (!p.codecs.empty()) {
        sections[i] = RtpSection(p, s.config, transport, setup, tag);
        continue;
      }
      owners[i] = {};
    } else if (owners[i].kind == State::Owner::kData) {
      sections[i] = DataSection(*mid, Classify(m, s.config) == Usable::kLegacyData, s.config,
                                transport, setup, tag);
      continue;
    }
    // RFC 3264 §6: reject with port 0, keeping the media and formats.
    sections[i] = RejectedSection(m, mid);
  }
  d.media = std::move(sections);
  AddBundleGroup(d, bundle);
  d.origin.session_version = next->NextVersion(d);
  created.description = d;
  created.owners = owners;
  created.ice_ufrag = transport.ice_ufrag;
  created.ice_pwd = transport.ice_pwd;
  next->last_answer = std::move(created);
  impl_ = std::move(next);
  return sdp::Serialize(d);
}

absl::StatusOr<AppliedDescription> JsepSession::SetLocalDescription(SdpType type,
                                                                    absl::string_view text) {
  const Impl& s = *impl_;
  if (s.state == SignalingState::kClosed) return ClosedError();
  const std::string what = absl::StrCat("set local ", ToString(type));
  auto next = std::make_shared<Impl>(s);
  AppliedDescription applied;
  switch (type) {
    case SdpType::kRollback: {
      if (s.state != SignalingState::kHaveLocalOffer &&
          s.state != SignalingState::kHaveRemoteOffer) {
        return StateError(what, s.state);
      }
      static_cast<State&>(*next) = RolledBack(s);
      break;
    }
    case SdpType::kOffer: {
      if (s.state != SignalingState::kStable && s.state != SignalingState::kHaveLocalOffer) {
        return StateError(what, s.state);
      }
      ASSIGN_OR_RETURN(sdp::SessionDescription d, ParseSdp(text));
      RETURN_IF_ERROR(CheckLocalMatchesCreated(d, s.last_offer, type));
      if (s.state == SignalingState::kStable) next->rollback_base = impl_;
      // RFC 9429 §5.9 / W3C: the new sections' transceivers get their mids.
      for (size_t i = 0; i < d.media.size(); ++i) {
        const auto mid = MidOf(d.media[i]);
        const State::Owner& owner = s.last_offer->owners[i];
        if (!mid.has_value()) continue;
        if (owner.kind == State::Owner::kTransceiver) {
          next->transceivers[owner.transceiver].mid = *mid;
        } else if (owner.kind == State::Owner::kData) {
          next->data_mid = *mid;
          next->data_legacy = s.data_mid == mid && s.data_legacy;
        }
      }
      next->pending_local = std::move(d);
      next->state = SignalingState::kHaveLocalOffer;
      next->is_offerer = true;
      break;
    }
    case SdpType::kAnswer:
    case SdpType::kPranswer: {
      if (s.state != SignalingState::kHaveRemoteOffer &&
          s.state != SignalingState::kHaveLocalPranswer) {
        return StateError(what, s.state);
      }
      ASSIGN_OR_RETURN(sdp::SessionDescription d, ParseSdp(text));
      RETURN_IF_ERROR(CheckLocalMatchesCreated(d, s.last_answer, type));
      RETURN_IF_ERROR(CheckAnswerMatchesOffer(*s.pending_remote, d, "the local"));
      RETURN_IF_ERROR(ApplyAnswer(*next, *s.pending_remote, d, /*local_is_offerer=*/false,
                                  type == SdpType::kAnswer));
      if (type == SdpType::kAnswer) {
        next->current_remote = std::move(next->pending_remote);
        next->pending_remote.reset();
        next->current_local = std::move(d);
        next->pending_local.reset();
        next->current_local_is_offer = false;
        next->state = SignalingState::kStable;
        next->rollback_base.reset();
        next->last_offer.reset();
      } else {
        next->pending_local = std::move(d);
        next->state = SignalingState::kHaveLocalPranswer;
      }
      break;
    }
  }
  applied.is_offerer = next->is_offerer;
  applied.dtls_role = next->dtls_role;
  applied.sctp = next->sctp;
  applied.stable = next->state == SignalingState::kStable;
  impl_ = std::move(next);
  return applied;
}

absl::StatusOr<AppliedDescription> JsepSession::SetRemoteDescription(SdpType type,
                                                                     absl::string_view text) {
  const Impl& s = *impl_;
  if (s.state == SignalingState::kClosed) return ClosedError();
  const std::string what = absl::StrCat("set remote ", ToString(type));
  auto next = std::make_shared<Impl>(s);
  AppliedDescription applied;
  if (type == SdpType::kRollback) {
    if (s.state != SignalingState::kHaveLocalOffer && s.state != SignalingState::kHaveRemoteOffer) {
      return StateError(what, s.state);
    }
    static_cast<State&>(*next) = RolledBack(s);
    applied.is_offerer = next->is_offerer;
    applied.dtls_role = next->dtls_role;
    applied.sctp = next->sctp;
    applied.stable = true;
    impl_ = std::move(next);
    return applied;
  }
  if (type == SdpType::kOffer) {
    if (s.state != SignalingState::kStable && s.state != SignalingState::kHaveRemoteOffer) {
      return StateError(what, s.state);
    }
  } else if (s.state != SignalingState::kHaveLocalOffer &&
             s.state != SignalingState::kHaveRemotePranswer) {
    return StateError(what, s.state);
  }
  ASSIGN_OR_RETURN(sdp::SessionDescription d, ParseSdp(text));
  RETURN_IF_ERROR(ValidateRemote(d, type));

  if (type == SdpType::kOffer) {
    // A second remote offer replaces the first: start from where that one
    // started (W3C allows have-remote-offer -> have-remote-offer).
    if (s.state == SignalingState::kHaveRemoteOffer) {
      static_cast<State&>(*next) = RolledBack(s);
    }
    // RFC 3264 §8 / RFC 9429 §5.10: existing m-sections keep their place
    // and mid.
    if (next->current_remote.has_value()) {
      const auto& before = *next->current_remote;
      if (d.media.size() < before.media.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat("the offer has ", d.media.size(), " m-sections, fewer than the ",
                         before.media.size(), " negotiated (RFC 3264 §8)"));
      }
      for (size_t i = 0; i < before.media.size(); ++i) {
        // RFC 9429 §5.2.2: a rejected (port 0) m-section may be recycled
        // for a new transceiver, with a new mid, at the same index.
        const bool was_rejected =
            before.media[i].port == 0 ||
            (next->current_local.has_value() && i < next->current_local->media.size() &&
             next->current_local->media[i].port == 0);
        if (was_rejected) continue;
        if (d.media[i].port != 0 && MidOf(d.media[i]) != MidOf(before.media[i])) {
          return Invalid(Where(i, MidOf(d.media[i])),
                         absl::StrCat("the mid was ", MidOf(before.media[i]).value_or("none"),
                                      " (RFC 9429 §5.10: mids do not change)"));
        }
      }
    }
    next->rollback_base =
        s.state == SignalingState::kStable ? std::shared_ptr<const State>(impl_) : s.rollback_base;
    RETURN_IF_ERROR(AssociateRemoteOffer(*next, d));
    next->pending_remote = d;
    next->state = SignalingState::kHaveRemoteOffer;
    next->is_offerer = false;
    next->last_answer.reset();
    next->last_offer.reset();
  } else {
    RETURN_IF_ERROR(CheckAnswerMatchesOffer(*s.pending_local, d, "the remote"));
    RETURN_IF_ERROR(ApplyAnswer(*next, *s.pending_local, d, /*local_is_offerer=*/true,
                                type == SdpType::kAnswer));
    if (type == SdpType::kAnswer) {
      next->current_local = std::move(next->pending_local);
      next->pending_local.reset();
      next->current_local_is_offer = true;
      next->current_remote = d;
      next->pending_remote.reset();
      next->state = SignalingState::kStable;
      next->rollback_base.reset();
      next->last_offer.reset();
    } else {
      next->pending_remote = d;
      next->state = SignalingState::kHaveRemotePranswer;
    }
  }

  applied.has_remote = true;
  if (auto ti = TransportIndex(d)) {
    applied.remote = TransportOf(d, *ti);
    std::pair<std::string, std::string> creds{applied.remote.ice_ufrag, applied.remote.ice_pwd};
    // RFC 8839 §4.4.1.1.1 / RFC 9429 §5.10: new credentials = ICE restart.
    applied.remote_ice_restart = s.remote_ice.has_value() && *s.remote_ice != creds;
    next->remote_ice = creds;
  }
  applied.is_offerer = next->is_offerer;
  applied.dtls_role = next->dtls_role;
  applied.sctp = next->sctp;
  applied.stable = next->state == SignalingState::kStable;
  impl_ = std::move(next);
  return applied;
}

absl::StatusOr<std::optional<ice::Candidate>> JsepSession::AddRemoteCandidate(
    absl::string_view candidate, std::optional<std::string> mid, std::optional<size_t> mline_index,
    std::optional<std::string> ufrag) {
  const Impl& s = *impl_;
  if (s.state == SignalingState::kClosed) return ClosedError();
  // W3C addIceCandidate: a TypeError without sdpMid and sdpMLineIndex.
  if (!mid.has_value() && !mline_index.has_value()) {
    return absl::InvalidArgumentError("TypeError: candidate needs sdpMid or sdpMLineIndex");
  }
  if (!s.remote().has_value()) {
    return absl::FailedPreconditionError(
        "InvalidStateError: addIceCandidate needs a remote description");
  }
  auto next = std::make_shared<Impl>(s);
  sdp::SessionDescription& d =
      next->pending_remote.has_value() ? *next->pending_remote : *next->current_remote;
  std::optional<size_t> index;
  if (mid.has_value()) {
    index = IndexOfMid(d, *mid);
    if (!index.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("OperationError: no m-section with mid ", *mid));
    }
  } else {
    if (*mline_index >= d.media.size()) {
      return absl::InvalidArgumentError(absl::StrCat("OperationError: no m-section ", *mline_index,
                                                     " (there are ", d.media.size(), ")"));
    }
    index = *mline_index;
  }
  sdp::MediaDescription& m = d.media[*index];
  const std::string where = Where(*index, MidOf(m));
  if (m.port == 0) {
    return absl::InvalidArgumentError(absl::StrCat("OperationError: ", where, " is rejected"));
  }
  const std::string section_ufrag = MediaOrSession(d, m, sdp::IceUfrag::kName).value_or("");
  // W3C: a candidate of another ICE generation (RFC 8838 §4.1.3) is an
  // OperationError.
  if (ufrag.has_value() && !ufrag->empty() && *ufrag != section_ufrag) {
    return absl::InvalidArgumentError(absl::StrCat("OperationError: ufrag ", *ufrag,
                                                   " does not match the remote description's (",
                                                   section_ufrag, ") for ", where));
  }
  absl::string_view value = absl::StripAsciiWhitespace(candidate);
  absl::ConsumePrefix(&value, "a=");
  if (value.empty()) {
    // RFC 8838 §4.1.4.2 / W3C: an empty candidate ends this generation.
    AddEndOfCandidates(m);
    impl_ = std::move(next);
    return std::optional<ice::Candidate>();
  }
  auto parsed = ice::ParseCandidate(value);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("OperationError: ", where, ": ", parsed.status().message()));
  }
  // A ufrag extension on the candidate itself names its generation too.
  for (const auto& [key, ext] : parsed->extensions) {
    if (key == "ufrag" && ext != section_ufrag) {
      return absl::InvalidArgumentError(absl::StrCat("OperationError: candidate ufrag ", ext,
                                                     " does not match the remote description's (",
                                                     section_ufrag, ") for ", where));
    }
  }
  AddCandidateTo(m, *parsed);
  impl_ = std::move(next);
  return std::optional<ice::Candidate>(*parsed);
}

void JsepSession::AddLocalCandidate(const ice::Candidate& candidate) {
  if (impl_->state == SignalingState::kClosed) return;
  auto next = std::make_shared<Impl>(*impl_);
  for (auto* d : {&next->pending_local, &next->current_local}) {
    if (!d->has_value()) continue;
    if (auto ti = TransportIndex(**d)) AddCandidateTo((*d)->media[*ti], candidate);
  }
  impl_ = std::move(next);
}

void JsepSession::SetLocalGatheringComplete() {
  if (impl_->state == SignalingState::kClosed) return;
  auto next = std::make_shared<Impl>(*impl_);
  for (auto* d : {&next->pending_local, &next->current_local}) {
    if (!d->has_value()) continue;
    if (auto ti = TransportIndex(**d)) AddEndOfCandidates((*d)->media[*ti]);
  }
  impl_ = std::move(next);
}

std::optional<std::pair<std::string, size_t>> JsepSession::CandidateTarget() const {
  const auto& local = impl_->local();
  if (!local.has_value()) return std::nullopt;
  auto ti = TransportIndex(*local);
  if (!ti.has_value()) return std::nullopt;
  return std::make_pair(MidOf(local->media[*ti]).value_or(""), *ti);
}

void JsepSession::Close() {
  auto next = std::make_shared<Impl>(*impl_);
  next->state = SignalingState::kClosed;
  impl_ = std::move(next);
}

SignalingState JsepSession::signaling_state() const { return impl_->state; }

namespace {
std::optional<std::string> SerializeOpt(const std::optional<sdp::SessionDescription>& d) {
  if (!d.has_value()) return std::nullopt;
  return sdp::Serialize(*d);
}
}  // namespace

std::optional<std::string> JsepSession::local_description() const {
  return SerializeOpt(impl_->local());
}
std::optional<std::string> JsepSession::remote_description() const {
  return SerializeOpt(impl_->remote());
}
std::optional<std::string> JsepSession::current_local_description() const {
  return SerializeOpt(impl_->current_local);
}
std::optional<std::string> JsepSession::pending_local_description() const {
  return SerializeOpt(impl_->pending_local);
}
std::optional<std::string> JsepSession::current_remote_description() const {
  return SerializeOpt(impl_->current_remote);
}
std::optional<std::string> JsepSession::pending_remote_description() const {
  return SerializeOpt(impl_->pending_remote);
}
const std::vector<Transceiver>& JsepSession::transceivers() const { return impl_->transceivers; }
std::optional<SctpInfo> JsepSession::sctp() const { return impl_->sctp; }

}  // namespace rtcsim::jsep
