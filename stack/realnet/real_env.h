#ifndef RTCSIM_STACK_REALNET_REAL_ENV_H_
#define RTCSIM_STACK_REALNET_REAL_ENV_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "stack/env/env.h"

namespace rtcsim {

class RealUdpSocket;

// The real-world Env: a single-threaded event loop over epoll, a timerfd on
// CLOCK_MONOTONIC, non-blocking OS UDP sockets and OS entropy. It is the only
// Env implementation allowed to touch the OS (see stack/no_os_access_test.sh).
//
// Time: Now() is CLOCK_MONOTONIC in nanoseconds since this RealEnv was
// constructed, so timestamps start near zero as they do in simnet.
//
// Ordering: every task, immediate or delayed, sits in one min-heap ordered by
// (deadline, insertion sequence). PostTask uses deadline = Now(), so posted
// tasks run FIFO, and a task never runs before its deadline: the loop sleeps
// on an absolute CLOCK_MONOTONIC timerfd and, whatever woke it, only runs
// tasks whose deadline is <= Now().
//
// Threading: not thread-safe, with one exception. Construct, post, bind, run
// and Stop() on one thread; callbacks and tasks run on that thread from inside
// Run*(), one at a time, never re-entrantly. The Run* methods must not be
// nested. The exception is PostFromAnyThread(), the one door for other
// threads (e.g. an HTTP server's handler thread handing work to the stack).
class RealEnv : public Env {
 public:
  // Counts of rare paths, for diagnostics and tests.
  struct Counters {
    // sendto() hit EAGAIN/EWOULDBLOCK/ENOBUFS: the socket buffer was full and
    // the datagram was dropped, as a congested network would.
    uint64_t send_dropped_would_block = 0;
    // recvfrom() failed with something other than EAGAIN (e.g. a pending
    // ICMP-derived socket error); the error is consumed and reading goes on.
    uint64_t receive_errors = 0;
    // A datagram longer than the receive buffer (only possible with IPv6
    // jumbograms); it is dropped.
    uint64_t receive_truncated = 0;
    // A datagram arrived on a socket with no receive callback; it is read
    // and dropped (leaving it queued would make epoll report it forever).
    uint64_t receive_no_callback = 0;
  };

  // Aborts if the kernel refuses epoll or timerfd (nothing can work then).
  RealEnv();
  // Sockets may outlive the RealEnv: they are detached and only close their
  // descriptor when destroyed. Pending tasks are destroyed without running.
  ~RealEnv() override;

  RealEnv(const RealEnv&) = delete;
  RealEnv& operator=(const RealEnv&) = delete;

  // Env.
  Timestamp Now() const override;
  TaskId PostTask(Task task) override;
  TaskId PostDelayedTask(TimeDelta delay, Task task) override;
  bool Cancel(TaskId id) override;

  // Thread-safe: may be called from any thread, also while Run*() is active
  // on the Env's thread (an eventfd in the epoll set wakes the loop). `task`
  // runs on the Env's thread inside a Run*() (the current one, or the next if
  // none is active), after the tasks already due; tasks posted this way run
  // in the order their posts returned. It cannot be cancelled. The caller
  // must not race the RealEnv's destruction; tasks still queued then are
  // destroyed without running.
  void PostFromAnyThread(Task task);
  // An unspecified address (0.0.0.0 or ::) binds the OS wildcard, so the
  // socket receives on every interface and local_address() reports the
  // wildcard with the chosen port. IPv6 sockets are IPV6_V6ONLY.
  absl::StatusOr<std::unique_ptr<UdpSocket>> BindUdp(const SocketAddress& local) override;
  // Each call draws a fresh 64-bit seed from getrandom() and mixes in `name`
  // (StableHash), so two streams with the same name still differ.
  Random CreateRandom(absl::string_view name) override;

  // Runs tasks and socket callbacks until Stop() is called.
  void Run();
  // Runs until `duration` has passed (tasks due by then run).
  void RunFor(TimeDelta duration);
  // Runs until `done()` returns true (checked before waiting and after every
  // task and every received datagram), Stop() is called, or `timeout` passes.
  // Returns the final value of `done()`.
  bool RunUntil(std::function<bool()> done, TimeDelta timeout);
  // Makes the active Run*() return after the current task or callback. When
  // called outside Run*(), the next Run*() returns at once. One Stop() ends
  // one Run*().
  void Stop() { stop_requested_ = true; }

  const Counters& counters() const { return counters_; }
  // Tasks posted and neither run nor cancelled yet.
  size_t pending_tasks() const { return tasks_.size(); }

 private:
  friend class RealUdpSocket;

  struct HeapEntry {
    Timestamp deadline;
    uint64_t seq;  // Also the TaskId value.
  };
  // std::push_heap builds a max-heap; "greater" puts the earliest on top.
  struct Later {
    bool operator()(const HeapEntry& a, const HeapEntry& b) const {
      if (a.deadline != b.deadline) return a.deadline > b.deadline;
      return a.seq > b.seq;
    }
  };

  TaskId Schedule(Timestamp deadline, Task task);
  // Drops cancelled entries from the top of the heap.
  void PruneTop();
  // Rebuilds the heap without cancelled entries once they dominate it, so
  // repeatedly re-armed long timers do not grow it without bound.
  void MaybeCompact();
  // The shared loop behind Run, RunFor and RunUntil. `end` may be Infinite;
  // `done` may be empty. Returns whether `done` (if any) became true.
  bool Loop(Timestamp end, const std::function<bool()>& done);
  // Runs the tasks due at `now` that were posted before this batch began
  // (so a task re-posting itself cannot starve I/O). Returns false if the
  // loop must exit (Stop or done).
  bool RunDueTasks(Timestamp now, const std::function<bool()>& done);
  // Waits for I/O or the next deadline (bounded by `end`) and dispatches the
  // ready events. Returns false if the loop must exit.
  bool PollAndDispatch(Timestamp end, const std::function<bool()>& done);
  void ArmTimer(Timestamp wake);
  // Clears the eventfd and schedules the tasks other threads posted.
  void DrainCrossThreadTasks();
  // Reads datagrams from socket `id` until EAGAIN (bounded per wakeup).
  bool HandleReadable(uint64_t id, const std::function<bool()>& done);
  // True when the loop must return: Stop() was called or `done()` holds
  // (which sets done_seen_).
  bool ShouldExit(const std::function<bool()>& done);

  // Socket registration (called by RealUdpSocket).
  absl::Status Register(RealUdpSocket* socket, int fd, uint64_t* id);
  void Unregister(uint64_t id, int fd);

  int epoll_fd_ = -1;
  int timer_fd_ = -1;
  int wake_fd_ = -1;      // eventfd written by PostFromAnyThread.
  int64_t epoch_ns_ = 0;  // CLOCK_MONOTONIC at construction.
  Timestamp armed_wake_ = Timestamp::Infinite();

  uint64_t next_seq_ = 1;
  std::vector<HeapEntry> heap_;
  absl::flat_hash_map<uint64_t, Task> tasks_;  // Live tasks by seq.

  uint64_t next_socket_id_ = 1;  // 0 tags the timerfd in epoll.
  absl::flat_hash_map<uint64_t, RealUdpSocket*> sockets_;
  std::vector<uint8_t> receive_buffer_;

  std::mutex cross_thread_mutex_;
  std::vector<Task> cross_thread_tasks_;  // Guarded by cross_thread_mutex_.

  bool running_ = false;
  bool stop_requested_ = false;
  bool done_seen_ = false;
  Counters counters_;
};

}  // namespace rtcsim

#endif  // RTCSIM_STACK_REALNET_REAL_ENV_H_
