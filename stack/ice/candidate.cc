// ICE candidate lines (RFC 8839 §5.1), candidate priorities (RFC 8445
// §5.1.2), pair priorities (RFC 8445 §6.1.2.3) and foundations (§5.1.1.3).
//
//   candidate-attribute = "candidate" ":" foundation SP component-id SP
//                         transport SP priority SP connection-address SP
//                         port SP cand-type [SP rel-addr] [SP rel-port]
//                         *(SP cand-extension)
//   foundation          = 1*32ice-char
//   component-id        = 1*3DIGIT                  ; 1..256
//   transport           = "UDP" / token
//   priority            = 1*10DIGIT
//   cand-type           = "typ" SP ("host" / "srflx" / "prflx" / "relay" / token)
//   rel-addr            = "raddr" SP connection-address
//   rel-port            = "rport" SP port
//   cand-extension      = extension-att-name SP extension-att-value
//   extension-att-name  = token                     ; RFC 3261
//   extension-att-value = *VCHAR
//   ice-char            = ALPHA / DIGIT / "+" / "/"
//
// Parsing choices (each one is the strict reading unless real peers need
// otherwise):
//  - ABNF literals are case-insensitive (RFC 5234 §2.3), so "UDP"/"udp",
//    "typ", "raddr", "host" are accepted in any case; output is lower-case,
//    as Chrome, Firefox and aiortc print it (Firefox prints "UDP").
//  - Runs of spaces between tokens are tolerated (some signalling layers
//    re-wrap lines); the canonical form has single spaces and round-trips
//    byte for byte.
//  - connection-address must be a literal IP: RFC 8839 §5.1 says remote
//    candidates with FQDNs MUST be ignored, and mDNS ".local" names
//    (draft-ietf-mmusic-mdns-ice-candidates) need a resolver we do not have.
//    The error says so, so the caller can count and skip the line.
//  - priority is accepted up to 2^32−1 (the PRIORITY attribute is 32 bits),
//    though RFC 8839 bounds it to 2^31−1; zero is refused (it is "positive").
//  - rel-addr and rel-port are taken as a pair: the struct has one
//    SocketAddress for them, and every implementation emits both.
//  - Unknown candidate types are refused: the agent would not know how to
//    treat them (RFC 8839 §5.1 requires specs for new types to say).
//  - Extensions are name/value pairs; a trailing name without a value is an
//    error rather than silently dropped.
#include "stack/ice/candidate.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "stack/env/random.h"

namespace rtcsim::ice {
namespace {

bool IsIceChar(char c) { return absl::ascii_isalnum(c) || c == '+' || c == '/'; }

// RFC 3261 §25.1 token characters.
bool IsTokenChar(char c) {
  if (absl::ascii_isalnum(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// VCHAR = %x21-7E (RFC 5234 Appendix B.1).
bool IsVcharString(absl::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u > 0x7E) return false;
  }
  return true;
}

bool AllDigits(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c)) return false;
  }
  return true;
}

// Quotes a token for an error message, escaping anything unprintable so a
// hostile line cannot inject control characters into logs.
std::string Quote(absl::string_view s) {
  constexpr size_t kMax = 64;
  std::string out = "'";
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto u = static_cast<unsigned char>(s[i]);
    if (u >= 0x20 && u < 0x7F && u != '\'') {
      out.push_back(static_cast<char>(u));
    } else {
      absl::StrAppend(&out, "\\x", absl::Hex(u, absl::kZeroPad2));
    }
  }
  if (s.size() > kMax) out += "...";
  out += "'";
  return out;
}

absl::Status FieldError(absl::string_view field, size_t index, absl::string_view token,
                        absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("candidate ", field, " (token ", index, ") ", Quote(token), ": ", why));
}

absl::StatusOr<IpAddress> ParseConnectionAddress(absl::string_view field, size_t index,
                                                 absl::string_view token) {
  auto ip = IpAddress::Parse(token);
  if (ip.ok()) {
    if (ip->IsMulticast()) return FieldError(field, index, token, "multicast address");
    return *ip;
  }
  // RFC 8839 §5.1: an IPv6 address has a colon; anything else with a letter
  // is an FQDN, which agents MUST ignore.
  if (absl::EndsWithIgnoreCase(token, ".local")) {
    return FieldError(field, index, token, "mDNS hostname candidates are not supported");
  }
  bool has_alpha = false;
  for (char c : token) has_alpha |= absl::ascii_isalpha(c);
  if (token.find(':') == absl::string_view::npos && has_alpha) {
    return FieldError(field, index, token, "FQDN candidates are not supported (RFC 8839 §5.1)");
  }
  return FieldError(field, index, token, "not an IP address");
}

absl::StatusOr<uint16_t> ParsePort(absl::string_view field, size_t index, absl::string_view token) {
  uint32_t port = 0;
  if (!AllDigits(token) || token.size() > 5 || !absl::SimpleAtoi(token, &port) || port > 65535) {
    return FieldError(field, index, token, "not a port number 0..65535");
  }
  return static_cast<uint16_t>(port);
}

}  // namespace

std::string ToString(CandidateType type) {
  switch (type) {
    case CandidateType::kHost:
      return "host";
    case CandidateType::kServerReflexive:
      return "srflx";
    case CandidateType::kPeerReflexive:
      return "prflx";
    case CandidateType::kRelayed:
      return "relay";
  }
  return "unknown";
}

bool Candidate::operator==(const Candidate& other) const {
  return foundation == other.foundation && component == other.component &&
         transport == other.transport && priority == other.priority && address == other.address &&
         type == other.type && related == other.related && extensions == other.extensions &&
         base == other.base;
}

absl::StatusOr<Candidate> ParseCandidate(absl::string_view line) {
  // Accept what a caller copies from SDP: "a=candidate:...\r\n".
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (absl::StartsWith(line, "a=")) line.remove_prefix(2);
  constexpr absl::string_view kPrefix = "candidate:";
  if (!absl::StartsWithIgnoreCase(line, kPrefix)) {
    return absl::InvalidArgumentError(
        absl::StrCat("candidate line must start with \"candidate:\", got ", Quote(line)));
  }
  line.remove_prefix(kPrefix.size());

  std::vector<absl::string_view> tokens = absl::StrSplit(line, ' ', absl::SkipEmpty());
  // Tokens are numbered from 1 after "candidate:", so "token 1" is the
  // foundation.
  auto token = [&](size_t i) -> absl::string_view { return tokens[i - 1]; };
  static constexpr const char* kRequired[] = {"foundation", "component-id",       "transport",
                                              "priority",   "connection-address", "port",
                                              "\"typ\"",    "cand-type"};
  if (tokens.size() < 8) {
    return absl::InvalidArgumentError(absl::StrCat("candidate line is truncated: missing ",
                                                   kRequired[tokens.size()], " (token ",
                                                   tokens.size() + 1, ")"));
  }

  Candidate c;
  // foundation = 1*32ice-char
  absl::string_view foundation = token(1);
  if (foundation.size() > 32) {
    return FieldError("foundation", 1, foundation, "longer than 32 characters");
  }
  for (char ch : foundation) {
    if (!IsIceChar(ch)) return FieldError("foundation", 1, foundation, "not an ice-char string");
  }
  c.foundation = std::string(foundation);

  // component-id = 1*3DIGIT, 1..256 (RFC 8839 §5.1).
  uint32_t component = 0;
  if (!AllDigits(token(2)) || token(2).size() > 3 || !absl::SimpleAtoi(token(2), &component) ||
      component < 1 || component > 256) {
    return FieldError("component-id", 2, token(2), "not an integer 1..256");
  }
  c.component = static_cast<uint16_t>(component);

  if (!IsToken(token(3))) return FieldError("transport", 3, token(3), "not a token");
  c.transport = absl::AsciiStrToLower(token(3));

  // priority = 1*10DIGIT; see the file comment for the accepted range.
  uint64_t priority = 0;
  if (!AllDigits(token(4)) || token(4).size() > 10 || !absl::SimpleAtoi(token(4), &priority) ||
      priority == 0 || priority > UINT32_MAX) {
    return FieldError("priority", 4, token(4), "not an integer 1..4294967295");
  }
  c.priority = static_cast<uint32_t>(priority);

  auto ip = ParseConnectionAddress("connection-address", 5, token(5));
  if (!ip.ok()) return ip.status();
  auto port = ParsePort("port", 6, token(6));
  if (!port.ok()) return port.status();
  c.address = SocketAddress(*ip, *port);

  if (!absl::EqualsIgnoreCase(token(7), "typ")) {
    return FieldError("cand-type", 7, token(7), "expected \"typ\"");
  }
  const std::string type = absl::AsciiStrToLower(token(8));
  if (type == "host") {
    c.type = CandidateType::kHost;
  } else if (type == "srflx") {
    c.type = CandidateType::kServerReflexive;
  } else if (type == "prflx") {
    c.type = CandidateType::kPeerReflexive;
  } else if (type == "relay") {
    c.type = CandidateType::kRelayed;
  } else {
    return FieldError("cand-type", 8, token(8), "unknown candidate type");
  }

  size_t i = 9;
  if (i <= tokens.size() && absl::EqualsIgnoreCase(token(i), "raddr")) {
    if (i + 3 > tokens.size()) {
      return FieldError("rel-addr", i, token(i),
                        "must be followed by an address, \"rport\" and a port");
    }
    auto rip = ParseConnectionAddress("rel-addr", i + 1, token(i + 1));
    if (!rip.ok()) return rip.status();
    if (!absl::EqualsIgnoreCase(token(i + 2), "rport")) {
      return FieldError("rel-port", i + 2, token(i + 2), "expected \"rport\" after rel-addr");
    }
    auto rport = ParsePort("rel-port", i + 3, token(i + 3));
    if (!rport.ok()) return rport.status();
    if (rip->family() != ip->family()) {
      return FieldError("rel-addr", i + 1, token(i + 1),
                        "address family differs from the connection-address");
    }
    c.related = SocketAddress(*rip, *rport);
    i += 4;
  } else if (i <= tokens.size() && absl::EqualsIgnoreCase(token(i), "rport")) {
    return FieldError("rel-port", i, token(i), "rel-port without rel-addr");
  }

  for (; i <= tokens.size(); i += 2) {
    absl::string_view name = token(i);
    if (!IsToken(name)) return FieldError("extension-att-name", i, name, "not a token");
    if (i + 1 > tokens.size()) {
      return FieldError("extension-att-value", i + 1, name, "extension has no value");
    }
    absl::string_view value = token(i + 1);
    if (!IsVcharString(value)) {
      return FieldError("extension-att-value", i + 1, value, "contains a non-VCHAR byte");
    }
    c.extensions.emplace_back(std::string(name), std::string(value));
  }
  return c;
}

std::string SerializeCandidate(const Candidate& c) {
  std::string out = absl::StrCat(
      "candidate:", c.foundation, " ", c.component, " ", absl::AsciiStrToLower(c.transport), " ",
      c.priority, " ", c.address.ip().ToString(), " ", c.address.port(), " typ ", ToString(c.type));
  if (c.related.family() != IpFamily::kNone) {
    absl::StrAppend(&out, " raddr ", c.related.ip().ToString(), " rport ", c.related.port());
  }
  for (const auto& [name, value] : c.extensions) absl::StrAppend(&out, " ", name, " ", value);
  return out;
}

uint32_t TypePreference(CandidateType type) {
  // RFC 8445 §5.1.2.2: host 126, peer-reflexive 110, server-reflexive 100,
  // relayed 0.
  switch (type) {
    case CandidateType::kHost:
      return 126;
    case CandidateType::kPeerReflexive:
      return 110;
    case CandidateType::kServerReflexive:
      return 100;
    case CandidateType::kRelayed:
      return 0;
  }
  return 0;
}

uint32_t ComputePriority(CandidateType type, uint16_t local_preference, uint16_t component) {
  // RFC 8445 §5.1.2.1:
  //   priority = (2^24)*(type preference) + (2^8)*(local preference)
  //              + (2^0)*(256 - component ID)
  return (TypePreference(type) << 24) + (uint32_t{local_preference} << 8) + (256u - component);
}

uint64_t PairPriority(uint32_t controlling_priority, uint32_t controlled_priority) {
  // RFC 8445 §6.1.2.3: pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0).
  const uint64_t g = controlling_priority;
  const uint64_t d = controlled_priority;
  return (std::min(g, d) << 32) + 2 * std::max(g, d) + (g > d ? 1 : 0);
}

std::string ComputeFoundation(CandidateType type, const IpAddress& base_ip,
                              const SocketAddress& server, absl::string_view transport) {
  // RFC 8445 §5.1.1.3: equal foundations for equal (type, base IP, server,
  // transport). Host and peer-reflexive candidates have no server; the
  // caller passes an unset address. StableHash is the same in every
  // process, so foundations (and with them the frozen algorithm's order) are
  // deterministic.
  const std::string key = absl::StrCat(ToString(type), "|", base_ip.ToString(), "|",
                                       server.family() == IpFamily::kNone ? "" : server.ToString(),
                                       "|", absl::AsciiStrToLower(transport));
  // 32 bits of the hash in decimal: up to 10 ice-chars, the shape Chrome's
  // foundations have.
  return absl::StrCat(static_cast<uint32_t>(StableHash(0x1ce, key)));
}

}  // namespace rtcsim::ice
