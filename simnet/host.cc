#include "simnet/host.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"

namespace rtcsim::simnet {

class SimUdpSocket : public UdpSocket {
 public:
  SimUdpSocket(Host* host, SocketAddress local) : host_(host), local_(local) {}
  ~SimUdpSocket() override {
    if (host_ != nullptr) host_->Unbind(this);
  }
  SocketAddress local_address() const override { return local_; }
  absl::Status SendTo(const SocketAddress& to, absl::Span<const uint8_t> payload) override {
    if (host_ == nullptr) return absl::FailedPreconditionError("host was destroyed");
    if (address_gone_) {
      return absl::FailedPreconditionError(
          absl::StrCat("host ", host_->name(), " no longer has address ", local_.ip().ToString()));
    }
    return host_->SendFrom(local_, to, payload);
  }
  void SetReceiveCallback(ReceiveCallback cb) override { callback_ = std::move(cb); }

 private:
  friend class Host;
  Host* host_;
  SocketAddress local_;
  // The host lost the address this socket is bound to (it may come back).
  bool address_gone_ = false;
  ReceiveCallback callback_;
};

namespace {

// The Env a stack running on a simulated host sees: virtual time, the
// network's event loop, this host's sockets, streams derived from the seed.
class HostEnv : public Env {
 public:
  HostEnv(Network* net, Host* host) : net_(net), host_(host) {}
  Timestamp Now() const override { return net_->now(); }
  TaskId PostTask(Task task) override {
    return net_->loop().Schedule(net_->now(), std::move(task));
  }
  TaskId PostDelayedTask(TimeDelta delay, Task task) override {
    return net_->loop().ScheduleAfter(delay, std::move(task));
  }
  bool Cancel(TaskId id) override { return net_->loop().Cancel(id); }
  absl::StatusOr<std::unique_ptr<UdpSocket>> BindUdp(const SocketAddress& local) override {
    return host_->Bind(local);
  }
  Random CreateRandom(absl::string_view name) override {
    return net_->CreateRandom(absl::StrCat("host/", host_->name(), "/", name));
  }

 private:
  Network* net_;
  Host* host_;
};

}  // namespace

Host::Host(Network* net, std::string name, std::vector<IpAddress> addresses)
    : Node(net, std::move(name), NodeKind::kHost, std::move(addresses)),
      env_(std::make_unique<HostEnv>(net, this)) {}

Host::~Host() {
  // Sockets may outlive the network; they fail cleanly after this.
  for (auto& [addr, s] : sockets_) s->host_ = nullptr;
}

void Host::SetCapture(PcapngWriter* writer) {
  capture_ = writer;
  capture_iface_ = writer->AddInterface(name());
}

absl::StatusOr<std::unique_ptr<UdpSocket>> Host::Bind(const SocketAddress& requested) {
  IpAddress ip = requested.ip();
  if (ip.family() == IpFamily::kNone) {
    return absl::InvalidArgumentError(
        absl::StrCat("host ", name(), ": bind needs an address family"));
  }
  if (ip.IsUnspecified()) {
    bool found = false;
    for (const IpAddress& a : addresses_) {
      if (a.family() == ip.family()) {
        ip = a;
        found = true;
        break;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(absl::StrCat(
          "host ", name(), " has no IPv", static_cast<int>(ip.family()), " address to bind"));
    }
  } else if (!HasAddress(ip)) {
    return absl::InvalidArgumentError(
        absl::StrCat("host ", name(), " has no address ", ip.ToString(), " to bind"));
  }
  uint16_t port = requested.port();
  if (port == 0) {
    // Sequential ephemeral ports (RFC 6335 §6 range), skipping used ones.
    for (int tries = 0; tries < 16384; ++tries) {
      uint16_t candidate = next_ephemeral_;
      next_ephemeral_ = next_ephemeral_ == 65535 ? 49152 : next_ephemeral_ + 1;
      if (!sockets_.contains(SocketAddress(ip, candidate))) {
        port = candidate;
        break;
      }
    }
    if (port == 0) {
      return absl::ResourceExhaustedError(
          absl::StrCat("host ", name(), ": no free ephemeral port on ", ip.ToString()));
    }
  }
  SocketAddress local(ip, port);
  if (sockets_.contains(local)) {
    return absl::AlreadyExistsError(
        absl::StrCat("host ", name(), ": address ", local.ToString(), " is already in use"));
  }
  auto s = std::make_unique<SimUdpSocket>(this, local);
  sockets_[local] = s.get();
  return std::unique_ptr<UdpSocket>(std::move(s));
}

void Host::OnAddressesChanged() {
  // Only flags are set, so the hash map's order cannot leak into the run.
  for (auto& [addr, s] : sockets_) s->address_gone_ = !HasAddress(addr.ip());
}

void Host::Unbind(SimUdpSocket* s) { sockets_.erase(s->local_); }

absl::Status Host::SendFrom(const SocketAddress& from, const SocketAddress& to,
                            absl::Span<const uint8_t> payload) {
  if (to.family() != from.family()) {
    return absl::InvalidArgumentError(absl::StrCat("host ", name(), ": cannot send from ",
                                                   from.ToString(), " to ", to.ToString(),
                                                   " (address families differ)"));
  }
  if (to.ip().IsUnspecified() || to.port() == 0 || to.ip().IsMulticast()) {
    return absl::InvalidArgumentError(absl::StrCat("host ", name(), ": cannot send to ",
                                                   to.ToString(),
                                                   " (unspecified, port 0 or multicast)"));
  }
  const size_t max_payload = from.ip().is_v4() ? 65507 : 65527;
  if (payload.size() > max_payload) {
    return absl::InvalidArgumentError(absl::StrCat("host ", name(), ": datagram of ",
                                                   payload.size(),
                                                   " bytes exceeds the UDP "
                                                   "limit of ",
                                                   max_payload));
  }
  const bool local = HasAddress(to.ip());
  if (!local && uplink_ < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("host ", name(), ": no route to ", to.ToString(), " (host is not connected)"));
  }
  PacketRef ref = net_->packets().Alloc();
  Packet& p = net_->packets()[ref];
  p.id = net_->NextPacketId();
  p.src = from;
  p.dst = to;
  p.ttl = 64;
  p.ip_id = next_ip_id_++;
  p.payload.assign(payload.begin(), payload.end());
  ++stats_.sent;
  // The payload overload folds the bytes into the hash: same hash, same bytes.
  net_->trace().Record(net_->now(), TraceKind::kSend, trace_id_, p.id, p.src, p.dst,
                       absl::MakeConstSpan(p.payload));
  if (capture_ != nullptr) {
    capture_->WriteUdp(capture_iface_, net_->now(), p.src, p.dst, p.ttl, p.ip_id, p.payload)
        .IgnoreError();  // families match: checked when sending
  }
  if (local) {
    net_->loop().Schedule(net_->now(), [this, ref] { DeliverLocally(ref); });
  } else {
    Transmit(uplink_, ref);
  }
  return absl::OkStatus();
}

void Host::Receive(int iface, PacketRef ref) {
  Packet& p = net_->packets()[ref];
  if (!HasAddress(p.dst.ip())) {
    ++stats_.not_for_us_drops;
    Drop(ref, TraceKind::kNoRoute);  // hosts do not forward
    return;
  }
  if (capture_ != nullptr) {
    capture_->WriteUdp(capture_iface_, net_->now(), p.src, p.dst, p.ttl, p.ip_id, p.payload)
        .IgnoreError();  // families match: checked when sending
  }
  DeliverLocally(ref);
}

void Host::DeliverLocally(PacketRef ref) {
  Packet& p = net_->packets()[ref];
  auto it = sockets_.find(p.dst);
  if (it == sockets_.end()) {
    ++stats_.no_socket_drops;
    Drop(ref, TraceKind::kNoSocket);
    return;
  }
  ++stats_.received;
  net_->trace().Record(net_->now(), TraceKind::kReceive, trace_id_, p.id, p.src, p.dst,
                       absl::MakeConstSpan(p.payload));
  // Copy out what the callback needs: it may send, which can grow the pool.
  SimUdpSocket* s = it->second;
  if (s->callback_) {
    const SocketAddress from = p.src;
    scratch_.swap(p.payload);
    net_->packets().Free(ref);
    s->callback_(from, scratch_);
  } else {
    net_->packets().Free(ref);
  }
}

}  // namespace rtcsim::simnet
