// Runs a DtlsTransport over an IceAgent's selected pair (RFC 8842 §4: one
// DTLS association per ICE component; RFC 7983 demultiplexing on the
// shared socket).
//
// The IceAgent takes its callbacks at construction, so the owner (e.g. the
// PeerConnection) keeps them and forwards:
//
//   ice::IceAgent::Callbacks cb;
//   cb.on_data = [&](auto data) {
//     if (!glue->HandleIceData(data)) srtp.HandlePacket(data);  // not DTLS
//   };
//   cb.on_state = [&](auto state) { glue->HandleIceState(state); ... };
//   ice = std::make_unique<ice::IceAgent>(env, ice_config, cb);
//   glue = *DtlsOverIce::Create(env, *ice, dtls_config, dtls_callbacks);
//
// The handshake starts when ICE first connects (the ClientHello needs a
// selected pair); it survives ICE pair changes and restarts, since
// IceAgent::Send always uses the current pair.
#ifndef RTCSIM_STACK_DTLS_DTLS_OVER_ICE_H_
#define RTCSIM_STACK_DTLS_DTLS_OVER_ICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "stack/dtls/dtls_transport.h"
#include "stack/env/env.h"
#include "stack/ice/ice_agent.h"

namespace rtcsim::dtls {

class DtlsOverIce {
 public:
  // `ice` must outlive the result.
  static absl::StatusOr<std::unique_ptr<DtlsOverIce>> Create(Env& env, ice::IceAgent& ice,
                                                             DtlsTransportConfig config,
                                                             DtlsTransport::Callbacks callbacks);

  // Hands DTLS datagrams (first byte 20..63, RFC 7983 §7) to the transport
  // and returns true; returns false for anything else, which the caller
  // routes elsewhere (SRTP/SRTCP, 128..191).
  bool HandleIceData(absl::Span<const uint8_t> data);

  // Starts the handshake the first time ICE is connected or completed;
  // closes the transport when ICE closes.
  void HandleIceState(ice::IceConnectionState state);

  DtlsTransport& transport() { return *transport_; }

 private:
  explicit DtlsOverIce(std::unique_ptr<DtlsTransport> transport)
      : transport_(std::move(transport)) {}

  std::unique_ptr<DtlsTransport> transport_;
  bool started_ = false;
};

}  // namespace rtcsim::dtls

#endif  // RTCSIM_STACK_DTLS_DTLS_OVER_ICE_H_
