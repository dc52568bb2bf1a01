// Typed views of the SDP attributes WebRTC uses. The model keeps each
// attribute as a (name, value) pair (session_description.h); a view parses a
// value on demand and serialises back to one, so code reads and writes typed
// data while everything it does not touch stays byte for byte as received.
//
// Every view T has
//   static constexpr absl::string_view kName;       // the att-field
//   static absl::StatusOr<T> Parse(absl::string_view value);
//   std::string ToValue() const;                   // the att-value
// and the helpers at the end (GetAll, GetFirst, ToAttribute) work on any of
// them. Parse errors are InvalidArgument and name the attribute and field.
#ifndef RTCSIM_STACK_SDP_ATTRIBUTES_H_
#define RTCSIM_STACK_SDP_ATTRIBUTES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "stack/dtls/fingerprint.h"
#include "stack/ice/candidate.h"
#include "stack/sdp/session_description.h"

namespace rtcsim::sdp {

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding
// parameters>] (RFC 8866 §6.6).
struct RtpMap {
  static constexpr absl::string_view kName = "rtpmap";
  uint8_t payload_type = 0;  // 0–127
  std::string encoding;      // case kept as written ("opus", "VP8")
  uint32_t clock_rate = 0;
  std::optional<std::string> encoding_parameters;  // channels for audio

  static absl::StatusOr<RtpMap> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const RtpMap&) const = default;
};

// a=fmtp:<format> <format specific parameters> (RFC 8866 §6.15). The
// parameters are kept verbatim (their syntax belongs to each payload
// format); Parameters() splits the common "k=v;k=v" form.
struct Fmtp {
  static constexpr absl::string_view kName = "fmtp";
  std::string format;
  std::string parameters;

  // "minptime=10;useinbandfec=1" -> {{"minptime","10"},{"useinbandfec","1"}};
  // a part without '=' (e.g. "0-15" of telephone-event) has an empty value.
  std::vector<std::pair<std::string, std::string>> Parameters() const;
  std::optional<std::string> Parameter(absl::string_view name) const;

  static absl::StatusOr<Fmtp> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const Fmtp&) const = default;
};

// a=rtcp-fb:<pt or *> <type> [<parameters>] (RFC 4585 §4.2), e.g.
// "96 nack pli", "96 transport-cc", "* ccm fir".
struct RtcpFb {
  static constexpr absl::string_view kName = "rtcp-fb";
  std::string format;
  std::string type;
  std::optional<std::string> parameter;  // the rest, verbatim

  static absl::StatusOr<RtcpFb> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const RtcpFb&) const = default;
};

// a=extmap:<id>[/<direction>] <URI> [<extension attributes>]
// (RFC 8285 §8).
struct ExtMap {
  static constexpr absl::string_view kName = "extmap";
  uint16_t id = 0;                       // 1–14 one-byte, up to 255 two-byte
  std::optional<std::string> direction;  // sendonly, recvonly, sendrecv, inactive
  std::string uri;
  std::optional<std::string> attributes;

  static absl::StatusOr<ExtMap> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const ExtMap&) const = default;
};

// a=ssrc:<ssrc-id> <attribute>[:<value>] (RFC 5576 §4.1), e.g.
// "1234 cname:abc" or "1234 msid:stream track".
struct Ssrc {
  static constexpr absl::string_view kName = "ssrc";
  uint32_t ssrc = 0;
  std::string attribute;
  std::optional<std::string> value;

  static absl::StatusOr<Ssrc> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const Ssrc&) const = default;
};

// a=ssrc-group:<semantics> <ssrc-id> ... (RFC 5576 §4.2), e.g. "FID 1 2"
// for an RTX pair (RFC 4588 §8).
struct SsrcGroup {
  static constexpr absl::string_view kName = "ssrc-group";
  std::string semantics;
  std::vector<uint32_t> ssrcs;

  static absl::StatusOr<SsrcGroup> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const SsrcGroup&) const = default;
};

// a=msid:<id> [<appdata>] (RFC 8830 §2): stream id and track id.
struct Msid {
  static constexpr absl::string_view kName = "msid";
  std::string id;
  std::optional<std::string> appdata;

  static absl::StatusOr<Msid> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const Msid&) const = default;
};

// a=mid:<identification-tag> (RFC 5888 §4).
struct Mid {
  static constexpr absl::string_view kName = "mid";
  std::string id;

  static absl::StatusOr<Mid> Parse(absl::string_view value);
  std::string ToValue() const { return id; }
  bool operator==(const Mid&) const = default;
};

// a=group:<semantics> *(SP <identification-tag>) (RFC 5888 §5); BUNDLE is
// RFC 8843 §7.
struct Group {
  static constexpr absl::string_view kName = "group";
  std::string semantics;
  std::vector<std::string> mids;

  static absl::StatusOr<Group> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const Group&) const = default;
};

// a=ice-ufrag / a=ice-pwd (RFC 8839 §5.4): 4–256 and 22–256 ice-chars.
struct IceUfrag {
  static constexpr absl::string_view kName = "ice-ufrag";
  std::string ufrag;

  static absl::StatusOr<IceUfrag> Parse(absl::string_view value);
  std::string ToValue() const { return ufrag; }
  bool operator==(const IceUfrag&) const = default;
};
struct IcePwd {
  static constexpr absl::string_view kName = "ice-pwd";
  std::string password;

  static absl::StatusOr<IcePwd> Parse(absl::string_view value);
  std::string ToValue() const { return password; }
  bool operator==(const IcePwd&) const = default;
};

// a=ice-options:<tag> *(SP <tag>) (RFC 8839 §5.6), e.g. "trickle".
struct IceOptions {
  static constexpr absl::string_view kName = "ice-options";
  std::vector<std::string> options;

  static absl::StatusOr<IceOptions> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const IceOptions&) const = default;
};

// a=candidate:... (RFC 8839 §5.1), through stack/ice's codec.
struct CandidateAttribute {
  static constexpr absl::string_view kName = "candidate";
  ice::Candidate candidate;

  static absl::StatusOr<CandidateAttribute> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const CandidateAttribute&) const = default;
};

// a=fingerprint:<hash-func> <hex> (RFC 8122 §5), through stack/dtls.
struct FingerprintAttribute {
  static constexpr absl::string_view kName = "fingerprint";
  dtls::Fingerprint fingerprint;

  static absl::StatusOr<FingerprintAttribute> Parse(absl::string_view value);
  std::string ToValue() const { return fingerprint.ToString(); }
  bool operator==(const FingerprintAttribute&) const = default;
};

// a=setup (RFC 4145 §4, used by DTLS-SRTP per RFC 8842 §5).
enum class SetupRole { kActive, kPassive, kActpass, kHoldconn };
struct SetupAttribute {
  static constexpr absl::string_view kName = "setup";
  SetupRole role = SetupRole::kActpass;

  static absl::StatusOr<SetupAttribute> Parse(absl::string_view value);
  std::string ToValue() const;
  bool operator==(const SetupAttribute&) const = default;
};

// a=sctp-port:<port> (RFC 8841 §5.1) and a=max-message-size:<bytes>
// (RFC 8841 §6.1; 0 means no limit other than memory).
struct SctpPort {
  static constexpr absl::string_view kName = "sctp-port";
  uint16_t port = 5000;

  static absl::StatusOr<SctpPort> Parse(absl::string_view value);
  std::string ToValue() const { return absl::StrCat(port); }
  bool operator==(const SctpPort&) const = default;
};
struct MaxMessageSize {
  static constexpr absl::string_view kName = "max-message-size";
  uint64_t bytes = 65536;

  static absl::StatusOr<MaxMessageSize> Parse(absl::string_view value);
  std::string ToValue() const { return absl::StrCat(bytes); }
  bool operator==(const MaxMessageSize&) const = default;
};

// Property attributes (no value).
inline constexpr absl::string_view kRtcpMux = "rtcp-mux";                   // RFC 5761 §5.1.1
inline constexpr absl::string_view kRtcpRsize = "rtcp-rsize";               // RFC 5506 §5
inline constexpr absl::string_view kEndOfCandidates = "end-of-candidates";  // RFC 8840 §8.2

// Media direction (RFC 8866 §6.7): one of four property attributes.
enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };
absl::string_view ToString(Direction direction);
// The direction attribute in `attributes`, or sendrecv when there is none
// (RFC 8866 §6.7.2 makes it the default). With `session_default`, a media
// section without its own direction inherits the session-level one.
Direction GetDirection(const std::vector<Attribute>& attributes,
                       Direction session_default = Direction::kSendRecv);
// Replaces the first direction attribute in place (keeping the order of the
// others), removing any further ones, or appends one.
void SetDirection(std::vector<Attribute>& attributes, Direction direction);

// --- Generic helpers --------------------------------------------------------

bool HasAttribute(const std::vector<Attribute>& attributes, absl::string_view name);
// The value of the first attribute called `name`; nullopt when absent or
// when it has no value.
std::optional<std::string> FirstValue(const std::vector<Attribute>& attributes,
                                      absl::string_view name);

// Every attribute named T::kName, parsed; the first bad one fails the call.
template <typename T>
absl::StatusOr<std::vector<T>> GetAll(const std::vector<Attribute>& attributes) {
  std::vector<T> out;
  for (const Attribute& a : attributes) {
    if (a.name != T::kName) continue;
    auto parsed = T::Parse(a.value.value_or(""));
    if (!parsed.ok()) return parsed.status();
    out.push_back(*std::move(parsed));
  }
  return out;
}

// The first attribute named T::kName, parsed, or nullopt when absent.
template <typename T>
absl::StatusOr<std::optional<T>> GetFirst(const std::vector<Attribute>& attributes) {
  for (const Attribute& a : attributes) {
    if (a.name != T::kName) continue;
    auto parsed = T::Parse(a.value.value_or(""));
    if (!parsed.ok()) return parsed.status();
    return std::optional<T>(*std::move(parsed));
  }
  return std::optional<T>();
}

template <typename T>
Attribute ToAttribute(const T& view) {
  return Attribute{std::string(T::kName), view.ToValue()};
}

// The mids of the session-level a=group:BUNDLE lines (RFC 8843 §7), in
// order; several BUNDLE groups give several vectors.
absl::StatusOr<std::vector<std::vector<std::string>>> BundleGroups(
    const SessionDescription& description);

}  // namespace rtcsim::sdp

#endif  // RTCSIM_STACK_SDP_ATTRIBUTES_H_
