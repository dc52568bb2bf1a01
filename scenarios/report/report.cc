// report.html: one self-contained page, inline CSS and inline SVG, no script.
//
// Layout of every time plot (all sizes in SVG user units, 1 unit = 1 CSS px
// at the page's natural width):
//
//   +--------------------------------------------------------------+
//   | legend (flows over as many rows as it needs)                 |
//   |      +---------------------------------------------------+   |
//   | y    | plot area: grid, series / lanes, event markers    |   |
//   | ticks|                                                   |   |
//   |      +---------------------------------------------------+   |
//   |       x ticks (s), axis title                                |
//   +--------------------------------------------------------------+
//
// Output is a pure function of ReportData: no clock, no locale, no hash-map
// iteration, numbers printed with absl::StrFormat.
#include "scenarios/report/report.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"

namespace rtcsim::scenarios {
namespace {

constexpr double kSvgWidth = 960;
constexpr double kMarginRight = 16;
// Every plot's area starts at the same x (room for the timeline's lane
// labels), so one time lines up down the page.
constexpr double kPlotLeft = 170;
constexpr double kLinePlotHeight = 230;  // plot area height of a line plot
constexpr double kAxisBelow = 44;        // x tick labels + x axis title
constexpr double kLegendRowHeight = 18;
constexpr double kLegendTop = 8;
constexpr double kLegendGapBelow = 8;
constexpr double kNoDataHeight = 80;

// Timeline lanes: as tall as kMaxLaneHeight, shrinking so the lanes fit in
// kTimelineTargetHeight, but never below kMinLaneHeight (then the plot grows).
constexpr double kMaxLaneHeight = 22;
constexpr double kMinLaneHeight = 4;
constexpr double kTimelineTargetHeight = 320;
constexpr double kMinLabelledLaneHeight = 10;

// More series than this: the legend becomes a count and lines get thinner.
constexpr size_t kMaxLegendSeries = 12;

// The plot area's background; unique on the page so a screenshot can find
// each plot (report_screenshot_test.py relies on it).
constexpr char kPlotBackground[] = "#f7f9fc";
constexpr char kGridColour[] = "#e3e7ee";
constexpr char kAxisColour[] = "#8a93a3";
constexpr char kEventColour[] = "#6b7280";

// Tableau 10: distinct, colour-blind friendlier than the SVG named colours.
constexpr const char* kPalette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
constexpr size_t kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

struct StateStyle {
  const char* state;
  const char* colour;
};
// RTCPeerConnectionState values (W3C webrtc-pc §4.3.3), in lifecycle order.
constexpr StateStyle kStateStyles[] = {
    {"new", "#c4c8cf"},          {"connecting", "#f5b400"}, {"connected", "#3aa655"},
    {"disconnected", "#f07c1a"}, {"failed", "#d62728"},     {"closed", "#4a4f58"},
};
constexpr char kUnknownStateColour[] = "#b39ddb";

const char* StateColour(absl::string_view state) {
  for (const StateStyle& s : kStateStyles) {
    if (state == s.state) return s.colour;
  }
  return kUnknownStateColour;
}

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A relative href: unreserved characters and '/' stay, every other byte
// (space, '#', '?', '%', non-ASCII UTF-8) is percent-encoded, so a file
// named "a#b.json" still links to itself from file://.
std::string HrefFor(absl::string_view path) {
  std::string out;
  for (unsigned char c : path) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      out += absl::StrFormat("%%%02X", c);
    }
  }
  return out;
}

size_t Utf8Length(absl::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

// At most `max_chars` code points; cut text ends with "…".
std::string TruncateUtf8(absl::string_view s, size_t max_chars) {
  if (Utf8Length(s) <= max_chars) return std::string(s);
  size_t kept = 0;
  size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (kept == max_chars - 1) break;
      ++kept;
    }
  }
  return absl::StrCat(s.substr(0, i), "…");
}

// Compact number for text: up to 6 significant digits, no "-0".
std::string Num(double v) {
  if (v == 0) v = 0;  // -0 → 0
  return absl::StrFormat("%.6g", v);
}

// SVG coordinate: one decimal is well below a pixel; no "-0.0".
std::string Coord(double v) {
  std::string s = absl::StrFormat("%.1f", v);
  if (s == "-0.0") return "0.0";
  return s;
}

// 1, 2, 2.5, 5 or 10 times a power of ten, >= raw.
double NiceStep(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double exponent = std::floor(std::log10(raw));
  const double base = std::pow(10.0, exponent);
  const double f = raw / base;
  double nice = 10;
  if (f <= 1.0 + 1e-9) {
    nice = 1;
  } else if (f <= 2.0 + 1e-9) {
    nice = 2;
  } else if (f <= 2.5 + 1e-9) {
    nice = 2.5;
  } else if (f <= 5.0 + 1e-9) {
    nice = 5;
  }
  return nice * base;
}

struct Axis {
  double lo = 0;
  double hi = 1;
  double step = 1;
  std::vector<double> ticks;
};

// Ticks every NiceStep from lo up to >= hi; the axis ends on a tick.
Axis NiceAxis(double lo, double hi, int target_ticks) {
  if (!(hi > lo)) hi = lo + 1;
  Axis axis;
  axis.step = NiceStep((hi - lo) / target_ticks);
  axis.lo = std::floor(lo / axis.step + 1e-9) * axis.step;
  axis.hi = std::ceil(hi / axis.step - 1e-9) * axis.step;
  if (!(axis.hi > axis.lo)) axis.hi = axis.lo + axis.step;
  const int n = static_cast<int>(std::lround((axis.hi - axis.lo) / axis.step));
  for (int i = 0; i <= n; ++i) {
    // Round away the floating-point residue (0.30000000000000004).
    double t = axis.lo + i * axis.step;
    t = std::round(t / axis.step * 1e6) / 1e6 * axis.step;
    axis.ticks.push_back(t);
  }
  return axis;
}

// Time axis over [0, end]: duration_s when set, else the last time in the
// data, else 1 s.
double TimeEnd(const ReportData& data) {
  if (data.duration_s > 0 && std::isfinite(data.duration_s)) return data.duration_s;
  double end = 0;
  auto see = [&end](double t) {
    if (std::isfinite(t)) end = std::max(end, t);
  };
  for (const ReportEvent& e : data.events) see(e.t_s);
  for (const ReportStateTrack& track : data.states) {
    for (const auto& change : track.changes) see(change.first);
  }
  for (const auto* list : {&data.throughput_kbps, &data.rtt_ms, &data.loss_percent}) {
    for (const ReportSeries& s : *list) {
      for (const ReportPoint& p : s.points) see(p.t_s);
    }
  }
  return end > 0 ? end : 1;
}

// Maps values onto the plot area.
struct Frame {
  double left = 0;  // plot area, in SVG units
  double top = 0;
  double width = 0;
  double height = 0;
  Axis x;
  Axis y;
  double X(double t) const { return left + (t - x.lo) / (x.hi - x.lo) * width; }
  double Y(double v) const { return top + height - (v - y.lo) / (y.hi - y.lo) * height; }
};

struct LegendItem {
  std::string label;
  std::string colour;
  bool no_data = false;
};

double EstimateTextWidth(absl::string_view text) { return 6.6 * Utf8Length(text); }

// Lays legend items out in rows across the SVG; returns the markup and sets
// *height to the space used (including the gap below).
std::string RenderLegend(const std::vector<LegendItem>& items, double left, double* height) {
  std::string out = "<g class=\"legend\">\n";
  const double right = kSvgWidth - kMarginRight;
  double x = left;
  int row = 0;
  for (const LegendItem& item : items) {
    const std::string label = TruncateUtf8(item.label, 48);
    const std::string text = item.no_data ? absl::StrCat(label, " (no data)") : label;
    const double w = 14 + 6 + EstimateTextWidth(text) + 18;
    if (x + w > right && x > left) {
      ++row;
      x = left;
    }
    const double y = kLegendTop + row * kLegendRowHeight;
    absl::StrAppend(&out, "<g class=\"legend-item", item.no_data ? " no-data" : "", "\"><title>",
                    Escape(item.label), item.no_data ? " (no data)" : "", "</title>");
    if (item.no_data) {
      absl::StrAppend(&out, "<rect x=\"", Coord(x + 0.5), "\" y=\"", Coord(y + 3.5),
                      "\" width=\"13\" height=\"9\" fill=\"none\" stroke=\"", item.colour,
                      "\" stroke-dasharray=\"2 2\"/>");
    } else {
      absl::StrAppend(&out, "<rect x=\"", Coord(x), "\" y=\"", Coord(y + 3), "\" width=\"14\" ",
                      "height=\"10\" rx=\"2\" fill=\"", item.colour, "\"/>");
    }
    absl::StrAppend(&out, "<text x=\"", Coord(x + 20), "\" y=\"", Coord(y + 12), "\"",
                    item.no_data ? " class=\"muted\"" : "", ">", Escape(text), "</text></g>\n");
    x += w;
  }
  out += "</g>\n";
  *height =
      items.empty() ? kLegendTop : kLegendTop + (row + 1) * kLegendRowHeight + kLegendGapBelow;
  return out;
}

std::string RenderNoData(absl::string_view id, absl::string_view title) {
  return absl::StrCat("<svg id=\"", id, "\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" ",
                      "viewBox=\"0 0 ", Num(kSvgWidth), " ", Num(kNoDataHeight), "\" width=\"",
                      Num(kSvgWidth), "\" height=\"", Num(kNoDataHeight), "\" role=\"img\">",
                      "<title>", Escape(title), ": no data</title>", "<text class=\"no-data\" x=\"",
                      Num(kSvgWidth / 2), "\" y=\"", Num(kNoDataHeight / 2 + 5),
                      "\" text-anchor=\"middle\">no data</text></svg>\n");
}

std::string SvgOpen(absl::string_view id, double height, absl::string_view title,
                    absl::string_view extra_attributes) {
  return absl::StrCat("<svg id=\"", id, "\" class=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" ",
                      "viewBox=\"0 0 ", Num(kSvgWidth), " ", Coord(height), "\" width=\"",
                      Num(kSvgWidth), "\" height=\"", Coord(height), "\" role=\"img\"",
                      extra_attributes, "><title>", Escape(title), "</title>\n");
}

// Plot background, clip path, vertical grid and x ticks with the axis title.
std::string RenderTimeAxis(const Frame& f, absl::string_view id) {
  std::string out;
  absl::StrAppend(&out, "<defs><clipPath id=\"clip-", id, "\"><rect x=\"", Coord(f.left), "\" y=\"",
                  Coord(f.top), "\" width=\"", Coord(f.width), "\" height=\"", Coord(f.height),
                  "\"/></clipPath></defs>\n");
  absl::StrAppend(&out, "<rect class=\"plot-area\" x=\"", Coord(f.left), "\" y=\"", Coord(f.top),
                  "\" width=\"", Coord(f.width), "\" height=\"", Coord(f.height), "\" fill=\"",
                  kPlotBackground, "\"/>\n");
  out += "<g class=\"x-axis\">";
  const double bottom = f.top + f.height;
  for (double t : f.x.ticks) {
    const double x = f.X(t);
    absl::StrAppend(&out, "<line x1=\"", Coord(x), "\" y1=\"", Coord(f.top), "\" x2=\"", Coord(x),
                    "\" y2=\"", Coord(bottom), "\" stroke=\"", kGridColour, "\"/>");
    absl::StrAppend(&out, "<line x1=\"", Coord(x), "\" y1=\"", Coord(bottom), "\" x2=\"", Coord(x),
                    "\" y2=\"", Coord(bottom + 4), "\" stroke=\"", kAxisColour, "\"/>");
    absl::StrAppend(&out, "<text class=\"tick\" x=\"", Coord(x), "\" y=\"", Coord(bottom + 16),
                    "\" text-anchor=\"middle\">", Num(t), "</text>");
  }
  absl::StrAppend(&out, "<line x1=\"", Coord(f.left), "\" y1=\"", Coord(bottom), "\" x2=\"",
                  Coord(f.left + f.width), "\" y2=\"", Coord(bottom), "\" stroke=\"", kAxisColour,
                  "\"/>");
  absl::StrAppend(&out, "<text class=\"axis-title\" x=\"", Coord(f.left + f.width / 2), "\" y=\"",
                  Coord(bottom + 36), "\" text-anchor=\"middle\">time (s)</text></g>\n");
  return out;
}

// Dashed vertical line per event across the plot area, with the full text
// as a tooltip and a short label written up along the line.
std::string RenderEvents(const Frame& f, const std::vector<ReportEvent>& events) {
  if (events.empty()) return "";
  std::string out = "<g class=\"events\">\n";
  for (const ReportEvent& e : events) {
    if (!std::isfinite(e.t_s) || e.t_s < f.x.lo || e.t_s > f.x.hi) continue;
    const double x = f.X(e.t_s);
    absl::StrAppend(&out, "<g class=\"event\" data-t=\"", Num(e.t_s), "\"><title>", Num(e.t_s),
                    " s: ", Escape(e.text), "</title>");
    absl::StrAppend(&out, "<line class=\"event-marker\" x1=\"", Coord(x), "\" y1=\"", Coord(f.top),
                    "\" x2=\"", Coord(x), "\" y2=\"", Coord(f.top + f.height), "\" stroke=\"",
                    kEventColour, "\" stroke-width=\"1\" stroke-dasharray=\"4 3\"/>");
    // Rotated so nearby events do not overwrite each other, cut to fit the
    // plot's height; a plot too short for a readable label (a timeline of
    // two lanes) keeps only the line and its tooltip.
    const size_t max_chars = static_cast<size_t>(std::max(0.0, (f.height - 8) / 5.6));
    if (max_chars >= 12) {
      absl::StrAppend(&out, "<text class=\"event-label\" transform=\"translate(", Coord(x - 3), ",",
                      Coord(f.top + 4), ") rotate(-90)\" text-anchor=\"end\">",
                      Escape(TruncateUtf8(e.text, std::min<size_t>(max_chars, 32))), "</text>");
    }
    out += "</g>\n";
  }
  out += "</g>\n";
  return out;
}

std::string RenderLinePlot(absl::string_view id, absl::string_view title, absl::string_view unit,
                           const std::vector<ReportSeries>& series,
                           const std::vector<ReportEvent>& events, double time_end) {
  if (series.empty()) return RenderNoData(id, title);

  // Legend first: its height decides where the plot area starts.
  const bool collapsed = series.size() > kMaxLegendSeries;
  std::vector<LegendItem> legend;
  size_t empty_count = 0;
  for (size_t i = 0; i < series.size(); ++i) {
    const bool no_data = series[i].points.empty();
    if (no_data) ++empty_count;
    if (!collapsed) legend.push_back({series[i].name, kPalette[i % kPaletteSize], no_data});
  }
  double legend_height = 0;
  std::string legend_svg;
  if (collapsed) {
    legend_height = kLegendTop + kLegendRowHeight + kLegendGapBelow;
    std::string text = absl::StrCat(series.size(), " series");
    if (empty_count > 0) absl::StrAppend(&text, " (", empty_count, " with no data)");
    absl::StrAppend(&text, "; hover a line for its name");
    legend_svg = absl::StrCat("<g class=\"legend collapsed\"><text x=\"", Num(kPlotLeft), "\" y=\"",
                              Num(kLegendTop + 12), "\">", Escape(text), "</text></g>\n");
  } else {
    legend_svg = RenderLegend(legend, kPlotLeft, &legend_height);
  }

  // The y axis always includes 0 (these are rates, delays and ratios).
  double lo = 0;
  double hi = 0;
  for (const ReportSeries& s : series) {
    for (const ReportPoint& p : s.points) {
      if (!std::isfinite(p.value) || !std::isfinite(p.t_s)) continue;
      lo = std::min(lo, p.value);
      hi = std::max(hi, p.value);
    }
  }
  // Headroom so a flat line at the maximum does not sit on the frame.
  if (hi > 0) hi *= 1.05;

  Frame f;
  f.left = kPlotLeft;
  f.top = legend_height;
  f.width = kSvgWidth - kPlotLeft - kMarginRight;
  f.height = kLinePlotHeight;
  f.x = NiceAxis(0, time_end, 10);
  f.y = NiceAxis(lo, hi, 6);
  const double total_height = f.top + f.height + kAxisBelow;

  std::string out = SvgOpen(id, total_height, title, "");
  out += legend_svg;
  out += RenderTimeAxis(f, id);

  out += "<g class=\"y-axis\">";
  for (double v : f.y.ticks) {
    const double y = f.Y(v);
    absl::StrAppend(&out, "<line x1=\"", Coord(f.left), "\" y1=\"", Coord(y), "\" x2=\"",
                    Coord(f.left + f.width), "\" y2=\"", Coord(y), "\" stroke=\"", kGridColour,
                    "\"/>");
    absl::StrAppend(&out, "<text class=\"tick\" x=\"", Coord(f.left - 6), "\" y=\"", Coord(y + 4),
                    "\" text-anchor=\"end\">", Num(v), "</text>");
  }
  absl::StrAppend(&out, "<line x1=\"", Coord(f.left), "\" y1=\"", Coord(f.top), "\" x2=\"",
                  Coord(f.left), "\" y2=\"", Coord(f.top + f.height), "\" stroke=\"", kAxisColour,
                  "\"/>");
  absl::StrAppend(&out, "<text class=\"axis-title\" transform=\"translate(", Coord(f.left - 50),
                  ",", Coord(f.top + f.height / 2), ") rotate(-90)\" text-anchor=\"middle\">",
                  Escape(unit), "</text></g>\n");

  absl::StrAppend(&out, "<g class=\"series-group\" clip-path=\"url(#clip-", id, ")\">\n");
  const char* stroke_width = collapsed ? "1" : "1.8";
  for (size_t i = 0; i < series.size(); ++i) {
    const ReportSeries& s = series[i];
    if (s.points.empty()) continue;
    absl::StrAppend(&out, "<polyline class=\"series\" data-name=\"", Escape(s.name),
                    "\" fill=\"none\" stroke=\"", kPalette[i % kPaletteSize], "\" stroke-width=\"",
                    stroke_width, "\" stroke-linejoin=\"round\" points=\"");
    bool first = true;
    for (const ReportPoint& p : s.points) {
      // NaN would make the browser drop the whole polyline.
      if (!std::isfinite(p.value) || !std::isfinite(p.t_s)) continue;
      if (!first) out += ' ';
      first = false;
      absl::StrAppend(&out, Coord(f.X(p.t_s)), ",", Coord(f.Y(p.value)));
    }
    absl::StrAppend(&out, "\"><title>", Escape(s.name), "</title></polyline>\n");
  }
  out += "</g>\n";
  out += RenderEvents(f, events);
  out += "</svg>\n";
  return out;
}

std::string RenderTimeline(const ReportData& data, double time_end) {
  constexpr absl::string_view kId = "plot-timeline";
  constexpr absl::string_view kTitle = "connection state over time";
  if (data.states.empty()) return RenderNoData(kId, kTitle);

  std::vector<LegendItem> legend;
  for (const StateStyle& s : kStateStyles) legend.push_back({s.state, s.colour, false});
  double legend_height = 0;
  const std::string legend_svg = RenderLegend(legend, kPlotLeft, &legend_height);

  const size_t lanes = data.states.size();
  const double lane_height =
      std::clamp(std::floor(kTimelineTargetHeight / lanes), kMinLaneHeight, kMaxLaneHeight);
  const bool labelled = lane_height >= kMinLabelledLaneHeight;
  // A gap between lanes only where it does not eat the whole bar.
  const double bar_gap = lane_height >= kMinLabelledLaneHeight ? 4 : 1;

  Frame f;
  f.left = kPlotLeft;
  f.top = legend_height;
  f.width = kSvgWidth - kPlotLeft - kMarginRight;
  f.height = lane_height * lanes;
  f.x = NiceAxis(0, time_end, 10);
  const double total_height = f.top + f.height + kAxisBelow;

  std::string out = SvgOpen(
      kId, total_height, kTitle,
      absl::StrCat(" data-lanes=\"", lanes, "\" data-lane-height=\"", Num(lane_height), "\""));
  out += legend_svg;
  out += RenderTimeAxis(f, kId);
  if (!labelled) {
    absl::StrAppend(&out, "<text class=\"muted\" x=\"", Coord(f.left - 8), "\" y=\"",
                    Coord(f.top + 12), "\" text-anchor=\"end\">", lanes, " connections</text>\n");
  }

  absl::StrAppend(&out, "<g class=\"lanes\" clip-path=\"url(#clip-", kId, ")\">\n");
  for (size_t i = 0; i < lanes; ++i) {
    const ReportStateTrack& track = data.states[i];
    const double lane_top = f.top + i * lane_height;
    absl::StrAppend(&out, "<g class=\"lane\"><title>", Escape(track.name), "</title>");
    // Changes in time order (stable: simultaneous changes keep their order).
    std::vector<std::pair<double, std::string>> changes;
    for (const auto& c : track.changes) {
      if (std::isfinite(c.first)) changes.push_back(c);
    }
    std::stable_sort(changes.begin(), changes.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t j = 0; j < changes.size(); ++j) {
      const double start = std::max(changes[j].first, f.x.lo);
      const double end = j + 1 < changes.size() ? changes[j + 1].first : time_end;
      if (start >= f.x.hi) continue;
      const double x0 = f.X(start);
      // At least a pixel wide so a short-lived state is still visible.
      const double w = std::max(1.0, f.X(std::min(end, f.x.hi)) - x0);
      const std::string& state = changes[j].second;
      absl::StrAppend(
          &out, "<rect class=\"state\" data-state=\"", Escape(state), "\" x=\"", Coord(x0),
          "\" y=\"", Coord(lane_top + bar_gap / 2), "\" width=\"", Coord(w), "\" height=\"",
          Coord(lane_height - bar_gap), "\" fill=\"", StateColour(state), "\"><title>",
          Escape(track.name), ": ", Escape(state), " from ", Num(changes[j].first), " s",
          j + 1 < changes.size() ? absl::StrCat(" to ", Num(end), " s") : "", "</title></rect>");
    }
    out += "</g>\n";
  }
  out += "</g>\n";

  if (labelled) {
    out += "<g class=\"lane-labels\">\n";
    for (size_t i = 0; i < lanes; ++i) {
      const double y = f.top + i * lane_height + lane_height / 2 + 4;
      absl::StrAppend(&out, "<text class=\"lane-label\" x=\"", Coord(f.left - 8), "\" y=\"",
                      Coord(y), "\" text-anchor=\"end\"><title>", Escape(data.states[i].name),
                      "</title>", Escape(TruncateUtf8(data.states[i].name, 24)), "</text>\n");
    }
    out += "</g>\n";
  }
  out += RenderEvents(f, data.events);
  out += "</svg>\n";
  return out;
}

constexpr char kCss[] = R"css(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f3f5f8; color: #1d2330;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 1040px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0 8px 4px 0; display: inline-block; vertical-align: middle; }
h2 { font-size: 15px; margin: 0 0 8px; color: #39414f; }
.card { background: #fff; border: 1px solid #dfe3ea; border-radius: 8px; padding: 14px 18px;
  margin: 0 0 14px; overflow-x: auto; }
.badge { display: inline-block; vertical-align: middle; padding: 2px 10px; border-radius: 999px;
  font-weight: 600; font-size: 13px; letter-spacing: .04em; }
.badge.pass { background: #dff3e4; color: #1b6b33; border: 1px solid #9fd5ae; }
.badge.fail { background: #fde2e1; color: #9b1c1c; border: 1px solid #f1a7a4; }
.description { margin: 4px 0 10px; color: #4a5261; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0; }
dl.meta dt { color: #6b7280; }
dl.meta dd { margin: 0; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #edf0f4; vertical-align: top; }
th { color: #6b7280; font-weight: 600; font-size: 12px; text-transform: uppercase; }
td.result { font-weight: 600; white-space: nowrap; }
tr.pass td.result { color: #1b6b33; }
tr.fail td.result { color: #b42318; }
tr.fail { background: #fff6f5; }
pre { margin: 10px 0 0; padding: 10px 12px; background: #f6f8fa; border: 1px solid #e4e8ee;
  border-radius: 6px; font-size: 12.5px; line-height: 1.4; overflow-x: auto; }
svg.plot { display: block; max-width: 100%; height: auto; font-size: 12px; font-family: inherit; }
svg.plot text { fill: #39414f; }
svg.plot text.tick { fill: #5b6473; font-size: 11px; }
svg.plot text.axis-title { fill: #39414f; font-size: 12px; }
svg.plot text.muted, svg.plot text.no-data { fill: #8a93a3; }
svg.plot text.no-data { font-size: 16px; }
svg.plot text.event-label { fill: #4b5563; font-size: 10px; paint-order: stroke;
  stroke: #f7f9fc; stroke-width: 3px; stroke-linejoin: round; }
svg.plot text.lane-label { font-size: 11px; }
ul.files { margin: 0; padding-left: 20px; columns: 2; }
ul.files a { color: #1f5fbf; text-decoration: none; }
ul.files a:hover { text-decoration: underline; }
.muted { color: #8a93a3; }
)css";

std::string RenderPlotCard(absl::string_view heading, std::string svg) {
  return absl::StrCat("<section class=\"card\"><h2>", Escape(heading), "</h2>\n", svg,
                      "</section>\n");
}

}  // namespace

std::string RenderReportHtml(const ReportData& data) {
  const double time_end = TimeEnd(data);
  std::string out;
  out.reserve(64 * 1024);
  absl::StrAppend(&out,
                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                  "<title>",
                  Escape(data.scenario_name), " — rtcsim report</title>\n<style>", kCss,
                  "</style>\n</head>\n<body>\n<main>\n");

  // 1. Header.
  absl::StrAppend(&out, "<header class=\"card\">\n<h1>", Escape(data.scenario_name), "</h1>",
                  data.passed ? "<span class=\"badge pass\">PASS</span>"
                              : "<span class=\"badge fail\">FAIL</span>",
                  "\n");
  if (!data.description.empty()) {
    absl::StrAppend(&out, "<p class=\"description\">", Escape(data.description), "</p>\n");
  }
  absl::StrAppend(&out, "<dl class=\"meta\"><dt>seed</dt><dd>", data.seed,
                  "</dd><dt>trace hash</dt><dd>", Escape(data.trace_hash),
                  "</dd><dt>virtual duration</dt><dd>", Num(data.duration_s),
                  " s</dd></dl>\n</header>\n");

  // 2. Expectations and the text summary.
  out += "<section class=\"card\" id=\"expectations\"><h2>Expectations</h2>\n";
  if (data.expectations.empty()) {
    out += "<p class=\"muted\">no expectations</p>\n";
  } else {
    size_t passed = 0;
    for (const ReportExpectation& e : data.expectations) passed += e.passed ? 1 : 0;
    absl::StrAppend(&out, "<p class=\"muted\">", passed, " of ", data.expectations.size(),
                    " passed</p>\n");
    out += "<table><thead><tr><th>expectation</th><th>result</th><th>detail</th></tr></thead>\n";
    out += "<tbody>\n";
    for (const ReportExpectation& e : data.expectations) {
      absl::StrAppend(&out, "<tr class=\"", e.passed ? "pass" : "fail", "\"><td>", Escape(e.text),
                      "</td><td class=\"result\">", e.passed ? "✓ pass" : "✗ fail", "</td><td>",
                      Escape(e.detail), "</td></tr>\n");
    }
    out += "</tbody></table>\n";
  }
  if (!data.summary_lines.empty()) {
    out += "<pre class=\"summary\">";
    for (const std::string& line : data.summary_lines) {
      absl::StrAppend(&out, Escape(line), "\n");
    }
    out += "</pre>\n";
  }
  out += "</section>\n";

  // 3. Plots.
  out += RenderPlotCard("Connection state", RenderTimeline(data, time_end));
  out += RenderPlotCard("Throughput received (kbit/s)",
                        RenderLinePlot("plot-throughput", "throughput received, kbit/s", "kbit/s",
                                       data.throughput_kbps, data.events, time_end));
  out += RenderPlotCard("Round-trip time (ms)",
                        RenderLinePlot("plot-rtt", "round-trip time of the selected pair, ms", "ms",
                                       data.rtt_ms, data.events, time_end));
  out += RenderPlotCard("Packet loss (%)",
                        RenderLinePlot("plot-loss", "packet loss per link direction, %", "%",
                                       data.loss_percent, data.events, time_end));

  // 4. Files.
  out += "<section class=\"card\" id=\"files\"><h2>Files</h2>\n";
  if (data.files.empty()) {
    out += "<p class=\"muted\">no files</p>\n";
  } else {
    out += "<ul class=\"files\">\n";
    for (const std::string& file : data.files) {
      absl::StrAppend(&out, "<li><a href=\"", Escape(HrefFor(file)), "\">", Escape(file),
                      "</a></li>\n");
    }
    out += "</ul>\n";
  }
  out += "</section>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace rtcsim::scenarios
