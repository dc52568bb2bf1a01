// rtcsim_peer (./rtcsim peer): one PeerConnection of the rtcsim stack over
// real UDP, signalled WHIP-style (non-trickle: every candidate is in the
// offer and in the answer). See PeerUsage() in peer_flags.cc for the flags.
//
// Everything that touches the stack runs on the RealEnv's thread; the HTTP
// side (tools/peer/whip.h) lives on httplib's threads and hands over through
// RealEnv::PostFromAnyThread.
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "stack/env/socket_address.h"
#include "stack/ice/candidate.h"
#include "stack/ice/ice_agent.h"
#include "stack/pc/peer_connection.h"
#include "stack/pc/rtc_stats.h"
#include "stack/realnet/real_env.h"
#include "stack/sctp/data_channel.h"
#include "tools/peer/json_line.h"
#include "tools/peer/local_addresses.h"
#include "tools/peer/peer_flags.h"
#include "tools/peer/whip.h"

namespace rtcsim::peer {
namespace {

// Above this many bytes queued in the association, sending pauses.
constexpr size_t kSendHighWater = 1 << 20;
constexpr TimeDelta kSendRetry = TimeDelta::Millis(2);
// The echo side lets its own half of the stream reset and the last SCTP
// acknowledgements leave before it closes the connection.
constexpr TimeDelta kEchoGrace = TimeDelta::Millis(300);
constexpr TimeDelta kProgressInterval = TimeDelta::Seconds(5);

// DataChannel::id() is uint16_t, or std::optional<uint16_t> (W3C: null until
// the DTLS role is known); this reads either.
template <typename Id>
std::optional<int> IdValue(const Id& id) {
  if constexpr (std::is_same_v<Id, std::optional<uint16_t>>) {
    return id.has_value() ? std::optional<int>(*id) : std::nullopt;
  } else {
    return static_cast<int>(id);
  }
}
std::optional<int> ChannelId(const sctp::DataChannel& channel) { return IdValue(channel.id()); }

void AddChannel(JsonObject& object, const sctp::DataChannel& channel) {
  object.Add("label", channel.label());
  if (std::optional<int> id = ChannelId(channel)) {
    object.Add("id", *id);
  } else {
    object.AddNull("id");
  }
  object.Add("ordered", channel.ordered());
}

// Message `index`: its 8-digit index, then a pattern that depends on it (the
// same messages the aiortc peer sends).
std::string MakeMessage(int64_t index, size_t size) {
  std::string head = absl::StrFormat("%08d", index);
  std::string message = head.substr(0, std::min(head.size(), size));
  for (size_t j = 0; message.size() < size; ++j) {
    message += static_cast<char>('a' + (index * 7 + static_cast<int64_t>(j)) % 26);
  }
  return message;
}

// The index a message starts with, or -1.
int64_t MessageIndex(absl::Span<const uint8_t> data) {
  if (data.size() < kIndexDigits) return -1;
  int64_t index = 0;
  for (size_t i = 0; i < kIndexDigits; ++i) {
    if (data[i] < '0' || data[i] > '9') return -1;
    index = index * 10 + (data[i] - '0');
  }
  return index;
}

std::string PairText(const ice::CandidatePairInfo& pair) {
  return absl::StrCat(ice::ToString(pair.local.type), " ", pair.local.address.ToString(), " <-> ",
                      ice::ToString(pair.remote.type), " ", pair.remote.address.ToString());
}

std::string UrlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? absl::StrCat("[", host, "]") : host;
}

void Progress(const std::string& text) { std::cerr << "rtcsim_peer: " << text << std::endl; }

class Peer {
 public:
  Peer(RealEnv& env, PeerOptions options) : env_(env), options_(std::move(options)) {}
  ~Peer() { Shutdown(); }

  // Listens, or creates and sends the offer. An error here ends the run.
  absl::Status Start();
  bool finished() const { return finished_; }
  void Fail(const std::string& error);
  // Called once the loop ended (finished or timed out): DELETE the WHIP
  // resource, emit stats and the result, close. Returns the exit code.
  int Finish(bool timed_out);

 private:
  absl::StatusOr<pc::PeerConnectionConfig> MakeConfig();
  absl::Status CreatePeerConnection();
  void WatchChannel(std::shared_ptr<sctp::DataChannel> channel, bool local);
  void OnMessage(sctp::DataChannel* channel, absl::Span<const uint8_t> data, bool binary);
  void OnChannelClose(sctp::DataChannel* channel);
  void CheckEcho(sctp::DataChannel* channel, absl::Span<const uint8_t> data, bool binary);
  void SendMore();
  void MaybeFinishEchoSide();
  void OnGatheringComplete();
  void DeliverLocalDescription();
  void SendOffer(const std::string& sdp);
  void OnWhipResponse(absl::StatusOr<WhipResponse> response);
  void OnOffer(std::string offer, WhipServer::Respond respond);
  void Succeed();
  void ReportProgress();
  std::string StateSummary() const;
  void Shutdown();

  RealEnv& env_;
  const PeerOptions options_;
  std::unique_ptr<WhipServer> server_;
  std::unique_ptr<WhipClient> client_;
  std::unique_ptr<pc::PeerConnection> pc_;
  std::vector<std::shared_ptr<sctp::DataChannel>> channels_;
  sctp::DataChannel* send_channel_ = nullptr;

  Timestamp pc_created_at_;
  std::optional<int64_t> connect_ms_;
  std::string location_;         // of our WHIP session (offerer)
  WhipServer::Respond respond_;  // pending answer (answerer)
  bool local_description_delivered_ = false;
  bool closing_ = false;  // we are closing the connection ourselves
  bool awaiting_whip_response_ = false;

  // --send
  int64_t next_send_ = 0;
  int64_t next_expected_ = 0;  // ordered channels
  std::vector<bool> echo_seen_;
  bool all_echoed_ = false;
  bool send_channel_closed_ = false;

  // Counters for the result line.
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  uint64_t echoed_ = 0;  // echoes we sent (echo side) or verified (--send)
  uint64_t bytes_ = 0;   // received
  int channels_opened_ = 0;
  int remote_channels_closed_ = 0;
  bool peer_deleted_ = false;
  bool peer_closed_connection_ = false;

  bool finished_ = false;
  bool ok_ = false;
  std::string error_;
  bool succeed_pending_ = false;
};

absl::StatusOr<pc::PeerConnectionConfig> Peer::MakeConfig() {
  pc::PeerConnectionConfig config;
  config.name = "rtcsim-peer";
  config.max_message_size = kMaxMessageSize;
  config.ice_transport_policy =
      options_.relay_only ? ice::IceTransportPolicy::kRelay : ice::IceTransportPolicy::kAll;
  for (const IceServerUrl& url : options_.ice_servers) {
    absl::StatusOr<IpAddress> ip = ResolveHost(url.host);
    if (!ip.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--ice-server ", url.url, ": ", ip.status().message()));
    }
    ice::IceServer server;
    server.type = url.scheme == IceServerUrl::Scheme::kTurn ? ice::IceServer::Type::kTurn
                                                            : ice::IceServer::Type::kStun;
    server.address = SocketAddress(*ip, url.port);
    if (server.type == ice::IceServer::Type::kTurn) {
      server.username = options_.ice_user;
      server.password = options_.ice_pass;
    }
    config.ice_servers.push_back(std::move(server));
  }
  if (!options_.bind.empty()) {
    config.local_addresses = options_.bind;
  } else {
    absl::StatusOr<std::vector<IpAddress>> addresses = LocalAddresses();
    if (!addresses.ok()) return addresses.status();
    config.local_addresses = *std::move(addresses);
  }
  std::vector<std::string> names;
  for (const IpAddress& ip : config.local_addresses) names.push_back(ip.ToString());
  Progress(absl::StrCat("gathering on ", absl::StrJoin(names, ", ")));
  return config;
}

absl::Status Peer::CreatePeerConnection() {
  absl::StatusOr<pc::PeerConnectionConfig> config = MakeConfig();
  if (!config.ok()) return config.status();
  pc::PeerConnectionCallbacks callbacks;
  callbacks.on_ice_candidate = [this](const pc::IceCandidate& candidate) {
    if (candidate.candidate.empty()) return;  // End of candidates: see ice_gathering.
    Emit(Event("candidate").Add("candidate", candidate.candidate));
  };
  callbacks.on_ice_gathering_state = [this](ice::IceGatheringState state) {
    Emit(Event("ice_gathering").Add("state", ice::ToString(state)));
    if (state == ice::IceGatheringState::kComplete) OnGatheringComplete();
  };
  callbacks.on_signaling_state = [](pc::SignalingState state) {
    Emit(Event("signaling").Add("state", jsep::ToString(state)));
  };
  callbacks.on_ice_connection_state = [this](ice::IceConnectionState state) {
    Emit(Event("ice").Add("state", ice::ToString(state)));
    if (state == ice::IceConnectionState::kFailed) Fail("ICE failed");
  };
  callbacks.on_connection_state = [this](pc::PeerConnectionState state) {
    Emit(Event("connection").Add("state", pc::ToString(state)));
    if (state == pc::PeerConnectionState::kConnected && !connect_ms_.has_value()) {
      connect_ms_ = (env_.Now() - pc_created_at_).ms();
      std::optional<ice::CandidatePairInfo> pair = pc_->selected_candidate_pair();
      Progress(absl::StrCat("connected in ", *connect_ms_, " ms",
                            pair.has_value() ? absl::StrCat(" over ", PairText(*pair)) : ""));
    } else if (state == pc::PeerConnectionState::kFailed) {
      Fail("connection failed");
    } else if (state == pc::PeerConnectionState::kClosed && !closing_) {
      peer_closed_connection_ = true;
      MaybeFinishEchoSide();
    }
  };
  callbacks.on_data_channel = [this](std::shared_ptr<sctp::DataChannel> channel) {
    WatchChannel(std::move(channel), /*local=*/false);
  };
  absl::StatusOr<std::unique_ptr<pc::PeerConnection>> pc =
      pc::PeerConnection::Create(env_, *std::move(config), std::move(callbacks));
  if (!pc.ok()) return pc.status();
  pc_ = *std::move(pc);
  pc_created_at_ = env_.Now();
  return absl::OkStatus();
}

absl::Status Peer::Start() {
  env_.PostDelayedTask(kProgressInterval, [this] { ReportProgress(); });
  if (options_.whip_listen.has_value()) {
    WhipServer::Callbacks callbacks;
    callbacks.on_offer = [this](std::string offer, WhipServer::Respond respond) {
      OnOffer(std::move(offer), std::move(respond));
    };
    callbacks.on_delete = [this](std::string path) {
      Emit(Event("whip_delete").Add("path", path));
      peer_deleted_ = true;
      MaybeFinishEchoSide();
    };
    // The answer waits for gathering, which is bounded by the run's timeout.
    TimeDelta answer_timeout = TimeDelta::Millis(static_cast<int64_t>(options_.timeout_s * 1000));
    absl::StatusOr<std::unique_ptr<WhipServer>> server =
        WhipServer::Start(env_, *options_.whip_listen, answer_timeout, std::move(callbacks));
    if (!server.ok()) {
      return absl::Status(server.status().code(),
                          absl::StrCat("--whip-listen: ", server.status().message()));
    }
    server_ = *std::move(server);
    std::string url =
        absl::StrCat("http://", UrlHost(options_.whip_listen_host), ":", server_->port(), "/whip");
    Emit(Event("listening").Add("url", url));
    Progress(absl::StrCat("listening on ", url));
    return absl::OkStatus();
  }

  // Offerer.
  absl::Status status = CreatePeerConnection();
  if (!status.ok()) return status;
  sctp::DataChannelInit init;
  std::string label = "whip";
  if (options_.send.has_value()) {
    label = "test";
    init.ordered = !options_.unordered;
    init.max_retransmits = options_.max_retransmits;
  }
  absl::StatusOr<std::shared_ptr<sctp::DataChannel>> channel = pc_->CreateDataChannel(label, init);
  if (!channel.ok()) return channel.status();
  if (options_.send.has_value()) send_channel_ = channel->get();
  WatchChannel(*channel, /*local=*/true);
  absl::StatusOr<pc::SessionDescription> offer = pc_->CreateOffer();
  if (!offer.ok()) return offer.status();
  status = pc_->SetLocalDescription(*offer);
  if (!status.ok()) return status;
  client_ = std::make_unique<WhipClient>(
      env_, *options_.whip_url, TimeDelta::Millis(static_cast<int64_t>(options_.timeout_s * 1000)));
  if (pc_->ice_gathering_state() == ice::IceGatheringState::kComplete) OnGatheringComplete();
  return absl::OkStatus();
}

void Peer::OnOffer(std::string offer, WhipServer::Respond respond) {
  Emit(Event("whip_request").Add("bytes", static_cast<uint64_t>(offer.size())));
  if (finished_) {
    respond(absl::UnavailableError("this peer has finished"));
    return;
  }
  absl::Status status = CreatePeerConnection();
  if (status.ok()) {
    Emit(Event("remote_description").Add("type", "offer").Add("sdp", offer));
    status = pc_->SetRemoteDescription({pc::SdpType::kOffer, offer});
  }
  if (status.ok() && options_.send.has_value()) {
    sctp::DataChannelInit init;
    init.ordered = !options_.unordered;
    init.max_retransmits = options_.max_retransmits;
    absl::StatusOr<std::shared_ptr<sctp::DataChannel>> channel =
        pc_->CreateDataChannel("test", init);
    if (channel.ok()) {
      send_channel_ = channel->get();
      WatchChannel(*channel, /*local=*/true);
    } else {
      status = channel.status();
    }
  }
  if (status.ok()) status = pc_->SetLocalDescription();
  if (!status.ok()) {
    respond(status);
    Fail(absl::StrCat("cannot answer the offer: ", status.message()));
    return;
  }
  respond_ = std::move(respond);
  if (pc_->ice_gathering_state() == ice::IceGatheringState::kComplete) OnGatheringComplete();
}

void Peer::OnGatheringComplete() {
  if (local_description_delivered_) return;
  local_description_delivered_ = true;
  // Not from inside the PeerConnection's callback.
  env_.PostTask([this] { DeliverLocalDescription(); });
}

void Peer::DeliverLocalDescription() {
  if (finished_) return;
  std::optional<pc::SessionDescription> local = pc_->local_description();
  if (!local.has_value()) {
    Fail("gathering completed without a local description");
    return;
  }
  Emit(Event("local_description").Add("type", jsep::ToString(local->type)).Add("sdp", local->sdp));
  if (respond_) {
    WhipServer::Respond respond = std::move(respond_);
    respond_ = nullptr;
    respond(local->sdp);
  } else if (client_ != nullptr) {
    SendOffer(local->sdp);
  }
}

void Peer::SendOffer(const std::string& sdp) {
  Progress(absl::StrCat("POST offer to ", options_.whip_url_text));
  awaiting_whip_response_ = true;
  client_->PostOffer(
      sdp, [this](absl::StatusOr<WhipResponse> response) { OnWhipResponse(std::move(response)); });
}

void Peer::OnWhipResponse(absl::StatusOr<WhipResponse> response) {
  awaiting_whip_response_ = false;
  if (finished_) return;
  if (!response.ok()) {
    Fail(absl::StrCat("WHIP POST failed: ", response.status().message()));
    return;
  }
  Emit(Event("whip_response")
           .Add("status", response->status)
           .Add("location", response->location)
           .Add("content_type", response->content_type));
  if (response->status != 201) {
    Fail(absl::StrCat("WHIP POST got HTTP ", response->status, " (expected 201): ",
                      absl::StripAsciiWhitespace(response->body.substr(0, 200))));
    return;
  }
  location_ = response->location;
  if (location_.empty()) Progress("note: the 201 response has no Location header");
  Emit(Event("remote_description").Add("type", "answer").Add("sdp", response->body));
  absl::Status status = pc_->SetRemoteDescription({pc::SdpType::kAnswer, response->body});
  if (!status.ok()) Fail(absl::StrCat("cannot apply the answer: ", status.message()));
}

void Peer::WatchChannel(std::shared_ptr<sctp::DataChannel> channel, bool local) {
  sctp::DataChannel* raw = channel.get();
  channels_.push_back(std::move(channel));
  auto on_open = [this, raw, local] {
    ++channels_opened_;
    JsonObject event = Event("channel_open");
    AddChannel(event, *raw);
    event.Add("local", local);
    Emit(event);
    if (raw == send_channel_) SendMore();
  };
  raw->set_on_message(
      [this, raw](absl::Span<const uint8_t> data, bool binary) { OnMessage(raw, data, binary); });
  raw->set_on_close([this, raw] { OnChannelClose(raw); });
  if (raw->state() == sctp::DataChannelState::kOpen) {
    on_open();  // ondatachannel hands over channels already open
  } else {
    raw->set_on_open(on_open);
  }
}

void Peer::OnMessage(sctp::DataChannel* channel, absl::Span<const uint8_t> data, bool binary) {
  ++received_;
  bytes_ += data.size();
  if (options_.verbose) {
    JsonObject event = Event("message");
    AddChannel(event, *channel);
    event.Add("bytes", static_cast<uint64_t>(data.size())).Add("binary", binary);
    Emit(event);
  }
  if (channel == send_channel_) {
    CheckEcho(channel, data, binary);
    return;
  }
  if (!options_.echo || finished_) return;
  absl::Status status = binary ? channel->SendBinary(data)
                               : channel->Send(absl::string_view(
                                     reinterpret_cast<const char*>(data.data()), data.size()));
  if (!status.ok()) {
    Fail(absl::StrCat("echo on '", channel->label(), "' failed: ", status.message()));
    return;
  }
  ++sent_;
  ++echoed_;
}

void Peer::CheckEcho(sctp::DataChannel* channel, absl::Span<const uint8_t> data, bool binary) {
  if (finished_) return;
  const int64_t n = *options_.send;
  int64_t index = MessageIndex(data);
  if (index < 0 || index >= n) {
    Fail(absl::StrCat("unexpected message on '", channel->label(), "' (", data.size(),
                      " bytes, no index below ", n, ")"));
    return;
  }
  if (echo_seen_[index]) {
    Fail(absl::StrCat("echo ", index, " arrived twice"));
    return;
  }
  if (binary != options_.binary) {
    Fail(absl::StrCat("echo ", index, " came back as ", binary ? "binary" : "a string",
                      ", sent as ", options_.binary ? "binary" : "a string"));
    return;
  }
  std::string want = MakeMessage(index, options_.size);
  if (data.size() != want.size() ||
      !std::equal(data.begin(), data.end(), reinterpret_cast<const uint8_t*>(want.data()))) {
    Fail(absl::StrCat("echo ", index, " differs from what was sent (", data.size(), " bytes, sent ",
                      want.size(), ")"));
    return;
  }
  if (channel->ordered()) {
    if (index != next_expected_) {
      Fail(absl::StrCat("ordered channel: echo ", index, " arrived, expected ", next_expected_));
      return;
    }
    ++next_expected_;
  }
  echo_seen_[index] = true;
  ++echoed_;
  if (static_cast<int64_t>(echoed_) == n) {
    all_echoed_ = true;
    Emit(Event("all_echoed").Add("count", echoed_));
    Progress(absl::StrCat("all ", n, " echoes arrived intact; closing the channel"));
    channel->Close();
  }
}

void Peer::SendMore() {
  if (finished_ || send_channel_ == nullptr) return;
  const int64_t n = *options_.send;
  if (next_send_ == 0) {
    echo_seen_.assign(n, false);
    Emit(Event("sending")
             .Add("count", n)
             .Add("size", static_cast<uint64_t>(options_.size))
             .Add("binary", options_.binary)
             .Add("ordered", send_channel_->ordered()));
  }
  while (next_send_ < n && send_channel_->buffered_amount() < kSendHighWater) {
    std::string message = MakeMessage(next_send_, options_.size);
    absl::Status status =
        options_.binary ? send_channel_->SendBinary(absl::Span<const uint8_t>(
                              reinterpret_cast<const uint8_t*>(message.data()), message.size()))
                        : send_channel_->Send(message);
    if (!status.ok()) {
      Fail(absl::StrCat("send ", next_send_, " failed: ", status.message()));
      return;
    }
    ++next_send_;
    ++sent_;
  }
  if (next_send_ < n) env_.PostDelayedTask(kSendRetry, [this] { SendMore(); });
}

void Peer::OnChannelClose(sctp::DataChannel* channel) {
  JsonObject event = Event("channel_close");
  AddChannel(event, *channel);
  Emit(event);
  if (channel == send_channel_) {
    send_channel_closed_ = true;
    if (finished_) return;
    if (all_echoed_) {
      Progress("channel closed cleanly");
      Succeed();
    } else {
      Fail(absl::StrCat("channel '", channel->label(), "' closed after ", echoed_, " of ",
                        *options_.send, " echoes"));
    }
    return;
  }
  // A channel of ours that is not the send channel (the offerer's "whip"
  // channel) closing counts like one the peer opened: the peer closed it.
  ++remote_channels_closed_;
  MaybeFinishEchoSide();
}

// The echo (or passive) side is done when the peer ends the session cleanly:
// closes a channel, closes the connection, or DELETEs the WHIP resource.
void Peer::MaybeFinishEchoSide() {
  if (finished_ || succeed_pending_ || options_.send.has_value()) return;
  if (remote_channels_closed_ == 0 && !peer_deleted_ && !peer_closed_connection_) return;
  if (channels_opened_ == 0) {
    Fail("the peer ended the session before any data channel opened");
    return;
  }
  if (options_.expect.has_value() && static_cast<int64_t>(echoed_) < *options_.expect) {
    Fail(absl::StrCat("the peer ended the session after ", echoed_, " echoes, expected ",
                      *options_.expect));
    return;
  }
  succeed_pending_ = true;
  env_.PostDelayedTask(kEchoGrace, [this] { Succeed(); });
}

void Peer::Succeed() {
  if (finished_) return;
  finished_ = true;
  ok_ = true;
}

void Peer::Fail(const std::string& error) {
  if (finished_) return;
  finished_ = true;
  ok_ = false;
  error_ = error;
  Emit(Event("error").Add("message", error));
  Progress(absl::StrCat("error: ", error));
}

std::string Peer::StateSummary() const {
  std::string text = pc_ == nullptr
                         ? "no offer yet"
                         : absl::StrCat("signaling ", jsep::ToString(pc_->signaling_state()),
                                        ", ice ", ice::ToString(pc_->ice_connection_state()),
                                        ", connection ", pc::ToString(pc_->connection_state()));
  if (awaiting_whip_response_) absl::StrAppend(&text, ", waiting for the WHIP response");
  if (respond_) absl::StrAppend(&text, ", gathering before the WHIP answer");
  absl::StrAppend(&text, "; channels opened ", channels_opened_, ", sent ", sent_, ", received ",
                  received_, ", echoed ", echoed_);
  if (options_.send.has_value()) absl::StrAppend(&text, " of ", *options_.send);
  return text;
}

void Peer::ReportProgress() {
  if (finished_) return;
  Progress(StateSummary());
  env_.PostDelayedTask(kProgressInterval, [this] { ReportProgress(); });
}

int Peer::Finish(bool timed_out) {
  if (timed_out) {
    Fail(absl::StrFormat("timeout after %g s (%s)", options_.timeout_s, StateSummary()));
  }
  // End the WHIP session (best effort, bounded) unless the peer ended it:
  // the peer may be waiting for it, and a WHIP server frees the resource.
  const bool peer_ended = ok_ && !options_.send.has_value();
  if (client_ != nullptr && !location_.empty() && !peer_ended) {
    bool deleted = false;
    client_->Delete(location_, [&deleted](absl::StatusOr<int> status) {
      deleted = true;
      if (!status.ok()) {
        Progress(absl::StrCat("note: ending the WHIP session failed: ", status.status().message()));
      }
    });
    env_.RunUntil([&] { return deleted; }, TimeDelta::Seconds(2));
  }

  std::optional<std::string> pair;
  if (pc_ != nullptr) {
    if (std::optional<ice::CandidatePairInfo> selected = pc_->selected_candidate_pair()) {
      pair = PairText(*selected);
    }
    Emit(Event("stats").AddRaw("report", pc_->GetStats().ToJson()));
  }
  JsonObject result = Event("result");
  result.Add("ok", ok_)
      .Add("sent", sent_)
      .Add("received", received_)
      .Add("echoed", echoed_)
      .Add("bytes", bytes_);
  if (connect_ms_.has_value()) {
    result.Add("connect_ms", *connect_ms_);
  } else {
    result.AddNull("connect_ms");
  }
  if (pair.has_value()) {
    result.Add("selected_pair", *pair);
  } else {
    result.AddNull("selected_pair");
  }
  result.Add("channels_opened", channels_opened_);
  if (options_.send.has_value()) {
    result.Add("channel_closed", send_channel_closed_)
        .Add("missing", static_cast<int64_t>(*options_.send) - static_cast<int64_t>(echoed_));
  } else {
    result.Add("channel_closed", remote_channels_closed_ > 0);
  }
  if (!ok_) result.Add("error", error_);
  Emit(result);

  Shutdown();
  // Let close_notify and the last datagrams leave.
  env_.RunFor(TimeDelta::Millis(50));
  return ok_ ? 0 : 1;
}

void Peer::Shutdown() {
  if (closing_) return;
  closing_ = true;
  if (pc_ != nullptr) pc_->Close();
  // Servers and clients first: their threads must not post into a dead Peer.
  server_.reset();
  client_.reset();
}

int Main(int argc, char** argv) {
  // httplib writes to sockets the peer may have closed.
  signal(SIGPIPE, SIG_IGN);
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<PeerOptions> options = ParsePeerFlags(args);
  if (!options.ok()) {
    std::cerr << "rtcsim_peer: " << options.status().message() << "\n\n" << PeerUsage();
    return 2;
  }
  if (options->help) {
    std::cout << PeerUsage();
    return 0;
  }
  for (const std::string& note : options->notes) Progress(absl::StrCat("note: ", note));

  RealEnv env;
  const TimeDelta timeout = TimeDelta::Millis(static_cast<int64_t>(options->timeout_s * 1000));
  Peer peer(env, *options);
  absl::Status started = peer.Start();
  if (!started.ok()) peer.Fail(std::string(started.message()));
  bool done = env.RunUntil([&] { return peer.finished(); }, timeout);
  return peer.Finish(!done);
}

}  // namespace
}  // namespace rtcsim::peer

int main(int argc, char** argv) { return rtcsim::peer::Main(argc, argv); }
