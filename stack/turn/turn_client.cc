// TURN client, RFC 8656, over UDP with the long-term credential mechanism of
// RFC 8489 §9.2. See turn_client.h for the shape; this file keeps the client
// copy of the allocation (§7.3), its permissions (§9) and channel bindings
// (§12), and the timers that refresh them on the Env clock.
#include "stack/turn/turn_client.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/stun/stun_message.h"
#include "stack/stun/stun_transaction.h"

namespace rtcsim::turn {
namespace {

using stun::StunClass;
using stun::StunMessageBuilder;
using stun::StunMessageView;
using stun::StunMethod;

constexpr uint8_t kProtocolUdp = 17;  // RFC 8656 §18.8: IANA protocol number
// RFC 8656 §18.6 family codes.
constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;
// RFC 8656 §9: permissions last 300 s; refreshed a minute early.
constexpr TimeDelta kPermissionLifetime = TimeDelta::Seconds(300);
constexpr TimeDelta kPermissionRefresh = TimeDelta::Seconds(240);
// RFC 8656 §12: bindings last 10 min; refreshed a minute early.
constexpr TimeDelta kChannelLifetime = TimeDelta::Seconds(600);
constexpr TimeDelta kChannelRefresh = TimeDelta::Seconds(540);
constexpr uint16_t kFirstChannel = 0x4000;
constexpr uint16_t kLastChannel = 0x4FFF;
// A server that keeps answering 438 with yet another nonce would otherwise
// loop forever.
constexpr int kMaxStaleNonceRetries = 3;
// RFC 8489 §18.5: PASSWORD-ALGORITHM value for MD5 with no parameters.
constexpr uint8_t kPasswordAlgorithmMd5[] = {0x00, 0x01, 0x00, 0x00};
// 4-byte ChannelData header; a larger payload cannot fit a UDP datagram.
constexpr size_t kMaxPayload = 0xFFFF - 4;

constexpr char kErrorCodePayload[] = "type.rtcsim/turn.stun_error_code";

// Maps a STUN error response to a Status that keeps the code as a payload
// (read back by TurnErrorCode).
absl::Status ErrorResponseStatus(absl::string_view what, const stun::ErrorCode& error) {
  absl::StatusCode code;
  switch (error.code) {
    case stun::error::kUnauthorized:
    case stun::error::kWrongCredentials:
      code = absl::StatusCode::kUnauthenticated;
      break;
    case stun::error::kForbidden:
      code = absl::StatusCode::kPermissionDenied;
      break;
    case stun::error::kAllocationMismatch:
      code = absl::StatusCode::kFailedPrecondition;
      break;
    case stun::error::kAllocationQuotaReached:
    case stun::error::kInsufficientCapacity:
      code = absl::StatusCode::kResourceExhausted;
      break;
    case stun::error::kAddressFamilyNotSupported:
    case stun::error::kUnsupportedTransportProtocol:
    case stun::error::kUnknownAttribute:
      code = absl::StatusCode::kUnimplemented;
      break;
    case stun::error::kServerError:
      code = absl::StatusCode::kUnavailable;
      break;
    default:
      code = absl::StatusCode::kInvalidArgument;
      break;
  }
  absl::Status status(code,
                      absl::StrFormat("%s: error response %d %s", what, error.code, error.reason));
  status.SetPayload(kErrorCodePayload, absl::Cord(absl::StrCat(error.code)));
  return status;
}

// The error of an error response, or a Status saying it had none.
absl::StatusOr<stun::ErrorCode> ErrorOf(absl::string_view what, const StunMessageView& response) {
  auto error = response.GetErrorCode();
  if (!error.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, ": error response without a valid ERROR-CODE: ", error.status().message()));
  }
  return error;
}

uint32_t Seconds(TimeDelta d) { return d.ns() <= 0 ? 0 : static_cast<uint32_t>(d.ms() / 1000); }

// RFC 8656 §8: refresh "roughly 1 minute before it expires"; for lifetimes
// under two minutes that would be earlier than half-way, so use half.
TimeDelta RefreshDelay(TimeDelta lifetime) {
  const TimeDelta early = lifetime - TimeDelta::Seconds(60);
  const TimeDelta half = lifetime / 2;
  return early < half ? half : early;
}

}  // namespace

std::string ToString(TurnState state) {
  switch (state) {
    case TurnState::kIdle:
      return "idle";
    case TurnState::kAllocating:
      return "allocating";
    case TurnState::kAllocated:
      return "allocated";
    case TurnState::kFailed:
      return "failed";
    case TurnState::kDeallocated:
      return "deallocated";
  }
  return "unknown";
}

int TurnErrorCode(const absl::Status& status) {
  auto payload = status.GetPayload(kErrorCodePayload);
  int code = 0;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &code)) return 0;
  return code;
}

struct TurnClient::Impl {
  // What the response to one request means for its caller: the transaction
  // outcome after 401/438 handling (a timeout, or the final response).
  using ResponseHandler =
      std::function<void(absl::StatusOr<stun::StunClientTransactions::Response>)>;
  using AttributeAdder = std::function<void(StunMessageBuilder&)>;

  struct Permission {
    Timestamp expires = Timestamp::Zero();
    bool installed = false;
    TaskId refresh_timer;
  };
  struct Channel {
    uint16_t number = 0;
    SocketAddress peer;
    bool confirmed = false;  // ChannelBind succeeded at least once
    Timestamp expires = Timestamp::Zero();
    TaskId refresh_timer;
  };

  Impl(TurnClient& owner, SendFn send_fn)
      : owner(owner),
        env(owner.env_),
        send(std::move(send_fn)),
        random(owner.env_.CreateRandom("turn-client")),
        transactions(owner.env_, send) {}

  ~Impl() { CancelTimers(); }

  TurnClient& owner;
  Env& env;
  SendFn send;
  Random random;
  stun::StunClientTransactions transactions;
  // Guards tasks posted to the Env: they run only while this Impl lives.
  std::shared_ptr<bool> alive = std::make_shared<bool>(true);

  // Long-term credentials learned from the server (RFC 8489 §9.2.5).
  std::string realm;
  std::string nonce;
  std::vector<uint8_t> key;
  std::optional<std::vector<uint8_t>> password_algorithms;

  Allocation allocation;
  // When the server will drop the allocation unless refreshed, by our
  // reckoning (from the last LIFETIME it granted).
  Timestamp allocation_expires;
  AllocateCallback allocate_done;
  bool deallocate_when_allocated = false;
  TaskId refresh_timer;
  // Ordered maps: iteration order (timer cancellation) must not depend on
  // hashing.
  std::map<IpAddress, Permission> permissions;
  std::map<uint16_t, Channel> channels;
  std::map<SocketAddress, uint16_t> channel_by_peer;
  uint16_t next_channel = kFirstChannel;

  bool has_credentials() const { return !nonce.empty(); }

  // Posts `fn` to run after `delay`, unless this Impl is gone by then
  // (refresh timers, and reporting a failure to start a transaction from a
  // clean stack).
  TaskId Post(TimeDelta delay, std::function<void()> fn) {
    std::weak_ptr<bool> weak = alive;
    return env.PostDelayedTask(delay, [weak, fn = std::move(fn)] {
      if (weak.lock()) fn();
    });
  }

  void CancelTimer(TaskId& id) {
    if (id.valid()) env.Cancel(id);
    id = TaskId();
  }

  void CancelTimers() {
    CancelTimer(refresh_timer);
    for (auto& [ip, permission] : permissions) CancelTimer(permission.refresh_timer);
    for (auto& [number, channel] : channels) CancelTimer(channel.refresh_timer);
  }

  void ForgetAllocationState() {
    CancelTimers();
    permissions.clear();
    channels.clear();
    channel_by_peer.clear();
  }

  std::vector<uint8_t> BuildRequest(StunMethod method, const stun::TransactionId& id,
                                    const AttributeAdder& add_attributes) {
    StunMessageBuilder builder(method, StunClass::kRequest, id);
    add_attributes(builder);
    // RFC 8656 §5: SOFTWARE SHOULD be in all Allocate and Refresh requests.
    if ((method == StunMethod::kAllocate || method == StunMethod::kRefresh) &&
        !owner.config_.software.empty()) {
      builder.AddString(stun::attr::kSoftware, owner.config_.software);
    }
    if (has_credentials()) {
      // RFC 8489 §9.2.3.2: USERNAME, REALM and NONCE from the last
      // challenge, then MESSAGE-INTEGRITY with the long-term key.
      builder.AddString(stun::attr::kUsername, owner.config_.username);
      builder.AddString(stun::attr::kRealm, realm);
      builder.AddString(stun::attr::kNonce, nonce);
      if (password_algorithms.has_value()) {
        // §9.2.5: echo PASSWORD-ALGORITHMS and pick MD5, the only algorithm
        // whose key LongTermKey computes (only reached when MD5 was offered).
        builder.AddBytes(stun::attr::kPasswordAlgorithms, *password_algorithms);
        builder.AddBytes(stun::attr::kPasswordAlgorithm, kPasswordAlgorithmMd5);
      }
      builder.AddMessageIntegrity(key);
    }
    builder.AddFingerprint();
    return std::move(builder).Finish();
  }

  // Takes REALM and NONCE (and PASSWORD-ALGORITHMS) from a 401 or 438
  // (RFC 8489 §9.2.5). Fails if the server sent no usable nonce, or asks
  // for a password algorithm other than MD5.
  absl::Status TakeChallenge(const StunMessageView& response) {
    auto new_nonce = response.GetString(stun::attr::kNonce);
    if (!new_nonce.ok() || new_nonce->empty()) {
      return absl::InvalidArgumentError("challenge without a NONCE");
    }
    auto new_realm = response.GetString(stun::attr::kRealm);
    if (new_realm.ok()) {
      realm = *new_realm;
    } else if (realm.empty()) {
      return absl::InvalidArgumentError("challenge without a REALM");
    }
    if (const stun::RawAttribute* algorithms = response.Find(stun::attr::kPasswordAlgorithms)) {
      bool md5 = false;
      absl::Span<const uint8_t> v = algorithms->value;
      // §18.5: a list of (algorithm 16 bits, parameter length 16 bits,
      // parameters padded to 4).
      size_t i = 0;
      while (i + 4 <= v.size()) {
        const uint16_t algorithm = static_cast<uint16_t>(v[i] << 8 | v[i + 1]);
        const size_t params = static_cast<size_t>(v[i + 2] << 8 | v[i + 3]);
        if (algorithm == 0x0001) md5 = true;
        i += 4 + ((params + 3) & ~size_t{3});
      }
      if (!md5) {
        return absl::UnimplementedError("server offers no MD5 PASSWORD-ALGORITHM");
      }
      password_algorithms = std::vector<uint8_t>(v.begin(), v.end());
    }
    nonce = *new_nonce;
    key = stun::LongTermKey(owner.config_.username, realm, owner.config_.password);
    return absl::OkStatus();
  }

  // Sends a request and deals with the credential dance before `handler`
  // sees the outcome: a 401 to a request sent without credentials is
  // answered once with credentials (RFC 8489 §9.2.5); a 438 is retried with
  // the new nonce (§9.2.5, RFC 8656 §8.3).
  void SendRequest(StunMethod method, AttributeAdder add_attributes, ResponseHandler handler,
                   int stale_retries_left = kMaxStaleNonceRetries) {
    const bool authenticated = has_credentials();
    std::vector<uint8_t> request =
        BuildRequest(method, stun::NewTransactionId(random), add_attributes);
    if (method == StunMethod::kAllocate) ++owner.stats_.allocate_requests;
    std::optional<std::vector<uint8_t>> integrity_key;
    if (authenticated) integrity_key = key;
    auto on_response = [this, method, authenticated, stale_retries_left,
                        add_attributes = std::move(add_attributes),
                        handler](absl::StatusOr<stun::StunClientTransactions::Response> result) {
      if (result.ok() && result->message.message_class() == StunClass::kErrorResponse) {
        auto error = result->message.GetErrorCode();
        const int code = error.ok() ? error->code : 0;
        const bool challenge = code == stun::error::kUnauthorized && !authenticated;
        const bool stale = code == stun::error::kStaleNonce && stale_retries_left > 0;
        if (challenge || stale) {
          absl::Status taken = TakeChallenge(result->message);
          if (taken.ok()) {
            if (challenge) {
              ++owner.stats_.unauthorized_challenges;
            } else {
              ++owner.stats_.stale_nonce_retries;
            }
            // A new transaction (RFC 8489 §9.2.5). The transaction table
            // has already forgotten this one, so starting from here is safe.
            SendRequest(method, add_attributes, handler,
                        challenge ? stale_retries_left : stale_retries_left - 1);
            return;
          }
          handler(absl::Status(taken.code(), absl::StrCat(stun::ToString(method), " ", code, ": ",
                                                          taken.message())));
          return;
        }
      }
      handler(std::move(result));
    };
    auto started =
        transactions.Start(std::move(request), owner.config_.server, owner.config_.retransmit,
                           std::move(integrity_key), std::move(on_response));
    if (!started.ok()) {
      // Only a request we built wrongly gets here; report it the same way.
      Post(TimeDelta::Zero(), [handler, status = started.status()] { handler(status); });
    }
  }

  // --- Allocate (RFC 8656 §7) ------------------------------------------------

  void StartAllocate() {
    const TurnClientConfig& config = owner.config_;
    SendRequest(
        StunMethod::kAllocate,
        [&config](StunMessageBuilder& b) {
          // §7.1: REQUESTED-TRANSPORT (UDP) is mandatory; LIFETIME asks for
          // a time-to-expiry other than the server default.
          b.AddRequestedTransport(kProtocolUdp);
          b.AddUint32(stun::attr::kLifetime, Seconds(config.requested_lifetime));
          if (config.request_ipv6) {
            // §18.6: family, then 24 reserved bits.
            const uint8_t family[] = {kFamilyIpv6, 0, 0, 0};
            b.AddBytes(stun::attr::kRequestedAddressFamily, family);
          }
        },
        [this](absl::StatusOr<stun::StunClientTransactions::Response> result) {
          OnAllocateResponse(std::move(result));
        });
  }

  void FinishAllocate(absl::StatusOr<Allocation> result) {
    AllocateCallback done = std::move(allocate_done);
    allocate_done = nullptr;
    if (done) done(std::move(result));
  }

  void FailAllocate(absl::Status status) {
    owner.state_ = TurnState::kFailed;
    FinishAllocate(std::move(status));
  }

  void OnAllocateResponse(absl::StatusOr<stun::StunClientTransactions::Response> result) {
    if (owner.state_ != TurnState::kAllocating) return;  // Deallocate won the race
    if (!result.ok()) {
      FailAllocate(absl::Status(result.status().code(),
                                absl::StrCat("Allocate: ", result.status().message())));
      return;
    }
    const StunMessageView& response = result->message;
    if (response.message_class() == StunClass::kErrorResponse) {
      auto error = ErrorOf("Allocate", response);
      FailAllocate(error.ok() ? ErrorResponseStatus("Allocate", *error) : error.status());
      return;
    }
    // §7.3.
    auto relayed = response.GetXorAddress(stun::attr::kXorRelayedAddress);
    auto lifetime = response.GetUint32(stun::attr::kLifetime);
    if (!relayed.ok() || !lifetime.ok()) {
      FailAllocate(absl::InvalidArgumentError(
          absl::StrCat("Allocate success response lacks a valid ",
                       !relayed.ok() ? "XOR-RELAYED-ADDRESS: " : "LIFETIME: ",
                       !relayed.ok() ? relayed.status().message() : lifetime.status().message())));
      return;
    }
    Allocation allocation_now;
    allocation_now.relayed = *relayed;
    // The mapped address is a convenience for ICE (§7.2 NOTE); a server may
    // leave it out.
    auto mapped = response.GetXorAddress(stun::attr::kXorMappedAddress);
    if (mapped.ok()) allocation_now.mapped = *mapped;
    allocation_now.lifetime = TimeDelta::Seconds(*lifetime);
    const IpFamily wanted = owner.config_.request_ipv6 ? IpFamily::kV6 : IpFamily::kV4;
    allocation = allocation_now;
    owner.state_ = TurnState::kAllocated;
    if (relayed->family() != wanted || *lifetime == 0) {
      // §7.3: a relayed address of a family we did not ask for must be
      // deleted, not used.
      SendDeallocate();
      FailAllocate(absl::InvalidArgumentError(
          absl::StrCat("Allocate success response with unusable relayed address ",
                       relayed->ToString(), " lifetime ", *lifetime, " s")));
      return;
    }
    if (deallocate_when_allocated) {
      SendDeallocate();
      owner.state_ = TurnState::kDeallocated;
      FinishAllocate(absl::CancelledError("Allocate: Deallocate was called meanwhile"));
      return;
    }
    allocation_expires = env.Now() + allocation.lifetime;
    ScheduleRefresh();
    FinishAllocate(allocation);
  }

  // --- Refresh (RFC 8656 §8) -------------------------------------------------

  void ScheduleRefresh() {
    CancelTimer(refresh_timer);
    refresh_timer = Post(RefreshDelay(allocation.lifetime), [this] {
      refresh_timer = TaskId();
      SendRefresh();
    });
  }

  void SendRefresh() {
    const uint32_t lifetime = Seconds(owner.config_.requested_lifetime);
    SendRequest(
        StunMethod::kRefresh,
        [lifetime](StunMessageBuilder& b) { b.AddUint32(stun::attr::kLifetime, lifetime); },
        [this](absl::StatusOr<stun::StunClientTransactions::Response> result) {
          if (owner.state_ != TurnState::kAllocated) return;
          if (!result.ok() && result.status().code() == absl::StatusCode::kDeadlineExceeded &&
              env.Now() < allocation_expires) {
            // Every retransmission was lost, but refreshing at lifetime −
            // 60 s leaves time for one more transaction (39.5 s with the
            // RFC 8489 defaults) before the server gives up on us.
            ++owner.stats_.refresh_retries;
            SendRefresh();
            return;
          }
          if (!result.ok()) {
            LoseAllocation(absl::Status(result.status().code(),
                                        absl::StrCat("Refresh: ", result.status().message())));
            return;
          }
          if (result->message.message_class() == StunClass::kErrorResponse) {
            // §8.3: 437 means the allocation is gone; any other error
            // leaves us unable to keep it alive.
            auto error = ErrorOf("Refresh", result->message);
            LoseAllocation(error.ok() ? ErrorResponseStatus("Refresh", *error) : error.status());
            return;
          }
          auto lifetime = result->message.GetUint32(stun::attr::kLifetime);
          if (lifetime.ok() && *lifetime > 0) {
            allocation.lifetime = TimeDelta::Seconds(*lifetime);
          }
          allocation_expires = env.Now() + allocation.lifetime;
          ++owner.stats_.refreshes;
          ScheduleRefresh();
        });
  }

  // §8.1: LIFETIME 0 deletes the allocation. A 437 answer (the server lost
  // it already, or this is a retransmission) counts as success (§8.3), so
  // the outcome is not reported.
  void SendDeallocate() {
    SendRequest(
        StunMethod::kRefresh, [](StunMessageBuilder& b) { b.AddUint32(stun::attr::kLifetime, 0); },
        [](absl::StatusOr<stun::StunClientTransactions::Response>) {});
  }

  void LoseAllocation(absl::Status why) {
    if (owner.state_ != TurnState::kAllocated) return;
    owner.state_ = TurnState::kFailed;
    ForgetAllocationState();
    DoneCallback on_failure = std::move(owner.on_failure_);
    owner.on_failure_ = nullptr;  // called once
    if (on_failure) on_failure(std::move(why));
  }

  // --- Permissions (RFC 8656 §9, §10) ----------------------------------------

  void SendCreatePermission(const IpAddress& peer, bool refresh, DoneCallback done) {
    SendRequest(
        StunMethod::kCreatePermission,
        [peer](StunMessageBuilder& b) {
          // §10.1: the port is ignored.
          b.AddXorAddress(stun::attr::kXorPeerAddress, SocketAddress(peer, 0));
        },
        [this, peer, refresh,
         done = std::move(done)](absl::StatusOr<stun::StunClientTransactions::Response> result) {
          absl::Status status = PermissionOutcome(result);
          if (status.ok() && owner.state_ == TurnState::kAllocated) {
            if (refresh) ++owner.stats_.permission_refreshes;
            InstallPermission(peer);
          } else if (refresh && RetryableRefreshFailure(status) && owner.HasPermission(peer)) {
            // An outage swallowed the refresh; try again while the
            // permission (refreshed a minute early) still stands.
            ++owner.stats_.refresh_retries;
            SendCreatePermission(peer, /*refresh=*/true, nullptr);
          }
          if (TurnErrorCode(status) == stun::error::kAllocationMismatch) {
            // RFC 8656 §5: a 437 to a non-Allocate request means the
            // allocation no longer exists.
            LoseAllocation(status);
          }
          if (done) done(status);
        });
  }

  bool RetryableRefreshFailure(const absl::Status& status) const {
    return status.code() == absl::StatusCode::kDeadlineExceeded &&
           owner.state_ == TurnState::kAllocated;
  }

  // OK for a success response; the error otherwise.
  absl::Status PermissionOutcome(
      const absl::StatusOr<stun::StunClientTransactions::Response>& result) {
    if (!result.ok()) return result.status();
    if (result->message.message_class() == StunClass::kErrorResponse) {
      const std::string what = stun::ToString(result->message.method());
      auto error = ErrorOf(what, result->message);
      return error.ok() ? ErrorResponseStatus(what, *error) : error.status();
    }
    if (owner.state_ != TurnState::kAllocated) {
      return absl::FailedPreconditionError("allocation gone before the response arrived");
    }
    return absl::OkStatus();
  }

  // Records a permission installed or refreshed now (by CreatePermission or
  // ChannelBind, §9) and schedules its next refresh.
  void InstallPermission(const IpAddress& peer) {
    Permission& permission = permissions[peer];
    if (!permission.installed) ++owner.stats_.permissions_created;
    permission.installed = true;
    permission.expires = env.Now() + kPermissionLifetime;
    CancelTimer(permission.refresh_timer);
    permission.refresh_timer = Post(kPermissionRefresh, [this, peer] {
      permissions[peer].refresh_timer = TaskId();
      SendCreatePermission(peer, /*refresh=*/true, nullptr);
    });
  }

  // --- Channels (RFC 8656 §12) -----------------------------------------------

  void SendChannelBind(uint16_t number, bool refresh, DoneCallback done) {
    const SocketAddress peer = channels[number].peer;
    SendRequest(
        StunMethod::kChannelBind,
        [number, peer](StunMessageBuilder& b) {
          b.AddChannelNumber(number);
          b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
        },
        [this, number, refresh,
         done = std::move(done)](absl::StatusOr<stun::StunClientTransactions::Response> result) {
          absl::Status status = PermissionOutcome(result);
          auto it = channels.find(number);
          if (status.ok() && it != channels.end()) {
            Channel& channel = it->second;
            if (!channel.confirmed) ++owner.stats_.channels_bound;
            if (refresh) ++owner.stats_.channel_refreshes;
            channel.confirmed = true;
            channel.expires = env.Now() + kChannelLifetime;
            CancelTimer(channel.refresh_timer);
            channel.refresh_timer = Post(kChannelRefresh, [this, number] {
              channels[number].refresh_timer = TaskId();
              SendChannelBind(number, /*refresh=*/true, nullptr);
            });
            // §12.3: the binding installed or refreshed the permission too.
            InstallPermission(channel.peer.ip());
          } else if (refresh && RetryableRefreshFailure(status) && it != channels.end() &&
                     env.Now() < it->second.expires) {
            ++owner.stats_.refresh_retries;
            SendChannelBind(number, /*refresh=*/true, nullptr);
          } else if (!status.ok() && it != channels.end() && !it->second.confirmed) {
            // Never bound: forget it so a later BindChannel starts afresh
            // (with a new number, as §12 asks).
            channel_by_peer.erase(it->second.peer);
            CancelTimer(it->second.refresh_timer);
            channels.erase(it);
          }
          if (TurnErrorCode(status) == stun::error::kAllocationMismatch) LoseAllocation(status);
          if (done) done(status);
        });
  }

  const Channel* FindLiveChannel(const SocketAddress& peer) const {
    auto it = channel_by_peer.find(peer);
    if (it == channel_by_peer.end()) return nullptr;
    const Channel& channel = channels.at(it->second);
    if (!channel.confirmed || env.Now() >= channel.expires) return nullptr;
    return &channel;
  }

  // --- Incoming data ---------------------------------------------------------

  void Drop() { ++owner.stats_.dropped; }

  bool HandleChannelData(absl::Span<const uint8_t> packet) {
    auto parsed = ParseChannelData(packet);
    if (!parsed.ok() || owner.state_ != TurnState::kAllocated) {
      Drop();
      return true;
    }
    // §12: data may arrive as soon as the ChannelBind request went out, so
    // a binding still waiting for its response is accepted.
    auto it = channels.find(parsed->channel);
    if (it == channels.end() || (it->second.confirmed && env.Now() >= it->second.expires)) {
      Drop();
      return true;
    }
    // §12.6: the client SHOULD discard data from a peer it has no
    // permission for. A binding in flight installs one, so it counts.
    const SocketAddress peer = it->second.peer;
    if (it->second.confirmed && !owner.HasPermission(peer.ip())) {
      Drop();
      return true;
    }
    ++owner.stats_.channel_data_received;
    if (owner.on_data_) owner.on_data_(peer, parsed->data);
    return true;
  }

  // RFC 8656 §11.4.
  void HandleDataIndication(const StunMessageView& message) {
    if (owner.state_ != TurnState::kAllocated) return Drop();
    auto peer = message.GetXorAddress(stun::attr::kXorPeerAddress);
    const stun::RawAttribute* data = message.Find(stun::attr::kData);
    if (!peer.ok() || data == nullptr || !owner.HasPermission(peer->ip())) return Drop();
    ++owner.stats_.data_indications;
    if (owner.on_data_) owner.on_data_(*peer, data->value);
  }
};

TurnClient::TurnClient(Env& env, TurnClientConfig config, SendFn send)
    : env_(env),
      config_(std::move(config)),
      impl_(std::make_unique<Impl>(*this, std::move(send))) {}

TurnClient::~TurnClient() = default;

void TurnClient::Allocate(AllocateCallback done) {
  if (state_ == TurnState::kAllocating || state_ == TurnState::kAllocated) {
    done(absl::FailedPreconditionError(
        absl::StrCat("Allocate: already ", ToString(state_), " on ", config_.server.ToString())));
    return;
  }
  // A fresh allocation starts a fresh credential dance: the server may have
  // forgotten the old nonce.
  impl_->nonce.clear();
  impl_->password_algorithms.reset();
  impl_->deallocate_when_allocated = false;
  impl_->allocate_done = std::move(done);
  state_ = TurnState::kAllocating;
  impl_->StartAllocate();
}

void TurnClient::CreatePermission(const IpAddress& peer, DoneCallback done) {
  if (state_ != TurnState::kAllocated) {
    done(absl::FailedPreconditionError(
        absl::StrCat("CreatePermission: no allocation (", ToString(state_), ")")));
    return;
  }
  // RFC 8656 §10.1: only the relayed address's family.
  if (peer.family() != impl_->allocation.relayed.family()) {
    done(absl::InvalidArgumentError(absl::StrCat("CreatePermission: peer ", peer.ToString(),
                                                 " is not of the relayed address's family (",
                                                 impl_->allocation.relayed.ToString(), ")")));
    return;
  }
  impl_->SendCreatePermission(peer, /*refresh=*/false, std::move(done));
}

void TurnClient::BindChannel(const SocketAddress& peer, DoneCallback done) {
  if (state_ != TurnState::kAllocated) {
    done(absl::FailedPreconditionError(
        absl::StrCat("BindChannel: no allocation (", ToString(state_), ")")));
    return;
  }
  if (peer.family() != impl_->allocation.relayed.family()) {
    done(absl::InvalidArgumentError(absl::StrCat("BindChannel: peer ", peer.ToString(),
                                                 " is not of the relayed address's family (",
                                                 impl_->allocation.relayed.ToString(), ")")));
    return;
  }
  uint16_t number;
  auto existing = impl_->channel_by_peer.find(peer);
  if (existing != impl_->channel_by_peer.end()) {
    number = existing->second;  // a rebind refreshes (§12.1)
  } else {
    // Numbers are never reused within an allocation, which also honours
    // §12's five-minute wait before rebinding a number elsewhere.
    if (impl_->next_channel > kLastChannel) {
      done(absl::ResourceExhaustedError("BindChannel: all channel numbers 0x4000-0x4FFF used"));
      return;
    }
    number = impl_->next_channel++;
    Impl::Channel& channel = impl_->channels[number];
    channel.number = number;
    channel.peer = peer;
    impl_->channel_by_peer[peer] = number;
  }
  impl_->SendChannelBind(number, /*refresh=*/false, std::move(done));
}

absl::Status TurnClient::SendTo(const SocketAddress& peer, absl::Span<const uint8_t> payload) {
  if (state_ != TurnState::kAllocated) {
    return absl::FailedPreconditionError(
        absl::StrCat("SendTo: no allocation (", ToString(state_), ")"));
  }
  // RFC 8656 §11.1: the client MUST ensure a permission exists.
  if (!HasPermission(peer.ip())) {
    return absl::FailedPreconditionError(
        absl::StrCat("SendTo: no permission for ", peer.ip().ToString()));
  }
  if (payload.size() > kMaxPayload) {
    return absl::InvalidArgumentError(
        absl::StrFormat("SendTo: %d bytes do not fit one datagram", payload.size()));
  }
  // §12.5: the channel when bound, a Send indication otherwise (§11.1).
  if (const Impl::Channel* channel = impl_->FindLiveChannel(peer)) {
    std::vector<uint8_t> message = MakeChannelData(channel->number, payload);
    ++stats_.channel_data_sent;
    impl_->send(config_.server, message);
    return absl::OkStatus();
  }
  stun::StunMessageBuilder builder(stun::StunMethod::kSend, stun::StunClass::kIndication,
                                   stun::NewTransactionId(impl_->random));
  builder.AddXorAddress(stun::attr::kXorPeerAddress, peer);
  builder.AddBytes(stun::attr::kData, payload);
  ++stats_.send_indications;
  impl_->send(config_.server, builder.bytes());
  return absl::OkStatus();
}

void TurnClient::Deallocate() {
  switch (state_) {
    case TurnState::kAllocating:
      // The Allocate response is still to come: delete what it creates.
      impl_->deallocate_when_allocated = true;
      return;
    case TurnState::kAllocated:
      impl_->ForgetAllocationState();
      impl_->SendDeallocate();
      state_ = TurnState::kDeallocated;
      return;
    default:
      return;
  }
}

bool TurnClient::HandlePacket(absl::Span<const uint8_t> packet) {
  if (LooksLikeChannelData(packet)) return impl_->HandleChannelData(packet);
  if (!stun::LooksLikeStun(packet)) return false;
  auto message = stun::StunMessageView::Parse(packet);
  if (!message.ok()) {
    // Not usable by anyone: counted here so the owner need not.
    ++stats_.dropped;
    return true;
  }
  switch (message->message_class()) {
    case stun::StunClass::kSuccessResponse:
    case stun::StunClass::kErrorResponse:
      // Binding responses to the owner's own STUN checks share this path;
      // only responses to our transactions are ours.
      if (!impl_->transactions.IsPending(message->transaction_id())) return false;
      impl_->transactions.HandleResponse(*message, config_.server);
      return true;
    case stun::StunClass::kIndication:
      if (message->method() != stun::StunMethod::kData) return false;
      impl_->HandleDataIndication(*message);
      return true;
    case stun::StunClass::kRequest:
      return false;
  }
  return false;
}

bool TurnClient::HasPermission(const IpAddress& peer) const {
  auto it = impl_->permissions.find(peer);
  return it != impl_->permissions.end() && it->second.installed && env_.Now() < it->second.expires;
}

const stun::TransactionStats& TurnClient::transaction_stats() const {
  return impl_->transactions.stats();
}

}  // namespace rtcsim::turn
