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
