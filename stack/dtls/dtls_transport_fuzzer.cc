// Fuzz target feeding arbitrary datagrams to DtlsTransports: a server
// waiting for a ClientHello and a client that has sent one. The input is a
// sequence of datagrams, each prefixed by a 2-byte length. Whatever arrives,
// the transport must not crash, must count what it drops, and must end in a
// valid state. The Env is a minimal fake: fixed time, timers run at the end.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/env/env.h"

namespace {

using namespace rtcsim;        // NOLINT
using namespace rtcsim::dtls;  // NOLINT

#define Check(cond)                                                                     \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

class FakeEnv : public Env {
 public:
  Timestamp Now() const override { return now_; }
  TaskId PostTask(Task task) override {
    return PostDelayedTask(TimeDelta::Zero(), std::move(task));
  }
  TaskId PostDelayedTask(TimeDelta delay, Task task) override {
    TaskId id{++last_id_};
    tasks_[id.value] = {now_ + delay, std::move(task)};
    return id;
  }
  bool Cancel(TaskId id) override { return tasks_.erase(id.value) > 0; }
  absl::StatusOr<std::unique_ptr<UdpSocket>> BindUdp(const SocketAddress&) override {
    return absl::UnimplementedError("no sockets in the fuzzer");
  }
  Random CreateRandom(absl::string_view name) override { return Random::Derive(1, name); }

  // Runs due timers (a few rounds, advancing time), as the handshake would.
  void RunTimers(int rounds) {
    for (int i = 0; i < rounds && !tasks_.empty(); ++i) {
      auto it = tasks_.begin();
      for (auto j = tasks_.begin(); j != tasks_.end(); ++j) {
        if (j->second.first < it->second.first) it = j;
      }
      now_ = std::max(now_, it->second.first);
      Task task = std::move(it->second.second);
      tasks_.erase(it);
      task();
    }
  }

 private:
  Timestamp now_ = Timestamp::Zero();
  uint64_t last_id_ = 0;
  std::map<uint64_t, std::pair<Timestamp, Task>> tasks_;
};

std::shared_ptr<const DtlsCertificate> Certificate() {
  static FakeEnv* env = new FakeEnv;
  static auto* cert = new std::shared_ptr<const DtlsCertificate>(*DtlsCertificate::Generate(*env));
  return *cert;
}

void Feed(DtlsRole role, const uint8_t* data, size_t size) {
  FakeEnv env;
  DtlsTransportConfig config;
  config.role = role;
  config.certificate = Certificate();
  config.remote_fingerprints = {Certificate()->fingerprint()};
  uint64_t sent = 0;
  auto transport = DtlsTransport::Create(env, config,
                                         [&](absl::Span<const uint8_t> datagram) {
                                           Check(datagram.size() <= 1152);
                                           ++sent;
                                           return absl::OkStatus();
                                         },
                                         {});
  Check(transport.ok());
  Check((*transport)->Start().ok());
  size_t offset = 0;
  uint64_t fed = 0;
  while (offset + 2 <= size) {
    size_t length = (size_t{data[offset]} << 8) | data[offset + 1];
    offset += 2;
    if (length > size - offset) length = size - offset;
    (*transport)->HandlePacket(absl::MakeConstSpan(data + offset, length));
    ++fed;
    offset += length;
  }
  env.RunTimers(3);
  const DtlsTransportStats& stats = (*transport)->stats();
  Check(stats.packets_received == fed);
  Check(stats.records_dropped + stats.packets_ignored <= fed);
  Check(stats.packets_sent == sent);
  const DtlsTransportState state = (*transport)->state();
  // Nobody can complete a handshake with a peer that has no private key.
  Check(state == DtlsTransportState::kConnecting || state == DtlsTransportState::kFailed);
  Check(state != DtlsTransportState::kFailed || !(*transport)->error().ok());
  (*transport)->Close();
  Check((*transport)->state() == DtlsTransportState::kClosed ||
        (*transport)->state() == DtlsTransportState::kFailed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Feed(DtlsRole::kServer, data, size);
  Feed(DtlsRole::kClient, data, size);
  return 0;
}
