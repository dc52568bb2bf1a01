#include "scenarios/call/data_channel_call.h"

#include <malloc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/env/status_macros.h"
#include "stack/pc/peer_connection.h"
#include "stack/pc/rtc_stats.h"
#include "stack/stun/stun_server.h"

namespace rtcsim::scenarios {
namespace {

constexpr uint16_t kStunPort = 3478;
// Keep this much queued in each channel; refill at the low-water mark.
constexpr size_t kHighWater = 128 * 1024;
constexpr size_t kLowWater = 32 * 1024;
// Message header: side (1), channel index (1), sequence number (4).
constexpr size_t kHeader = 6;

size_t MessageSize(const ChannelSpec& spec, uint32_t seq) {
  const size_t span = spec.max_size - spec.min_size + 1;
  return std::max(kHeader, spec.min_size + (static_cast<size_t>(seq) * 7919) % span);
}

std::vector<uint8_t> MakeMessage(const ChannelSpec& spec, int side, int channel, uint32_t seq) {
  std::vector<uint8_t> m(MessageSize(spec, seq));
  m[0] = static_cast<uint8_t>(side);
  m[1] = static_cast<uint8_t>(channel);
  for (int k = 0; k < 4; ++k) m[2 + k] = static_cast<uint8_t>(seq >> (24 - 8 * k));
  for (size_t k = kHeader; k < m.size(); ++k) {
    m[k] = static_cast<uint8_t>(seq * 31 + k * 7 + side * 101 + channel * 13);
  }
  return m;
}

std::string Describe(const ice::Candidate& c) {
  return absl::StrCat(ice::ToString(c.type), " ", c.address.ToString());
}

// One side's view of one channel.
struct ChannelEnd {
  std::shared_ptr<sctp::DataChannel> channel;
  uint32_t next_to_send = 0;
  std::set<uint32_t> seen;  // distinct sequence numbers received
  std::optional<uint32_t> highest;
  uint64_t received = 0, out_of_order = 0, duplicated = 0, corrupted = 0, bytes = 0;
  Timestamp last_activity;
  bool closed = false;
};

struct Side {
  simnet::Host* host = nullptr;
  std::unique_ptr<pc::PeerConnection> pc;
  std::vector<ChannelEnd> ends;  // by channel index
  bool connected = false;
};

struct Pair {
  Side side[2];
  Timestamp started;
  std::optional<Timestamp> connected_at;
  std::optional<Timestamp> channels_open_at;
};

class Call {
 public:
  explicit Call(const DataChannelCallConfig& config) : config_(config), net_(config.seed) {}

  absl::StatusOr<DataChannelCallResult> Run() {
    const auto wall_start = std::chrono::steady_clock::now();
    RETURN_IF_ERROR(Validate());
    net_.trace().EnableJson(!config_.out_dir.empty());
    RETURN_IF_ERROR(Build());
    for (size_t i = 0; i < pairs_.size(); ++i) {
      RETURN_IF_ERROR(StartPair(*pairs_[i], static_cast<int>(i)));
    }

    const Timestamp end = net_.now() + config_.duration;
    Timestamp next_progress = net_.now() + config_.progress_interval;
    bool measured_heap = false;
    while (net_.now() < end) {
      net_.RunFor(TimeDelta::Millis(10));
      if (!measured_heap && AllOpen()) {
        measured_heap = true;
        heap_in_use_ = HeapInUse();
      }
      if (config_.progress_interval > TimeDelta::Zero() && net_.now() >= next_progress) {
        next_progress = net_.now() + config_.progress_interval;
        std::fprintf(stderr, "  [%5.1f s virtual] %d/%d pairs connected, %llu messages delivered\n",
                     (net_.now() - Timestamp::Zero()).us() / 1e6, ConnectedPairs(), config_.pairs,
                     static_cast<unsigned long long>(Delivered()));
      }
      if (!traffic_done_at_.has_value() && TrafficDone()) {
        traffic_done_at_ = net_.now();
        CloseChannels();
      }
      if (traffic_done_at_.has_value() && !config_.run_full_duration && ClosedEverywhere()) break;
    }

    DataChannelCallResult r = Collect();
    r.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (!config_.out_dir.empty()) RETURN_IF_ERROR(WriteFiles(r));
    return r;
  }

 private:
  absl::Status Validate() const {
    if (config_.pairs < 1 || config_.pairs > 500) {
      return absl::InvalidArgumentError(
          absl::StrCat("pairs must be in [1, 500], got ", config_.pairs));
    }
    if (config_.loss < 0 || config_.loss >= 1) {
      return absl::InvalidArgumentError(absl::StrCat("loss must be in [0, 1), got ", config_.loss));
    }
    if (config_.channels.empty() || config_.channels.size() > 64) {
      return absl::InvalidArgumentError("between 1 and 64 channels are needed");
    }
    for (const ChannelSpec& c : config_.channels) {
      if (c.min_size < kHeader || c.max_size < c.min_size || c.messages < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("channel \"", c.label, "\": sizes must satisfy ", kHeader,
                         " <= min_size <= max_size and messages >= 0"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Build() {
    simnet::LinkParams core;
    core.delay = config_.core_delay;
    simnet::Router* internet = *net_.AddRouter("internet");
    const SocketAddress stun_address(IpAddress::V4(198, 51, 100, 1), kStunPort);
    ASSIGN_OR_RETURN(simnet::Host * server, net_.AddHost("stun", {stun_address.ip()}));
    RETURN_IF_ERROR(net_.Connect(server, internet, core).status());
    ASSIGN_OR_RETURN(stun_, stun::StunBindingServer::Create(server->env(), stun_address));
    stun_server_.type = ice::IceServer::Type::kStun;
    stun_server_.address = stun_address;

    simnet::Nat* nats[2];
    for (int s = 0; s < 2; ++s) {
      simnet::NatConfig nc;
      nc.public_addresses = {IpAddress::V4(203, 0, 113, static_cast<uint8_t>(10 + s))};
      nc.mapping = simnet::NatMapping::kEndpointIndependent;
      nc.filtering = s == 0 ? simnet::NatFiltering::kAddressAndPortDependent
                            : simnet::NatFiltering::kAddressDependent;
      ASSIGN_OR_RETURN(nats[s], net_.AddNat(s == 0 ? "nat-a" : "nat-b", nc));
      simnet::LinkParams access = core;
      access.delay = config_.access_delay;
      if (config_.loss > 0) access.loss = simnet::LossModel::Bernoulli(config_.loss);
      ASSIGN_OR_RETURN(access_[s], net_.Connect(nats[s], internet, access));
    }
    for (int i = 0; i < config_.pairs; ++i) {
      auto pair = std::make_unique<Pair>();
      for (int s = 0; s < 2; ++s) {
        const std::string name = absl::StrCat(s == 0 ? "a" : "b", i);
        // Side s of pair i: 10.<s + 1>.<i / 250>.<2 + i % 250>.
        const IpAddress ip =
            IpAddress::V4(10, static_cast<uint8_t>(s + 1), static_cast<uint8_t>(i / 250),
                          static_cast<uint8_t>(2 + i % 250));
        ASSIGN_OR_RETURN(pair->side[s].host, net_.AddHost(name, {ip}));
        RETURN_IF_ERROR(net_.Connect(pair->side[s].host, nats[s], simnet::LinkParams{}).status());
      }
      pairs_.push_back(std::move(pair));
    }
    if (!config_.out_dir.empty()) {
      captures_.push_back({"a0.pcapng", net_.CaptureHost(pairs_[0]->side[0].host)});
      captures_.push_back({"b0.pcapng", net_.CaptureHost(pairs_[0]->side[1].host)});
      captures_.push_back({"link-nat-a.pcapng", net_.CaptureLink(access_[0])});
    }
    return absl::OkStatus();
  }

  // FIFO signalling with a fixed one-way delay.
  void Signal(std::function<void()> deliver) {
    ++signaling_messages_;
    net_.loop().ScheduleAfter(config_.signaling_delay, std::move(deliver));
  }

  void Fail(absl::string_view what, const absl::Status& status) {
    if (errors_.size() < 20) errors_.push_back(absl::StrCat(what, ": ", status.message()));
  }

  absl::Status StartPair(Pair& pair, int index) {
    for (int s = 0; s < 2; ++s) {
      Side& me = pair.side[s];
      me.ends.resize(config_.channels.size());
      pc::PeerConnectionConfig pcc;
      pcc.ice_servers = {stun_server_};
      pcc.name = absl::StrCat(s == 0 ? "a" : "b", index);
      pc::PeerConnectionCallbacks cb;
      Pair* p = &pair;
      const int other = 1 - s;
      cb.on_ice_candidate = [this, p, other](const pc::IceCandidate& c) {
        if (!c.candidate.empty()) ++candidates_trickled_;
        Signal([this, p, other, c] {
          absl::Status st = p->side[other].pc->AddIceCandidate(c);
          if (!st.ok()) Fail("addIceCandidate", st);
        });
      };
      cb.on_connection_state = [this, p](pc::PeerConnectionState state) {
        if (state != pc::PeerConnectionState::kConnected) return;
        if (p->side[0].pc->connection_state() == pc::PeerConnectionState::kConnected &&
            p->side[1].pc->connection_state() == pc::PeerConnectionState::kConnected &&
            !p->connected_at.has_value()) {
          p->connected_at = net_.now();
        }
      };
      cb.on_data_channel = [this, p, s](std::shared_ptr<sctp::DataChannel> ch) {
        // Channels arrive in the order A created them only if DCEP opens
        // are delivered in order; match by label instead.
        for (size_t k = 0; k < config_.channels.size(); ++k) {
          if (config_.channels[k].label == ch->label() && p->side[s].ends[k].channel == nullptr) {
            Attach(*p, s, static_cast<int>(k), std::move(ch));
            return;
          }
        }
        Fail("ondatachannel",
             absl::NotFoundError(absl::StrCat("unexpected channel ", ch->label())));
      };
      if (s == 0) {
        cb.on_negotiation_needed = [this, p] { Offer(*p); };
      }
      ASSIGN_OR_RETURN(me.pc, pc::PeerConnection::Create(me.host->env(), pcc, std::move(cb)));
    }
    pair.started = net_.now();
    for (size_t k = 0; k < config_.channels.size(); ++k) {
      ASSIGN_OR_RETURN(auto ch, pair.side[0].pc->CreateDataChannel(config_.channels[k].label,
                                                                   config_.channels[k].init));
      Attach(pair, 0, static_cast<int>(k), std::move(ch));
    }
    return absl::OkStatus();
  }

  void Offer(Pair& pair) {
    Side& a = pair.side[0];
    absl::Status st = a.pc->SetLocalDescription();
    if (!st.ok()) return Fail("a.setLocalDescription", st);
    pc::SessionDescription offer = *a.pc->local_description();
    Pair* p = &pair;
    Signal([this, p, offer] {
      Side& b = p->side[1];
      absl::Status st = b.pc->SetRemoteDescription(offer);
      if (!st.ok()) return Fail("b.setRemoteDescription", st);
      st = b.pc->SetLocalDescription();
      if (!st.ok()) return Fail("b.setLocalDescription", st);
      pc::SessionDescription answer = *b.pc->local_description();
      Signal([this, p, answer] {
        absl::Status st = p->side[0].pc->SetRemoteDescription(answer);
        if (!st.ok()) Fail("a.setRemoteDescription", st);
      });
    });
  }

  void Attach(Pair& pair, int s, int k, std::shared_ptr<sctp::DataChannel> channel) {
    ChannelEnd& end = pair.side[s].ends[k];
    end.channel = channel;
    end.last_activity = net_.now();
    Pair* p = &pair;
    channel->set_buffered_amount_low_threshold(kLowWater);
    channel->set_on_open([this, p, s, k] {
      Pump(*p, s, k);
      MaybeAllOpen(*p);
    });
    channel->set_on_buffered_amount_low([this, p, s, k] { Pump(*p, s, k); });
    channel->set_on_message(
        [this, p, s, k](absl::Span<const uint8_t> data, bool) { OnMessage(*p, s, k, data); });
    channel->set_on_close([p, s, k] { p->side[s].ends[k].closed = true; });
    if (channel->state() == sctp::DataChannelState::kOpen) {
      Pump(pair, s, k);
      MaybeAllOpen(pair);
    }
  }

  void MaybeAllOpen(Pair& pair) {
    if (pair.channels_open_at.has_value()) return;
    for (const Side& side : pair.side) {
      for (const ChannelEnd& e : side.ends) {
        if (e.channel == nullptr || e.channel->state() != sctp::DataChannelState::kOpen) return;
      }
    }
    pair.channels_open_at = net_.now();
  }

  void Pump(Pair& pair, int s, int k) {
    ChannelEnd& end = pair.side[s].ends[k];
    const ChannelSpec& spec = config_.channels[k];
    while (end.channel->state() == sctp::DataChannelState::kOpen &&
           end.next_to_send < static_cast<uint32_t>(spec.messages) &&
           end.channel->buffered_amount() < kHighWater) {
      absl::Status st = end.channel->SendBinary(MakeMessage(spec, s, k, end.next_to_send));
      if (!st.ok()) return Fail(absl::StrCat("send on ", spec.label), st);
      ++end.next_to_send;
      end.last_activity = net_.now();
    }
  }

  void OnMessage(Pair& pair, int s, int k, absl::Span<const uint8_t> data) {
    ChannelEnd& end = pair.side[s].ends[k];
    const ChannelSpec& spec = config_.channels[k];
    end.last_activity = net_.now();
    ++end.received;
    end.bytes += data.size();
    if (data.size() < kHeader) {
      if (++end.corrupted == 1) {
        Fail(absl::StrCat(spec.label, " to side ", s),
             absl::DataLossError(absl::StrCat("a message of ", data.size(), " bytes")));
      }
      return;
    }
    uint32_t seq = 0;
    for (int i = 0; i < 4; ++i) seq = (seq << 8) | data[2 + i];
    const int from = 1 - s;
    if (data[0] != from || data[1] != k || seq >= static_cast<uint32_t>(spec.messages)) {
      if (++end.corrupted == 1) {
        Fail(absl::StrCat(spec.label, " to side ", s),
             absl::DataLossError(absl::StrCat("header says side ", data[0], " channel ", data[1],
                                              " message ", seq, "; ", data.size(), " bytes")));
      }
      return;
    }
    const std::vector<uint8_t> expected = MakeMessage(spec, from, k, seq);
    if (!std::equal(data.begin(), data.end(), expected.begin(), expected.end())) {
      if (++end.corrupted == 1) {
        Fail(absl::StrCat("message ", seq, " on ", spec.label, " to side ", s),
             absl::DataLossError(
                 absl::StrCat("got ", data.size(), " bytes, want ", expected.size())));
      }
      return;
    }
    if (!end.seen.insert(seq).second) {
      ++end.duplicated;
      return;
    }
    if (end.highest.has_value() && seq < *end.highest) ++end.out_of_order;
    end.highest = std::max(seq, end.highest.value_or(0));
  }

  bool Reliable(const ChannelSpec& spec) const {
    return !spec.init.max_retransmits.has_value() && !spec.init.max_packet_life_time.has_value();
  }

  bool TrafficDone() const {
    for (const auto& pair : pairs_) {
      for (int s = 0; s < 2; ++s) {
        for (size_t k = 0; k < config_.channels.size(); ++k) {
          const ChannelSpec& spec = config_.channels[k];
          const ChannelEnd& mine = pair->side[s].ends[k];
          const ChannelEnd& theirs = pair->side[1 - s].ends[k];
          if (mine.channel == nullptr || theirs.channel == nullptr) return false;
          if (mine.next_to_send < static_cast<uint32_t>(spec.messages)) return false;
          if (Reliable(spec)) {
            if (theirs.seen.size() < static_cast<size_t>(spec.messages)) return false;
          } else if (theirs.seen.size() < static_cast<size_t>(spec.messages) &&
                     net_.now() - std::max(theirs.last_activity, mine.last_activity) <
                         config_.settle) {
            return false;
          }
        }
      }
    }
    return true;
  }

  void CloseChannels() {
    // RFC 8831 §6.7: A closes every channel; the stream resets close them
    // on B too.
    for (auto& pair : pairs_) {
      for (ChannelEnd& e : pair->side[0].ends) {
        if (e.channel != nullptr) e.channel->Close();
      }
    }
  }

  bool ClosedEverywhere() const {
    for (const auto& pair : pairs_) {
      for (const Side& side : pair->side) {
        for (const ChannelEnd& e : side.ends) {
          if (!e.closed) return false;
        }
      }
    }
    return true;
  }

  bool AllOpen() const {
    for (const auto& pair : pairs_) {
      if (!pair->channels_open_at.has_value()) return false;
    }
    return true;
  }

  int ConnectedPairs() const {
    int n = 0;
    for (const auto& pair : pairs_) n += pair->connected_at.has_value() ? 1 : 0;
    return n;
  }

  uint64_t Delivered() const {
    uint64_t n = 0;
    for (const auto& pair : pairs_) {
      for (const Side& side : pair->side) {
        for (const ChannelEnd& e : side.ends) n += e.seen.size();
      }
    }
    return n;
  }

  static uint64_t HeapInUse() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
#else
    return 0;
#endif
  }

  DataChannelCallResult Collect() {
    DataChannelCallResult r;
    r.pairs = config_.pairs;
    r.pairs_connected = ConnectedPairs();
    const Pair& first = *pairs_[0];
    if (first.connected_at.has_value()) r.connect_time = *first.connected_at - first.started;
    if (first.channels_open_at.has_value()) {
      r.channels_open_time = *first.channels_open_at - first.started;
    }
    for (const auto& pair : pairs_) {
      if (pair->connected_at.has_value()) {
        r.worst_connect_time = std::max(r.worst_connect_time, *pair->connected_at - pair->started);
      }
    }
    if (traffic_done_at_.has_value()) r.traffic_done_time = *traffic_done_at_ - first.started;
    if (auto sel = first.side[0].pc->selected_candidate_pair(); sel.has_value()) {
      r.selected_pair = absl::StrCat(Describe(sel->local), " <-> ", Describe(sel->remote));
    }
    for (size_t k = 0; k < config_.channels.size(); ++k) {
      ChannelFigures f;
      f.label = config_.channels[k].label;
      f.ordered = config_.channels[k].init.ordered;
      f.reliable = Reliable(config_.channels[k]);
      for (const auto& pair : pairs_) {
        for (int s = 0; s < 2; ++s) {
          const ChannelEnd& e = pair->side[s].ends[k];
          const ChannelEnd& sender = pair->side[1 - s].ends[k];
          f.sent += sender.next_to_send;
          f.received += e.seen.size();
          f.out_of_order += e.out_of_order;
          f.duplicated += e.duplicated;
          f.corrupted += e.corrupted;
          f.bytes_received += e.bytes;
          f.lost += sender.next_to_send - std::min<uint64_t>(sender.next_to_send, e.seen.size());
        }
      }
      r.messages_delivered += f.received;
      r.channels.push_back(f);
    }
    bool closed = true;
    for (const Side& side : first.side) {
      for (const ChannelEnd& e : side.ends) closed = closed && e.closed;
    }
    r.channels_closed_cleanly = closed && traffic_done_at_.has_value();
    for (const auto& pair : pairs_) {
      for (const Side& side : pair->side) {
        if (const auto* s = side.pc->sctp_stats(); s != nullptr) {
          r.sctp_data_retransmissions += s->data_retransmissions;
          r.sctp_packets_sent += s->packets_sent;
          r.sctp_send_errors += s->send_errors;
        }
        if (const auto* d = side.pc->dtls_stats(); d != nullptr) {
          r.dtls_retransmissions += d->retransmissions;
          r.dtls_send_errors += d->send_errors;
        }
        if (const auto* i = side.pc->ice_stats(); i != nullptr) {
          r.ice_check_retransmissions += i->check_retransmissions;
        }
      }
    }
    r.signaling_messages = signaling_messages_;
    r.candidates_trickled = candidates_trickled_;
    r.trace_hash = net_.trace().HashHex();
    r.trace_events = net_.trace().events();
    r.virtual_time = net_.now() - Timestamp::Zero();
    r.heap_bytes_per_peer_connection = heap_in_use_ / (2 * static_cast<uint64_t>(config_.pairs));
    r.errors = errors_;
    return r;
  }

  absl::Status WriteFiles(DataChannelCallResult& r) {
    std::error_code ec;
    std::filesystem::create_directories(config_.out_dir, ec);
    if (ec) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot create output directory ", config_.out_dir, ": ", ec.message()));
    }
    for (const auto& [name, writer] : captures_) {
      RETURN_IF_ERROR(writer->WriteToFile(absl::StrCat(config_.out_dir, "/", name)));
      r.files.push_back(name);
    }
    RETURN_IF_ERROR(net_.trace().WriteJson(config_.out_dir + "/trace.json"));
    r.files.push_back("trace.json");
    const std::string stats_path = config_.out_dir + "/stats-a0.json";
    if (std::FILE* f = std::fopen(stats_path.c_str(), "w"); f != nullptr) {
      std::fputs(pairs_[0]->side[0].pc->GetStats().ToJson().c_str(), f);
      std::fclose(f);
      r.files.push_back("stats-a0.json");
    }
    r.files.push_back("summary.json");
    std::FILE* f = std::fopen((config_.out_dir + "/summary.json").c_str(), "w");
    if (f == nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot write ", config_.out_dir, "/summary.json"));
    }
    std::fputs(r.Json().c_str(), f);
    std::fclose(f);
    return absl::OkStatus();
  }

  DataChannelCallConfig config_;
  simnet::Network net_;
  std::unique_ptr<stun::StunBindingServer> stun_;
  ice::IceServer stun_server_;
  simnet::Link* access_[2] = {nullptr, nullptr};
  std::vector<std::unique_ptr<Pair>> pairs_;
  std::vector<std::pair<std::string, simnet::PcapngWriter*>> captures_;
  std::optional<Timestamp> traffic_done_at_;
  uint64_t signaling_messages_ = 0;
  uint64_t candidates_trickled_ = 0;
  uint64_t heap_in_use_ = 0;
  std::vector<std::string> errors_;
};

std::string Ms(TimeDelta d) { return absl::StrFormat("%.1f ms", d.us() / 1000.0); }

}  // namespace

std::vector<ChannelSpec> DefaultChannels(int ordered_messages) {
  std::vector<ChannelSpec> channels;
  channels.push_back({.label = "ordered", .init = {}, .messages = ordered_messages});
  channels.push_back(
      {.label = "unordered", .init = {.ordered = false}, .messages = ordered_messages / 10});
  channels.push_back({.label = "unreliable-rtx0",
                      .init = {.ordered = false, .max_retransmits = 0},
                      .messages = ordered_messages / 10});
  channels.push_back({.label = "lifetime-100ms",
                      .init = {.ordered = false, .max_packet_life_time = TimeDelta::Millis(100)},
                      .messages = ordered_messages / 10});
  return channels;
}

bool DataChannelCallResult::ok() const {
  if (pairs_connected != pairs || !errors.empty()) return false;
  if (sctp_send_errors != 0 || dtls_send_errors != 0) return false;
  for (const ChannelFigures& c : channels) {
    if (c.duplicated != 0 || c.corrupted != 0) return false;
    if (c.reliable && c.lost != 0) return false;
    if (c.ordered && c.out_of_order != 0) return false;
  }
  return true;
}

std::string DataChannelCallResult::Summary() const {
  std::string out;
  absl::StrAppend(&out, "rtcsim data-channel call: ", pairs, " pair(s), ", pairs_connected,
                  " connected — ", ok() ? "OK" : "FAILED", "\n");
  absl::StrAppend(&out, "  connect time (virtual): ", Ms(connect_time));
  if (pairs > 1) absl::StrAppend(&out, ", worst pair ", Ms(worst_connect_time));
  absl::StrAppend(&out, "; channels open at ", Ms(channels_open_time), "; traffic done at ",
                  Ms(traffic_done_time), "\n");
  absl::StrAppend(&out, "  selected pair: ", selected_pair.empty() ? "(none)" : selected_pair,
                  "\n");
  absl::StrAppend(&out,
                  "  channel              sent  delivered   lost  out-of-order  dup  corrupt\n");
  for (const ChannelFigures& c : channels) {
    absl::StrAppend(&out,
                    absl::StrFormat("  %-18s %7d  %9d  %5d  %12d  %3d  %7d\n", c.label, c.sent,
                                    c.received, c.lost, c.out_of_order, c.duplicated, c.corrupted));
  }
  absl::StrAppend(&out, "  messages delivered: ", messages_delivered,
                  "; SCTP DATA retransmissions: ", sctp_data_retransmissions, " (of ",
                  sctp_packets_sent, " packets); DTLS retransmissions: ", dtls_retransmissions,
                  "; ICE check retransmissions: ", ice_check_retransmissions, "\n");
  absl::StrAppend(&out, "  signalling messages: ", signaling_messages, " (", candidates_trickled,
                  " candidates trickled); channels closed cleanly: ",
                  channels_closed_cleanly ? "yes" : "no", "\n");
  if (heap_bytes_per_peer_connection > 0) {
    absl::StrAppend(&out, "  heap per PeerConnection: ",
                    absl::StrFormat("%.1f KiB", heap_bytes_per_peer_connection / 1024.0), "\n");
  }
  absl::StrAppend(&out, "  trace hash: ", trace_hash, " (", trace_events, " events), ",
                  Ms(virtual_time), " virtual in ", absl::StrFormat("%.2f", wall_seconds),
                  " s wall\n");
  for (const std::string& e : errors) absl::StrAppend(&out, "  error: ", e, "\n");
  return out;
}

std::string DataChannelCallResult::Json() const {
  std::vector<std::string> chans;
  for (const ChannelFigures& c : channels) {
    chans.push_back(absl::StrFormat(
        "{\"label\":%s,\"ordered\":%s,\"reliable\":%s,\"sent\":%d,\"received\":%d,\"lost\":%d,"
        "\"out_of_order\":%d,\"duplicated\":%d,\"corrupted\":%d,\"bytes_received\":%d}",
        pc::JsonQuote(c.label), c.ordered ? "true" : "false", c.reliable ? "true" : "false", c.sent,
        c.received, c.lost, c.out_of_order, c.duplicated, c.corrupted, c.bytes_received));
  }
  std::vector<std::string> errs;
  for (const std::string& e : errors) errs.push_back(pc::JsonQuote(e));
  return absl::StrFormat(
      "{\"ok\":%s,\"pairs\":%d,\"pairs_connected\":%d,\"connect_time_ms\":%.3f,"
      "\"worst_connect_time_ms\":%.3f,\"channels_open_ms\":%.3f,\"traffic_done_ms\":%.3f,"
      "\"selected_pair\":%s,\"messages_delivered\":%d,\"sctp_data_retransmissions\":%d,"
      "\"sctp_packets_sent\":%d,\"sctp_send_errors\":%d,\"dtls_send_errors\":%d,\"dtls_"
      "retransmissions\":%d,\"ice_check_retransmissions\":%d,"
      "\"signaling_messages\":%d,\"candidates_trickled\":%d,\"channels_closed_cleanly\":%s,"
      "\"heap_bytes_per_peer_connection\":%d,\"trace_hash\":\"%s\",\"trace_events\":%d,"
      "\"virtual_time_ms\":%.3f,\"wall_seconds\":%.3f,\"channels\":[%s],\"errors\":[%s]}\n",
      ok() ? "true" : "false", pairs, pairs_connected, connect_time.us() / 1000.0,
      worst_connect_time.us() / 1000.0, channels_open_time.us() / 1000.0,
      traffic_done_time.us() / 1000.0, pc::JsonQuote(selected_pair), messages_delivered,
      sctp_data_retransmissions, sctp_packets_sent, sctp_send_errors, dtls_send_errors,
      dtls_retransmissions, ice_check_retransmissions, signaling_messages, candidates_trickled,
      channels_closed_cleanly ? "true" : "false", heap_bytes_per_peer_connection, trace_hash,
      trace_events, virtual_time.us() / 1000.0, wall_seconds, absl::StrJoin(chans, ","),
      absl::StrJoin(errs, ","));
}

absl::StatusOr<DataChannelCallResult> RunDataChannelCall(const DataChannelCallConfig& config) {
  Call call(config);
  return call.Run();
}

}  // namespace rtcsim::scenarios
