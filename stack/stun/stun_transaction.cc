// STUN client transactions over UDP, RFC 8489 §6.2.1: the request goes out
// at 0, RTO, 3·RTO, 7·RTO, ... (the interval doubles after every send), Rc
// sends in all, and the transaction fails Rm·RTO after the last one. With
// the defaults (RTO 500 ms, Rc 7, Rm 16) that is sends at 0, 0.5, 1.5, 3.5,
// 7.5, 15.5 and 31.5 s and failure at 39.5 s. Responses are matched by
// transaction id alone (§6.3); checking where they came from is the usage's
// business (ICE does, RFC 8445 §7.2.5.2.1), so `from` is passed on.
//
// Re-entrancy: every callback runs after the transaction has left pending_
// and after every member it touches is updated, so a callback may start new
// transactions, cancel others, or destroy this object.
#include "stack/stun/stun_transaction.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"

namespace rtcsim::stun {
namespace {

// A huge Rc or Rm must not overflow the nanosecond count (that would be UB
// and, worse, a negative delay that fires at once).
TimeDelta SaturatingMul(TimeDelta d, int64_t k) {
  if (k != 0 && d.ns() > TimeDelta::Infinite().ns() / k) return TimeDelta::Infinite();
  return d * k;
}

}  // namespace

struct StunClientTransactions::Pending {
  // Shared so that a send function that (synchronously) ends the transaction
  // cannot free the bytes it is still sending.
  std::shared_ptr<const std::vector<uint8_t>> request;
  SocketAddress to;
  RetransmitConfig config;
  std::optional<std::vector<uint8_t>> integrity_key;
  Callback callback;
  StunMethod method = StunMethod::kBinding;
  uint64_t sequence = 0;  // start order, for deterministic CancelAll
  int transmissions = 0;
  TimeDelta next_interval;  // wait after the next non-final send
  Timestamp last_sent;
  TaskId timer;
};

StunClientTransactions::StunClientTransactions(Env& env, SendFn send)
    : env_(env), send_(std::move(send)) {}

StunClientTransactions::~StunClientTransactions() {
  for (auto& [id, p] : pending_) env_.Cancel(p->timer);
}

absl::StatusOr<TransactionId> StunClientTransactions::Start(
    std::vector<uint8_t> request, const SocketAddress& to, const RetransmitConfig& config,
    std::optional<std::vector<uint8_t>> integrity_key, Callback callback) {
  auto parsed = StunMessageView::Parse(request);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("STUN transaction: request does not parse: ", parsed.status().message()));
  }
  if (parsed->message_class() != StunClass::kRequest) {
    return absl::InvalidArgumentError(absl::StrCat(
        "STUN transaction: message is a ", ToString(parsed->message_class()), ", not a Request"));
  }
  if (config.rto <= TimeDelta::Zero() || config.rc < 1 || config.rm < 0 ||
      config.max_rto <= TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("STUN transaction: bad retransmit config (rto ", config.rto.ToString(),
                     ", rc ", config.rc, ", rm ", config.rm, ", max_rto ",
                     config.max_rto.ToString(), "); need rto > 0, rc >= 1, rm >= 0, max_rto > 0"));
  }
  const TransactionId id = parsed->transaction_id();
  if (pending_.contains(id)) {
    return absl::AlreadyExistsError(
        absl::StrCat("STUN transaction ", ToHex(id), " is already pending"));
  }
  auto p = std::make_unique<Pending>();
  p->method = parsed->method();
  p->request = std::make_shared<const std::vector<uint8_t>>(std::move(request));
  p->to = to;
  p->config = config;
  p->integrity_key = std::move(integrity_key);
  p->callback = std::move(callback);
  p->sequence = stats_.started++;
  p->next_interval = std::min(config.rto, config.max_rto);
  pending_.emplace(id, std::move(p));
  Transmit(id);
  return id;
}

void StunClientTransactions::Transmit(const TransactionId& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = *it->second;
  ++p.transmissions;
  if (p.transmissions > 1) ++stats_.retransmissions;
  p.last_sent = env_.Now();
  // RFC 8489 §6.2.1: wait RTO, then double it, until Rc requests have gone;
  // after the last one wait Rm·RTO (the initial RTO: 39.5 s with defaults).
  TimeDelta wait;
  if (p.transmissions < p.config.rc) {
    wait = p.next_interval;
    p.next_interval = std::min(SaturatingMul(p.next_interval, 2), p.config.max_rto);
  } else {
    wait = SaturatingMul(p.config.rto, p.config.rm);
  }
  p.timer = env_.PostDelayedTask(wait, [this, id] { OnTimer(id); });
  // The timer is armed before sending, so a send function that feeds a
  // response back synchronously finds a consistent transaction.
  std::shared_ptr<const std::vector<uint8_t>> bytes = p.request;
  const SocketAddress to = p.to;
  send_(to, *bytes);
}

void StunClientTransactions::OnTimer(const TransactionId& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  Pending& p = *it->second;
  p.timer = TaskId{};
  if (p.transmissions < p.config.rc) {
    Transmit(id);
    return;
  }
  std::unique_ptr<Pending> done = std::move(it->second);
  pending_.erase(it);
  ++stats_.timed_out;
  done->callback(absl::DeadlineExceededError(absl::StrCat(
      "STUN ", ToString(done->method), " transaction ", ToHex(id), " to ", done->to.ToString(),
      ": no response after ", done->transmissions, " transmissions (last one ",
      (env_.Now() - done->last_sent).ToString(), " ago)")));
}

bool StunClientTransactions::HandleResponse(const StunMessageView& response,
                                            const SocketAddress& from) {
  // Only responses end a transaction (§6.3); a request or indication that
  // happens to carry a pending id is not an answer to it.
  const bool is_response = response.message_class() == StunClass::kSuccessResponse ||
                           response.message_class() == StunClass::kErrorResponse;
  auto it = is_response ? pending_.find(response.transaction_id()) : pending_.end();
  if (it == pending_.end()) {
    ++stats_.unknown_transaction;
    return false;
  }
  Pending& p = *it->second;
  if (p.integrity_key.has_value()) {
    // RFC 8489 §9.1.4 / §9.2.5: with credentials in use, a success response
    // must authenticate; an error response may lack integrity (e.g. 400,
    // 401) but if it carries it, it must verify. Anything else is dropped
    // and the transaction keeps waiting, so a forged response cannot end it.
    const IntegrityResult r = response.CheckIntegrity(*p.integrity_key);
    const bool ok =
        r == IntegrityResult::kOk ||
        (r == IntegrityResult::kAbsent && response.message_class() == StunClass::kErrorResponse);
    if (!ok) {
      ++stats_.integrity_failures;
      return true;
    }
  }
  std::unique_ptr<Pending> done = std::move(it->second);
  pending_.erase(it);
  env_.Cancel(done->timer);
  ++stats_.succeeded;
  Response r{response, from, env_.Now() - done->last_sent, done->transmissions};
  done->callback(std::move(r));
  return true;
}

bool StunClientTransactions::Cancel(const TransactionId& id) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return false;
  std::unique_ptr<Pending> done = std::move(it->second);
  pending_.erase(it);
  env_.Cancel(done->timer);
  ++stats_.cancelled;
  done->callback(absl::CancelledError(absl::StrCat("STUN transaction ", ToHex(id), " cancelled")));
  return true;
}

void StunClientTransactions::CancelAll() {
  // Taken out all at once and called back in start order: the hash map's
  // order differs between processes and would make runs diverge.
  std::vector<std::pair<TransactionId, std::unique_ptr<Pending>>> all;
  all.reserve(pending_.size());
  for (auto& [id, p] : pending_) all.emplace_back(id, std::move(p));
  pending_.clear();
  std::sort(all.begin(), all.end(),
            [](const auto& a, const auto& b) { return a.second->sequence < b.second->sequence; });
  for (auto& [id, p] : all) {
    env_.Cancel(p->timer);
    ++stats_.cancelled;
  }
  // No member is touched from here on: a callback may destroy this object.
  for (auto& [id, p] : all) {
    p->callback(absl::CancelledError(absl::StrCat("STUN transaction ", ToHex(id), " cancelled")));
  }
}

bool StunClientTransactions::IsPending(const TransactionId& id) const {
  return pending_.contains(id);
}

size_t StunClientTransactions::pending() const { return pending_.size(); }

}  // namespace rtcsim::stun
