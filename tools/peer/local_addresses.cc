#include "tools/peer/local_addresses.h"

#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace rtcsim::peer {

absl::StatusOr<std::vector<IpAddress>> LocalAddresses() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    return absl::ErrnoToStatus(errno, "getifaddrs");
  }
  std::vector<IpAddress> v4, v6;
  for (ifaddrs* it = list; it != nullptr; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || (it->ifa_flags & IFF_UP) == 0) continue;
    if (it->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
      const auto* b = reinterpret_cast<const uint8_t*>(&sin->sin_addr);
      IpAddress ip = IpAddress::V4(b[0], b[1], b[2], b[3]);
      if (std::find(v4.begin(), v4.end(), ip) == v4.end()) v4.push_back(ip);
    } else if (it->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ifa_addr);
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      IpAddress ip = IpAddress::V6(bytes);
      if (ip.InPrefix(*IpAddress::Parse("fe80::"), 10)) continue;
      if (std::find(v6.begin(), v6.end(), ip) == v6.end()) v6.push_back(ip);
    }
  }
  freeifaddrs(list);
  v4.insert(v4.end(), v6.begin(), v6.end());
  if (v4.empty()) return absl::UnavailableError("getifaddrs: no interface with an address is up");
  return v4;
}

absl::StatusOr<IpAddress> ResolveHost(const std::string& host) {
  absl::StatusOr<IpAddress> literal = IpAddress::Parse(host);
  if (literal.ok()) return literal;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  int error = getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (error != 0) {
    return absl::NotFoundError(absl::StrCat("cannot resolve '", host, "': ", gai_strerror(error)));
  }
  std::optional<IpAddress> v4, v6;
  for (addrinfo* it = list; it != nullptr; it = it->ai_next) {
    if (it->ai_family == AF_INET && !v4.has_value()) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(it->ai_addr);
      const auto* b = reinterpret_cast<const uint8_t*>(&sin->sin_addr);
      v4 = IpAddress::V4(b[0], b[1], b[2], b[3]);
    } else if (it->ai_family == AF_INET6 && !v6.has_value()) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(it->ai_addr);
      std::array<uint8_t, 16> bytes;
      std::memcpy(bytes.data(), &sin6->sin6_addr, 16);
      v6 = IpAddress::V6(bytes);
    }
  }
  freeaddrinfo(list);
  if (v4.has_value()) return *v4;
  if (v6.has_value()) return *v6;
  return absl::NotFoundError(absl::StrCat("'", host, "' has no IPv4 or IPv6 address"));
}

}  // namespace rtcsim::peer
