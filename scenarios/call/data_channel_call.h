// A data-channel call between PeerConnections on simnet: the building block
// of the PeerConnection conformance tests and of `./rtcsim demo`.
//
// Topology (RFC 5737 addresses):
//
//   stun 198.51.100.1 ── internet ─┬─ nat-a 203.0.113.10 ── a0 10.0.1.2, a1 10.0.1.3, ...
//                                  └─ nat-b 203.0.113.11 ── b0 10.0.2.2, b1 10.0.2.3, ...
//
// Pair i is (a_i, b_i): two PeerConnections behind different NATs (nat-a:
// endpoint-independent mapping, address-and-port-dependent filtering — a
// "port-restricted cone"; nat-b: endpoint-independent mapping and
// address-dependent filtering, RFC 4787), so ICE connects through
// server-reflexive candidates learned from the STUN server. Each access
// link (NAT ↔ internet) loses `loss` of the packets in each direction.
//
// Signalling runs over an in-simulation channel with its own one-way delay
// (FIFO, no loss): a_i creates the data channels, which makes negotiation
// needed; it offers with the implicit setLocalDescription(), b_i answers,
// and candidates trickle both ways (RFC 8838) as they are gathered.
//
// Traffic: on every channel each side sends `messages` messages as fast as
// bufferedAmount allows (refilled from the bufferedamountlow event). Each
// message carries its side, channel and sequence number and a pattern
// derived from them, so the receiver checks every byte and counts messages
// out of order, duplicated, corrupted and (on partially reliable channels)
// lost.
#ifndef RTCSIM_SCENARIOS_CALL_DATA_CHANNEL_CALL_H_
#define RTCSIM_SCENARIOS_CALL_DATA_CHANNEL_CALL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/env/time.h"
#include "stack/sctp/data_channel.h"

namespace rtcsim::scenarios {

struct ChannelSpec {
  std::string label;
  sctp::DataChannelInit init;
  int messages = 1000;  // sent by each side
  // Message sizes vary over [min_size, max_size] with the sequence number.
  size_t min_size = 16;
  size_t max_size = 512;
};

struct DataChannelCallConfig {
  uint64_t seed = 1;
  int pairs = 1;
  double loss = 0.05;  // per direction, on each NAT's access link
  TimeDelta core_delay = TimeDelta::Millis(15);
  TimeDelta access_delay = TimeDelta::Millis(5);
  TimeDelta signaling_delay = TimeDelta::Millis(50);
  std::vector<ChannelSpec> channels;
  // The call ends when every reliable message arrived and every partially
  // reliable channel has been idle for `settle`, or at `duration`.
  TimeDelta duration = TimeDelta::Seconds(60);
  TimeDelta settle = TimeDelta::Seconds(5);
  // Keep the simulation running to `duration` even when traffic is done
  // (the demo shows a full minute of the call: consent checks, keepalives).
  bool run_full_duration = false;
  // Where captures (pcapng), the trace (Perfetto JSON) and summary.json go;
  // empty keeps everything in memory.
  std::string out_dir;
  // Print one progress line to stderr every this much virtual time (0: none).
  TimeDelta progress_interval = TimeDelta::Zero();
};

// Per channel, both directions summed over all pairs.
struct ChannelFigures {
  std::string label;
  bool ordered = true;
  bool reliable = true;
  uint64_t sent = 0;
  uint64_t received = 0;
  uint64_t out_of_order = 0;  // a sequence number below one already seen
  uint64_t duplicated = 0;
  uint64_t corrupted = 0;  // wrong size or bytes
  uint64_t lost = 0;       // sent − received (distinct), at the end
  uint64_t bytes_received = 0;
};

struct DataChannelCallResult {
  int pairs = 0;
  int pairs_connected = 0;
  // Virtual time from the first offer to both PeerConnections of the pair
  // being "connected" (W3C connectionState); for pair 0, and the worst pair.
  TimeDelta connect_time = TimeDelta::Zero();
  TimeDelta worst_connect_time = TimeDelta::Zero();
  TimeDelta channels_open_time = TimeDelta::Zero();  // pair 0, all open on both sides
  TimeDelta traffic_done_time = TimeDelta::Zero();
  std::string selected_pair;  // pair 0, A's view: "srflx 203.0.113.10:x <-> srflx ..."
  std::vector<ChannelFigures> channels;
  uint64_t messages_delivered = 0;
  uint64_t sctp_data_retransmissions = 0;
  uint64_t sctp_packets_sent = 0;
  // Packets the lower layer refused (SCTP → DTLS, DTLS → ICE): should be 0;
  // an SCTP packet too large for one DTLS record would show here.
  uint64_t sctp_send_errors = 0;
  uint64_t dtls_send_errors = 0;
  uint64_t dtls_retransmissions = 0;
  uint64_t ice_check_retransmissions = 0;
  uint64_t signaling_messages = 0;
  uint64_t candidates_trickled = 0;
  bool channels_closed_cleanly = false;  // pair 0: closed on both sides after traffic
  std::string trace_hash;
  uint64_t trace_events = 0;
  TimeDelta virtual_time = TimeDelta::Zero();
  double wall_seconds = 0;
  // Heap bytes in use (glibc mallinfo2) after all pairs connected and
  // opened their channels, divided by the PeerConnection count; 0 if
  // unavailable.
  uint64_t heap_bytes_per_peer_connection = 0;
  std::vector<std::string> errors;  // what went wrong, for the summary
  std::vector<std::string> files;   // written under out_dir

  // Every reliable message delivered exactly once, in order where ordered,
  // no corruption anywhere, no duplicates, all pairs connected.
  bool ok() const;
  std::string Summary() const;  // for people
  std::string Json() const;     // for scripts
};

// The defaults of the issue: ordered (reliable), unordered (reliable),
// unordered with maxRetransmits 0, and unordered with maxPacketLifeTime
// 100 ms.
std::vector<ChannelSpec> DefaultChannels(int ordered_messages);

absl::StatusOr<DataChannelCallResult> RunDataChannelCall(const DataChannelCallConfig& config);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_CALL_DATA_CHANNEL_CALL_H_
