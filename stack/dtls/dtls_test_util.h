// Two DtlsTransports on two simnet hosts talking over plain UDP through a
// router, with captures on both hosts, for the package's tests. Test-only:
// it depends on simnet.
#ifndef RTCSIM_STACK_DTLS_DTLS_TEST_UTIL_H_
#define RTCSIM_STACK_DTLS_DTLS_TEST_UTIL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "simnet/capture/pcapng_reader.h"
#include "simnet/capture/pcapng_writer.h"
#include "simnet/network.h"
#include "stack/dtls/dtls_certificate.h"
#include "stack/dtls/dtls_transport.h"

namespace rtcsim::dtls::testing {

inline const SocketAddress kClientAddress{IpAddress::V4(10, 0, 0, 1), 5000};
inline const SocketAddress kServerAddress{IpAddress::V4(10, 0, 0, 2), 5000};

struct DtlsPairOptions {
  uint64_t seed = 1;
  // Each host's access link to the router (both directions).
  simnet::LinkParams client_link = DefaultLink();
  simnet::LinkParams server_link = DefaultLink();
  // Applied over the defaults (role, certificate, fingerprints are filled
  // in by the pair unless set here).
  DtlsTransportConfig client;
  DtlsTransportConfig server;
  // When false, the fingerprint of the peer is not configured at Create.
  bool client_knows_fingerprint = true;
  bool server_knows_fingerprint = true;

  static simnet::LinkParams DefaultLink() {
    simnet::LinkParams p;
    p.delay = TimeDelta::Millis(10);
    return p;
  }
};

// Everything one side saw.
struct Side {
  simnet::Host* host = nullptr;
  std::unique_ptr<UdpSocket> socket;
  std::shared_ptr<const DtlsCertificate> certificate;
  std::unique_ptr<DtlsTransport> transport;
  std::vector<DtlsTransportState> states;
  std::vector<std::vector<uint8_t>> received;
  std::vector<std::string> key_log;
  simnet::PcapngWriter* capture = nullptr;
  simnet::Link* link = nullptr;
};

class DtlsPair {
 public:
  explicit DtlsPair(DtlsPairOptions options);

  // Generates certificates, binds sockets, creates both transports.
  void Create();
  // Starts both (server first, as an offerer would be listening).
  void Start();
  // Runs the simulation until both are connected (or either finished), or
  // `timeout` of virtual time passed. Returns whether both connected.
  bool RunUntilConnected(TimeDelta timeout = TimeDelta::Seconds(60));
  // Runs until `done` or timeout.
  bool RunUntil(const std::function<bool()>& done, TimeDelta timeout);

  // The datagrams a side sent, read back from its host capture.
  std::vector<simnet::CapturedDatagram> SentBy(const Side& side) const;

  simnet::Network& net() { return net_; }
  Side& client() { return client_; }
  Side& server() { return server_; }

 private:
  void Build(Side& side, const SocketAddress& local, const SocketAddress& remote,
             DtlsTransportConfig config, const Side& peer, bool knows_fingerprint);

  DtlsPairOptions options_;
  simnet::Network net_;
  Side client_;
  Side server_;
};

}  // namespace rtcsim::dtls::testing

#endif  // RTCSIM_STACK_DTLS_DTLS_TEST_UTIL_H_
