#include "stack/sctp/data_channel.h"

#include <algorithm>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"

namespace rtcsim::sctp {
namespace {

// RFC 8831 §6.2 / RFC 6525: 65535 is not a usable stream id.
constexpr uint32_t kMaxStreamId = 65534;

DcepChannelType ChannelTypeFor(const DataChannelInit& init) {
  const uint8_t unordered = init.ordered ? 0x00 : 0x80;
  uint8_t base = 0x00;
  if (init.max_retransmits) base = 0x01;
  if (init.max_packet_life_time) base = 0x02;
  return static_cast<DcepChannelType>(base | unordered);
}

std::string Describe(const std::optional<uint16_t>& id, const std::string& label) {
  return absl::StrCat("data channel ", id ? absl::StrCat(*id) : std::string("(no id)"), " '", label,
                      "'");
}

}  // namespace

// ---- DataChannel ----

absl::Status DataChannel::Send(absl::string_view text) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  // RFC 8831 §6.6: an empty message has its own PPID, as SCTP cannot carry an
  // empty DATA chunk.
  return SendMessage(text.empty() ? kPpidStringEmpty : kPpidString,
                     absl::Span<const uint8_t>(bytes, text.size()));
}

absl::Status DataChannel::SendBinary(absl::Span<const uint8_t> data) {
  return SendMessage(data.empty() ? kPpidBinaryEmpty : kPpidBinary, data);
}

absl::Status DataChannel::SendMessage(uint32_t ppid, absl::Span<const uint8_t> data) {
  if (manager_ == nullptr || state_ == DataChannelState::kClosing ||
      state_ == DataChannelState::kClosed) {
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(id_, label_), " is closing or closed"));
  }
  if (!id_) {
    // No stream until Start() fixes the DTLS role; the W3C send() refuses a
    // connecting channel anyway (InvalidStateError).
    return absl::FailedPreconditionError(
        absl::StrCat(Describe(id_, label_), " has no stream id before the DTLS role is known"));
  }
  absl::Status status = manager_->sctp_->Send(*id_, ppid, data, manager_->SendOptionsFor(*this));
  if (status.ok()) {
    ++manager_->stats_.messages_sent;
    manager_->stats_.bytes_sent += data.size();
    ++counters_.messages_sent;
    counters_.bytes_sent += data.size();
  }
  return status;
}

void DataChannel::Close() {
  if (manager_ == nullptr) return;
  manager_->StartClose(*this);
}

size_t DataChannel::buffered_amount() const {
  // A closed channel's id may already carry a new channel.
  if (manager_ == nullptr || !id_ || state_ == DataChannelState::kClosed) return 0;
  return manager_->sctp_->buffered_amount(*id_);
}

// ---- DataChannelManager ----

DataChannelManager::DataChannelManager(Env& env, SctpConfig config) : env_(env), config_(config) {}

absl::StatusOr<std::unique_ptr<DataChannelManager>> DataChannelManager::Create(
    Env& env, SctpConfig config, SctpAssociation::SendFunction send) {
  std::unique_ptr<DataChannelManager> manager(new DataChannelManager(env, config));
  DataChannelManager* self = manager.get();
  // The manager owns the association and the association never calls back
  // after its destruction, so the raw pointer cannot dangle.
  SctpAssociation::Callbacks callbacks;
  callbacks.on_state = [self](SctpState s) { self->OnSctpState(s); };
  callbacks.on_message = [self](uint16_t sid, uint32_t ppid, absl::Span<const uint8_t> p) {
    self->OnMessage(sid, ppid, p);
  };
  callbacks.on_incoming_reset = [self](absl::Span<const uint16_t> ids) {
    self->OnIncomingReset(ids);
  };
  callbacks.on_outgoing_reset = [self](absl::Span<const uint16_t> ids) {
    self->OnOutgoingReset(ids);
  };
  callbacks.on_buffered_amount_decreased = [self](uint16_t sid, size_t previous, size_t current) {
    self->OnBufferedAmountDecreased(sid, previous, current);
  };
  auto sctp = SctpAssociation::Create(env, config, std::move(send), std::move(callbacks));
  if (!sctp.ok()) return sctp.status();
  manager->sctp_ = std::move(*sctp);
  return manager;
}

DataChannelManager::~DataChannelManager() {
  *alive_ = false;
  for (auto& [id, channel] : channels_) {
    channel->manager_ = nullptr;
    channel->state_ = DataChannelState::kClosed;
  }
  for (auto& channel : pending_) {
    channel->manager_ = nullptr;
    channel->state_ = DataChannelState::kClosed;
  }
  // The association goes first (member order would destroy it after
  // channels_), so nothing it does on the way out reaches a channel.
  sctp_.reset();
}

bool DataChannelManager::started() const { return started_ || sctp_->state() != SctpState::kNew; }

absl::Status DataChannelManager::Start(SctpRole role, uint16_t remote_port) {
  if (started()) return absl::FailedPreconditionError("the data channel manager already started");
  if (absl::Status s = sctp_->SetRemotePort(remote_port); !s.ok()) return s;
  FixRole(role);
  return sctp_->Connect();
}

void DataChannelManager::FixRole(SctpRole role) {
  started_ = true;
  config_.role = role;
  // W3C RTCDataChannel: once the DTLS role is known, the channels created
  // without an id get one, in creation order.
  std::vector<std::shared_ptr<DataChannel>> waiting = std::move(pending_);
  pending_.clear();
  for (auto& channel : waiting) {
    if (channel->state_ == DataChannelState::kClosed) continue;
    std::optional<uint16_t> id = FreeIdOfOurParity();
    if (!id) {
      // W3C: a channel whose id cannot be assigned closes.
      ++stats_.channels_without_id;
      FinishClose(*channel);
      continue;
    }
    channel->id_ = id;
    channels_[*id] = channel;
    if (!SendOpen(*channel).ok()) {
      channels_.erase(*id);
      channel->id_.reset();
      FinishClose(*channel);
    }
  }
}

std::optional<uint16_t> DataChannelManager::FreeIdOfOurParity() const {
  const uint32_t limit = std::min<uint32_t>(config_.streams, kMaxStreamId + 1);
  for (uint32_t candidate = config_.role == SctpRole::kClient ? 0 : 1; candidate < limit;
       candidate += 2) {
    const auto id = static_cast<uint16_t>(candidate);
    if (!channels_.contains(id) && !refused_streams_.contains(id)) return id;
  }
  return std::nullopt;
}

std::vector<std::shared_ptr<DataChannel>> DataChannelManager::channels() const {
  std::vector<std::shared_ptr<DataChannel>> out;
  auto live = [](const DataChannel& ch) {
    return ch.state_ == DataChannelState::kConnecting || ch.state_ == DataChannelState::kOpen;
  };
  for (const auto& [id, ch] : channels_) {
    if (live(*ch)) out.push_back(ch);
  }
  for (const auto& ch : pending_) {
    if (live(*ch)) out.push_back(ch);
  }
  return out;
}

bool DataChannelManager::IsOurParity(uint16_t id) const {
  // RFC 8832 §6: the DTLS client uses even stream ids, the server odd ones.
  return (id % 2 == 0) == (config_.role == SctpRole::kClient);
}

SendOptions DataChannelManager::SendOptionsFor(const DataChannel& channel) const {
  SendOptions options;
  options.ordered = channel.init_.ordered;
  // RFC 8832 §6: before the ACK or any other message has come back, an
  // in-band channel's opener sends ordered, so nothing overtakes the OPEN.
  if (!channel.init_.negotiated && !channel.heard_from_peer_) options.ordered = true;
  options.max_retransmits = channel.init_.max_retransmits;
  options.max_lifetime = channel.init_.max_packet_life_time;
  return options;
}

absl::StatusOr<std::shared_ptr<DataChannel>> DataChannelManager::CreateDataChannel(
    std::string label, DataChannelInit init) {
  if (init.max_retransmits && init.max_packet_life_time) {
    return absl::InvalidArgumentError(
        "max_retransmits and max_packet_life_time are mutually exclusive (RFC 8832 §5.1)");
  }
  if (init.max_packet_life_time &&
      (init.max_packet_life_time->ms() < 0 || init.max_packet_life_time->ms() > 0xffffffffLL)) {
    return absl::InvalidArgumentError("max_packet_life_time does not fit 32 bits of ms");
  }
  if (label.size() > 0xffff || init.protocol.size() > 0xffff) {
    return absl::InvalidArgumentError("label and protocol are limited to 65535 bytes");
  }
  if (sctp_->state() == SctpState::kClosed || sctp_->state() == SctpState::kFailed) {
    return absl::FailedPreconditionError("the SCTP association is closed");
  }
  // sctp()->Connect() called directly (SctpConfig's role) and its state
  // event not delivered yet: the role is fixed all the same.
  if (!started_ && started()) FixRole(config_.role);
  const uint32_t limit = std::min<uint32_t>(config_.streams, kMaxStreamId + 1);
  uint16_t id = 0;
  if (init.negotiated) {
    if (!init.id) return absl::InvalidArgumentError("a negotiated channel needs an id");
    if (*init.id >= limit) {
      return absl::InvalidArgumentError(
          absl::StrCat("stream id ", *init.id, " is not below the ", limit, " streams"));
    }
    id = *init.id;
    if (channels_.contains(id)) {
      return absl::AlreadyExistsError(absl::StrCat("stream id ", id, " is in use"));
    }
  } else {
    if (init.id) return absl::InvalidArgumentError("only negotiated channels take an id");
    if (!started_) {
      // The parity is unknown until the DTLS role is (RFC 8832 §6): the
      // channel waits without an id and Start() sends its OPEN.
      std::shared_ptr<DataChannel> channel(
          new DataChannel(this, std::nullopt, std::move(label), std::move(init)));
      pending_.push_back(channel);
      return channel;
    }
    std::optional<uint16_t> free = FreeIdOfOurParity();
    if (!free) return absl::ResourceExhaustedError("no free stream id of our parity");
    id = *free;
  }

  std::shared_ptr<DataChannel> channel(new DataChannel(this, id, std::move(label), init));
  channels_[id] = channel;
  if (init.negotiated) {
    // RFC 8831 §6.5: no DCEP; the channel is usable once SCTP is up. Opening
    // from a posted task gives the caller time to install on_open.
    if (sctp_->state() == SctpState::kConnected) {
      std::weak_ptr<DataChannel> weak = channel;
      env_.PostTask([this, weak, alive = alive_] {
        if (!*alive) return;
        if (auto ch = weak.lock(); ch && ch->state_ == DataChannelState::kConnecting) SetOpen(*ch);
      });
    }
    return channel;
  }

  if (absl::Status s = SendOpen(*channel); !s.ok()) {
    channels_.erase(id);
    return s;
  }
  return channel;
}

absl::Status DataChannelManager::SendOpen(DataChannel& channel) {
  const DataChannelInit& init = channel.init_;
  DcepOpen open;
  open.channel_type = ChannelTypeFor(init);
  open.priority = init.priority;
  if (init.max_retransmits) open.reliability_parameter = *init.max_retransmits;
  if (init.max_packet_life_time) {
    open.reliability_parameter = static_cast<uint32_t>(init.max_packet_life_time->ms());
  }
  open.label = channel.label_;
  open.protocol = init.protocol;
  auto bytes = SerializeDcepOpen(open);
  if (!bytes.ok()) return bytes.status();
  // RFC 8832 §6: DCEP goes reliable and ordered on the channel's own stream.
  if (absl::Status s = sctp_->Send(*channel.id_, kPpidDcep, *bytes); !s.ok()) return s;
  ++stats_.dcep_opens_sent;
  return absl::OkStatus();
}

void DataChannelManager::SetOpen(DataChannel& channel) {
  channel.state_ = DataChannelState::kOpen;
  ++stats_.channels_opened;
  if (channel.on_open_) channel.on_open_();
}

void DataChannelManager::OnSctpState(SctpState state) {
  // sctp()->Connect() called directly: SctpConfig's role applies.
  if (!started_ && state != SctpState::kNew) FixRole(config_.role);
  if (state == SctpState::kConnected) {
    std::vector<std::shared_ptr<DataChannel>> to_open;
    for (auto& [id, ch] : channels_) {
      if (ch->init_.negotiated && ch->state_ == DataChannelState::kConnecting)
        to_open.push_back(ch);
    }
    for (auto& ch : to_open) {
      if (ch->state_ == DataChannelState::kConnecting) SetOpen(*ch);
    }
  } else if (state == SctpState::kClosed || state == SctpState::kFailed) {
    // No stream resets are possible any more: every channel is closed.
    std::vector<std::shared_ptr<DataChannel>> all = pending_;
    for (auto& [id, ch] : channels_) all.push_back(ch);
    for (auto& ch : all) FinishClose(*ch);
  }
  if (on_sctp_state_) on_sctp_state_(state);
}

void DataChannelManager::OnMessage(uint16_t stream_id, uint32_t ppid,
                                   absl::Span<const uint8_t> payload) {
  if (ppid == kPpidDcep) {
    OnDcep(stream_id, payload);
    return;
  }
  bool binary;
  switch (ppid) {
    case kPpidString:
    case kPpidStringEmpty:
      binary = false;
      break;
    case kPpidBinary:
    case kPpidBinaryEmpty:
      binary = true;
      break;
    default:
      ++stats_.unknown_ppid_dropped;
      return;
  }
  auto it = channels_.find(stream_id);
  if (it == channels_.end() || it->second->state_ == DataChannelState::kClosed) {
    // RFC 8832 §6 calls user data on an unused stream an error and closes
    // "the corresponding data channel". The stream is not reset here: a
    // negotiated channel (RFC 8831 §6.5) the peer created and used before
    // the application here created its twin would be torn down by a race
    // that is no error of the peer's.
    ++stats_.unknown_stream_dropped;
    return;
  }
  std::shared_ptr<DataChannel> channel = it->second;
  // RFC 8832 §6: any message from the peer counts as the ACK; with an
  // unordered channel the first user message can overtake the ACK itself.
  if (!channel->heard_from_peer_) {
    channel->heard_from_peer_ = true;
    if (channel->state_ == DataChannelState::kConnecting && !channel->init_.negotiated) {
      SetOpen(*channel);
    }
  }
  ++stats_.messages_received;
  stats_.bytes_received += payload.size();
  ++channel->counters_.messages_received;
  channel->counters_.bytes_received += payload.size();
  if (channel->on_message_) channel->on_message_(payload, binary);
}

void DataChannelManager::OnDcep(uint16_t stream_id, absl::Span<const uint8_t> payload) {
  auto parsed = ParseDcepMessage(payload);
  if (!parsed.ok()) {
    // RFC 8832 §6/§7: an OPEN that is not well formed (or inconsistent
    // lengths, unknown values) closes the corresponding channel.
    ++stats_.dcep_malformed;
    RefuseStream(stream_id);
    return;
  }
  if (const auto* open = std::get_if<DcepOpen>(&*parsed)) {
    OnOpenMessage(stream_id, *open);
    return;
  }
  // An ACK: only meaningful on an in-band channel we opened and that is
  // still waiting for it.
  auto it = channels_.find(stream_id);
  if (it == channels_.end() || it->second->init_.negotiated || !IsOurParity(stream_id) ||
      it->second->state_ != DataChannelState::kConnecting) {
    ++stats_.dcep_malformed;
    // The peer believes in a channel we do not have: resetting the stream
    // frees it. A stray ACK on one of our channels is harmless and left be.
    if (it == channels_.end()) RefuseStream(stream_id);
    return;
  }
  std::shared_ptr<DataChannel> channel = it->second;
  channel->heard_from_peer_ = true;
  SetOpen(*channel);
}

void DataChannelManager::OnOpenMessage(uint16_t stream_id, const DcepOpen& open) {
  // RFC 8832 §6: the OPEN must come on an unused stream of the peer's parity
  // with valid parameters (the parser checked those).
  // RFC 8832 §6: a refused OPEN gets no ACK, and "the corresponding data
  // channel" closes: our channel on that stream if the stream is used (the
  // parity rule broken or not), else the bare stream is reset, which tells
  // the peer its setup failed and frees its channel.
  if (IsOurParity(stream_id) || channels_.contains(stream_id)) {
    ++stats_.dcep_malformed;
    RefuseStream(stream_id);
    return;
  }
  DataChannelInit init;
  init.ordered = !IsUnordered(open.channel_type);
  init.protocol = open.protocol;
  init.priority = open.priority;
  switch (static_cast<uint8_t>(open.channel_type) & 0x7f) {
    case 0x01:
      // The field is 32 bits; a count beyond 65535 is as good as reliable.
      init.max_retransmits =
          static_cast<uint16_t>(std::min<uint32_t>(open.reliability_parameter, 0xffff));
      break;
    case 0x02:
      init.max_packet_life_time = TimeDelta::Millis(open.reliability_parameter);
      break;
    default:
      break;
  }
  std::shared_ptr<DataChannel> channel(new DataChannel(this, stream_id, open.label, init));
  // We received the OPEN, so from now on the channel's own type applies.
  channel->heard_from_peer_ = true;
  channels_[stream_id] = channel;
  if (absl::Status s = sctp_->Send(stream_id, kPpidDcep, SerializeDcepAck()); !s.ok()) {
    channels_.erase(stream_id);
    return;
  }
  ++stats_.dcep_acks_sent;
  channel->state_ = DataChannelState::kOpen;
  ++stats_.channels_opened;
  if (on_data_channel_) on_data_channel_(channel);
}

void DataChannelManager::RefuseStream(uint16_t stream_id) {
  if (auto it = channels_.find(stream_id); it != channels_.end()) {
    std::shared_ptr<DataChannel> channel = it->second;
    if (channel->state_ == DataChannelState::kClosed || channel->reset_requested_) return;
    ++stats_.refused_stream_resets;
    StartClose(*channel);
    return;
  }
  if (refused_streams_.contains(stream_id)) return;  // already being reset
  // RFC 6525 §5.1.2: our outgoing side of the stream. The peer answers by
  // resetting its own (RFC 8831 §6.7), which closes its channel.
  const uint16_t ids[] = {stream_id};
  if (sctp_->ResetStreams(ids).ok()) {
    refused_streams_.insert(stream_id);
    ++stats_.refused_stream_resets;
  }
}

void DataChannelManager::StartClose(DataChannel& channel) {
  if (channel.state_ == DataChannelState::kClosed || channel.reset_requested_) return;
  if (!channel.id_) {
    // Created before Start(): no stream, nothing to reset.
    FinishClose(channel);
    return;
  }
  channel.state_ = DataChannelState::kClosing;
  channel.reset_requested_ = true;
  const uint16_t ids[] = {*channel.id_};
  // RFC 8831 §6.7: closing is an SCTP reset of the outgoing stream; the peer
  // answers by resetting its own, which completes the close.
  if (!sctp_->ResetStreams(ids).ok()) {
    // Nothing can be reset (the association is not up): close locally.
    FinishClose(channel);
  }
}

void DataChannelManager::OnIncomingReset(absl::Span<const uint16_t> ids) {
  for (uint16_t id : ids) {
    auto it = channels_.find(id);
    if (it == channels_.end()) continue;
    std::shared_ptr<DataChannel> channel = it->second;
    channel->incoming_reset_done_ = true;
    // The peer closed the channel: reset our side too (RFC 8831 §6.7).
    StartClose(*channel);
    MaybeFinishClose(id);
  }
}

void DataChannelManager::OnOutgoingReset(absl::Span<const uint16_t> ids) {
  for (uint16_t id : ids) {
    // A refused stream: the id is ours to use again.
    if (refused_streams_.erase(id) > 0) continue;
    auto it = channels_.find(id);
    if (it == channels_.end()) continue;
    it->second->outgoing_reset_done_ = true;
    MaybeFinishClose(id);
  }
}

void DataChannelManager::MaybeFinishClose(uint16_t id) {
  auto it = channels_.find(id);
  if (it == channels_.end()) return;
  if (it->second->incoming_reset_done_ && it->second->outgoing_reset_done_) {
    std::shared_ptr<DataChannel> channel = it->second;
    FinishClose(*channel);
  }
}

void DataChannelManager::FinishClose(DataChannel& channel) {
  if (channel.state_ == DataChannelState::kClosed) return;
  channel.state_ = DataChannelState::kClosed;
  ++stats_.channels_closed;
  // Both directions are reset, so the id may carry a new channel.
  std::shared_ptr<DataChannel> keep;
  if (channel.id_) {
    auto it = channels_.find(*channel.id_);
    if (it != channels_.end() && it->second.get() == &channel) {
      keep = it->second;
      channels_.erase(it);
    }
  } else {
    auto it = std::find_if(pending_.begin(), pending_.end(),
                           [&](const auto& ch) { return ch.get() == &channel; });
    if (it != pending_.end()) {
      keep = *it;
      pending_.erase(it);
    }
  }
  if (channel.on_close_) channel.on_close_();
}

void DataChannelManager::OnBufferedAmountDecreased(uint16_t stream_id, size_t previous,
                                                   size_t current) {
  auto it = channels_.find(stream_id);
  if (it == channels_.end()) return;
  const DataChannel& channel = *it->second;
  const size_t threshold = channel.buffered_amount_low_threshold_;
  if (!(previous > threshold && current <= threshold)) return;
  // W3C: "queue a task" to fire bufferedamountlow, so the callback never
  // runs inside the Send() that handed the bytes over.
  std::weak_ptr<DataChannel> weak = it->second;
  env_.PostTask([weak, alive = alive_] {
    if (!*alive) return;
    if (auto ch = weak.lock(); ch && ch->on_buffered_amount_low_) ch->on_buffered_amount_low_();
  });
}

}  // namespace rtcsim::sctp
