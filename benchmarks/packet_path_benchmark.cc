// Packet-path benchmarks: simulated 1,200-byte UDP datagrams per CPU second
// through small topologies, with trace JSON and pcap capture off (capture is
// on only where a benchmark's name says so).
//
// The network is built once per benchmark run and kept across iterations.
// Each iteration sends a batch of kBatch datagrams from a self-rescheduling
// sender (one send event every 10 us of virtual time, as an application's
// pacer would) and runs the loop until everything has drained.
//
// items_per_second = datagrams delivered to the receiving socket's callback
// per CPU second (end to end; lost ones are not counted). The `sent` counter
// is the send rate, and `events_per_packet` what the event loop ran per
// datagram sent.

#include <cstdint>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/env/socket_address.h"

namespace rtcsim::simnet {
namespace {

constexpr int kBatch = 1000;
constexpr size_t kPayloadBytes = 1200;
constexpr TimeDelta kSendInterval = TimeDelta::Micros(10);
// The capture variant starts over (untimed) past this, to bound memory.
constexpr size_t kMaxCaptureBytes = size_t{256} << 20;

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

LinkParams Params(int delay_ms, double loss = 0) {
  LinkParams p;
  p.delay = TimeDelta::Millis(delay_ms);
  if (loss > 0) p.loss = LossModel::Bernoulli(loss);
  return p;
}

enum class Topology {
  // sender ─(10 ms, 1% loss)─ router ─(10 ms)─ receiver
  kRouter,
  // sender (192.168.1.10) ─(5 ms)─ NAT (203.0.113.1, EIM/EIF)
  //   ─(10 ms, 1% loss)─ internet router ─(5 ms)─ receiver (198.51.100.1)
  kNat,
};

class PacketPath {
 public:
  PacketPath(Topology topology, bool capture_receiver, bool echo)
      : net_(1), payload_(kPayloadBytes, 0xab), echo_(echo) {
    Router* router = *net_.AddRouter("router");
    Host* sender = *net_.AddHost("sender", {Ip("192.168.1.10")});
    receiver_ = *net_.AddHost("receiver", {Ip("198.51.100.1")});
    if (topology == Topology::kRouter) {
      Check(net_.Connect(sender, router, Params(10, 0.01)).ok());
      Check(net_.Connect(receiver_, router, Params(10)).ok());
    } else {
      NatConfig config;
      config.public_addresses = {Ip("203.0.113.1")};
      config.mapping = NatMapping::kEndpointIndependent;
      config.filtering = NatFiltering::kEndpointIndependent;
      Nat* nat = *net_.AddNat("nat", config);
      Check(net_.Connect(sender, nat, Params(5)).ok());
      Check(net_.Connect(nat, router, Params(10, 0.01)).ok());
      Check(net_.Connect(receiver_, router, Params(5)).ok());
    }
    if (capture_receiver) capture_ = net_.CaptureHost(receiver_);
    tx_ = *sender->Bind(SocketAddress(Ip("192.168.1.10"), 5000));
    rx_ = *receiver_->Bind(SocketAddress(Ip("198.51.100.1"), 6000));
    to_ = rx_->local_address();
    rx_->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> data) {
      ++delivered_;
      // The echo goes back through the NAT's mapping (the inbound path).
      if (echo_) ok_ &= rx_->SendTo(from, data).ok();
    });
    tx_->SetReceiveCallback(
        [this](const SocketAddress&, absl::Span<const uint8_t>) { ++delivered_; });
  }

  // Sends kBatch datagrams and runs until none is in flight.
  void SendBatch() {
    remaining_ = kBatch;
    net_.loop().ScheduleAfter(TimeDelta::Zero(), [this] { SendNext(); });
    net_.loop().Run();
  }

  Network& net() { return net_; }
  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  bool ok() { return ok_ && net_.packets().live() == 0; }
  size_t capture_bytes() const { return capture_ == nullptr ? 0 : capture_->bytes().size(); }

 private:
  void Check(bool ok) { ok_ &= ok; }
  void SendNext() {
    ok_ &= tx_->SendTo(to_, payload_).ok();
    ++sent_;
    if (--remaining_ > 0) net_.loop().ScheduleAfter(kSendInterval, [this] { SendNext(); });
  }

  Network net_;
  Host* receiver_;
  std::unique_ptr<UdpSocket> tx_, rx_;
  SocketAddress to_;
  std::vector<uint8_t> payload_;
  const bool echo_;
  PcapngWriter* capture_ = nullptr;
  int remaining_ = 0;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  bool ok_ = true;
};

void Run(benchmark::State& state, Topology topology, bool capture, bool echo) {
  auto path = std::make_unique<PacketPath>(topology, capture, echo);
  uint64_t sent = 0, delivered = 0, events = 0;
  bool ok = true;
  for (auto _ : state) {
    path->SendBatch();
    if (path->capture_bytes() > kMaxCaptureBytes) {
      state.PauseTiming();
      sent += path->sent();
      delivered += path->delivered();
      events += path->net().loop().events_run();
      ok &= path->ok();
      path = std::make_unique<PacketPath>(topology, capture, echo);
      state.ResumeTiming();
    }
  }
  sent += path->sent();
  delivered += path->delivered();
  events += path->net().loop().events_run();
  ok &= path->ok();
  if (!ok || delivered == 0) state.SkipWithError("a send failed or packets were leaked");
  state.SetItemsProcessed(static_cast<int64_t>(delivered));
  state.counters["sent"] =
      benchmark::Counter(static_cast<double>(sent), benchmark::Counter::kIsRate);
  state.counters["delivered_pct"] = sent > 0 ? 100.0 * delivered / sent : 0;
  state.counters["events_per_packet"] = sent > 0 ? static_cast<double>(events) / sent : 0;
}

// (a) Comparable to ns-3's point-to-point figure: one router, delay and loss.
void BM_RouterPath(benchmark::State& state) { Run(state, Topology::kRouter, false, false); }
BENCHMARK(BM_RouterPath);

// (b) The 3-hop NATed path, one way (NAT outbound translation).
void BM_NatPath(benchmark::State& state) { Run(state, Topology::kNat, false, false); }
BENCHMARK(BM_NatPath);

// (b') The same with the receiver echoing each datagram, so half the traffic
// takes the NAT's inbound path; items count deliveries in both directions
// (so delivered_pct, against the first sender's sends, approaches 200%).
void BM_NatPathEcho(benchmark::State& state) { Run(state, Topology::kNat, false, true); }
BENCHMARK(BM_NatPathEcho);

// (b'') The one-way NATed path with a pcapng capture on the receiver.
void BM_NatPathCaptureReceiver(benchmark::State& state) { Run(state, Topology::kNat, true, false); }
BENCHMARK(BM_NatPathCaptureReceiver);

}  // namespace
}  // namespace rtcsim::simnet
