#ifndef RTCSIM_SIMNET_CAPTURE_PCAPNG_READER_H_
#define RTCSIM_SIMNET_CAPTURE_PCAPNG_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"

namespace rtcsim::simnet {

// One UDP datagram read back from a capture.
struct CapturedDatagram {
  int interface_id = 0;
  std::string interface_name;
  Timestamp time;  // simulation time (the writer's epoch offset removed)
  SocketAddress src;
  SocketAddress dst;
  std::vector<uint8_t> payload;
  std::string comment;  // e.g. why the simulator dropped it
};

// Reads a pcapng file of the kind PcapngWriter writes (little-endian
// sections, LINKTYPE_RAW interfaces carrying IPv4/IPv6 + UDP), so tests can
// measure behaviour from what went on the wire rather than from the code
// that sent it. Every length is bounds-checked; errors name the block and
// its byte offset. Blocks of other types are skipped; a packet that is not
// UDP is an error.
absl::StatusOr<std::vector<CapturedDatagram>> ReadPcapng(absl::Span<const uint8_t> file);

}  // namespace rtcsim::simnet

#endif  // RTCSIM_SIMNET_CAPTURE_PCAPNG_READER_H_
