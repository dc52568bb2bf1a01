// report.html: one self-contained page (inline SVG and CSS, no script, no
// server) that a person opens in a browser after a scenario run.
#ifndef RTCSIM_SCENARIOS_REPORT_REPORT_H_
#define RTCSIM_SCENARIOS_REPORT_REPORT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace rtcsim::scenarios {

struct ReportPoint {
  double t_s = 0;  // virtual time
  double value = 0;
};

struct ReportSeries {
  std::string name;  // legend, e.g. "pa0→pb0" or "link nat-a-internet ↑"
  std::vector<ReportPoint> points;
};

// One PeerConnection's connectionState over time, for the timeline plot.
struct ReportStateTrack {
  std::string name;  // e.g. "pa0 (call pa0→pb0)"
  // Each change: at t_s the state became `state` ("new", "connecting",
  // "connected", "disconnected", "failed", "closed").
  std::vector<std::pair<double, std::string>> changes;
};

struct ReportEvent {
  double t_s = 0;
  std::string text;  // "link nat-a-internet down"
};

struct ReportExpectation {
  std::string text;  // "pa0: connected within 2000 ms"
  bool passed = false;
  std::string detail;  // observed value, or why it failed
};

struct ReportData {
  std::string scenario_name;
  std::string description;
  uint64_t seed = 0;
  std::string trace_hash;
  bool passed = false;
  double duration_s = 0;                   // virtual time the run lasted
  std::vector<std::string> summary_lines;  // the text summary, shown verbatim
  std::vector<ReportExpectation> expectations;
  std::vector<ReportEvent> events;  // drawn as markers on every time plot
  std::vector<ReportStateTrack> states;
  std::vector<ReportSeries> throughput_kbps;  // per peer, received
  std::vector<ReportSeries> rtt_ms;           // per PeerConnection, selected pair
  std::vector<ReportSeries> loss_percent;     // per link direction with loss
  std::vector<std::string> files;             // written next to report.html
};

// The whole page. Text is HTML-escaped; series with no points are listed
// as "no data" rather than drawn.
std::string RenderReportHtml(const ReportData& data);

}  // namespace rtcsim::scenarios

#endif  // RTCSIM_SCENARIOS_REPORT_REPORT_H_
