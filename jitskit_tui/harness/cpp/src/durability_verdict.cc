#include "durability_verdict.h"

#include <algorithm>

#include "store_names.h"

namespace jitskit::harness {
namespace {

const char kAfter[] = " after kill -9 and reopen";

}  // namespace

RecoveryCheck::RecoveryCheck(const DurabilityLayout& layout,
                             const SealedValues& values,
                             const WriterTally& tally)
    : layout_(layout),
      values_(values),
      tally_(tally),
      seen_(uint64_t{layout.threads} * layout.keys_per_thread, 0),
      newest_(layout.threads, 0) {}

std::vector<uint64_t> RecoveryCheck::Keys() const {
  std::vector<uint64_t> keys;
  keys.reserve(seen_.size());
  for (uint32_t t = 0; t < layout_.threads; ++t) {
    for (uint64_t slot = 0; slot < layout_.keys_per_thread; ++slot) {
      keys.push_back(layout_.Key(t, slot));
    }
  }
  return keys;
}

void RecoveryCheck::Observe(size_t index, Status status, const char* value,
                            FailureLog* failures) {
  auto thread = static_cast<uint32_t>(index / layout_.keys_per_thread);
  uint64_t slot = index % layout_.keys_per_thread;
  uint64_t key = layout_.Key(thread, slot);
  std::string who = "key " + HexKey(key) + " of writer thread " + std::to_string(thread);
  if (status == Status::kNotFound) return;
  if (status != Status::kOk) {
    failures->Add("read failed", "Read of " + who + kAfter + " returned " + StatusName(status));
    return;
  }
  SealedValues::Verdict verdict = values_.Classify(key, value);
  if (verdict.kind != SealedValues::Kind::kValid) {
    std::string kind = SealedKindName(verdict.kind);
    std::string whose = verdict.kind == SealedValues::Kind::kForeign
                            ? " (a value written for key " + HexKey(verdict.other_key) + ")"
                            : " (not one whole value written for this key)";
    failures->Add(kind + " value", "Read of " + who + kAfter + " returned a " + kind +
                                       " value" + whose);
    return;
  }
  uint64_t seq = verdict.version;
  if (seq == 0 || layout_.SlotOf(seq) != slot || seq > tally_.sent[thread]) {
    // Unreachable without the supervisor's key; kept so a harness bug shows.
    failures->Add("fabricated value", "Read of " + who + kAfter + " returned seq " +
                                          std::to_string(seq) + ", which was never written to it");
    return;
  }
  uint64_t acked = tally_.acked[thread];
  if (seq > acked + 1) {
    // The writer reads seq s + 1 only after acknowledging s, so the store can
    // hold at most one write past the last acknowledgement that arrived.
    failures->Add("ack gap",
                  who + " holds seq " + std::to_string(seq) +
                      ", but the last acknowledgement that reached the supervisor from that "
                      "thread is seq " +
                      std::to_string(acked) +
                      ": acknowledgements were withheld on their way to the supervisor");
  }
  seen_[index] = seq;
  newest_[thread] = std::max(newest_[thread], seq);
}

void RecoveryCheck::Finish(FailureLog* failures) const {
  for (uint32_t t = 0; t < layout_.threads; ++t) {
    for (uint64_t slot = 0; slot < layout_.keys_per_thread; ++slot) {
      uint64_t seen = seen_[t * layout_.keys_per_thread + slot];
      uint64_t key = layout_.Key(t, slot);
      std::string holds = seen == 0 ? "is missing" : "holds seq " + std::to_string(seen);
      uint64_t due = layout_.LastWriteTo(slot, tally_.acked[t]);
      if (seen < due) {
        failures->Add("lost acknowledged write",
                      "writer thread " + std::to_string(t) + "'s Upsert seq " +
                          std::to_string(due) + " to key " + HexKey(key) +
                          " was acknowledged, but" + kAfter + " the key " + holds);
        continue;
      }
      uint64_t behind = layout_.LastWriteTo(slot, newest_[t]);
      if (seen < behind) {
        failures->Add("write missing behind a later one",
                      "writer thread " + std::to_string(t) + "'s Upsert seq " +
                          std::to_string(behind) + " to key " + HexKey(key) +
                          " is lost (the key " + holds + ") while its later seq " +
                          std::to_string(newest_[t]) + " survived" + kAfter);
      }
    }
  }
}

std::string RecoveryCheck::PassDetail() const {
  return std::to_string(tally_.acks) + " acknowledged writes from " +
         std::to_string(layout_.threads) + " threads over " +
         std::to_string(layout_.keys_per_thread) + " keys each: all present" + kAfter +
         ", none missing behind a later one";
}

}  // namespace jitskit::harness
