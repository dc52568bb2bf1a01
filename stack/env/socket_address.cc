#include "stack/env/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace rtcsim {

IpAddress IpAddress::V4(uint32_t host_order) {
  IpAddress a;
  a.family_ = IpFamily::kV4;
  a.bytes_[0] = host_order >> 24;
  a.bytes_[1] = host_order >> 16;
  a.bytes_[2] = host_order >> 8;
  a.bytes_[3] = host_order;
  return a;
}

IpAddress IpAddress::V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  return V4((uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d);
}

IpAddress IpAddress::V6(const std::array<uint8_t, 16>& bytes) {
  IpAddress a;
  a.family_ = IpFamily::kV6;
  a.bytes_ = bytes;
  return a;
}

absl::StatusOr<IpAddress> IpAddress::Parse(absl::string_view text) {
  // inet_pton is a pure text conversion; it needs a NUL-terminated copy.
  std::string s(text);
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    return V4(buf[0], buf[1], buf[2], buf[3]);
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    std::array<uint8_t, 16> b;
    std::memcpy(b.data(), buf, 16);
    return V6(b);
  }
  return absl::InvalidArgumentError(absl::StrCat("not an IPv4 or IPv6 address: \"", text, "\""));
}

bool IpAddress::IsUnspecified() const {
  for (size_t i = 0; i < size(); ++i) {
    if (bytes_[i] != 0) return false;
  }
  return true;
}

bool IpAddress::IsLoopback() const {
  if (is_v4()) return bytes_[0] == 127;
  if (!is_v6()) return false;
  for (int i = 0; i < 15; ++i) {
    if (bytes_[i] != 0) return false;
  }
  return bytes_[15] == 1;
}

bool IpAddress::IsMulticast() const {
  if (is_v4()) return (bytes_[0] & 0xf0) == 0xe0;
  return is_v6() && bytes_[0] == 0xff;
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         bytes_[3];
}

bool IpAddress::InPrefix(const IpAddress& prefix, int prefix_len) const {
  if (family_ != prefix.family_) return false;
  int bits = static_cast<int>(size()) * 8;
  if (prefix_len < 0 || prefix_len > bits) return false;
  int full = prefix_len / 8;
  if (std::memcmp(bytes_.data(), prefix.bytes_.data(), full) != 0) return false;
  int rest = prefix_len % 8;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (bytes_[full] & mask) == (prefix.bytes_[full] & mask);
}

std::string IpAddress::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, bytes_.data(), buf, sizeof(buf));
    return buf;
  }
  if (is_v6()) {
    inet_ntop(AF_INET6, bytes_.data(), buf, sizeof(buf));
    return buf;
  }
  return "<none>";
}

absl::StatusOr<SocketAddress> SocketAddress::Parse(absl::string_view text) {
  absl::string_view host, port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find("]:");
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected [IPv6]:port, got \"", text, "\""));
    }
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("expected address:port, got \"", text, "\""));
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  uint32_t port;
  if (!absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad port \"", port_text, "\" in \"", text, "\""));
  }
  absl::StatusOr<IpAddress> ip = IpAddress::Parse(host);
  if (!ip.ok()) return ip.status();
  return SocketAddress(*ip, static_cast<uint16_t>(port));
}

std::string SocketAddress::ToString() const {
  if (ip_.is_v6()) return absl::StrCat("[", ip_.ToString(), "]:", port_);
  return absl::StrCat(ip_.ToString(), ":", port_);
}

}  // namespace rtcsim
