// `moefab sweep CONFIG --set PATH=V1,V2[,..] [--set PATH2=A,B] --out DIR`: runs CONFIG once
// per point of the grid of --set values (the cartesian product in the order given, the first
// --set varying slowest), each point in-process on all ranks of the communicator, and writes
// DIR/sweep.csv (one row per point, with the modelled area of its expert chips), DIR/sweep.html
// (the points and the area-versus-tokens/s plane with its Pareto frontier,
// runtime/reports/sweep_report.h) plus DIR/point-NNN/{config.textproto,results.json} and the
// point's reports (--report, or report { html: true } set in the config or by --set).
//
// A field PATH names a field of moefab.config.Config (configs/moefab.proto) by its proto
// field names: `workload.concurrency`, `simulation.fidelity` (an enum value by name),
// `skus[1].mac_lanes` (an element of a repeated message by index), `fabric.torus.dims` (a
// repeated scalar: its elements joined by 'x', e.g. 4x4x4; repeated enums, strings and bools
// join by '+'), `fabric.torus.dims[2]` (one element). Every point's config is built and
// validated (LoadConfigText) before the first point runs, so a bad grid fails at once.
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/message.h>
#include <google/protobuf/text_format.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "moefab.pb.h"
#include "runtime/checkpoint.h"
#include "runtime/commands/commands.h"
#include "runtime/commands/console_format.h"
#include "runtime/commands/extra_reports.h"
#include "runtime/commands/output_folder.h"
#include "runtime/commands/run.h"
#include "runtime/commands/sweep_resume.h"
#include "runtime/config/config_loader.h"
#include "runtime/config/parse_hints.h"
#include "runtime/logging.h"
#include "runtime/reports/run_data.h"
#include "runtime/reports/sweep_report.h"
#include "runtime/results/utilisation.h"
#include "runtime/plan/model_data.h"
#include "runtime/results/results.h"
#include "runtime/simulate.h"
#include "runtime/transport/mpi_transport.h"
#include "runtime/transport/ucx_transport.h"

namespace moefab {

namespace {

namespace gp = ::google::protobuf;
using FD = gp::FieldDescriptor;

// "name" or "name[index]" of one path segment.
struct Segment {
  std::string name;
  bool indexed = false;
  uint32_t index = 0;
};

Segment ParseSegment(const std::string& path, const std::string& s) {
  Segment seg;
  const auto open = s.find('[');
  seg.name = s.substr(0, open);
  if (seg.name.empty())
    throw ConfigError("field path '" + path + "': empty field name; expected e.g. workload.concurrency");
  if (open == std::string::npos) return seg;
  const std::string idx = s.substr(open + 1, s.size() > open + 1 ? s.size() - open - 2 : 0);
  const auto res = std::from_chars(idx.data(), idx.data() + idx.size(), seg.index);
  if (s.back() != ']' || idx.empty() || res.ec != std::errc() || res.ptr != idx.data() + idx.size())
    throw ConfigError("field path '" + path + "': '" + s + "': expected name or name[index] with a non-negative index");
  seg.indexed = true;
  return seg;
}

std::string FieldList(const gp::Descriptor* d) {
  std::string out;
  for (int i = 0; i < d->field_count(); ++i) out += (i ? ", " : "") + d->field(i)->name();
  return out;
}

const FD* FindField(const std::string& path, const gp::Message& m, const std::string& name) {
  const FD* f = m.GetDescriptor()->FindFieldByName(name);
  if (!f) {
    std::vector<std::string> names;
    for (int i = 0; i < m.GetDescriptor()->field_count(); ++i) names.push_back(m.GetDescriptor()->field(i)->name());
    std::string close;
    for (const auto& c : ClosestNames(name, names)) close += (close.empty() ? "" : ", ") + c;
    throw ConfigError("field path '" + path + "': no field '" + name + "' in " + m.GetDescriptor()->full_name() +
                      "; expected one of: " + FieldList(m.GetDescriptor()) +
                      (close.empty() ? "" : " (did you mean " + close + "?)"));
  }
  return f;
}

template <typename T>
T ParseInteger(const std::string& path, const std::string& v, const char* type) {
  T out{};
  const auto res = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size())
    throw ConfigError("value '" + v + "' for " + path + ": expected " + type);
  return out;
}

double ParseDouble(const std::string& path, const std::string& v) {
  double out = 0;
  const auto res = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || res.ec != std::errc() || res.ptr != v.data() + v.size() || !std::isfinite(out))
    throw ConfigError("value '" + v + "' for " + path + ": expected a finite number");
  return out;
}

// Sets (index < 0: the singular field / appends to a repeated one; else replaces element
// `index` of a repeated one) field `f` of `m` from the text `v`.
void SetScalar(const std::string& path, gp::Message& m, const FD* f, const std::string& v, int index) {
  const gp::Reflection* r = m.GetReflection();
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32: {
      const auto x = ParseInteger<int32_t>(path, v, "an integer (int32)");
      rep ? (index < 0 ? r->AddInt32(&m, f, x) : r->SetRepeatedInt32(&m, f, index, x)) : r->SetInt32(&m, f, x);
      break;
    }
    case FD::CPPTYPE_INT64: {
      const auto x = ParseInteger<int64_t>(path, v, "an integer (int64)");
      rep ? (index < 0 ? r->AddInt64(&m, f, x) : r->SetRepeatedInt64(&m, f, index, x)) : r->SetInt64(&m, f, x);
      break;
    }
    case FD::CPPTYPE_UINT32: {
      const auto x = ParseInteger<uint32_t>(path, v, "a non-negative integer (uint32)");
      rep ? (index < 0 ? r->AddUInt32(&m, f, x) : r->SetRepeatedUInt32(&m, f, index, x)) : r->SetUInt32(&m, f, x);
      break;
    }
    case FD::CPPTYPE_UINT64: {
      const auto x = ParseInteger<uint64_t>(path, v, "a non-negative integer (uint64)");
      rep ? (index < 0 ? r->AddUInt64(&m, f, x) : r->SetRepeatedUInt64(&m, f, index, x)) : r->SetUInt64(&m, f, x);
      break;
    }
    case FD::CPPTYPE_DOUBLE: {
      const double x = ParseDouble(path, v);
      rep ? (index < 0 ? r->AddDouble(&m, f, x) : r->SetRepeatedDouble(&m, f, index, x)) : r->SetDouble(&m, f, x);
      break;
    }
    case FD::CPPTYPE_FLOAT: {
      const auto x = static_cast<float>(ParseDouble(path, v));
      rep ? (index < 0 ? r->AddFloat(&m, f, x) : r->SetRepeatedFloat(&m, f, index, x)) : r->SetFloat(&m, f, x);
      break;
    }
    case FD::CPPTYPE_BOOL: {
      if (v != "true" && v != "false") throw ConfigError("value '" + v + "' for " + path + ": expected true or false");
      const bool x = v == "true";
      rep ? (index < 0 ? r->AddBool(&m, f, x) : r->SetRepeatedBool(&m, f, index, x)) : r->SetBool(&m, f, x);
      break;
    }
    case FD::CPPTYPE_STRING:
      rep ? (index < 0 ? r->AddString(&m, f, v) : r->SetRepeatedString(&m, f, index, v)) : r->SetString(&m, f, v);
      break;
    case FD::CPPTYPE_ENUM: {
      const gp::EnumValueDescriptor* e = f->enum_type()->FindValueByName(v);
      if (!e) {
        std::string names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i)
          names += (i ? ", " : "") + f->enum_type()->value(i)->name();
        throw ConfigError("value '" + v + "' for " + path + ": expected one of " + names);
      }
      rep ? (index < 0 ? r->AddEnum(&m, f, e) : r->SetRepeatedEnum(&m, f, index, e)) : r->SetEnum(&m, f, e);
      break;
    }
    case FD::CPPTYPE_MESSAGE:
      throw ConfigError("field path '" + path + "' is a message (" + f->message_type()->name() +
                        "); expected a path to a scalar, enum or repeated scalar field");
  }
}

std::vector<std::string> SplitOn(const std::string& s, char sep) {
  std::vector<std::string> out;
  size_t pos = 0;
  for (;;) {
    const size_t next = s.find(sep, pos);
    out.push_back(s.substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (next == std::string::npos) return out;
    pos = next + 1;
  }
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Parse errors of the base config text, as the loader reports them (file:line:col).
class TextErrors : public gp::io::ErrorCollector {
 public:
  explicit TextErrors(std::string file) : file_(std::move(file)) {}
  void AddError(int line, gp::io::ColumnNumber column, const std::string& message) override {
    all_ += (all_.empty() ? "" : "\n") + file_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) +
            ": " + ExplainParseError(message);
  }
  const std::string& all() const { return all_; }

 private:
  std::string file_;
  std::string all_;
};

// One point of the grid: its settings, its config text and its validated options.
struct Point {
  std::vector<std::string> values;  // one per axis
  std::string text;                 // the modified config, text format
  RunOptions options;
  std::shared_ptr<ClusterPlan> plan;  // made when the sweep is validated; used by its run
};

std::string PointName(size_t i) {
  std::ostringstream os;
  os << "point-" << std::setw(3) << std::setfill('0') << i;
  return os.str();
}

// Builds and validates every point (rank-independent). Throws ConfigError.
std::vector<Point> BuildPoints(const SweepArgs& args) {
  if (args.axes.empty()) throw ConfigError("command line: sweep needs at least one --set PATH=V1,V2");
  const std::string base_text = ReadConfigFile(args.config_path);
  config::Config base;
  TextErrors errors(args.config_path);
  gp::TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(base_text, &base))
    throw ConfigError(
        (errors.all().empty() ? args.config_path + ": not a valid text-format moefab config" : errors.all()) +
        "\n(the schema is configs/moefab.proto)");
  size_t count = 1;
  for (const auto& a : args.axes) count *= a.values.size();
  std::vector<Point> points(count);
  for (size_t i = 0; i < count; ++i) {
    config::Config c = base;
    size_t rest = i;
    points[i].values.resize(args.axes.size());
    // The last axis varies fastest.
    for (size_t k = args.axes.size(); k-- > 0;) {
      const auto& axis = args.axes[k];
      const std::string& v = axis.values[rest % axis.values.size()];
      rest /= axis.values.size();
      points[i].values[k] = v;
      try {
        SetConfigField(c, axis.path, v);
      } catch (const ConfigError& e) {
        throw ConfigError("command line: --set " + axis.arg + ": " + e.what());
      }
    }
    gp::TextFormat::PrintToString(c, &points[i].text);
    std::string where;
    for (size_t k = 0; k < args.axes.size(); ++k)
      where += (k ? " " : "") + args.axes[k].path + "=" + points[i].values[k];
    try {
      points[i].options = LoadConfigText(points[i].text, args.config_path);
      ApplyReportArgs(args.reports, points[i].options.report);  // --report: every point's folder
      points[i].plan = std::make_shared<ClusterPlan>(MakePlan(points[i].options));
      ModelData(points[i].options, *points[i].plan).CheckWeightFile();
    } catch (const ConfigError& e) {
      throw ConfigError("sweep " + PointName(i) + " (" + where + "): " + e.what());
    }
  }
  return points;
}

}  // namespace

void SetConfigField(gp::Message& config, const std::string& path, const std::string& value) {
  const std::vector<std::string> parts = SplitOn(path, '.');
  gp::Message* m = &config;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment seg = ParseSegment(path, parts[i]);
    const FD* f = FindField(path, *m, seg.name);
    const gp::Reflection* r = m->GetReflection();
    const bool last = i + 1 == parts.size();
    if (seg.indexed && !f->is_repeated())
      throw ConfigError("field path '" + path + "': '" + seg.name + "' is not repeated; expected no [index]");
    if (seg.indexed && seg.index >= static_cast<uint32_t>(r->FieldSize(*m, f)))
      throw ConfigError("field path '" + path + "': index " + std::to_string(seg.index) + " of '" + seg.name +
                        "': expected below its " + std::to_string(r->FieldSize(*m, f)) + " elements in the config");
    if (f->cpp_type() == FD::CPPTYPE_MESSAGE) {
      if (last) SetScalar(path, *m, f, value, -1);  // throws: a message is not settable
      if (f->is_repeated() && !seg.indexed)
        throw ConfigError("field path '" + path + "': '" + seg.name + "' is a repeated message; expected " + seg.name +
                          "[index]");
      m = f->is_repeated() ? r->MutableRepeatedMessage(m, f, static_cast<int>(seg.index)) : r->MutableMessage(m, f);
      continue;
    }
    if (!last) throw ConfigError("field path '" + path + "': '" + seg.name + "' is not a message; expected it last");
    if (!f->is_repeated()) {
      SetScalar(path, *m, f, value, -1);
    } else if (seg.indexed) {
      SetScalar(path, *m, f, value, static_cast<int>(seg.index));
    } else {
      const bool numeric =
          f->cpp_type() != FD::CPPTYPE_STRING && f->cpp_type() != FD::CPPTYPE_ENUM && f->cpp_type() != FD::CPPTYPE_BOOL;
      gp::Message* scratch = m->New();  // parse every element before changing the config
      std::unique_ptr<gp::Message> owner(scratch);
      for (const auto& element : SplitOn(value, numeric ? 'x' : '+')) SetScalar(path, *scratch, f, element, -1);
      r->SwapFields(m, scratch, {f});
    }
  }
}

SweepAxis ParseSweepSet(const std::string& arg) {
  const auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    throw ConfigError("command line: --set " + arg + ": expected PATH=V1,V2,... (e.g. workload.concurrency=8,16)");
  SweepAxis axis{arg, arg.substr(0, eq), SplitOn(arg.substr(eq + 1), ',')};
  for (const auto& v : axis.values)
    if (v.empty())
      throw ConfigError("command line: --set " + arg + ": an empty value; expected V1,V2,... each non-empty");
  return axis;
}

int RunSweep(const SweepArgs& args, Transport& control, const TransportFactory& make_transport) {
  const RankId rank = control.rank();
  std::vector<Point> points;
  std::string error;
  try {
    std::set<std::string> paths;
    for (const auto& a : args.axes)
      if (!paths.insert(a.path).second)
        throw ConfigError("command line: --set " + a.arg + ": " + a.path +
                          " is swept twice; expected one --set per field");
    points = BuildPoints(args);
  } catch (const ConfigError& e) {
    error = e.what();
  }
  if (control.AllreduceSum(error.empty() ? 0 : 1) != 0) {
    if (rank == 0)
      std::fprintf(stderr, "moefab: error: %s\n",
                   error.empty() ? "the sweep failed to load on another rank" : error.c_str());
    return kExitBadInput;
  }
  // Only a valid sweep creates the output folder: per-rank logs go next to the results.
  const std::string log_dir = args.out_dir + "/logs";
  if (const std::string problem = PrepareOutputFolder(args.out_dir, control); !problem.empty()) {
    if (rank == 0) std::fprintf(stderr, "moefab: error: %s\n", problem.c_str());
    return kExitBadInput;
  }
  SetUpLogging(
      LoggingOptions{static_cast<int>(rank), log_dir + "/rank-" + std::to_string(rank) + ".log", args.verbose});
  auto log = Logger("runtime");
  std::ostringstream csv;
  csv.precision(12);  // plain decimals up to 1e12 (tokens/s, ns)
  csv << "point";
  for (const auto& a : args.axes) csv << ',' << CsvField(a.path);
  csv << ",tokens,latency_p50_ns,latency_p90_ns,latency_p99_ns,latency_mean_ns,throughput_tokens_per_s,"
         "makespan_ns,golden,sampled_mismatches,wall_seconds,expert_transistors,expert_mm2";
  // --resume: rank 0 finds the points an earlier run finished and tells every rank.
  std::vector<std::string> kept(points.size());
  if (args.resume) {
    Bytes done;
    if (rank == 0) {
      std::vector<std::string> texts;
      for (const Point& p : points) texts.push_back(p.text);
      kept = FinishedRows(args.out_dir, csv.str(), texts);
      for (const auto& row : kept) done.push_back(std::byte{row.empty() ? uint8_t{0} : uint8_t{1}});
    }
    done = control.Broadcast(done);
    size_t n = 0;
    for (size_t i = 0; i < points.size(); ++i) {
      if (rank != 0 && done[i] == std::byte{1}) kept[i] = "(finished)";
      n += done[i] == std::byte{1};
    }
    if (rank == 0) log->info("resume: {} of {} points finished before, in {}", n, points.size(), args.out_dir);
  }
  csv << '\n';
  // sweep.html from sweep.csv's rows (kept ones too): the points and the area-throughput plane.
  std::vector<std::string> axis_paths;
  for (const auto& a : args.axes) axis_paths.push_back(a.path);
  const auto write_report = [&] {
    std::vector<SweepRow> rows;
    std::istringstream lines(csv.str());
    std::string line;
    std::getline(lines, line);  // the header
    const size_t a = args.axes.size();
    while (std::getline(lines, line)) {
      const std::vector<std::string> f = SplitCsvLine(line);
      if (f.size() < a + 13) continue;
      SweepRow r;
      r.name = PointName(std::stoul(f[0]));
      r.values.assign(f.begin() + 1, f.begin() + 1 + static_cast<std::ptrdiff_t>(a));
      r.p99_ns = std::stod(f[a + 4]);
      r.tokens_per_s = std::stod(f[a + 6]);
      r.golden = f[a + 8];
      r.expert_transistors = std::stod(f[a + 11]);
      r.expert_mm2 = std::stod(f[a + 12]);
      rows.push_back(std::move(r));
    }
    WriteFileAtomically(args.out_dir, "sweep.html", SweepReportHtml(args.config_path, axis_paths, rows));
  };
  int code = kExitOk;
  if (rank == 0 && !points.empty())  // the base config's notes (HF import), once
    for (const auto& note : points[0].options.notes) log->info("note: {}", note);
  for (size_t i = 0; i < points.size(); ++i) {
    if (!kept[i].empty()) {
      if (rank != 0) continue;
      // sweep.csv's golden and sampled_mismatches columns decide the exit code, as when it ran.
      const std::vector<std::string> f = SplitCsvLine(kept[i]);
      const size_t golden_col = 1 + args.axes.size() + 7;
      if (f.size() > golden_col + 1 && (f[golden_col] == "MISMATCH" || f[golden_col + 1] != "0"))
        code = kExitGoldenMismatch;
      csv << kept[i] << '\n';
      log->info("sweep {} of {} ({}): finished before, kept", i + 1, points.size(), PointName(i));
      continue;
    }
    const auto start = std::chrono::steady_clock::now();
    Point& p = points[i];
    if (rank == 0)
      if (const std::string idle = IdleRanksWarning(control.size(), p.options.num_nodes()); !idle.empty())
        log->warn("{}: {}", PointName(i), idle);
    const std::unique_ptr<Transport> exchange = make_transport(TransportName(p.options.transport));
    // simulation.checkpoint_every_us: each point checkpoints into its own folder; --resume goes
    // on from an unfinished point's checkpoint when it is usable (else the point starts afresh).
    p.options.checkpoint_dir = (std::filesystem::path(args.out_dir) / PointName(i) / "checkpoint").string();
    if (args.resume && p.options.checkpoint_every_ps > 0 &&
        std::filesystem::exists(p.options.checkpoint_dir)) {  // every rank sees the same folder
      const std::string problem = CheckCheckpoint(p.options, *exchange);
      p.options.resume = problem.empty();
      if (rank == 0 && !problem.empty()) log->warn("{}: starting afresh: {}", PointName(i), problem);
    }
    SimulationOutcome out = Simulate(p.options, std::move(p.plan), *exchange, log);
    const bool mismatch = (out.golden.enabled && !out.golden.match) || out.merged.job_totals.sampled_mismatches > 0;
    if (mismatch) code = kExitGoldenMismatch;
    if (rank != 0) continue;
    out.host.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::string dir = (std::filesystem::path(args.out_dir) / PointName(i)).string();
    WriteFileAtomically(dir, "config.textproto", p.text);
    WriteFileAtomically(dir, "results.json", ResultsJson(p.options, out));
    WriteExtraReports(dir, p.options, out, *log);  // --report, or the point's report section
    const LatencySummary s = Summarise(out.merged);
    const char* golden = !out.golden.enabled ? "skipped" : (out.golden.match ? "MATCH" : "MISMATCH");
    const Utilisation area = ComputeUtilisation(p.options, out.merged.chips, out.merged.tokens.size(),
                                                static_cast<double>(UtilisationSpanPs(s)));
    csv << i;
    for (const auto& v : p.values) csv << ',' << CsvField(v);
    csv << ',' << out.merged.tokens.size() << ',' << s.p50_ns << ',' << s.p90_ns << ',' << s.p99_ns << ',' << s.mean_ns
        << ',' << s.throughput_tokens_per_s << ',' << static_cast<double>(s.makespan_ps) / 1e3 << ',' << golden << ','
        << out.merged.job_totals.sampled_mismatches << ',' << out.host.wall_seconds << ',' << area.transistors << ','
        << area.die_mm2 << '\n';
    WriteFileAtomically(args.out_dir, "sweep.csv", csv.str());  // after every point: progress is visible
    write_report();
    log->info("sweep {} of {} ({}): tokens {} | p50 {}, p99 {} | {:.0f} tokens/s | golden {} | {:.2f} s", i + 1,
              points.size(), PointName(i), out.merged.tokens.size(), FormatDuration(s.p50_ns),
              FormatDuration(s.p99_ns), s.throughput_tokens_per_s, golden, out.host.wall_seconds);
  }
  if (rank == 0) {
    WriteFileAtomically(args.out_dir, "sweep.csv", csv.str());  // kept points after the last run
    write_report();
    log->info("wrote {}/sweep.csv and sweep.html ({} points)", args.out_dir, points.size());
  }
  return static_cast<int>(control.AllreduceMax(static_cast<Tick>(code)));
}

int SweepCommand(const SweepArgs& args, MPI_Comm comm) {
  MpiTransport control(comm);
  const RankId rank = control.rank();
  CheckContext::Rank() = static_cast<int>(rank);
  SetUpLogging(LoggingOptions{static_cast<int>(rank), "", args.verbose});
  const int code = RunSweep(args, control, [comm](const std::string& kind) { return MakeTransport(kind, comm); });
  spdlog::shutdown();
  return code;
}

}  // namespace moefab
