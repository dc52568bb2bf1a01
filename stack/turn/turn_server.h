// TURN server over UDP (RFC 8656) with long-term credentials (RFC 8489
// §9.2), also answering plain Binding requests as a STUN server. It runs on
// any Env: on a simnet Host's env() it is a simulated TURN server, on
// RealEnv a real one. Relayed addresses are UDP sockets the server binds on
// its Env (port 0), one per allocation.
//
// Time: allocations, permissions, channel bindings and nonces expire on the
// Env clock. Allocations expire on a timer (which also closes the relay
// socket); permissions, channels and nonces are checked when used, so their
// expiry costs nothing and follows the clock exactly.
#ifndef RTCSIM_STACK_TURN_TURN_SERVER_H_
#define RTCSIM_STACK_TURN_TURN_SERVER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/env/env.h"
#include "stack/env/socket_address.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::turn {

struct TurnServerConfig {
  // Where the server listens for TURN and STUN (UDP). On RealEnv an
  // unspecified address listens on all interfaces.
  SocketAddress listen;
  std::string realm = "rtcsim";
  // Long-term credentials: username → password.
  std::map<std::string, std::string> users;
  // Addresses to bind relay sockets on, at most one per family. IPv4 is
  // used unless the client asks for IPv6 (REQUESTED-ADDRESS-FAMILY). Empty:
  // the listen address's IP.
  std::vector<IpAddress> relay_addresses;
  // RFC 8656 §7.2: the lifetime granted is max(default, min(requested, max)).
  TimeDelta default_lifetime = TimeDelta::Seconds(600);
  TimeDelta max_lifetime = TimeDelta::Seconds(3600);
  // How long a nonce stays valid; after that the server answers 438 Stale
  // Nonce with a new one (RFC 8489 §9.2.4; RFC 8656 §5 asks for at least
  // hourly expiry).
  TimeDelta nonce_lifetime = TimeDelta::Seconds(3600);
  // RFC 8656 §9 (MUST be 300 s) and §12 (10 min); changeable for tests only.
  TimeDelta permission_lifetime = TimeDelta::Seconds(300);
  TimeDelta channel_lifetime = TimeDelta::Seconds(600);
  // Allocations per username (RFC 8656 §5 recommends a quota); 0: no limit.
  int max_allocations_per_user = 0;
  std::string software = "rtcsim-turn";
};

struct TurnServerStats {
  uint64_t binding_requests = 0;
  uint64_t allocate_requests = 0;
  uint64_t allocations_created = 0;
  uint64_t allocations_deleted = 0;  // Refresh with LIFETIME 0
  uint64_t allocations_expired = 0;
  uint64_t refreshes = 0;
  uint64_t permissions_installed = 0;  // new or refreshed, by either method
  uint64_t permissions_expired = 0;    // found expired when next looked at
  uint64_t channels_bound = 0;         // new or refreshed
  uint64_t channels_expired = 0;
  // Authentication (RFC 8489 §9.2.4).
  uint64_t unauthenticated = 0;      // 401 challenges to requests without integrity
  uint64_t wrong_credentials = 0;    // 401: unknown user or bad MESSAGE-INTEGRITY
  uint64_t stale_nonces = 0;         // 438
  uint64_t username_mismatches = 0;  // 441 (RFC 8656 §5)
  // Other error responses.
  uint64_t bad_requests = 0;           // 400
  uint64_t unknown_attributes = 0;     // 420
  uint64_t allocation_mismatches = 0;  // 437
  uint64_t other_errors = 0;           // 440, 442, 443, 486, 508
  // Relaying.
  uint64_t send_indications = 0;          // accepted and relayed
  uint64_t channel_data_from_client = 0;  // accepted and relayed
  uint64_t data_indications_sent = 0;
  uint64_t channel_data_to_client = 0;
  uint64_t bytes_to_peers = 0;
  uint64_t bytes_from_peers = 0;
  // Dropped and counted (RFC 8656 §9, §11.2, §12.6; DESIGN.md §8).
  uint64_t dropped_no_permission_to_peer = 0;    // Send/ChannelData without a permission
  uint64_t dropped_no_permission_from_peer = 0;  // peer datagram without a permission
  uint64_t dropped_unbound_channel = 0;          // ChannelData on an unbound/expired channel
  uint64_t dropped_no_allocation = 0;            // indication/ChannelData, no allocation
  uint64_t dropped_malformed = 0;                // unparsable or invalid messages
};

class TurnServer {
 public:
  // Binds the listen socket. Fails if it cannot, or if the configuration is
  // unusable (no realm, lifetimes out of order, two relay addresses of one
  // family).
  static absl::StatusOr<std::unique_ptr<TurnServer>> Create(Env& env, TurnServerConfig config);
  ~TurnServer();

  TurnServer(const TurnServer&) = delete;
  TurnServer& operator=(const TurnServer&) = delete;

  // The bound listen address (port filled in when config.listen had 0).
  SocketAddress listen_address() const;
  const TurnServerConfig& config() const { return config_; }
  const TurnServerStats& stats() const { return stats_; }
  size_t allocation_count() const;
  // The relayed address of the allocation whose client 5-tuple is `client`
  // (as the server sees it, i.e. after NAT), for tests and diagnostics.
  absl::StatusOr<SocketAddress> RelayedAddressFor(const SocketAddress& client) const;

 private:
  struct Allocation;
  TurnServer(Env& env, TurnServerConfig config);
  absl::Status Start();

  void OnListenPacket(const SocketAddress& from, absl::Span<const uint8_t> packet);
  void OnRelayPacket(Allocation& allocation, const SocketAddress& peer,
                     absl::Span<const uint8_t> packet);
  struct Request;
  void HandleRequest(Request& request);
  void HandleBinding(Request& request);
  void HandleAllocate(Request& request);
  void HandleRefresh(Request& request, Allocation& allocation);
  void HandleCreatePermission(Request& request, Allocation& allocation);
  void HandleChannelBind(Request& request, Allocation& allocation);
  void HandleSendIndication(const SocketAddress& from, const stun::StunMessageView& message);
  void HandleChannelData(const SocketAddress& from, absl::Span<const uint8_t> packet);

  // Sends an error response (with MESSAGE-INTEGRITY once authenticated).
  void SendError(Request& request, int code, absl::string_view reason);
  void SendChallenge(Request& request, int code, absl::string_view reason);
  void SendToClient(const SocketAddress& to, absl::Span<const uint8_t> bytes);

  std::string NonceFor(const SocketAddress& client);
  bool NonceValid(const SocketAddress& client, absl::string_view nonce);

  Allocation* FindAllocation(const SocketAddress& client);
  void DeleteAllocation(const SocketAddress& client);
  void ScheduleExpiry(Allocation& allocation);
  TimeDelta GrantedLifetime(uint32_t requested_s, bool has_request) const;
  bool HasPermission(Allocation& allocation, const IpAddress& peer);

  Env& env_;
  TurnServerConfig config_;
  TurnServerStats stats_;
  Random random_;
  std::unique_ptr<UdpSocket> listen_;
  SocketAddress listen_address_;
  // Keyed by the client's transport address: with one UDP listen socket
  // that is the whole 5-tuple (RFC 8656 §2). Ordered, so nothing depends on
  // hash order.
  std::map<SocketAddress, std::unique_ptr<Allocation>> allocations_;
  struct NonceState {
    std::string nonce;
    Timestamp expires;
  };
  std::map<SocketAddress, NonceState> nonces_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rtcsim::turn

#endif  // RTCSIM_STACK_TURN_TURN_SERVER_H_
