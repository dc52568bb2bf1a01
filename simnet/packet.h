#ifndef RTCSIM_SIMNET_PACKET_H_
#define RTCSIM_SIMNET_PACKET_H_

#include <cstdint>
#include <vector>

#include "stack/env/socket_address.h"

namespace rtcsim::simnet {

// A UDP datagram inside the simulated network. IP and UDP headers are not
// stored; captures synthesise them from these fields.
struct Packet {
  uint64_t id = 0;  // unique within a run; ties trace events together
  SocketAddress src;
  SocketAddress dst;
  uint8_t ttl = 64;
  uint16_t ip_id = 0;
  uint32_t link_epoch = 0;  // which up-period of the current link it entered in
  uint64_t link_seq = 0;    // order it entered the current link direction
  std::vector<uint8_t> payload;

  static constexpr size_t kUdpHeader = 8;
  // Bytes on the wire: IP header + UDP header + payload.
  size_t wire_size() const { return payload.size() + kUdpHeader + (src.ip().is_v6() ? 40 : 20); }
};

using PacketRef = uint32_t;

// Recycles packets and their payload buffers, so the steady-state packet path
// allocates nothing. A reference from operator[] is invalidated by Alloc().
class PacketPool {
 public:
  PacketRef Alloc() {
    if (!free_.empty()) {
      PacketRef r = free_.back();
      free_.pop_back();
      return r;
    }
    packets_.emplace_back();
    return static_cast<PacketRef>(packets_.size() - 1);
  }
  void Free(PacketRef r) { free_.push_back(r); }
  Packet& operator[](PacketRef r) { return packets_[r]; }
  size_t live() const { return packets_.size() - free_.size(); }

 private:
  std::vector<Packet> packets_;
  std::vector<PacketRef> free_;
};

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_PACKET_H_
