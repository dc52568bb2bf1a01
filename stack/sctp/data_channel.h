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
// sctp()->HandlePacket() and start it with sctp()->Connect(). All callbacks
// run on the Env's thread and may call back into the manager or channels.
//
// Example:
//   auto dcm = DataChannelManager::Create(env, {.role = SctpRole::kClient}, send);
//   (*dcm)->set_on_data_channel([](std::shared_ptr<DataChannel> ch) { ... });
//   (*dcm)->sctp()->Connect();
//   auto ch = (*dcm)->CreateDataChannel("chat", {});
//   (*ch)->set_on_open([&] { (*ch)->Send("hi"); });
#ifndef RTCSIM_STACK_SCTP_DATA_CHANNEL_H_
#define RTCSIM_STACK_SCTP_DATA_CHANNEL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

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
  uint16_t id() const { return id_; }
  bool ordered() const { return init_.ordered; }
  std::optional<uint16_t> max_retransmits() const { return init_.max_retransmits; }
  std::optional<TimeDelta> max_packet_life_time() const { return init_.max_packet_life_time; }
  uint16_t priority() const { return init_.priority; }
  bool negotiated() const { return init_.negotiated; }
  DataChannelState state() const { return state_; }

  // Sends one message. Allowed while connecting: before the peer's ACK the
  // association queues it and it goes out ordered (RFC 8832 §6). Refused
  // (FailedPrecondition) once closing; InvalidArgument above the
  // association's max_message_size.
  absl::Status Send(absl::string_view text);
  absl::Status SendBinary(absl::Span<const uint8_t> data);
  // Starts the closing procedure (RFC 8831 §6.7); on_close fires when both
  // directions of the stream are reset.
  void Close();

  // Bytes queued in the association and not yet taken by the SCTP stack. The
  // association reports one figure for all its streams, so this is shared by
  // every channel of the manager until it reports per-stream amounts.
  size_t buffered_amount() const;

  void set_on_open(std::function<void()> cb) { on_open_ = std::move(cb); }
  void set_on_message(MessageCallback cb) { on_message_ = std::move(cb); }
  void set_on_close(std::function<void()> cb) { on_close_ = std::move(cb); }

 private:
  friend class DataChannelManager;
  DataChannel(DataChannelManager* manager, uint16_t id, std::string label, DataChannelInit init)
      : manager_(manager), id_(id), label_(std::move(label)), init_(std::move(init)) {}
  absl::Status SendMessage(uint32_t ppid, absl::Span<const uint8_t> data);

  DataChannelManager* manager_;  // null once the manager is gone
  uint16_t id_;
  std::string label_;
  DataChannelInit init_;
  DataChannelState state_ = DataChannelState::kConnecting;
  // RFC 8832 §6: until the ACK (or any message) arrives from the peer, an
  // in-band channel's sender must send ordered, whatever its type.
  bool heard_from_peer_ = false;
  bool reset_requested_ = false;  // our outgoing reset is under way
  bool outgoing_reset_done_ = false;
  bool incoming_reset_done_ = false;
  std::function<void()> on_open_;
  MessageCallback on_message_;
  std::function<void()> on_close_;
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

  // In-band channels get the lowest free id of our parity and send the OPEN
  // at once (queued until the association is up). Negotiated channels use
  // init.id and open when the association is connected. Errors:
  // InvalidArgument for bad options, AlreadyExists for a used id,
  // ResourceExhausted when no id of our parity is free.
  absl::StatusOr<std::shared_ptr<DataChannel>> CreateDataChannel(std::string label,
                                                                 DataChannelInit init);

  // A channel the peer opened in-band, already kOpen (we sent the ACK).
  void set_on_data_channel(DataChannelCallback cb) { on_data_channel_ = std::move(cb); }
  void set_on_sctp_state(std::function<void(SctpState)> cb) { on_sctp_state_ = std::move(cb); }

  const DataChannelStats& stats() const { return stats_; }
  size_t channel_count() const { return channels_.size(); }

 private:
  friend class DataChannel;
  DataChannelManager(Env& env, SctpConfig config);

  void OnSctpState(SctpState state);
  void OnMessage(uint16_t stream_id, uint32_t ppid, absl::Span<const uint8_t> payload);
  void OnDcep(uint16_t stream_id, absl::Span<const uint8_t> payload);
  void OnOpenMessage(uint16_t stream_id, const DcepOpen& open);
  void OnIncomingReset(absl::Span<const uint16_t> ids);
  void OnOutgoingReset(absl::Span<const uint16_t> ids);

  void SetOpen(DataChannel& channel);
  void StartClose(DataChannel& channel);
  void MaybeFinishClose(uint16_t id);
  void FinishClose(DataChannel& channel);
  SendOptions SendOptionsFor(const DataChannel& channel) const;
  bool IsOurParity(uint16_t id) const;

  Env& env_;
  SctpConfig config_;
  std::unique_ptr<SctpAssociation> sctp_;
  std::map<uint16_t, std::shared_ptr<DataChannel>> channels_;
  DataChannelCallback on_data_channel_;
  std::function<void(SctpState)> on_sctp_state_;
  DataChannelStats stats_;
  // Cleared in the destructor so tasks posted earlier do nothing.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace rtcsim::sctp

#endif  // RTCSIM_STACK_SCTP_DATA_CHANNEL_H_
