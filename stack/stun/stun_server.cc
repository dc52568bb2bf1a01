#include "stack/stun/stun_server.h"

#include <utility>

#include "stack/env/status_macros.h"

namespace rtcsim::stun {

absl::StatusOr<std::unique_ptr<StunBindingServer>> StunBindingServer::Create(
    Env& env, const SocketAddress& bind, StunServerOptions options) {
  ASSIGN_OR_RETURN(std::unique_ptr<UdpSocket> socket, env.BindUdp(bind));
  return std::unique_ptr<StunBindingServer>(
      new StunBindingServer(std::move(socket), std::move(options)));
}

StunBindingServer::StunBindingServer(std::unique_ptr<UdpSocket> socket, StunServerOptions options)
    : socket_(std::move(socket)), options_(std::move(options)) {
  socket_->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> packet) {
    OnPacket(from, packet);
  });
}

StunBindingServer::~StunBindingServer() = default;

SocketAddress StunBindingServer::local_address() const { return socket_->local_address(); }

std::optional<std::vector<uint8_t>> StunBindingServer::HandlePacket(
    const SocketAddress& from, absl::Span<const uint8_t> packet) {
  // RFC 8489 §6.3: a message that fails the header or attribute checks
  // (including a bad FINGERPRINT) is discarded silently.
  if (!LooksLikeStun(packet)) {
    ++stats_.malformed;
    return std::nullopt;
  }
  auto parsed = StunMessageView::Parse(packet);
  if (!parsed.ok()) {
    ++stats_.malformed;
    return std::nullopt;
  }
  const StunMessageView& request = *parsed;
  // §6.3: unsupported methods are discarded; §6.3.2: no response is ever
  // sent to an indication; responses are not ours to match.
  if (request.method_bits() != static_cast<uint16_t>(StunMethod::kBinding) ||
      request.message_class() != StunClass::kRequest) {
    ++stats_.ignored;
    return std::nullopt;
  }
  ++stats_.requests;

  // §6.3.1: unknown comprehension-required attributes get 420 listing them.
  // This Binding server authenticates nothing, so there is no
  // MESSAGE-INTEGRITY to add to either response (§6.3.1.1).
  std::optional<StunMessageBuilder> response;
  if (!request.UnknownComprehensionRequired().empty()) {
    ++stats_.unknown_attribute_rejections;
    response.emplace(MakeErrorResponse(request, error::kUnknownAttribute, "Unknown Attribute"));
  } else {
    // §6.3.1.1: XOR-MAPPED-ADDRESS carries the request's source transport
    // address, as seen here (after any NAT on the way).
    response.emplace(StunMethod::kBinding, StunClass::kSuccessResponse, request.transaction_id());
    response->AddXorAddress(attr::kXorMappedAddress, from);
  }
  if (!options_.software.empty()) response->AddString(attr::kSoftware, options_.software);
  if (options_.fingerprint) response->AddFingerprint();
  return std::move(*response).Finish();
}

void StunBindingServer::OnPacket(const SocketAddress& from, absl::Span<const uint8_t> packet) {
  std::optional<std::vector<uint8_t>> response = HandlePacket(from, packet);
  if (!response.has_value()) return;
  // §6.3.1.2: back to the source, from the address the request came to.
  if (socket_->SendTo(from, *response).ok()) {
    ++stats_.responses;
  } else {
    ++stats_.send_errors;
  }
}

}  // namespace rtcsim::stun
