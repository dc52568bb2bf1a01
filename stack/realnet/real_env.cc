#include "stack/realnet/real_env.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/base/internal/raw_logging.h"
#include "absl/base/internal/strerror.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rtcsim {
namespace {

// Large enough for any UDP payload over IPv4 (65507) or non-jumbo IPv6 (65527).
constexpr size_t kReceiveBufferSize = 64 * 1024;
// epoll is level-triggered, so a socket that still has data after this many
// datagrams is reported again on the next wait; the bound keeps one flooded
// socket from starving timers and other sockets.
constexpr int kMaxDatagramsPerWakeup = 256;
constexpr int kMaxEpollEvents = 64;
// Cancelled entries stay in the heap until popped; past this many (and more
// than the live ones) the heap is rebuilt.
constexpr size_t kCompactThreshold = 1024;
constexpr uint64_t kTimerTag = 0;
// Socket ids count up from 1 and never reach this.
constexpr uint64_t kWakeTag = std::numeric_limits<uint64_t>::max();

int64_t MonotonicNanos() {
  struct timespec ts;
  // CLOCK_MONOTONIC cannot fail with a valid pointer.
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

const char* FamilyName(IpFamily family) {
  switch (family) {
    case IpFamily::kV4:
      return "IPv4";
    case IpFamily::kV6:
      return "IPv6";
    case IpFamily::kNone:
      break;
  }
  return "no family";
}

socklen_t ToSockaddr(const SocketAddress& address, sockaddr_storage* storage) {
  std::memset(storage, 0, sizeof(*storage));
  if (address.ip().is_v4()) {
    auto* sin = reinterpret_cast<sockaddr_in*>(storage);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address.port());
    std::memcpy(&sin->sin_addr, address.ip().data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(address.port());
  std::memcpy(&sin6->sin6_addr, address.ip().data(), 16);
  return sizeof(sockaddr_in6);
}

SocketAddress FromSockaddr(const sockaddr_storage& storage) {
  if (storage.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&storage);
    const auto* b = reinterpret_cast<const uint8_t*>(&sin->sin_addr);
    return SocketAddress(IpAddress::V4(b[0], b[1], b[2], b[3]), ntohs(sin->sin_port));
  }
  if (storage.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&storage);
    std::array<uint8_t, 16> bytes;
    std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
    return SocketAddress(IpAddress::V6(bytes), ntohs(sin6->sin6_port));
  }
  return SocketAddress();
}

// "<what>: <strerror>" with a status code for the errno. Abseil's table is
// overridden where it reads oddly for sockets (it maps EADDRINUSE to
// FailedPrecondition and EADDRNOTAVAIL to AlreadyExists).
absl::Status OsError(int error, absl::string_view what) {
  absl::StatusCode code;
  switch (error) {
    case EADDRINUSE:
      code = absl::StatusCode::kAlreadyExists;  // The port is taken.
      break;
    case EADDRNOTAVAIL:
      code = absl::StatusCode::kUnavailable;  // Not an address of this host.
      break;
    case EMSGSIZE:
      code = absl::StatusCode::kInvalidArgument;  // Datagram too large.
      break;
    default:
      code = absl::ErrnoToStatusCode(error);
      break;
  }
  return absl::Status(code, absl::StrCat(what, ": ", absl::base_internal::StrError(error)));
}

// Fills `out` with OS entropy; aborts if the OS has none to give.
void OsEntropy(void* out, size_t size) {
  auto* p = static_cast<uint8_t*>(out);
  size_t got = 0;
  while (got < size) {
    ssize_t n = getrandom(p + got, size - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n < 0 && errno == ENOSYS) {
      break;  // Pre-3.17 kernel: fall back to the device below.
    } else if (n < 0 && errno != EINTR) {
      ABSL_RAW_LOG(FATAL, "getrandom failed: %s", absl::base_internal::StrError(errno).c_str());
    }
  }
  if (got == size) return;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  ABSL_RAW_CHECK(fd >= 0, "no getrandom() and cannot open /dev/urandom");
  while (got < size) {
    ssize_t n = read(fd, p + got, size - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (!(n < 0 && errno == EINTR)) {
      ABSL_RAW_LOG(FATAL, "reading /dev/urandom failed");
    }
  }
  close(fd);
}

}  // namespace

// A non-blocking OS UDP socket registered with its RealEnv's epoll set.
class RealUdpSocket : public UdpSocket {
 public:
  RealUdpSocket(int fd, const SocketAddress& local) : fd_(fd), local_(local) {}

  ~RealUdpSocket() override {
    // Unregistering first means no event for this socket is dispatched after
    // this point, even one already returned by the current epoll_wait.
    if (env_ != nullptr) env_->Unregister(id_, fd_);
    close(fd_);
  }

  SocketAddress local_address() const override { return local_; }

  absl::Status SendTo(const SocketAddress& to, absl::Span<const uint8_t> payload) override {
    if (to.family() != local_.family()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sendto ", to.ToString(), " from ", local_.ToString(), ": address family mismatch (",
          FamilyName(to.family()), " destination, ", FamilyName(local_.family()), " socket)"));
    }
    if (to.ip().IsUnspecified()) {
      return absl::InvalidArgumentError(absl::StrCat("sendto ", to.ToString(), " from ",
                                                     local_.ToString(),
                                                     ": unspecified destination address"));
    }
    if (to.port() == 0) {
      return absl::InvalidArgumentError(absl::StrCat("sendto ", to.ToString(), " from ",
                                                     local_.ToString(), ": destination port 0"));
    }
    sockaddr_storage storage;
    socklen_t length = ToSockaddr(to, &storage);
    while (true) {
      ssize_t n = sendto(fd_, payload.data(), payload.size(), 0,
                         reinterpret_cast<const sockaddr*>(&storage), length);
      if (n >= 0) return absl::OkStatus();
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
        // The socket send buffer (or the device queue) is full. UDP makes no
        // delivery promise, so this is treated like loss in the network: the
        // datagram is dropped silently and counted, not reported as an error.
        if (env_ != nullptr) ++env_->counters_.send_dropped_would_block;
        return absl::OkStatus();
      }
      return OsError(errno, absl::StrCat("sendto ", to.ToString(), " from ", local_.ToString()));
    }
  }

  void SetReceiveCallback(ReceiveCallback callback) override {
    // Held by shared_ptr so that a callback that replaces itself, or destroys
    // this socket, stays alive until it returns.
    callback_ = std::make_shared<ReceiveCallback>(std::move(callback));
  }

 private:
  friend class RealEnv;

  RealEnv* env_ = nullptr;  // Null until registered, and after ~RealEnv.
  const int fd_;
  uint64_t id_ = 0;
  const SocketAddress local_;
  std::shared_ptr<ReceiveCallback> callback_;
};

RealEnv::RealEnv() : receive_buffer_(kReceiveBufferSize) {
  epoch_ns_ = MonotonicNanos();
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  ABSL_RAW_CHECK(epoll_fd_ >= 0, "epoll_create1 failed");
  timer_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  ABSL_RAW_CHECK(timer_fd_ >= 0, "timerfd_create failed");
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kTimerTag;
  ABSL_RAW_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, timer_fd_, &event) == 0,
                 "epoll_ctl(ADD timerfd) failed");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  ABSL_RAW_CHECK(wake_fd_ >= 0, "eventfd failed");
  event.data.u64 = kWakeTag;
  ABSL_RAW_CHECK(epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) == 0,
                 "epoll_ctl(ADD eventfd) failed");
}

RealEnv::~RealEnv() {
  // Detach surviving sockets: they will just close their descriptors.
  for (auto& [id, socket] : sockets_) socket->env_ = nullptr;
  sockets_.clear();
  // Destroy pending tasks with the containers already empty, in case a
  // captured object's destructor calls back into this Env.
  auto tasks = std::move(tasks_);
  tasks_.clear();
  heap_.clear();
  tasks.clear();
  std::vector<Task> cross_thread;
  {
    std::lock_guard<std::mutex> lock(cross_thread_mutex_);
    cross_thread.swap(cross_thread_tasks_);
  }
  cross_thread.clear();
  close(wake_fd_);
  close(timer_fd_);
  close(epoll_fd_);
}

Timestamp RealEnv::Now() const { return Timestamp::Nanos(MonotonicNanos() - epoch_ns_); }

TaskId RealEnv::PostTask(Task task) { return Schedule(Now(), std::move(task)); }

TaskId RealEnv::PostDelayedTask(TimeDelta delay, Task task) {
  Timestamp now = Now();
  Timestamp deadline;
  if (delay <= TimeDelta::Zero()) {
    deadline = now;
  } else if (delay.IsInfinite() || delay.ns() >= std::numeric_limits<int64_t>::max() - now.ns()) {
    deadline = Timestamp::Infinite();  // Never runs, but can be cancelled.
  } else {
    deadline = now + delay;
  }
  return Schedule(deadline, std::move(task));
}

TaskId RealEnv::Schedule(Timestamp deadline, Task task) {
  uint64_t seq = next_seq_++;
  tasks_.emplace(seq, std::move(task));
  heap_.push_back(HeapEntry{deadline, seq});
  std::push_heap(heap_.begin(), heap_.end(), Later());
  return TaskId{seq};
}

void RealEnv::PostFromAnyThread(Task task) {
  {
    std::lock_guard<std::mutex> lock(cross_thread_mutex_);
    cross_thread_tasks_.push_back(std::move(task));
  }
  // Adds 1 to the eventfd counter, making it readable until the loop reads
  // it. EAGAIN means the counter is saturated: it is readable already.
  const uint64_t one = 1;
  while (write(wake_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

void RealEnv::DrainCrossThreadTasks() {
  uint64_t count;
  while (read(wake_fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
  // Swapped out under the lock, scheduled outside it: Schedule is not
  // thread-safe, but only this thread touches the heap.
  std::vector<Task> batch;
  {
    std::lock_guard<std::mutex> lock(cross_thread_mutex_);
    batch.swap(cross_thread_tasks_);
  }
  const Timestamp now = Now();
  for (Task& task : batch) Schedule(now, std::move(task));
}

bool RealEnv::Cancel(TaskId id) {
  // extract() leaves the map consistent before the task (and whatever it
  // captured) is destroyed at the end of this scope.
  auto node = tasks_.extract(id.value);
  if (node.empty()) return false;
  MaybeCompact();
  return true;
}

void RealEnv::PruneTop() {
  while (!heap_.empty() && !tasks_.contains(heap_.front().seq)) {
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
  }
}

void RealEnv::MaybeCompact() {
  size_t stale = heap_.size() - tasks_.size();
  if (stale < kCompactThreshold || stale <= tasks_.size()) return;
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                             [this](const HeapEntry& e) { return !tasks_.contains(e.seq); }),
              heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), Later());
}

absl::StatusOr<std::unique_ptr<UdpSocket>> RealEnv::BindUdp(const SocketAddress& local) {
  if (local.family() == IpFamily::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("bind ", local.ToString(), ": no address family"));
  }
  const bool v6 = local.ip().is_v6();
  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    return OsError(errno, absl::StrCat("socket for ", local.ToString()));
  }
  // From here the socket object owns fd (it closes it when destroyed).
  // Until it is constructed, close by hand.
  auto fail = [fd](absl::string_view what, const SocketAddress& address) {
    int error = errno;
    close(fd);
    return OsError(error, absl::StrCat(what, " ", address.ToString()));
  };
  if (v6) {
    // One family per socket: a v6 socket never sees v4-mapped traffic, so
    // the same port can be bound separately for IPv4.
    int one = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) {
      return fail("setsockopt(IPV6_V6ONLY) for", local);
    }
  }
  // No SO_REUSEADDR: for UDP on Linux it would let two sockets share a port
  // silently; a clash should be an error.
  sockaddr_storage storage;
  socklen_t length = ToSockaddr(local, &storage);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&storage), length) != 0) {
    return fail("bind", local);
  }
  length = sizeof(storage);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) {
    return fail("getsockname after binding", local);
  }
  auto socket = std::make_unique<RealUdpSocket>(fd, FromSockaddr(storage));
  absl::Status registered = Register(socket.get(), fd, &socket->id_);
  if (!registered.ok()) return registered;
  socket->env_ = this;
  return socket;
}

absl::Status RealEnv::Register(RealUdpSocket* socket, int fd, uint64_t* id) {
  uint64_t new_id = next_socket_id_++;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = new_id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) != 0) {
    return OsError(errno, absl::StrCat("epoll_ctl(ADD) for ", socket->local_address().ToString()));
  }
  sockets_[new_id] = socket;
  *id = new_id;
  return absl::OkStatus();
}

void RealEnv::Unregister(uint64_t id, int fd) {
  sockets_.erase(id);
  // The descriptor is closed right after, which would also remove it; the
  // explicit DEL keeps the epoll set exact even if the fd were dup'ed.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

Random RealEnv::CreateRandom(absl::string_view name) {
  uint64_t entropy;
  OsEntropy(&entropy, sizeof(entropy));
  return Random(StableHash(entropy, name));
}

void RealEnv::Run() { Loop(Timestamp::Infinite(), nullptr); }

void RealEnv::RunFor(TimeDelta duration) {
  Timestamp now = Now();
  Timestamp end = duration.ns() >= std::numeric_limits<int64_t>::max() - now.ns()
                      ? Timestamp::Infinite()
                      : now + std::max(duration, TimeDelta::Zero());
  Loop(end, nullptr);
}

bool RealEnv::RunUntil(std::function<bool()> done, TimeDelta timeout) {
  ABSL_RAW_CHECK(done != nullptr, "RunUntil needs a predicate");
  Timestamp now = Now();
  Timestamp end = timeout.ns() >= std::numeric_limits<int64_t>::max() - now.ns()
                      ? Timestamp::Infinite()
                      : now + std::max(timeout, TimeDelta::Zero());
  if (Loop(end, done)) return true;
  return done();
}

bool RealEnv::ShouldExit(const std::function<bool()>& done) {
  if (stop_requested_) return true;
  if (done && done()) {
    done_seen_ = true;
    return true;
  }
  return false;
}

bool RealEnv::Loop(Timestamp end, const std::function<bool()>& done) {
  ABSL_RAW_CHECK(!running_, "RealEnv::Run/RunFor/RunUntil must not be nested");
  running_ = true;
  done_seen_ = false;
  while (!ShouldExit(done)) {
    Timestamp now = Now();
    if (!RunDueTasks(now, done)) break;
    if (now >= end) break;
    if (!PollAndDispatch(end, done)) break;
  }
  stop_requested_ = false;
  running_ = false;
  return done_seen_;
}

bool RealEnv::RunDueTasks(Timestamp now, const std::function<bool()>& done) {
  // Tasks posted by this batch wait for the next one, after an I/O poll.
  const uint64_t batch_end = next_seq_;
  while (true) {
    PruneTop();
    if (heap_.empty()) return true;
    const HeapEntry top = heap_.front();
    if (top.deadline > now || top.seq >= batch_end) return true;
    std::pop_heap(heap_.begin(), heap_.end(), Later());
    heap_.pop_back();
    auto node = tasks_.extract(top.seq);
    Task task = std::move(node.mapped());
    if (task) task();
    if (ShouldExit(done)) return false;
  }
}

void RealEnv::ArmTimer(Timestamp wake) {
  if (wake == armed_wake_) return;
  itimerspec spec{};
  if (wake.ns() < std::numeric_limits<int64_t>::max() - epoch_ns_) {
    // Absolute CLOCK_MONOTONIC: the kernel fires at or after this instant, so
    // the loop never wakes for a timer before its deadline. (A zero it_value
    // would disarm; deadlines are never before the epoch, but guard anyway.)
    int64_t absolute_ns = std::max<int64_t>(epoch_ns_ + wake.ns(), 1);
    spec.it_value.tv_sec = absolute_ns / 1000000000;
    spec.it_value.tv_nsec = absolute_ns % 1000000000;
  }  // Else all zero: disarm (nothing to wake for but I/O).
  ABSL_RAW_CHECK(timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) == 0,
                 "timerfd_settime failed");
  armed_wake_ = wake;
}

bool RealEnv::PollAndDispatch(Timestamp end, const std::function<bool()>& done) {
  PruneTop();
  Timestamp wake = end;
  if (!heap_.empty()) wake = std::min(wake, heap_.front().deadline);
  int timeout_ms = -1;
  if (wake <= Now()) {
    timeout_ms = 0;  // Work is already due: just collect ready I/O.
  } else {
    ArmTimer(wake);
  }
  epoll_event events[kMaxEpollEvents];
  int count = epoll_wait(epoll_fd_, events, kMaxEpollEvents, timeout_ms);
  if (count < 0) {
    ABSL_RAW_CHECK(errno == EINTR, "epoll_wait failed");
    return true;
  }
  for (int i = 0; i < count; ++i) {
    if (events[i].data.u64 == kTimerTag) {
      uint64_t expirations;
      // Clears readiness; the one-shot timer is now disarmed.
      while (read(timer_fd_, &expirations, sizeof(expirations)) < 0 && errno == EINTR) {
      }
      armed_wake_ = Timestamp::Infinite();
      continue;
    }
    if (events[i].data.u64 == kWakeTag) {
      DrainCrossThreadTasks();
      continue;
    }
    // Looked up by id, not by pointer: a callback earlier in this batch may
    // have destroyed this socket (and its fd number may have been reused).
    if (!HandleReadable(events[i].data.u64, done)) return false;
  }
  return true;
}

bool RealEnv::HandleReadable(uint64_t id, const std::function<bool()>& done) {
  for (int i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    // Re-checked every datagram: the callback may have closed the socket.
    auto it = sockets_.find(id);
    if (it == sockets_.end()) return true;
    RealUdpSocket* socket = it->second;
    sockaddr_storage from;
    socklen_t from_length = sizeof(from);
    // MSG_TRUNC makes the return value the datagram's real length.
    ssize_t n = recvfrom(socket->fd_, receive_buffer_.data(), receive_buffer_.size(), MSG_TRUNC,
                         reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno != EINTR) ++counters_.receive_errors;  // Reading consumed it.
      continue;
    }
    if (static_cast<size_t>(n) > receive_buffer_.size()) {
      ++counters_.receive_truncated;
      continue;
    }
    std::shared_ptr<UdpSocket::ReceiveCallback> callback = socket->callback_;
    if (callback == nullptr || !*callback) {
      ++counters_.receive_no_callback;
      continue;
    }
    (*callback)(FromSockaddr(from),
                absl::Span<const uint8_t>(receive_buffer_.data(), static_cast<size_t>(n)));
    if (ShouldExit(done)) return false;
  }
  return true;
}

}  // namespace rtcsim
