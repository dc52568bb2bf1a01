// WHIP-style signalling (draft-ietf-wish-whip, non-trickle) over cpp-httplib:
// the offerer POSTs its SDP offer with Content-Type application/sdp and gets
// 201 Created, a Location header and the SDP answer; DELETE on the Location
// ends the session.
//
// httplib runs its own threads. The stack must only be touched on the
// RealEnv's thread, so both classes hand everything to it with
// RealEnv::PostFromAnyThread and deliver their callbacks there. Destroy them
// on the Env's thread before the RealEnv; nothing is delivered afterwards.
#ifndef RTCSIM_TOOLS_PEER_WHIP_H_
#define RTCSIM_TOOLS_PEER_WHIP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "stack/env/socket_address.h"
#include "stack/env/time.h"
#include "stack/realnet/real_env.h"
#include "tools/peer/peer_flags.h"

namespace rtcsim::peer {

// Answers one offer POSTed to any path; a second one gets 409 Conflict.
class WhipServer {
 public:
  using Respond = std::function<void(absl::StatusOr<std::string> answer_sdp)>;
  struct Callbacks {
    // On the Env thread: an offer arrived; call `respond` (on the Env
    // thread, now or later) with the answer SDP or an error (sent as 400).
    std::function<void(std::string offer_sdp, Respond respond)> on_offer;
    // On the Env thread: the peer DELETEd the session's resource.
    std::function<void(std::string path)> on_delete;
  };

  // Binds and starts serving. `answer_timeout` bounds how long the handler
  // waits for `respond` (then 504).
  static absl::StatusOr<std::unique_ptr<WhipServer>> Start(RealEnv& env,
                                                           const SocketAddress& listen,
                                                           TimeDelta answer_timeout,
                                                           Callbacks callbacks);
  ~WhipServer();  // Stops the server and joins its threads.
  WhipServer(const WhipServer&) = delete;
  WhipServer& operator=(const WhipServer&) = delete;

  uint16_t port() const { return port_; }
  // "/whip/<random hex>", the Location of the one session.
  const std::string& location() const;

  struct State;

 private:
  WhipServer() = default;
  uint16_t port_ = 0;
  std::shared_ptr<State> state_;
};

struct WhipResponse {
  int status = 0;
  std::string location;
  std::string content_type;
  std::string body;
};

// POSTs an offer (and later DELETEs the resource) from a worker thread.
class WhipClient {
 public:
  WhipClient(RealEnv& env, HttpUrl url, TimeDelta timeout);
  ~WhipClient();  // Aborts requests in flight and joins the workers.
  WhipClient(const WhipClient&) = delete;
  WhipClient& operator=(const WhipClient&) = delete;

  // `done` runs on the Env thread: the response (any status), or an error
  // when there was none (connection refused, timeout).
  void PostOffer(std::string offer_sdp, std::function<void(absl::StatusOr<WhipResponse>)> done);
  // DELETE `location` (absolute path, or a URL on the same origin); `done`
  // runs on the Env thread with the status or an error.
  void Delete(const std::string& location, std::function<void(absl::StatusOr<int>)> done);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace rtcsim::peer

#endif  // RTCSIM_TOOLS_PEER_WHIP_H_
