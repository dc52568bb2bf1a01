#ifndef RTCSIM_SIMNET_TRACE_H_
#define RTCSIM_SIMNET_TRACE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

enum class TraceKind : uint8_t {
  kSend,           // a socket handed a datagram to its host
  kReceive,        // a socket received a datagram
  kLinkLoss,       // the link's loss model dropped it
  kLinkDuplicate,  // the link delivered a second copy
  kQueueDrop,      // drop-tail queue full
  kMtuDrop,        // larger than the link MTU
  kLinkDownDrop,   // sent on, or in flight over, a link that is down
  kNoRoute,        // no route at a router or NAT
  kNoSocket,       // nothing bound at the destination (no ICMP is sent)
  kTtlExpired,
  kNatMappingCreated,
  kNatMappingExpired,
  kNatFiltered,     // inbound packet refused by the NAT's filtering
  kNatNoMapping,    // inbound packet to an unmapped port
  kNatHairpinDrop,  // hairpinning disabled
  kFirewallDrop,
  kLinkChanged,  // a link parameter changed while running
  kNote,         // free-form annotation
  // A host's addresses were replaced (Network::SetHostAddresses): src is its
  // old first address, dst its new one, detail the new address count.
  // Appended last so the values (and hashes) of the other kinds stay put.
  kAddressChanged,
};

const char* ToString(TraceKind kind);

// The event trace of a run. Every recorded event folds into a running 64-bit
// hash, which identifies the run: same scenario, seed and binary give the
// same hash. Packet events recorded with their payload (the Record overload
// taking a span: hosts' sends and deliveries) also fold a hash of the payload
// bytes, so equal hashes mean equal datagrams, not just equal sizes and
// timings. Optionally keeps the events as Chrome trace-event JSON (opens in
// Perfetto and chrome://tracing).
class Trace {
 public:
  Trace() = default;

  // Registers a node name; returns the id used in Record().
  uint32_t RegisterNode(absl::string_view name);
  const std::string& node_name(uint32_t id) const { return node_names_[id]; }

  void EnableJson(bool enable) { json_enabled_ = enable; }

  void Record(Timestamp t, TraceKind kind, uint32_t node, uint64_t packet_id,
              const SocketAddress& src, const SocketAddress& dst, uint32_t size,
              int64_t detail = 0);
  // The same event for a datagram whose bytes are at hand: its size is
  // payload.size(), and PayloadHash(payload) folds into the trace hash too.
  void Record(Timestamp t, TraceKind kind, uint32_t node, uint64_t packet_id,
              const SocketAddress& src, const SocketAddress& dst, absl::Span<const uint8_t> payload,
              int64_t detail = 0);
  void Note(Timestamp t, uint32_t node, absl::string_view text);

  // A fast, process-independent 64-bit hash of a datagram's bytes (runs on
  // every packet: 16 bytes per step, little-endian words on every platform).
  static uint64_t PayloadHash(absl::Span<const uint8_t> payload);

  uint64_t hash() const;
  std::string HashHex() const;
  uint64_t events() const { return events_; }

  // The JSON document (only events recorded while JSON was enabled).
  std::string ToJson() const;
  absl::Status WriteJson(const std::string& path) const;

 private:
  void Fold(uint64_t word) { h_ = ((h_ ^ word) << 23 | (h_ ^ word) >> 41) * 0x9e3779b97f4a7c15ULL; }
  void FoldAddress(const SocketAddress& a);

  uint64_t h_ = 0x243f6a8885a308d3ULL;
  uint64_t events_ = 0;
  bool json_enabled_ = false;
  std::string json_;
  std::vector<std::string> node_names_;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_TRACE_H_
