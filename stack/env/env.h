#ifndef RTCSIM_STACK_ENV_ENV_H_
#define RTCSIM_STACK_ENV_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/random.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim {

// Identifies a posted task so it can be cancelled. Zero is never issued.
struct TaskId {
  uint64_t value = 0;
  bool valid() const { return value != 0; }
  auto operator<=>(const TaskId&) const = default;
};

// A datagram socket bound to one local address. Destroying it closes it.
class UdpSocket {
 public:
  // Called on the Env's thread with the sender and the payload; the span is
  // valid only during the call.
  using ReceiveCallback =
      std::function<void(const SocketAddress& from, absl::Span<const uint8_t> payload)>;

  virtual ~UdpSocket() = default;
  virtual SocketAddress local_address() const = 0;
  // Queues one datagram. Errors are for what the sender can know locally
  // (bad destination, no route, family mismatch, oversized); loss further on
  // is silent, as with UDP.
  virtual absl::Status SendTo(const SocketAddress& to, absl::Span<const uint8_t> payload) = 0;
  virtual void SetReceiveCallback(ReceiveCallback callback) = 0;
};

// The stack's only door to the outside world: clock, tasks, sockets and
// randomness (../shared/DESIGN.md §3). simnet implements it with virtual time;
// stack/realnet with epoll and the OS clock.
class Env {
 public:
  using Task = std::function<void()>;

  virtual ~Env() = default;

  // Monotonic time.
  virtual Timestamp Now() const = 0;
  // Runs `task` after the current task returns (never re-entrantly).
  virtual TaskId PostTask(Task task) = 0;
  // Runs `task` once `delay` has passed (a negative delay counts as zero).
  virtual TaskId PostDelayedTask(TimeDelta delay, Task task) = 0;
  // Cancels a task that has not run yet; returns whether it was pending.
  virtual bool Cancel(TaskId id) = 0;

  // Binds a UDP socket. Port 0 picks an ephemeral port. An unspecified
  // address means "this host": simnet binds the host's first address of that
  // family (a simulated host has few), realnet binds the OS wildcard and
  // local_address() stays unspecified.
  virtual absl::StatusOr<std::unique_ptr<UdpSocket>> BindUdp(const SocketAddress& local) = 0;

  // An independent random stream named `name`. In simulation it derives from
  // the run's seed (same seed, same stream); for real it is seeded from OS
  // entropy.
  virtual Random CreateRandom(absl::string_view name) = 0;
};

}  // namespace rtcsim

#endif  // RTCSIM_STACK_ENV_ENV_H_
