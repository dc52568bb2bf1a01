// Proves Debian's libusrsctp works in the mode rtcsim needs: no threads
// (usrsctp_init_nothreads), AF_CONN sockets whose packets go through a
// callback, and time driven only by usrsctp_handle_timers().

#include <netinet/in.h>
#include <sys/socket.h>
#include <usrsctp.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace rtcsim {
namespace {

// usrsctp has one global stack per process, so the packets the output
// callback emits are queued here and delivered by the test loop. Calling
// usrsctp_conninput() from inside the callback would re-enter the stack
// while it holds its locks.
struct Packet {
  void* from;  // The sconn_addr the stack sent from.
  std::vector<uint8_t> bytes;
};
std::deque<Packet>& Wire() {
  static auto* wire = new std::deque<Packet>();
  return *wire;
}

int ConnOutput(void* addr, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
  const auto* data = static_cast<const uint8_t*>(buffer);
  Wire().push_back(Packet{addr, std::vector<uint8_t>(data, data + length)});
  return 0;
}

// Each endpoint is identified by the address of one of these; usrsctp only
// compares and hands back the pointer.
int endpoint_a = 0;
int endpoint_b = 0;

sockaddr_conn ConnAddress(void* endpoint, uint16_t port) {
  sockaddr_conn addr;
  std::memset(&addr, 0, sizeof(addr));
  addr.sconn_family = AF_CONN;
  addr.sconn_port = htons(port);
  addr.sconn_addr = endpoint;
  return addr;
}

// Delivers queued packets to the other endpoint, then advances the stack's
// clock by `elapsed_ms`. In AF_CONN mode the address given to
// usrsctp_conninput() is the receiving endpoint's own address (the stack uses
// it as both source and destination when it looks up the association).
void Pump(uint32_t elapsed_ms) {
  // Bounded so a packet storm fails the test instead of hanging it.
  for (int i = 0; i < 1000 && !Wire().empty(); ++i) {
    Packet packet = std::move(Wire().front());
    Wire().pop_front();
    void* to = packet.from == &endpoint_a ? &endpoint_b : &endpoint_a;
    usrsctp_conninput(to, packet.bytes.data(), packet.bytes.size(), 0);
  }
  usrsctp_handle_timers(elapsed_ms);
}

// usrsctp_finish() refuses (non-zero) while sockets or associations are
// still being torn down; timers finish the teardown.
int FinishWithRetries() {
  int result = usrsctp_finish();
  for (int i = 0; i < 100 && result != 0; ++i) {
    Wire().clear();
    usrsctp_handle_timers(100);
    result = usrsctp_finish();
  }
  return result;
}

// Closes without the graceful SHUTDOWN handshake (sends ABORT), so teardown
// does not depend on more packet exchange.
void AbortiveClose(struct socket* so) {
  linger option = {1, 0};
  usrsctp_setsockopt(so, SOL_SOCKET, SO_LINGER, &option, sizeof(option));
  usrsctp_close(so);
}

// The required minimum: init without threads, one AF_CONN socket, and a clean
// finish. Each test runs a whole init..finish lifetime, which also proves the
// global stack can be brought up again in the same process (the simulator
// may run several scenarios per process).
TEST(Usrsctp, NoThreadsAfConnSocketLifecycle) {
  usrsctp_init_nothreads(0, &ConnOutput, nullptr);
  usrsctp_register_address(&endpoint_a);

  struct socket* so =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  EXPECT_NE(so, nullptr) << "errno " << errno;
  if (so != nullptr) usrsctp_close(so);

  usrsctp_deregister_address(&endpoint_a);
  EXPECT_EQ(FinishWithRetries(), 0);
}

// Two endpoints wired back to back through ConnOutput: handshake, one
// message, teardown, all on simulated time.
TEST(Usrsctp, ConnectedPairExchangesMessage) {
  usrsctp_init_nothreads(0, &ConnOutput, nullptr);
  usrsctp_register_address(&endpoint_a);
  usrsctp_register_address(&endpoint_b);

  struct socket* listener =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  struct socket* client =
      usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  ASSERT_NE(listener, nullptr);
  ASSERT_NE(client, nullptr);
  // Non-blocking: there is no other thread that could ever wake us up.
  ASSERT_EQ(usrsctp_set_non_blocking(listener, 1), 0);
  ASSERT_EQ(usrsctp_set_non_blocking(client, 1), 0);

  constexpr uint16_t kPort = 5000;
  sockaddr_conn listen_addr = ConnAddress(&endpoint_b, kPort);
  ASSERT_EQ(usrsctp_bind(listener, reinterpret_cast<sockaddr*>(&listen_addr), sizeof(listen_addr)),
            0)
      << "errno " << errno;
  ASSERT_EQ(usrsctp_listen(listener, 1), 0) << "errno " << errno;
  // Ask for sctp_rcvinfo with each message (stream id, PPID); the accepted
  // socket inherits the option.
  const int on = 1;
  ASSERT_EQ(usrsctp_setsockopt(listener, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof(on)), 0);

  sockaddr_conn client_addr = ConnAddress(&endpoint_a, kPort);
  ASSERT_EQ(usrsctp_bind(client, reinterpret_cast<sockaddr*>(&client_addr), sizeof(client_addr)), 0)
      << "errno " << errno;
  // The peer is named by the client's own endpoint pointer: see Pump().
  sockaddr_conn peer_addr = ConnAddress(&endpoint_a, kPort);
  int rc = usrsctp_connect(client, reinterpret_cast<sockaddr*>(&peer_addr), sizeof(peer_addr));
  ASSERT_TRUE(rc == 0 || errno == EINPROGRESS) << "errno " << errno;

  // INIT / INIT-ACK / COOKIE-ECHO / COOKIE-ACK (RFC 9260 §5.1).
  struct socket* server = nullptr;
  for (int i = 0; i < 50 && server == nullptr; ++i) {
    Pump(10);
    server = usrsctp_accept(listener, nullptr, nullptr);
  }
  ASSERT_NE(server, nullptr) << "association never came up";
  ASSERT_EQ(usrsctp_set_non_blocking(server, 1), 0);

  const std::string message = "hello over AF_CONN";
  sctp_sndinfo sndinfo;
  std::memset(&sndinfo, 0, sizeof(sndinfo));
  sndinfo.snd_sid = 1;
  sndinfo.snd_ppid = htonl(51);  // WebRTC string (RFC 8831 §8).
  ssize_t sent = -1;
  for (int i = 0; i < 50 && sent < 0; ++i) {
    sent = usrsctp_sendv(client, message.data(), message.size(), nullptr, 0, &sndinfo,
                         sizeof(sndinfo), SCTP_SENDV_SNDINFO, 0);
    if (sent < 0) Pump(10);
  }
  ASSERT_EQ(sent, static_cast<ssize_t>(message.size())) << "errno " << errno;

  std::string received;
  sctp_rcvinfo rcvinfo;
  std::memset(&rcvinfo, 0, sizeof(rcvinfo));
  for (int i = 0; i < 50 && received.empty(); ++i) {
    Pump(10);
    char buffer[256];
    socklen_t infolen = sizeof(rcvinfo);
    unsigned int infotype = 0;
    int flags = 0;
    ssize_t n = usrsctp_recvv(server, buffer, sizeof(buffer), nullptr, nullptr, &rcvinfo, &infolen,
                              &infotype, &flags);
    if (n > 0) {
      received.assign(buffer, n);
      EXPECT_TRUE(flags & MSG_EOR);  // One whole message.
      EXPECT_EQ(infotype, SCTP_RECVV_RCVINFO);
    }
  }
  EXPECT_EQ(received, message);
  EXPECT_EQ(rcvinfo.rcv_sid, 1);
  EXPECT_EQ(ntohl(rcvinfo.rcv_ppid), 51u);

  AbortiveClose(client);
  AbortiveClose(server);
  usrsctp_close(listener);
  Pump(10);

  usrsctp_deregister_address(&endpoint_a);
  usrsctp_deregister_address(&endpoint_b);
  EXPECT_EQ(FinishWithRetries(), 0);
}

}  // namespace
}  // namespace rtcsim
