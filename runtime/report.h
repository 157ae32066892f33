// Per-rank statistics of a run and their merge on rank 0. Everything here is simulated
// (ticks, bytes, counts), so the merged report is identical for any rank count and mapping.
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/byte_io.h"
#include "runtime/core/types.h"

namespace moefab {

/// Where a token's time went; the parts add up to its latency exactly.
struct TokenBreakdown {
  Tick attention_ps = 0;       // attention service on the home core
  Tick gate_ps = 0;            // gate + top-k service
  Tick expert_phase_ps = 0;    // dispatch -> last expert result back (network + expert queue + compute)
  Tick combine_ps = 0;         // combine + residual service
  Tick core_queue_ps = 0;      // waiting for the home attention core
};

struct TokenRecord {
  uint32_t id = 0;             // token id
  NodeId home = 0;             // home attention chip
  Tick start_ps = 0;           // entered its home chip
  Tick end_ps = 0;             // left the last layer
  TokenBreakdown breakdown;
  std::vector<int8_t> final_h; // final hidden state
};

struct LinkRecord {
  uint32_t index = 0;          // fabric::Torus::LinkIndex(node, port)
  NodeId from = 0, to = 0;     // endpoints
  uint32_t port = 0;           // output port at `from`
  uint64_t bytes = 0;          // bytes sent
  uint64_t packets = 0;        // packets sent
  Tick busy_ps = 0;            // serialisation time
  Tick max_queue_delay_ps = 0; // largest output-queue wait
};

struct ChipRecord {
  NodeId node = 0;             // torus node
  uint32_t sku = 0;            // index into RunOptions::skus
  Tick busy_ps = 0;            // time the chip's engine/core was busy
  uint64_t jobs = 0;           // expert jobs (expert chips) or core services (attention)
  uint32_t slots = 0;          // expert slots held (expert chips)
};

/// Sums over expert jobs: the parts of the expert phase seen from the jobs.
struct JobTotals {
  uint64_t jobs = 0;           // jobs completed
  Tick dispatch_network_ps = 0;// home -> expert chip, in the fabric
  Tick queue_ps = 0;           // waiting in the chip's ingress FIFO
  Tick compute_ps = 0;         // running in the engine
  Tick return_network_ps = 0;  // expert chip -> home, in the fabric
  uint64_t rtl_cycles = 0;     // chip cycles of the jobs (from the RTL or its closed form)
};

struct RankReport {
  std::vector<TokenRecord> tokens;
  std::vector<LinkRecord> links;
  std::vector<ChipRecord> chips;
  std::vector<uint64_t> expert_jobs;  // per (layer * E + expert)
  JobTotals job_totals;
  uint64_t events = 0;                // events handled
  uint64_t rtl_cycles_simulated = 0;  // cycles evaluated in Verilator, incl. weight loading
};

Bytes SerializeReport(const RankReport& r);
RankReport DeserializeReport(const Bytes& b);
/// Merges per-rank reports into one, sorted by token id, link index and node.
RankReport MergeReports(std::vector<RankReport> parts);

}  // namespace moefab
