// TURN server, RFC 8656 over UDP, with the long-term credential mechanism of
// RFC 8489 §9.2 and the STUN Binding service of RFC 8489 §6.3.
//
// Per allocation (RFC 8656 §6) the server keeps the client's 5-tuple, the
// username that created it, a relay socket bound on the Env, the
// time-to-expiry, the permissions (§9, by peer IP) and the channel bindings
// (§12, by number and by peer transport address).
#include "stack/turn/turn_server.h"

#include <algorithm>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/env/status_macros.h"
#include "stack/stun/stun_message.h"
#include "stack/turn/turn_client.h"

namespace rtcsim::turn {
namespace {

using stun::StunClass;
using stun::StunMessageBuilder;
using stun::StunMessageView;
using stun::StunMethod;

constexpr uint8_t kProtocolUdp = 17;
constexpr uint16_t kMinChannel = 0x4000;
constexpr uint16_t kMaxChannel = 0x4FFF;
// Nonce bookkeeping is per client address; past this many entries the
// expired ones are swept so spoofed sources cannot grow it without bound.
constexpr size_t kNonceSweepThreshold = 4096;

bool IsTurnRequestMethod(uint16_t method_bits) {
  return method_bits == static_cast<uint16_t>(StunMethod::kAllocate) ||
         method_bits == static_cast<uint16_t>(StunMethod::kRefresh) ||
         method_bits == static_cast<uint16_t>(StunMethod::kCreatePermission) ||
         method_bits == static_cast<uint16_t>(StunMethod::kChannelBind);
}

// Decodes one XOR-PEER-ADDRESS-style attribute (RFC 8489 §14.2); the view's
// getter only returns the first of a type, and CreatePermission may carry
// several (RFC 8656 §10.1).
absl::StatusOr<SocketAddress> DecodeXorAddress(const stun::RawAttribute& attribute,
                                               const stun::TransactionId& id) {
  absl::Span<const uint8_t> v = attribute.value;
  if (v.size() < 4) {
    return absl::InvalidArgumentError(absl::StrFormat("%s at offset %d: %d bytes",
                                                      stun::AttributeName(attribute.type),
                                                      attribute.offset, v.size()));
  }
  const uint8_t family = v[1];
  const uint16_t port = static_cast<uint16_t>((v[2] << 8 | v[3]) ^ (stun::kMagicCookie >> 16));
  uint8_t mask[16];
  for (int i = 0; i < 4; ++i) mask[i] = static_cast<uint8_t>(stun::kMagicCookie >> (24 - 8 * i));
  std::copy(id.begin(), id.end(), mask + 4);
  if (family == 0x01 && v.size() == 8) {
    uint32_t ip = 0;
    for (int i = 0; i < 4; ++i) ip = ip << 8 | static_cast<uint8_t>(v[4 + i] ^ mask[i]);
    return SocketAddress(IpAddress::V4(ip), port);
  }
  if (family == 0x02 && v.size() == 20) {
    std::array<uint8_t, 16> ip;
    for (int i = 0; i < 16; ++i) ip[i] = v[4 + i] ^ mask[i];
    return SocketAddress(IpAddress::V6(ip), port);
  }
  return absl::InvalidArgumentError(absl::StrFormat("%s at offset %d: family 0x%02x with %d bytes",
                                                    stun::AttributeName(attribute.type),
                                                    attribute.offset, family, v.size()));
}

std::string HexNonce(Random& random) {
  // 128 random bits: RFC 8656 §5 asks for a random nonce per allocation
  // attempt (RFC 4086 randomness; the Env's stream is seeded for
  // simulation and from OS entropy for real).
  return absl::StrFormat("%016x%016x", random.Next64(), random.Next64());
}

}  // namespace

struct TurnServer::Allocation {
  struct ChannelBinding {
    SocketAddress peer;
    Timestamp expires;
  };

  SocketAddress client;
  std::string username;
  std::vector<uint8_t> key;
  stun::TransactionId allocate_id{};  // to recognise Allocate retransmissions
  std::unique_ptr<UdpSocket> relay;
  SocketAddress relayed;
  Timestamp expires;
  TaskId expiry_timer;
  std::map<IpAddress, Timestamp> permissions;  // peer IP → expiry
  std::map<uint16_t, ChannelBinding> channels;
  std::map<SocketAddress, uint16_t> channel_by_peer;
};

struct TurnServer::Request {
  const StunMessageView& message;
  SocketAddress from;
  bool authenticated = false;
  std::string username;
  std::vector<uint8_t> key;
};

absl::StatusOr<std::unique_ptr<TurnServer>> TurnServer::Create(Env& env, TurnServerConfig config) {
  if (config.realm.empty()) return absl::InvalidArgumentError("TurnServerConfig: realm is empty");
  if (config.default_lifetime <= TimeDelta::Zero() ||
      config.max_lifetime < config.default_lifetime) {
    return absl::InvalidArgumentError(
        absl::StrCat("TurnServerConfig: need 0 < default_lifetime <= max_lifetime, got ",
                     config.default_lifetime.ToString(), " and ", config.max_lifetime.ToString()));
  }
  if (config.nonce_lifetime <= TimeDelta::Zero() ||
      config.permission_lifetime <= TimeDelta::Zero() ||
      config.channel_lifetime <= TimeDelta::Zero()) {
    return absl::InvalidArgumentError(
        "TurnServerConfig: nonce, permission and channel lifetimes must be positive");
  }
  if (config.relay_addresses.empty()) {
    if (config.listen.ip().IsUnspecified()) {
      return absl::InvalidArgumentError(
          "TurnServerConfig: relay_addresses is required when listening on the wildcard "
          "address (the relayed address must be one clients and peers can reach)");
    }
    config.relay_addresses.push_back(config.listen.ip());
  }
  bool v4 = false, v6 = false;
  for (const IpAddress& ip : config.relay_addresses) {
    bool& seen = ip.is_v4() ? v4 : v6;
    if (ip.family() == IpFamily::kNone || seen) {
      return absl::InvalidArgumentError(
          absl::StrCat("TurnServerConfig: relay address ", ip.ToString(),
                       " is invalid or repeats a family (at most one IPv4 and one IPv6)"));
    }
    seen = true;
  }
  std::unique_ptr<TurnServer> server(new TurnServer(env, std::move(config)));
  RETURN_IF_ERROR(server->Start());
  return server;
}

TurnServer::TurnServer(Env& env, TurnServerConfig config)
    : env_(env),
      config_(std::move(config)),
      random_(env.CreateRandom(absl::StrCat("turn-server/", config_.listen.ToString()))) {}

TurnServer::~TurnServer() {
  for (auto& [client, allocation] : allocations_) {
    if (allocation->expiry_timer.valid()) env_.Cancel(allocation->expiry_timer);
  }
}

absl::Status TurnServer::Start() {
  auto socket = env_.BindUdp(config_.listen);
  if (!socket.ok()) {
    return absl::Status(socket.status().code(),
                        absl::StrCat("TurnServer: cannot listen on ", config_.listen.ToString(),
                                     ": ", socket.status().message()));
  }
  listen_ = *std::move(socket);
  listen_address_ = listen_->local_address();
  listen_->SetReceiveCallback([this](const SocketAddress& from, absl::Span<const uint8_t> packet) {
    OnListenPacket(from, packet);
  });
  return absl::OkStatus();
}

SocketAddress TurnServer::listen_address() const { return listen_address_; }

size_t TurnServer::allocation_count() const { return allocations_.size(); }

absl::StatusOr<SocketAddress> TurnServer::RelayedAddressFor(const SocketAddress& client) const {
  auto it = allocations_.find(client);
  if (it == allocations_.end()) {
    return absl::NotFoundError(absl::StrCat("no allocation for ", client.ToString()));
  }
  return it->second->relayed;
}

// --- Demultiplexing ----------------------------------------------------------

void TurnServer::OnListenPacket(const SocketAddress& from, absl::Span<const uint8_t> packet) {
  // RFC 7983 / RFC 8656 §12: first byte 0-3 is STUN, 64-79 ChannelData.
  if (LooksLikeChannelData(packet)) return HandleChannelData(from, packet);
  if (!stun::LooksLikeStun(packet)) {
    ++stats_.dropped_malformed;
    return;
  }
  auto message = StunMessageView::Parse(packet);
  if (!message.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  switch (message->message_class()) {
    case StunClass::kRequest: {
      Request request{*message, from};
      HandleRequest(request);
      return;
    }
    case StunClass::kIndication:
      if (message->method() == StunMethod::kSend) return HandleSendIndication(from, *message);
      // A Binding indication is a keepalive (RFC 8489 §6.3.2): nothing to do.
      if (message->method() != StunMethod::kBinding) ++stats_.dropped_malformed;
      return;
    default:
      // The server sends no requests, so responses are stray or forged.
      ++stats_.dropped_malformed;
      return;
  }
}

// --- Requests ----------------------------------------------------------------

void TurnServer::SendToClient(const SocketAddress& to, absl::Span<const uint8_t> bytes) {
  // UDP: a local send error is indistinguishable from loss for the client,
  // which retransmits.
  listen_->SendTo(to, bytes).IgnoreError();
}

void TurnServer::SendError(Request& request, int code, absl::string_view reason) {
  switch (code) {
    case stun::error::kBadRequest:
      ++stats_.bad_requests;
      break;
    case stun::error::kUnknownAttribute:
      ++stats_.unknown_attributes;
      break;
    case stun::error::kAllocationMismatch:
      ++stats_.allocation_mismatches;
      break;
    case stun::error::kWrongCredentials:
      ++stats_.username_mismatches;
      break;
    default:
      ++stats_.other_errors;
      break;
  }
  const StunMessageView& m = request.message;
  StunMessageBuilder b(static_cast<StunMethod>(m.method_bits()), StunClass::kErrorResponse,
                       m.transaction_id());
  b.AddErrorCode(code, reason);
  if (code == stun::error::kUnknownAttribute) {
    std::vector<uint16_t> unknown = m.UnknownComprehensionRequired();
    // RFC 8656 §7.2 step 4: DONT-FRAGMENT is treated as unknown, since this
    // server cannot set the DF bit through an Env socket.
    if (m.Has(stun::attr::kDontFragment)) unknown.push_back(stun::attr::kDontFragment);
    b.AddUnknownAttributes(unknown);
  }
  // RFC 8656 §5: SOFTWARE SHOULD be in Allocate and Refresh responses.
  if (m.method() == StunMethod::kAllocate || m.method() == StunMethod::kRefresh) {
    b.AddString(stun::attr::kSoftware, config_.software);
  }
  // RFC 8489 §9.2.4: once the request authenticated, every response
  // carries MESSAGE-INTEGRITY.
  if (request.authenticated) b.AddMessageIntegrity(request.key);
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

// A 401 or 438 with REALM and a fresh NONCE (RFC 8489 §9.2.4); never
// integrity-protected, since the client's key is what is in doubt.
void TurnServer::SendChallenge(Request& request, int code, absl::string_view reason) {
  const StunMessageView& m = request.message;
  StunMessageBuilder b(m.method(), StunClass::kErrorResponse, m.transaction_id());
  b.AddErrorCode(code, reason);
  b.AddString(stun::attr::kRealm, config_.realm);
  b.AddString(stun::attr::kNonce, NonceFor(request.from));
  if (m.method() == StunMethod::kAllocate || m.method() == StunMethod::kRefresh) {
    b.AddString(stun::attr::kSoftware, config_.software);
  }
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

std::string TurnServer::NonceFor(const SocketAddress& client) {
  const Timestamp now = env_.Now();
  if (nonces_.size() >= kNonceSweepThreshold) {
    std::erase_if(nonces_, [now](const auto& entry) { return entry.second.expires <= now; });
  }
  NonceState& state = nonces_[client];
  if (state.nonce.empty() || state.expires <= now) {
    state.nonce = HexNonce(random_);
    state.expires = now + config_.nonce_lifetime;
  }
  return state.nonce;
}

// RFC 8489 §9.2.4 leaves nonce validity to the server; here a nonce is
// valid for the client address it was issued to until it expires.
bool TurnServer::NonceValid(const SocketAddress& client, absl::string_view nonce) {
  auto it = nonces_.find(client);
  return it != nonces_.end() && it->second.nonce == nonce && env_.Now() < it->second.expires;
}

void TurnServer::HandleRequest(Request& request) {
  const StunMessageView& m = request.message;
  if (m.method_bits() == static_cast<uint16_t>(StunMethod::kBinding)) return HandleBinding(request);
  // RFC 8489 §6.3.1: unknown comprehension-required attributes are
  // rejected before anything else (RFC 8656 §7.2 step 4 adds DONT-FRAGMENT).
  if (!m.UnknownComprehensionRequired().empty() || m.Has(stun::attr::kDontFragment)) {
    return SendError(request, stun::error::kUnknownAttribute, "Unknown Attribute");
  }
  if (!IsTurnRequestMethod(m.method_bits())) {
    return SendError(request, stun::error::kBadRequest, "Unknown method");
  }

  // RFC 8489 §9.2.4, in the order given there.
  const bool has_integrity =
      m.Has(stun::attr::kMessageIntegrity) || m.Has(stun::attr::kMessageIntegritySha256);
  if (!has_integrity) {
    ++stats_.unauthenticated;
    return SendChallenge(request, stun::error::kUnauthorized, "Unauthorized");
  }
  auto username = m.GetString(stun::attr::kUsername);
  auto realm = m.GetString(stun::attr::kRealm);
  auto nonce = m.GetString(stun::attr::kNonce);
  if (!username.ok() || !realm.ok() || !nonce.ok()) {
    return SendError(request, stun::error::kBadRequest, "Missing USERNAME, REALM or NONCE");
  }
  auto user = config_.users.find(*username);
  if (user == config_.users.end() || *realm != config_.realm) {
    ++stats_.wrong_credentials;
    return SendChallenge(request, stun::error::kUnauthorized, "Unauthorized");
  }
  std::vector<uint8_t> key = stun::LongTermKey(*username, config_.realm, user->second);
  if (m.CheckIntegrity(key) != stun::IntegrityResult::kOk) {
    ++stats_.wrong_credentials;
    return SendChallenge(request, stun::error::kUnauthorized, "Unauthorized");
  }
  if (!NonceValid(request.from, *nonce)) {
    ++stats_.stale_nonces;
    // Issue a new one: NonceFor reuses only an unexpired nonce, and the one
    // the client holds is either expired or not the current one.
    return SendChallenge(request, stun::error::kStaleNonce, "Stale Nonce");
  }
  request.authenticated = true;
  request.username = *username;
  request.key = std::move(key);

  if (m.method() == StunMethod::kAllocate) return HandleAllocate(request);
  // RFC 8656 §5: every other request needs the 5-tuple's allocation, made
  // by the same user.
  Allocation* allocation = FindAllocation(request.from);
  if (allocation == nullptr) {
    return SendError(request, stun::error::kAllocationMismatch, "Allocation Mismatch");
  }
  if (allocation->username != request.username) {
    return SendError(request, stun::error::kWrongCredentials, "Wrong Credentials");
  }
  switch (m.method()) {
    case StunMethod::kRefresh:
      return HandleRefresh(request, *allocation);
    case StunMethod::kCreatePermission:
      return HandleCreatePermission(request, *allocation);
    case StunMethod::kChannelBind:
      return HandleChannelBind(request, *allocation);
    default:
      return SendError(request, stun::error::kBadRequest, "Unknown method");
  }
}

// RFC 8489 §6.3.1: the plain STUN server role, no authentication.
void TurnServer::HandleBinding(Request& request) {
  ++stats_.binding_requests;
  if (!request.message.UnknownComprehensionRequired().empty()) {
    return SendError(request, stun::error::kUnknownAttribute, "Unknown Attribute");
  }
  StunMessageBuilder b(StunMethod::kBinding, StunClass::kSuccessResponse,
                       request.message.transaction_id());
  b.AddXorAddress(stun::attr::kXorMappedAddress, request.from);
  b.AddString(stun::attr::kSoftware, config_.software);
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

TimeDelta TurnServer::GrantedLifetime(uint32_t requested_s, bool has_request) const {
  // RFC 8656 §7.2 (and §8.2 for Refresh): min(requested, max), but never
  // below the default.
  if (!has_request) return config_.default_lifetime;
  TimeDelta requested = TimeDelta::Seconds(requested_s);
  TimeDelta granted = std::min(requested, config_.max_lifetime);
  return std::max(granted, config_.default_lifetime);
}

void TurnServer::HandleAllocate(Request& request) {
  ++stats_.allocate_requests;
  const StunMessageView& m = request.message;
  const Timestamp now = env_.Now();

  auto send_success = [&](Allocation& allocation) {
    StunMessageBuilder b(StunMethod::kAllocate, StunClass::kSuccessResponse, m.transaction_id());
    b.AddXorAddress(stun::attr::kXorRelayedAddress, allocation.relayed);
    b.AddUint32(stun::attr::kLifetime, static_cast<uint32_t>(std::max<int64_t>(
                                           0, (allocation.expires - now).ms() / 1000)));
    b.AddXorAddress(stun::attr::kXorMappedAddress, request.from);
    b.AddString(stun::attr::kSoftware, config_.software);
    b.AddMessageIntegrity(request.key);
    b.AddFingerprint();
    SendToClient(request.from, b.bytes());
  };

  // §7.2 step 2, and the retransmission NOTE: the same transaction on the
  // same 5-tuple gets the same answer instead of 437.
  if (Allocation* existing = FindAllocation(request.from)) {
    if (existing->allocate_id == m.transaction_id() && existing->username == request.username) {
      return send_success(*existing);
    }
    return SendError(request, stun::error::kAllocationMismatch, "Allocation Mismatch");
  }
  // Step 3.
  auto transport = m.GetRequestedTransport();
  if (!transport.ok()) {
    return SendError(request, stun::error::kBadRequest, "Missing or bad REQUESTED-TRANSPORT");
  }
  if (*transport != kProtocolUdp) {
    return SendError(request, stun::error::kUnsupportedTransportProtocol,
                     "Unsupported Transport Protocol");
  }
  // Step 5: this server hands out no reservation tokens, so none is valid.
  if (m.Has(stun::attr::kReservationToken)) {
    if (m.Has(stun::attr::kEvenPort) || m.Has(stun::attr::kRequestedAddressFamily) ||
        m.Has(stun::attr::kAdditionalAddressFamily)) {
      return SendError(request, stun::error::kBadRequest, "RESERVATION-TOKEN with family/port");
    }
    return SendError(request, stun::error::kInsufficientCapacity, "Unknown reservation token");
  }
  // Step 6.
  if (m.Has(stun::attr::kRequestedAddressFamily) && m.Has(stun::attr::kAdditionalAddressFamily)) {
    return SendError(request, stun::error::kBadRequest,
                     "REQUESTED- and ADDITIONAL-ADDRESS-FAMILY together");
  }
  // Step 7.
  IpFamily family = IpFamily::kV4;
  if (const stun::RawAttribute* requested = m.Find(stun::attr::kRequestedAddressFamily)) {
    if (requested->value.size() != 4) {
      return SendError(request, stun::error::kBadRequest, "Malformed REQUESTED-ADDRESS-FAMILY");
    }
    switch (requested->value[0]) {
      case 0x01:
        family = IpFamily::kV4;
        break;
      case 0x02:
        family = IpFamily::kV6;
        break;
      default:
        return SendError(request, stun::error::kAddressFamilyNotSupported,
                         "Address Family not Supported");
    }
  }
  const IpAddress* relay_ip = nullptr;
  for (const IpAddress& ip : config_.relay_addresses) {
    if (ip.family() == family) relay_ip = &ip;
  }
  if (relay_ip == nullptr) {
    return SendError(request, stun::error::kAddressFamilyNotSupported,
                     "Address Family not Supported");
  }
  // Step 8: relay ports come from the Env (port 0), which cannot be asked
  // for an even one.
  if (m.Has(stun::attr::kEvenPort)) {
    return SendError(request, stun::error::kInsufficientCapacity, "EVEN-PORT not available");
  }
  // Step 10.
  if (config_.max_allocations_per_user > 0) {
    int count = 0;
    for (const auto& [client, allocation] : allocations_) {
      if (allocation->username == request.username) ++count;
    }
    if (count >= config_.max_allocations_per_user) {
      return SendError(request, stun::error::kAllocationQuotaReached, "Allocation Quota Reached");
    }
  }
  auto relay = env_.BindUdp(SocketAddress(*relay_ip, 0));
  if (!relay.ok()) {
    return SendError(request, stun::error::kInsufficientCapacity, "Insufficient Capacity");
  }

  auto allocation = std::make_unique<Allocation>();
  Allocation& a = *allocation;
  a.client = request.from;
  a.username = request.username;
  a.key = request.key;
  a.allocate_id = m.transaction_id();
  a.relay = *std::move(relay);
  a.relayed = a.relay->local_address();
  // RealEnv reports the wildcard for a wildcard bind; the configured IP is
  // what peers reach.
  if (a.relayed.ip().IsUnspecified()) a.relayed = SocketAddress(*relay_ip, a.relayed.port());
  auto lifetime = m.GetUint32(stun::attr::kLifetime);
  a.expires = now + GrantedLifetime(lifetime.ok() ? *lifetime : 0, lifetime.ok());
  Allocation* raw = allocation.get();
  a.relay->SetReceiveCallback(
      [this, raw](const SocketAddress& peer, absl::Span<const uint8_t> packet) {
        OnRelayPacket(*raw, peer, packet);
      });
  allocations_[request.from] = std::move(allocation);
  ScheduleExpiry(*raw);
  ++stats_.allocations_created;
  send_success(*raw);
}

void TurnServer::HandleRefresh(Request& request, Allocation& allocation) {
  const StunMessageView& m = request.message;
  // §8.2: a family that is not the allocation's is 443.
  if (const stun::RawAttribute* requested = m.Find(stun::attr::kRequestedAddressFamily)) {
    const IpFamily wanted =
        requested->value.size() == 4 && requested->value[0] == 0x02 ? IpFamily::kV6 : IpFamily::kV4;
    if (wanted != allocation.relayed.family()) {
      return SendError(request, stun::error::kPeerAddressFamilyMismatch,
                       "Peer Address Family Mismatch");
    }
  }
  auto lifetime = m.GetUint32(stun::attr::kLifetime);
  uint32_t granted_s = 0;
  if (lifetime.ok() && *lifetime == 0) {
    ++stats_.allocations_deleted;
    DeleteAllocation(request.from);  // `allocation` is gone from here on
  } else {
    const TimeDelta granted = GrantedLifetime(lifetime.ok() ? *lifetime : 0, lifetime.ok());
    allocation.expires = env_.Now() + granted;
    ScheduleExpiry(allocation);
    granted_s = static_cast<uint32_t>(granted.ms() / 1000);
    ++stats_.refreshes;
  }
  StunMessageBuilder b(StunMethod::kRefresh, StunClass::kSuccessResponse, m.transaction_id());
  b.AddUint32(stun::attr::kLifetime, granted_s);
  b.AddString(stun::attr::kSoftware, config_.software);
  b.AddMessageIntegrity(request.key);
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

void TurnServer::HandleCreatePermission(Request& request, Allocation& allocation) {
  const StunMessageView& m = request.message;
  // §10.2: at least one XOR-PEER-ADDRESS, all valid, all of the relayed
  // address's family; then install them all.
  std::vector<IpAddress> peers;
  for (const stun::RawAttribute& attribute : m.attributes()) {
    if (attribute.type != stun::attr::kXorPeerAddress) continue;
    auto peer = DecodeXorAddress(attribute, m.transaction_id());
    if (!peer.ok()) return SendError(request, stun::error::kBadRequest, "Bad XOR-PEER-ADDRESS");
    peers.push_back(peer->ip());
  }
  if (peers.empty()) return SendError(request, stun::error::kBadRequest, "No XOR-PEER-ADDRESS");
  for (const IpAddress& peer : peers) {
    if (peer.family() != allocation.relayed.family()) {
      return SendError(request, stun::error::kPeerAddressFamilyMismatch,
                       "Peer Address Family Mismatch");
    }
  }
  for (const IpAddress& peer : peers) {
    allocation.permissions[peer] = env_.Now() + config_.permission_lifetime;
    ++stats_.permissions_installed;
  }
  StunMessageBuilder b(StunMethod::kCreatePermission, StunClass::kSuccessResponse,
                       m.transaction_id());
  b.AddMessageIntegrity(request.key);
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

void TurnServer::HandleChannelBind(Request& request, Allocation& allocation) {
  const StunMessageView& m = request.message;
  const Timestamp now = env_.Now();
  // §12.2.
  auto number = m.GetChannelNumber();
  const stun::RawAttribute* peer_attribute = m.Find(stun::attr::kXorPeerAddress);
  if (!number.ok() || peer_attribute == nullptr) {
    return SendError(request, stun::error::kBadRequest,
                     "Missing CHANNEL-NUMBER or XOR-PEER-ADDRESS");
  }
  auto peer = DecodeXorAddress(*peer_attribute, m.transaction_id());
  if (!peer.ok()) return SendError(request, stun::error::kBadRequest, "Bad XOR-PEER-ADDRESS");
  if (*number < kMinChannel || *number > kMaxChannel) {
    return SendError(request, stun::error::kBadRequest, "Channel number out of range");
  }
  if (peer->family() != allocation.relayed.family()) {
    return SendError(request, stun::error::kPeerAddressFamilyMismatch,
                     "Peer Address Family Mismatch");
  }
  // Expired bindings no longer block anything (§12: the channel "becomes
  // unbound"; waiting five minutes before reuse is the client's duty).
  auto by_number = allocation.channels.find(*number);
  if (by_number != allocation.channels.end() && by_number->second.expires <= now) {
    ++stats_.channels_expired;
    allocation.channel_by_peer.erase(by_number->second.peer);
    allocation.channels.erase(by_number);
    by_number = allocation.channels.end();
  }
  auto by_peer = allocation.channel_by_peer.find(*peer);
  if (by_peer != allocation.channel_by_peer.end() && by_peer->second != *number) {
    auto other = allocation.channels.find(by_peer->second);
    if (other->second.expires <= now) {
      ++stats_.channels_expired;
      allocation.channels.erase(other);
      allocation.channel_by_peer.erase(by_peer);
      by_peer = allocation.channel_by_peer.end();
    }
  }
  if ((by_number != allocation.channels.end() && by_number->second.peer != *peer) ||
      (by_peer != allocation.channel_by_peer.end() && by_peer->second != *number)) {
    return SendError(request, stun::error::kBadRequest, "Channel or peer already bound");
  }
  allocation.channels[*number] = {*peer, now + config_.channel_lifetime};
  allocation.channel_by_peer[*peer] = *number;
  ++stats_.channels_bound;
  // The binding installs or refreshes the permission too (§12.2, §9).
  allocation.permissions[peer->ip()] = now + config_.permission_lifetime;
  ++stats_.permissions_installed;
  StunMessageBuilder b(StunMethod::kChannelBind, StunClass::kSuccessResponse, m.transaction_id());
  b.AddMessageIntegrity(request.key);
  b.AddFingerprint();
  SendToClient(request.from, b.bytes());
}

// --- Allocation bookkeeping --------------------------------------------------

TurnServer::Allocation* TurnServer::FindAllocation(const SocketAddress& client) {
  auto it = allocations_.find(client);
  if (it == allocations_.end()) return nullptr;
  // The expiry timer normally removes it; this covers an Env that has not
  // run the timer yet at exactly the expiry instant.
  if (it->second->expires <= env_.Now()) {
    ++stats_.allocations_expired;
    DeleteAllocation(client);
    return nullptr;
  }
  return it->second.get();
}

void TurnServer::DeleteAllocation(const SocketAddress& client) {
  auto it = allocations_.find(client);
  if (it == allocations_.end()) return;
  if (it->second->expiry_timer.valid()) env_.Cancel(it->second->expiry_timer);
  // Closing the relay socket frees its port (RFC 8656 §6: everything the
  // allocation holds goes with it).
  allocations_.erase(it);
}

void TurnServer::ScheduleExpiry(Allocation& allocation) {
  if (allocation.expiry_timer.valid()) env_.Cancel(allocation.expiry_timer);
  const SocketAddress client = allocation.client;
  std::weak_ptr<bool> weak = alive_;
  allocation.expiry_timer =
      env_.PostDelayedTask(allocation.expires - env_.Now(), [this, weak, client] {
        if (!weak.lock()) return;
        auto it = allocations_.find(client);
        if (it == allocations_.end()) return;
        it->second->expiry_timer = TaskId();
        if (it->second->expires <= env_.Now()) {
          ++stats_.allocations_expired;
          DeleteAllocation(client);
        } else {
          ScheduleExpiry(*it->second);
        }
      });
}

bool TurnServer::HasPermission(Allocation& allocation, const IpAddress& peer) {
  auto it = allocation.permissions.find(peer);
  if (it == allocation.permissions.end()) return false;
  if (it->second <= env_.Now()) {
    // §9: an expired permission is deleted.
    ++stats_.permissions_expired;
    allocation.permissions.erase(it);
    return false;
  }
  return true;
}

// --- Data --------------------------------------------------------------------

// RFC 8656 §11.2.
void TurnServer::HandleSendIndication(const SocketAddress& from, const StunMessageView& message) {
  Allocation* allocation = FindAllocation(from);
  if (allocation == nullptr) {
    ++stats_.dropped_no_allocation;  // RFC 8656 §5: silently ignored
    return;
  }
  auto peer = message.GetXorAddress(stun::attr::kXorPeerAddress);
  const stun::RawAttribute* data = message.Find(stun::attr::kData);
  // Unknown comprehension-required attributes (and DONT-FRAGMENT, which
  // this server cannot honour) make an indication be discarded (RFC 8489
  // §6.3.2, RFC 8656 §11.2).
  if (!peer.ok() || data == nullptr || !message.UnknownComprehensionRequired().empty() ||
      message.Has(stun::attr::kDontFragment)) {
    ++stats_.dropped_malformed;
    return;
  }
  if (!HasPermission(*allocation, peer->ip())) {
    ++stats_.dropped_no_permission_to_peer;
    return;
  }
  if (!allocation->relay->SendTo(*peer, data->value).ok()) {
    ++stats_.dropped_malformed;  // e.g. a port-0 or unroutable peer
    return;
  }
  ++stats_.send_indications;
  stats_.bytes_to_peers += data->value.size();
}

// RFC 8656 §12.6.
void TurnServer::HandleChannelData(const SocketAddress& from, absl::Span<const uint8_t> packet) {
  auto parsed = ParseChannelData(packet);
  if (!parsed.ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  Allocation* allocation = FindAllocation(from);
  if (allocation == nullptr) {
    ++stats_.dropped_no_allocation;
    return;
  }
  auto channel = allocation->channels.find(parsed->channel);
  if (channel == allocation->channels.end()) {
    ++stats_.dropped_unbound_channel;
    return;
  }
  if (channel->second.expires <= env_.Now()) {
    ++stats_.channels_expired;
    ++stats_.dropped_unbound_channel;
    allocation->channel_by_peer.erase(channel->second.peer);
    allocation->channels.erase(channel);
    return;
  }
  const SocketAddress peer = channel->second.peer;
  // The binding's permission may have lapsed (it lasts 300 s, the channel
  // 600 s); relaying then would bypass §9's check.
  if (!HasPermission(*allocation, peer.ip())) {
    ++stats_.dropped_no_permission_to_peer;
    return;
  }
  if (!allocation->relay->SendTo(peer, parsed->data).ok()) {
    ++stats_.dropped_malformed;
    return;
  }
  ++stats_.channel_data_from_client;
  stats_.bytes_to_peers += parsed->data.size();
}

// RFC 8656 §11.3 and §12.7.
void TurnServer::OnRelayPacket(Allocation& allocation, const SocketAddress& peer,
                               absl::Span<const uint8_t> packet) {
  if (allocation.expires <= env_.Now()) {
    ++stats_.dropped_no_allocation;
    return;
  }
  if (!HasPermission(allocation, peer.ip())) {
    ++stats_.dropped_no_permission_from_peer;
    return;
  }
  stats_.bytes_from_peers += packet.size();
  auto by_peer = allocation.channel_by_peer.find(peer);
  if (by_peer != allocation.channel_by_peer.end()) {
    auto channel = allocation.channels.find(by_peer->second);
    if (channel->second.expires > env_.Now()) {
      // §12.5: the server MUST use the channel when one is bound.
      ++stats_.channel_data_to_client;
      SendToClient(allocation.client, MakeChannelData(by_peer->second, packet));
      return;
    }
    ++stats_.channels_expired;
    allocation.channels.erase(channel);
    allocation.channel_by_peer.erase(by_peer);
  }
  StunMessageBuilder b(StunMethod::kData, StunClass::kIndication, stun::NewTransactionId(random_));
  b.AddXorAddress(stun::attr::kXorPeerAddress, peer);
  b.AddBytes(stun::attr::kData, packet);
  ++stats_.data_indications_sent;
  SendToClient(allocation.client, b.bytes());
}

}  // namespace rtcsim::turn
