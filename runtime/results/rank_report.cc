#include "runtime/results/rank_report.h"

#include <algorithm>
#include <tuple>

namespace moefab {

TokenBreakdown SumBreakdowns(const RankReport& r) {
  TokenBreakdown sum;
  for (const auto& t : r.tokens) sum += t.breakdown;
  return sum;
}

Bytes SerializeReport(const RankReport& r) {
  Bytes out;
  ByteWriter w(out);
  w.Put<uint64_t>(r.tokens.size());
  for (const auto& t : r.tokens) {
    w.Put(t.id);
    w.Put(t.home);
    w.Put(t.start_ps);
    w.Put(t.end_ps);
    w.Put(t.breakdown);
    w.PutVector(t.final_h);
    w.PutVector(t.dropped);
    w.PutVector(t.routed);
  }
  w.Put<uint64_t>(r.links.size());
  for (const auto& l : r.links) w.Put(l);
  w.Put<uint64_t>(r.chips.size());
  for (const auto& c : r.chips) w.Put(c);
  w.PutVector(r.expert_jobs);
  w.Put(r.job_totals);
  w.Put(r.events);
  w.Put(r.rtl_cycles_simulated);
  w.PutVector(r.job_spans);
  w.Put(r.fabric);
  w.Put(r.attention_flops);
  w.Put(r.jobs_dropped);
  w.PutVector(r.message_latency_hist);
  w.PutVector(r.reconfigs);
  return out;
}

RankReport DeserializeReport(const Bytes& b) {
  RankReport r;
  ByteReader in(b);
  r.tokens.resize(in.Get<uint64_t>());
  for (auto& t : r.tokens) {
    t.id = in.Get<uint32_t>();
    t.home = in.Get<NodeId>();
    t.start_ps = in.Get<Tick>();
    t.end_ps = in.Get<Tick>();
    t.breakdown = in.Get<TokenBreakdown>();
    t.final_h = in.GetVector<int16_t>();
    t.dropped = in.GetVector<uint32_t>();
    t.routed = in.GetVector<uint32_t>();
  }
  r.links.resize(in.Get<uint64_t>());
  for (auto& l : r.links) l = in.Get<LinkRecord>();
  r.chips.resize(in.Get<uint64_t>());
  for (auto& c : r.chips) c = in.Get<ChipRecord>();
  r.expert_jobs = in.GetVector<uint64_t>();
  r.job_totals = in.Get<JobTotals>();
  r.events = in.Get<uint64_t>();
  r.rtl_cycles_simulated = in.Get<uint64_t>();
  r.job_spans = in.GetVector<JobSpan>();
  r.fabric = in.Get<FabricTotals>();
  r.attention_flops = in.Get<uint64_t>();
  r.jobs_dropped = in.Get<uint64_t>();
  r.message_latency_hist = in.GetVector<uint64_t>();
  r.reconfigs = in.GetVector<ReconfigRecord>();
  MOEFAB_CHECK(in.done(), "trailing bytes in a rank report");
  return r;
}

RankReport MergeReports(std::vector<RankReport> parts) {
  RankReport m;
  for (auto& p : parts) {
    for (auto& t : p.tokens) m.tokens.push_back(std::move(t));
    m.links.insert(m.links.end(), p.links.begin(), p.links.end());
    m.chips.insert(m.chips.end(), p.chips.begin(), p.chips.end());
    if (m.expert_jobs.size() < p.expert_jobs.size()) m.expert_jobs.resize(p.expert_jobs.size(), 0);
    for (size_t i = 0; i < p.expert_jobs.size(); ++i) m.expert_jobs[i] += p.expert_jobs[i];
    m.job_totals += p.job_totals;
    m.events += p.events;
    m.rtl_cycles_simulated += p.rtl_cycles_simulated;
    m.job_spans.insert(m.job_spans.end(), p.job_spans.begin(), p.job_spans.end());
    m.fabric += p.fabric;
    m.attention_flops += p.attention_flops;
    m.jobs_dropped += p.jobs_dropped;
    if (m.message_latency_hist.size() < p.message_latency_hist.size())
      m.message_latency_hist.resize(p.message_latency_hist.size(), 0);
    for (size_t i = 0; i < p.message_latency_hist.size(); ++i) m.message_latency_hist[i] += p.message_latency_hist[i];
    if (m.reconfigs.size() < p.reconfigs.size()) m.reconfigs.resize(p.reconfigs.size());
    for (size_t i = 0; i < p.reconfigs.size(); ++i) {
      ReconfigRecord& a = m.reconfigs[i];
      const ReconfigRecord& b = p.reconfigs[i];
      a.begin_ps = std::max(a.begin_ps, b.begin_ps);
      a.drained_ps = std::max(a.drained_ps, b.drained_ps);
      a.installed_ps = std::max(a.installed_ps, b.installed_ps);
      a.affected_links += b.affected_links;
      a.delayed_packets += b.delayed_packets;
      a.delayed_bytes += b.delayed_bytes;
      a.delayed_ps += b.delayed_ps;
    }
  }
  std::sort(m.job_spans.begin(), m.job_spans.end(), [](const JobSpan& a, const JobSpan& b) {
    return std::tie(a.start_ps, a.node, a.slot) < std::tie(b.start_ps, b.node, b.slot);
  });
  std::sort(m.tokens.begin(), m.tokens.end(), [](const TokenRecord& a, const TokenRecord& b) { return a.id < b.id; });
  // A link's sending side and its far end's buffer may be reported by different ranks:
  // one record per link, counters summed, peaks maximised.
  std::sort(m.links.begin(), m.links.end(), [](const LinkRecord& a, const LinkRecord& b) { return a.index < b.index; });
  std::vector<LinkRecord> links;
  for (const auto& l : m.links) {
    if (links.empty() || links.back().index != l.index) {
      links.push_back(l);
      continue;
    }
    LinkRecord& a = links.back();
    a.bytes += l.bytes;
    a.packets += l.packets;
    a.busy_ps += l.busy_ps;
    a.peak_waiting_packets = std::max(a.peak_waiting_packets, l.peak_waiting_packets);
    a.peak_buffer_flits = std::max(a.peak_buffer_flits, l.peak_buffer_flits);
  }
  m.links = std::move(links);
  std::sort(m.chips.begin(), m.chips.end(), [](const ChipRecord& a, const ChipRecord& b) { return a.node < b.node; });
  return m;
}

}  // namespace moefab
