#include "tools/peer/peer_flags.h"

#include <cmath>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace rtcsim::peer {
namespace {

absl::Status FlagError(absl::string_view flag, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", why));
}

// "host:port" or "[v6]:port" into host and port text.
bool SplitHostPort(absl::string_view text, std::string* host, std::string* port) {
  if (absl::StartsWith(text, "[")) {
    size_t close = text.find(']');
    if (close == absl::string_view::npos) return false;
    *host = std::string(text.substr(1, close - 1));
    absl::string_view rest = text.substr(close + 1);
    if (rest.empty()) {
      port->clear();
      return true;
    }
    if (rest[0] != ':') return false;
    *port = std::string(rest.substr(1));
    return true;
  }
  size_t colon = text.rfind(':');
  if (colon == absl::string_view::npos) {
    *host = std::string(text);
    port->clear();
    return true;
  }
  // More than one colon without brackets: a bare IPv6 address, no port.
  if (text.find(':') != colon) {
    *host = std::string(text);
    port->clear();
    return true;
  }
  *host = std::string(text.substr(0, colon));
  *port = std::string(text.substr(colon + 1));
  return true;
}

bool ParsePort(absl::string_view text, bool allow_zero, uint16_t* port) {
  uint32_t value;
  if (text.empty() || !absl::SimpleAtoi(text, &value) || value > 65535) return false;
  if (value == 0 && !allow_zero) return false;
  *port = static_cast<uint16_t>(value);
  return true;
}

bool ParseCount(absl::string_view text, int64_t min, int64_t max, int64_t* out) {
  int64_t value;
  if (!absl::SimpleAtoi(text, &value) || value < min || value > max) return false;
  *out = value;
  return true;
}

}  // namespace

std::string HttpUrl::Origin() const {
  bool v6 = host.find(':') != std::string::npos;
  return absl::StrCat("http://", v6 ? "[" : "", host, v6 ? "]" : "", ":", port);
}

absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", url, "': https is not supported (WHIP here is plain http://)"));
  }
  if (!absl::ConsumePrefix(&rest, "http://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", url, "': expected http://HOST[:PORT]/PATH"));
  }
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  HttpUrl out;
  if (slash != absl::string_view::npos) out.path = std::string(rest.substr(slash));
  std::string port;
  if (authority.empty() || !SplitHostPort(authority, &out.host, &port) || out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "': no host"));
  }
  if (!port.empty() && !ParsePort(port, /*allow_zero=*/false, &out.port)) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "': bad port '", port, "'"));
  }
  return out;
}

absl::StatusOr<IceServerUrl> ParseIceServerUrl(absl::string_view url) {
  IceServerUrl out;
  out.url = std::string(url);
  absl::string_view rest = url;
  if (absl::StartsWithIgnoreCase(rest, "stuns:") || absl::StartsWithIgnoreCase(rest, "turns:")) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", url, "': TLS (stuns:/turns:) is not supported; use stun: or turn:"));
  }
  if (absl::StartsWithIgnoreCase(rest, "stun:")) {
    out.scheme = IceServerUrl::Scheme::kStun;
    rest.remove_prefix(5);
  } else if (absl::StartsWithIgnoreCase(rest, "turn:")) {
    out.scheme = IceServerUrl::Scheme::kTurn;
    rest.remove_prefix(5);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("'", url, "': expected stun:HOST[:PORT] or turn:HOST[:PORT]?transport=udp"));
  }
  // RFC 7065 §3.1: turnURI = scheme ":" host [ ":" port ] [ "?transport=" transport ].
  absl::string_view query;
  size_t question = rest.find('?');
  if (question != absl::string_view::npos) {
    query = rest.substr(question + 1);
    rest = rest.substr(0, question);
    if (out.scheme == IceServerUrl::Scheme::kStun) {
      return absl::InvalidArgumentError(absl::StrCat("'", url, "': stun: URLs take no query"));
    }
    std::string transport = absl::AsciiStrToLower(query);
    if (transport != "transport=udp") {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", url, "': only ?transport=udp is supported (TURN over TCP is not implemented)"));
    }
  }
  std::string port;
  if (rest.empty() || !SplitHostPort(rest, &out.host, &port) || out.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "': no host"));
  }
  if (!port.empty() && !ParsePort(port, /*allow_zero=*/false, &out.port)) {
    return absl::InvalidArgumentError(absl::StrCat("'", url, "': bad port '", port, "'"));
  }
  return out;
}

absl::StatusOr<PeerOptions> ParsePeerFlags(absl::Span<const std::string> args) {
  PeerOptions options;
  bool have_max_retransmits = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::optional<std::string> inline_value;
    if (!absl::StartsWith(flag, "--")) {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", flag, "' (flags start with --)"));
    }
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      inline_value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    }
    // Fetches the flag's value: "--flag=value" or the next argument.
    std::string value;
    auto take_value = [&](absl::string_view what) -> absl::Status {
      if (inline_value.has_value()) {
        value = *inline_value;
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return FlagError(flag, absl::StrCat("missing value (expected ", what, ")"));
      }
      return absl::OkStatus();
    };
    auto no_value = [&]() -> absl::Status {
      if (inline_value.has_value()) return FlagError(flag, "takes no value");
      return absl::OkStatus();
    };
    absl::Status status;

    if (flag == "--help" || flag == "-h") {
      options.help = true;
    } else if (flag == "--whip-listen") {
      if (!(status = take_value("HOST:PORT")).ok()) return status;
      std::string port_text;
      uint16_t port;
      if (!SplitHostPort(value, &options.whip_listen_host, &port_text) ||
          options.whip_listen_host.empty() || port_text.empty()) {
        return FlagError(
            flag,
            absl::StrCat("expected HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:0), got '", value, "'"));
      }
      if (!ParsePort(port_text, /*allow_zero=*/true, &port)) {
        return FlagError(flag, absl::StrCat("bad port '", port_text, "' (0..65535)"));
      }
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(options.whip_listen_host);
      if (!ip.ok()) {
        return FlagError(flag, absl::StrCat("HOST must be an IPv4 or IPv6 address, got '",
                                            options.whip_listen_host, "'"));
      }
      options.whip_listen = SocketAddress(*ip, port);
    } else if (flag == "--whip-url") {
      if (!(status = take_value("URL")).ok()) return status;
      absl::StatusOr<HttpUrl> url = ParseHttpUrl(value);
      if (!url.ok()) return FlagError(flag, url.status().message());
      options.whip_url = *url;
      options.whip_url_text = value;
    } else if (flag == "--echo") {
      if (!(status = no_value()).ok()) return status;
      options.echo = true;
    } else if (flag == "--send") {
      if (!(status = take_value("a message count N >= 1")).ok()) return status;
      int64_t n;
      // Messages carry their index in 8 digits.
      if (!ParseCount(value, 1, 99999999, &n)) {
        return FlagError(
            flag, absl::StrCat("expected a message count from 1 to 99999999, got '", value, "'"));
      }
      options.send = n;
    } else if (flag == "--expect") {
      if (!(status = take_value("a message count N >= 0")).ok()) return status;
      int64_t n;
      if (!ParseCount(value, 0, int64_t{1} << 40, &n)) {
        return FlagError(flag, absl::StrCat("expected a message count >= 0, got '", value, "'"));
      }
      options.expect = n;
    } else if (flag == "--size") {
      if (!(status = take_value("BYTES")).ok()) return status;
      int64_t n;
      if (!ParseCount(value, 1, kMaxMessageSize, &n)) {
        return FlagError(flag, absl::StrCat("expected a size in bytes from 1 to ", kMaxMessageSize,
                                            " (the max-message-size), got '", value, "'"));
      }
      options.size = static_cast<size_t>(n);
    } else if (flag == "--unordered") {
      if (!(status = no_value()).ok()) return status;
      options.unordered = true;
    } else if (flag == "--binary") {
      if (!(status = no_value()).ok()) return status;
      options.binary = true;
    } else if (flag == "--max-retransmits") {
      if (!(status = take_value("N from 0 to 65535")).ok()) return status;
      int64_t n;
      if (!ParseCount(value, 0, 65535, &n)) {
        return FlagError(flag, absl::StrCat("expected 0..65535, got '", value, "'"));
      }
      options.max_retransmits = static_cast<uint16_t>(n);
      have_max_retransmits = true;
    } else if (flag == "--timeout") {
      if (!(status = take_value("SECONDS")).ok()) return status;
      double seconds;
      if (!absl::SimpleAtod(value, &seconds) || !std::isfinite(seconds) || seconds <= 0 ||
          seconds > 86400) {
        return FlagError(flag,
                         absl::StrCat("expected seconds > 0 (at most 86400), got '", value, "'"));
      }
      options.timeout_s = seconds;
    } else if (flag == "--ice-server") {
      if (!(status = take_value("stun:HOST:PORT or turn:HOST:PORT?transport=udp")).ok()) {
        return status;
      }
      absl::StatusOr<IceServerUrl> server = ParseIceServerUrl(value);
      if (!server.ok()) return FlagError(flag, server.status().message());
      options.ice_servers.push_back(*server);
    } else if (flag == "--ice-user") {
      if (!(status = take_value("a TURN username")).ok()) return status;
      options.ice_user = value;
    } else if (flag == "--ice-pass") {
      if (!(status = take_value("a TURN password")).ok()) return status;
      options.ice_pass = value;
    } else if (flag == "--relay-only") {
      if (!(status = no_value()).ok()) return status;
      options.relay_only = true;
    } else if (flag == "--bind") {
      if (!(status = take_value("an IPv4 or IPv6 address")).ok()) return status;
      std::string text = value;
      if (absl::StartsWith(text, "[") && absl::EndsWith(text, "]")) {
        text = text.substr(1, text.size() - 2);
      }
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(text);
      if (!ip.ok()) {
        return FlagError(flag, absl::StrCat("expected an IPv4 or IPv6 address, got '", value, "'"));
      }
      if (ip->IsUnspecified() || ip->IsMulticast()) {
        return FlagError(flag, absl::StrCat("'", value,
                                            "' is not a unicast address of this host (omit "
                                            "--bind to gather on every local address)"));
      }
      options.bind.push_back(*ip);
    } else if (flag == "--verbose") {
      if (!(status = no_value()).ok()) return status;
      options.verbose = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag '", args[i], "'"));
    }
  }
  if (options.help) return options;

  // Cross-flag rules.
  if (options.whip_listen.has_value() == options.whip_url.has_value()) {
    return absl::InvalidArgumentError(
        options.whip_listen.has_value()
            ? "--whip-listen and --whip-url: give one, not both (answer offers, or make one)"
            : "--whip-listen or --whip-url is required (answer offers, or make one)");
  }
  if (options.send.has_value() && options.size < kIndexDigits) {
    return FlagError("--size", absl::StrCat("must be at least ", kIndexDigits,
                                            " with --send (each message starts with an ",
                                            kIndexDigits, "-digit index)"));
  }
  if (options.expect.has_value() && !options.echo) {
    return FlagError("--expect", "counts the messages this peer echoes; it needs --echo");
  }
  if (have_max_retransmits && !options.send.has_value()) {
    return FlagError("--max-retransmits", "applies to the channel --send opens; add --send N");
  }
  if (!options.send.has_value()) {
    if (options.unordered) options.notes.push_back("--unordered has no effect without --send");
    if (options.binary) options.notes.push_back("--binary has no effect without --send");
  }
  bool have_turn = false;
  for (const IceServerUrl& server : options.ice_servers) {
    if (server.scheme == IceServerUrl::Scheme::kTurn) have_turn = true;
  }
  if (have_turn && (options.ice_user.empty() || options.ice_pass.empty())) {
    return FlagError("--ice-server", "a turn: server needs --ice-user and --ice-pass");
  }
  if (!have_turn && (!options.ice_user.empty() || !options.ice_pass.empty())) {
    return FlagError(options.ice_user.empty() ? "--ice-pass" : "--ice-user",
                     "credentials are for a TURN server; add --ice-server turn:HOST:PORT");
  }
  if (options.relay_only && !have_turn) {
    return FlagError("--relay-only",
                     "needs a TURN server (--ice-server turn:HOST:PORT?transport=udp)");
  }
  return options;
}

std::string PeerUsage() {
  return R"(usage: rtcsim_peer (--whip-listen HOST:PORT | --whip-url URL) [flags]

A WebRTC peer (the rtcsim stack on real UDP) with WHIP-style signalling: the
offerer POSTs its SDP offer (Content-Type application/sdp, all candidates in
it) and the answerer replies 201 Created, a Location header, the SDP answer.

signalling (exactly one):
  --whip-listen HOST:PORT   answer one offer POSTed to http://HOST:PORT/whip
                            (any path is accepted; port 0 picks a free one, see
                            the "listening" event)
  --whip-url URL            create an offer with one data channel, POST it to URL

what to do:
  --echo                    echo every message on the channels the peer opened
                            (string as string, binary as binary); ok once a
                            channel opened and the peer closed it (or the
                            connection) cleanly
  --expect N                with --echo: also require N messages echoed
  --send N                  open channel "test", send N messages, check every
                            echo (and the order, on an ordered channel), close
                            the channel and wait until it is closed
  --size BYTES              size of each sent message (default 100; >= 8 with
                            --send, at most 262144)
  --unordered               the --send channel is unordered
  --binary                  send binary messages (default: strings)
  --max-retransmits N       the --send channel is partially reliable
  --timeout SECONDS         give up after this long (default 30)

network:
  --ice-server URL          stun:HOST[:PORT] or turn:HOST[:PORT]?transport=udp
                            (repeatable)
  --ice-user USER, --ice-pass PASS   TURN credentials
  --relay-only              ICE transport policy "relay"
  --bind ADDR               gather on this local address (repeatable; default:
                            every local IPv4 and IPv6 address, loopback too)

output:
  --verbose                 also print a "message" event per message
  stdout: one JSON object per line per event, then {"event":"stats",...} and
  {"event":"result","ok":...}. Exit 0 when ok, 1 on failure or timeout, 2 on a
  bad flag.
)";
}

}  // namespace rtcsim::peer
