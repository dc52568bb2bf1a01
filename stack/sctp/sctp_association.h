// An SCTP association (RFC 9260) carried over an unreliable datagram "lower
// transport", as WebRTC data channels run SCTP over DTLS (RFC 8261). The
// lower transport is a send function plus HandlePacket(), so the association
// sits on DtlsTransport's application data or, in tests, on plain UDP.
//
// Built on usrsctp in no-threads AF_CONN mode: packets leave through a
// callback instead of an OS socket, and the stack's timers advance only when
// usrsctp_handle_timers() is called with the Env's elapsed virtual time
// (../shared/DESIGN.md §4). usrsctp also reads gettimeofday() (RTT samples,
// cookie lifetime), so every call into it runs under a VirtualWallClockScope;
// in a simulation binary that links //simnet/interpose:libc_time_interpose
// those reads see virtual time.
//
// Threading: usrsctp has one global stack per process. All associations in a
// process must be used from one thread, and their Envs must share one clock
// (true in simnet, where every host's Env reads the same virtual clock, and in
// realnet, where every Env reads the OS monotonic clock): the stack keeps one
// process-wide "last tick" and advances by the time elapsed since then,
// whichever association's Env observed it. A clock that goes backwards (a
// new simulation in the same process) restarts the tick without advancing.
//
// Determinism: with //simnet/interpose:usrsctp_random_interpose (usrsctp's
// read_random on the virtual clock) a simulation reproduces its trace hash
// exactly in a fresh process. A second simulation in the same process does
// not: usrsctp keeps process-wide state across simulations (suspected: its
// verification-tag time-wait table, RFC 9260 §5.3.1 — the reproducible stream
// yields the same tags again, they collide with the previous run's, and the
// extra draws shift later randomness such as heartbeat jitter).
//
// Example:
//   auto sctp = SctpAssociation::Create(env, {.role = SctpRole::kClient},
//       [&](absl::Span<const uint8_t> p) { return dtls.Send(p); }, callbacks);
//   (*sctp)->Connect();
//   // DTLS on_data: (*sctp)->HandlePacket(data);
#ifndef RTCSIM_STACK_SCTP_SCTP_ASSOCIATION_H_
#define RTCSIM_STACK_SCTP_SCTP_ASSOCIATION_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/env/time.h"

namespace rtcsim::sctp {

// Payload protocol identifiers for WebRTC (RFC 8831 §8).
inline constexpr uint32_t kPpidDcep = 50;
inline constexpr uint32_t kPpidString = 51;
inline constexpr uint32_t kPpidBinary = 53;
inline constexpr uint32_t kPpidStringEmpty = 56;
inline constexpr uint32_t kPpidBinaryEmpty = 57;

// RFC 8841 §4: the SCTP port both sides use when SDP names none.
inline constexpr uint16_t kDefaultSctpPort = 5000;

enum class SctpRole { kClient, kServer };
enum class SctpState { kNew, kConnecting, kConnected, kClosed, kFailed };

struct SctpConfig {
  // Kept for the data channel layer (RFC 8832 §6: the DTLS client uses even
  // stream ids). It does not change the handshake: both sides send INIT, as
  // WebRTC endpoints do, and the collision is resolved by RFC 9260 §5.2.
  SctpRole role = SctpRole::kClient;
  uint16_t local_port = kDefaultSctpPort;
  uint16_t remote_port = kDefaultSctpPort;
  // Largest message Send() accepts and the receiver reassembles (RFC 8841 §6:
  // a=max-message-size; 256 KiB is what WebRTC endpoints commonly offer).
  size_t max_message_size = 256 * 1024;
  // Streams requested in each direction (RFC 8831 §6.2).
  uint16_t streams = 1024;
  // Largest SCTP packet handed to the lower transport. Path MTU discovery is
  // off (RFC 8261 §5: the DTLS layer, not SCTP, knows the path): each packet
  // must fit one DTLS record, which at DtlsTransport's default 1,200-byte
  // path MTU carries up to 1,115 bytes.
  size_t mtu = 1100;
};

struct SendOptions {
  // RFC 8831 §6.6: unordered messages use the U bit (RFC 9260 §3.3.1).
  bool ordered = true;
  // Partial reliability (RFC 3758, RFC 8831 §6.6); at most one of the two.
  // Abandon after this many retransmissions (SCTP_PR_SCTP_RTX).
  std::optional<uint16_t> max_retransmits;
  // Abandon once this much time has passed since the send (SCTP_PR_SCTP_TTL).
  std::optional<TimeDelta> max_lifetime;
};

struct SctpStats {
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t send_errors = 0;  // lower transport refused a packet
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;
  // Messages the stack reported as not (fully) delivered: abandoned by
  // partial reliability, or dropped with the association.
  uint64_t messages_abandoned = 0;
  // Incoming messages larger than max_message_size, dropped.
  uint64_t oversized_dropped = 0;
  // DATA chunks sent again: their TSN was not above the highest TSN sent
  // before (RFC 9260 §3.3.1, serial arithmetic per §1.6), read from the
  // packets leaving the stack, so fast and timer-driven retransmissions
  // (RFC 9260 §6.3.3, §7.2.4) count alike.
  uint64_t data_retransmissions = 0;
  // Packets carrying at least one such DATA chunk.
  uint64_t packets_retransmitted = 0;
};

// Watches the DATA chunks of outgoing SCTP packets and tells first
// transmissions from retransmissions by TSN (RFC 9260 §3.3.1: each new DATA
// chunk takes the next TSN, so one at or below the highest sent is a resend;
// TSNs compare with serial-number arithmetic, RFC 9260 §1.6 / RFC 1982).
// The bytes are the stack's own output, but every length is still checked:
// a malformed chunk ends the walk, nothing is read past the packet.
class SentTsnTracker {
 public:
  // Returns how many DATA (RFC 9260 §3.3.1) and I-DATA (RFC 8260 §2.1)
  // chunks of `packet` were retransmissions.
  int Observe(absl::Span<const uint8_t> packet);

 private:
  bool have_highest_ = false;
  uint32_t highest_tsn_ = 0;
};

class SctpAssociation {
 public:
  // Sends one SCTP packet as one datagram of the lower transport.
  using SendFunction = std::function<absl::Status(absl::Span<const uint8_t>)>;
  struct Callbacks {
    std::function<void(SctpState)> on_state;
    // One complete message. For PPIDs 56 and 57 the payload is empty (the
    // single byte on the wire is padding, RFC 8831 §6.6).
    std::function<void(uint16_t stream_id, uint32_t ppid, absl::Span<const uint8_t> payload)>
        on_message;
    // The peer reset these of its outgoing streams (RFC 6525 §5.2.2); the
    // data channel layer answers by resetting its own (RFC 8831 §6.7).
    std::function<void(absl::Span<const uint16_t> stream_ids)> on_incoming_reset;
    // Our outgoing reset of these streams completed (RFC 6525 §5.2.2).
    std::function<void(absl::Span<const uint16_t> stream_ids)> on_outgoing_reset;
    // usrsctp took bytes of `stream_id` from the send queue: its
    // buffered_amount(stream_id) went from `previous` to `current`. One call
    // per hand-over, so a listener can tell when a threshold was crossed.
    std::function<void(uint16_t stream_id, size_t previous, size_t current)>
        on_buffered_amount_decreased;
  };

  // Callbacks run on the Env's thread, never from inside usrsctp: events are
  // queued while the stack runs and delivered when it returns, so callbacks
  // may call Send(), ResetStreams() or destroy the association.
  static absl::StatusOr<std::unique_ptr<SctpAssociation>> Create(Env& env, SctpConfig config,
                                                                 SendFunction send,
                                                                 Callbacks callbacks);
  // Aborts the association if still up (RFC 9260 §9.1) without callbacks.
  ~SctpAssociation();
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // The peer's SCTP port when it was not known at Create (RFC 8841 §5: the
  // remote a=sctp-port). FailedPrecondition once Connect() was called.
  absl::Status SetRemotePort(uint16_t port);
  // The peer's a=max-message-size (RFC 8841 §6.1; 0 means no limit): Send()
  // then refuses messages above the smaller of it and our own
  // max_message_size. May change with each negotiation.
  void SetRemoteMaxMessageSize(uint64_t bytes);
  // Starts the four-way handshake (RFC 9260 §5.1).
  absl::Status Connect();
  // One datagram from the lower transport.
  void HandlePacket(absl::Span<const uint8_t> packet);
  // Queues one message on `stream_id`. Messages larger than max_message_size
  // are refused (InvalidArgument); an empty payload needs PPID 56 or 57.
  // Messages queue until the association is up and the send buffer has room.
  absl::Status Send(uint16_t stream_id, uint32_t ppid, absl::Span<const uint8_t> payload,
                    const SendOptions& options = {});
  // Resets the outgoing side of these streams (RFC 6525 §5.1.2).
  absl::Status ResetStreams(absl::Span<const uint16_t> stream_ids);
  // Aborts the association; state becomes kClosed.
  void Close();

  SctpState state() const;
  // Payload bytes queued by Send() that usrsctp has not accepted yet, in all
  // streams and in one. Only application data counts (the W3C
  // RTCDataChannel bufferedAmount): DCEP messages (PPID 50) are control,
  // and an empty message's padding byte (PPID 56/57) is not payload.
  size_t buffered_amount() const;
  size_t buffered_amount(uint16_t stream_id) const;
  const SctpStats& stats() const;

  class Impl;

 private:
  explicit SctpAssociation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace rtcsim::sctp

#endif  // RTCSIM_STACK_SCTP_SCTP_ASSOCIATION_H_
