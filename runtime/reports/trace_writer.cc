// Chrome trace-event JSON writer (see trace_writer.h).
#include "runtime/reports/trace_writer.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "runtime/reports/format.h"

namespace moefab {

namespace {
namespace rf = report_format;

struct TrackName {
  std::string process;
  std::string thread;
};

// "chip 3 slot 5" -> ("chip 3", "slot 5"); "token 12" -> ("tokens", "token 12").
TrackName SplitTrack(const std::string& track) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < track.size()) {
    while (i < track.size() && track[i] == ' ') ++i;
    const size_t j = std::min(track.find(' ', i), track.size());
    if (j > i) words.push_back(track.substr(i, j - i));
    i = j;
  }
  if (words.empty()) return {"events", "events"};
  if (words.size() < 3) return {words[0] + "s", track};
  std::string thread = words[2];
  for (size_t k = 3; k < words.size(); ++k) thread += " " + words[k];
  return {words[0] + " " + words[1], thread};
}

// Natural order: digit runs compare as numbers, so "chip 2" < "chip 10".
struct NaturalLess {
  bool operator()(const std::string& a, const std::string& b) const {
    size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
      const bool da = std::isdigit(static_cast<unsigned char>(a[i])) != 0;
      const bool db = std::isdigit(static_cast<unsigned char>(b[j])) != 0;
      if (da && db) {
        size_t ie = i, je = j;
        while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
        while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
        std::string_view na(a.data() + i, ie - i), nb(b.data() + j, je - j);
        while (na.size() > 1 && na.front() == '0') na.remove_prefix(1);
        while (nb.size() > 1 && nb.front() == '0') nb.remove_prefix(1);
        if (na.size() != nb.size()) return na.size() < nb.size();
        if (na != nb) return na < nb;
        i = ie;
        j = je;
      } else {
        if (a[i] != b[j]) return a[i] < b[j];
        ++i;
        ++j;
      }
    }
    if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
    return a < b;  // tie-break (leading zeros) so the order is total
  }
};

std::string Metadata(const char* name, size_t pid, size_t tid, const std::string& arg_key,
                     const std::string& arg_value_json) {
  return std::string("{\"name\":\"") + name + "\",\"ph\":\"M\",\"pid\":" + std::to_string(pid) +
         ",\"tid\":" + std::to_string(tid) + ",\"args\":{" + rf::JsonQuote(arg_key) + ":" + arg_value_json + "}}";
}
}  // namespace

std::string ChromeTraceJson(const ReportInput& in) {
  // Number processes and threads in natural order.
  std::map<std::string, std::map<std::string, size_t, NaturalLess>, NaturalLess> tracks;
  std::vector<TrackName> names;
  names.reserve(in.trace.size());
  for (const auto& e : in.trace) {
    names.push_back(SplitTrack(e.track));
    tracks[names.back().process][names.back().thread] = 0;
  }
  std::map<std::string, size_t> pid_of;
  std::vector<std::string> lines;
  size_t pid = 0;
  for (auto& [process, threads] : tracks) {
    pid_of[process] = ++pid;
    lines.push_back(Metadata("process_name", pid, 0, "name", rf::JsonQuote(process)));
    lines.push_back(Metadata("process_sort_index", pid, 0, "sort_index", std::to_string(pid)));
    size_t tid = 0;
    for (auto& [thread, id] : threads) {
      id = ++tid;
      lines.push_back(Metadata("thread_name", pid, tid, "name", rf::JsonQuote(thread)));
      lines.push_back(Metadata("thread_sort_index", pid, tid, "sort_index", std::to_string(tid)));
    }
  }
  for (size_t i = 0; i < in.trace.size(); ++i) {
    const TraceEvent& e = in.trace[i];
    const size_t p = pid_of[names[i].process];
    const size_t t = tracks[names[i].process][names[i].thread];
    std::string s = "{\"name\":" + rf::JsonQuote(e.name) + ",\"cat\":" + rf::JsonQuote(e.category) +
                    ",\"ph\":\"X\",\"ts\":" + rf::PsToUs(e.start_ps) + ",\"dur\":" + rf::PsToUs(e.duration_ps) +
                    ",\"pid\":" + std::to_string(p) + ",\"tid\":" + std::to_string(t);
    if (!e.args.empty()) {
      s += ",\"args\":{";
      for (size_t k = 0; k < e.args.size(); ++k) {
        if (k) s += ',';
        s += rf::JsonQuote(e.args[k].first) + ":" + rf::JsonQuote(e.args[k].second);
      }
      s += '}';
    }
    s += '}';
    lines.push_back(std::move(s));
  }
  std::string out = "{\"displayTimeUnit\":\"ns\",\n\"otherData\":{\"generator\":\"moefab\",";
  out += "\"model\":" + rf::JsonQuote(in.options.model.name) + ",";
  out += "\"makespan_us\":" + rf::PsToUs(in.summary.makespan_ps) + "},\n\"traceEvents\":[";
  for (size_t i = 0; i < lines.size(); ++i) {
    out += i ? ",\n" : "\n";
    out += lines[i];
  }
  out += "\n]}\n";
  return out;
}

void WriteChromeTrace(const std::string& dir, const ReportInput& in) {
  WriteFileAtomically(dir, "trace.json", ChromeTraceJson(in));
}

std::vector<TraceEvent> TokenTraceEvents(const RankReport& merged) {
  std::vector<TraceEvent> events;
  events.reserve(merged.tokens.size());
  for (const auto& t : merged.tokens) {
    const auto& b = t.breakdown;
    events.push_back(TraceEvent{"token " + std::to_string(t.id),
                                "token",
                                "token " + std::to_string(t.id),
                                t.start_ps,
                                t.end_ps - t.start_ps,
                                {{"home", std::to_string(t.home)},
                                 {"attention_ns", rf::PsToNs(b.attention_ps)},
                                 {"gate_ns", rf::PsToNs(b.gate_ps)},
                                 {"expert_phase_ns", rf::PsToNs(b.expert_phase_ps)},
                                 {"combine_ns", rf::PsToNs(b.combine_ps)},
                                 {"core_queue_ns", rf::PsToNs(b.core_queue_ps)}}});
  }
  return events;
}

}  // namespace moefab
