// See sctp_association.h.
//
// usrsctp is one global stack per process. Re-entering it from one of its
// own callbacks (the output callback or the receive callback) while it holds
// its locks is not allowed, so both callbacks only queue: packets into the
// association's outbox, messages and notifications into its event queue. When
// the outermost call into usrsctp returns, the queues are drained in
// association creation order (deterministic, unlike pointer order).
#include "stack/sctp/sctp_association.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/base/internal/raw_logging.h"
#include "absl/strings/str_cat.h"
#include "stack/env/virtual_wall_clock.h"

namespace rtcsim::sctp {
namespace {

// How often the stack's clock advances when nothing else calls into it.
// usrsctp's timers (RTO, delayed SACK, heartbeats) are then accurate to this.
constexpr TimeDelta kTickInterval = TimeDelta::Millis(10);
// Socket buffers: large enough that a max-size message fits whole in the send
// buffer, and the advertised receive window (RFC 9260 §6.2) covers it.
constexpr int kSocketBufferBytes = 1024 * 1024;
// RFC 9260 §16: RTO.Initial 1 s.
constexpr uint32_t kRtoInitialMs = 1000;
// RFC 9260 §16 suggests RTO.Max 60 s; over a real-time path a shorter cap
// recovers sooner after a loss burst (libwebrtc-style deployments use ~10 s).
constexpr uint32_t kRtoMaxMs = 10000;

// RFC 9260 §3.2: chunk types whose TSN marks a transmission of user data.
constexpr uint8_t kChunkData = 0;
constexpr uint8_t kChunkIData = 64;        // RFC 8260 §2.1
constexpr size_t kCommonHeaderBytes = 12;  // RFC 9260 §3.1
constexpr size_t kChunkHeaderBytes = 4;    // type, flags, length
constexpr size_t kTsnEnd = 8;              // chunk header + 32-bit TSN

}  // namespace

int SentTsnTracker::Observe(absl::Span<const uint8_t> packet) {
  int retransmitted = 0;
  size_t at = kCommonHeaderBytes;
  while (packet.size() >= kChunkHeaderBytes && at <= packet.size() - kChunkHeaderBytes) {
    const uint8_t type = packet[at];
    const size_t length = (size_t{packet[at + 2]} << 8) | packet[at + 3];
    // RFC 9260 §3.2: the length covers the header and excludes padding.
    if (length < kChunkHeaderBytes || length > packet.size() - at) break;
    if ((type == kChunkData || type == kChunkIData) && length >= kTsnEnd) {
      const uint32_t tsn = (uint32_t{packet[at + 4]} << 24) | (uint32_t{packet[at + 5]} << 16) |
                           (uint32_t{packet[at + 6]} << 8) | packet[at + 7];
      // RFC 1982 serial arithmetic on 32 bits: newer iff the forward
      // distance is below 2^31.
      if (have_highest_ && static_cast<int32_t>(tsn - highest_tsn_) <= 0) {
        ++retransmitted;
      } else {
        have_highest_ = true;
        highest_tsn_ = tsn;
      }
    }
    // Chunks are padded to 4 bytes (RFC 9260 §3.2); the last may end unpadded.
    const size_t padded = (length + 3) & ~size_t{3};
    if (padded > packet.size() - at) break;
    at += padded;
  }
  return retransmitted;
}

class SctpAssociation::Impl {
 public:
  Impl(Env& env, SctpConfig config, SendFunction send, Callbacks callbacks)
      : env_(env),
        config_(std::move(config)),
        remote_port_(config_.remote_port),
        send_(std::move(send)),
        callbacks_(std::move(callbacks)) {}
  ~Impl();

  absl::Status Init();
  absl::Status SetRemotePort(uint16_t port);
  void SetRemoteMaxMessageSize(uint64_t bytes) { remote_max_message_size_ = bytes; }
  absl::Status Connect();
  void HandlePacket(absl::Span<const uint8_t> packet);
  absl::Status Send(uint16_t stream_id, uint32_t ppid, absl::Span<const uint8_t> payload,
                    const SendOptions& options);
  absl::Status ResetStreams(absl::Span<const uint16_t> stream_ids);
  void Close();

  SctpState state() const { return state_; }
  size_t buffered_amount() const { return buffered_; }
  size_t buffered_amount(uint16_t stream_id) const {
    auto it = stream_buffered_.find(stream_id);
    return it == stream_buffered_.end() ? 0 : it->second;
  }
  const SctpStats& stats() const { return stats_; }

  // usrsctp callbacks (queue only).
  void OnOutput(const void* buffer, size_t length);
  void OnReceive(void* data, size_t length, const sctp_rcvinfo& info, int flags);

  // Delivers one queued item; returns false when nothing was queued.
  bool DrainOne();
  uint64_t id() const { return id_; }

 private:
  struct Outgoing {
    std::vector<uint8_t> bytes;
    size_t offset = 0;  // bytes usrsctp accepted so far (partial sends)
    // Whether the bytes count in buffered_amount (see the header): false for
    // DCEP and for the padding byte of an empty message.
    bool counted = true;
    sctp_sendv_spa spa;
  };
  struct Event {
    enum class Kind {
      kState,
      kMessage,
      kIncomingReset,
      kOutgoingReset,
      kBufferedAmountDecreased
    } kind;
    SctpState state = SctpState::kNew;
    uint16_t stream_id = 0;
    uint32_t ppid = 0;
    size_t previous_amount = 0;
    size_t current_amount = 0;
    std::vector<uint8_t> payload;
    std::vector<uint16_t> streams;
  };

  void SetState(SctpState state);
  void HandleNotification(const uint8_t* data, size_t length);
  // One complete message (or an oversized one, counted and dropped).
  void Deliver(uint16_t stream_id, uint32_t ppid, std::vector<uint8_t> payload, bool oversized);
  void FlushSendQueue();
  // `accepted` bytes of `out` left the queue (taken by usrsctp or dropped).
  void Unbuffer(const Outgoing& out, size_t accepted, bool notify);
  void ScheduleTick();
  sockaddr_conn Address(uint16_t port) const;
  // The AF_CONN address usrsctp knows us by: our id as an opaque pointer.
  void* ConnAddress() const { return reinterpret_cast<void*>(static_cast<uintptr_t>(id_)); }

  Env& env_;
  const SctpConfig config_;
  uint16_t remote_port_;
  uint64_t remote_max_message_size_ = 0;  // 0: only our own limit applies
  const SendFunction send_;
  const Callbacks callbacks_;
  uint64_t id_ = 0;
  struct socket* socket_ = nullptr;
  bool registered_ = false;
  SctpState state_ = SctpState::kNew;
  std::deque<std::vector<uint8_t>> outbox_;
  std::deque<Event> events_;
  std::deque<Outgoing> send_queue_;
  size_t buffered_ = 0;
  std::map<uint16_t, size_t> stream_buffered_;  // streams with bytes queued
  SentTsnTracker sent_tsns_;
  // A message being reassembled, per stream: partial deliveries of a large
  // message on one stream can be interleaved with messages of others.
  struct Reassembly {
    std::vector<uint8_t> bytes;
    bool oversized = false;
  };
  std::map<uint16_t, Reassembly> partial_;
  TaskId tick_task_;
  SctpStats stats_;
};

namespace {

// Process-wide state next to usrsctp's own global stack.
struct Global {
  // Live associations by creation id: the ids make drain order deterministic
  // and let the receive callback find its association without trusting a
  // pointer that usrsctp may still hold after the association is gone.
  std::map<uint64_t, SctpAssociation::Impl*> live;
  uint64_t next_id = 1;
  int depth = 0;  // nesting of calls into usrsctp
  bool draining = false;
  bool have_tick = false;
  Timestamp last_tick = Timestamp::Zero();
};

Global& G() {
  static auto* global = new Global();
  return *global;
}

SctpAssociation::Impl* Find(uint64_t id) {
  auto it = G().live.find(id);
  return it == G().live.end() ? nullptr : it->second;
}

// The output callback: `addr` is the sconn_addr the packet leaves from, the
// association's own registered address (see Address()).
int ConnOutput(void* addr, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
  if (auto* impl = Find(reinterpret_cast<uintptr_t>(addr)); impl != nullptr) {
    impl->OnOutput(buffer, length);
  }
  return 0;  // An association already destroyed: the packet is dropped.
}

int ReceiveCallback(struct socket* /*sock*/, union sctp_sockstore /*addr*/, void* data,
                    size_t length, struct sctp_rcvinfo info, int flags, void* ulp_info) {
  auto* impl = Find(reinterpret_cast<uintptr_t>(ulp_info));
  if (impl != nullptr) {
    impl->OnReceive(data, length, info, flags);
  }
  // usrsctp hands over a malloc()ed buffer (NULL for an empty read).
  std::free(data);
  return 1;
}

void InitOnce() {
  static absl::once_flag once;
  absl::call_once(once, [] {
    // Port 0: no UDP encapsulation; packets only leave through ConnOutput.
    usrsctp_init_nothreads(0, &ConnOutput, nullptr);
    // RFC 3758 forward-TSN for partial reliability (RFC 8831 §5) and RFC 6525
    // reconfiguration for closing channels (RFC 8831 §6.7).
    usrsctp_sysctl_set_sctp_pr_enable(1);
    usrsctp_sysctl_set_sctp_reconfig_enable(1);
    // ECN needs IP-header access the lower transport (DTLS) cannot give.
    usrsctp_sysctl_set_sctp_ecn_enable(0);
  });
}

// Brackets every call into usrsctp. The outermost one opens the virtual wall
// clock (usrsctp reads gettimeofday) and advances the stack's timers to the
// Env's now; on exit it delivers what the callbacks queued.
class StackCall {
 public:
  explicit StackCall(Env& env) : clock_(env.Now()) {
    Global& g = G();
    if (g.depth++ == 0) Advance(env.Now());
  }
  ~StackCall() {
    Global& g = G();
    if (--g.depth == 0) Drain();
  }

 private:
  static void Advance(Timestamp now) {
    Global& g = G();
    if (!g.have_tick || now < g.last_tick) {
      g.have_tick = true;
      g.last_tick = now;
      return;
    }
    // Whole milliseconds only; the remainder carries over to the next call.
    const int64_t elapsed_ms = (now - g.last_tick).ms();
    if (elapsed_ms <= 0) return;
    g.last_tick = g.last_tick + TimeDelta::Millis(elapsed_ms);
    usrsctp_handle_timers(static_cast<uint32_t>(elapsed_ms));
  }

  static void Drain() {
    Global& g = G();
    if (g.draining) return;  // The outer drain loop picks the new items up.
    g.draining = true;
    bool progress = true;
    while (progress) {
      progress = false;
      std::vector<uint64_t> ids;
      for (const auto& [id, impl] : g.live) ids.push_back(id);
      for (uint64_t id : ids) {
        // Looked up again: a callback may have destroyed it.
        SctpAssociation::Impl* impl = Find(id);
        while (impl != nullptr && impl->DrainOne()) {
          progress = true;
          impl = Find(id);
        }
      }
    }
    g.draining = false;
  }

  VirtualWallClockScope clock_;
};

}  // namespace

sockaddr_conn SctpAssociation::Impl::Address(uint16_t port) const {
  sockaddr_conn addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sconn_family = AF_CONN;
  addr.sconn_port = htons(port);
  // The stack only compares and hands back this pointer. It is our id, not
  // our address: usrsctp signs state cookies over data that includes it
  // (RFC 9260 §5.1.3), and a heap address would make the COOKIE-ECHO bytes
  // depend on the process's memory layout.
  addr.sconn_addr = ConnAddress();
  return addr;
}

absl::Status SctpAssociation::Impl::Init() {
  Global& g = G();
  id_ = g.next_id++;
  g.live[id_] = this;
  // Before the call's clock scope: whatever randomness usrsctp draws while
  // initialising is then not taken from the simulation's reproducible
  // stream, so the first simulation in a process draws the same bytes as
  // later ones (see simnet/interpose/usrsctp_random_interpose.cc).
  InitOnce();
  StackCall call(env_);
  usrsctp_register_address(ConnAddress());
  registered_ = true;
  socket_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, &ReceiveCallback, nullptr, 0,
                           reinterpret_cast<void*>(static_cast<uintptr_t>(id_)));
  if (socket_ == nullptr) return absl::InternalError(absl::StrCat("usrsctp_socket: errno ", errno));
  auto set = [this](int level, int name, const void* value, socklen_t size,
                    const char* what) -> absl::Status {
    if (usrsctp_setsockopt(socket_, level, name, value, size) != 0) {
      return absl::InternalError(absl::StrCat("setsockopt ", what, ": errno ", errno));
    }
    return absl::OkStatus();
  };
  // Nothing could ever wake a blocked call: there is no other thread.
  if (usrsctp_set_non_blocking(socket_, 1) != 0) {
    return absl::InternalError("usrsctp_set_non_blocking failed");
  }
  // Closing aborts (RFC 9260 §9.1) rather than lingering in a graceful
  // SHUTDOWN that would need more packet exchange after we are gone.
  const linger abort_on_close = {1, 0};
  absl::Status s = set(SOL_SOCKET, SO_LINGER, &abort_on_close, sizeof(abort_on_close), "SO_LINGER");
  const int buffer = kSocketBufferBytes;
  if (s.ok()) s = set(SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer), "SO_SNDBUF");
  if (s.ok()) s = set(SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer), "SO_RCVBUF");
  // RFC 8831 §6.7: closing a channel resets its streams (RFC 6525).
  sctp_assoc_value reset;
  std::memset(&reset, 0, sizeof(reset));
  reset.assoc_id = SCTP_ALL_ASSOC;
  reset.assoc_value = SCTP_ENABLE_RESET_STREAM_REQ;
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &reset, sizeof(reset), "RESET");
  // Messages go out without Nagle-style bundling delay (RFC 8831 §6.6 leaves
  // it to the implementation; real-time data wants it off).
  const int on = 1;
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof(on), "SCTP_NODELAY");
  // A message may be handed over in several sendv calls (partial sends of a
  // large message); SCTP_EOR marks its end (RFC 6458 §8.1.26).
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_EXPLICIT_EOR, &on, sizeof(on), "SCTP_EXPLICIT_EOR");
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on), "SCTP_RECVRCVINFO");
  sctp_initmsg init;
  std::memset(&init, 0, sizeof(init));
  init.sinit_num_ostreams = config_.streams;
  init.sinit_max_instreams = config_.streams;
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init), "SCTP_INITMSG");
  sctp_rtoinfo rto;
  std::memset(&rto, 0, sizeof(rto));
  // RFC 9260 §16: RTO.Initial is 1 s (usrsctp keeps RFC 4960's 3 s, which
  // costs a lost INIT or COOKIE-ECHO two extra seconds).
  rto.srto_initial = kRtoInitialMs;
  rto.srto_max = kRtoMaxMs;  // zero fields keep their defaults
  if (s.ok()) s = set(IPPROTO_SCTP, SCTP_RTOINFO, &rto, sizeof(rto), "SCTP_RTOINFO");
  for (uint16_t type : {SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT, SCTP_SEND_FAILED_EVENT}) {
    sctp_event event;
    std::memset(&event, 0, sizeof(event));
    event.se_assoc_id = SCTP_ALL_ASSOC;
    event.se_type = type;
    event.se_on = 1;
    if (s.ok()) s = set(IPPROTO_SCTP, SCTP_EVENT, &event, sizeof(event), "SCTP_EVENT");
  }
  if (!s.ok()) return s;
  sockaddr_conn local = Address(config_.local_port);
  if (usrsctp_bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    return absl::InternalError(absl::StrCat("usrsctp_bind: errno ", errno));
  }
  ScheduleTick();
  return absl::OkStatus();
}

SctpAssociation::Impl::~Impl() {
  env_.Cancel(tick_task_);
  {
    StackCall call(env_);
    if (socket_ != nullptr) usrsctp_close(socket_);  // sends ABORT if up
    if (registered_) usrsctp_deregister_address(ConnAddress());
    // The ABORT leaves now; no callbacks run from a destructor.
    for (const auto& packet : outbox_) (void)send_(packet);
    outbox_.clear();
    events_.clear();
    G().live.erase(id_);
  }
}

absl::Status SctpAssociation::Impl::SetRemotePort(uint16_t port) {
  if (state_ != SctpState::kNew) {
    return absl::FailedPreconditionError("the remote port is fixed once Connect() was called");
  }
  remote_port_ = port;
  return absl::OkStatus();
}

absl::Status SctpAssociation::Impl::Connect() {
  if (state_ != SctpState::kNew) return absl::FailedPreconditionError("Connect() called twice");
  StackCall call(env_);
  // In AF_CONN mode the peer is named by our own address: the stack uses the
  // sconn_addr as both ends when it matches incoming packets (see
  // HandlePacket), and the lower transport knows the real peer.
  sockaddr_conn peer = Address(remote_port_);
  if (usrsctp_connect(socket_, reinterpret_cast<sockaddr*>(&peer), sizeof(peer)) != 0 &&
      errno != EINPROGRESS) {
    SetState(SctpState::kFailed);
    return absl::InternalError(absl::StrCat("usrsctp_connect: errno ", errno));
  }
  // Fixed path MTU (see SctpConfig::mtu); usrsctp would otherwise start at
  // its own default and build packets no DTLS record can carry.
  sctp_paddrparams params;
  std::memset(&params, 0, sizeof(params));
  std::memcpy(&params.spp_address, &peer, sizeof(peer));
  params.spp_flags = SPP_PMTUD_DISABLE;
  params.spp_pathmtu = static_cast<uint32_t>(config_.mtu);
  if (usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &params, sizeof(params)) !=
      0) {
    SetState(SctpState::kFailed);
    return absl::InternalError(absl::StrCat("setsockopt SCTP_PEER_ADDR_PARAMS: errno ", errno));
  }
  SetState(SctpState::kConnecting);
  return absl::OkStatus();
}

void SctpAssociation::Impl::HandlePacket(absl::Span<const uint8_t> packet) {
  if (socket_ == nullptr) return;
  ++stats_.packets_received;
  StackCall call(env_);
  // The address given is the receiver's own (see Connect()). usrsctp copies
  // the bytes and verifies the CRC32c (RFC 9260 §6.8) itself.
  usrsctp_conninput(ConnAddress(), packet.data(), packet.size(), 0);
  FlushSendQueue();  // SACKs may have freed send buffer space
}

absl::Status SctpAssociation::Impl::Send(uint16_t stream_id, uint32_t ppid,
                                         absl::Span<const uint8_t> payload,
                                         const SendOptions& options) {
  if (state_ == SctpState::kClosed || state_ == SctpState::kFailed) {
    return absl::FailedPreconditionError("association is closed");
  }
  if (payload.size() > config_.max_message_size) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", payload.size(),
                                                   " bytes exceeds max-message-size ",
                                                   config_.max_message_size));
  }
  // RFC 8841 §6.1: never send more than the peer said it can receive.
  if (remote_max_message_size_ != 0 && payload.size() > remote_max_message_size_) {
    return absl::InvalidArgumentError(absl::StrCat("message of ", payload.size(),
                                                   " bytes exceeds the peer's max-message-size ",
                                                   remote_max_message_size_, " (RFC 8841 §6.1)"));
  }
  if (stream_id >= config_.streams) {
    return absl::InvalidArgumentError(absl::StrCat("stream id ", stream_id, " out of range"));
  }
  if (options.max_retransmits.has_value() && options.max_lifetime.has_value()) {
    return absl::InvalidArgumentError("max_retransmits and max_lifetime are exclusive");
  }
  const bool empty_ppid = ppid == kPpidStringEmpty || ppid == kPpidBinaryEmpty;
  if (payload.empty() != empty_ppid) {
    return absl::InvalidArgumentError(
        "an empty message needs PPID 56 or 57, and PPIDs 56 and 57 carry no payload");
  }
  Outgoing out;
  // SCTP cannot carry a zero-length user message (RFC 9260 §6.1 "no user
  // data"), so an empty one is a single zero byte under PPID 56/57 (RFC 8831
  // §6.6).
  if (payload.empty()) {
    out.bytes.push_back(0);
  } else {
    out.bytes.assign(payload.begin(), payload.end());
  }
  out.counted = !payload.empty() && ppid != kPpidDcep;
  std::memset(&out.spa, 0, sizeof(out.spa));
  out.spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  out.spa.sendv_sndinfo.snd_sid = stream_id;
  out.spa.sendv_sndinfo.snd_ppid = htonl(ppid);
  out.spa.sendv_sndinfo.snd_flags = SCTP_EOR | (options.ordered ? 0 : SCTP_UNORDERED);
  if (options.max_retransmits.has_value()) {
    out.spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    out.spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_RTX;
    out.spa.sendv_prinfo.pr_value = *options.max_retransmits;
  } else if (options.max_lifetime.has_value()) {
    out.spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    out.spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
    out.spa.sendv_prinfo.pr_value =
        static_cast<uint32_t>(std::max<int64_t>(0, options.max_lifetime->ms()));
  }
  if (out.counted) {
    buffered_ += out.bytes.size();
    stream_buffered_[stream_id] += out.bytes.size();
  }
  send_queue_.push_back(std::move(out));
  ++stats_.messages_sent;
  StackCall call(env_);
  FlushSendQueue();
  return absl::OkStatus();
}

void SctpAssociation::Impl::FlushSendQueue() {
  if (state_ != SctpState::kConnected) return;
  while (!send_queue_.empty()) {
    Outgoing& out = send_queue_.front();
    const size_t remaining = out.bytes.size() - out.offset;
    ssize_t n = usrsctp_sendv(socket_, out.bytes.data() + out.offset, remaining, nullptr, 0,
                              &out.spa, sizeof(out.spa), SCTP_SENDV_SPA, 0);
    if (n < 0) {
      if (errno == EWOULDBLOCK || errno == EAGAIN) return;  // retried on the next tick
      // Anything else (e.g. the association went away) loses the message.
      ++stats_.messages_abandoned;
      Unbuffer(out, remaining, /*notify=*/true);
      send_queue_.pop_front();
      continue;
    }
    // With SCTP_EXPLICIT_EOR a short write leaves the message open; the next
    // call continues it, and SCTP_EOR on that call ends it.
    out.offset += static_cast<size_t>(n);
    Unbuffer(out, static_cast<size_t>(n), /*notify=*/true);
    if (out.offset < out.bytes.size()) return;
    send_queue_.pop_front();
  }
}

void SctpAssociation::Impl::Unbuffer(const Outgoing& out, size_t accepted, bool notify) {
  if (!out.counted || accepted == 0) return;
  const uint16_t stream_id = out.spa.sendv_sndinfo.snd_sid;
  auto it = stream_buffered_.find(stream_id);
  ABSL_RAW_CHECK(it != stream_buffered_.end() && it->second >= accepted && buffered_ >= accepted,
                 "buffered amount accounting out of step with the send queue");
  const size_t previous = it->second;
  it->second -= accepted;
  buffered_ -= accepted;
  const size_t current = it->second;
  if (current == 0) stream_buffered_.erase(it);
  if (!notify) return;
  Event e{Event::Kind::kBufferedAmountDecreased};
  e.stream_id = stream_id;
  e.previous_amount = previous;
  e.current_amount = current;
  events_.push_back(std::move(e));
}

absl::Status SctpAssociation::Impl::ResetStreams(absl::Span<const uint16_t> stream_ids) {
  if (state_ != SctpState::kConnected) return absl::FailedPreconditionError("not connected");
  if (stream_ids.empty()) return absl::OkStatus();
  // sctp_reset_streams ends in a flexible array of stream ids.
  std::vector<uint8_t> storage(sizeof(sctp_reset_streams) + stream_ids.size() * sizeof(uint16_t));
  auto* reset = reinterpret_cast<sctp_reset_streams*>(storage.data());
  reset->srs_assoc_id = SCTP_ALL_ASSOC;
  reset->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  reset->srs_number_streams = static_cast<uint16_t>(stream_ids.size());
  std::memcpy(reset->srs_stream_list, stream_ids.data(), stream_ids.size() * sizeof(uint16_t));
  StackCall call(env_);
  if (usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_RESET_STREAMS, storage.data(),
                         static_cast<socklen_t>(storage.size())) != 0) {
    return absl::InternalError(absl::StrCat("SCTP_RESET_STREAMS: errno ", errno));
  }
  return absl::OkStatus();
}

void SctpAssociation::Impl::Close() {
  if (socket_ == nullptr) return;
  {
    StackCall call(env_);
    usrsctp_close(socket_);  // SO_LINGER 0: ABORT
    socket_ = nullptr;
    stats_.messages_abandoned += send_queue_.size();
    send_queue_.clear();
    buffered_ = 0;
    stream_buffered_.clear();
    SetState(SctpState::kClosed);
  }
}

void SctpAssociation::Impl::ScheduleTick() {
  tick_task_ = env_.PostDelayedTask(kTickInterval, [this] {
    tick_task_ = TaskId();
    {
      StackCall call(env_);  // advances the timers
      FlushSendQueue();
    }
    ScheduleTick();
  });
}

void SctpAssociation::Impl::SetState(SctpState state) {
  if (state == state_) return;
  state_ = state;
  Event e{Event::Kind::kState};
  e.state = state;
  events_.push_back(std::move(e));
}

void SctpAssociation::Impl::OnOutput(const void* buffer, size_t length) {
  const auto* bytes = static_cast<const uint8_t*>(buffer);
  const int retransmitted = sent_tsns_.Observe(absl::MakeConstSpan(bytes, length));
  if (retransmitted > 0) {
    stats_.data_retransmissions += static_cast<uint64_t>(retransmitted);
    ++stats_.packets_retransmitted;
  }
  outbox_.emplace_back(bytes, bytes + length);
}

void SctpAssociation::Impl::OnReceive(void* data, size_t length, const sctp_rcvinfo& info,
                                      int flags) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  if (flags & MSG_NOTIFICATION) {
    HandleNotification(bytes, length);
    return;
  }
  // Partial delivery (RFC 9260 §6.9) hands a large message over in pieces;
  // only the last carries MSG_EOR. usrsctp may deliver other streams'
  // messages between the pieces, so each stream reassembles on its own.
  const uint16_t sid = info.rcv_sid;
  auto it = partial_.find(sid);
  if (it == partial_.end() && (flags & MSG_EOR)) {
    // The common case: a whole message in one read, no reassembly.
    const bool oversized = length > config_.max_message_size;
    Deliver(sid, ntohl(info.rcv_ppid),
            oversized ? std::vector<uint8_t>() : std::vector<uint8_t>(bytes, bytes + length),
            oversized);
    return;
  }
  if (it == partial_.end()) it = partial_.emplace(sid, Reassembly{}).first;
  Reassembly& r = it->second;
  if (!r.oversized) {
    if (r.bytes.size() + length > config_.max_message_size) {
      r.oversized = true;
      r.bytes.clear();
    } else if (length > 0) {
      r.bytes.insert(r.bytes.end(), bytes, bytes + length);
    }
  }
  if (!(flags & MSG_EOR)) return;
  Deliver(sid, ntohl(info.rcv_ppid), std::move(r.bytes), r.oversized);
  partial_.erase(it);
}

void SctpAssociation::Impl::Deliver(uint16_t stream_id, uint32_t ppid, std::vector<uint8_t> payload,
                                    bool oversized) {
  if (oversized) {
    ++stats_.oversized_dropped;
    return;
  }
  Event e{Event::Kind::kMessage};
  e.stream_id = stream_id;
  e.ppid = ppid;
  // RFC 8831 §6.6: the byte sent with PPID 56/57 is not payload.
  if (ppid != kPpidStringEmpty && ppid != kPpidBinaryEmpty) e.payload = std::move(payload);
  events_.push_back(std::move(e));
  ++stats_.messages_received;
}

void SctpAssociation::Impl::HandleNotification(const uint8_t* data, size_t length) {
  sctp_notification n;
  if (length < sizeof(n.sn_header)) return;
  std::memset(&n, 0, sizeof(n));
  std::memcpy(&n, data, std::min(length, sizeof(n)));
  switch (n.sn_header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      switch (n.sn_assoc_change.sac_state) {
        case SCTP_COMM_UP:
        case SCTP_RESTART:
          SetState(SctpState::kConnected);
          FlushSendQueue();
          break;
        case SCTP_COMM_LOST:
        case SCTP_CANT_STR_ASSOC:
          SetState(SctpState::kFailed);
          break;
        case SCTP_SHUTDOWN_COMP:
          SetState(SctpState::kClosed);
          break;
      }
      break;
    case SCTP_SEND_FAILED_EVENT:
      // An abandoned PR-SCTP message (RFC 3758 §3.5) or data dropped with
      // the association.
      ++stats_.messages_abandoned;
      break;
    case SCTP_STREAM_RESET_EVENT: {
      const size_t header = offsetof(sctp_stream_reset_event, strreset_stream_list);
      if (length < header) return;
      const uint16_t reset_flags = n.sn_strreset_event.strreset_flags;
      if (reset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) return;
      const size_t count = (std::min<size_t>(length, n.sn_strreset_event.strreset_length) -
                            std::min(length, header)) /
                           sizeof(uint16_t);
      Event e{(reset_flags & SCTP_STREAM_RESET_INCOMING_SSN) ? Event::Kind::kIncomingReset
                                                             : Event::Kind::kOutgoingReset};
      e.streams.resize(count);
      std::memcpy(e.streams.data(), data + header, count * sizeof(uint16_t));
      events_.push_back(std::move(e));
      break;
    }
    default:
      break;
  }
}

bool SctpAssociation::Impl::DrainOne() {
  if (!outbox_.empty()) {
    std::vector<uint8_t> packet = std::move(outbox_.front());
    outbox_.pop_front();
    ++stats_.packets_sent;
    if (!send_(packet).ok()) ++stats_.send_errors;
    return true;
  }
  if (events_.empty()) return false;
  Event e = std::move(events_.front());
  events_.pop_front();
  // The callback may destroy `this`; nothing touches members afterwards.
  switch (e.kind) {
    case Event::Kind::kState:
      if (callbacks_.on_state) callbacks_.on_state(e.state);
      break;
    case Event::Kind::kMessage:
      if (callbacks_.on_message) callbacks_.on_message(e.stream_id, e.ppid, e.payload);
      break;
    case Event::Kind::kIncomingReset:
      if (callbacks_.on_incoming_reset) callbacks_.on_incoming_reset(e.streams);
      break;
    case Event::Kind::kOutgoingReset:
      if (callbacks_.on_outgoing_reset) callbacks_.on_outgoing_reset(e.streams);
      break;
    case Event::Kind::kBufferedAmountDecreased:
      if (callbacks_.on_buffered_amount_decreased) {
        callbacks_.on_buffered_amount_decreased(e.stream_id, e.previous_amount, e.current_amount);
      }
      break;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<SctpAssociation>> SctpAssociation::Create(Env& env,
                                                                         SctpConfig config,
                                                                         SendFunction send,
                                                                         Callbacks callbacks) {
  if (config.streams == 0) return absl::InvalidArgumentError("streams must be positive");
  auto impl = std::make_unique<Impl>(env, std::move(config), std::move(send), std::move(callbacks));
  absl::Status status = impl->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<SctpAssociation>(new SctpAssociation(std::move(impl)));
}

SctpAssociation::SctpAssociation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SctpAssociation::~SctpAssociation() = default;
absl::Status SctpAssociation::SetRemotePort(uint16_t port) { return impl_->SetRemotePort(port); }
void SctpAssociation::SetRemoteMaxMessageSize(uint64_t bytes) {
  impl_->SetRemoteMaxMessageSize(bytes);
}
absl::Status SctpAssociation::Connect() { return impl_->Connect(); }
void SctpAssociation::HandlePacket(absl::Span<const uint8_t> packet) {
  impl_->HandlePacket(packet);
}
absl::Status SctpAssociation::Send(uint16_t stream_id, uint32_t ppid,
                                   absl::Span<const uint8_t> payload, const SendOptions& options) {
  return impl_->Send(stream_id, ppid, payload, options);
}
absl::Status SctpAssociation::ResetStreams(absl::Span<const uint16_t> stream_ids) {
  return impl_->ResetStreams(stream_ids);
}
void SctpAssociation::Close() { impl_->Close(); }
SctpState SctpAssociation::state() const { return impl_->state(); }
size_t SctpAssociation::buffered_amount() const { return impl_->buffered_amount(); }
size_t SctpAssociation::buffered_amount(uint16_t stream_id) const {
  return impl_->buffered_amount(stream_id);
}
const SctpStats& SctpAssociation::stats() const { return impl_->stats(); }

}  // namespace rtcsim::sctp
