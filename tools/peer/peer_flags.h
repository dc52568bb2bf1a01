// Command line of rtcsim_peer (./rtcsim peer): one WebRTC peer over real UDP
// with WHIP-style signalling. The same flags are understood by the other
// peers of the interop tests (aiortc, Chromium), so any two can be paired.
#ifndef RTCSIM_TOOLS_PEER_PEER_FLAGS_H_
#define RTCSIM_TOOLS_PEER_PEER_FLAGS_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/socket_address.h"

namespace rtcsim::peer {

// An --ice-server URL (RFC 7064 stun:, RFC 7065 turn:), host not resolved.
struct IceServerUrl {
  enum class Scheme { kStun, kTurn };
  Scheme scheme = Scheme::kStun;
  std::string host;  // name or literal address, without [] for IPv6
  uint16_t port = 3478;
  std::string url;  // as given, for messages
};

// "stun:host[:port]" or "turn:host[:port][?transport=udp]". InvalidArgument
// naming what is wrong (stuns:/turns:, TCP transport, a bad port, ...).
absl::StatusOr<IceServerUrl> ParseIceServerUrl(absl::string_view url);

// An http:// URL split for httplib.
struct HttpUrl {
  std::string host;  // without [] for IPv6
  uint16_t port = 80;
  std::string path = "/";  // with the query, if any
  // "http://host:port" (IPv6 in []), what httplib::Client takes.
  std::string Origin() const;
};
absl::StatusOr<HttpUrl> ParseHttpUrl(absl::string_view url);

struct PeerOptions {
  // Exactly one of the two.
  std::optional<SocketAddress> whip_listen;  // port 0: any free port
  std::string whip_listen_host;              // as given (for the URL we print)
  std::optional<HttpUrl> whip_url;
  std::string whip_url_text;

  bool echo = false;
  std::optional<int64_t> send;    // --send N
  std::optional<int64_t> expect;  // --expect N (echo side)
  size_t size = 100;
  bool unordered = false;
  bool binary = false;
  std::optional<uint16_t> max_retransmits;
  double timeout_s = 30;

  std::vector<IceServerUrl> ice_servers;
  std::string ice_user;
  std::string ice_pass;
  bool relay_only = false;
  std::vector<IpAddress> bind;  // empty: every local address

  bool verbose = false;
  bool help = false;
  // Flags that were accepted but do nothing in this mode (e.g. --binary
  // without --send), to be reported on stderr rather than ignored silently.
  std::vector<std::string> notes;
};

// The largest --size: the max-message-size this peer offers and accepts.
inline constexpr size_t kMaxMessageSize = 256 * 1024;
// Sent messages start with an 8-digit index (as the aiortc peer's do).
inline constexpr size_t kIndexDigits = 8;

// Parses argv[1..] (both "--flag value" and "--flag=value"). Errors are
// InvalidArgument with a message that names the flag and says why; the
// caller prints it with the usage and exits 2.
absl::StatusOr<PeerOptions> ParsePeerFlags(absl::Span<const std::string> args);

// The usage text (for --help on stdout, after an error on stderr).
std::string PeerUsage();

}  // namespace rtcsim::peer

#endif  // RTCSIM_TOOLS_PEER_PEER_FLAGS_H_
