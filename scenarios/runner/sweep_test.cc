#include "scenarios/runner/sweep.h"

#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace rtcsim::scenarios {
namespace {

using ::testing::HasSubstr;

TEST(SweepTest, ParseSeedRange) {
  auto r = ParseSeedRange("3-1002");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->first, 3u);
  EXPECT_EQ(r->last, 1002u);
  EXPECT_EQ(r->size(), 1000u);
  EXPECT_EQ(ParseSeedRange("7")->size(), 1u);
  EXPECT_EQ(ParseSeedRange("1-100000")->size(), 100000u);
  EXPECT_THAT(std::string(ParseSeedRange("5-1").status().message()), HasSubstr("A <= B"));
  EXPECT_THAT(std::string(ParseSeedRange("1-100001").status().message()),
              HasSubstr("at most 100000 seeds"));
  for (const char* bad : {"", "a-b", "1-", "-3", "1-2-3", "1..2"}) {
    EXPECT_FALSE(ParseSeedRange(bad).ok()) << bad;
  }
}

TEST(SweepTest, ParseJobs) {
  EXPECT_EQ(*ParseJobs("1"), 1);
  EXPECT_EQ(*ParseJobs("64"), 64);
  EXPECT_GE(*ParseJobs(""), 1);
  EXPECT_LE(*ParseJobs(""), 64);
  for (const char* bad : {"0", "65", "-1", "x"}) EXPECT_FALSE(ParseJobs(bad).ok()) << bad;
}

TEST(SweepTest, OutcomeRoundTrips) {
  RunOutcome o;
  o.seed = 42;
  o.trace_hash = "abc";
  o.failures = {"expect[1] (line 3) b: x: observed 1", "expect[2] c: y: z"};
  o.failure_keys = {"expect[1] b: x", "expect[2] c: y"};
  o.failure_texts = {"b: x", "c: y"};
  o.summary = "line 1\nline 2\n";
  auto back = DecodeOutcome(EncodeOutcome(o));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->seed, 42u);
  EXPECT_FALSE(back->passed);
  EXPECT_EQ(back->trace_hash, "abc");
  EXPECT_EQ(back->failures, o.failures);
  EXPECT_EQ(back->failure_keys, o.failure_keys);
  EXPECT_EQ(back->failure_texts, o.failure_texts);
  EXPECT_EQ(back->summary, o.summary);
  EXPECT_FALSE(DecodeOutcome("garbage").ok());
  EXPECT_FALSE(DecodeOutcome(EncodeOutcome(o).substr(0, 30)).ok());
}

TEST(SweepTest, PoolReturnsResultsByIndexWhateverTheOrder) {
  std::vector<int> finished_order;
  int calls = 0;
  auto results = RunInFreshProcesses(
      12, 3,
      [](int i) {
        // Later indices finish first; index 5 crashes, 7 exits non-zero.
        usleep(static_cast<useconds_t>((12 - i) * 2000));
        if (i == 5) abort();
        if (i == 7) _exit(4);
        return absl::StrCat("r", i * i);
      },
      [&](int index, const absl::StatusOr<std::string>&, int finished) {
        finished_order.push_back(index);
        EXPECT_EQ(finished, ++calls);
      });
  ASSERT_EQ(results.size(), 12u);
  EXPECT_EQ(calls, 12);
  for (int i = 0; i < 12; ++i) {
    if (i == 5 || i == 7) {
      EXPECT_FALSE(results[i].ok()) << i;
      continue;
    }
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].status();
    EXPECT_EQ(*results[i], absl::StrCat("r", i * i));
  }
  EXPECT_THAT(results[5].status().ToString(), HasSubstr("signal"));
  EXPECT_THAT(results[7].status().ToString(), HasSubstr("status 4"));
}

TEST(SweepTest, LargeResultsAreReadWhole) {
  auto results = RunInFreshProcesses(2, 2, [](int i) { return std::string(300000 + i, 'x'); });
  ASSERT_TRUE(results[0].ok());
  EXPECT_EQ(results[0]->size(), 300000u);
  EXPECT_EQ(results[1]->size(), 300001u);
}

TEST(SweepTest, ProgressLine) {
  EXPECT_EQ(ProgressLine(350, 1000, 12, 41.2),
            "[#######.............] 350/1000 seeds  12 failed  41 s");
  EXPECT_EQ(ProgressLine(0, 10, 0, 0), "[....................] 0/10 seeds  0 failed  0 s");
}

TEST(SweepTest, TableGroupsFailuresByExpectation) {
  std::vector<RunOutcome> outcomes;
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    RunOutcome o;
    o.seed = seed;
    o.passed = seed % 3 != 0 && seed != 10;
    if (seed % 3 == 0) o.failure_keys.push_back("expect[2] b: messages on \"x\"");
    if (seed == 9 || seed == 10) o.failure_keys.push_back("expect[0] every peer: connected");
    outcomes.push_back(o);
  }
  outcomes[0].passed = false;
  outcomes[0].error = "boom";
  const std::string table = SweepTable("demo", {1, 10}, 2, outcomes, 2.0);
  EXPECT_THAT(table, HasSubstr("total       10\n"));
  EXPECT_THAT(table, HasSubstr("passed       5\n"));
  EXPECT_THAT(table, HasSubstr("failed       5 (50.0%)"));
  EXPECT_THAT(table,
              HasSubstr("       3  expect[2] b: messages on \"x\"\n          seeds 3, 6, 9\n"));
  EXPECT_THAT(table,
              HasSubstr("       2  expect[0] every peer: connected\n          seeds 9, 10\n"));
  EXPECT_THAT(table, HasSubstr("       1  run error: boom\n          seeds 1\n"));
  EXPECT_THAT(table, HasSubstr("wall time 2.0 s, 5.00 seeds/s"));
  const std::string csv = SweepCsv(outcomes);
  EXPECT_THAT(csv, HasSubstr("seed,passed,hash,failures\n1,false,,run error: boom\n2,true,,\n"));
  const std::string json = SweepJson("demo", "f.textproto", {1, 10}, outcomes);
  EXPECT_THAT(json, HasSubstr("{\"seed\": 2, \"passed\": true, \"hash\": \"\", \"failures\": []}"));
}

}  // namespace
}  // namespace rtcsim::scenarios
