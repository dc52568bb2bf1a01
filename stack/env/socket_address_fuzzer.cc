// Fuzz target for SocketAddress/IpAddress parsing: any input either parses
// to an address that prints and re-parses to itself, or fails with a message.
#include <cstdint>
#include <cstdlib>

#include "absl/strings/string_view.h"
#include "stack/env/socket_address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view text(reinterpret_cast<const char*>(data), size);
  auto addr = rtcsim::SocketAddress::Parse(text);
  if (addr.ok()) {
    auto again = rtcsim::SocketAddress::Parse(addr->ToString());
    if (!again.ok() || *again != *addr) std::abort();
  } else if (addr.status().message().empty()) {
    std::abort();
  }
  auto ip = rtcsim::IpAddress::Parse(text);
  if (ip.ok()) {
    auto again = rtcsim::IpAddress::Parse(ip->ToString());
    if (!again.ok() || *again != *ip) std::abort();
  }
  return 0;
}
