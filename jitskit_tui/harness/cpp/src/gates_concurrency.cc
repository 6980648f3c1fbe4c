// gate-concurrency: every thread mixes all required operations over a small
// hot key set; values carry integrity codes, writers publish what they have
// begun and acknowledged, and readers check every result against that. Then
// two focused phases make the races a mixed workload rarely hits: the
// torn-read hammer (concurrency_hammer.h) and the read-modify-write storm
// (concurrency_storm.h).
#include <algorithm>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "concurrency_gate.h"
#include "concurrency_hammer.h"
#include "concurrency_storm.h"
#include "gates.h"
#include "jsonout.h"
#include "store_session.h"

namespace jitskit::harness {

void ConcurrencyGate::Write(ThreadState& state, Register& reg) {
  uint64_t op = reg.acked.load() + 1;
  reg.begun.store(op);
  Status status;
  std::string what;
  if (reg.PresentAfter(op)) {
    codec_.Encode(state.buffer.data(), reg.key, reg.VersionAfter(op));
    status = store_->Upsert(reg.key, state.buffer.data());
    what = "Upsert";
    ++state.counts.writes;
  } else {
    status = store_->Delete(reg.key);
    what = "Delete of a present key";
    ++state.counts.deletes;
  }
  reg.acked.store(op);
  if (status != Status::kOk) {
    failures_.Add("write failed", what + " of key " + HexKey(reg.key) +
                                      " returned " + StatusName(status) +
                                      " (thread " + std::to_string(state.id) +
                                      "); expected kOk");
  }
}

void ConcurrencyGate::ReadRegister(ThreadState& state, Register& reg) {
  ++state.counts.reads;
  uint64_t acked = reg.acked.load();
  Poison(state.buffer);
  Status status = store_->Read(reg.key, state.buffer.data());
  uint64_t begun = reg.begun.load();
  if (status != Status::kOk && status != Status::kNotFound) {
    failures_.Add("read failed", "Read of key " + HexKey(reg.key) +
                                     " returned " + StatusName(status) +
                                     " (thread " + std::to_string(state.id) + ")");
    return;
  }
  CheckRegisterRead(reg, codec_, acked, begun,
                    status == Status::kOk ? state.buffer.data() : nullptr,
                    Who(state, "Read"), failures_);
}

void ConcurrencyGate::Increment(ThreadState& state, Counter& counter) {
  ++state.counts.rmws;
  size_t index = static_cast<size_t>(&counter - counters_.data());
  counter.begun.fetch_add(1);
  Poison(state.buffer);
  Status status = store_->ReadModifyWrite(counter.key, counter.increment,
                                          state.buffer.data());
  counter.acked.fetch_add(1);
  if (status != Status::kOk) {
    failures_.Add("read-modify-write failed",
                  "ReadModifyWrite of key " + HexKey(counter.key) +
                      " returned " + StatusName(status) + " (thread " +
                      std::to_string(state.id) + ")");
    return;
  }
  uint64_t steps = CheckCounterValue(counter, state.buffer.data(),
                                     config_.value_size,
                                     Who(state, "ReadModifyWrite"), failures_);
  if (steps == UINT64_MAX) return;
  state.results[index].push_back(steps);
  counter.NoteResult(steps);
}

void ConcurrencyGate::ReadCounter(ThreadState& state, Counter& counter) {
  ++state.counts.reads;
  uint64_t floor = counter.max_result.load();
  uint64_t acked = counter.acked.load();
  Poison(state.buffer);
  Status status = store_->Read(counter.key, state.buffer.data());
  uint64_t begun = counter.begun.load();
  std::string who = Who(state, "Read");
  if (status == Status::kNotFound) {
    if (acked == 0) return;
    failures_.Add("stale read",
                  who + " of counter key " + HexKey(counter.key) +
                      " returned kNotFound (stale) after " + std::to_string(acked) +
                      " read-modify-writes were acknowledged");
    return;
  }
  if (status != Status::kOk) {
    failures_.Add("read failed", who + " of counter key " +
                                     HexKey(counter.key) + " returned " +
                                     StatusName(status));
    return;
  }
  uint64_t steps = CheckCounterValue(counter, state.buffer.data(),
                                     config_.value_size, who, failures_);
  if (steps == UINT64_MAX) return;
  if (steps < floor) {
    failures_.Add("stale read",
                  who + " of counter key " + HexKey(counter.key) + " returned " +
                      std::to_string(steps) + " increments after a " +
                      "read-modify-write had already returned " +
                      std::to_string(floor));
  } else if (steps > begun) {
    failures_.Add("fabricated value",
                  who + " of counter key " + HexKey(counter.key) + " returned " +
                      std::to_string(steps) + " increments, but only " +
                      std::to_string(begun) + " had been started");
  }
}

void ConcurrencyGate::Worker(ThreadState& state) {
  store_->ThreadInit(state.id);
  uint64_t per_epoch = std::max<uint64_t>(1, config_.gate_ops / kEpochs);
  const RequiredOps& ops = config_.operations;
  for (int epoch = 0; epoch < kEpochs; ++epoch) {
    barrier_.Wait();
    std::vector<Register*> owned;
    for (size_t i = 0; i < registers_.size(); ++i) {
      if ((i + static_cast<size_t>(epoch)) % threads_ == state.id) {
        owned.push_back(&registers_[i]);
      }
    }
    for (uint64_t n = 0; n < per_epoch; ++n) {
      uint64_t dice = state.rng.Below(100);
      if (dice < 30 && !owned.empty()) {
        Write(state, *owned[state.rng.Below(owned.size())]);
      } else if (dice < 55 && ops.rmw) {
        Increment(state, counters_[state.rng.Below(counters_.size())]);
      } else if (dice < 60 && ops.scan) {
        ScanOnce(state, false);
      } else if (dice < 68 && ops.rmw) {
        ReadCounter(state, counters_[state.rng.Below(counters_.size())]);
      } else {
        ReadRegister(state, registers_[state.rng.Below(registers_.size())]);
      }
    }
  }
  store_->ThreadExit(state.id);
}

std::string ConcurrencyGate::RunFocusedPhases() {
  // After the mixed phase and its final scan, so their keys never show up in
  // its scans.
  if (threads_ < 2) {
    return "torn-read hammer and read-modify-write storm skipped (1 thread "
           "makes no concurrent calls)";
  }
  progress_.BeginPhase("gate-concurrency-hammer", 0);
  TornReadHammer hammer(config_, store_, codec_.secret(), failures_);
  std::string clauses = hammer.Run();
  if (config_.operations.rmw) {
    progress_.BeginPhase("gate-concurrency-storm", 0);
    RmwStorm storm(config_, store_, codec_.secret(), failures_);
    std::string storm_clause = storm.Run();
    if (!storm_clause.empty()) clauses += "; " + storm_clause;
  }
  return clauses;
}

int ConcurrencyGate::Run() {
  // Before the thread census: the ticker's thread is the harness's own.
  progress_.Start();
  uint32_t threads_before = CountThreads();
  std::string error;
  progress_.BeginPhase("open", 1);
  std::unique_ptr<KVStore> store =
      CountStoreCalls(OpenStore(config_, &error), progress_);
  if (!store) {
    progress_.Stop();
    EmitGate("concurrency", false, error);
    return 0;
  }
  uint64_t per_epoch = std::max<uint64_t>(1, config_.gate_ops / kEpochs);
  progress_.BeginPhase("gate-concurrency", uint64_t{threads_} * per_epoch * kEpochs);
  store_ = store.get();
  std::vector<ThreadState> states(threads_);
  for (uint32_t t = 0; t < threads_; ++t) {
    states[t].id = t;
    states[t].rng = SplitMix64(codec_.secret().words[2] + t);
    states[t].buffer.assign(config_.value_size, 0);
    states[t].results.resize(counters_.size());
  }
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads_; ++t) {
    pool.emplace_back([this, &states, t] { Worker(states[t]); });
  }
  for (std::thread& thread : pool) thread.join();
  progress_.BeginPhase("gate-concurrency-final", 0);
  store_->ThreadInit(0);
  CheckFinal(states);
  if (config_.operations.scan) {
    ThreadState final_scan;
    final_scan.rng = SplitMix64(0);
    ScanOnce(final_scan, true);
  }
  store_->ThreadExit(0);
  std::string focused = RunFocusedPhases();
  progress_.BeginPhase("close", 1);
  Status closed = store->Close();
  if (closed != Status::kOk) {
    failures_.Add("close failed", std::string("Close returned ") + StatusName(closed));
  }
  store.reset();
  std::string leftover = ThreadsLeftAfterClose(threads_before);
  if (!leftover.empty()) failures_.Add("thread left running", leftover);
  progress_.Stop();

  OpCounts total;
  for (const ThreadState& state : states) {
    total.reads += state.counts.reads;
    total.writes += state.counts.writes;
    total.deletes += state.counts.deletes;
    total.rmws += state.counts.rmws;
    total.scans += state.counts.scans;
  }
  auto counted = [](uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  std::string detail = counted(threads_, "thread", "threads") + " on " +
                       counted(registers_.size(), "hot key", "hot keys");
  if (!counters_.empty()) {
    detail += " and " + counted(counters_.size(), "counter", "counters");
  }
  detail += ": " + counted(total.reads, "read", "reads") + ", " +
            counted(total.writes, "upsert", "upserts");
  if (config_.operations.del) {
    detail += ", " + counted(total.deletes, "delete", "deletes");
  }
  if (config_.operations.rmw) {
    detail += ", " + counted(total.rmws, "read-modify-write", "read-modify-writes");
  }
  if (config_.operations.scan) {
    detail += ", " + counted(total.scans, "scan", "scans");
  }
  detail += "; no stale, torn, foreign or fabricated value";
  if (config_.operations.del) detail += ", no deleted key back";
  if (config_.operations.rmw) detail += ", increments add up";
  detail += "; " + focused;
  ReportGate("concurrency", failures_, detail);
  return 0;
}

int RunGateConcurrency(const Config& config) {
  ConcurrencyGate gate(config);
  return gate.Run();
}

}  // namespace jitskit::harness
