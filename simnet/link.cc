#include "simnet/link.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "simnet/node.h"

namespace rtcsim::simnet {

LossModel LossModel::Bernoulli(double rate) {
  LossModel m;
  m.kind = Kind::kBernoulli;
  m.rate = rate;
  return m;
}

LossModel LossModel::GilbertElliott(double p_good_to_bad, double p_bad_to_good, double loss_in_bad,
                                    double loss_in_good) {
  LossModel m;
  m.kind = Kind::kGilbertElliott;
  m.p_good_to_bad = p_good_to_bad;
  m.p_bad_to_good = p_bad_to_good;
  m.loss_in_bad = loss_in_bad;
  m.loss_in_good = loss_in_good;
  return m;
}

static absl::Status CheckProbability(const char* field, double v) {
  if (!(v >= 0 && v <= 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a probability in [0, 1], got ", v));
  }
  return absl::OkStatus();
}

absl::Status ValidateLinkParams(const LinkParams& p) {
  if (p.delay < TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("delay must not be negative (", p.delay.ToString(), ")"));
  }
  if (p.jitter < TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        absl::StrCat("jitter must not be negative (", p.jitter.ToString(), ")"));
  }
  if (p.bandwidth_bps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("bandwidth_bps must not be negative (", p.bandwidth_bps, ")"));
  }
  if (p.queue_bytes < 0 || p.queue_packets < 0) {
    return absl::InvalidArgumentError("queue limits must not be negative");
  }
  // The smallest IPv6 packet carrying UDP is 48 bytes; RFC 8200 §5 sets the
  // minimum link MTU at 1280, but smaller ones are useful for fault tests.
  if (p.mtu < 48 || p.mtu > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("mtu must be in [48, 65535], got ", p.mtu));
  }
  absl::Status s = CheckProbability("duplicate", p.duplicate);
  if (!s.ok()) return s;
  switch (p.loss.kind) {
    case LossModel::Kind::kNone:
      break;
    case LossModel::Kind::kBernoulli:
      return CheckProbability("loss rate", p.loss.rate);
    case LossModel::Kind::kGilbertElliott:
      for (auto [name, v] : {std::pair{"loss p_good_to_bad", p.loss.p_good_to_bad},
                             std::pair{"loss p_bad_to_good", p.loss.p_bad_to_good},
                             std::pair{"loss loss_in_good", p.loss.loss_in_good},
                             std::pair{"loss loss_in_bad", p.loss.loss_in_bad}}) {
        s = CheckProbability(name, v);
        if (!s.ok()) return s;
      }
      break;
  }
  return absl::OkStatus();
}

Link::Link(Network* net, std::string name, Node* a, int a_iface, Node* b, int b_iface)
    : net_(net), name_(std::move(name)) {
  trace_id_ = net_->trace().RegisterNode(absl::StrCat("link ", name_));
  dirs_[0].from = a;
  dirs_[0].to = b;
  dirs_[0].to_iface = b_iface;
  dirs_[1].from = b;
  dirs_[1].to = a;
  dirs_[1].to_iface = a_iface;
  for (int i = 0; i < 2; ++i) {
    std::string base = absl::StrCat("link/", name_, "/", i);
    dirs_[i].loss_rng = net_->CreateRandom(base + "/loss");
    dirs_[i].jitter_rng = net_->CreateRandom(base + "/jitter");
    dirs_[i].dup_rng = net_->CreateRandom(base + "/duplicate");
    Apply(dirs_[i], LinkParams{});
  }
}

void Link::Apply(Direction& d, const LinkParams& p) {
  d.params = p;
  const LossModel& m = p.loss;
  switch (m.kind) {
    case LossModel::Kind::kNone:
      d.loss_good = d.loss_bad = d.p_gb = Probability::Never();
      break;
    case LossModel::Kind::kBernoulli:
      d.loss_good = Probability::FromDouble(m.rate);
      d.loss_bad = d.p_gb = Probability::Never();
      break;
    case LossModel::Kind::kGilbertElliott:
      d.loss_good = Probability::FromDouble(m.loss_in_good);
      d.loss_bad = Probability::FromDouble(m.loss_in_bad);
      d.p_gb = Probability::FromDouble(m.p_good_to_bad);
      d.p_bg = Probability::FromDouble(m.p_bad_to_good);
      break;
  }
  if (m.kind != LossModel::Kind::kGilbertElliott) d.ge_bad = false;
  d.dup = Probability::FromDouble(p.duplicate);
}

absl::Status Link::SetParams(const LinkParams& params) {
  absl::Status s = ValidateLinkParams(params);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("link ", name_, ": ", s.message()));
  SetParams(0, params).IgnoreError();
  SetParams(1, params).IgnoreError();
  return absl::OkStatus();
}

absl::Status Link::SetParams(int side, const LinkParams& params) {
  absl::Status s = ValidateLinkParams(params);
  if (!s.ok()) return absl::InvalidArgumentError(absl::StrCat("link ", name_, ": ", s.message()));
  Direction& d = dirs_[side];
  bool was_up = d.params.up;
  Apply(d, params);
  if (was_up && !params.up) ++d.epoch;
  net_->trace().Record(net_->now(), TraceKind::kLinkChanged, trace_id_, 0, {}, {}, 0, side);
  return absl::OkStatus();
}

void Link::SetUp(bool up) {
  for (int side = 0; side < 2; ++side) {
    LinkParams p = dirs_[side].params;
    p.up = up;
    SetParams(side, p).IgnoreError();  // only `up` changed: still valid
  }
}

void Link::SetCapture(PcapngWriter* writer) {
  capture_ = writer;
  for (int i = 0; i < 2; ++i) {
    dirs_[i].capture_iface =
        writer->AddInterface(absl::StrCat(name_, i == 0 ? " (up)" : " (down)"));
  }
}

bool Link::Lose(Direction& d) {
  if (d.params.loss.kind == LossModel::Kind::kGilbertElliott) {
    // Move first, then decide loss in the new state.
    d.ge_bad = d.ge_bad ? !d.loss_rng.Bernoulli(d.p_bg) : d.loss_rng.Bernoulli(d.p_gb);
    return d.loss_rng.Bernoulli(d.ge_bad ? d.loss_bad : d.loss_good);
  }
  return !d.loss_good.IsNever() && d.loss_rng.Bernoulli(d.loss_good);
}

void Link::Transmit(int from_side, PacketRef ref) {
  Direction& d = dirs_[from_side];
  Trace& trace = net_->trace();
  const Timestamp now = net_->now();
  Packet& p = net_->packets()[ref];
  const int64_t bytes = static_cast<int64_t>(p.wire_size());
  ++d.stats.offered;

  TraceKind drop = TraceKind::kNote;
  if (!d.params.up) {
    ++d.stats.down_drops;
    drop = TraceKind::kLinkDownDrop;
  } else if (bytes > d.params.mtu) {
    ++d.stats.mtu_drops;
    drop = TraceKind::kMtuDrop;
  } else {
    // Packets whose serialisation has finished have left the queue.
    while (!d.queue.empty() && d.queue.front().tx_end <= now) {
      d.queued_bytes -= d.queue.front().bytes;
      d.queue.pop_front();
    }
    if ((d.params.queue_packets > 0 &&
         static_cast<int64_t>(d.queue.size()) >= d.params.queue_packets) ||
        (d.params.queue_bytes > 0 && d.queued_bytes + bytes > d.params.queue_bytes)) {
      ++d.stats.queue_drops;
      drop = TraceKind::kQueueDrop;
    }
  }
  if (drop != TraceKind::kNote) {
    trace.Record(now, drop, trace_id_, p.id, p.src, p.dst, bytes, from_side);
    net_->packets().Free(ref);
    return;
  }

  // Serialisation: the transmitter sends one packet at a time.
  Timestamp tx_end = now;
  if (d.params.bandwidth_bps > 0) {
    Timestamp tx_start = d.busy_until > now ? d.busy_until : now;
    // ceil(bits * 1e9 / bps) in integer arithmetic.
    int64_t tx_ns = (bytes * 8 * 1000000000 + d.params.bandwidth_bps - 1) / d.params.bandwidth_bps;
    tx_end = tx_start + TimeDelta::Nanos(tx_ns);
    d.busy_until = tx_end;
    d.queue.push_back({tx_end, bytes});
    d.queued_bytes += bytes;
    TimeDelta waited = tx_start - now;
    if (waited > d.stats.max_queue_delay) d.stats.max_queue_delay = waited;
  }
  if (capture_ != nullptr) {
    // Families always match here: hosts refuse mixed-family sends.
    capture_->WriteUdp(d.capture_iface, now, p.src, p.dst, p.ttl, p.ip_id, p.payload).IgnoreError();
  }
  // Loss happens on the wire: a lost packet still used its transmit time.
  if (Lose(d)) {
    ++d.stats.lost;
    trace.Record(now, TraceKind::kLinkLoss, trace_id_, p.id, p.src, p.dst, bytes, from_side);
    net_->packets().Free(ref);
    return;
  }
  Timestamp arrival = tx_end + d.params.delay;
  if (d.params.jitter > TimeDelta::Zero()) {
    arrival += TimeDelta::Nanos(static_cast<int64_t>(
        d.jitter_rng.Uniform(static_cast<uint64_t>(d.params.jitter.ns()) + 1)));
  }
  if (!d.params.allow_reordering && arrival < d.last_arrival) arrival = d.last_arrival;
  if (arrival > d.last_arrival) d.last_arrival = arrival;
  p.link_epoch = d.epoch;
  p.link_seq = d.next_seq++;

  bool duplicate = !d.dup.IsNever() && d.dup_rng.Bernoulli(d.dup);
  net_->loop().Schedule(arrival, [this, from_side, ref] { Deliver(from_side, ref); });
  if (duplicate) {
    ++d.stats.duplicated;
    PacketRef copy = net_->packets().Alloc();
    Packet& orig = net_->packets()[ref];  // re-fetch: Alloc may move packets
    Packet& dup = net_->packets()[copy];
    dup = orig;
    trace.Record(now, TraceKind::kLinkDuplicate, trace_id_, orig.id, orig.src, orig.dst, bytes,
                 from_side);
    net_->loop().Schedule(arrival, [this, from_side, copy] { Deliver(from_side, copy); });
  }
}

void Link::Deliver(int dir, PacketRef ref) {
  Direction& d = dirs_[dir];
  Packet& p = net_->packets()[ref];
  if (p.link_epoch != d.epoch) {
    // The link went down while the packet was on the wire.
    ++d.stats.down_drops;
    net_->trace().Record(net_->now(), TraceKind::kLinkDownDrop, trace_id_, p.id, p.src, p.dst,
                         p.wire_size(), dir);
    net_->packets().Free(ref);
    return;
  }
  ++d.stats.delivered;
  d.stats.bytes_delivered += p.wire_size();
  if (p.link_seq < d.last_delivered_seq) {
    ++d.stats.reordered;
  } else {
    d.last_delivered_seq = p.link_seq;
  }
  d.to->Receive(d.to_iface, ref);
}

}  // namespace rtcsim::simnet
