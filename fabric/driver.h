// SequentialDriver: a single-process event loop that drives a Network, for tests, synthetic
// traffic and benchmarks. It implements NetContext with its own event queue ordered by the
// same key as the runtime's engine: (tick, kind, origin node, per-origin sequence number), so a
// run repeats bit for bit.
//
// The queue is a bucket queue by tick (a fabric run schedules many events at few distinct
// ticks): a binary min-heap of the distinct future ticks, an open-addressing hash from tick to
// its bucket, and per bucket the events in the order they were scheduled, each as a 32-bit
// (kind, origin) key and a slab slot. Events of one origin are scheduled in sequence order, so
// a stable sort of a bucket by (kind, origin), done once when its tick comes up (LSD radix, or
// insertion sort when small), gives the full (kind, origin, seq) order. An event scheduled for
// the tick being handled is inserted after every queued event with a key not above its own.
// Events sit in a chunked slab with stable addresses and are handled in place (credits and
// output wake-ups copy only their own fields: their handlers never read a packet); buckets, slab
// slots and hash entries are recycled, so a long run allocates nothing per event.
// Not the runtime's engine: no ranks, no windows; it owns every node.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "fabric/network.h"

namespace moefab::fabric {

class SequentialDriver final : public NetContext {
 public:
  /// `network` is borrowed and must outlive the driver. Schedules every node's initial events.
  explicit SequentialDriver(Network& network);

  Tick Now() const override { return now_; }
  inline void Schedule(NetEvent&& e) override;  // below: inlined into the router's handlers
  void Deliver(DeliveredMessage m) override;
  // Deferred credits: credits carry a per-origin sequence number of their own (the order of an
  // origin's credits at one tick); a reserved credit is queued at its place among them.
  bool DefersCredits() const override { return true; }
  std::uint64_t ReserveSeq(NodeId origin) override { return credit_seq_[origin]++; }
  void ScheduleReserved(NetEvent&& e) override;

  /// Called for every delivered message (at its delivery tick).
  void OnDeliver(std::function<void(DeliveredMessage&)> callback) { on_deliver_ = std::move(callback); }

  /// Handles every event with tick < end_ps, then sets Now() to end_ps (if later).
  void RunUntil(Tick end_ps);
  /// Handles events until none is left. Returns the tick of the last one.
  Tick RunToIdle();
  /// Injects at Now() (call RunUntil(t) first to inject at t).
  MessageId Inject(const MessageSpec& spec) { return network_.Inject(spec, *this); }

  /// Fast paths for the router's handlers (Network's template instantiation for this driver):
  /// the event is written into its slab slot in place, with the same checks and order key as
  /// Schedule. Signal: a credit, credit sync or output wake-up (no packet). Packet: a kPacket
  /// with a copy of `h` and the data; returns the queued header (valid until the next Schedule).
  inline void ScheduleSignal(Tick tick, NetEventKind kind, NodeId node, NodeId origin, PortId port, std::uint32_t vc,
                             std::uint32_t value, std::uint32_t epoch);
  inline PacketHeader& SchedulePacket(Tick tick, NodeId node, NodeId origin, PortId port, std::uint32_t vc,
                                      const PacketHeader& h, std::shared_ptr<const Payload>&& data,
                                      std::uint64_t data_offset);

  std::uint64_t events_handled() const { return events_; }
  std::size_t events_pending() const { return pending_; }
  /// Largest number of events queued at once (memory check).
  std::size_t peak_events_pending() const { return peak_pending_; }

 private:
  struct Entry {
    std::uint32_t key;   // kind << node_bits_ | origin: the order within a tick (stable)
    std::uint32_t slot;  // index into the slab
  };
  struct TickRef {
    Tick tick;
    std::uint32_t bucket;  // index into buckets_; kNone: an empty hash entry
  };
  // A credit, credit sync or output wake-up: the fields their handlers read (the tick is the
  // bucket's). Kept apart from the packet slab so that they neither evict nor dirty its lines.
  struct Signal {
    NodeId node;
    NodeId origin;
    PortId port;
    std::uint32_t vc;
    std::uint32_t value;
    std::uint32_t epoch;
    NetEventKind kind;
    std::uint64_t seq;  // kCredit: the origin's credit number (ReserveSeq)
  };
  static constexpr std::uint32_t kSignalBit = 1u << 31;  // Entry::slot: an index into signals_
  static constexpr std::uint32_t kChunk = 4096;          // events per slab chunk
  static constexpr std::uint32_t kNone = ~0u;

  void HandleNext();                   // the next event of cur_ (cur_pos_ < cur_.size())
  void NextTick();                     // the earliest future bucket becomes cur_, sorted
  void SortCurrent();                  // stable sort of cur_ by key
  void InsertCurrent(Entry e);         // an event for cur_tick_ while it is being handled
  std::uint32_t BucketFor(Tick tick);  // finds or opens the bucket of a future tick
  std::uint32_t OpenBucket(Tick tick, std::size_t hash_at);
  void HashErase(Tick tick);
  void HashGrow();
  std::uint32_t NewSlab();           // a never used slab slot (adds a chunk when full)
  inline std::uint32_t NewSignal();  // a free entry of signals_
  std::size_t HashIndex(Tick tick) const {
    return static_cast<std::size_t>((tick * 0x9E3779B97F4A7C15ull) >> hash_shift_);
  }
  NetEvent& Slot(std::uint32_t i) { return chunks_[i / kChunk][i % kChunk]; }
  [[noreturn]] void FailSchedule(const NetEvent& e) const;
  [[noreturn]] void FailPush(Tick tick, NetEventKind kind, NodeId node, NodeId origin) const;
  /// Checks the event and queues `slot` at `tick` with its order key.
  inline void Queue(Tick tick, NetEventKind kind, NodeId node, NodeId origin, std::uint32_t slot);
  /// Takes a slab slot and queues it; returns the slot to fill.
  inline NetEvent& Push(Tick tick, NetEventKind kind, NodeId node, NodeId origin);

  Network& network_;        // borrowed
  Tick lookahead_ps_;       // checked for every cross-node event
  NodeId num_nodes_;        // of the network
  Tick now_ = 0;            // tick of the event being handled
  unsigned node_bits_ = 1;  // bits of an origin node id in a key
  // The queue.
  Tick cur_tick_ = 0;                        // tick of cur_ (<= now_ except inside RunUntil)
  std::vector<Entry> cur_;                   // events at cur_tick_, sorted from cur_pos_ on
  std::size_t cur_pos_ = 0;                  // next entry of cur_ to handle
  std::vector<Entry> sort_tmp_;              // radix sort scratch
  std::vector<std::uint32_t> radix_count_;   // radix sort histograms
  std::vector<TickRef> ticks_;               // min-heap of the future ticks with a bucket
  std::vector<std::vector<Entry>> buckets_;  // per future tick, in scheduling order
  std::vector<std::uint32_t> free_buckets_;  // recycled (they keep their capacity)
  std::vector<TickRef> hash_;                // tick -> bucket, linear probing
  unsigned hash_shift_ = 64 - 6;             // 64 - log2(hash_.size())
  std::size_t hash_used_ = 0;                // occupied hash entries
  std::size_t pending_ = 0;                  // events queued
  // The slab.
  std::vector<std::unique_ptr<NetEvent[]>> chunks_;  // stable event storage
  std::uint32_t slab_size_ = 0;                      // slots ever used
  std::vector<std::uint32_t> free_;                  // free slots
  std::vector<Signal> signals_;                      // signal events (index | kSignalBit in an Entry)
  std::vector<std::uint32_t> free_signals_;          // free entries of signals_
  std::vector<std::uint64_t> credit_seq_;            // per origin: credits made (ReserveSeq)
  NetEvent scratch_;                                 // a signal being handled, as a NetEvent
  std::function<void(DeliveredMessage&)> on_deliver_;
  std::uint64_t events_ = 0;      // handled
  std::size_t peak_pending_ = 0;  // most events queued at once
};

inline void SequentialDriver::Schedule(NetEvent&& e) {
  if (e.data == nullptr && static_cast<unsigned>(e.kind) < static_cast<unsigned>(NetEventKind::kPacket)) {
    ScheduleSignal(e.tick, e.kind, e.node, e.origin, e.port, e.vc, e.value, e.epoch);
    return;
  }
  Push(e.tick, e.kind, e.node, e.origin) = std::move(e);
}

inline std::uint32_t SequentialDriver::BucketFor(Tick tick) {
  const std::size_t mask = hash_.size() - 1;
  for (std::size_t i = HashIndex(tick);; i = (i + 1) & mask) {
    const TickRef& h = hash_[i];
    if (h.bucket == kNone) return OpenBucket(tick, i);
    if (h.tick == tick) return h.bucket;
  }
}

inline void SequentialDriver::Queue(Tick tick, NetEventKind kind, NodeId node, NodeId origin, std::uint32_t slot) {
  if (tick < now_ || std::max(node, origin) >= num_nodes_ || static_cast<unsigned>(kind) >= 16 ||
      (node != origin && tick < now_ + lookahead_ps_)) [[unlikely]] {
    FailPush(tick, kind, node, origin);
  }
  const Entry entry{(static_cast<std::uint32_t>(kind) << node_bits_) | origin, slot};
  // Ticks never lie before cur_tick_ (it is <= now_), so this is the current or a future tick.
  if (tick == cur_tick_) [[unlikely]] {
    InsertCurrent(entry);
  } else {
    buckets_[BucketFor(tick)].push_back(entry);
  }
  if (++pending_ > peak_pending_) peak_pending_ = pending_;
}

inline NetEvent& SequentialDriver::Push(Tick tick, NetEventKind kind, NodeId node, NodeId origin) {
  std::uint32_t slot;
  if (!free_.empty()) [[likely]] {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = NewSlab();
  }
  Queue(tick, kind, node, origin, slot);
  NetEvent& to = Slot(slot);
  to.tick = tick;
  to.kind = kind;
  to.node = node;
  to.origin = origin;
  return to;
}

inline std::uint32_t SequentialDriver::NewSignal() {
  if (!free_signals_.empty()) [[likely]] {
    const std::uint32_t i = free_signals_.back();
    free_signals_.pop_back();
    return i;
  }
  signals_.emplace_back();
  return static_cast<std::uint32_t>(signals_.size() - 1);
}

inline void SequentialDriver::ScheduleSignal(Tick tick, NetEventKind kind, NodeId node, NodeId origin, PortId port,
                                             std::uint32_t vc, std::uint32_t value, std::uint32_t epoch) {
  const std::uint32_t i = NewSignal();
  Queue(tick, kind, node, origin, i | kSignalBit);
  signals_[i] =
      Signal{node, origin, port, vc, value, epoch, kind, kind == NetEventKind::kCredit ? ReserveSeq(origin) : 0};
}

inline PacketHeader& SequentialDriver::SchedulePacket(Tick tick, NodeId node, NodeId origin, PortId port,
                                                      std::uint32_t vc, const PacketHeader& h,
                                                      std::shared_ptr<const Payload>&& data,
                                                      std::uint64_t data_offset) {
  NetEvent& to = Push(tick, NetEventKind::kPacket, node, origin);
  to.port = port;
  to.vc = vc;
  to.value = 0;
  to.epoch = 0;
  to.packet = h;
  to.data = std::move(data);  // the slot's data was reset when its last event was handled
  to.data_offset = data_offset;
  return to.packet;  // the caller finishes it in place
}

}  // namespace moefab::fabric
