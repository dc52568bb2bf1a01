#include "simnet/nat_probe.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "stack/env/status_macros.h"

namespace rtcsim::simnet {
namespace {

// Request: 'Q', flags (1 = change IP, 2 = change port), txn (8),
//          reply_after_ms (4).
// Reply:   'R', txn (8), family (1), port (2), address (4 or 16).
constexpr uint8_t kRequest = 'Q';
constexpr uint8_t kReply = 'R';

void PutU64(std::vector<uint8_t>& b, uint64_t v) {
  for (int i = 7; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
uint64_t GetU64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
  return v;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ProbeServer>> ProbeServer::Create(Env& env, IpAddress primary,
                                                                 IpAddress alternate,
                                                                 uint16_t port1, uint16_t port2) {
  std::unique_ptr<ProbeServer> s(new ProbeServer(env));
  const SocketAddress binds[4] = {
      {primary, port1}, {primary, port2}, {alternate, port1}, {alternate, port2}};
  for (int i = 0; i < 4; ++i) {
    ASSIGN_OR_RETURN(s->sockets_[i], env.BindUdp(binds[i]));
    ProbeServer* self = s.get();
    s->sockets_[i]->SetReceiveCallback(
        [self, i](const SocketAddress& from, absl::Span<const uint8_t> data) {
          self->OnRequest(i, from, data);
        });
  }
  return s;
}

void ProbeServer::OnRequest(int socket, const SocketAddress& from, absl::Span<const uint8_t> data) {
  if (data.size() != 14 || data[0] != kRequest) return;  // not ours: ignore
  const uint8_t flags = data[1];
  const uint64_t txn = GetU64(&data[2]);
  const uint32_t delay_ms =
      uint32_t{data[10]} << 24 | uint32_t{data[11]} << 16 | uint32_t{data[12]} << 8 | data[13];
  // Socket index bit 1 is the address, bit 0 the port.
  const int reply_from = socket ^ ((flags & 1) ? 2 : 0) ^ ((flags & 2) ? 1 : 0);
  std::vector<uint8_t> reply{kReply};
  PutU64(reply, txn);
  reply.push_back(static_cast<uint8_t>(from.family()));
  reply.push_back(static_cast<uint8_t>(from.port() >> 8));
  reply.push_back(static_cast<uint8_t>(from.port()));
  reply.insert(reply.end(), from.ip().data(), from.ip().data() + from.ip().size());
  UdpSocket* out = sockets_[reply_from].get();
  env_.PostDelayedTask(TimeDelta::Millis(delay_ms), [out, from, reply] {
    out->SendTo(from, reply).IgnoreError();  // UDP: a failed reply is a lost reply
  });
}

std::string NatClassification::ToString() const {
  return absl::StrCat("mapping ", simnet::ToString(mapping), ", filtering ",
                      simnet::ToString(filtering), port_preserved ? ", port preserved" : "");
}

ProbeClient::ProbeClient(Network& net, Host& host, SocketAddress server_primary,
                         SocketAddress server_alternate)
    : net_(net), host_(host), primary_(server_primary), alternate_(server_alternate) {}

absl::StatusOr<std::unique_ptr<UdpSocket>> ProbeClient::NewSocket() {
  return host_.env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
}

SocketAddress ProbeClient::Target(int index) const {
  const IpAddress& ip = (index & 2) ? alternate_.ip() : primary_.ip();
  uint16_t port = (index & 1) ? alternate_.port() : primary_.port();
  return SocketAddress(ip, port);
}

absl::StatusOr<std::optional<SocketAddress>> ProbeClient::Query(UdpSocket& socket,
                                                                const ProbeRequest& req,
                                                                TimeDelta timeout) {
  const uint64_t txn = next_txn_++;
  std::vector<uint8_t> msg{
      kRequest, static_cast<uint8_t>((req.change_ip ? 1 : 0) | (req.change_port ? 2 : 0))};
  PutU64(msg, txn);
  const uint32_t ms = static_cast<uint32_t>(req.reply_after.ms());
  for (int shift : {24, 16, 8, 0}) msg.push_back(static_cast<uint8_t>(ms >> shift));

  std::optional<SocketAddress> mapped;
  socket.SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t> d) {
    if (d.size() < 12 || d[0] != kReply || GetU64(&d[1]) != txn) return;
    const IpFamily family = static_cast<IpFamily>(d[9]);
    const uint16_t port = static_cast<uint16_t>(d[10] << 8 | d[11]);
    if (family == IpFamily::kV4 && d.size() == 16) {
      mapped = SocketAddress(IpAddress::V4(d[12], d[13], d[14], d[15]), port);
    } else if (family == IpFamily::kV6 && d.size() == 28) {
      std::array<uint8_t, 16> b;
      std::memcpy(b.data(), &d[12], 16);
      mapped = SocketAddress(IpAddress::V6(b), port);
    }
    if (mapped) net_.loop().Stop();
  });
  RETURN_IF_ERROR(socket.SendTo(Target(req.target), msg));
  net_.RunFor(req.reply_after + timeout);
  socket.SetReceiveCallback(nullptr);
  return mapped;
}

absl::StatusOr<NatClassification> ProbeClient::Classify() {
  NatClassification c;
  // §4.3 mapping: Test I to primary, II to alternate address, III to
  // alternate address and port, all from one socket.
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> s, NewSocket());
  ASSIGN_OR_RETURN(auto m1, Query(*s, {.target = 0}));
  if (!m1) return absl::UnavailableError("probe: no reply to test I (UDP blocked?)");
  c.port_preserved = m1->port() == s->local_address().port();
  ASSIGN_OR_RETURN(auto m2, Query(*s, {.target = 2}));
  ASSIGN_OR_RETURN(auto m3, Query(*s, {.target = 3}));
  if (!m2 || !m3) return absl::UnavailableError("probe: no reply from the alternate address");
  if (*m2 == *m1) {
    c.mapping = NatMapping::kEndpointIndependent;
  } else if (*m3 == *m2) {
    c.mapping = NatMapping::kAddressDependent;
  } else {
    c.mapping = NatMapping::kAddressAndPortDependent;
  }
  // §4.4 filtering on a fresh socket, so the mapping tests' permissions
  // do not count.
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> f, NewSocket());
  ASSIGN_OR_RETURN(auto both, Query(*f, {.change_ip = true, .change_port = true}));
  if (both) {
    c.filtering = NatFiltering::kEndpointIndependent;
  } else {
    ASSIGN_OR_RETURN(auto port_only, Query(*f, {.change_port = true}));
    c.filtering =
        port_only ? NatFiltering::kAddressDependent : NatFiltering::kAddressAndPortDependent;
  }
  return c;
}

absl::StatusOr<bool> ProbeClient::Hairpins() {
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> a, NewSocket());
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> b, NewSocket());
  ASSIGN_OR_RETURN(auto mapped_a, Query(*a, {}));
  if (!mapped_a) return absl::UnavailableError("probe: no reply to the hairpin setup query");
  bool arrived = false;
  a->SetReceiveCallback([&](const SocketAddress&, absl::Span<const uint8_t> d) {
    arrived = d.size() == 4 && std::memcmp(d.data(), "PING", 4) == 0;
  });
  const uint8_t ping[4] = {'P', 'I', 'N', 'G'};
  RETURN_IF_ERROR(b->SendTo(*mapped_a, ping));
  net_.RunFor(TimeDelta::Seconds(1));
  return arrived;
}

absl::StatusOr<bool> ProbeClient::MappingSurvives(TimeDelta idle) {
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> s, NewSocket());
  ASSIGN_OR_RETURN(auto reply, Query(*s, {.reply_after = idle}));
  return reply.has_value();
}

}  // namespace rtcsim::simnet
