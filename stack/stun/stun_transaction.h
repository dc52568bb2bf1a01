// STUN client transactions over an unreliable transport (RFC 8489 §6.2.1):
// retransmit at RTO, 2·RTO, 4·RTO, ... up to Rc sends, then wait Rm·RTO for
// the last one, all on the Env clock. The owner supplies the send function
// (the transport is shared with other traffic) and feeds back every STUN
// response it receives.
#ifndef RTCSIM_STACK_STUN_STUN_TRANSACTION_H_
#define RTCSIM_STACK_STUN_STUN_TRANSACTION_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/stun/stun_message.h"

namespace rtcsim::stun {

struct RetransmitConfig {
  // RFC 8489 §6.2.1: initial RTO SHOULD be >= 500 ms; Rc = 7; Rm = 16.
  TimeDelta rto = TimeDelta::Millis(500);
  int rc = 7;
  int rm = 16;
  // Optional cap on the doubled interval (RFC 8445 §14.3 lets ICE checks use
  // their own RTO; not capping is the RFC 8489 behaviour).
  TimeDelta max_rto = TimeDelta::Infinite();
};

struct TransactionStats {
  uint64_t started = 0;
  uint64_t retransmissions = 0;
  uint64_t succeeded = 0;  // any response matched (success or error)
  uint64_t timed_out = 0;
  uint64_t cancelled = 0;
  uint64_t unknown_transaction = 0;  // response with no pending transaction
  uint64_t integrity_failures = 0;   // response dropped: bad/missing integrity
};

class StunClientTransactions {
 public:
  using SendFn = std::function<void(const SocketAddress& to, absl::Span<const uint8_t> bytes)>;

  struct Response {
    const StunMessageView& message;  // valid only during the callback
    SocketAddress from;
    TimeDelta rtt;          // from the last transmission to the response
    int transmissions = 0;  // how many times the request went out
  };
  // Called once: with the response, or DeadlineExceeded after the last
  // retransmission's Rm·RTO wait, or Cancelled.
  using Callback = std::function<void(absl::StatusOr<Response>)>;

  StunClientTransactions(Env& env, SendFn send);
  ~StunClientTransactions();  // cancels pending timers without calling back

  // Sends `request` (a serialised STUN request) to `to`. If `integrity_key`
  // is set, a success response must carry valid MESSAGE-INTEGRITY(-SHA256)
  // and an error response that carries one must verify; otherwise the
  // response is dropped and counted, and the transaction keeps waiting.
  // Returns the request's transaction id, or an error if `request` does not
  // parse as a request.
  absl::StatusOr<TransactionId> Start(std::vector<uint8_t> request, const SocketAddress& to,
                                      const RetransmitConfig& config,
                                      std::optional<std::vector<uint8_t>> integrity_key,
                                      Callback callback);

  // Offers a received response. Returns true if it matched a pending
  // transaction (whether or not integrity passed), false (and counted) if
  // no transaction has its id.
  bool HandleResponse(const StunMessageView& response, const SocketAddress& from);

  // Cancels one transaction; its callback gets Cancelled. False if unknown.
  bool Cancel(const TransactionId& id);
  // Cancels all pending transactions, calling each callback with Cancelled.
  void CancelAll();

  bool IsPending(const TransactionId& id) const;
  size_t pending() const;
  const TransactionStats& stats() const { return stats_; }

 private:
  struct Pending;
  void Transmit(const TransactionId& id);
  void OnTimer(const TransactionId& id);

  Env& env_;
  SendFn send_;
  absl::flat_hash_map<TransactionId, std::unique_ptr<Pending>> pending_;
  TransactionStats stats_;
};

}  // namespace rtcsim::stun

#endif  // RTCSIM_STACK_STUN_STUN_TRANSACTION_H_
