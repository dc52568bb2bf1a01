// A STUN Binding server (RFC 8489 §6.3.1, §6.3.1.1): answers Binding
// requests with the request's source transport address in
// XOR-MAPPED-ADDRESS. It runs on any Env: on a simnet Host's env() as the
// simulated STUN server, or on stack/realnet over real UDP. It keeps no
// per-transaction state — Binding is idempotent, so a retransmitted request
// simply gets a recomputed response (§6.3.1).
#ifndef RTCSIM_STACK_STUN_STUN_SERVER_H_
#define RTCSIM_STACK_STUN_STUN_SERVER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::stun {

struct StunServerStats {
  uint64_t requests = 0;                      // well-formed Binding requests received
  uint64_t responses = 0;                     // success and error responses sent
  uint64_t malformed = 0;                     // not STUN, or failed to parse: dropped
  uint64_t unknown_attribute_rejections = 0;  // answered with 420
  // Well-formed but not for us, dropped silently (§6.3): other methods,
  // responses, and indications (a Binding indication is a keepalive, §6.3.2).
  uint64_t ignored = 0;
  uint64_t send_errors = 0;  // the socket refused a response
};

struct StunServerOptions {
  // SOFTWARE attribute (§14.14) on every response; empty leaves it out.
  std::string software = "rtcsim";
  // Append FINGERPRINT (§14.7) to responses, which lets clients that
  // multiplex STUN with other protocols recognise them.
  bool fingerprint = true;
};

class StunBindingServer {
 public:
  // Binds a UDP socket on `bind` through `env` and starts answering.
  static absl::StatusOr<std::unique_ptr<StunBindingServer>> Create(Env& env,
                                                                   const SocketAddress& bind,
                                                                   StunServerOptions options = {});
  ~StunBindingServer();

  StunBindingServer(const StunBindingServer&) = delete;
  StunBindingServer& operator=(const StunBindingServer&) = delete;

  SocketAddress local_address() const;
  const StunServerStats& stats() const { return stats_; }

  // The server logic without the socket: the response to send back to
  // `from`, or nullopt to drop. Counts into stats() like a received packet
  // (except `responses`, which counts what the socket sent).
  std::optional<std::vector<uint8_t>> HandlePacket(const SocketAddress& from,
                                                   absl::Span<const uint8_t> packet);

 private:
  StunBindingServer(std::unique_ptr<UdpSocket> socket, StunServerOptions options);
  void OnPacket(const SocketAddress& from, absl::Span<const uint8_t> packet);

  std::unique_ptr<UdpSocket> socket_;
  StunServerOptions options_;
  StunServerStats stats_;
};

}  // namespace rtcsim::stun

#endif  // RTCSIM_STACK_STUN_STUN_SERVER_H_
