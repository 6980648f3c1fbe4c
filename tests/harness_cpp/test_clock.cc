// The latency clock: ordered reads put an operation's cache misses inside its
// own interval, and the tick clock's calibration is sane.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "clock.h"
#include "unit.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace {

using namespace jitskit::harness;

void CalibrationIsSane() {
  TickClock clock = ChooseTickClock(20);
  unit::Expect(clock.ticks_per_ns > 0.1 && clock.ticks_per_ns < 20,
               "ticks per ns between 0.1 and 20: " +
                   std::to_string(clock.ticks_per_ns));
  unit::Expect(clock.fenced_read_ns > 0 && clock.fenced_read_ns < 10000,
               "an ordered read costs between 0 and 10 us: " +
                   std::to_string(clock.fenced_read_ns));
#if defined(__x86_64__)
  unit::Expect(std::string(clock.name()) == (clock.tsc ? "tsc" : "steady_clock"),
               "the clock says which it is");
#endif
}

template <typename Ticks>
void FencedReadsNeverGoBack() {
  uint64_t last = Ticks::Fenced();
  for (int i = 0; i < 100000; ++i) {
    uint64_t now = Ticks::Fenced();
    if (!unit::Expect(now >= last, "ordered reads on one thread never go back")) {
      return;
    }
    last = now;
  }
}

void OrderedReadsNeverGoBack() {
  FencedReadsNeverGoBack<SteadyTicks>();
#if defined(__x86_64__)
  if (ChooseTickClock(5).tsc) FencedReadsNeverGoBack<TscTicks>();
#endif
}

#if defined(__x86_64__)
// Operation A loads a line just flushed from every cache (a miss to memory);
// operation B does nothing. Timed with ordered reads, A's interval holds the
// miss and B's does not: the miss is not charged to the next operation.
// Medians over many rounds, so preemption on a busy machine cannot decide it.
void AMissIsChargedToItsOwnOperation() {
  if (!ChooseTickClock(5).tsc) return;
  std::vector<uint64_t> memory(1 << 20, 1);
  std::vector<uint64_t> a_ticks;
  std::vector<uint64_t> b_ticks;
  uint64_t sink = 0;
  for (size_t round = 0; round < 2001; ++round) {
    volatile uint64_t* line = &memory[(round * 4099) % memory.size()];
    _mm_clflush(const_cast<uint64_t*>(line));
    _mm_mfence();
    uint64_t t0 = TscTicks::Fenced();
    sink += *line;  // A
    uint64_t t1 = TscTicks::Fenced();
    // B: nothing
    uint64_t t2 = TscTicks::Fenced();
    a_ticks.push_back(t1 - t0);
    b_ticks.push_back(t2 - t1);
  }
  asm volatile("" : : "r"(sink));
  std::nth_element(a_ticks.begin(), a_ticks.begin() + 1000, a_ticks.end());
  std::nth_element(b_ticks.begin(), b_ticks.begin() + 1000, b_ticks.end());
  uint64_t a = a_ticks[1000];
  uint64_t b = b_ticks[1000];
  unit::Expect(a > b + b / 2,
               "median of the missing load (" + std::to_string(a) +
                   " ticks) well above the empty operation after it (" +
                   std::to_string(b) + " ticks)");
}
#endif

const unit::TestCase kTests[] = {
    {"clock: calibration is sane", CalibrationIsSane},
    {"clock: ordered reads never go back", OrderedReadsNeverGoBack},
#if defined(__x86_64__)
    {"clock: a miss is charged to its own operation", AMissIsChargedToItsOwnOperation},
#endif
};

}  // namespace
