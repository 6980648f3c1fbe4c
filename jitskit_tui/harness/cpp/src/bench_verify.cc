#include "bench_verify.h"

#include <algorithm>
#include <cstdio>

#include "store_session.h"

namespace jitskit::harness {
namespace {

constexpr uint64_t kSeqMask = (uint64_t{1} << 48) - 1;
// Allowance for TSC differences between cores.
constexpr double kSkewMarginNs = 20000;

// When the write with `version` completed, in ticks; false when unknown.
bool CompletionOf(uint64_t version,
                  const std::vector<std::unique_ptr<Worker>>& workers,
                  uint64_t run_start_ticks, uint64_t* completed) {
  uint64_t thread = version >> 48;
  if (thread >= workers.size()) return false;
  const Worker& writer = *workers[thread];
  if ((version & kSeqMask) <= (writer.load_version_end() & kSeqMask)) {
    *completed = run_start_ticks;  // every load write ended before the run
    return true;
  }
  const std::vector<TrackedWrite>& writes = writer.tracked_writes();
  auto it = std::lower_bound(
      writes.begin(), writes.end(), version,
      [](const TrackedWrite& w, uint64_t v) { return w.version < v; });
  if (it == writes.end() || it->version != version) return false;
  *completed = it->completed;
  return true;
}

std::string Ms(const TickClock& clock, uint64_t ticks, uint64_t origin) {
  char text[32];
  double ms = ticks >= origin
                  ? clock.ToNs(static_cast<double>(ticks - origin)) / 1e6
                  : 0.0;
  std::snprintf(text, sizeof(text), "%.3f ms", ms);
  return text;
}

}  // namespace

VerifyOutcome VerifyTrackedWrites(
    const RunShared& shared, const KeyMap& keys,
    const std::vector<std::unique_ptr<Worker>>& workers,
    uint64_t run_start_ticks, const TickClock& clock,
    ProgressTicker* progress) {
  VerifyOutcome outcome;
  const WriteTracker& tracker = *shared.tracker;
  auto margin = static_cast<uint64_t>(kSkewMarginNs * clock.ticks_per_ns);
  std::string buffer;
  auto fail = [&](const std::string& detail) {
    ++outcome.failures;
    if (outcome.first_failure.empty()) outcome.first_failure = detail;
  };
  for (uint32_t slot = 0; slot < tracker.slots(); ++slot) {
    if (progress != nullptr) progress->Add(0);
    uint64_t latest_start = tracker.MaxStart(slot);
    if (latest_start == 0) continue;
    ++outcome.keys;
    uint64_t key = keys.KeyOf(tracker.RecordOfSlot(slot));
    // Poisoned, so a Read that returns kOk without copying is caught.
    buffer.assign(shared.codec->value_size(), static_cast<char>(0xdb));
    Status status = shared.store->Read(key, &buffer[0]);
    std::string where = "after the run, Read of key " + HexKey(key);
    if (status == Status::kNotFound) {
      if (!shared.deletes_possible) {
        fail(where + " returned kNotFound, though Upserts to it were "
                     "acknowledged and the workload never deletes (dropped write)");
      }
      continue;
    }
    if (status != Status::kOk) {
      fail(where + " returned " + StatusName(status));
      continue;
    }
    BenchCodec::Verdict verdict = shared.codec->Check(key, buffer.data());
    if (verdict == BenchCodec::Verdict::kZeroFilled) {
      if (!shared.deletes_possible) {
        fail(where + " returned a zero-filled value though Upserts to it were "
                     "acknowledged (dropped write)");
      }
      continue;
    }
    if (verdict != BenchCodec::Verdict::kValid) {
      fail(where + " returned bytes never written for it by the harness "
                   "(foreign, fabricated, partly copied or corrupted)");
      continue;
    }
    uint64_t version = LoadU64(buffer.data() + kVersionOffset);
    uint64_t completed = 0;
    if (!CompletionOf(version, workers, run_start_ticks, &completed)) continue;
    if (completed + margin < latest_start) {
      std::string held = completed == run_start_ticks
                             ? "the value the load phase wrote"
                             : "the value of an Upsert acknowledged " +
                                   Ms(clock, completed, run_start_ticks) +
                                   " into the run";
      fail(where + " returned a stale value, " + held +
           ", but a later Upsert to it (started " +
           Ms(clock, latest_start, run_start_ticks) +
           " into the run) was acknowledged: that write was lost");
    }
  }
  return outcome;
}

}  // namespace jitskit::harness
