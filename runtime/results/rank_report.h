// Per-rank statistics of a run and their merge on rank 0. Everything here is simulated
// (ticks, bytes, counts), so the merged report is identical for any rank count and mapping.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/byte_io.h"
#include "core/types.h"

namespace moefab {

/// Where a token's time went; the parts add up to its latency exactly.
struct TokenBreakdown {
  Tick attention_ps = 0;     // attention service on the home core
  Tick gate_ps = 0;          // gate + top-k service
  Tick expert_phase_ps = 0;  // dispatch -> last expert result back (network + expert queue + compute)
  Tick combine_ps = 0;       // combine + residual service
  Tick core_queue_ps = 0;    // waiting for the home attention core

  TokenBreakdown& operator+=(const TokenBreakdown& o) {
    attention_ps += o.attention_ps;
    gate_ps += o.gate_ps;
    expert_phase_ps += o.expert_phase_ps;
    combine_ps += o.combine_ps;
    core_queue_ps += o.core_queue_ps;
    return *this;
  }
};

struct TokenRecord {
  uint32_t id = 0;    // token id
  NodeId home = 0;    // home attention chip
  Tick start_ps = 0;  // entered its home chip
  Tick end_ps = 0;    // left the last layer
  TokenBreakdown breakdown;
  std::vector<int16_t> final_h;   // final hidden state (int16, residual scale); empty timing-only
  std::vector<uint32_t> dropped;  // capacity overflow: layer * num_experts + expert, ascending
  std::vector<uint32_t> routed;   // routing.write_trace: per layer k experts then k Q1.15 weights

  template <class Ar>
  void Archive(Ar& ar) {  // checkpoints (core/state_archive.h)
    ar(id, home, start_ps, end_ps, breakdown, final_h, dropped, routed);
  }
};

struct LinkRecord {
  uint32_t index = 0;                 // dense link index: node * ports + port
  NodeId from = 0, to = 0;            // endpoints (current wiring)
  uint32_t port = 0;                  // output port at `from`
  uint64_t bytes = 0;                 // bytes sent (header + payload)
  uint64_t packets = 0;               // packets sent
  Tick busy_ps = 0;                   // serialisation time
  uint32_t peak_waiting_packets = 0;  // most packets queued for this output at once
  uint32_t peak_buffer_flits = 0;     // fullest VC buffer at the far end's input port
  uint8_t optical = 0;                // 1: an OCS circuit
};

/// Fabric totals over the run (sums and maxima; exact integers so ranks merge exactly).
struct FabricTotals {
  uint64_t messages = 0;               // messages delivered
  uint64_t packets = 0;                // packets delivered
  uint64_t packet_hops = 0;            // links traversed by packets
  uint64_t flits = 0;                  // flits delivered
  uint64_t packet_latency_sum_ps = 0;  // inject -> packet delivered, summed
  Tick packet_latency_max_ps = 0;
  uint64_t message_latency_sum_ps = 0;  // inject -> message delivered, summed
  Tick message_latency_max_ps = 0;
  uint64_t vc_overflows = 0;  // hop-count VC clamped (fabric/README.md)

  FabricTotals& operator+=(const FabricTotals& o) {
    messages += o.messages;
    packets += o.packets;
    packet_hops += o.packet_hops;
    flits += o.flits;
    packet_latency_sum_ps += o.packet_latency_sum_ps;
    packet_latency_max_ps = std::max(packet_latency_max_ps, o.packet_latency_max_ps);
    message_latency_sum_ps += o.message_latency_sum_ps;
    message_latency_max_ps = std::max(message_latency_max_ps, o.message_latency_max_ps);
    vc_overflows += o.vc_overflows;
    return *this;
  }
};

/// One OCS reconfiguration (counters summed over ranks, ticks maximised).
struct ReconfigRecord {
  Tick begin_ps = 0, drained_ps = 0, installed_ps = 0;
  uint64_t affected_links = 0, delayed_packets = 0, delayed_bytes = 0;
  Tick delayed_ps = 0;  // summed extra wait of the delayed packets
};

struct ChipRecord {
  NodeId node = 0;           // torus node
  uint32_t sku = 0;          // index into RunOptions::skus
  Tick busy_ps = 0;          // attention: core service time; expert: time with a job in a slot
  uint64_t jobs = 0;         // expert jobs completed (expert chips)
  uint32_t slots = 0;        // expert slots held (expert chips)
  Tick slot_active_ps = 0;   // expert: sum over jobs of start -> done (pipelines overlap)
  uint64_t max_ingress = 0;  // expert: peak ingress queue occupancy (jobs)
};

/// Sums over expert jobs: the parts of the expert phase seen from the jobs.
struct JobTotals {
  uint64_t jobs = 0;                // jobs completed
  Tick dispatch_network_ps = 0;     // home -> expert chip, in the fabric
  Tick blocked_ps = 0;              // held at the ejection port while the ingress queue was full
  Tick ingress_wait_ps = 0;         // in the chip's ingress queue, waiting for its slot / a buffer
  Tick compute_ps = 0;              // in the slot's pipeline: first input beat -> last output beat
  Tick egress_wait_ps = 0;          // finished -> left the chip's egress port
  Tick return_network_ps = 0;       // expert chip -> home, in the fabric
  uint64_t chip_cycles = 0;         // chip cycles of the jobs (pipeline latency each)
  uint64_t sampled_checks = 0;      // SAMPLED: jobs also run in RTL
  uint64_t sampled_mismatches = 0;  // SAMPLED: of those, differing in bits or cycles

  JobTotals& operator+=(const JobTotals& o) {
    jobs += o.jobs;
    dispatch_network_ps += o.dispatch_network_ps;
    blocked_ps += o.blocked_ps;
    ingress_wait_ps += o.ingress_wait_ps;
    compute_ps += o.compute_ps;
    egress_wait_ps += o.egress_wait_ps;
    return_network_ps += o.return_network_ps;
    chip_cycles += o.chip_cycles;
    sampled_checks += o.sampled_checks;
    sampled_mismatches += o.sampled_mismatches;
    return *this;
  }
};

/// One expert job's time in its slot (for the Chrome/Perfetto trace of traced tokens).
struct JobSpan {
  NodeId node = 0;    // expert chip
  uint32_t slot = 0;  // slot index on the chip
  uint32_t token = 0, layer = 0, expert = 0;
  Tick start_ps = 0;  // first input beat
  Tick done_ps = 0;   // last output beat
};

struct RankReport {
  std::vector<TokenRecord> tokens;
  std::vector<LinkRecord> links;
  std::vector<ChipRecord> chips;
  std::vector<uint64_t> expert_jobs;  // per (layer * E + expert)
  JobTotals job_totals;
  uint64_t events = 0;                         // events handled
  uint64_t rtl_cycles_simulated = 0;           // cycles evaluated in Verilator, incl. weight loading
  std::vector<JobSpan> job_spans;              // traced tokens only (report.trace)
  FabricTotals fabric;                         // the network's totals
  uint64_t attention_flops = 0;                // attention + dense-layer FLOPs on the attention chips
  uint64_t jobs_dropped = 0;                   // routed jobs dropped by the capacity limit
  std::vector<uint64_t> message_latency_hist;  // LogHistogram counts: fabric inject -> delivered (ps)
  std::vector<ReconfigRecord> reconfigs;       // OCS rewirings, in order
};

/// The breakdowns of all tokens of a report, summed.
TokenBreakdown SumBreakdowns(const RankReport& r);

Bytes SerializeReport(const RankReport& r);
RankReport DeserializeReport(const Bytes& b);
/// Merges per-rank reports into one, sorted by token id, link index and node.
RankReport MergeReports(std::vector<RankReport> parts);

}  // namespace moefab
