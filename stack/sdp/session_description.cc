#include "stack/sdp/session_description.h"

#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

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

absl::StatusOr<Connection> ParseConnection(absl::string_view value) {
  auto fields = Fields(value, "connection data");
  if (!fields.ok()) return fields.status();
  if (fields->size() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected 3 fields <nettype> <addrtype> <address>, got ", fields->size()));
  }
  return Connection{std::string((*fields)[0]), std::string((*fields)[1]),
                    std::string((*fields)[2])};
}

absl::StatusOr<Bandwidth> ParseBandwidth(absl::string_view value) {
  const size_t colon = value.find(':');
  if (colon == absl::string_view::npos || colon == 0) {
    return absl::InvalidArgumentError("expected <bwtype>:<bandwidth>");
  }
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
  MediaDescription m;
  m.media = std::string(f[0]);
  absl::string_view port = f[1];
  const size_t slash = port.find('/');
  if (slash != absl::string_view::npos) {
    auto count =
        ParseNumber(port.substr(slash + 1), "port count", std::numeric_limits<uint32_t>::max());
    if (!count.ok()) return count.status();
    m.port_count = static_cast<uint32_t>(*count);
    port = port.substr(0, slash);
  }
  auto port_number = ParseNumber(port, "port", 65535);
  if (!port_number.ok()) return port_number.status();
  m.port = static_cast<uint16_t>(*port_number);
  m.proto = std::string(f[2]);
  for (size_t i = 3; i < f.size(); ++i) m.formats.emplace_back(f[i]);
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
        if (c == '\0' || c == '\r') {
          return Error(line_number_, type, "value contains a NUL or CR byte");
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
    return absl::InvalidArgumentError(
        absl::StrCat("line ", line, " (", std::string(1, type), "=): ", what));
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
        d.session_name = std::string(value);
        return absl::OkStatus();
      case 'i':
        d.info = std::string(value);
        return absl::OkStatus();
      case 'u':
        d.uri = std::string(value);
        return absl::OkStatus();
      case 'e':
        d.emails.emplace_back(value);
        return absl::OkStatus();
      case 'p':
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
        d.timings.back().repeats.emplace_back(value);
        return absl::OkStatus();
      case 'z':
        if (value.empty()) return absl::InvalidArgumentError("empty time zone adjustment");
        d.timings.back().zone = std::string(value);
        return absl::OkStatus();
      case 'k':
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
