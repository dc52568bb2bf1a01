#include "stack/dtls/dtls_over_ice.h"

#include <utility>

#include "stack/dtls/dtls_record.h"

namespace rtcsim::dtls {

absl::StatusOr<std::unique_ptr<DtlsOverIce>> DtlsOverIce::Create(
    Env& env, ice::IceAgent& ice, DtlsTransportConfig config, DtlsTransport::Callbacks callbacks) {
  ice::IceAgent* agent = &ice;
  auto transport = DtlsTransport::Create(
      env, std::move(config),
      [agent](absl::Span<const uint8_t> datagram) { return agent->Send(datagram); },
      std::move(callbacks));
  if (!transport.ok()) return transport.status();
  return std::unique_ptr<DtlsOverIce>(new DtlsOverIce(std::move(*transport)));
}

bool DtlsOverIce::HandleIceData(absl::Span<const uint8_t> data) {
  if (!LooksLikeDtls(data)) return false;
  transport_->HandlePacket(data);
  return true;
}

void DtlsOverIce::HandleIceState(ice::IceConnectionState state) {
  switch (state) {
    case ice::IceConnectionState::kConnected:
    case ice::IceConnectionState::kCompleted:
      if (!started_) {
        started_ = true;
        // Cannot fail: the transport is new.
        transport_->Start().IgnoreError();
      }
      break;
    case ice::IceConnectionState::kClosed:
      transport_->Close();
      break;
    default:
      // Disconnected may recover; failed leaves DTLS to time out or be
      // closed by its owner (W3C: the DTLS state reflects DTLS only).
      break;
  }
}

}  // namespace rtcsim::dtls
