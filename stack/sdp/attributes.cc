#include "stack/sdp/attributes.h"

#include <limits>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rtcsim::sdp {
namespace {

absl::Status Bad(absl::string_view attribute, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("a=", attribute, ": ", what));
}

// Digits only, at most `max` (the grammars use DIGIT runs, no sign).
std::optional<uint64_t> Number(absl::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) return std::nullopt;
    value = value * 10 + digit;
  }
  return value;
}

// Splits "<first> <rest>" at the first space; rest is nullopt without one,
// so callers can tell "a" from "a " (the latter an empty, invalid field).
std::pair<absl::string_view, std::optional<absl::string_view>> SplitFirst(absl::string_view value) {
  const size_t space = value.find(' ');
  if (space == absl::string_view::npos) return {value, std::nullopt};
  return {value.substr(0, space), value.substr(space + 1)};
}

// Single-space separated, non-empty tokens.
std::optional<std::vector<std::string>> Tokens(absl::string_view value) {
  std::vector<std::string> out = absl::StrSplit(value, ' ');
  for (const auto& t : out) {
    if (t.empty()) return std::nullopt;
  }
  return out;
}

// token (RFC 8866 §9): visible US-ASCII without the separators
// SP " ( ) , / : ; < = > ? @ [ \ ].
bool IsToken(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E) return false;
    if (absl::string_view("\"(),/:;<=>?@[\\]").find(c) != absl::string_view::npos) return false;
  }
  return true;
}

// A field that must be a token, for the message.
absl::Status CheckToken(absl::string_view attribute, absl::string_view field,
                        absl::string_view text, size_t max_size = 0) {
  if (text.empty()) return Bad(attribute, absl::StrCat("empty ", field));
  if (!IsToken(text)) {
    return Bad(attribute, absl::StrCat(field, " '", absl::CHexEscape(text), "' is not a token"));
  }
  if (max_size != 0 && text.size() > max_size) {
    return Bad(attribute, absl::StrCat(field, " is longer than ", max_size, " characters"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<RtpMap> RtpMap::Parse(absl::string_view value) {
  auto [pt, rest] = SplitFirst(value);
  auto number = Number(pt, 127);
  if (!number) return Bad(kName, absl::StrCat("payload type '", pt, "' is not 0-127"));
  if (!rest || rest->empty()) return Bad(kName, "missing <encoding name>/<clock rate>");
  std::vector<absl::string_view> parts = absl::StrSplit(*rest, absl::MaxSplits('/', 2));
  if (parts.size() < 2 || parts[0].empty()) {
    return Bad(kName, "expected <encoding name>/<clock rate>");
  }
  RtpMap map;
  map.payload_type = static_cast<uint8_t>(*number);
  if (auto s = CheckToken(kName, "encoding name", parts[0]); !s.ok()) return s;
  map.encoding = std::string(parts[0]);
  auto rate = Number(parts[1], std::numeric_limits<uint32_t>::max());
  if (!rate || *rate == 0) {
    return Bad(kName, absl::StrCat("clock rate '", parts[1], "' is not a positive number"));
  }
  map.clock_rate = static_cast<uint32_t>(*rate);
  if (parts.size() == 3) {
    if (parts[2].empty()) return Bad(kName, "empty encoding parameters");
    if (!IsToken(parts[2])) {
      return Bad(kName, absl::StrCat("encoding parameters '", absl::CHexEscape(parts[2]),
                                     "' is not a token"));
    }
    map.encoding_parameters = std::string(parts[2]);
  }
  return map;
}

std::string RtpMap::ToValue() const {
  std::string out = absl::StrCat(payload_type, " ", encoding, "/", clock_rate);
  if (encoding_parameters) absl::StrAppend(&out, "/", *encoding_parameters);
  return out;
}

absl::StatusOr<Fmtp> Fmtp::Parse(absl::string_view value) {
  auto [format, rest] = SplitFirst(value);
  if (auto s = CheckToken(kName, "format", format); !s.ok()) return s;
  if (!rest || rest->empty()) return Bad(kName, "missing format parameters");
  return Fmtp{std::string(format), std::string(*rest)};
}

std::string Fmtp::ToValue() const { return absl::StrCat(format, " ", parameters); }

std::vector<std::pair<std::string, std::string>> Fmtp::Parameters() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (absl::string_view part : absl::StrSplit(parameters, ';')) {
    // Implementations differ on spaces around ';' (RFC 8866 §6.15 leaves the
    // syntax to each format), so they are not part of names or values.
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) part.remove_prefix(1);
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) part.remove_suffix(1);
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    if (eq == absl::string_view::npos) {
      out.emplace_back(std::string(part), "");
    } else {
      out.emplace_back(std::string(part.substr(0, eq)), std::string(part.substr(eq + 1)));
    }
  }
  return out;
}

std::optional<std::string> Fmtp::Parameter(absl::string_view name) const {
  for (auto& [key, value] : Parameters()) {
    if (key == name) return value;
  }
  return std::nullopt;
}

absl::StatusOr<RtcpFb> RtcpFb::Parse(absl::string_view value) {
  auto [format, rest] = SplitFirst(value);
  // rtcp-fb-pt = "*" / fmt (RFC 4585 §4.2); fmt is a token.
  if (auto s = CheckToken(kName, "format", format); !s.ok()) return s;
  if (!rest || rest->empty()) return Bad(kName, "missing feedback type");
  auto [type, parameter] = SplitFirst(*rest);
  if (auto s = CheckToken(kName, "feedback type", type); !s.ok()) return s;
  RtcpFb fb{std::string(format), std::string(type), std::nullopt};
  if (parameter) {
    if (parameter->empty()) return Bad(kName, "empty feedback parameter");
    fb.parameter = std::string(*parameter);
  }
  return fb;
}

std::string RtcpFb::ToValue() const {
  std::string out = absl::StrCat(format, " ", type);
  if (parameter) absl::StrAppend(&out, " ", *parameter);
  return out;
}

absl::StatusOr<ExtMap> ExtMap::Parse(absl::string_view value) {
  auto [id_part, rest] = SplitFirst(value);
  ExtMap map;
  const size_t slash = id_part.find('/');
  if (slash != absl::string_view::npos) {
    if (slash + 1 == id_part.size()) return Bad(kName, "empty direction");
    map.direction = std::string(id_part.substr(slash + 1));
    // RFC 8285 §8: direction = "sendonly" / "recvonly" / "sendrecv" / "inactive".
    if (*map.direction != "sendonly" && *map.direction != "recvonly" &&
        *map.direction != "sendrecv" && *map.direction != "inactive") {
      return Bad(kName, absl::StrCat("direction '", absl::CHexEscape(*map.direction),
                                     "' is not sendonly, recvonly, sendrecv or inactive"));
    }
    id_part = id_part.substr(0, slash);
  }
  // RFC 8285 §5: ids 1–14 (one-byte) and 1–255 (two-byte headers).
  auto id = Number(id_part, 255);
  if (!id || *id == 0) return Bad(kName, absl::StrCat("id '", id_part, "' is not 1-255"));
  map.id = static_cast<uint16_t>(*id);
  if (!rest || rest->empty()) return Bad(kName, "missing URI");
  auto [uri, attributes] = SplitFirst(*rest);
  if (uri.empty()) return Bad(kName, "empty URI");
  map.uri = std::string(uri);
  if (attributes) {
    if (attributes->empty()) return Bad(kName, "empty extension attributes");
    map.attributes = std::string(*attributes);
  }
  return map;
}

std::string ExtMap::ToValue() const {
  std::string out = absl::StrCat(id);
  if (direction) absl::StrAppend(&out, "/", *direction);
  absl::StrAppend(&out, " ", uri);
  if (attributes) absl::StrAppend(&out, " ", *attributes);
  return out;
}

absl::StatusOr<Ssrc> Ssrc::Parse(absl::string_view value) {
  auto [id, rest] = SplitFirst(value);
  auto number = Number(id, std::numeric_limits<uint32_t>::max());
  if (!number) return Bad(kName, absl::StrCat("ssrc-id '", id, "' is not a 32-bit number"));
  if (!rest || rest->empty()) return Bad(kName, "missing source attribute");
  Ssrc ssrc;
  ssrc.ssrc = static_cast<uint32_t>(*number);
  const size_t colon = rest->find(':');
  ssrc.attribute = std::string(rest->substr(0, colon));
  if (auto s = CheckToken(kName, "source attribute name", ssrc.attribute); !s.ok()) return s;
  if (colon != absl::string_view::npos) ssrc.value = std::string(rest->substr(colon + 1));
  return ssrc;
}

std::string Ssrc::ToValue() const {
  std::string out = absl::StrCat(ssrc, " ", attribute);
  if (value) absl::StrAppend(&out, ":", *value);
  return out;
}

absl::StatusOr<SsrcGroup> SsrcGroup::Parse(absl::string_view value) {
  auto tokens = Tokens(value);
  if (!tokens || tokens->empty()) return Bad(kName, "expected <semantics> *(SP <ssrc-id>)");
  if (auto s = CheckToken(kName, "semantics", (*tokens)[0]); !s.ok()) return s;
  SsrcGroup group;
  group.semantics = (*tokens)[0];
  for (size_t i = 1; i < tokens->size(); ++i) {
    auto number = Number((*tokens)[i], std::numeric_limits<uint32_t>::max());
    if (!number) {
      return Bad(kName, absl::StrCat("ssrc-id '", (*tokens)[i], "' is not a 32-bit number"));
    }
    group.ssrcs.push_back(static_cast<uint32_t>(*number));
  }
  return group;
}

std::string SsrcGroup::ToValue() const {
  std::string out = semantics;
  for (uint32_t s : ssrcs) absl::StrAppend(&out, " ", s);
  return out;
}

absl::StatusOr<Msid> Msid::Parse(absl::string_view value) {
  auto [id, appdata] = SplitFirst(value);
  // msid-id and msid-appdata are 1*64token-char (RFC 8830 §2).
  if (id.empty()) return Bad(kName, "empty msid-id");
  if (auto s = CheckToken(kName, "msid-id", id, 64); !s.ok()) return s;
  Msid msid{std::string(id), std::nullopt};
  if (appdata) {
    if (appdata->empty() || appdata->find(' ') != absl::string_view::npos) {
      return Bad(kName, "msid-appdata must be one non-empty token");
    }
    if (auto s = CheckToken(kName, "msid-appdata", *appdata, 64); !s.ok()) return s;
    msid.appdata = std::string(*appdata);
  }
  return msid;
}

std::string Msid::ToValue() const { return appdata ? absl::StrCat(id, " ", *appdata) : id; }

absl::StatusOr<Mid> Mid::Parse(absl::string_view value) {
  if (value.empty() || value.find(' ') != absl::string_view::npos) {
    return Bad(kName, "identification-tag must be one non-empty token");
  }
  if (auto s = CheckToken(kName, "identification-tag", value); !s.ok()) return s;
  return Mid{std::string(value)};
}

absl::StatusOr<Group> Group::Parse(absl::string_view value) {
  auto tokens = Tokens(value);
  if (!tokens || tokens->empty()) return Bad(kName, "expected <semantics> *(SP <mid>)");
  if (auto s = CheckToken(kName, "semantics", (*tokens)[0]); !s.ok()) return s;
  for (size_t i = 1; i < tokens->size(); ++i) {
    if (auto s = CheckToken(kName, "identification-tag", (*tokens)[i]); !s.ok()) return s;
  }
  Group group;
  group.semantics = (*tokens)[0];
  group.mids.assign(tokens->begin() + 1, tokens->end());
  return group;
}

std::string Group::ToValue() const {
  std::string out = semantics;
  for (const auto& m : mids) absl::StrAppend(&out, " ", m);
  return out;
}

namespace {
// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1).
absl::Status CheckIceChars(absl::string_view name, absl::string_view value, size_t min) {
  if (value.size() < min || value.size() > 256) {
    return Bad(name, absl::StrCat("length ", value.size(), " is outside ", min, "-256"));
  }
  for (char c : value) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '+' || c == '/';
    if (!ok) return Bad(name, "contains a character that is not an ice-char");
  }
  return absl::OkStatus();
}
}  // namespace

absl::StatusOr<IceUfrag> IceUfrag::Parse(absl::string_view value) {
  if (auto s = CheckIceChars(kName, value, 4); !s.ok()) return s;
  return IceUfrag{std::string(value)};
}

absl::StatusOr<IcePwd> IcePwd::Parse(absl::string_view value) {
  if (auto s = CheckIceChars(kName, value, 22); !s.ok()) return s;
  return IcePwd{std::string(value)};
}

absl::StatusOr<IceOptions> IceOptions::Parse(absl::string_view value) {
  auto tokens = Tokens(value);
  if (!tokens || tokens->empty()) return Bad(kName, "expected <ice-option-tag> *(SP <tag>)");
  for (const std::string& tag : *tokens) {
    if (auto s = CheckToken(kName, "ice-option-tag", tag); !s.ok()) return s;
  }
  return IceOptions{*std::move(tokens)};
}

std::string IceOptions::ToValue() const { return absl::StrJoin(options, " "); }

absl::StatusOr<CandidateAttribute> CandidateAttribute::Parse(absl::string_view value) {
  auto candidate = ice::ParseCandidate(absl::StrCat("candidate:", value));
  if (!candidate.ok()) return Bad(kName, candidate.status().message());
  return CandidateAttribute{*std::move(candidate)};
}

std::string CandidateAttribute::ToValue() const {
  std::string line = ice::SerializeCandidate(candidate);
  absl::string_view view(line);
  absl::ConsumePrefix(&view, "candidate:");
  return std::string(view);
}

absl::StatusOr<FingerprintAttribute> FingerprintAttribute::Parse(absl::string_view value) {
  auto fingerprint = dtls::Fingerprint::Parse(value);
  if (!fingerprint.ok()) return Bad(kName, fingerprint.status().message());
  return FingerprintAttribute{*std::move(fingerprint)};
}

absl::StatusOr<SetupAttribute> SetupAttribute::Parse(absl::string_view value) {
  if (value == "active") return SetupAttribute{SetupRole::kActive};
  if (value == "passive") return SetupAttribute{SetupRole::kPassive};
  if (value == "actpass") return SetupAttribute{SetupRole::kActpass};
  if (value == "holdconn") return SetupAttribute{SetupRole::kHoldconn};
  return Bad(kName, absl::StrCat("'", value, "' is not active, passive, actpass or holdconn"));
}

std::string SetupAttribute::ToValue() const {
  switch (role) {
    case SetupRole::kActive:
      return "active";
    case SetupRole::kPassive:
      return "passive";
    case SetupRole::kActpass:
      return "actpass";
    case SetupRole::kHoldconn:
      return "holdconn";
  }
  return "actpass";
}

absl::StatusOr<SctpPort> SctpPort::Parse(absl::string_view value) {
  auto port = Number(value, 65535);
  if (!port) return Bad(kName, absl::StrCat("'", value, "' is not a port number"));
  return SctpPort{static_cast<uint16_t>(*port)};
}

absl::StatusOr<MaxMessageSize> MaxMessageSize::Parse(absl::string_view value) {
  auto bytes = Number(value, std::numeric_limits<uint64_t>::max());
  if (!bytes) return Bad(kName, absl::StrCat("'", value, "' is not a number"));
  return MaxMessageSize{*bytes};
}

absl::string_view ToString(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

namespace {
std::optional<Direction> DirectionOf(const Attribute& a) {
  // Direction attributes are property attributes (RFC 8866 §6.7).
  if (a.value.has_value()) return std::nullopt;
  for (Direction d :
       {Direction::kSendRecv, Direction::kSendOnly, Direction::kRecvOnly, Direction::kInactive}) {
    if (a.name == ToString(d)) return d;
  }
  return std::nullopt;
}
}  // namespace

Direction GetDirection(const std::vector<Attribute>& attributes, Direction session_default) {
  for (const Attribute& a : attributes) {
    if (auto d = DirectionOf(a)) return *d;
  }
  return session_default;
}

void SetDirection(std::vector<Attribute>& attributes, Direction direction) {
  bool placed = false;
  for (auto it = attributes.begin(); it != attributes.end();) {
    if (!DirectionOf(*it)) {
      ++it;
    } else if (!placed) {
      it->name = std::string(ToString(direction));
      placed = true;
      ++it;
    } else {
      it = attributes.erase(it);
    }
  }
  if (!placed) attributes.push_back(Attribute{std::string(ToString(direction)), std::nullopt});
}

bool HasAttribute(const std::vector<Attribute>& attributes, absl::string_view name) {
  for (const Attribute& a : attributes) {
    if (a.name == name) return true;
  }
  return false;
}

std::optional<std::string> FirstValue(const std::vector<Attribute>& attributes,
                                      absl::string_view name) {
  for (const Attribute& a : attributes) {
    if (a.name == name) return a.value;
  }
  return std::nullopt;
}

absl::StatusOr<std::vector<std::vector<std::string>>> BundleGroups(
    const SessionDescription& description) {
  auto groups = GetAll<Group>(description.attributes);
  if (!groups.ok()) return groups.status();
  std::vector<std::vector<std::string>> out;
  for (Group& g : *groups) {
    if (g.semantics == "BUNDLE") out.push_back(std::move(g.mids));
  }
  return out;
}

}  // namespace rtcsim::sdp
