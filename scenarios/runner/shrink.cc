#include "scenarios/runner/shrink.h"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "scenarios/runner/scenario_loader.h"

namespace rtcsim::scenarios {
namespace {

using scenario::Scenario;

constexpr double kDefaultDurationS = 30;  // scenario.proto: duration_s default
constexpr double kMinDurationS = 1;

template <typename T>
void EraseAt(google::protobuf::RepeatedPtrField<T>* field, int index) {
  field->DeleteSubrange(index, 1);
}

template <typename T, typename Pred>
int EraseIf(google::protobuf::RepeatedPtrField<T>* field, Pred pred) {
  int erased = 0;
  for (int i = field->size() - 1; i >= 0; --i) {
    if (pred(field->Get(i))) {
      field->DeleteSubrange(i, 1);
      ++erased;
    }
  }
  return erased;
}

uint32_t Members(const scenario::Peer& p) { return std::max<uint32_t>(1, p.count()); }

// (peer, channel) pairs in file order.
std::vector<std::pair<int, int>> Channels(const Scenario& s) {
  std::vector<std::pair<int, int>> out;
  for (int p = 0; p < s.peer_size(); ++p) {
    for (int c = 0; c < s.peer(p).data_channel_size(); ++c) out.push_back({p, c});
  }
  return out;
}

// Sets peer group `peer`'s count (and that of every peer on the same host
// group, and the host group's) to `count`.
void SetGroupCount(Scenario& s, const std::string& host, uint32_t old_count, uint32_t count) {
  for (scenario::Peer& p : *s.mutable_peer()) {
    if (p.host() == host && Members(p) == old_count) p.set_count(count);
  }
  for (scenario::Host& h : *s.mutable_topology()->mutable_host()) {
    if (h.name() == host && std::max<uint32_t>(1, h.count()) == old_count) h.set_count(count);
  }
}

enum class Kind {
  kPeer,
  kCall,
  kEvent,
  kAllGroups,
  kGroup,
  kChannel,
  kExpectation,
  kTraffic,
  kDuration,
};
constexpr Kind kKinds[] = {Kind::kPeer,        Kind::kCall,    Kind::kEvent,
                           Kind::kAllGroups,   Kind::kGroup,   Kind::kChannel,
                           Kind::kExpectation, Kind::kTraffic, Kind::kDuration};

int Targets(Kind k, const Scenario& s) {
  switch (k) {
    case Kind::kPeer:
    case Kind::kGroup:
      return s.peer_size();
    case Kind::kCall:
      return s.call_size();
    case Kind::kEvent:
      return s.event_size();
    case Kind::kExpectation:
      return s.expect_size();
    case Kind::kChannel:
    case Kind::kTraffic:
      return static_cast<int>(Channels(s).size());
    case Kind::kAllGroups:
    case Kind::kDuration:
      return 1;
  }
  return 0;
}

// Reduction `k` of target `i`, or nullopt if it does not apply.
std::optional<std::pair<std::string, Scenario>> Reduce(Kind k, const Scenario& s, int i) {
  Scenario c = s;
  switch (k) {
    case Kind::kPeer: {
      const std::string name = s.peer(i).name();
      EraseAt(c.mutable_peer(), i);
      const int calls = EraseIf(c.mutable_call(), [&](const scenario::Call& x) {
        return x.offerer() == name || x.answerer() == name;
      });
      const int expects = EraseIf(c.mutable_expect(),
                                  [&](const scenario::Expectation& x) { return x.peer() == name; });
      const int events = EraseIf(c.mutable_event(), [&](const scenario::Event& x) {
        return x.restart_ice() == name || x.close_peer() == name;
      });
      std::string also;
      if (calls + expects + events > 0) {
        also = absl::StrCat(" (and ", calls, " calls, ", expects, " expectations, ", events,
                            " events naming it)");
      }
      return std::make_pair(absl::StrCat("removed peer \"", name, "\"", also), std::move(c));
    }
    case Kind::kCall:
      EraseAt(c.mutable_call(), i);
      return std::make_pair(absl::StrCat("removed call[", i, "]"), std::move(c));
    case Kind::kEvent:
      EraseAt(c.mutable_event(), i);
      return std::make_pair(absl::StrCat("removed event[", i, "]"), std::move(c));
    case Kind::kExpectation:
      EraseAt(c.mutable_expect(), i);
      return std::make_pair(absl::StrCat("removed expect[", i, "]"), std::move(c));
    case Kind::kAllGroups: {
      bool any = false;
      std::vector<std::pair<std::string, uint32_t>> groups;  // host, count
      for (const scenario::Peer& p : s.peer()) {
        if (Members(p) > 1) groups.push_back({p.host(), Members(p)});
      }
      for (const auto& [host, count] : groups) {
        SetGroupCount(c, host, count, count / 2);
        any = true;
      }
      if (!any || groups.size() < 2) return std::nullopt;  // kGroup covers one
      return std::make_pair(std::string("halved every peer group"), std::move(c));
    }
    case Kind::kGroup: {
      const scenario::Peer& p = s.peer(i);
      const uint32_t count = Members(p);
      if (count <= 1) return std::nullopt;
      SetGroupCount(c, p.host(), count, count / 2);
      return std::make_pair(absl::StrCat("peer group \"", p.name(), "\" ", count, " → ", count / 2),
                            std::move(c));
    }
    case Kind::kChannel: {
      const auto [p, ch] = Channels(s)[i];
      EraseAt(c.mutable_peer(p)->mutable_data_channel(), ch);
      return std::make_pair(absl::StrCat("removed channel \"", s.peer(p).data_channel(ch).label(),
                                         "\" of peer \"", s.peer(p).name(), "\""),
                            std::move(c));
    }
    case Kind::kTraffic: {
      const auto [p, ch] = Channels(s)[i];
      scenario::Traffic* t = c.mutable_peer(p)->mutable_data_channel(ch)->mutable_traffic();
      if (t->count() <= 1) return std::nullopt;
      const uint32_t before = t->count();
      t->set_count(before / 2);
      return std::make_pair(
          absl::StrCat("channel \"", s.peer(p).data_channel(ch).label(), "\" of peer \"",
                       s.peer(p).name(), "\": ", before, " → ", before / 2, " messages"),
          std::move(c));
    }
    case Kind::kDuration: {
      const double before = s.duration_s() > 0 ? s.duration_s() : kDefaultDurationS;
      if (before / 2 < kMinDurationS) return std::nullopt;
      c.set_duration_s(before / 2);
      return std::make_pair(absl::StrCat("duration ", before, " s → ", before / 2, " s"),
                            std::move(c));
    }
  }
  return std::nullopt;
}

}  // namespace

ShrinkResult Shrink(const Scenario& scenario,
                    const std::function<bool(const Scenario&)>& still_fails,
                    const ShrinkOptions& options) {
  ShrinkResult r;
  r.scenario = scenario;
  bool changed = true;
  while (changed && !r.out_of_runs) {
    changed = false;
    for (Kind k : kKinds) {
      for (int i = 0; i < Targets(k, r.scenario) && !r.out_of_runs;) {
        auto candidate = Reduce(k, r.scenario, i);
        if (!candidate.has_value()) {
          ++i;
          continue;
        }
        if (!BuildModel(candidate->second, "shrink candidate").ok()) {
          ++r.skipped;
          ++i;
          continue;
        }
        if (r.runs >= options.max_runs) {
          r.out_of_runs = true;
          break;
        }
        ++r.runs;
        if (!still_fails(candidate->second)) {
          ++i;
          continue;
        }
        // Kept, and `i` stays: after a removal it is the next element, after
        // a halving the same one, halved again.
        r.scenario = std::move(candidate->second);
        ++r.steps;
        changed = true;
        if (options.on_step) options.on_step(candidate->first, r.scenario, r.runs);
      }
      if (r.out_of_runs) break;
    }
  }
  return r;
}

std::string ScenarioSize(const Scenario& s) {
  uint64_t peers = 0, messages = 0;
  for (const scenario::Peer& p : s.peer()) {
    peers += Members(p);
    for (const scenario::DataChannel& c : p.data_channel()) {
      messages +=
          uint64_t{Members(p)} * c.traffic().count() * (c.traffic().both_directions() ? 2 : 1);
    }
  }
  return absl::StrCat(peers, " peers, ", s.call_size(), " calls, ", s.event_size(), " events, ",
                      messages, " messages, ",
                      s.duration_s() > 0 ? s.duration_s() : kDefaultDurationS, " s");
}

}  // namespace rtcsim::scenarios
