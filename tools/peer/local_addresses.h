// The local addresses to gather ICE host candidates on.
#ifndef RTCSIM_TOOLS_PEER_LOCAL_ADDRESSES_H_
#define RTCSIM_TOOLS_PEER_LOCAL_ADDRESSES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/env/socket_address.h"

namespace rtcsim::peer {

// Every IPv4 and IPv6 address of an interface that is up (getifaddrs),
// loopback included, without duplicates, IPv4 first, in interface order.
// IPv6 link-local addresses (fe80::/10) are left out: binding them needs a
// scope id, which SocketAddress does not carry.
absl::StatusOr<std::vector<IpAddress>> LocalAddresses();

// A literal address, or the first address getaddrinfo gives for `host`
// (IPv4 preferred). For --ice-server.
absl::StatusOr<IpAddress> ResolveHost(const std::string& host);

}  // namespace rtcsim::peer

#endif  // RTCSIM_TOOLS_PEER_LOCAL_ADDRESSES_H_
