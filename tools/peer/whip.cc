#include "tools/peer/whip.h"

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace rtcsim::peer {
namespace {

constexpr char kSdpType[] = "application/sdp";

// "application/sdp; charset=..." → "application/sdp".
std::string MediaType(const std::string& content_type) {
  std::string type = content_type.substr(0, content_type.find(';'));
  return absl::AsciiStrToLower(absl::StripAsciiWhitespace(type));
}

std::chrono::microseconds ToMicros(TimeDelta delta) {
  return std::chrono::microseconds(std::max<int64_t>(delta.us(), 0));
}

void SetTimeouts(httplib::Client& client, TimeDelta timeout) {
  int64_t us = std::max<int64_t>(timeout.us(), 1000);
  // A refused or unroutable connection should fail fast; the answer may
  // take a while (the answerer gathers every candidate first).
  int64_t connect_us = std::min<int64_t>(us, 5'000'000);
  client.set_connection_timeout(connect_us / 1'000'000, connect_us % 1'000'000);
  client.set_read_timeout(us / 1'000'000, us % 1'000'000);
  client.set_write_timeout(us / 1'000'000, us % 1'000'000);
}

}  // namespace

// ---------------------------------------------------------------------------
// WhipServer

struct WhipServer::State {
  RealEnv* env = nullptr;
  TimeDelta answer_timeout;
  std::string location;
  // Env thread only; cleared by ~WhipServer so late tasks do nothing.
  Callbacks callbacks;

  std::atomic<bool> session_taken{false};
  std::mutex mutex;
  std::condition_variable changed;
  bool shutting_down = false;  // Guarded by mutex.

  httplib::Server server;
  std::thread thread;
};

namespace {

struct AnswerSlot {
  std::optional<absl::StatusOr<std::string>> answer;  // Guarded by State::mutex.
};

}  // namespace

absl::StatusOr<std::unique_ptr<WhipServer>> WhipServer::Start(RealEnv& env,
                                                              const SocketAddress& listen,
                                                              TimeDelta answer_timeout,
                                                              Callbacks callbacks) {
  auto state = std::make_shared<State>();
  state->env = &env;
  state->answer_timeout = answer_timeout;
  state->callbacks = std::move(callbacks);
  Random random = env.CreateRandom("whip-location");
  state->location = absl::StrFormat("/whip/%016x", random.Next64());

  State* st = state.get();  // The handlers run only while the server lives.
  std::weak_ptr<State> weak = state;
  st->server.Post(".*", [st, weak](const httplib::Request& request, httplib::Response& response) {
    std::string type = MediaType(request.get_header_value("Content-Type"));
    if (type != kSdpType) {
      response.status = 415;
      response.set_content(absl::StrCat("Content-Type must be application/sdp, not '",
                                        request.get_header_value("Content-Type"), "'\n"),
                           "text/plain");
      return;
    }
    if (st->session_taken.exchange(true)) {
      response.status = 409;
      response.set_content("this peer takes one session\n", "text/plain");
      return;
    }
    auto slot = std::make_shared<AnswerSlot>();
    std::shared_ptr<State> keep = weak.lock();
    if (keep == nullptr) {
      response.status = 503;
      return;
    }
    st->env->PostFromAnyThread([keep, slot, offer = request.body]() mutable {
      if (!keep->callbacks.on_offer) return;  // Shutting down.
      keep->callbacks.on_offer(std::move(offer), [keep, slot](absl::StatusOr<std::string> answer) {
        std::lock_guard<std::mutex> lock(keep->mutex);
        if (!slot->answer.has_value()) slot->answer = std::move(answer);
        keep->changed.notify_all();
      });
    });
    keep.reset();
    std::unique_lock<std::mutex> lock(st->mutex);
    bool ready = st->changed.wait_for(lock, ToMicros(st->answer_timeout), [&] {
      return slot->answer.has_value() || st->shutting_down;
    });
    if (!ready || !slot->answer.has_value()) {
      response.status = st->shutting_down ? 503 : 504;
      response.set_content(st->shutting_down ? "shutting down\n" : "no answer in time\n",
                           "text/plain");
      return;
    }
    const absl::StatusOr<std::string>& answer = *slot->answer;
    if (!answer.ok()) {
      response.status = 400;
      response.set_content(
          absl::StrCat("cannot answer this offer: ", answer.status().message(), "\n"),
          "text/plain");
      return;
    }
    response.status = 201;
    response.set_header("Location", st->location);
    response.set_content(*answer, kSdpType);
  });
  st->server.Delete(".*", [st, weak](const httplib::Request& request, httplib::Response& response) {
    std::shared_ptr<State> keep = weak.lock();
    if (keep == nullptr) {
      response.status = 503;
      return;
    }
    st->env->PostFromAnyThread([keep, path = request.path]() mutable {
      if (keep->callbacks.on_delete) keep->callbacks.on_delete(std::move(path));
    });
    response.status = 200;
  });
  // CORS preflight and WHIP's OPTIONS probe.
  st->server.Options(
      ".*", [](const httplib::Request&, httplib::Response& response) { response.status = 204; });
  st->server.set_read_timeout(10, 0);

  const std::string host = listen.ip().ToString();
  int port = listen.port();
  if (port == 0) {
    port = st->server.bind_to_any_port(host);
    if (port < 0) {
      return absl::UnavailableError(absl::StrCat("cannot listen on ", host, " (any port)"));
    }
  } else if (!st->server.bind_to_port(host, port)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen.ToString(), " (in use, or not a local address)"));
  }
  st->thread = std::thread([st] { st->server.listen_after_bind(); });

  std::unique_ptr<WhipServer> server(new WhipServer());
  server->port_ = static_cast<uint16_t>(port);
  server->state_ = std::move(state);
  return server;
}

const std::string& WhipServer::location() const { return state_->location; }

WhipServer::~WhipServer() {
  if (state_ == nullptr) return;
  state_->callbacks = {};
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->shutting_down = true;
    state_->changed.notify_all();
  }
  state_->server.stop();
  if (state_->thread.joinable()) state_->thread.join();
}

// ---------------------------------------------------------------------------
// WhipClient

struct WhipClient::State {
  RealEnv* env = nullptr;
  HttpUrl url;
  TimeDelta timeout;
  bool deliver = true;               // Env thread only.
  std::vector<std::thread> workers;  // Env thread only.

  std::mutex mutex;
  bool alive = true;                        // Guarded by mutex.
  std::vector<httplib::Client*> in_flight;  // Guarded by mutex.

  // Runs `request` on a worker with a client registered for stop().
  // Returns false if shutting down.
  bool Register(httplib::Client* client) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!alive) return false;
    in_flight.push_back(client);
    return true;
  }
  void Unregister(httplib::Client* client) {
    std::lock_guard<std::mutex> lock(mutex);
    in_flight.erase(std::remove(in_flight.begin(), in_flight.end(), client), in_flight.end());
  }
};

WhipClient::WhipClient(RealEnv& env, HttpUrl url, TimeDelta timeout)
    : state_(std::make_shared<State>()) {
  state_->env = &env;
  state_->url = std::move(url);
  state_->timeout = timeout;
}

WhipClient::~WhipClient() {
  state_->deliver = false;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->alive = false;
    for (httplib::Client* client : state_->in_flight) client->stop();
  }
  for (std::thread& worker : state_->workers) worker.join();
}

void WhipClient::PostOffer(std::string offer_sdp,
                           std::function<void(absl::StatusOr<WhipResponse>)> done) {
  std::shared_ptr<State> st = state_;
  st->workers.emplace_back([st, offer = std::move(offer_sdp), done = std::move(done)]() mutable {
    httplib::Client client(st->url.Origin());
    SetTimeouts(client, st->timeout);
    if (!st->Register(&client)) return;
    httplib::Result result = client.Post(st->url.path, offer, kSdpType);
    st->Unregister(&client);
    absl::StatusOr<WhipResponse> out;
    if (!result) {
      out = absl::UnavailableError(absl::StrCat("POST ", st->url.Origin(), st->url.path, ": ",
                                                httplib::to_string(result.error())));
    } else {
      WhipResponse response;
      response.status = result->status;
      response.location = result->get_header_value("Location");
      response.content_type = result->get_header_value("Content-Type");
      response.body = result->body;
      out = std::move(response);
    }
    st->env->PostFromAnyThread([st, out = std::move(out), done = std::move(done)]() mutable {
      if (st->deliver) done(std::move(out));
    });
  });
}

void WhipClient::Delete(const std::string& location,
                        std::function<void(absl::StatusOr<int>)> done) {
  std::string origin = state_->url.Origin();
  std::string path = location;
  if (absl::StartsWithIgnoreCase(location, "http://")) {
    absl::StatusOr<HttpUrl> url = ParseHttpUrl(location);
    if (!url.ok()) {
      done(url.status());
      return;
    }
    origin = url->Origin();
    path = url->path;
  } else if (!absl::StartsWith(location, "/")) {
    // Relative to the POST URL's directory (RFC 3986 §5.2).
    std::string base = state_->url.path.substr(0, state_->url.path.find('?'));
    path = base.substr(0, base.rfind('/') + 1) + location;
  }
  std::shared_ptr<State> st = state_;
  st->workers.emplace_back([st, origin, path, done = std::move(done)]() mutable {
    httplib::Client client(origin);
    SetTimeouts(client, std::min(st->timeout, TimeDelta::Seconds(2)));
    if (!st->Register(&client)) return;
    httplib::Result result = client.Delete(path);
    st->Unregister(&client);
    absl::StatusOr<int> out =
        result ? absl::StatusOr<int>(result->status)
               : absl::UnavailableError(absl::StrCat("DELETE ", origin, path, ": ",
                                                     httplib::to_string(result.error())));
    st->env->PostFromAnyThread([st, out = std::move(out), done = std::move(done)]() mutable {
      if (st->deliver) done(std::move(out));
    });
  });
}

}  // namespace rtcsim::peer
