#include "scenarios/runner/scenario_runner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/env/status_macros.h"
#include "stack/pc/peer_connection.h"
#include "stack/pc/rtc_stats.h"
#include "stack/stun/stun_server.h"
#include "stack/turn/turn_server.h"

namespace rtcsim::scenarios {
namespace {

// Keep this much queued per channel when sending as fast as possible;
// refill at the low-water mark.
constexpr size_t kHighWater = 128 * 1024;
constexpr size_t kLowWater = 32 * 1024;
// Message header: sender side (1), channel (1), sequence number (4), send
// time in µs (8). The rest is a pattern derived from them.
constexpr size_t kHeader = 14;
// A partially reliable direction is done once idle this long.
constexpr TimeDelta kSettle = TimeDelta::Seconds(3);
constexpr TimeDelta kStep = TimeDelta::Millis(10);
constexpr TimeDelta kSample = TimeDelta::Millis(250);
// The implicit channel when the offerer declares none: an m=application
// section needs a channel to be negotiated.
constexpr char kImplicitLabel[] = "rtcsim-negotiation";

double Seconds(TimeDelta d) { return d.us() / 1e6; }
std::string MsText(TimeDelta d) { return absl::StrFormat("%.1f ms", d.us() / 1000.0); }

std::string TypeName(ice::CandidateType t) { return ice::ToString(t); }

uint32_t MessageSize(const ChannelModel& c, uint32_t seq) {
  const uint32_t span = c.max_size - c.min_size + 1;
  return c.min_size + static_cast<uint32_t>((static_cast<uint64_t>(seq) * 7919) % span);
}

uint8_t PatternByte(uint32_t seq, size_t k, int side, int channel) {
  return static_cast<uint8_t>(seq * 31 + k * 7 + side * 101 + channel * 13);
}

// One direction of one channel as seen from one side.
struct ChannelEnd {
  const ChannelModel* spec = nullptr;
  int owner = 0;  // the side that declared the channel
  std::shared_ptr<sctp::DataChannel> channel;
  bool sends = false;  // this side sends on it
  uint32_t next_to_send = 0;
  std::optional<Timestamp> send_from;  // opened + start delay
  std::set<uint32_t> seen;
  std::optional<uint32_t> highest;
  Timestamp last_activity;
  bool rate_timer = false;
};

struct Side {
  int peer = 0;
  simnet::Host* host = nullptr;
  std::unique_ptr<pc::PeerConnection> pc;
  std::vector<ChannelEnd> ends;  // the offerer's channels, then the answerer's
  std::vector<std::pair<Timestamp, pc::PeerConnectionState>> states;
  std::vector<pc::IceCandidate> held;  // non-trickle: until gathering completes
  std::optional<pc::SessionDescription> held_sdp;
  uint64_t bytes_received = 0;
};

struct CallRun {
  const CallModel* model = nullptr;
  int index = 0;
  Side side[2];
  Timestamp started;
  bool started_yet = false;
  bool answerer_channels_created = false;
  bool restart_pending = false;
  bool closed_by_event = false;  // a close_peer event closed one side
  // Signalling: per direction, the time the last message was delivered
  // (messages stay in order, as on one WebSocket).
  Timestamp last_delivery[2];
};

class Runner {
 public:
  Runner(const Model& model, const RunOptions& options)
      : m_(model),
        o_(options),
        seed_(options.seed.value_or(model.seed)),
        net_(seed_),
        signaling_rng_(net_.CreateRandom("scenario/signaling")) {}

  absl::StatusOr<ScenarioResult> Run() {
    const auto wall_start = std::chrono::steady_clock::now();
    const TimeDelta duration = o_.duration.value_or(m_.duration);
    net_.trace().EnableJson(!o_.out_dir.empty());
    RETURN_IF_ERROR(Build());
    for (size_t i = 0; i < m_.calls.size(); ++i) {
      auto call = std::make_unique<CallRun>();
      call->model = &m_.calls[i];
      call->index = static_cast<int>(i);
      CallRun* c = call.get();
      calls_.push_back(std::move(call));
      net_.loop().Schedule(Timestamp::Zero() + c->model->at, [this, c] { StartCall(*c); });
    }
    for (const EventModel& e : m_.events) {
      net_.loop().Schedule(Timestamp::Zero() + e.at, [this, &e] { Apply(e); });
    }
    const Timestamp end = Timestamp::Zero() + duration;
    Timestamp next_progress = Timestamp::Zero() + o_.progress_interval;
    Timestamp next_sample = Timestamp::Zero();
    Sample();
    while (net_.now() < end) {
      net_.RunFor(std::min(kStep, end - net_.now()));
      if (net_.now() >= next_sample + kSample) {
        next_sample = net_.now();
        Sample();
      }
      if (o_.progress_interval > TimeDelta::Zero() && net_.now() >= next_progress) {
        next_progress = net_.now() + o_.progress_interval;
        std::fprintf(stderr, "  [%6.1f s virtual] %d/%zu calls connected, %llu messages\n",
                     Seconds(net_.now() - Timestamp::Zero()), ConnectedCalls(), calls_.size(),
                     static_cast<unsigned long long>(Delivered()));
      }
      if (!m_.run_full_duration && Finished()) break;
    }
    Sample();
    ScenarioResult r = Collect();
    r.wall_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    if (!o_.out_dir.empty()) RETURN_IF_ERROR(WriteFiles(r));
    return r;
  }

 private:
  // --- the network

  absl::Status Build() {
    for (const NodeModel& n : m_.nodes) {
      simnet::Node* node = nullptr;
      switch (n.kind) {
        case NodeModel::Kind::kRouter: {
          ASSIGN_OR_RETURN(simnet::Router * r, net_.AddRouter(n.name, n.addresses));
          node = r;
          break;
        }
        case NodeModel::Kind::kNat: {
          ASSIGN_OR_RETURN(simnet::Nat * x, net_.AddNat(n.name, n.nat));
          nats_[n.name] = x;
          node = x;
          break;
        }
        case NodeModel::Kind::kFirewall: {
          ASSIGN_OR_RETURN(simnet::Firewall * f, net_.AddFirewall(n.name, n.firewall));
          node = f;
          break;
        }
        case NodeModel::Kind::kHost:
        case NodeModel::Kind::kStunServer:
        case NodeModel::Kind::kTurnServer: {
          ASSIGN_OR_RETURN(simnet::Host * h, net_.AddHost(n.name, n.addresses));
          hosts_[n.name] = h;
          node = h;
          break;
        }
      }
      nodes_[n.name] = node;
      if (n.parent.empty()) continue;
      const LinkModel* lm = nullptr;
      for (const LinkModel& l : m_.links) {
        if (l.from == n.name) lm = &l;
      }
      if (lm == nullptr) return absl::InternalError(absl::StrCat("no link for ", n.name));
      ASSIGN_OR_RETURN(simnet::Link * link, net_.Connect(node, nodes_[n.parent], lm->up));
      RETURN_IF_ERROR(link->SetParams(1, lm->down));
      links_[lm->name] = link;
      link_order_.push_back(lm->name);
    }
    for (const NodeModel& n : m_.nodes) {
      simnet::Host* h = n.kind == NodeModel::Kind::kHost ? nullptr : hosts_[n.name];
      if (n.kind == NodeModel::Kind::kStunServer) {
        ASSIGN_OR_RETURN(auto s, stun::StunBindingServer::Create(
                                     h->env(), SocketAddress(n.addresses[0], n.port)));
        stun_servers_.push_back(std::move(s));
      } else if (n.kind == NodeModel::Kind::kTurnServer) {
        turn::TurnServerConfig tc;
        tc.listen = SocketAddress(n.addresses[0], n.port);
        tc.realm = n.realm;
        tc.users = n.users;
        ASSIGN_OR_RETURN(auto s, turn::TurnServer::Create(h->env(), tc));
        turn_servers_.push_back(std::move(s));
      }
    }
    if (!o_.out_dir.empty()) {
      // Every host a peer runs on, and the servers.
      std::set<std::string> captured;
      for (const PeerModel& p : m_.peers) captured.insert(p.host);
      for (const NodeModel& n : m_.nodes) {
        if (n.kind == NodeModel::Kind::kHost && !captured.contains(n.name)) continue;
        if (n.kind == NodeModel::Kind::kHost || n.kind == NodeModel::Kind::kStunServer ||
            n.kind == NodeModel::Kind::kTurnServer) {
          captures_.push_back({absl::StrCat(n.name, ".pcapng"), net_.CaptureHost(hosts_[n.name])});
        }
      }
    }
    return absl::OkStatus();
  }

  // --- calls

  void Error(absl::string_view text) {
    if (errors_.size() < 50) {
      errors_.push_back(
          absl::StrFormat("%.3f s: %s", Seconds(net_.now() - Timestamp::Zero()), text));
    }
  }

  const PeerModel& PeerOf(const CallRun& c, int s) const { return m_.peers[c.side[s].peer]; }

  // Delivers `deliver` on the far side after the signalling delay; a lost
  // message is sent again after the retransmission timeout, doubling.
  void Signal(CallRun& c, int from, std::function<void()> deliver) {
    ++signaling_messages_;
    const SignalingModel& s = m_.signaling;
    TimeDelta wait = TimeDelta::Zero();
    TimeDelta rto = s.retransmit;
    const auto loss = Probability::FromDouble(s.loss);
    for (int tries = 0; s.loss > 0 && signaling_rng_.Bernoulli(loss) && tries < 16; ++tries) {
      ++signaling_lost_;
      wait = wait + rto;
      rto = rto * 2;
    }
    TimeDelta jitter = TimeDelta::Zero();
    if (s.jitter > TimeDelta::Zero()) {
      jitter = TimeDelta::Micros(
          static_cast<int64_t>(signaling_rng_.Uniform(static_cast<uint64_t>(s.jitter.us()) + 1)));
    }
    Timestamp at = std::max(net_.now() + wait + s.delay + jitter, c.last_delivery[from]);
    c.last_delivery[from] = at;
    net_.loop().Schedule(at, std::move(deliver));
  }

  void StartCall(CallRun& c) {
    c.started = net_.now();
    c.started_yet = true;
    c.side[0].peer = c.model->offerer;
    c.side[1].peer = c.model->answerer;
    for (int s = 0; s < 2; ++s) {
      Side& me = c.side[s];
      const PeerModel& peer = m_.peers[me.peer];
      me.host = hosts_[peer.host];
      pc::PeerConnectionConfig config;
      config.ice_servers = peer.ice_servers;
      config.ice_transport_policy = peer.policy;
      config.name = absl::StrCat(peer.name, "/c", c.index);
      config.dtls_key_log = [this](absl::string_view line) {
        if (!o_.out_dir.empty()) absl::StrAppend(&key_log_, line, "\n");
      };
      pc::PeerConnectionCallbacks cb;
      CallRun* call = &c;
      cb.on_ice_candidate = [this, call, s](const pc::IceCandidate& cand) {
        OnCandidate(*call, s, cand);
      };
      cb.on_connection_state = [this, call, s](pc::PeerConnectionState state) {
        OnState(*call, s, state);
      };
      cb.on_data_channel = [this, call, s](std::shared_ptr<sctp::DataChannel> ch) {
        OnDataChannel(*call, s, std::move(ch));
      };
      if (s == 0) cb.on_negotiation_needed = [this, call] { Offer(*call); };
      auto created = pc::PeerConnection::Create(me.host->env(), config, std::move(cb));
      if (!created.ok()) {
        Error(absl::StrCat(peer.name, ": RTCPeerConnection: ", created.status().message()));
        return;
      }
      me.pc = std::move(*created);
      me.states.push_back({net_.now(), pc::PeerConnectionState::kNew});
    }
    // Channel ends: the offerer's declared channels, then the answerer's.
    std::vector<std::pair<int, const ChannelModel*>> all;
    for (const ChannelModel& ch : PeerOf(c, 0).channels) all.push_back({0, &ch});
    if (PeerOf(c, 0).channels.empty()) {
      static const ChannelModel* implicit = [] {
        auto* ch = new ChannelModel;
        ch->label = kImplicitLabel;
        return ch;
      }();
      all.push_back({0, implicit});
    }
    for (const ChannelModel& ch : PeerOf(c, 1).channels) all.push_back({1, &ch});
    for (int s = 0; s < 2; ++s) {
      for (const auto& [owner, spec] : all) {
        ChannelEnd e;
        e.spec = spec;
        e.owner = owner;
        e.sends = spec->count > 0 && (owner == s || spec->both_directions);
        e.last_activity = net_.now();
        c.side[s].ends.push_back(std::move(e));
      }
    }
    Note(c.side[0].host, absl::StrCat("call ", c.model->name, " starts"));
    CreateChannels(c, 0);
  }

  // Side s creates the channels it owns, and its half of negotiated ones.
  void CreateChannels(CallRun& c, int s) {
    Side& me = c.side[s];
    for (size_t k = 0; k < me.ends.size(); ++k) {
      ChannelEnd& e = me.ends[k];
      if (e.owner != s && !e.spec->negotiated_id.has_value()) continue;
      sctp::DataChannelInit init = e.spec->init;
      if (e.spec->negotiated_id.has_value()) {
        init.negotiated = true;
        init.id = e.spec->negotiated_id;
      }
      auto ch = me.pc->CreateDataChannel(e.spec->label, init);
      if (!ch.ok()) {
        Error(absl::StrCat(m_.peers[me.peer].name, ": createDataChannel(\"", e.spec->label,
                           "\"): ", ch.status().message()));
        continue;
      }
      Attach(c, s, static_cast<int>(k), std::move(*ch));
    }
  }

  void Offer(CallRun& c) {
    Side& a = c.side[0];
    if (a.pc == nullptr || a.pc->signaling_state() != pc::SignalingState::kStable) return;
    absl::Status st = a.pc->SetLocalDescription();
    if (!st.ok())
      return Error(absl::StrCat(PeerOf(c, 0).name, ": setLocalDescription(offer): ", st.message()));
    SendDescription(c, 0, *a.pc->local_description());
  }

  void SendDescription(CallRun& c, int s, const pc::SessionDescription& desc) {
    if (!m_.signaling.trickle) {
      // Candidates go with the description once gathering completes.
      c.side[s].held_sdp = desc;
      c.side[s].held.clear();
      return;
    }
    CallRun* call = &c;
    Signal(c, s, [this, call, s, desc] { OnDescription(*call, 1 - s, desc, {}); });
  }

  void OnDescription(CallRun& c, int s, const pc::SessionDescription& desc,
                     const std::vector<pc::IceCandidate>& candidates) {
    Side& me = c.side[s];
    if (me.pc == nullptr) return;
    const std::string who = PeerOf(c, s).name;
    absl::Status st = me.pc->SetRemoteDescription(desc);
    if (!st.ok()) return Error(absl::StrCat(who, ": setRemoteDescription: ", st.message()));
    for (const pc::IceCandidate& cand : candidates) AddCandidate(c, s, cand);
    if (s == 0) return;  // the offerer got its answer
    if (!c.answerer_channels_created) {
      c.answerer_channels_created = true;
      CreateChannels(c, 1);
    }
    st = me.pc->SetLocalDescription();
    if (!st.ok()) return Error(absl::StrCat(who, ": setLocalDescription(answer): ", st.message()));
    SendDescription(c, 1, *me.pc->local_description());
  }

  void AddCandidate(CallRun& c, int s, const pc::IceCandidate& cand) {
    Side& me = c.side[s];
    if (me.pc == nullptr || me.pc->connection_state() == pc::PeerConnectionState::kClosed) return;
    absl::Status st = me.pc->AddIceCandidate(cand);
    if (!st.ok()) Error(absl::StrCat(PeerOf(c, s).name, ": addIceCandidate: ", st.message()));
  }

  void OnCandidate(CallRun& c, int s, const pc::IceCandidate& cand) {
    Side& me = c.side[s];
    CallRun* call = &c;
    if (!m_.signaling.trickle) {
      if (!cand.candidate.empty()) {
        me.held.push_back(cand);
        return;
      }
      if (!me.held_sdp.has_value()) return;
      // End of gathering: the description and every candidate, at once.
      pc::SessionDescription desc = *me.held_sdp;
      std::vector<pc::IceCandidate> cands = std::move(me.held);
      me.held_sdp.reset();
      me.held.clear();
      Signal(c, s, [this, call, s, desc, cands] { OnDescription(*call, 1 - s, desc, cands); });
      return;
    }
    if (!cand.candidate.empty()) ++candidates_trickled_;
    Signal(c, s, [this, call, s, cand] { AddCandidate(*call, 1 - s, cand); });
  }

  void OnState(CallRun& c, int s, pc::PeerConnectionState state) {
    Side& me = c.side[s];
    me.states.push_back({net_.now(), state});
    Note(me.host, absl::StrCat(PeerOf(c, s).name, " (", c.model->name,
                               ") connectionState: ", pc::ToString(state)));
    if (state == pc::PeerConnectionState::kFailed &&
        (PeerOf(c, 0).restart_ice_on_failure || PeerOf(c, 1).restart_ice_on_failure) &&
        !c.restart_pending) {
      // As an application does: on "failed", the offerer restarts ICE (a
      // task, not from inside the state callback).
      c.restart_pending = true;
      CallRun* call = &c;
      net_.loop().ScheduleAfter(TimeDelta::Zero(), [this, call] {
        call->restart_pending = false;
        RestartIce(*call);
      });
    }
  }

  void RestartIce(CallRun& c) {
    if (c.side[0].pc == nullptr ||
        c.side[0].pc->connection_state() == pc::PeerConnectionState::kClosed) {
      return;
    }
    ++ice_restarts_requested_;
    Note(c.side[0].host, absl::StrCat(PeerOf(c, 0).name, " (", c.model->name, ") restartIce()"));
    c.side[0].pc->RestartIce();  // negotiationneeded → Offer()
  }

  void OnDataChannel(CallRun& c, int s, std::shared_ptr<sctp::DataChannel> ch) {
    // In-band channels on side s were created by the other side, whose
    // labels are unique.
    Side& me = c.side[s];
    for (size_t k = 0; k < me.ends.size(); ++k) {
      ChannelEnd& e = me.ends[k];
      if (e.owner == 1 - s && !e.spec->negotiated_id.has_value() && e.channel == nullptr &&
          e.spec->label == ch->label()) {
        Attach(c, s, static_cast<int>(k), std::move(ch));
        return;
      }
    }
    Error(absl::StrCat(PeerOf(c, s).name, ": unexpected data channel \"", ch->label(), "\""));
  }

  void Attach(CallRun& c, int s, int k, std::shared_ptr<sctp::DataChannel> ch) {
    ChannelEnd& e = c.side[s].ends[k];
    e.channel = ch;
    CallRun* call = &c;
    ch->set_buffered_amount_low_threshold(kLowWater);
    ch->set_on_open([this, call, s, k] { OnOpen(*call, s, k); });
    ch->set_on_buffered_amount_low([this, call, s, k] { Pump(*call, s, k); });
    ch->set_on_message(
        [this, call, s, k](absl::Span<const uint8_t> data, bool) { OnMessage(*call, s, k, data); });
    if (ch->state() == sctp::DataChannelState::kOpen) OnOpen(c, s, k);
  }

  void OnOpen(CallRun& c, int s, int k) {
    ChannelEnd& e = c.side[s].ends[k];
    if (!e.sends || e.send_from.has_value()) return;
    e.send_from = net_.now() + e.spec->start;
    CallRun* call = &c;
    net_.loop().Schedule(*e.send_from, [this, call, s, k] { Pump(*call, s, k); });
  }

  void Pump(CallRun& c, int s, int k) {
    ChannelEnd& e = c.side[s].ends[k];
    if (!e.sends || !e.send_from.has_value() || net_.now() < *e.send_from) return;
    const ChannelModel& spec = *e.spec;
    if (spec.rate_per_s > 0) {
      if (e.rate_timer) return;
      e.rate_timer = true;
      SendPaced(c, s, k);
      return;
    }
    while (e.channel->state() == sctp::DataChannelState::kOpen && e.next_to_send < spec.count &&
           e.channel->buffered_amount() < kHighWater) {
      if (!SendOne(c, s, k)) return;
    }
  }

  void SendPaced(CallRun& c, int s, int k) {
    ChannelEnd& e = c.side[s].ends[k];
    if (e.next_to_send >= e.spec->count) return;
    if (e.channel->state() == sctp::DataChannelState::kOpen) {
      SendOne(c, s, k);
    } else if (e.channel->state() != sctp::DataChannelState::kConnecting) {
      if (!c.closed_by_event) {
        Error(absl::StrCat(PeerOf(c, s).name, " (", c.model->name, "): channel \"", e.spec->label,
                           "\" closed with ", e.spec->count - e.next_to_send,
                           " messages still to send"));
      }
      return;
    }
    const TimeDelta interval =
        TimeDelta::Micros(std::max<int64_t>(1, std::llround(1e6 / e.spec->rate_per_s)));
    CallRun* call = &c;
    net_.loop().ScheduleAfter(interval, [this, call, s, k] { SendPaced(*call, s, k); });
  }

  bool SendOne(CallRun& c, int s, int k) {
    ChannelEnd& e = c.side[s].ends[k];
    const uint32_t seq = e.next_to_send;
    std::vector<uint8_t> m(MessageSize(*e.spec, seq));
    const int64_t now_us = (net_.now() - Timestamp::Zero()).us();
    m[0] = static_cast<uint8_t>(s);
    m[1] = static_cast<uint8_t>(k);
    for (int i = 0; i < 4; ++i) m[2 + i] = static_cast<uint8_t>(seq >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i) m[6 + i] = static_cast<uint8_t>(now_us >> (56 - 8 * i));
    for (size_t i = kHeader; i < m.size(); ++i) m[i] = PatternByte(seq, i, s, k);
    absl::Status st = e.channel->SendBinary(m);
    if (!st.ok()) {
      Error(absl::StrCat(PeerOf(c, s).name, ": send on \"", e.spec->label, "\": ", st.message()));
      e.next_to_send = e.spec->count;  // give up on this direction
      return false;
    }
    ++e.next_to_send;
    e.last_activity = net_.now();
    return true;
  }

  void OnMessage(CallRun& c, int s, int k, absl::Span<const uint8_t> data) {
    ChannelEnd& e = c.side[s].ends[k];
    c.side[s].bytes_received += data.size();
    e.last_activity = net_.now();
    const std::string where =
        absl::StrCat(PeerOf(c, s).name, " (", c.model->name, ") on \"", e.spec->label, "\"");
    if (e.spec->label == kImplicitLabel) return;
    if (data.size() < kHeader || data[0] != 1 - s || data[1] != k) {
      return Error(
          absl::StrCat(where, ": a foreign or corrupted message of ", data.size(), " bytes"));
    }
    uint32_t seq = 0;
    for (int i = 0; i < 4; ++i) seq = (seq << 8) | data[2 + i];
    int64_t sent_us = 0;
    for (int i = 0; i < 8; ++i) sent_us = (sent_us << 8) | data[6 + i];
    bool intact = seq < e.spec->count && data.size() == MessageSize(*e.spec, seq);
    for (size_t i = kHeader; intact && i < data.size(); ++i) {
      intact = data[i] == PatternByte(seq, i, 1 - s, k);
    }
    if (!intact) return Error(absl::StrCat(where, ": message ", seq, " corrupted"));
    if (!e.seen.insert(seq).second) {
      if (++duplicates_ <= 3) Error(absl::StrCat(where, ": message ", seq, " delivered twice"));
      return;
    }
    if (e.spec->init.ordered && e.highest.has_value() && seq < *e.highest) {
      if (++reordered_ <= 3) {
        Error(absl::StrCat(where, ": message ", seq, " after ", *e.highest,
                           " on an ordered channel"));
      }
    }
    e.highest = std::max(seq, e.highest.value_or(0));
    PeerTally(c.side[s].peer, e.spec->label)
        .latencies_us.push_back((net_.now() - Timestamp::Zero()).us() - sent_us);
  }

  ChannelTally& PeerTally(int peer, const std::string& label) { return tallies_[peer][label]; }

  // --- the timeline

  void Note(simnet::Host* host, absl::string_view text) {
    net_.trace().Note(net_.now(), host != nullptr ? host->trace_id() : 0, text);
  }

  void Apply(const EventModel& e) {
    applied_events_.push_back({net_.now(), e.text});
    net_.trace().Note(net_.now(), 0, absl::StrCat("timeline: ", e.text));
    for (const std::string& t : e.targets) {
      switch (e.kind) {
        case EventModel::Kind::kLinkChange: {
          simnet::Link* l = links_[t];
          for (int side = 0; side < 2; ++side) {
            absl::Status st = l->SetParams(side, ApplyLinkParams(l->params(side), e.change));
            if (!st.ok()) Error(absl::StrCat("timeline: link ", t, ": ", st.message()));
          }
          break;
        }
        case EventModel::Kind::kLinkDown:
          links_[t]->SetUp(false);
          break;
        case EventModel::Kind::kLinkUp:
          links_[t]->SetUp(true);
          break;
        case EventModel::Kind::kHostAddress: {
          absl::Status st = net_.SetHostAddresses(hosts_[t], {e.address});
          if (!st.ok()) Error(absl::StrCat("timeline: host ", t, ": ", st.message()));
          break;
        }
        case EventModel::Kind::kNatReboot:
          nats_[t]->DropAllMappings();
          break;
        case EventModel::Kind::kRestartIce:
          for (auto& c : calls_) {
            if (!c->started_yet) continue;
            if (m_.peers[c->side[0].peer].name == t || m_.peers[c->side[1].peer].name == t) {
              RestartIce(*c);
            }
          }
          break;
        case EventModel::Kind::kClosePeer:
          for (auto& c : calls_) {
            for (Side& side : c->side) {
              if (c->started_yet && side.pc != nullptr && m_.peers[side.peer].name == t) {
                c->closed_by_event = true;
                side.pc->Close();
                side.states.push_back({net_.now(), pc::PeerConnectionState::kClosed});
              }
            }
          }
          break;
      }
    }
  }

  // --- progress and the end

  int ConnectedCalls() const {
    int n = 0;
    for (const auto& c : calls_) {
      if (c->started_yet && c->side[0].pc != nullptr && c->side[1].pc != nullptr &&
          c->side[0].pc->connection_state() == pc::PeerConnectionState::kConnected &&
          c->side[1].pc->connection_state() == pc::PeerConnectionState::kConnected) {
        ++n;
      }
    }
    return n;
  }

  uint64_t Delivered() const {
    uint64_t n = 0;
    for (const auto& c : calls_) {
      for (const Side& s : c->side) {
        for (const ChannelEnd& e : s.ends) n += e.seen.size();
      }
    }
    return n;
  }

  // Every event applied (and a moment passed since the last one: a restart
  // it asked for starts from a task), and every call settled: both sides
  // failed for good or closed, or both connected with their traffic done.
  // A side still connected while the other failed or closed is waited for:
  // it learns through consent freshness (RFC 7675), which takes 30 s.
  bool Finished() const {
    if (applied_events_.size() < m_.events.size()) return false;
    if (!applied_events_.empty() && net_.now() - applied_events_.back().first < kSettle) {
      return false;
    }
    for (const auto& c : calls_) {
      if (!c->started_yet || c->restart_pending) return false;
      const bool restarts = m_.peers[c->side[0].peer].restart_ice_on_failure ||
                            m_.peers[c->side[1].peer].restart_ice_on_failure;
      int final_sides = 0, connected_sides = 0;
      for (const Side& s : c->side) {
        const pc::PeerConnectionState state =
            s.pc == nullptr ? pc::PeerConnectionState::kClosed : s.pc->connection_state();
        if (state == pc::PeerConnectionState::kClosed ||
            (state == pc::PeerConnectionState::kFailed && !restarts)) {
          ++final_sides;
        } else if (state == pc::PeerConnectionState::kConnected) {
          ++connected_sides;
        }
      }
      if (final_sides == 2) continue;
      if (connected_sides < 2 || !TrafficDone(*c)) return false;
    }
    return true;
  }

  bool TrafficDone(const CallRun& c) const {
    for (int s = 0; s < 2; ++s) {
      const Side& me = c.side[s];
      const Side& them = c.side[1 - s];
      for (size_t k = 0; k < me.ends.size(); ++k) {
        const ChannelEnd& e = me.ends[k];
        if (!e.sends) continue;
        if (e.channel == nullptr || e.next_to_send < e.spec->count) return false;
        const ChannelEnd& far = them.ends[k];
        if (far.seen.size() >= e.spec->count) continue;
        if (e.spec->reliable()) return false;
        if (net_.now() - std::max(far.last_activity, e.last_activity) < kSettle) return false;
      }
    }
    return true;
  }

  // --- time series for the report

  void Sample() {
    const double t = Seconds(net_.now() - Timestamp::Zero());
    // Throughput: bytes each peer received since the last sample.
    std::vector<uint64_t> bytes(m_.peers.size(), 0);
    for (const auto& c : calls_) {
      for (const Side& s : c->side) {
        if (c->started_yet) bytes[s.peer] += s.bytes_received;
      }
    }
    if (throughput_.empty()) {
      throughput_.resize(m_.peers.size());
      last_bytes_.assign(m_.peers.size(), 0);
    }
    const double dt = std::max(1e-9, t - last_sample_t_);
    if (t > last_sample_t_) {
      for (size_t p = 0; p < m_.peers.size(); ++p) {
        throughput_[p].push_back({t, (bytes[p] - last_bytes_[p]) * 8 / 1000.0 / dt});
      }
    }
    last_bytes_ = bytes;
    // RTT of each call's selected pair, from the offerer.
    if (rtt_.empty()) rtt_.resize(calls_.size());
    for (size_t i = 0; i < calls_.size(); ++i) {
      const CallRun& c = *calls_[i];
      if (!c.started_yet || c.side[0].pc == nullptr) continue;
      if (auto sel = c.side[0].pc->selected_candidate_pair();
          sel.has_value() && sel->rtt > TimeDelta::Zero() &&
          c.side[0].pc->connection_state() == pc::PeerConnectionState::kConnected) {
        rtt_[i].push_back({t, sel->rtt.us() / 1000.0});
      }
    }
    // Loss per link direction over the interval.
    if (loss_.empty()) {
      loss_.resize(link_order_.size() * 2);
      last_link_.assign(link_order_.size() * 2, {0, 0});
    }
    for (size_t i = 0; i < link_order_.size(); ++i) {
      const simnet::Link* l = links_.at(link_order_[i]);
      for (int d = 0; d < 2; ++d) {
        const simnet::LinkStats& st = l->stats(d);
        const uint64_t dropped = st.lost + st.queue_drops + st.down_drops + st.mtu_drops;
        auto& [last_offered, last_dropped] = last_link_[i * 2 + d];
        const uint64_t offered = st.offered - last_offered;
        if (t > last_sample_t_ && offered > 0) {
          loss_[i * 2 + d].push_back({t, 100.0 * (dropped - last_dropped) / offered});
        }
        last_offered = st.offered;
        last_dropped = dropped;
      }
    }
    last_sample_t_ = t;
  }

  // --- results

  ScenarioResult Collect();
  void Evaluate(ScenarioResult& r);
  absl::Status WriteFiles(ScenarioResult& r);

  const Model& m_;
  const RunOptions& o_;
  const uint64_t seed_;
  simnet::Network net_;
  Random signaling_rng_;
  absl::flat_hash_map<std::string, simnet::Node*> nodes_;
  absl::flat_hash_map<std::string, simnet::Host*> hosts_;
  absl::flat_hash_map<std::string, simnet::Nat*> nats_;
  absl::flat_hash_map<std::string, simnet::Link*> links_;
  std::vector<std::string> link_order_;
  std::vector<std::unique_ptr<stun::StunBindingServer>> stun_servers_;
  std::vector<std::unique_ptr<turn::TurnServer>> turn_servers_;
  std::vector<std::pair<std::string, simnet::PcapngWriter*>> captures_;
  std::vector<std::unique_ptr<CallRun>> calls_;
  std::vector<std::pair<Timestamp, std::string>> applied_events_;
  std::map<int, std::map<std::string, ChannelTally>> tallies_;
  std::vector<std::string> errors_;
  std::string key_log_;
  uint64_t signaling_messages_ = 0, signaling_lost_ = 0, candidates_trickled_ = 0;
  uint64_t duplicates_ = 0, reordered_ = 0, ice_restarts_requested_ = 0;
  // Report series.
  double last_sample_t_ = 0;
  std::vector<std::vector<ReportPoint>> throughput_, rtt_, loss_;
  std::vector<uint64_t> last_bytes_;
  std::vector<std::pair<uint64_t, uint64_t>> last_link_;
};

ScenarioResult Runner::Collect() {
  ScenarioResult r;
  r.name = m_.name;
  r.file = m_.file;
  r.seed = seed_;
  r.trace_hash = net_.trace().HashHex();
  r.trace_events = net_.trace().events();
  r.virtual_time = net_.now() - Timestamp::Zero();
  for (const PeerModel& p : m_.peers) r.peers.push_back({p.name, {}});
  for (const auto& c : calls_) {
    for (int s = 0; s < 2 && c->started_yet; ++s) {
      const Side& me = c->side[s];
      PcResult pr;
      pr.peer = m_.peers[me.peer].name;
      pr.call = c->model->name;
      pr.offerer = s == 0;
      for (const auto& [t, state] : me.states) {
        pr.states.push_back({t - c->started, pc::ToString(state)});
        if (state == pc::PeerConnectionState::kConnected && !pr.connected_after.has_value()) {
          pr.connected_after = t - c->started;
        }
        if (state == pc::PeerConnectionState::kFailed && !pr.failed_after.has_value()) {
          pr.failed_after = t - c->started;
        }
      }
      if (me.pc != nullptr) {
        pr.final_state = pc::ToString(me.pc->connection_state());
        if (auto sel = me.pc->selected_candidate_pair(); sel.has_value()) {
          pr.local_type = TypeName(sel->local.type);
          pr.remote_type = TypeName(sel->remote.type);
          pr.selected_pair =
              absl::StrCat(pr.local_type, " ", sel->local.address.ToString(), " <-> ",
                           pr.remote_type, " ", sel->remote.address.ToString());
          pr.rtt = sel->rtt;
        }
        if (const auto* st = me.pc->sctp_stats(); st != nullptr) {
          pr.sctp_retransmissions = st->data_retransmissions;
        }
        if (const auto* st = me.pc->ice_stats(); st != nullptr) pr.ice_restarts = st->ice_restarts;
      } else {
        pr.final_state = "(not created)";
      }
      r.pcs.push_back(std::move(pr));
      // What the far end sent to this side, per label.
      const Side& far = c->side[1 - s];
      for (size_t k = 0; k < me.ends.size(); ++k) {
        const ChannelEnd& e = me.ends[k];
        if (e.spec->label == kImplicitLabel) continue;
        ChannelTally& t = tallies_[me.peer][e.spec->label];
        t.sent_to_me += far.ends[k].next_to_send;
        t.received += e.seen.size();
      }
    }
  }
  for (auto& [peer, labels] : tallies_) {
    for (auto& [label, t] : labels) r.peers[peer].channels[label] = t;
  }
  // Received bytes per label.
  for (const auto& c : calls_) {
    for (int s = 0; s < 2 && c->started_yet; ++s) {
      for (const ChannelEnd& e : c->side[s].ends) {
        if (e.spec->label == kImplicitLabel || e.channel == nullptr) continue;
        r.peers[c->side[s].peer].channels[e.spec->label].bytes +=
            e.channel->counters().bytes_received;
      }
    }
  }
  r.errors = errors_;
  Evaluate(r);

  // The report's data.
  ReportData& d = r.report;
  d.scenario_name = m_.name;
  d.description = m_.description;
  d.seed = seed_;
  d.trace_hash = r.trace_hash;
  d.passed = r.passed;
  d.duration_s = Seconds(r.virtual_time);
  for (const ExpectationResult& e : r.expectations)
    d.expectations.push_back({e.text, e.passed, e.detail});
  for (const auto& [t, text] : applied_events_)
    d.events.push_back({Seconds(t - Timestamp::Zero()), text});
  for (const auto& c : calls_) {
    for (int s = 0; s < 2 && c->started_yet; ++s) {
      ReportStateTrack track;
      track.name = absl::StrCat(m_.peers[c->side[s].peer].name, " (", c->model->name, ")");
      for (const auto& [t, state] : c->side[s].states) {
        track.changes.push_back({Seconds(t - Timestamp::Zero()), pc::ToString(state)});
      }
      d.states.push_back(std::move(track));
    }
  }
  for (size_t p = 0; p < m_.peers.size() && p < throughput_.size(); ++p) {
    d.throughput_kbps.push_back({m_.peers[p].name, throughput_[p]});
  }
  for (size_t i = 0; i < calls_.size() && i < rtt_.size(); ++i) {
    d.rtt_ms.push_back({calls_[i]->model->name, rtt_[i]});
  }
  for (size_t i = 0; i < link_order_.size(); ++i) {
    for (int dir = 0; dir < 2; ++dir) {
      const auto& pts = loss_[i * 2 + dir];
      if (std::none_of(pts.begin(), pts.end(), [](const ReportPoint& p) { return p.value > 0; })) {
        continue;
      }
      d.loss_percent.push_back({absl::StrCat(link_order_[i], dir == 0 ? " ↑" : " ↓"), pts});
    }
  }
  return r;
}

std::string StatesText(const PcResult& pc) {
  std::vector<std::string> parts;
  for (const auto& [t, s] : pc.states) {
    parts.push_back(absl::StrFormat("%s@%.2fs", s, Seconds(t)));
  }
  return absl::StrJoin(parts, " → ");
}

bool TypeAllowed(const google::protobuf::RepeatedField<int>& allowed, const std::string& type) {
  if (allowed.empty()) return true;
  for (int a : allowed) {
    const char* name = a == scenario::CandidateTypes::HOST    ? "host"
                       : a == scenario::CandidateTypes::SRFLX ? "srflx"
                       : a == scenario::CandidateTypes::PRFLX ? "prflx"
                       : a == scenario::CandidateTypes::RELAY ? "relay"
                                                              : "";
    if (type == name) return true;
  }
  return false;
}

std::string TypesText(const google::protobuf::RepeatedField<int>& allowed) {
  std::vector<std::string> names;
  for (int a : allowed)
    names.push_back(absl::AsciiStrToLower(scenario::CandidateTypes::Type_Name(a)));
  return names.empty() ? "any" : absl::StrJoin(names, "|");
}

void Runner::Evaluate(ScenarioResult& r) {
  const Timestamp last_event =
      m_.events.empty() ? Timestamp::Zero() : Timestamp::Zero() + m_.events.back().at;
  for (const ExpectationModel& x : m_.expectations) {
    ExpectationResult res;
    res.index = x.index;
    res.line = x.line;
    res.text = x.text;
    std::vector<std::string> bad, observed;
    std::set<std::string> peers;
    for (int p : x.peers) peers.insert(m_.peers[p].name);
    const scenario::Expectation& e = x.spec;
    // Per PeerConnection checks.
    auto each_pc = [&](const std::function<std::optional<std::string>(const PcResult&)>& check) {
      int n = 0;
      for (const PcResult& pc : r.pcs) {
        if (!peers.contains(pc.peer)) continue;
        ++n;
        if (auto why = check(pc); why.has_value()) {
          bad.push_back(absl::StrCat(pc.peer, " (call ", pc.call, "): ", *why));
        }
      }
      if (n == 0) bad.push_back("no call of these peers started");
    };
    switch (e.check_case()) {
      case scenario::Expectation::kConnectedWithinMs: {
        const TimeDelta limit = TimeDelta::Micros(std::llround(e.connected_within_ms() * 1000));
        TimeDelta worst = TimeDelta::Zero();
        each_pc([&](const PcResult& pc) -> std::optional<std::string> {
          if (!pc.connected_after.has_value()) {
            return absl::StrCat("expected connected within ", e.connected_within_ms(),
                                " ms, observed never connected (", StatesText(pc), ")");
          }
          worst = std::max(worst, *pc.connected_after);
          if (*pc.connected_after > limit) {
            return absl::StrCat("expected connected within ", e.connected_within_ms(),
                                " ms, observed ", MsText(*pc.connected_after));
          }
          return std::nullopt;
        });
        observed.push_back(absl::StrCat("slowest connected after ", MsText(worst)));
        break;
      }
      case scenario::Expectation::kReconnectedWithinMs: {
        const TimeDelta limit = TimeDelta::Micros(std::llround(e.reconnected_within_ms() * 1000));
        TimeDelta worst = TimeDelta::Zero();
        each_pc([&](const PcResult& pc) -> std::optional<std::string> {
          if (pc.final_state != "connected") {
            return absl::StrCat("expected connected again within ", e.reconnected_within_ms(),
                                " ms of the last event, observed final state ", pc.final_state,
                                " (", StatesText(pc), ")");
          }
          // The first moment at or after the last event when the
          // PeerConnection is connected (0 if it already was).
          const CallRun* call = nullptr;
          for (const auto& c : calls_) {
            if (c->model->name == pc.call) call = c.get();
          }
          std::optional<TimeDelta> after;
          std::string state_at_event = "new";
          for (const auto& [t, s] : pc.states) {
            const Timestamp abs = call->started + t;
            if (abs <= last_event) {
              state_at_event = s;
            } else if (s == "connected" && !after.has_value()) {
              after = abs - last_event;
            }
          }
          if (state_at_event == "connected") after = TimeDelta::Zero();
          if (!after.has_value()) {
            return absl::StrCat("expected connected again within ", e.reconnected_within_ms(),
                                " ms of the last event, observed not connected after it (",
                                StatesText(pc), ")");
          }
          worst = std::max(worst, *after);
          if (*after > limit) {
            return absl::StrCat("expected connected again within ", e.reconnected_within_ms(),
                                " ms of the last event, observed ", MsText(*after));
          }
          return std::nullopt;
        });
        observed.push_back(
            absl::StrCat("slowest reconnect ", MsText(worst), " after the last event"));
        break;
      }
      case scenario::Expectation::kSelectedCandidates: {
        const auto& want = e.selected_candidates();
        std::set<std::string> seen;
        each_pc([&](const PcResult& pc) -> std::optional<std::string> {
          seen.insert(absl::StrCat(pc.local_type.empty() ? "none" : pc.local_type, "→",
                                   pc.remote_type.empty() ? "none" : pc.remote_type));
          if (pc.local_type.empty()) return "expected a selected pair, observed none";
          if (!TypeAllowed(want.local(), pc.local_type) ||
              !TypeAllowed(want.remote(), pc.remote_type)) {
            return absl::StrCat("expected local ", TypesText(want.local()), " and remote ",
                                TypesText(want.remote()), ", observed ", pc.selected_pair);
          }
          return std::nullopt;
        });
        observed.push_back(absl::StrCat("pairs ", absl::StrJoin(seen, ", ")));
        break;
      }
      case scenario::Expectation::kStateSequence: {
        const auto& want = e.state_sequence();
        each_pc([&](const PcResult& pc) -> std::optional<std::string> {
          std::vector<std::string> got;
          for (const auto& [t, s] : pc.states) {
            if (got.empty() || got.back() != s) got.push_back(s);
          }
          bool ok;
          if (want.exact()) {
            ok = std::equal(got.begin(), got.end(), want.state().begin(), want.state().end());
          } else {
            int k = 0;
            for (const std::string& s : got) {
              if (k < want.state_size() && s == want.state(k)) ++k;
            }
            ok = k == want.state_size();
          }
          if (ok) {
            if (observed.size() < 3) {
              observed.push_back(absl::StrCat(pc.peer, ": ", absl::StrJoin(got, " → ")));
            }
            return std::nullopt;
          }
          return absl::StrCat("expected ", absl::StrJoin(want.state(), " → "),
                              want.exact() ? " exactly" : " in order", ", observed ",
                              absl::StrJoin(got, " → "));
        });
        break;
      }
      case scenario::Expectation::kMessages:
      case scenario::Expectation::kLatency: {
        const bool msgs = e.check_case() == scenario::Expectation::kMessages;
        const std::string& label = msgs ? e.messages().label() : e.latency().label();
        for (int p : x.peers) {
          const PeerResult& pr = r.peers[p];
          ChannelTally sum;
          for (const auto& [l, t] : pr.channels) {
            if (!label.empty() && l != label) continue;
            sum.sent_to_me += t.sent_to_me;
            sum.received += t.received;
            sum.latencies_us.insert(sum.latencies_us.end(), t.latencies_us.begin(),
                                    t.latencies_us.end());
          }
          const std::string who =
              absl::StrCat(pr.name, label.empty() ? "" : " on \"" + label + "\"");
          if (msgs) {
            const auto& b = e.messages();
            const double percent =
                sum.sent_to_me == 0 ? 100 : 100.0 * sum.received / sum.sent_to_me;
            observed.push_back(absl::StrCat(pr.name, " ", sum.received, "/", sum.sent_to_me));
            if (b.has_min_delivered() && sum.received < b.min_delivered()) {
              bad.push_back(absl::StrCat(who, ": expected at least ", b.min_delivered(),
                                         " delivered, observed ", sum.received, " of ",
                                         sum.sent_to_me));
            }
            if (b.has_max_delivered() && sum.received > b.max_delivered()) {
              bad.push_back(absl::StrCat(who, ": expected at most ", b.max_delivered(),
                                         " delivered, observed ", sum.received));
            }
            if (b.has_max_lost() && sum.lost() > b.max_lost()) {
              bad.push_back(absl::StrCat(who, ": expected at most ", b.max_lost(),
                                         " lost, observed ", sum.lost(), " of ", sum.sent_to_me));
            }
            if (b.has_min_delivered_percent() && percent < b.min_delivered_percent()) {
              bad.push_back(absl::StrFormat(
                  "%s: expected at least %g%% delivered, observed %.2f%% "
                  "(%d of %d)",
                  who, b.min_delivered_percent(), percent, sum.received, sum.sent_to_me));
            }
          } else {
            if (sum.latencies_us.empty()) {
              bad.push_back(absl::StrCat(who, ": no message received to measure latency"));
              continue;
            }
            const double got = Percentile(sum.latencies_us, e.latency().percentile()) / 1000.0;
            observed.push_back(
                absl::StrFormat("%s p%g %.1f ms", pr.name, e.latency().percentile(), got));
            if (got > e.latency().max_ms()) {
              bad.push_back(
                  absl::StrFormat("%s: expected p%g latency at most %g ms, observed %.1f ms", who,
                                  e.latency().percentile(), e.latency().max_ms(), got));
            }
          }
        }
        break;
      }
      case scenario::Expectation::kMustFail: {
        each_pc([&](const PcResult& pc) -> std::optional<std::string> {
          if (!pc.failed_after.has_value()) {
            return absl::StrCat("expected to fail, observed ", pc.final_state, " (", StatesText(pc),
                                ")");
          }
          if (e.must_fail().has_within_ms() &&
              *pc.failed_after >
                  TimeDelta::Micros(std::llround(e.must_fail().within_ms() * 1000))) {
            return absl::StrCat("expected to fail within ", e.must_fail().within_ms(),
                                " ms, observed failed after ", MsText(*pc.failed_after));
          }
          observed.push_back(absl::StrCat(pc.peer, " failed after ", MsText(*pc.failed_after)));
          return std::nullopt;
        });
        if (observed.size() > 4) observed.resize(4);
        break;
      }
      case scenario::Expectation::kNoErrors:
        for (const std::string& err : errors_) bad.push_back(err);
        break;
      case scenario::Expectation::CHECK_NOT_SET:
        break;
    }
    res.passed = bad.empty();
    if (bad.size() > 5) {
      const size_t more = bad.size() - 5;
      bad.resize(5);
      bad.push_back(absl::StrCat("... and ", more, " more"));
    }
    if (observed.size() > 6) {
      const size_t more = observed.size() - 6;
      observed.resize(6);
      observed.push_back(absl::StrCat("... (", more, " more)"));
    }
    res.detail = res.passed ? absl::StrJoin(observed, "; ") : absl::StrJoin(bad, "; ");
    r.expectations.push_back(std::move(res));
  }
  if (!m_.allow_errors) {
    ExpectationResult res;
    res.text = "no unexpected errors (implicit; allow_errors: true turns it off)";
    res.passed = errors_.empty();
    res.detail = errors_.empty()
                     ? "none"
                     : absl::StrJoin(errors_.begin(),
                                     errors_.begin() + std::min<size_t>(5, errors_.size()), "; ");
    r.expectations.push_back(std::move(res));
  }
  r.passed = std::all_of(r.expectations.begin(), r.expectations.end(),
                         [](const ExpectationResult& e) { return e.passed; });
}

absl::Status WriteText(const std::string& path, absl::string_view text) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return absl::FailedPreconditionError(absl::StrCat("cannot write ", path));
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok) {
    return absl::DataLossError(absl::StrCat("writing ", path, " failed"));
  }
  return absl::OkStatus();
}

absl::Status Runner::WriteFiles(ScenarioResult& r) {
  const std::string& dir = o_.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create output directory ", dir, ": ", ec.message()));
  }
  for (const auto& [name, writer] : captures_) {
    RETURN_IF_ERROR(writer->WriteToFile(absl::StrCat(dir, "/", name)));
    r.files.push_back(name);
  }
  RETURN_IF_ERROR(WriteText(dir + "/dtls-keylog.txt", key_log_));
  r.files.push_back("dtls-keylog.txt");
  RETURN_IF_ERROR(net_.trace().WriteJson(dir + "/trace.json"));
  r.files.push_back("trace.json");
  // Metrics: the report's series, long form.
  std::string csv = "series,name,t_s,value\n";
  std::string json = "{\"series\":[";
  bool first = true;
  auto emit = [&](const char* kind, const std::vector<ReportSeries>& all) {
    for (const ReportSeries& s : all) {
      std::vector<std::string> pts;
      for (const ReportPoint& p : s.points) {
        absl::StrAppend(&csv, kind, ",", pc::JsonQuote(s.name), ",", absl::StrFormat("%.3f", p.t_s),
                        ",", absl::StrFormat("%.3f", p.value), "\n");
        pts.push_back(absl::StrFormat("[%.3f,%.3f]", p.t_s, p.value));
      }
      absl::StrAppend(&json, first ? "" : ",", "{\"kind\":\"", kind,
                      "\",\"name\":", pc::JsonQuote(s.name), ",\"points\":[",
                      absl::StrJoin(pts, ","), "]}");
      first = false;
    }
  };
  emit("throughput_kbps", r.report.throughput_kbps);
  emit("rtt_ms", r.report.rtt_ms);
  emit("loss_percent", r.report.loss_percent);
  absl::StrAppend(&json, "]}\n");
  RETURN_IF_ERROR(WriteText(dir + "/metrics.csv", csv));
  RETURN_IF_ERROR(WriteText(dir + "/metrics.json", json));
  r.files.push_back("metrics.csv");
  r.files.push_back("metrics.json");
  r.files.push_back("summary.json");
  r.files.push_back("report.html");
  RETURN_IF_ERROR(WriteText(dir + "/summary.json", r.Json()));
  r.report.files = r.files;
  const std::string summary = r.Summary();
  r.report.summary_lines = absl::StrSplit(summary, '\n');
  return WriteText(dir + "/report.html", RenderReportHtml(r.report));
}

}  // namespace

int64_t Percentile(std::vector<int64_t>& values, double percentile) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const double rank = std::ceil(percentile / 100.0 * values.size());
  const size_t index = static_cast<size_t>(std::clamp(rank, 1.0, double(values.size()))) - 1;
  return values[index];
}

std::vector<std::string> ScenarioResult::Failures() const {
  std::vector<std::string> out;
  for (const ExpectationResult& e : expectations) {
    if (e.passed) continue;
    const std::string where =
        e.index < 0 ? ""
                    : absl::StrCat("expect[", e.index, "]",
                                   e.line > 0 ? absl::StrCat(" (line ", e.line, ")") : "", " ");
    out.push_back(absl::StrCat(where, e.text, ": ", e.detail));
  }
  return out;
}

std::string ScenarioResult::Summary() const {
  std::string out;
  absl::StrAppend(&out, "scenario ", name, " — seed ", seed, " — ", passed ? "PASS" : "FAIL", "\n");
  absl::StrAppend(&out,
                  "  peer (call)                     connected   final         selected pair\n");
  for (const PcResult& pc : pcs) {
    absl::StrAppend(
        &out,
        absl::StrFormat("  %-31s %-11s %-13s %s%s\n", absl::StrCat(pc.peer, " (", pc.call, ")"),
                        pc.connected_after.has_value() ? MsText(*pc.connected_after) : "never",
                        pc.final_state, pc.selected_pair.empty() ? "-" : pc.selected_pair,
                        pc.sctp_retransmissions > 0
                            ? absl::StrCat(", ", pc.sctp_retransmissions, " SCTP rtx")
                            : ""));
  }
  bool any = false;
  for (const PeerResult& p : peers) {
    for (const auto& [label, t] : p.channels) {
      if (t.sent_to_me == 0 && t.received == 0) continue;  // nothing flows this way
      if (!any) {
        absl::StrAppend(
            &out, "  peer      channel              received / sent    lost   p50 ms   p95 ms\n");
        any = true;
      }
      std::vector<int64_t> l = t.latencies_us;
      const double p50 = Percentile(l, 50) / 1000.0, p95 = Percentile(l, 95) / 1000.0;
      absl::StrAppend(&out, absl::StrFormat("  %-9s %-18s %9d / %-8d %6d %8.1f %8.1f\n", p.name,
                                            label, t.received, t.sent_to_me, t.lost(), p50, p95));
    }
  }
  for (const ExpectationResult& e : expectations) {
    absl::StrAppend(&out, "  ", e.passed ? "PASS " : "FAIL ", e.text, ": ", e.detail, "\n");
  }
  absl::StrAppend(&out, "  trace hash ", trace_hash, " (", trace_events, " events), ",
                  MsText(virtual_time), " virtual in ", absl::StrFormat("%.2f", wall_seconds),
                  " s wall\n");
  return out;
}

std::string ScenarioResult::Json() const {
  std::vector<std::string> pc_json, exp_json, peer_json, err_json;
  for (const PcResult& pc : pcs) {
    pc_json.push_back(absl::StrFormat(
        "{\"peer\":%s,\"call\":%s,\"offerer\":%s,\"connected_ms\":%s,\"failed_ms\":%s,"
        "\"final_state\":%s,\"selected_pair\":%s,\"rtt_ms\":%.3f,\"sctp_retransmissions\":%d,"
        "\"ice_restarts\":%d}",
        pc::JsonQuote(pc.peer), pc::JsonQuote(pc.call), pc.offerer ? "true" : "false",
        pc.connected_after.has_value() ? absl::StrFormat("%.3f", pc.connected_after->us() / 1e3)
                                       : "null",
        pc.failed_after.has_value() ? absl::StrFormat("%.3f", pc.failed_after->us() / 1e3) : "null",
        pc::JsonQuote(pc.final_state), pc::JsonQuote(pc.selected_pair), pc.rtt.us() / 1e3,
        pc.sctp_retransmissions, pc.ice_restarts));
  }
  for (const PeerResult& p : peers) {
    std::vector<std::string> ch;
    for (const auto& [label, t] : p.channels) {
      std::vector<int64_t> l = t.latencies_us;
      ch.push_back(absl::StrFormat(
          "{\"label\":%s,\"received\":%d,\"sent_to_me\":%d,\"lost\":%d,\"bytes\":%d,"
          "\"latency_p50_ms\":%.3f,\"latency_p95_ms\":%.3f,\"latency_p99_ms\":%.3f}",
          pc::JsonQuote(label), t.received, t.sent_to_me, t.lost(), t.bytes,
          Percentile(l, 50) / 1e3, Percentile(l, 95) / 1e3, Percentile(l, 99) / 1e3));
    }
    peer_json.push_back(absl::StrCat("{\"name\":", pc::JsonQuote(p.name), ",\"channels\":[",
                                     absl::StrJoin(ch, ","), "]}"));
  }
  for (const ExpectationResult& e : expectations) {
    exp_json.push_back(absl::StrFormat(
        "{\"index\":%d,\"line\":%d,\"text\":%s,\"passed\":%s,\"detail\":%s}", e.index, e.line,
        pc::JsonQuote(e.text), e.passed ? "true" : "false", pc::JsonQuote(e.detail)));
  }
  for (const std::string& e : errors) err_json.push_back(pc::JsonQuote(e));
  return absl::StrFormat(
      "{\"scenario\":%s,\"file\":%s,\"seed\":%d,\"passed\":%s,\"trace_hash\":\"%s\","
      "\"trace_events\":%d,\"virtual_time_ms\":%.3f,\"wall_seconds\":%.3f,"
      "\"peer_connections\":[%s],\"peers\":[%s],\"expectations\":[%s],\"errors\":[%s]}\n",
      pc::JsonQuote(name), pc::JsonQuote(file), seed, passed ? "true" : "false", trace_hash,
      trace_events, virtual_time.us() / 1e3, wall_seconds, absl::StrJoin(pc_json, ","),
      absl::StrJoin(peer_json, ","), absl::StrJoin(exp_json, ","), absl::StrJoin(err_json, ","));
}

absl::StatusOr<ScenarioResult> RunScenario(const Model& model, const RunOptions& options) {
  Runner runner(model, options);
  return runner.Run();
}

}  // namespace rtcsim::scenarios
