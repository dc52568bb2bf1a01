// SDP (RFC 8866): the session description model, its parser and serialiser.
//
// The model keeps every line of RFC 8866 §5 in structured form and every
// attribute (§5.13) as an ordered (name, value) pair, so unknown attributes
// survive untouched. Typed views of the attributes WebRTC uses are in
// attributes.h; they parse a value on demand and serialise it back.
//
// Round trip: Serialize(*Parse(x)) == x for canonical input, i.e. lines in
// the order of RFC 8866 §5, single spaces between fields, numbers without
// leading zeros and CRLF line ends. Parse also accepts LF-only line ends
// (RFC 8866 §5 asks parsers to be tolerant of them); Serialize always
// writes CRLF.
#ifndef RTCSIM_STACK_SDP_SESSION_DESCRIPTION_H_
#define RTCSIM_STACK_SDP_SESSION_DESCRIPTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtcsim::sdp {

// a=<name>[:<value>] (RFC 8866 §5.13). A property attribute ("a=rtcp-mux")
// has no value; "a=foo:" has an empty one — both are kept apart so either
// round-trips.
struct Attribute {
  std::string name;
  std::optional<std::string> value;

  bool operator==(const Attribute&) const = default;
};

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
// (RFC 8866 §5.2). sess-id and sess-version are kept as digit strings:
// browsers use 64-bit values and some exceed 2^63.
struct Origin {
  std::string username = "-";
  std::string session_id = "0";
  std::string session_version = "0";
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address = "127.0.0.1";

  bool operator==(const Origin&) const = default;
};

// c=<nettype> <addrtype> <connection-address> (RFC 8866 §5.7). The address
// keeps any "/ttl/count" suffix verbatim.
struct Connection {
  std::string net_type = "IN";
  std::string addr_type = "IP4";
  std::string address = "0.0.0.0";

  bool operator==(const Connection&) const = default;
};

// b=<bwtype>:<bandwidth> (RFC 8866 §5.8), e.g. AS, CT, TIAS.
struct Bandwidth {
  std::string type;
  uint64_t value = 0;

  bool operator==(const Bandwidth&) const = default;
};

// A time description (RFC 8866 §5.9–5.11): t= and its r= and z= lines.
// r= and z= are rare outside multicast sessions, so they stay verbatim.
struct Timing {
  uint64_t start = 0;
  uint64_t stop = 0;
  std::vector<std::string> repeats;  // r= values
  std::optional<std::string> zone;   // z= value

  bool operator==(const Timing&) const = default;
};

// m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 8866 §5.14)
// and the lines under it.
struct MediaDescription {
  std::string media;  // "audio", "video", "application", ...
  uint16_t port = 9;
  std::optional<uint32_t> port_count;
  std::string proto;                    // "UDP/TLS/RTP/SAVPF", "UDP/DTLS/SCTP", ...
  std::vector<std::string> formats;     // payload types or e.g. "webrtc-datachannel"
  std::optional<std::string> title;     // i=
  std::vector<Connection> connections;  // c= (several only for multicast)
  std::vector<Bandwidth> bandwidths;
  std::optional<std::string> key;  // k= (obsolete, kept for round-trip)
  std::vector<Attribute> attributes;

  bool operator==(const MediaDescription&) const = default;
};

struct SessionDescription {
  // v= is always 0 (RFC 8866 §5.1); Parse rejects anything else.
  Origin origin;
  std::string session_name = "-";   // s=
  std::optional<std::string> info;  // i=
  std::optional<std::string> uri;   // u=
  std::vector<std::string> emails;  // e=
  std::vector<std::string> phones;  // p=
  std::optional<Connection> connection;
  std::vector<Bandwidth> bandwidths;
  std::vector<Timing> timings = {Timing{}};
  std::optional<std::string> key;  // k=
  std::vector<Attribute> attributes;
  std::vector<MediaDescription> media;

  bool operator==(const SessionDescription&) const = default;
};

// Parses a whole description. Errors are InvalidArgument and read
// "line <n> (<t>=): <what is wrong>", n counting from 1; a problem found at
// the end (e.g. no t= line) names the line after the last one. Besides the
// line order, each line's value is checked against the RFC 8866 §9 grammar:
// tokens where tokens are due (names, nettype, addrtype, media, proto, fmt,
// bwtype), IN IP4/IP6 addresses, numbers, r=/z= times, non-empty text.
// Free text (s=, i=, attribute values) is a byte-string: any byte but NUL,
// CR and LF, UTF-8 or not (§6.10). A type letter is shown as '?' when it is
// not printable US-ASCII.
absl::StatusOr<SessionDescription> Parse(absl::string_view text);

// Serialises with CRLF after every line (RFC 8866 §5).
std::string Serialize(const SessionDescription& description);

}  // namespace rtcsim::sdp

#endif  // RTCSIM_STACK_SDP_SESSION_DESCRIPTION_H_
