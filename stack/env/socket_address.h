#ifndef RTCSIM_STACK_ENV_SOCKET_ADDRESS_H_
#define RTCSIM_STACK_ENV_SOCKET_ADDRESS_H_

#include <array>
#include <compare>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace rtcsim {

enum class IpFamily : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

// An IPv4 or IPv6 address, stored in network byte order. The default value
// is "no address" (family kNone).
class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress V4(uint32_t host_order);
  static IpAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  static IpAddress V6(const std::array<uint8_t, 16>& bytes);
  static IpAddress AnyV4() { return V4(0); }
  static IpAddress AnyV6() { return V6({}); }
  // Accepts dotted-quad IPv4 or RFC 4291 textual IPv6.
  static absl::StatusOr<IpAddress> Parse(absl::string_view text);

  IpFamily family() const { return family_; }
  bool is_v4() const { return family_ == IpFamily::kV4; }
  bool is_v6() const { return family_ == IpFamily::kV6; }
  bool IsUnspecified() const;  // 0.0.0.0, :: or no address.
  bool IsLoopback() const;
  bool IsMulticast() const;
  // The address bytes: 4 for IPv4, 16 for IPv6.
  const uint8_t* data() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : is_v6() ? 16 : 0; }
  uint32_t v4_host_order() const;
  // True when the first `prefix_len` bits equal those of `prefix`.
  bool InPrefix(const IpAddress& prefix, int prefix_len) const;

  std::string ToString() const;

  auto operator<=>(const IpAddress&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const IpAddress& a) {
    return H::combine(std::move(h), a.family_, a.bytes_);
  }

 private:
  IpFamily family_ = IpFamily::kNone;
  std::array<uint8_t, 16> bytes_{};
};

// An IP address and UDP port.
class SocketAddress {
 public:
  SocketAddress() = default;
  SocketAddress(IpAddress ip, uint16_t port) : ip_(ip), port_(port) {}
  // "1.2.3.4:5678" or "[2001:db8::1]:5678".
  static absl::StatusOr<SocketAddress> Parse(absl::string_view text);

  const IpAddress& ip() const { return ip_; }
  uint16_t port() const { return port_; }
  IpFamily family() const { return ip_.family(); }
  std::string ToString() const;

  auto operator<=>(const SocketAddress&) const = default;
  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    return H::combine(std::move(h), a.ip_, a.port_);
  }

 private:
  IpAddress ip_;
  uint16_t port_ = 0;
};

}  // namespace rtcsim

#endif  // RTCSIM_STACK_ENV_SOCKET_ADDRESS_H_
