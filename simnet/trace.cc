#include "simnet/trace.h"

#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/env/random.h"

namespace rtcsim::simnet {

const char* ToString(TraceKind kind) {
  switch (kind) {
    case TraceKind::kSend:
      return "send";
    case TraceKind::kReceive:
      return "receive";
    case TraceKind::kLinkLoss:
      return "link_loss";
    case TraceKind::kLinkDuplicate:
      return "link_duplicate";
    case TraceKind::kQueueDrop:
      return "queue_drop";
    case TraceKind::kMtuDrop:
      return "mtu_drop";
    case TraceKind::kLinkDownDrop:
      return "link_down_drop";
    case TraceKind::kNoRoute:
      return "no_route";
    case TraceKind::kNoSocket:
      return "no_socket";
    case TraceKind::kTtlExpired:
      return "ttl_expired";
    case TraceKind::kNatMappingCreated:
      return "nat_mapping_created";
    case TraceKind::kNatMappingExpired:
      return "nat_mapping_expired";
    case TraceKind::kNatFiltered:
      return "nat_filtered";
    case TraceKind::kNatNoMapping:
      return "nat_no_mapping";
    case TraceKind::kNatHairpinDrop:
      return "nat_hairpin_drop";
    case TraceKind::kFirewallDrop:
      return "firewall_drop";
    case TraceKind::kLinkChanged:
      return "link_changed";
    case TraceKind::kNote:
      return "note";
    case TraceKind::kAddressChanged:
      return "address_changed";
  }
  return "unknown";
}

uint32_t Trace::RegisterNode(absl::string_view name) {
  node_names_.emplace_back(name);
  uint32_t id = static_cast<uint32_t>(node_names_.size() - 1);
  // Perfetto shows one track per node, named by this metadata event.
  absl::StrAppend(&json_, json_.empty() ? "" : ",\n",
                  absl::StrFormat("{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,"
                                  "\"tid\":%d,\"args\":{\"name\":\"%s\"}}",
                                  id, name));
  return id;
}

void Trace::FoldAddress(const SocketAddress& a) {
  const IpAddress& ip = a.ip();
  uint64_t w = static_cast<uint64_t>(ip.family()) << 56 | a.port();
  if (ip.is_v4()) {
    Fold(w | uint64_t{ip.v4_host_order()} << 16);
  } else {
    Fold(w);
    uint64_t hi, lo;
    std::memcpy(&hi, ip.data(), 8);
    std::memcpy(&lo, ip.data() + 8, 8);
    Fold(hi);
    Fold(lo);
  }
}

void Trace::Record(Timestamp t, TraceKind kind, uint32_t node, uint64_t packet_id,
                   const SocketAddress& src, const SocketAddress& dst, uint32_t size,
                   int64_t detail) {
  ++events_;
  Fold(static_cast<uint64_t>(t.ns()));
  Fold(uint64_t{node} << 8 | static_cast<uint8_t>(kind));
  Fold(packet_id);
  FoldAddress(src);
  FoldAddress(dst);
  Fold(uint64_t{size} << 32 ^ static_cast<uint64_t>(detail));
  if (!json_enabled_) return;
  absl::StrAppend(
      &json_, json_.empty() ? "" : ",\n",
      absl::StrFormat("{\"name\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,\"tid\":%d,"
                      "\"ts\":%d.%03d,\"args\":{\"packet\":%d,\"src\":\"%s\",\"dst\":\"%s\","
                      "\"bytes\":%d,\"detail\":%d}}",
                      ToString(kind), node, t.ns() / 1000, t.ns() % 1000, packet_id, src.ToString(),
                      dst.ToString(), size, detail));
}

void Trace::Record(Timestamp t, TraceKind kind, uint32_t node, uint64_t packet_id,
                   const SocketAddress& src, const SocketAddress& dst,
                   absl::Span<const uint8_t> payload, int64_t detail) {
  // Before the event's own words, so that a payload-carrying event never
  // hashes like a size-only one.
  Fold(PayloadHash(payload));
  Record(t, kind, node, packet_id, src, dst, static_cast<uint32_t>(payload.size()), detail);
}

namespace {

inline uint64_t Load64Le(const uint8_t* p) {
  uint64_t w;
  std::memcpy(&w, p, sizeof(w));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  w = __builtin_bswap64(w);
#endif
  return w;
}

inline uint64_t Rotl64(uint64_t x, int k) { return x << k | x >> (64 - k); }

}  // namespace

uint64_t Trace::PayloadHash(absl::Span<const uint8_t> payload) {
  // Two independent multiply-rotate lanes over 16-byte blocks, then the tail
  // (zero-padded) and the length, through Mix64. Not cryptographic: it tells
  // runs apart, it does not resist an adversary.
  constexpr uint64_t kA = 0x9e3779b97f4a7c15ULL;
  constexpr uint64_t kB = 0xc2b2ae3d27d4eb4fULL;
  const uint8_t* p = payload.data();
  size_t n = payload.size();
  uint64_t a = 0x243f6a8885a308d3ULL, b = 0x13198a2e03707344ULL;
  for (; n >= 16; p += 16, n -= 16) {
    a = Rotl64(a ^ Load64Le(p), 31) * kA;
    b = Rotl64(b ^ Load64Le(p + 8), 29) * kB;
  }
  if (n > 0) {
    uint8_t tail[16] = {};
    std::memcpy(tail, p, n);
    a = Rotl64(a ^ Load64Le(tail), 31) * kA;
    b = Rotl64(b ^ Load64Le(tail + 8), 29) * kB;
  }
  return Mix64(a ^ Rotl64(b, 17) ^ Mix64(payload.size()));
}

void Trace::Note(Timestamp t, uint32_t node, absl::string_view text) {
  ++events_;
  Fold(static_cast<uint64_t>(t.ns()));
  Fold(uint64_t{node} << 8 | static_cast<uint8_t>(TraceKind::kNote));
  Fold(StableHash(0, text));
  if (!json_enabled_) return;
  std::string escaped;
  for (char c : text) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    if (static_cast<unsigned char>(c) < 0x20) continue;
    escaped.push_back(c);
  }
  absl::StrAppend(&json_, json_.empty() ? "" : ",\n",
                  absl::StrFormat("{\"name\":\"%s\",\"ph\":\"i\",\"s\":\"t\",\"pid\":1,"
                                  "\"tid\":%d,\"ts\":%d.%03d}",
                                  escaped, node, t.ns() / 1000, t.ns() % 1000));
}

uint64_t Trace::hash() const { return Mix64(h_ ^ events_); }

std::string Trace::HashHex() const { return absl::StrFormat("%016x", hash()); }

std::string Trace::ToJson() const {
  return absl::StrCat("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", json_, "\n]}\n");
}

absl::Status Trace::WriteJson(const std::string& path) const {
  std::ofstream out(path, std::ios::binary);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write trace to ", path));
  out << ToJson();
  if (!out) return absl::UnavailableError(absl::StrCat("error writing trace to ", path));
  return absl::OkStatus();
}

}  // namespace rtcsim::simnet
