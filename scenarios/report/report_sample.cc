// Writes a realistic sample report.html to argv[1]: two peers behind NATs,
// a call that connects at 0.8 s, NAT A's access link down from 10 s to 38 s
// (disconnected, then failed), an ICE restart that reconnects at 45 s, and a
// congestion dip with a loss spike near the end. The figures are invented
// but shaped like a real run; report_screenshot_test renders this page.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "scenarios/report/report.h"

namespace rtcsim::scenarios {
namespace {

constexpr double kDuration = 60;
constexpr double kConnected = 0.8;
constexpr double kLinkDown = 10;
constexpr double kLinkUp = 38;
constexpr double kReconnected = 45;

// Deterministic jitter in [-1, 1] (splitmix64 of the sample index); no
// random source, so the page is the same bytes every time.
double Jitter(uint64_t i) {
  uint64_t z = i + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / static_cast<double>(1ull << 53) * 2 - 1;
}

bool MediaFlows(double t) { return (t >= kConnected && t < kLinkDown) || t >= kReconnected; }

ReportSeries Throughput(const std::string& name, uint64_t salt) {
  ReportSeries s{name, {}};
  for (int i = 0; i <= kDuration * 2; ++i) {
    const double t = i * 0.5;
    double v = 0;
    if (MediaFlows(t)) {
      // Ramp up after (re)connecting, then ~500 kbit/s.
      const double since = t - (t >= kReconnected ? kReconnected : kConnected);
      v = 500 * std::min(1.0, 0.35 + since / 4) + 18 * Jitter(salt * 1000 + i);
      if (t >= 52 && t < 55) v *= 0.55;  // congestion dip during the loss spike
    }
    s.points.push_back({t, std::round(v * 10) / 10});
  }
  return s;
}

ReportSeries Rtt(const std::string& name, uint64_t salt) {
  ReportSeries s{name, {}};
  for (int i = 0; i <= kDuration; ++i) {
    const double t = i;
    if (!MediaFlows(t)) continue;  // no selected pair answers
    double v = 68 + 6 * Jitter(salt * 1000 + i);
    if (t >= 52 && t < 55) v += 9;  // queueing during the dip
    s.points.push_back({t, std::round(v * 10) / 10});
  }
  return s;
}

// Loss from the links' impairment models; packets dropped while a link is
// down are counted as outage, not loss, so the outage shows as a gap in
// throughput and RTT, not here.
ReportSeries Loss(const std::string& name, uint64_t salt, double base, bool spike) {
  ReportSeries s{name, {}};
  for (int i = 0; i <= kDuration; ++i) {
    const double t = i;
    double v = base + 0.6 * base * Jitter(salt * 1000 + i);
    if (spike && t >= 52 && t < 55) v = 7.5 + Jitter(salt * 1000 + i);
    s.points.push_back({t, std::round(std::max(0.0, v) * 100) / 100});
  }
  return s;
}

ReportStateTrack Track(const std::string& name, double skew) {
  return {name,
          {{0, "new"},
           {0.21 + skew, "connecting"},
           {kConnected + skew, "connected"},
           {15.1 + skew, "disconnected"},
           {40.1 + skew, "failed"},
           {41.0, "connecting"},
           {kReconnected + skew, "connected"}}};
}

ReportData SampleData() {
  ReportData d;
  d.scenario_name = "nat_outage_ice_restart";
  d.description =
      "Two peers behind different NATs (pa0 behind port-restricted NAT A, pb0 behind "
      "endpoint-independent NAT B) in an audio+video call; NAT A's access link goes down for "
      "28 s, the connection fails, and an ICE restart brings it back.";
  d.seed = 42;
  d.trace_hash = "9f3c2a71d0b84e56";
  d.passed = false;
  d.duration_s = kDuration;
  d.summary_lines = {
      "connected after 800 ms (pa0), 800 ms (pb0); selected pair srflx ↔ srflx over UDP",
      "link nat-a-internet down 10.0 s – 38.0 s: disconnected at 15.1 s, failed at 40.1 s",
      "ICE restart at 41.0 s (pa0 offers iceRestart); connected again at 45.0 s",
      "received: pa0 3.41 MB, pb0 3.39 MB; mean RTT 68.2 ms; STUN consent checks lost 19",
      "trace hash 9f3c2a71d0b84e56",
  };
  d.expectations = {
      {"pa0: connected within 2000 ms", true, "800 ms"},
      {"pb0: connected within 2000 ms", true, "800 ms"},
      {"pa0: disconnected within 6 s of the outage", true, "5.1 s"},
      {"pa0: connected again after ICE restart within 10 s", true, "4.0 s"},
      {"pb0: throughput ≥ 450 kbit/s 5 s after reconnecting", false,
       "reached 431 kbit/s at 50.0 s (< 450)"},
  };
  d.events = {
      {kLinkDown, "link nat-a-internet down"},
      {kLinkUp, "link nat-a-internet up"},
      {41.0, "pa0 restartIce()"},
      {52.0, "link nat-b-internet loss 8%"},
  };
  d.states = {Track("pa0 (call pa0→pb0)", 0), Track("pb0 (call pa0→pb0)", 0.02)};
  d.throughput_kbps = {Throughput("pa0 ← pb0", 1), Throughput("pb0 ← pa0", 2)};
  d.rtt_ms = {Rtt("pa0", 3), Rtt("pb0", 4)};
  d.loss_percent = {Loss("link nat-a-internet ↑", 5, 1.0, false),
                    Loss("link nat-a-internet ↓", 6, 2.0, false),
                    Loss("link nat-b-internet ↓", 7, 0.3, true)};
  d.files = {"trace.json",        "a0.pcapng",     "b0.pcapng",
             "link-nat-a.pcapng", "stats-a0.json", "summary.json"};
  return d;
}

}  // namespace
}  // namespace rtcsim::scenarios

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT.html\n", argv[0]);
    return 2;
  }
  const std::string html = rtcsim::scenarios::RenderReportHtml(rtcsim::scenarios::SampleData());
  std::ofstream out(argv[1], std::ios::binary);
  out << html;
  out.close();
  if (!out) {
    std::fprintf(stderr, "report_sample: cannot write %s\n", argv[1]);
    return 1;
  }
  std::printf("wrote %s (%zu bytes)\n", argv[1], html.size());
  return 0;
}
