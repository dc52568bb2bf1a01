#ifndef RTCSIM_SIMNET_LINK_H_
#define RTCSIM_SIMNET_LINK_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/status/status.h"
#include "simnet/packet.h"
#include "stack/env/random.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

class Network;
class Node;
class PcapngWriter;

// Random loss on a link direction.
struct LossModel {
  enum class Kind { kNone, kBernoulli, kGilbertElliott };
  Kind kind = Kind::kNone;
  double rate = 0;           // Bernoulli: probability each packet is lost
  double p_good_to_bad = 0;  // Gilbert–Elliott transition probabilities,
  double p_bad_to_good = 1;  //   evaluated once per packet
  double loss_in_good = 0;   // loss probability in each state (1-k, 1-h)
  double loss_in_bad = 1;

  static LossModel None() { return {}; }
  static LossModel Bernoulli(double rate);
  // Mean burst length is 1 / p_bad_to_good when loss_in_bad is 1; the
  // stationary loss rate is p / (p + r) then.
  static LossModel GilbertElliott(double p_good_to_bad, double p_bad_to_good,
                                  double loss_in_bad = 1, double loss_in_good = 0);
};

// Parameters of one direction of a link. Every field may change while running.
struct LinkParams {
  TimeDelta delay = TimeDelta::Zero();   // propagation delay
  TimeDelta jitter = TimeDelta::Zero();  // extra delay, uniform in [0, jitter]
  bool allow_reordering = false;         // if false, jitter never reorders
  LossModel loss;
  double duplicate = 0;       // probability of a second copy
  int64_t bandwidth_bps = 0;  // 0: unlimited, no serialisation delay
  int64_t queue_bytes = 0;    // drop-tail limit; 0: unlimited
  int64_t queue_packets = 0;  // drop-tail limit; 0: unlimited
  int mtu = 1500;             // IP packet size limit
  bool up = true;
};

// Names the first invalid field, e.g. "delay must not be negative (-5.000000ms)".
absl::Status ValidateLinkParams(const LinkParams& p);

struct LinkStats {
  uint64_t offered = 0;    // packets handed to the link
  uint64_t delivered = 0;  // packets (copies included) that reached the far end
  uint64_t lost = 0;       // dropped by the loss model
  uint64_t queue_drops = 0;
  uint64_t mtu_drops = 0;
  uint64_t down_drops = 0;
  uint64_t duplicated = 0;
  uint64_t reordered = 0;        // delivered before a packet sent earlier
  uint64_t bytes_delivered = 0;  // IP bytes
  TimeDelta max_queue_delay = TimeDelta::Zero();
};

// A point-to-point link between two nodes, with an independent model per
// direction. Side 0 is the end given first to Network::Connect (downstream),
// side 1 the upstream end; direction d carries packets sent from side d.
class Link {
 public:
  Link(Network* net, std::string name, Node* a, int a_iface, Node* b, int b_iface);
  Link(const Link&) = delete;
  Link& operator=(const Link&) = delete;

  const std::string& name() const { return name_; }
  Node* end(int side) const { return dirs_[side].from; }

  // Applies to both directions, or to the one sent from `side`.
  absl::Status SetParams(const LinkParams& params);
  absl::Status SetParams(int side, const LinkParams& params);
  void SetUp(bool up);
  const LinkParams& params(int side) const { return dirs_[side].params; }
  const LinkStats& stats(int side) const { return dirs_[side].stats; }

  // Takes ownership of the packet.
  void Transmit(int from_side, PacketRef p);

  // Records packets as they enter the link, one capture interface per direction.
  void SetCapture(PcapngWriter* writer);

 private:
  struct InQueue {
    Timestamp tx_end;
    int64_t bytes;
  };
  struct Direction {
    Node* from = nullptr;
    Node* to = nullptr;
    int to_iface = 0;
    LinkParams params;
    Probability loss_good, loss_bad, p_gb, p_bg, dup;
    bool ge_bad = false;
    uint32_t epoch = 0;  // bumped when the link goes down
    Timestamp busy_until;
    Timestamp last_arrival;
    std::deque<InQueue> queue;
    int64_t queued_bytes = 0;
    uint64_t next_seq = 1;
    uint64_t last_delivered_seq = 0;
    LinkStats stats;
    Random loss_rng{0}, jitter_rng{0}, dup_rng{0};
    int capture_iface = -1;
  };
  void Apply(Direction& d, const LinkParams& params);
  bool Lose(Direction& d);
  void Deliver(int dir, PacketRef p);

  Network* net_;
  std::string name_;
  uint32_t trace_id_;
  Direction dirs_[2];
  PcapngWriter* capture_ = nullptr;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_LINK_H_
