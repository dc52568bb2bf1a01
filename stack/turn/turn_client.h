// TURN client over UDP (RFC 8656). Owns no socket: the owner passes every
// datagram that arrives from the server to HandlePacket and the client sends
// through the SendFn, so the same local port can carry ICE checks and TURN
// (the relayed candidate's base is the host candidate's socket, RFC 8445
// §5.1.1.2).
//
// Allocate performs the long-term credential dance (unauthenticated request,
// 401 with REALM and NONCE, authenticated retry; 438 Stale Nonce retried with
// the new nonce, RFC 8656 §7.2, RFC 8489 §9.2.4), then keeps the allocation
// refreshed (at lifetime − 60 s, or half the lifetime if that is shorter),
// permissions refreshed every 4 min (they last 300 s, §9) and channel
// bindings every 9 min (they last 600 s, §12).
#ifndef RTCSIM_STACK_TURN_TURN_CLIENT_H_
#define RTCSIM_STACK_TURN_TURN_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/env/socket_address.h"
#include "stack/stun/stun_transaction.h"

namespace rtcsim::turn {

struct TurnClientConfig {
  SocketAddress server;
  std::string username;
  std::string password;
  TimeDelta requested_lifetime = TimeDelta::Seconds(600);
  // Request a relayed address of this family (REQUESTED-ADDRESS-FAMILY);
  // IPv4 when unset.
  bool request_ipv6 = false;
  std::string software = "rtcsim";
  stun::RetransmitConfig retransmit;
};

struct TurnClientStats {
  uint64_t allocate_requests = 0;
  uint64_t unauthorized_challenges = 0;  // 401 with realm/nonce received
  uint64_t stale_nonce_retries = 0;      // 438 handled
  uint64_t refreshes = 0;                // allocation Refresh transactions that succeeded
  uint64_t permissions_created = 0;
  uint64_t channels_bound = 0;
  uint64_t send_indications = 0;
  uint64_t channel_data_sent = 0;
  uint64_t data_indications = 0;
  uint64_t channel_data_received = 0;
  uint64_t dropped = 0;               // malformed, unknown channel, no permission, ...
  uint64_t permission_refreshes = 0;  // automatic CreatePermission refreshes that succeeded
  uint64_t channel_refreshes = 0;     // automatic ChannelBind refreshes that succeeded
  uint64_t refresh_retries = 0;       // automatic refreshes re-sent after a timeout
};

enum class TurnState { kIdle, kAllocating, kAllocated, kFailed, kDeallocated };
std::string ToString(TurnState state);

// The STUN error code (e.g. 401, 437) behind a status that a TurnClient
// callback reported for an error response, or 0 if the failure was not an
// error response (timeout, misuse, malformed response).
int TurnErrorCode(const absl::Status& status);

class TurnClient {
 public:
  using SendFn = std::function<void(const SocketAddress& to, absl::Span<const uint8_t> bytes)>;
  using DataCallback =
      std::function<void(const SocketAddress& peer, absl::Span<const uint8_t> payload)>;

  struct Allocation {
    SocketAddress relayed;  // XOR-RELAYED-ADDRESS
    SocketAddress mapped;   // XOR-MAPPED-ADDRESS (the server-reflexive address)
    TimeDelta lifetime;
  };
  using AllocateCallback = std::function<void(absl::StatusOr<Allocation>)>;
  using DoneCallback = std::function<void(absl::Status)>;

  TurnClient(Env& env, TurnClientConfig config, SendFn send);
  ~TurnClient();

  void Allocate(AllocateCallback done);
  // Installs (or refreshes) a permission for `peer`'s IP (§9: port ignored).
  void CreatePermission(const IpAddress& peer, DoneCallback done);
  // Binds the next free channel number (0x4000..0x4FFF) to `peer` (§12);
  // also installs the permission.
  void BindChannel(const SocketAddress& peer, DoneCallback done);
  // Sends through the relay: ChannelData if a channel is bound to `peer`,
  // else a Send indication. FailedPrecondition without an allocation or a
  // permission for the peer's IP.
  absl::Status SendTo(const SocketAddress& peer, absl::Span<const uint8_t> payload);
  // Refresh with LIFETIME 0 (§7.2); the state becomes kDeallocated.
  void Deallocate();

  // Feeds a datagram that came from the server (STUN or ChannelData).
  // Returns false if it was not TURN traffic for this client.
  bool HandlePacket(absl::Span<const uint8_t> packet);

  void SetDataCallback(DataCallback callback) { on_data_ = std::move(callback); }
  // Called once if the allocation is lost (refresh failed, 437).
  void SetFailureCallback(DoneCallback callback) { on_failure_ = std::move(callback); }

  TurnState state() const { return state_; }
  const SocketAddress& server() const { return config_.server; }
  bool HasPermission(const IpAddress& peer) const;
  const TurnClientStats& stats() const { return stats_; }
  const stun::TransactionStats& transaction_stats() const;

 private:
  struct Impl;
  Env& env_;
  TurnClientConfig config_;
  TurnState state_ = TurnState::kIdle;
  DataCallback on_data_;
  DoneCallback on_failure_;
  TurnClientStats stats_;
  // Declared last so that it is destroyed first: its transactions and timers
  // refer to the members above.
  std::unique_ptr<Impl> impl_;
};

// ChannelData framing (RFC 8656 §12.4): 2-byte channel number 0x4000-0x4FFF,
// 2-byte length, data, padded to 4 bytes over UDP.
bool LooksLikeChannelData(absl::Span<const uint8_t> packet);
struct ChannelDataView {
  uint16_t channel = 0;
  absl::Span<const uint8_t> data;
};
absl::StatusOr<ChannelDataView> ParseChannelData(absl::Span<const uint8_t> packet);
std::vector<uint8_t> MakeChannelData(uint16_t channel, absl::Span<const uint8_t> data);

}  // namespace rtcsim::turn

#endif  // RTCSIM_STACK_TURN_TURN_CLIENT_H_
