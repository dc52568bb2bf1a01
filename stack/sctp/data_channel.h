// WebRTC data channels (RFC 8831) on one SctpAssociation, opened in-band with
// the Data Channel Establishment Protocol (RFC 8832) or negotiated out of
// band with a pre-agreed stream id (RFC 8831 §6.5).
//
// One channel is one SCTP stream id used in both directions. The DTLS client
// picks even ids and the DTLS server odd ones (RFC 8832 §6), so both sides
// can open channels at once without colliding. Closing resets the stream in
// both directions (RFC 8831 §6.7, RFC 6525); the id is free again once both
// resets completed.
//
// The manager owns its association: feed lower-transport datagrams to
// sctp()->HandlePacket(). Start it with Start(role, remote_port) once the
// DTLS role and the peer's a=sctp-port are known (a PeerConnection learns
// them from negotiation), or with sctp()->Connect() when SctpConfig already
// names both. In-band channels created before that have no id yet (the W3C
// RTCDataChannel id is null until the DTLS role is known): Start gives them
// ids in creation order. All callbacks run on the Env's thread and may call
// back into the manager or channels.
//
// Example:
//   auto dcm = DataChannelManager::Create(env, {}, send);
//   (*dcm)->set_on_data_channel([](std::shared_ptr<DataChannel> ch) { ... });
//   auto ch = (*dcm)->CreateDataChannel("chat", {});  // (*ch)->id() is nullopt
//   (*ch)->set_on_open([&] { (*ch)->Send("hi"); });
//   // After negotiation: we are the DTLS client, the peer offered port 5000.
//   (*dcm)->Start(SctpRole::kClient, 5000);  // (*ch)->id() is now 0
#ifndef RTCSIM_STACK_SCTP_DATA_CHANNEL_H_
#define RTCSIM_STACK_SCTP_DATA_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/env.h"
#include "stack/env/time.h"
#include "stack/sctp/dcep_message.h"
#include "stack/sctp/sctp_association.h"

namespace rtcsim::sctp {

// The W3C RTCDataChannelInit, minus what the lower layers decide.
struct DataChannelInit {
  // RFC 8831 §6.6: unordered channels send with the SCTP U bit.
  bool ordered = true;
  // Partial reliability (RFC 8831 §6.6, RFC 3758); at most one of the two.
  std::optional<uint16_t> max_retransmits;
  // Carried in whole milliseconds in the OPEN message (RFC 8832 §5.1).
  std::optional<TimeDelta> max_packet_life_time;
  std::string protocol;
  uint16_t priority = kPriorityLow;
  // Negotiated out of band (RFC 8831 §6.5): no DCEP, `id` required, and the
  // peer must create the same channel itself.
  bool negotiated = false;
  std::optional<uint16_t> id;
};

enum class DataChannelState { kConnecting, kOpen, kClosing, kClosed };

// One channel's traffic (webrtc-stats RTCDataChannelStats): messages the
// association accepted from Send(), and messages delivered to on_message.
struct DataChannelCounters {
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
};

class DataChannelManager;

class DataChannel {
 public:
  // `binary` is false for string messages (PPID 51/56), true for binary ones
  // (PPID 53/57); empty messages arrive with an empty span (RFC 8831 §6.6).
  using MessageCallback = std::function<void(absl::Span<const uint8_t> data, bool binary)>;

  DataChannel(const DataChannel&) = delete;
  DataChannel& operator=(const DataChannel&) = delete;

  const std::string& label() const { return label_; }
  const std::string& protocol() const { return init_.protocol; }
  // nullopt for an in-band channel created before the DTLS role was known.
  std::optional<uint16_t> id() const { return id_; }
  bool ordered() const { return init_.ordered; }
  std::optional<uint16_t> max_retransmits() const { return init_.max_retransmits; }
  std::optional<TimeDelta> max_packet_life_time() const { return init_.max_packet_life_time; }
  uint16_t priority() const { return init_.priority; }
  bool negotiated() const { return init_.negotiated; }
  DataChannelState state() const { return state_; }
  const DataChannelCounters& counters() const { return counters_; }

  // Sends one message. Allowed while connecting: before the peer's ACK the
  // association queues it and it goes out ordered (RFC 8832 §6). Refused
  // (FailedPrecondition) before the channel has an id and once closing;
  // InvalidArgument, naming both sizes, above the association's
  // max_message_size.
  absl::Status Send(absl::string_view text);
  absl::Status SendBinary(absl::Span<const uint8_t> data);
  // Starts the closing procedure (RFC 8831 §6.7); on_close fires when both
  // directions of the stream are reset.
  void Close();

  // W3C bufferedAmount: this channel's message bytes queued in the
  // association and not yet taken by the SCTP stack (its stream's figure;
  // other channels' bytes do not count, nor DCEP messages).
  size_t buffered_amount() const;
  // W3C bufferedAmountLowThreshold and the bufferedamountlow event: the
  // callback runs from a posted task after buffered_amount() fell from above
  // the threshold to at or below it.
  void set_buffered_amount_low_threshold(size_t bytes) { buffered_amount_low_threshold_ = bytes; }
  size_t buffered_amount_low_threshold() const { return buffered_amount_low_threshold_; }
  void set_on_buffered_amount_low(std::function<void()> cb) {
    on_buffered_amount_low_ = std::move(cb);
  }

  void set_on_open(std::function<void()> cb) { on_open_ = std::move(cb); }
  void set_on_message(MessageCallback cb) { on_message_ = std::move(cb); }
  void set_on_close(std::function<void()> cb) { on_close_ = std::move(cb); }

 private:
  friend class DataChannelManager;
  DataChannel(DataChannelManager* manager, std::optional<uint16_t> id, std::string label,
              DataChannelInit init)
      : manager_(manager), id_(id), label_(std::move(label)), init_(std::move(init)) {}
  absl::Status SendMessage(uint32_t ppid, absl::Span<const uint8_t> data);

  DataChannelManager* manager_;  // null once the manager is gone
  std::optional<uint16_t> id_;
  std::string label_;
  DataChannelInit init_;
  DataChannelState state_ = DataChannelState::kConnecting;
  DataChannelCounters counters_;
  // RFC 8832 §6: until the ACK (or any message) arrives from the peer, an
  // in-band channel's sender must send ordered, whatever its type.
  bool heard_from_peer_ = false;
  bool reset_requested_ = false;  // our outgoing reset is under way
  bool outgoing_reset_done_ = false;
  bool incoming_reset_done_ = false;
  std::function<void()> on_open_;
  MessageCallback on_message_;
  std::function<void()> on_close_;
  size_t buffered_amount_low_threshold_ = 0;
  std::function<void()> on_buffered_amount_low_;
};

struct DataChannelStats {
  uint64_t channels_opened = 0;  // reached kOpen, either side
  uint64_t channels_closed = 0;
  uint64_t dcep_opens_sent = 0;
  uint64_t dcep_acks_sent = 0;
  uint64_t messages_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t messages_received = 0;
  uint64_t bytes_received = 0;
  // DCEP messages refused: unparsable, an OPEN on a used stream or with the
  // wrong parity for the peer's role, an ACK nobody waited for.
  uint64_t dcep_malformed = 0;
  // Streams we reset (or channels we closed) because a DCEP message on them
  // was refused (RFC 8832 §6 and §7: close "the corresponding data channel";
  // resetting a stream with no channel here frees the peer's side). User
  // data on a stream with no channel is only counted, see OnMessage.
  uint64_t refused_stream_resets = 0;
  // In-band channels created before Start that found no free id of our
  // parity there; they closed (W3C: a channel whose id stays null closes).
  uint64_t channels_without_id = 0;
  // User messages on a stream with no channel (RFC 8832 §6 calls it an
  // error), or with a PPID that is not a WebRTC one.
  uint64_t unknown_stream_dropped = 0;
  uint64_t unknown_ppid_dropped = 0;
};

class DataChannelManager {
 public:
  using DataChannelCallback = std::function<void(std::shared_ptr<DataChannel>)>;

  // `config.role` is the DTLS role and picks the stream id parity.
  static absl::StatusOr<std::unique_ptr<DataChannelManager>> Create(
      Env& env, SctpConfig config, SctpAssociation::SendFunction send);
  // Channels still held by the application turn kClosed without callbacks.
  ~DataChannelManager();
  DataChannelManager(const DataChannelManager&) = delete;
  DataChannelManager& operator=(const DataChannelManager&) = delete;

  SctpAssociation* sctp() { return sctp_.get(); }

  // Fixes the DTLS role (stream id parity, RFC 8832 §6) and the peer's SCTP
  // port (its a=sctp-port, RFC 8841 §5), gives ids to in-band channels
  // created without one (creation order, lowest free id of our parity) and
  // sends their OPENs, then starts the association (SctpAssociation::
  // Connect). FailedPrecondition if already started, by Start or by a direct
  // sctp()->Connect() (which keeps SctpConfig's role and port).
  absl::Status Start(SctpRole role, uint16_t remote_port);
  // Whether the role is fixed: Start() or sctp()->Connect() was called.
  bool started() const;

  // In-band channels get the lowest free id of our parity and send the OPEN
  // at once (queued until the association is up); before started() they
  // have no id and wait for Start(). Negotiated channels use init.id and
  // open when the association is connected. Errors: InvalidArgument for bad
  // options, AlreadyExists for a used id, ResourceExhausted when no id of
  // our parity is free.
  absl::StatusOr<std::shared_ptr<DataChannel>> CreateDataChannel(std::string label,
                                                                 DataChannelInit init);

  // A channel the peer opened in-band, already kOpen (we sent the ACK).
  void set_on_data_channel(DataChannelCallback cb) { on_data_channel_ = std::move(cb); }
  void set_on_sctp_state(std::function<void(SctpState)> cb) { on_sctp_state_ = std::move(cb); }

  const DataChannelStats& stats() const { return stats_; }
  // Channels with a stream or waiting for one (not yet fully closed).
  size_t channel_count() const { return channels_.size() + pending_.size(); }
  // Channels connecting or open (for getStats): by id, then the id-less
  // ones in creation order.
  std::vector<std::shared_ptr<DataChannel>> channels() const;

 private:
  friend class DataChannel;
  DataChannelManager(Env& env, SctpConfig config);

  void OnSctpState(SctpState state);
  void OnMessage(uint16_t stream_id, uint32_t ppid, absl::Span<const uint8_t> payload);
  void OnDcep(uint16_t stream_id, absl::Span<const uint8_t> payload);
  void OnOpenMessage(uint16_t stream_id, const DcepOpen& open);
  void OnIncomingReset(absl::Span<const uint16_t> ids);
  void OnOutgoingReset(absl::Span<const uint16_t> ids);
  void OnBufferedAmountDecreased(uint16_t stream_id, size_t previous, size_t current);

  // Fixes the role and gives the id-less channels their streams.
  void FixRole(SctpRole role);
  std::optional<uint16_t> FreeIdOfOurParity() const;
  absl::Status SendOpen(DataChannel& channel);
  // Closes what the peer opened on `stream_id` after refusing its use: the
  // channel there, or else the bare stream (RFC 8832 §6).
  void RefuseStream(uint16_t stream_id);

  void SetOpen(DataChannel& channel);
  void StartClose(DataChannel& channel);
  void MaybeFinishClose(uint16_t id);
  void FinishClose(DataChannel& channel);
  SendOptions SendOptionsFor(const DataChannel& channel) const;
  bool IsOurParity(uint16_t id) const;

  Env& env_;
  SctpConfig config_;
  std::unique_ptr<SctpAssociation> sctp_;
  bool started_ = false;  // role fixed (see started())
  std::map<uint16_t, std::shared_ptr<DataChannel>> channels_;
  // In-band channels created before the role was known, in creation order.
  std::vector<std::shared_ptr<DataChannel>> pending_;
  // Streams with no channel that RefuseStream() is resetting: not reset
  // twice, and not given to a new channel of ours until the reset is done.
  std::set<uint16_t> refused_streams_;
  DataChannelCallback on_data_channel_;
  std::function<void(SctpState)> on_sctp_state_;
  DataChannelStats stats_;
  // Cleared in the destructor so tasks posted earlier do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rtcsim::sctp

#endif  // RTCSIM_STACK_SCTP_DATA_CHANNEL_H_
