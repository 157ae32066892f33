// SequentialDriver: a single-process event loop that drives a Network, for tests, synthetic
// traffic and benchmarks. It implements NetContext with its own event queue ordered by the
// same key as the runtime's engine: (tick, kind, origin node, per-origin sequence number), so a
// run repeats bit for bit. The queue is a 4-ary min-heap of packed 128-bit keys (branch-free
// child selection); events sit in a chunked slab with stable addresses and are handled in
// place.
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
  void Schedule(NetEvent&& e) override;
  void Deliver(DeliveredMessage m) override;

  /// Called for every delivered message (at its delivery tick).
  void OnDeliver(std::function<void(DeliveredMessage&)> callback) { on_deliver_ = std::move(callback); }

  /// Handles every event with tick < end_ps, then sets Now() to end_ps (if later).
  void RunUntil(Tick end_ps);
  /// Handles events until none is left. Returns the tick of the last one.
  Tick RunToIdle();
  /// Injects at Now() (call RunUntil(t) first to inject at t).
  MessageId Inject(const MessageSpec& spec) { return network_.Inject(spec, *this); }

  std::uint64_t events_handled() const { return events_; }
  std::size_t events_pending() const { return heap_.size(); }
  /// Largest number of events queued at once (memory check).
  std::size_t peak_events_pending() const { return peak_pending_; }

 private:
  __extension__ typedef unsigned __int128 Order;  // tick << 64 | kind:4 origin:24 seq:36
  struct Key {
    Order order;         // the event order key, packed
    std::uint32_t slot;  // index into slab_
  };
  static constexpr std::uint32_t kChunk = 4096;  // events per slab chunk

  void Push(Key k);
  Key Pop();
  void HandleTop();
  NetEvent& Slot(std::uint32_t i) { return chunks_[i / kChunk][i % kChunk]; }

  Network& network_;                           // borrowed
  Tick lookahead_ps_;                          // checked for every cross-node event
  Tick now_ = 0;                               // tick of the event being handled
  std::vector<Key> heap_;                      // 4-ary min-heap
  std::vector<std::unique_ptr<NetEvent[]>> chunks_;  // the slab: stable event storage
  std::uint32_t slab_size_ = 0;                // slots ever used
  std::vector<std::uint32_t> free_;            // free slots
  std::vector<std::uint64_t> next_seq_;        // per origin node
  std::function<void(DeliveredMessage&)> on_deliver_;
  std::uint64_t events_ = 0;                   // handled
  std::size_t peak_pending_ = 0;               // largest heap size
};

}  // namespace moefab::fabric
