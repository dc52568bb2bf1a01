// DtlsTransport: DTLS 1.2 (RFC 6347) with use_srtp (RFC 5764) on OpenSSL 3.0.
//
// Design
//
// - No socket. OpenSSL talks to a custom BIO (a memory BIO with datagram
//   boundaries): BIO reads return the one datagram being handled; BIO writes
//   append records to an outgoing datagram, which goes to the owner's send
//   function when the next record would not fit the datagram limit, and at
//   the end of every call into OpenSSL. OpenSSL's own BIO_flush() calls are
//   ignored: it flushes after every message when retransmitting, which
//   would send a five-message flight as five datagrams, each lost on its
//   own. OpenSSL sizes handshake fragments with BIO_wpending(), so a flight
//   is packed into as few datagrams as fit (RFC 6347 §4.1.1: several records
//   per datagram; §4.2.3 fragmentation), each at most mtu - packet_overhead
//   bytes, on first transmission and on retransmission alike.
//
// - PMTU back-off (RFC 6347 §4.1.1.1: after repeated unanswered
//   retransmissions, SHOULD back off to smaller records). SSL_set_mtu fixes
//   the datagram limit; OpenSSL never probes (it already has an MTU), but
//   after the second unanswered retransmission it asks the BIO for a
//   fallback MTU, and we answer 576 - packet_overhead (the IPv4 minimum
//   reassembly size) when that is smaller, so a misconfigured MTU costs a
//   few seconds rather than the connection.
//
// - Timers from the Env. DTLS_set_timer_cb sets each timeout: initial 1 s,
//   doubled on every expiry up to 60 s (RFC 6347 §4.2.4.1); OpenSSL resets
//   it to the initial value for each new flight. After every call we ask
//   DTLSv1_get_timeout() for the time left and arm one Env task; when it
//   fires, DTLSv1_handle_timeout() resends the flight. OpenSSL's own expiry
//   check reads gettimeofday(), which simulation binaries serve from the
//   virtual clock (see below), so timers fire exactly on virtual time.
//   OpenSSL gives up after 12 retransmissions (DTLS1_TMO_ALERT_COUNT).
//
// - Determinism (../shared/DESIGN.md §4). Every call into OpenSSL runs in an
//   OpenSslScope (openssl_scope.h): OpenSSL's randomness comes from this
//   transport's seeded Random (client/server randoms, ECDHE keys, AEAD
//   nonces, SSL_CTX ticket keys), and gettimeofday()/time() inside libssl
//   return the Env's virtual time where //simnet/interpose is linked. Same
//   seed, same datagrams, byte for byte. In real runs the Random is seeded
//   from OS entropy and the clock is real.
//
// - Identity (RFC 8122 §5, §6.2; RFC 8827 §6.5). Both sides present their
//   self-signed certificate; the server requests the client's
//   (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT). The verify callback
//   ignores chain errors (there is no CA) and accepts the leaf certificate
//   only if it matches one of the signalled fingerprints; otherwise the
//   handshake aborts with bad_certificate and the transport fails with
//   "remote certificate fingerprint mismatch: expected ..., got ...". When
//   no fingerprint is known yet (an offerer receiving the answerer's
//   ClientHello before the answer, RFC 8842 §5.2), the certificate is kept
//   and checked when SetRemoteFingerprints() is called; until then the
//   transport stays "connecting" and drops application data.
//
// - Ciphers: DTLS 1.2 only (RFC 8827 §6.5), ECDHE-ECDSA with AES-GCM first
//   (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 is the mandatory one), groups
//   X25519, P-256, P-384. No session tickets or caching, no renegotiation.
//
// - Alerts are observed with the info callback and counted; a received
//   fatal alert fails the transport with its description
//   (SSL_alert_desc_string_long); a received close_notify closes it and is
//   answered with our own (RFC 5246 §7.2.1).
#include "stack/dtls/dtls_transport.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>
#include <deque>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "stack/dtls/dtls_record.h"
#include "stack/dtls/openssl_scope.h"

namespace rtcsim::dtls {

std::string ToString(DtlsTransportState state) {
  switch (state) {
    case DtlsTransportState::kNew:
      return "new";
    case DtlsTransportState::kConnecting:
      return "connecting";
    case DtlsTransportState::kConnected:
      return "connected";
    case DtlsTransportState::kClosed:
      return "closed";
    case DtlsTransportState::kFailed:
      return "failed";
  }
  return "?";
}

std::string ToString(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case SrtpProfile::kAes128CmSha1_32:
      return "SRTP_AES128_CM_SHA1_32";
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::kAeadAes256Gcm:
      return "SRTP_AEAD_AES_256_GCM";
  }
  return absl::StrCat("SRTP_PROFILE_", static_cast<int>(profile));
}

size_t SrtpKeyLength(SrtpProfile profile) {
  return profile == SrtpProfile::kAeadAes256Gcm ? 32 : 16;
}

size_t SrtpSaltLength(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAes128CmSha1_80:
    case SrtpProfile::kAes128CmSha1_32:
      return 14;  // RFC 3711 §8.2 n_s = 112 bits
    case SrtpProfile::kAeadAes128Gcm:
    case SrtpProfile::kAeadAes256Gcm:
      return 12;  // RFC 7714 §12: 96-bit salt
  }
  return 0;
}

namespace {

// RFC 5764 §4.2: the exporter label for SRTP keying material.
constexpr char kSrtpExporterLabel[] = "EXTRACTOR-dtls_srtp";
// RFC 8827 §6.5 mandates TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256.
constexpr char kCipherList[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA";
constexpr char kGroups[] = "X25519:P-256:P-384";
// Largest plaintext a record carries (RFC 6347 §4.1 / RFC 5246 §6.2.1).
constexpr size_t kMaxPlaintext = 1 << 14;
// OpenSSL refuses link MTUs below 256 (dtls1_min_mtu).
constexpr int kMinDatagram = 256;
constexpr size_t kMaxEarlyPackets = 16;
// The IPv4 minimum reassembly size (RFC 791), used for the back-off.
constexpr int kFallbackPathMtu = 576;
// Fingerprint hashes in the order we prefer them when the peer signals
// several (RFC 8122 §5.1: use the most preferred one offered).
constexpr const char* kHashPreference[] = {"sha-256", "sha-384", "sha-512", "sha-224", "sha-1"};

std::string DrainOpenSslErrors() {
  std::string text;
  while (unsigned long e = ERR_get_error()) {
    const char* reason = ERR_reason_error_string(e);
    if (!text.empty()) text += "; ";
    text += reason != nullptr ? reason : absl::StrCat("OpenSSL error ", e);
  }
  return text;
}

}  // namespace

class DtlsTransport::Impl {
 public:
  Impl(Env& env, DtlsTransportConfig config, SendFunction send, Callbacks callbacks)
      : env_(env),
        config_(std::move(config)),
        send_(std::move(send)),
        callbacks_(std::move(callbacks)),
        random_(env.CreateRandom(config_.name)),
        max_datagram_(static_cast<size_t>(config_.mtu - config_.packet_overhead)) {}

  ~Impl() {
    if (timer_.valid()) env_.Cancel(timer_);
    SSL_free(ssl_);  // frees the BIO too
    SSL_CTX_free(ctx_);
  }

  absl::Status Init();
  absl::Status Start();
  absl::Status SetRemoteFingerprints(std::vector<Fingerprint> fingerprints);
  void HandlePacket(absl::Span<const uint8_t> datagram);
  absl::Status Send(absl::Span<const uint8_t> data);
  void Close();

  DtlsTransportState state() const { return state_; }
  const absl::Status& error() const { return error_; }
  DtlsRole role() const { return config_.role; }
  const DtlsTransportStats& stats() const { return stats_; }
  const std::optional<SrtpKeyingMaterial>& srtp() const { return srtp_; }
  std::optional<std::vector<uint8_t>> remote_der() const {
    if (remote_der_.empty()) return std::nullopt;
    return remote_der_;
  }
  std::string cipher_suite() const {
    if (!handshake_done_) return "";
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
    return cipher != nullptr ? SSL_CIPHER_get_name(cipher) : "";
  }
  size_t max_application_data_size() const {
    if (!handshake_done_) return 0;
    return std::min(kMaxPlaintext, static_cast<size_t>(DTLS_get_data_mtu(ssl_)));
  }
  size_t max_datagram_size() const { return max_datagram_; }

 private:
  static const BIO_METHOD* BioMethod();
  static int BioWrite(BIO* bio, const char* data, int size);
  static int BioRead(BIO* bio, char* out, int size);
  static long BioCtrl(BIO* bio, int cmd, long num, void* ptr);
  static int BioCreate(BIO* bio);
  static int BioDestroy(BIO* bio);
  static int VerifyCallback(int preverify_ok, X509_STORE_CTX* store);
  static void InfoCallback(const SSL* ssl, int where, int ret);
  static void KeylogCallback(const SSL* ssl, const char* line);
  static unsigned int TimerCallback(SSL* ssl, unsigned int previous_us);
  static Impl* FromSsl(const SSL* ssl) { return static_cast<Impl*>(SSL_get_app_data(ssl)); }

  OpenSslScope Scope() { return OpenSslScope(env_.Now(), random_); }
  // Feeds one datagram (or none) to OpenSSL and advances the handshake or
  // reads application data. Runs inside a scope.
  void Drive(absl::Span<const uint8_t> datagram);
  void ProcessQueued();
  void OnHandshakeComplete();
  void ReadApplicationData();
  void ExportSrtpKeys();
  // Whether `der` matches the remote fingerprints; sets verify_error_ if not.
  bool MatchesRemoteFingerprint(absl::Span<const uint8_t> der);
  void EmitPending();
  void ArmTimer();
  void OnTimer();
  void SetState(DtlsTransportState state);
  void Fail(absl::Status error);
  // The most telling reason for a failed OpenSSL call.
  absl::Status HandshakeError(absl::string_view openssl_errors);
  bool Finished() const {
    return state_ == DtlsTransportState::kClosed || state_ == DtlsTransportState::kFailed;
  }

  Env& env_;
  DtlsTransportConfig config_;
  SendFunction send_;
  Callbacks callbacks_;
  Random random_;
  const size_t max_datagram_;
  // The packing limit: max_datagram_, or the fallback after a back-off.
  size_t datagram_limit_ = max_datagram_;

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  DtlsTransportState state_ = DtlsTransportState::kNew;
  absl::Status error_;
  DtlsTransportStats stats_;
  Timestamp start_time_;
  bool handshake_done_ = false;
  bool remote_verified_ = false;
  std::string verify_error_;
  std::string received_fatal_alert_;
  std::vector<uint8_t> remote_der_;
  std::optional<SrtpKeyingMaterial> srtp_;

  // The datagram OpenSSL may read (consumed by the first BIO read).
  absl::Span<const uint8_t> inbound_;
  bool inbound_ready_ = false;
  // The datagram being assembled from OpenSSL's record writes.
  std::vector<uint8_t> outbound_;
  std::vector<uint8_t> read_buffer_ = std::vector<uint8_t>(kMaxPlaintext + 2048);
  // Datagrams received before Start(), or while another was being handled.
  std::deque<std::vector<uint8_t>> queued_;
  bool busy_ = false;

  TaskId timer_;
  Timestamp timer_deadline_ = Timestamp::Infinite();
};

// ---- BIO: datagrams in and out ---------------------------------------------

const BIO_METHOD* DtlsTransport::Impl::BioMethod() {
  static absl::once_flag once;
  static BIO_METHOD* method = nullptr;
  absl::call_once(once, [] {
    method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "rtcsim dtls datagram");
    BIO_meth_set_write(method, BioWrite);
    BIO_meth_set_read(method, BioRead);
    BIO_meth_set_ctrl(method, BioCtrl);
    BIO_meth_set_create(method, BioCreate);
    BIO_meth_set_destroy(method, BioDestroy);
  });
  return method;
}

int DtlsTransport::Impl::BioCreate(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

int DtlsTransport::Impl::BioDestroy(BIO* bio) {
  BIO_set_data(bio, nullptr);
  return 1;
}

int DtlsTransport::Impl::BioWrite(BIO* bio, const char* data, int size) {
  auto* self = static_cast<Impl*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self == nullptr || size < 0) return -1;
  // OpenSSL accounts for what is pending when it sizes handshake fragments,
  // but not for the AEAD expansion of encrypted records; a record that does
  // not fit starts the next datagram.
  if (!self->outbound_.empty() && self->outbound_.size() + size > self->datagram_limit_) {
    self->EmitPending();
  }
  self->outbound_.insert(self->outbound_.end(), data, data + size);
  return size;
}

int DtlsTransport::Impl::BioRead(BIO* bio, char* out, int size) {
  auto* self = static_cast<Impl*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (self == nullptr || !self->inbound_ready_) {
    BIO_set_retry_read(bio);
    return -1;
  }
  // One datagram per read, as from a UDP socket; a datagram larger than
  // OpenSSL's buffer is truncated and then fails record parsing inside it.
  size_t n = std::min(self->inbound_.size(), static_cast<size_t>(size));
  std::copy_n(self->inbound_.data(), n, out);
  self->inbound_ready_ = false;
  return static_cast<int>(n);
}

long DtlsTransport::Impl::BioCtrl(BIO* bio, int cmd, long /*num*/, void* /*ptr*/) {
  auto* self = static_cast<Impl*>(BIO_get_data(bio));
  if (self == nullptr) return 0;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;  // see "No socket" above: we emit after each call

    case BIO_CTRL_WPENDING:
      return static_cast<long>(self->outbound_.size());
    case BIO_CTRL_PENDING:
      return self->inbound_ready_ ? static_cast<long>(self->inbound_.size()) : 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
      return static_cast<long>(self->max_datagram_);
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU: {
      // See "PMTU back-off" above. OpenSSL adopts it only if smaller.
      const size_t fallback = static_cast<size_t>(
          std::max(kMinDatagram, kFallbackPathMtu - self->config_.packet_overhead));
      if (fallback < self->datagram_limit_) {
        self->datagram_limit_ = fallback;
        ++self->stats_.mtu_backoffs;
      }
      return static_cast<long>(fallback);
    }
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 0;  // max_datagram_ already excludes IP and UDP headers
    default:
      return 0;
  }
}

// ---- OpenSSL callbacks -----------------------------------------------------

int DtlsTransport::Impl::VerifyCallback(int /*preverify_ok*/, X509_STORE_CTX* store) {
  // The chain errors OpenSSL reports (self-signed, no CA, validity) do not
  // matter: the peer is authenticated by its fingerprint (RFC 8122 §5).
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  Impl* self = ssl != nullptr ? FromSsl(ssl) : nullptr;
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  if (self == nullptr || leaf == nullptr) return 0;
  int size = i2d_X509(leaf, nullptr);
  if (size <= 0) return 0;
  self->remote_der_.resize(size);
  uint8_t* p = self->remote_der_.data();
  i2d_X509(leaf, &p);
  if (self->config_.remote_fingerprints.empty()) return 1;  // checked later
  if (self->MatchesRemoteFingerprint(self->remote_der_)) {
    self->remote_verified_ = true;
    return 1;
  }
  // RFC 8122 §6.2: terminate with bad_certificate (which OpenSSL maps
  // X509_V_ERR_CERT_REJECTED to).
  X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
  return 0;
}

void DtlsTransport::Impl::InfoCallback(const SSL* ssl, int where, int ret) {
  if ((where & SSL_CB_ALERT) == 0) return;
  Impl* self = FromSsl(ssl);
  if (self == nullptr) return;
  const bool fatal = (ret >> 8) == SSL3_AL_FATAL;
  if (where & SSL_CB_READ) {
    ++self->stats_.alerts_received;
    if (fatal) self->received_fatal_alert_ = SSL_alert_desc_string_long(ret);
  } else {
    ++self->stats_.alerts_sent;
  }
}

void DtlsTransport::Impl::KeylogCallback(const SSL* ssl, const char* line) {
  Impl* self = FromSsl(ssl);
  if (self != nullptr && self->config_.key_log) self->config_.key_log(line);
}

unsigned int DtlsTransport::Impl::TimerCallback(SSL* ssl, unsigned int previous_us) {
  Impl* self = FromSsl(ssl);
  const int64_t initial_us = self->config_.initial_retransmit_timeout.us();
  const int64_t max_us = self->config_.max_retransmit_timeout.us();
  // RFC 6347 §4.2.4.1: start at the initial value, double on each expiry,
  // never beyond the maximum. OpenSSL passes 0 when a flight starts.
  if (previous_us == 0) return static_cast<unsigned int>(initial_us);
  return static_cast<unsigned int>(std::min<int64_t>(int64_t{previous_us} * 2, max_us));
}

// ---- Setup -------------------------------------------------------------------

absl::Status DtlsTransport::Impl::Init() {
  OpenSslScope scope = Scope();
  ERR_clear_error();
  // SSL_CTX_new draws ticket keys from the RAND, hence inside the scope.
  ctx_ = SSL_CTX_new(DTLS_method());
  if (ctx_ == nullptr) {
    return absl::InternalError(absl::StrCat("SSL_CTX_new: ", DrainOpenSslErrors()));
  }
  bool ok = SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION) == 1 &&
            SSL_CTX_use_certificate(ctx_, config_.certificate->x509()) == 1 &&
            SSL_CTX_use_PrivateKey(ctx_, config_.certificate->private_key()) == 1 &&
            SSL_CTX_check_private_key(ctx_) == 1 &&
            SSL_CTX_set_cipher_list(ctx_, kCipherList) == 1 &&
            SSL_CTX_set1_groups_list(ctx_, kGroups) == 1;
  if (!ok) {
    return absl::InternalError(absl::StrCat("configuring OpenSSL: ", DrainOpenSslErrors()));
  }
  // No SSL_OP_NO_QUERY_MTU: with an MTU set OpenSSL never queries it, and
  // leaving the option off enables the fallback (see "PMTU back-off").
  SSL_CTX_set_options(ctx_, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, VerifyCallback);
  if (config_.key_log) SSL_CTX_set_keylog_callback(ctx_, KeylogCallback);
  if (!config_.srtp_profiles.empty()) {
    std::vector<std::string> names;
    for (SrtpProfile p : config_.srtp_profiles) names.push_back(ToString(p));
    // Returns 0 on success, unlike most of OpenSSL.
    if (SSL_CTX_set_tlsext_use_srtp(ctx_, absl::StrJoin(names, ":").c_str()) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "use_srtp profiles ", absl::StrJoin(names, ":"), " rejected: ", DrainOpenSslErrors()));
    }
  }

  ssl_ = SSL_new(ctx_);
  if (ssl_ == nullptr) return absl::InternalError(absl::StrCat("SSL_new: ", DrainOpenSslErrors()));
  SSL_set_app_data(ssl_, this);
  BIO* bio = BIO_new(BioMethod());
  if (bio == nullptr) return absl::InternalError("BIO_new failed");
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference, owned by ssl_
  // Returns the MTU set, or 0 below OpenSSL's minimum.
  if (SSL_set_mtu(ssl_, static_cast<long>(max_datagram_)) <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("OpenSSL rejected a datagram limit of ", max_datagram_, " bytes"));
  }
  DTLS_set_timer_cb(ssl_, TimerCallback);
  SSL_set_info_callback(ssl_, InfoCallback);
  if (config_.role == DtlsRole::kClient) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
  return absl::OkStatus();
}

absl::Status DtlsTransport::Impl::Start() {
  if (state_ != DtlsTransportState::kNew) {
    return absl::FailedPreconditionError(
        absl::StrCat("DTLS transport already started (", ToString(state_), ")"));
  }
  start_time_ = env_.Now();
  SetState(DtlsTransportState::kConnecting);
  if (config_.role == DtlsRole::kClient) {
    busy_ = true;
    Drive({});  // sends the ClientHello
    busy_ = false;
  }
  ProcessQueued();
  return absl::OkStatus();
}

absl::Status DtlsTransport::Impl::SetRemoteFingerprints(std::vector<Fingerprint> fingerprints) {
  if (fingerprints.empty()) return absl::InvalidArgumentError("no remote fingerprint given");
  for (const Fingerprint& fp : fingerprints) {
    if (FingerprintDigestSize(fp.algorithm) != fp.digest.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat("remote fingerprint \"", fp.ToString(), "\" is not usable"));
    }
  }
  config_.remote_fingerprints = std::move(fingerprints);
  // The handshake finished before the fingerprints came (RFC 8842 §5.2).
  if (handshake_done_ && !remote_verified_ && state_ == DtlsTransportState::kConnecting) {
    if (MatchesRemoteFingerprint(remote_der_)) {
      remote_verified_ = true;
      SetState(DtlsTransportState::kConnected);
    } else {
      absl::Status error = absl::UnauthenticatedError(verify_error_);
      {
        OpenSslScope scope = Scope();
        SSL_shutdown(ssl_);
        EmitPending();
      }
      Fail(error);
    }
  }
  return absl::OkStatus();
}

bool DtlsTransport::Impl::MatchesRemoteFingerprint(absl::Span<const uint8_t> der) {
  // RFC 8122 §5.1: compare with the fingerprints of the most preferred hash
  // function the peer used; any one of them may match.
  const std::vector<Fingerprint>& expected = config_.remote_fingerprints;
  std::string algorithm;
  for (const char* hash : kHashPreference) {
    for (const Fingerprint& fp : expected) {
      if (fp.algorithm == hash) {
        algorithm = hash;
        break;
      }
    }
    if (!algorithm.empty()) break;
  }
  if (algorithm.empty()) {
    verify_error_ = "remote certificate fingerprint mismatch: no usable fingerprint signalled";
    return false;
  }
  absl::StatusOr<Fingerprint> actual = Fingerprint::OfCertificate(algorithm, der);
  if (!actual.ok()) {
    verify_error_ = std::string(actual.status().message());
    return false;
  }
  std::vector<std::string> candidates;
  for (const Fingerprint& fp : expected) {
    if (fp.algorithm != algorithm) continue;
    if (fp == *actual) return true;
    candidates.push_back(fp.ToString());
  }
  verify_error_ = absl::StrCat("remote certificate fingerprint mismatch: expected ",
                               absl::StrJoin(candidates, " or "), ", got ", actual->ToString());
  return false;
}

// ---- Data path -----------------------------------------------------------------

void DtlsTransport::Impl::HandlePacket(absl::Span<const uint8_t> datagram) {
  ++stats_.packets_received;
  stats_.bytes_received += datagram.size();
  if (Finished()) {
    ++stats_.packets_ignored;
    return;
  }
  // RFC 7983 §7 demultiplexing, then record framing (RFC 6347 §4.1) and
  // plaintext handshake headers: drop garbage here so it is counted and
  // OpenSSL never sees it (see CheckDtlsDatagram).
  if (!LooksLikeDtls(datagram) || !CheckDtlsDatagram(datagram).ok()) {
    ++stats_.records_dropped;
    return;
  }
  if (state_ == DtlsTransportState::kNew || busy_) {
    if (state_ == DtlsTransportState::kNew && queued_.size() >= kMaxEarlyPackets) {
      ++stats_.packets_ignored;
      return;
    }
    queued_.emplace_back(datagram.begin(), datagram.end());
    return;
  }
  busy_ = true;
  Drive(datagram);
  busy_ = false;
  ProcessQueued();
}

void DtlsTransport::Impl::ProcessQueued() {
  while (!queued_.empty() && !busy_ && !Finished()) {
    std::vector<uint8_t> next = std::move(queued_.front());
    queued_.pop_front();
    busy_ = true;
    Drive(next);
    busy_ = false;
  }
  if (Finished()) queued_.clear();
}

void DtlsTransport::Impl::Drive(absl::Span<const uint8_t> datagram) {
  OpenSslScope scope = Scope();
  ERR_clear_error();
  inbound_ = datagram;
  inbound_ready_ = !datagram.empty();
  if (!handshake_done_) {
    int r = SSL_do_handshake(ssl_);
    if (r == 1) {
      handshake_done_ = true;
      OnHandshakeComplete();
    } else {
      int err = SSL_get_error(ssl_, r);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        Fail(HandshakeError(DrainOpenSslErrors()));
      }
    }
  }
  // Records after the handshake's last one may sit in the same datagram.
  if (handshake_done_ && !Finished()) ReadApplicationData();
  inbound_ready_ = false;
  inbound_ = {};
  EmitPending();  // including any alert queued by a failure
  ArmTimer();
}

void DtlsTransport::Impl::OnHandshakeComplete() {
  // The final flight leaves in its own datagram before "connected" lets the
  // owner write: records after Finished in the same datagram are legal
  // (RFC 6347 §4.1.1) but some peers read them only after the next datagram
  // (aiortc 1.4 left our SCTP INIT unread until our 3 s INIT retransmission).
  EmitPending();
  stats_.handshake_duration = env_.Now() - start_time_;
  ExportSrtpKeys();
  if (config_.remote_fingerprints.empty()) return;  // connected once verified
  if (!remote_verified_) {
    // The verify callback always runs for a peer certificate; this is
    // defence in depth should OpenSSL ever skip it.
    if (!MatchesRemoteFingerprint(remote_der_)) {
      SSL_shutdown(ssl_);
      Fail(absl::UnauthenticatedError(verify_error_));
      return;
    }
    remote_verified_ = true;
  }
  SetState(DtlsTransportState::kConnected);
}

void DtlsTransport::Impl::ExportSrtpKeys() {
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (selected == nullptr) return;
  auto profile = static_cast<SrtpProfile>(selected->id);
  const size_t key = SrtpKeyLength(profile);
  const size_t salt = SrtpSaltLength(profile);
  // RFC 5764 §4.2: client_write_SRTP_master_key | server_write_SRTP_master_key
  // | client_write_SRTP_master_salt | server_write_SRTP_master_salt.
  std::vector<uint8_t> block(2 * (key + salt));
  if (SSL_export_keying_material(ssl_, block.data(), block.size(), kSrtpExporterLabel,
                                 sizeof(kSrtpExporterLabel) - 1, nullptr, 0, 0) != 1) {
    Fail(absl::InternalError(
        absl::StrCat("SRTP keying material export failed: ", DrainOpenSslErrors())));
    return;
  }
  auto part = [&](size_t offset, size_t size) {
    return std::vector<uint8_t>(block.begin() + offset, block.begin() + offset + size);
  };
  std::vector<uint8_t> client_key = part(0, key), server_key = part(key, key);
  std::vector<uint8_t> client_salt = part(2 * key, salt), server_salt = part(2 * key + salt, salt);
  SrtpKeyingMaterial m;
  m.profile = profile;
  const bool client = config_.role == DtlsRole::kClient;
  m.local_key = client ? client_key : server_key;
  m.local_salt = client ? client_salt : server_salt;
  m.remote_key = client ? server_key : client_key;
  m.remote_salt = client ? server_salt : client_salt;
  srtp_ = std::move(m);
}

void DtlsTransport::Impl::ReadApplicationData() {
  while (!Finished()) {
    int n = SSL_read(ssl_, read_buffer_.data(), static_cast<int>(read_buffer_.size()));
    if (n > 0) {
      if (state_ != DtlsTransportState::kConnected) {
        // RFC 8842 §5.2: unverified source until the fingerprint arrives.
        ++stats_.unverified_messages_dropped;
        continue;
      }
      ++stats_.messages_received;
      if (callbacks_.on_data) {
        callbacks_.on_data(absl::MakeConstSpan(read_buffer_.data(), static_cast<size_t>(n)));
      }
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return;
    if (err == SSL_ERROR_ZERO_RETURN) {
      // close_notify: answer with ours (RFC 5246 §7.2.1) and close.
      SSL_shutdown(ssl_);
      error_ = absl::CancelledError("received close_notify");
      SetState(DtlsTransportState::kClosed);
      return;
    }
    Fail(HandshakeError(DrainOpenSslErrors()));
    return;
  }
}

absl::Status DtlsTransport::Impl::Send(absl::Span<const uint8_t> data) {
  if (state_ != DtlsTransportState::kConnected) {
    return absl::FailedPreconditionError(
        absl::StrCat("DTLS transport is ", ToString(state_), ", not connected"));
  }
  if (data.empty()) return absl::InvalidArgumentError("empty DTLS application data");
  const size_t max = max_application_data_size();
  if (data.size() > max) {
    return absl::InvalidArgumentError(absl::StrCat("DTLS application data of ", data.size(),
                                                   " bytes exceeds the ", max,
                                                   "-byte limit of one datagram"));
  }
  OpenSslScope scope = Scope();
  ERR_clear_error();
  int n = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
  EmitPending();
  if (n <= 0) {
    return absl::InternalError(absl::StrCat("SSL_write failed: ", DrainOpenSslErrors()));
  }
  ++stats_.messages_sent;
  return absl::OkStatus();
}

void DtlsTransport::Impl::Close() {
  if (Finished()) return;
  if (state_ != DtlsTransportState::kNew && ssl_ != nullptr) {
    OpenSslScope scope = Scope();
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify
    EmitPending();
    ERR_clear_error();
  }
  SetState(DtlsTransportState::kClosed);
}

void DtlsTransport::Impl::EmitPending() {
  if (outbound_.empty()) return;
  std::vector<uint8_t> datagram;
  datagram.swap(outbound_);
  ++stats_.packets_sent;
  stats_.bytes_sent += datagram.size();
  if (!send_(datagram).ok()) ++stats_.send_errors;
}

// ---- Timers ---------------------------------------------------------------------

void DtlsTransport::Impl::ArmTimer() {
  struct timeval left;
  if (Finished() || DTLSv1_get_timeout(ssl_, &left) != 1) {
    if (timer_.valid()) env_.Cancel(timer_);
    timer_ = {};
    timer_deadline_ = Timestamp::Infinite();
    return;
  }
  const TimeDelta delay = TimeDelta::Micros(int64_t{left.tv_sec} * 1000000 + int64_t{left.tv_usec});
  const Timestamp deadline = env_.Now() + delay;
  if (timer_.valid() && deadline == timer_deadline_) return;
  if (timer_.valid()) env_.Cancel(timer_);
  timer_deadline_ = deadline;
  timer_ = env_.PostDelayedTask(delay, [this] { OnTimer(); });
}

void DtlsTransport::Impl::OnTimer() {
  timer_ = {};
  timer_deadline_ = Timestamp::Infinite();
  if (Finished()) return;
  busy_ = true;
  {
    OpenSslScope scope = Scope();
    ERR_clear_error();
    int r = DTLSv1_handle_timeout(ssl_);
    if (r > 0) {
      ++stats_.retransmissions;
    } else if (r == 0) {
      ++stats_.early_timer_fires;
    } else {
      std::string errors = DrainOpenSslErrors();
      Fail(absl::DeadlineExceededError(
          absl::StrCat("handshake timed out after ", stats_.retransmissions, " retransmissions",
                       errors.empty() ? "" : " (", errors, errors.empty() ? "" : ")")));
    }
    EmitPending();
    ArmTimer();
  }
  busy_ = false;
  ProcessQueued();
}

// ---- State ----------------------------------------------------------------------

absl::Status DtlsTransport::Impl::HandshakeError(absl::string_view openssl_errors) {
  if (!verify_error_.empty()) return absl::UnauthenticatedError(verify_error_);
  if (!received_fatal_alert_.empty()) {
    return absl::AbortedError(absl::StrCat("received fatal alert: ", received_fatal_alert_));
  }
  return absl::InternalError(absl::StrCat(
      "DTLS error: ", openssl_errors.empty() ? "unknown OpenSSL failure" : openssl_errors));
}

void DtlsTransport::Impl::SetState(DtlsTransportState state) {
  if (state_ == state) return;
  state_ = state;
  if (Finished()) {
    if (timer_.valid()) env_.Cancel(timer_);
    timer_ = {};
    timer_deadline_ = Timestamp::Infinite();
  }
  if (callbacks_.on_state) callbacks_.on_state(state);
}

void DtlsTransport::Impl::Fail(absl::Status error) {
  if (Finished()) return;
  error_ = std::move(error);
  SetState(DtlsTransportState::kFailed);
}

// ---- Public wrapper ---------------------------------------------------------------

absl::StatusOr<std::unique_ptr<DtlsTransport>> DtlsTransport::Create(Env& env,
                                                                     DtlsTransportConfig config,
                                                                     SendFunction send,
                                                                     Callbacks callbacks) {
  if (config.certificate == nullptr) {
    return absl::InvalidArgumentError("DtlsTransportConfig: certificate is required");
  }
  if (!send) return absl::InvalidArgumentError("DtlsTransport: a send function is required");
  const int datagram = config.mtu - config.packet_overhead;
  if (config.packet_overhead < 0 || datagram < kMinDatagram || datagram > 65507) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DtlsTransportConfig: mtu ", config.mtu, " minus packet_overhead ", config.packet_overhead,
        " leaves ", datagram, "-byte datagrams (need ", kMinDatagram, "..65507)"));
  }
  if (config.initial_retransmit_timeout <= TimeDelta::Zero() ||
      config.max_retransmit_timeout < config.initial_retransmit_timeout ||
      config.max_retransmit_timeout > TimeDelta::Seconds(4000)) {
    return absl::InvalidArgumentError(
        absl::StrCat("DtlsTransportConfig: retransmit timeouts must satisfy 0 < initial (",
                     config.initial_retransmit_timeout.ToString(), ") <= max (",
                     config.max_retransmit_timeout.ToString(), ") <= 4000 s"));
  }
  for (const Fingerprint& fp : config.remote_fingerprints) {
    if (FingerprintDigestSize(fp.algorithm) != fp.digest.size()) {
      return absl::InvalidArgumentError(absl::StrCat("DtlsTransportConfig: remote fingerprint \"",
                                                     fp.ToString(), "\" is not usable"));
    }
  }
  auto impl = std::make_unique<Impl>(env, std::move(config), std::move(send), std::move(callbacks));
  absl::Status status = impl->Init();
  if (!status.ok()) return status;
  return std::unique_ptr<DtlsTransport>(new DtlsTransport(std::move(impl)));
}

DtlsTransport::DtlsTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DtlsTransport::~DtlsTransport() = default;
absl::Status DtlsTransport::Start() { return impl_->Start(); }
absl::Status DtlsTransport::SetRemoteFingerprints(std::vector<Fingerprint> fingerprints) {
  return impl_->SetRemoteFingerprints(std::move(fingerprints));
}
void DtlsTransport::HandlePacket(absl::Span<const uint8_t> datagram) {
  impl_->HandlePacket(datagram);
}
absl::Status DtlsTransport::Send(absl::Span<const uint8_t> data) { return impl_->Send(data); }
void DtlsTransport::Close() { impl_->Close(); }
DtlsTransportState DtlsTransport::state() const { return impl_->state(); }
const absl::Status& DtlsTransport::error() const { return impl_->error(); }
DtlsRole DtlsTransport::role() const { return impl_->role(); }
const DtlsTransportStats& DtlsTransport::stats() const { return impl_->stats(); }
std::optional<SrtpKeyingMaterial> DtlsTransport::srtp_keying_material() const {
  return impl_->srtp();
}
std::optional<std::vector<uint8_t>> DtlsTransport::remote_certificate_der() const {
  return impl_->remote_der();
}
std::string DtlsTransport::cipher_suite() const { return impl_->cipher_suite(); }
size_t DtlsTransport::max_application_data_size() const {
  return impl_->max_application_data_size();
}
size_t DtlsTransport::max_datagram_size() const { return impl_->max_datagram_size(); }

}  // namespace rtcsim::dtls
