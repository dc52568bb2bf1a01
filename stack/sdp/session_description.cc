#include "stack/sdp/session_description.h"

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace rtcsim::sdp {
namespace {

// Where each line type may appear. RFC 8866 §5 fixes the order of lines so
// that a parser can detect errors; ranks only increase, except inside the
// repeatable groups handled in ParseSessionLine.
int SessionRank(char type) {
  switch (type) {
    case 'v':
      return 0;
    case 'o':
      return 1;
    case 's':
      return 2;
    case 'i':
      return 3;
    case 'u':
      return 4;
    case 'e':
      return 5;
    case 'p':
      return 6;
    case 'c':
      return 7;
    case 'b':
      return 8;
    case 't':
      return 9;
    case 'r':
      return 10;
    case 'z':
      return 11;
    case 'k':
      return 12;
    case 'a':
      return 13;
    default:
      return -1;
  }
}

int MediaRank(char type) {
  switch (type) {
    case 'm':
      return 0;
    case 'i':
      return 1;
    case 'c':
      return 2;
    case 'b':
      return 3;
    case 'k':
      return 4;
    case 'a':
      return 5;
    default:
      return -1;
  }
}

// Types that may occur several times in a row at their level.
bool RepeatsAtSession(char type) {
  return type == 'e' || type == 'p' || type == 'b' || type == 'r' || type == 'a';
}
bool RepeatsInMedia(char type) { return type == 'c' || type == 'b' || type == 'a'; }

// Unsigned decimal without sign or spaces (RFC 8866 §9 uses DIGIT runs);
// `what` names the field in the error.
absl::StatusOr<uint64_t> ParseNumber(absl::string_view text, absl::string_view what, uint64_t max) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what));
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return absl::InvalidArgumentError(absl::StrCat(what, " '", text, "' is not a number"));
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (value > (max - digit) / 10) {
      return absl::InvalidArgumentError(absl::StrCat(what, " '", text, "' is too large"));
    }
    value = value * 10 + digit;
  }
  return value;
}

// Splits on single spaces; an empty field (leading, trailing or double
// space) is an error because the grammar separates fields by exactly one SP.
absl::StatusOr<std::vector<absl::string_view>> Fields(absl::string_view value,
                                                      absl::string_view what) {
  std::vector<absl::string_view> fields = absl::StrSplit(value, ' ');
  for (absl::string_view f : fields) {
    if (f.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("empty field in ", what, " (fields are separated by one space)"));
    }
  }
  return fields;
}

// token-char (RFC 8866 §9): visible US-ASCII except the separators
// SP " ( ) , / : ; < = > ? @ [ \ ]. Field and attribute names are US-ASCII.
bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x21 || u > 0x7E) return false;
  return absl::string_view("\"(),/:;<=>?@[\\]").find(c) == absl::string_view::npos;
}

absl::Status CheckToken(absl::string_view text, absl::string_view what) {
  if (text.empty()) return absl::InvalidArgumentError(absl::StrCat("empty ", what));
  for (char c : text) {
    if (!IsTokenChar(c)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " '", absl::CHexEscape(text), "' is not a token (RFC 8866 §9)"));
    }
  }
  return absl::OkStatus();
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Dotted quad, each part 0-255 without leading zeros beyond "0".
bool IsIp4Address(absl::string_view text) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, '.');
  if (parts.size() != 4) return false;
  for (absl::string_view p : parts) {
    if (p.empty() || p.size() > 3) return false;
    int value = 0;
    for (char c : p) {
      if (!IsDigit(c)) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
  }
  return true;
}

// A FQDN (RFC 8866 §9: 4*(alpha-numeric / "-" / ".")), accepted in o= and
// c= in place of a literal address.
bool IsFqdn(absl::string_view text) {
  if (text.size() < 4) return false;
  for (char c : text) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

// <nettype> <addrtype> <address> as shared by o= (§5.2) and c= (§5.7). For
// nettype IN (the only one RFC 8866 defines) addrtype is IP4 or IP6 and the
// address must look like one; other nettypes are kept as tokens.
absl::Status CheckNetworkAddress(absl::string_view net_type, absl::string_view addr_type,
                                 absl::string_view address, bool allow_multicast_suffix) {
  if (auto s = CheckToken(net_type, "nettype"); !s.ok()) return s;
  if (auto s = CheckToken(addr_type, "addrtype"); !s.ok()) return s;
  if (net_type != "IN") return absl::OkStatus();
  if (addr_type != "IP4" && addr_type != "IP6") {
    return absl::InvalidArgumentError(absl::StrCat("addrtype '", absl::CHexEscape(addr_type),
                                                   "' is not IP4 or IP6 (RFC 8866 §5.7)"));
  }
  absl::string_view host = address;
  const size_t slash = address.find('/');
  if (slash != absl::string_view::npos) {
    if (!allow_multicast_suffix) {
      return absl::InvalidArgumentError(
          absl::StrCat("unicast address '", absl::CHexEscape(address), "' has a '/' suffix"));
    }
    host = address.substr(0, slash);
    // /<ttl>[/<number of addresses>] (IP4) or /<number of addresses> (IP6).
    for (absl::string_view part : absl::StrSplit(address.substr(slash + 1), '/')) {
      auto n = ParseNumber(part, "multicast ttl or address count", 65535);
      if (!n.ok()) return n.status();
    }
  }
  bool ok = IsFqdn(host);
  if (addr_type == "IP4") {
    bool dotted = !host.empty();
    for (char c : host) dotted = dotted && (IsDigit(c) || c == '.');
    if (dotted) ok = IsIp4Address(host);
  } else if (host.find(':') != absl::string_view::npos) {
    ok = true;
    for (char c : host) {
      ok = ok && (absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.');
    }
  }
  if (!ok) {
    return absl::InvalidArgumentError(absl::StrCat("address '", absl::CHexEscape(host),
                                                   "' is not an ", addr_type, " address or FQDN"));
  }
  return absl::OkStatus();
}

// typed-time = 1*DIGIT [fixed-len-time-unit] (RFC 8866 §9), e.g. "7d".
absl::Status CheckTypedTime(absl::string_view text, absl::string_view what) {
  absl::string_view digits = text;
  if (!digits.empty() && absl::string_view("dhms").find(digits.back()) != absl::string_view::npos) {
    digits.remove_suffix(1);
  }
  auto n = ParseNumber(digits, what, std::numeric_limits<uint64_t>::max());
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " '", absl::CHexEscape(text), "' is not a time (digits and d/h/m/s)"));
  }
  return absl::OkStatus();
}

// r=<repeat interval> <active duration> <offsets from start-time>
// (RFC 8866 §5.10).
absl::Status CheckRepeat(absl::string_view value) {
  auto fields = Fields(value, "repeat time");
  if (!fields.ok()) return fields.status();
  if (fields->size() < 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected <repeat interval> <active duration> <offsets>..., got ",
                     fields->size(), " fields"));
  }
  for (absl::string_view f : *fields) {
    if (auto s = CheckTypedTime(f, "repeat time"); !s.ok()) return s;
  }
  if ((*fields)[0].front() == '0') {
    return absl::InvalidArgumentError("repeat interval must not be zero");
  }
  return absl::OkStatus();
}

// z=<adjustment time> <offset> ... (RFC 8866 §5.11), pairs.
absl::Status CheckZone(absl::string_view value) {
  auto fields = Fields(value, "time zone adjustment");
  if (!fields.ok()) return fields.status();
  if (fields->size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected <adjustment time> <offset> pairs, got ", fields->size(), " fields"));
  }
  for (size_t i = 0; i < fields->size(); i += 2) {
    auto t = ParseNumber((*fields)[i], "adjustment time", std::numeric_limits<uint64_t>::max());
    if (!t.ok()) return t.status();
    absl::string_view offset = (*fields)[i + 1];
    absl::ConsumePrefix(&offset, "-");
    if (auto s = CheckTypedTime(offset, "time zone offset"); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// k=<method>[:<encryption key>] (RFC 8866 §5.12).
absl::Status CheckKey(absl::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError("empty encryption key");
  const size_t colon = value.find(':');
  const absl::string_view method = value.substr(0, colon);
  if (auto s = CheckToken(method, "key method"); !s.ok()) return s;
  if (colon == absl::string_view::npos) return absl::OkStatus();
  if (colon + 1 == value.size()) {
    return absl::InvalidArgumentError(absl::StrCat("empty key after '", method, ":'"));
  }
  if (method == "base64") {
    for (char c : value.substr(colon + 1)) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '/' && c != '=') {
        return absl::InvalidArgumentError("base64 key contains a non-base64 character");
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNonEmpty(absl::string_view value, absl::string_view what) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("empty ", what, " (RFC 8866 §9: text is 1*byte)"));
  }
  return absl::OkStatus();
}

// u=<uri> (RFC 8866 §5.5): an RFC 3986 URI has no spaces or controls.
absl::Status CheckUri(absl::string_view value) {
  if (auto s = CheckNonEmpty(value, "URI"); !s.ok()) return s;
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F) {
      return absl::InvalidArgumentError("URI contains a space or control character");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Connection> ParseConnection(absl::string_view value) {
  auto fields = Fields(value, "connection data");
  if (!fields.ok()) return fields.status();
  if (fields->size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 3 fields <nettype> <addrtype> <address>, got ", fields->size()));
  }
  if (auto s = CheckNetworkAddress((*fields)[0], (*fields)[1], (*fields)[2],
                                   /*allow_multicast_suffix=*/true);
      !s.ok()) {
    return s;
  }
  return Connection{std::string((*fields)[0]), std::string((*fields)[1]),
                    std::string((*fields)[2])};
}

absl::StatusOr<Bandwidth> ParseBandwidth(absl::string_view value) {
  const size_t colon = value.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("expected <bwtype>:<bandwidth>");
  }
  if (auto s = CheckToken(value.substr(0, colon), "bwtype"); !s.ok()) return s;
  auto number =
      ParseNumber(value.substr(colon + 1), "bandwidth", std::numeric_limits<uint64_t>::max());
  if (!number.ok()) return number.status();
  return Bandwidth{std::string(value.substr(0, colon)), *number};
}

absl::StatusOr<Attribute> ParseAttribute(absl::string_view value) {
  const size_t colon = value.find(':');
  Attribute attribute;
  attribute.name = std::string(value.substr(0, colon));
  if (colon != absl::string_view::npos) attribute.value = std::string(value.substr(colon + 1));
  if (attribute.name.empty()) return absl::InvalidArgumentError("empty attribute name");
  // att-field is a token (RFC 8866 §9): no spaces in the name.
  if (attribute.name.find(' ') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("attribute name '", attribute.name, "' contains a space"));
  }
  if (auto s = CheckToken(attribute.name, "attribute name"); !s.ok()) return s;
  return attribute;
}

absl::StatusOr<Origin> ParseOrigin(absl::string_view value) {
  auto fields = Fields(value, "origin");
  if (!fields.ok()) return fields.status();
  if (fields->size() != 6) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 6 fields <username> <sess-id> <sess-version> <nettype> <addrtype> "
                     "<address>, got ",
                     fields->size()));
  }
  const auto& f = *fields;
  for (int i : {1, 2}) {
    for (char c : f[i]) {
      if (c < '0' || c > '9') {
        return absl::InvalidArgumentError(
            absl::StrCat(i == 1 ? "sess-id" : "sess-version", " '", f[i], "' is not a number"));
      }
    }
  }
  if (auto s = CheckNetworkAddress(f[3], f[4], f[5], /*allow_multicast_suffix=*/false); !s.ok()) {
    return s;
  }
  return Origin{std::string(f[0]), std::string(f[1]), std::string(f[2]),
                std::string(f[3]), std::string(f[4]), std::string(f[5])};
}

absl::StatusOr<MediaDescription> ParseMediaLine(absl::string_view value) {
  auto fields = Fields(value, "media description");
  if (!fields.ok()) return fields.status();
  if (fields->size() < 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected <media> <port> <proto> <fmt> ..., got ", fields->size(), " fields"));
  }
  const auto& f = *fields;
  if (auto s = CheckToken(f[0], "media type"); !s.ok()) return s;
  MediaDescription m;
  m.media = std::string(f[0]);
  absl::string_view port = f[1];
  const size_t slash = port.find('/');
  if (slash != absl::string_view::npos) {
    auto count =
        ParseNumber(port.substr(slash + 1), "port count", std::numeric_limits<uint32_t>::max());
    if (!count.ok()) return count.status();
    if (*count == 0) return absl::InvalidArgumentError("port count must not be zero");
    m.port_count = static_cast<uint32_t>(*count);
    port = port.substr(0, slash);
  }
  auto port_number = ParseNumber(port, "port", 65535);
  if (!port_number.ok()) return port_number.status();
  m.port = static_cast<uint16_t>(*port_number);
  // proto = token *("/" token) (RFC 8866 §9).
  for (absl::string_view part : absl::StrSplit(f[2], '/')) {
    if (part.empty() || !CheckToken(part, "proto").ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "proto '", absl::CHexEscape(f[2]), "' is not token *(\"/\" token) (RFC 8866 §5.14)"));
    }
  }
  m.proto = std::string(f[2]);
  for (size_t i = 3; i < f.size(); ++i) {
    if (auto s = CheckToken(f[i], "fmt"); !s.ok()) return s;
    m.formats.emplace_back(f[i]);
  }
  return m;
}

absl::StatusOr<Timing> ParseTiming(absl::string_view value) {
  auto fields = Fields(value, "timing");
  if (!fields.ok()) return fields.status();
  if (fields->size() != 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected <start-time> <stop-time>, got ", fields->size(), " fields"));
  }
  auto start = ParseNumber((*fields)[0], "start time", std::numeric_limits<uint64_t>::max());
  if (!start.ok()) return start.status();
  auto stop = ParseNumber((*fields)[1], "stop time", std::numeric_limits<uint64_t>::max());
  if (!stop.ok()) return stop.status();
  Timing timing;
  timing.start = *start;
  timing.stop = *stop;
  return timing;
}

class Parser {
 public:
  absl::StatusOr<SessionDescription> Run(absl::string_view text) {
    std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
    // A final line end leaves one empty piece; a description without one
    // still parses (its last line simply has no terminator).
    if (!lines.empty() && lines.back().empty()) lines.pop_back();
    if (lines.empty()) return Error(1, '?', "empty session description");
    for (size_t i = 0; i < lines.size(); ++i) {
      line_number_ = i + 1;
      absl::string_view line = lines[i];
      // RFC 8866 §5: lines end in CRLF, but parsers should accept LF alone.
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.size() < 2 || line[1] != '=') {
        return Error(line_number_, line.empty() ? '?' : line[0],
                     line.empty() ? "empty line" : "expected <type>=<value>");
      }
      const char type = line[0];
      const absl::string_view value = line.substr(2);
      // text (RFC 8866 §9) excludes NUL, CR and LF.
      for (char c : value) {
        if (c == '\0') return Error(line_number_, type, "value contains a NUL byte");
        if (c == '\r') {
          return Error(line_number_, type,
                       "value contains a CR not followed by LF (lines end in CRLF or LF)");
        }
      }
      absl::Status status =
          (type == 'm' || in_media_) ? MediaLine(type, value) : SessionLine(type, value);
      if (!status.ok()) return Error(line_number_, type, status.message());
    }
    if (session_rank_ < SessionRank('t')) {
      return Error(lines.size() + 1, 't', "missing t= line (RFC 8866 §5.9 requires one)");
    }
    return std::move(description_);
  }

 private:
  static absl::Status Error(size_t line, char type, absl::string_view what) {
    // A type that is not printable US-ASCII (NUL, a UTF-8 byte) shows as '?'.
    const auto u = static_cast<unsigned char>(type);
    const char shown = (u > 0x20 && u < 0x7F) ? type : '?';
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, " (", std::string(1, shown), "=): ", what));
  }

  absl::Status SessionLine(char type, absl::string_view value) {
    const int rank = SessionRank(type);
    if (rank < 0) {
      // RFC 8866 §5: a parser must ignore or reject a description with a
      // type letter it does not understand; rejecting says why.
      return absl::InvalidArgumentError("unknown line type at session level");
    }
    // v=, o= and s= open every description, in that order (RFC 8866 §5).
    if (session_rank_ < SessionRank('s') && rank != session_rank_ + 1) {
      const char expected = "vos"[session_rank_ + 1];
      return absl::InvalidArgumentError(
          absl::StrCat("expected ", std::string(1, expected), "= line here"));
    }
    const bool new_time_description =
        type == 't' && session_rank_ >= SessionRank('t') && session_rank_ <= SessionRank('z');
    if (rank < session_rank_ && !new_time_description) {
      return absl::InvalidArgumentError("line out of order (RFC 8866 §5 fixes the order)");
    }
    if (rank == session_rank_ && !RepeatsAtSession(type) && !new_time_description) {
      return absl::InvalidArgumentError("line may appear only once here");
    }
    if (type == 'k' && session_rank_ < SessionRank('t')) {
      return absl::InvalidArgumentError("k= before the t= line");
    }
    if ((type == 'r' || type == 'z' || type == 'a') && session_rank_ < SessionRank('t')) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(1, type), "= before the t= line"));
    }
    session_rank_ = rank;
    SessionDescription& d = description_;
    switch (type) {
      case 'v':
        if (value != "0") {
          return absl::InvalidArgumentError(
              absl::StrCat("version '", value, "' is not 0 (RFC 8866 §5.1)"));
        }
        return absl::OkStatus();
      case 'o': {
        auto origin = ParseOrigin(value);
        if (!origin.ok()) return origin.status();
        d.origin = *std::move(origin);
        return absl::OkStatus();
      }
      case 's':
        // RFC 8866 §5.3: s= MUST NOT be empty ("s= " or "s=-" when unnamed).
        if (value.empty()) {
          return absl::InvalidArgumentError("empty session name (RFC 8866 §5.3: use \"s=-\")");
        }
        d.session_name = std::string(value);
        return absl::OkStatus();
      case 'i':
        if (auto s = CheckNonEmpty(value, "session information"); !s.ok()) return s;
        d.info = std::string(value);
        return absl::OkStatus();
      case 'u':
        if (auto s = CheckUri(value); !s.ok()) return s;
        d.uri = std::string(value);
        return absl::OkStatus();
      case 'e':
        // RFC 8866 §5.6: an RFC 5322 address, optionally with a name.
        if (auto s = CheckNonEmpty(value, "email address"); !s.ok()) return s;
        if (value.find('@') == absl::string_view::npos) {
          return absl::InvalidArgumentError("email address has no '@' (RFC 8866 §5.6)");
        }
        d.emails.emplace_back(value);
        return absl::OkStatus();
      case 'p':
        // RFC 8866 §9: phone = ["+"] DIGIT 1*(SP / "-" / DIGIT).
        if (auto s = CheckNonEmpty(value, "phone number"); !s.ok()) return s;
        if (std::count_if(value.begin(), value.end(), IsDigit) < 2) {
          return absl::InvalidArgumentError("phone number has fewer than 2 digits (RFC 8866 §5.6)");
        }
        d.phones.emplace_back(value);
        return absl::OkStatus();
      case 'c': {
        auto c = ParseConnection(value);
        if (!c.ok()) return c.status();
        d.connection = *std::move(c);
        return absl::OkStatus();
      }
      case 'b': {
        auto b = ParseBandwidth(value);
        if (!b.ok()) return b.status();
        d.bandwidths.push_back(*std::move(b));
        return absl::OkStatus();
      }
      case 't': {
        auto t = ParseTiming(value);
        if (!t.ok()) return t.status();
        if (!saw_timing_) d.timings.clear();  // drop the default t=0 0
        saw_timing_ = true;
        d.timings.push_back(*std::move(t));
        return absl::OkStatus();
      }
      case 'r':
        if (value.empty()) return absl::InvalidArgumentError("empty repeat time");
        if (auto s = CheckRepeat(value); !s.ok()) return s;
        d.timings.back().repeats.emplace_back(value);
        return absl::OkStatus();
      case 'z':
        if (value.empty()) return absl::InvalidArgumentError("empty time zone adjustment");
        if (auto s = CheckZone(value); !s.ok()) return s;
        d.timings.back().zone = std::string(value);
        return absl::OkStatus();
      case 'k':
        if (auto s = CheckKey(value); !s.ok()) return s;
        d.key = std::string(value);
        return absl::OkStatus();
      case 'a': {
        auto a = ParseAttribute(value);
        if (!a.ok()) return a.status();
        d.attributes.push_back(*std::move(a));
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unhandled line type");
  }

  absl::Status MediaLine(char type, absl::string_view value) {
    const int rank = MediaRank(type);
    if (rank < 0) {
      return absl::InvalidArgumentError(SessionRank(type) >= 0
                                            ? "session-level line inside a media description"
                                            : "unknown line type in a media description");
    }
    if (type == 'm') {
      if (session_rank_ < SessionRank('t')) {
        return absl::InvalidArgumentError("m= before the t= line");
      }
      auto m = ParseMediaLine(value);
      if (!m.ok()) return m.status();
      description_.media.push_back(*std::move(m));
      in_media_ = true;
      media_rank_ = 0;
      return absl::OkStatus();
    }
    if (rank < media_rank_) {
      return absl::InvalidArgumentError("line out of order (RFC 8866 §5 fixes the order)");
    }
    if (rank == media_rank_ && !RepeatsInMedia(type)) {
      return absl::InvalidArgumentError("line may appear only once per media description");
    }
    media_rank_ = rank;
    MediaDescription& m = description_.media.back();
    switch (type) {
      case 'i':
        if (auto s = CheckNonEmpty(value, "media title"); !s.ok()) return s;
        m.title = std::string(value);
        return absl::OkStatus();
      case 'c': {
        auto c = ParseConnection(value);
        if (!c.ok()) return c.status();
        m.connections.push_back(*std::move(c));
        return absl::OkStatus();
      }
      case 'b': {
        auto b = ParseBandwidth(value);
        if (!b.ok()) return b.status();
        m.bandwidths.push_back(*std::move(b));
        return absl::OkStatus();
      }
      case 'k':
        if (auto s = CheckKey(value); !s.ok()) return s;
        m.key = std::string(value);
        return absl::OkStatus();
      case 'a': {
        auto a = ParseAttribute(value);
        if (!a.ok()) return a.status();
        m.attributes.push_back(*std::move(a));
        return absl::OkStatus();
      }
    }
    return absl::InternalError("unhandled media line type");
  }

  SessionDescription description_;
  size_t line_number_ = 0;
  int session_rank_ = -1;
  int media_rank_ = 0;
  bool in_media_ = false;
  bool saw_timing_ = false;
};

void AppendLine(std::string& out, char type, absl::string_view value) {
  out.push_back(type);
  out.push_back('=');
  out.append(value.data(), value.size());
  out.append("\r\n");
}

std::string ConnectionValue(const Connection& c) {
  return absl::StrCat(c.net_type, " ", c.addr_type, " ", c.address);
}

std::string BandwidthValue(const Bandwidth& b) { return absl::StrCat(b.type, ":", b.value); }

std::string AttributeValue(const Attribute& a) {
  return a.value.has_value() ? absl::StrCat(a.name, ":", *a.value) : a.name;
}

}  // namespace

absl::StatusOr<SessionDescription> Parse(absl::string_view text) { return Parser().Run(text); }

std::string Serialize(const SessionDescription& d) {
  std::string out;
  AppendLine(out, 'v', "0");
  const Origin& o = d.origin;
  AppendLine(
      out, 'o',
      absl::StrJoin(
          {o.username, o.session_id, o.session_version, o.net_type, o.addr_type, o.address}, " "));
  AppendLine(out, 's', d.session_name);
  if (d.info) AppendLine(out, 'i', *d.info);
  if (d.uri) AppendLine(out, 'u', *d.uri);
  for (const auto& e : d.emails) AppendLine(out, 'e', e);
  for (const auto& p : d.phones) AppendLine(out, 'p', p);
  if (d.connection) AppendLine(out, 'c', ConnectionValue(*d.connection));
  for (const auto& b : d.bandwidths) AppendLine(out, 'b', BandwidthValue(b));
  for (const Timing& t : d.timings) {
    AppendLine(out, 't', absl::StrCat(t.start, " ", t.stop));
    for (const auto& r : t.repeats) AppendLine(out, 'r', r);
    if (t.zone) AppendLine(out, 'z', *t.zone);
  }
  if (d.key) AppendLine(out, 'k', *d.key);
  for (const auto& a : d.attributes) AppendLine(out, 'a', AttributeValue(a));
  for (const MediaDescription& m : d.media) {
    std::string port = absl::StrCat(m.port);
    if (m.port_count) absl::StrAppend(&port, "/", *m.port_count);
    AppendLine(out, 'm',
               absl::StrCat(m.media, " ", port, " ", m.proto, " ", absl::StrJoin(m.formats, " ")));
    if (m.title) AppendLine(out, 'i', *m.title);
    for (const auto& c : m.connections) AppendLine(out, 'c', ConnectionValue(c));
    for (const auto& b : m.bandwidths) AppendLine(out, 'b', BandwidthValue(b));
    if (m.key) AppendLine(out, 'k', *m.key);
    for (const auto& a : m.attributes) AppendLine(out, 'a', AttributeValue(a));
  }
  return out;
}

}  // namespace rtcsim::sdp
