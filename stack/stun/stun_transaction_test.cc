// Client transactions on simnet's virtual clock: the exact RFC 8489 §6.2.1
// retransmission schedule, matching, integrity and cancellation.
#include "stack/stun/stun_transaction.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simnet/network.h"

namespace rtcsim::stun {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr int64_t kLinkDelayMs = 10;

// A client and a server host on one router, 10 ms each way. The server
// socket hands every request to `answer`, which decides what to send back.
class StunTransactionTest : public ::testing::Test {
 protected:
  StunTransactionTest() : net_(7) {
    simnet::Router* router = *net_.AddRouter("router");
    client_ = *net_.AddHost("client", {IpAddress::V4(10, 0, 0, 1)});
    server_ = *net_.AddHost("server", {IpAddress::V4(10, 0, 0, 2)});
    simnet::LinkParams link;
    link.delay = TimeDelta::Millis(kLinkDelayMs / 2);
    EXPECT_TRUE(net_.Connect(client_, router, link).ok());
    EXPECT_TRUE(net_.Connect(server_, router, link).ok());
    client_socket_ = *client_->env().BindUdp(SocketAddress(IpAddress::AnyV4(), 0));
    server_socket_ = *server_->env().BindUdp(kServer);
    server_socket_->SetReceiveCallback(
        [this](const SocketAddress& from, absl::Span<const uint8_t> payload) {
          auto request = StunMessageView::Parse(payload);
          ASSERT_TRUE(request.ok()) << request.status();
          ++server_received_;
          if (answer_) {
            for (const std::vector<uint8_t>& reply : answer_(*request)) {
              EXPECT_TRUE(server_socket_->SendTo(from, reply).ok());
            }
          }
        });
    transactions_ = std::make_unique<StunClientTransactions>(
        client_->env(), [this](const SocketAddress& to, absl::Span<const uint8_t> bytes) {
          send_times_ms_.push_back(env().Now().ms());
          EXPECT_TRUE(client_socket_->SendTo(to, bytes).ok());
        });
    client_socket_->SetReceiveCallback(
        [this](const SocketAddress& from, absl::Span<const uint8_t> payload) {
          auto response = StunMessageView::Parse(payload);
          ASSERT_TRUE(response.ok()) << response.status();
          if (transactions_ != nullptr) transactions_->HandleResponse(*response, from);
        });
  }

  Env& env() { return client_->env(); }

  std::vector<uint8_t> Request(TransactionId* id = nullptr) {
    Random random = env().CreateRandom(absl::StrCat("tid", ++requests_made_));
    const TransactionId tid = NewTransactionId(random);
    if (id != nullptr) *id = tid;
    return StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, tid)
        .AddFingerprint()
        .bytes();
  }

  // A success response to `request`, optionally with MESSAGE-INTEGRITY.
  static std::vector<uint8_t> Success(const StunMessageView& request,
                                      const std::vector<uint8_t>* key = nullptr) {
    StunMessageBuilder b(StunMethod::kBinding, StunClass::kSuccessResponse,
                         request.transaction_id());
    b.AddXorAddress(attr::kXorMappedAddress, SocketAddress(IpAddress::V4(10, 0, 0, 1), 1));
    if (key != nullptr) b.AddMessageIntegrity(*key);
    return b.bytes();
  }

  const SocketAddress kServer{IpAddress::V4(10, 0, 0, 2), 3478};
  simnet::Network net_;
  simnet::Host* client_;
  simnet::Host* server_;
  std::unique_ptr<UdpSocket> client_socket_;
  std::unique_ptr<UdpSocket> server_socket_;
  std::unique_ptr<StunClientTransactions> transactions_;
  std::function<std::vector<std::vector<uint8_t>>(const StunMessageView&)> answer_;
  std::vector<int64_t> send_times_ms_;
  int server_received_ = 0;
  int requests_made_ = 0;
};

// Records what a transaction's callback got.
struct Outcome {
  int calls = 0;
  absl::Status status;
  int64_t at_ms = -1;
  int transmissions = 0;
  int64_t rtt_ms = -1;
  SocketAddress from;
  std::optional<SocketAddress> mapped;
  std::optional<int> error_code;
};

StunClientTransactions::Callback Record(Env& env, Outcome* out) {
  return [&env, out](absl::StatusOr<StunClientTransactions::Response> r) {
    ++out->calls;
    out->at_ms = env.Now().ms();
    out->status = r.status();
    if (r.ok()) {
      out->transmissions = r->transmissions;
      out->rtt_ms = r->rtt.ms();
      out->from = r->from;
      if (auto a = r->message.GetXorAddress(attr::kXorMappedAddress); a.ok()) out->mapped = *a;
      if (auto e = r->message.GetErrorCode(); e.ok()) out->error_code = e->code;
    }
  };
}

TEST_F(StunTransactionTest, RetransmitsOnTheRfc8489ScheduleThenTimesOut) {
  // No answer at all: RFC 8489 §6.2.1's example, RTO 500 ms, Rc 7, Rm 16.
  Outcome out;
  auto id = transactions_->Start(Request(), kServer, RetransmitConfig{}, std::nullopt,
                                 Record(env(), &out));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(transactions_->IsPending(*id));
  net_.RunFor(TimeDelta::Millis(39499));
  EXPECT_EQ(out.calls, 0);
  EXPECT_THAT(send_times_ms_, ElementsAre(0, 500, 1500, 3500, 7500, 15500, 31500));
  net_.RunFor(TimeDelta::Seconds(100));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.at_ms, 39500);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(out.status.message(), HasSubstr("no response after 7 transmissions"));
  EXPECT_EQ(send_times_ms_.size(), 7u);
  EXPECT_EQ(server_received_, 7);
  EXPECT_FALSE(transactions_->IsPending(*id));
  EXPECT_EQ(transactions_->pending(), 0u);
  EXPECT_EQ(transactions_->stats().started, 1u);
  EXPECT_EQ(transactions_->stats().retransmissions, 6u);
  EXPECT_EQ(transactions_->stats().timed_out, 1u);
  EXPECT_EQ(transactions_->stats().succeeded, 0u);
}

TEST_F(StunTransactionTest, MaxRtoCapsTheDoubledInterval) {
  RetransmitConfig config;
  config.rto = TimeDelta::Millis(100);
  config.rc = 6;
  config.rm = 4;
  config.max_rto = TimeDelta::Millis(300);
  Outcome out;
  ASSERT_TRUE(
      transactions_->Start(Request(), kServer, config, std::nullopt, Record(env(), &out)).ok());
  net_.RunFor(TimeDelta::Seconds(10));
  // Intervals 100, 200, 300, 300, 300; then Rm·RTO = 400 ms.
  EXPECT_THAT(send_times_ms_, ElementsAre(0, 100, 300, 600, 900, 1200));
  EXPECT_EQ(out.at_ms, 1600);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(StunTransactionTest, SingleTransmissionWaitsRmTimesRto) {
  RetransmitConfig config;
  config.rc = 1;
  Outcome out;
  ASSERT_TRUE(
      transactions_->Start(Request(), kServer, config, std::nullopt, Record(env(), &out)).ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_THAT(send_times_ms_, ElementsAre(0));
  EXPECT_EQ(out.at_ms, 8000);
  EXPECT_EQ(transactions_->stats().retransmissions, 0u);
}

TEST_F(StunTransactionTest, ResponseEndsTheTransactionAndStopsRetransmission) {
  // The server ignores the first two copies and answers the third.
  answer_ = [this](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    if (server_received_ < 3) return {};
    return {Success(request)};
  };
  Outcome out;
  ASSERT_TRUE(transactions_
                  ->Start(Request(), kServer, RetransmitConfig{}, std::nullopt, Record(env(), &out))
                  .ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_THAT(send_times_ms_, ElementsAre(0, 500, 1500));
  ASSERT_EQ(out.calls, 1);
  ASSERT_TRUE(out.status.ok()) << out.status;
  EXPECT_EQ(out.at_ms, 1500 + kLinkDelayMs * 2);
  EXPECT_EQ(out.rtt_ms, kLinkDelayMs * 2);
  EXPECT_EQ(out.transmissions, 3);
  EXPECT_EQ(out.from, kServer);
  EXPECT_EQ(out.mapped, SocketAddress(IpAddress::V4(10, 0, 0, 1), 1));
  EXPECT_EQ(transactions_->stats().succeeded, 1u);
  EXPECT_EQ(transactions_->stats().retransmissions, 2u);
  EXPECT_EQ(transactions_->stats().timed_out, 0u);
  EXPECT_EQ(transactions_->pending(), 0u);
}

TEST_F(StunTransactionTest, DuplicateResponsesAfterTheFirstAreUnknown) {
  answer_ = [](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    return {Success(request), Success(request)};
  };
  Outcome out;
  ASSERT_TRUE(transactions_
                  ->Start(Request(), kServer, RetransmitConfig{}, std::nullopt, Record(env(), &out))
                  .ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(transactions_->stats().succeeded, 1u);
  EXPECT_EQ(transactions_->stats().unknown_transaction, 1u);
}

TEST_F(StunTransactionTest, ResponseWithUnknownTransactionIdIsCounted) {
  Random random(99);
  const std::vector<uint8_t> stray =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kSuccessResponse,
                         NewTransactionId(random))
          .bytes();
  EXPECT_FALSE(transactions_->HandleResponse(*StunMessageView::Parse(stray), kServer));
  EXPECT_EQ(transactions_->stats().unknown_transaction, 1u);

  // A request carrying a pending id is not a response to it.
  TransactionId id;
  Outcome out;
  ASSERT_TRUE(
      transactions_
          ->Start(Request(&id), kServer, RetransmitConfig{}, std::nullopt, Record(env(), &out))
          .ok());
  const std::vector<uint8_t> echo =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kRequest, id).bytes();
  EXPECT_FALSE(transactions_->HandleResponse(*StunMessageView::Parse(echo), kServer));
  EXPECT_EQ(transactions_->stats().unknown_transaction, 2u);
  EXPECT_TRUE(transactions_->IsPending(id));
  EXPECT_EQ(out.calls, 0);
}

TEST_F(StunTransactionTest, IntegrityFailureIsCountedAndTheTransactionKeepsWaiting) {
  const std::vector<uint8_t> key = ShortTermKey("right");
  const std::vector<uint8_t> wrong = ShortTermKey("wrong");
  // First copy: no integrity; second: wrong key; third: correct.
  answer_ = [&](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    if (server_received_ == 1) return {Success(request)};
    if (server_received_ == 2) return {Success(request, &wrong)};
    return {Success(request, &key)};
  };
  Outcome out;
  ASSERT_TRUE(
      transactions_->Start(Request(), kServer, RetransmitConfig{}, key, Record(env(), &out)).ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_THAT(send_times_ms_, ElementsAre(0, 500, 1500));
  EXPECT_EQ(transactions_->stats().integrity_failures, 2u);
  ASSERT_EQ(out.calls, 1);
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.transmissions, 3);
}

TEST_F(StunTransactionTest, ErrorResponseWithoutIntegrityIsAccepted) {
  // RFC 8489 §9.1.4: e.g. a 400 or 401 cannot be authenticated.
  answer_ = [](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    return {MakeErrorResponse(request, error::kUnauthorized, "Unauthorized").bytes()};
  };
  Outcome out;
  ASSERT_TRUE(
      transactions_
          ->Start(Request(), kServer, RetransmitConfig{}, ShortTermKey("k"), Record(env(), &out))
          .ok());
  net_.RunFor(TimeDelta::Seconds(1));
  ASSERT_EQ(out.calls, 1);
  EXPECT_TRUE(out.status.ok());
  EXPECT_EQ(out.error_code, 401);
  EXPECT_EQ(transactions_->stats().integrity_failures, 0u);
}

TEST_F(StunTransactionTest, ErrorResponseWithBadIntegrityIsDropped) {
  const std::vector<uint8_t> wrong = ShortTermKey("wrong");
  answer_ = [&](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    return {MakeErrorResponse(request, error::kRoleConflict, "Role Conflict")
                .AddMessageIntegrity(wrong)
                .bytes()};
  };
  Outcome out;
  ASSERT_TRUE(
      transactions_
          ->Start(Request(), kServer, RetransmitConfig{}, ShortTermKey("k"), Record(env(), &out))
          .ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_EQ(transactions_->stats().integrity_failures, 7u);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST_F(StunTransactionTest, CancelCallsBackAndStopsSending) {
  TransactionId id;
  Outcome out;
  ASSERT_TRUE(
      transactions_
          ->Start(Request(&id), kServer, RetransmitConfig{}, std::nullopt, Record(env(), &out))
          .ok());
  net_.RunFor(TimeDelta::Millis(600));
  EXPECT_TRUE(transactions_->Cancel(id));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(out.status.code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(transactions_->Cancel(id));
  EXPECT_FALSE(transactions_->IsPending(id));
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_THAT(send_times_ms_, ElementsAre(0, 500));
  EXPECT_EQ(out.calls, 1);
  EXPECT_EQ(transactions_->stats().cancelled, 1u);
}

TEST_F(StunTransactionTest, CancelAllCallsBackInStartOrderAndCallbacksMayStartMore) {
  std::vector<int> order;
  std::optional<TransactionId> restarted;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(transactions_
                    ->Start(Request(), kServer, RetransmitConfig{}, std::nullopt,
                            [&, i](absl::StatusOr<StunClientTransactions::Response> r) {
                              EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
                              order.push_back(i);
                              if (i == 2) {
                                auto id =
                                    transactions_->Start(Request(), kServer, RetransmitConfig{},
                                                         std::nullopt, [](auto) {});
                                ASSERT_TRUE(id.ok());
                                restarted = *id;
                              }
                            })
                    .ok());
  }
  transactions_->CancelAll();
  EXPECT_THAT(order, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_EQ(transactions_->stats().cancelled, 5u);
  ASSERT_TRUE(restarted.has_value());
  EXPECT_EQ(transactions_->pending(), 1u);
  EXPECT_TRUE(transactions_->IsPending(*restarted));
}

TEST_F(StunTransactionTest, CallbackMayCancelOthersAndStartNew) {
  answer_ = [](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    return {Success(request)};
  };
  TransactionId first, second;
  Outcome second_out, third_out;
  std::optional<TransactionId> third;
  ASSERT_TRUE(transactions_
                  ->Start(Request(&first), kServer, RetransmitConfig{}, std::nullopt,
                          [&](absl::StatusOr<StunClientTransactions::Response> r) {
                            ASSERT_TRUE(r.ok());
                            EXPECT_FALSE(transactions_->IsPending(first));
                            EXPECT_TRUE(transactions_->Cancel(second));
                            auto id = transactions_->Start(Request(), kServer, RetransmitConfig{},
                                                           std::nullopt, Record(env(), &third_out));
                            ASSERT_TRUE(id.ok());
                            third = *id;
                          })
                  .ok());
  // The second goes nowhere (unbound port), so it is still pending when the
  // first one's response arrives.
  ASSERT_TRUE(transactions_
                  ->Start(Request(&second), SocketAddress(IpAddress::V4(10, 0, 0, 2), 9),
                          RetransmitConfig{}, std::nullopt, Record(env(), &second_out))
                  .ok());
  net_.RunFor(TimeDelta::Seconds(1));
  EXPECT_EQ(second_out.status.code(), absl::StatusCode::kCancelled);
  ASSERT_TRUE(third.has_value());
  EXPECT_EQ(third_out.calls, 1);
  EXPECT_TRUE(third_out.status.ok());
}

TEST_F(StunTransactionTest, CallbackMayDestroyTheTransactions) {
  answer_ = [](const StunMessageView& request) -> std::vector<std::vector<uint8_t>> {
    return {Success(request)};
  };
  int calls = 0;
  ASSERT_TRUE(transactions_
                  ->Start(Request(), kServer, RetransmitConfig{}, std::nullopt,
                          [&](absl::StatusOr<StunClientTransactions::Response> r) {
                            ++calls;
                            transactions_.reset();
                          })
                  .ok());
  // A second, never-answered transaction whose timer must die with the
  // object (no callback, no use-after-free under ASan).
  int other_calls = 0;
  ASSERT_TRUE(transactions_
                  ->Start(Request(), SocketAddress(IpAddress::V4(10, 0, 0, 2), 9),
                          RetransmitConfig{}, std::nullopt, [&](auto) { ++other_calls; })
                  .ok());
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(other_calls, 0);
  EXPECT_EQ(transactions_, nullptr);
}

TEST_F(StunTransactionTest, DestructorCancelsWithoutCallingBack) {
  int calls = 0;
  ASSERT_TRUE(
      transactions_
          ->Start(Request(), kServer, RetransmitConfig{}, std::nullopt, [&](auto) { ++calls; })
          .ok());
  transactions_.reset();
  net_.RunFor(TimeDelta::Seconds(60));
  EXPECT_EQ(calls, 0);
  EXPECT_THAT(send_times_ms_, ElementsAre(0));
}

TEST_F(StunTransactionTest, StartRejectsBadInput) {
  auto not_request =
      StunMessageBuilder(StunMethod::kBinding, StunClass::kIndication, TransactionId{}).bytes();
  auto st = transactions_->Start(not_request, kServer, {}, std::nullopt, [](auto) {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("Indication, not a Request"));

  st = transactions_->Start({1, 2, 3}, kServer, {}, std::nullopt, [](auto) {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(st.message(), HasSubstr("does not parse"));

  RetransmitConfig bad;
  bad.rc = 0;
  st = transactions_->Start(Request(), kServer, bad, std::nullopt, [](auto) {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);

  std::vector<uint8_t> request = Request();
  ASSERT_TRUE(transactions_->Start(request, kServer, {}, std::nullopt, [](auto) {}).ok());
  st = transactions_->Start(request, kServer, {}, std::nullopt, [](auto) {}).status();
  EXPECT_EQ(st.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(transactions_->stats().started, 1u);
  EXPECT_TRUE(send_times_ms_.size() == 1);
}

TEST_F(StunTransactionTest, HugeRcDoesNotOverflowTheTimer) {
  RetransmitConfig config;
  config.rc = 200;
  config.rm = 1000000000;
  Outcome out;
  ASSERT_TRUE(
      transactions_->Start(Request(), kServer, config, std::nullopt, Record(env(), &out)).ok());
  net_.RunFor(TimeDelta::Seconds(100000));
  // Doubling from 0.5 s: sends at 0, 0.5, 1.5, ... 2^17·0.5 − 0.5 < 100000 s.
  EXPECT_EQ(send_times_ms_.size(), 18u);
  EXPECT_EQ(out.calls, 0);
}

}  // namespace
}  // namespace rtcsim::stun
