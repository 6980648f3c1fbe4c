// The durability supervisor's judgement: sealed values, the acknowledgement
// ledger, and what the reopened store's answers are called.
#include <cstring>
#include <string>
#include <vector>

#include "durability_acks.h"
#include "durability_layout.h"
#include "durability_verdict.h"
#include "durability_wire.h"
#include "sealed_values.h"
#include "siphash.h"
#include "unit.h"

namespace {

using namespace jitskit::harness;
using jitskit::Status;

void SipHashMatchesTheReferenceVectors() {
  SipKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
  unsigned char message[24];
  for (int i = 0; i < 24; ++i) message[i] = static_cast<unsigned char>(i);
  // From the SipHash paper's reference implementation.
  unit::Expect(SipHash24(key, message, 0) == 0x726fdb47dd0e0e31ULL, "empty message");
  unit::Expect(SipHash24(key, message, 15) == 0xa129ca6149be45e5ULL, "15-byte message");
  unit::Expect(SipHash24Words(key, 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL,
                              0x1716151413121110ULL) == SipHash24(key, message, 24),
               "three words hash as their 24 little-endian bytes");
}

void SealedValuesClassify() {
  for (uint32_t size : {32u, 37u, 100u, 4096u}) {
    SealedValues values(size);
    std::vector<char> v5(size), v6(size), other(size);
    values.Encode(v5.data(), 9, 5);
    values.Encode(v6.data(), 9, 6);
    values.Encode(other.data(), 10, 5);
    SealedValues::Verdict verdict = values.Classify(9, v5.data());
    unit::Expect(verdict.kind == SealedValues::Kind::kValid && verdict.version == 5,
                 "a whole value is valid, size " + std::to_string(size));
    verdict = values.Classify(9, other.data());
    unit::Expect(verdict.kind == SealedValues::Kind::kForeign && verdict.other_key == 10,
                 "another key's value is foreign");
    if (size > 32) {
      std::vector<char> torn = v5;
      std::memcpy(torn.data() + 32, v6.data() + 32, size - 32);
      unit::Expect(values.Classify(9, torn.data()).kind == SealedValues::Kind::kTorn,
                   "a header with another write's tail is torn");
    }
    std::vector<char> junk(size, 'x');
    unit::Expect(values.Classify(9, junk.data()).kind == SealedValues::Kind::kFabricated,
                 "junk is fabricated");
    SealedValues elsewhere(size);
    std::vector<char> forged(size);
    elsewhere.Encode(forged.data(), 9, 5);
    unit::Expect(values.Classify(9, forged.data()).kind == SealedValues::Kind::kFabricated,
                 "a value made with another key is fabricated");
  }
}

// A report pipe's bytes, as the writer would send them.
std::string Records(const std::vector<wire::Record>& records) {
  return std::string(reinterpret_cast<const char*>(records.data()),
                     records.size() * sizeof(wire::Record));
}

void LedgerTakesAcknowledgementsInOrder() {
  AckLedger ledger(2);
  ledger.tally().sent = {3, 3};
  std::string bytes = Records({{wire::kReady, 0, 2}, {wire::kAck, 0, 1}, {wire::kAck, 1, 1},
                               {wire::kAck, 0, 2}});
  bytes += Records({{wire::kAck, 1, 2}}).substr(0, 10);  // a record still on its way
  ledger.Take(&bytes, 5.0);
  unit::Expect(ledger.ready() && ledger.ready_at() == 5.0, "ready is noted");
  unit::Expect(ledger.failure().empty(), "honest acknowledgements pass: " + ledger.failure());
  unit::Expect(ledger.tally().acked[0] == 2 && ledger.tally().acked[1] == 1 &&
                   ledger.tally().acks == 3,
               "acknowledgements counted per thread");
  unit::Expect(bytes.size() == 10, "a partial record waits for the rest");
}

void LedgerCallsForeignRecordsTampering() {
  struct Case {
    std::vector<wire::Record> records;
    const char* words;
  };
  const Case cases[] = {
      {{{wire::kAck, 0, 2}}, "acknowledgement of seq 2 after seq 0"},
      {{{wire::kAck, 0, 1}, {wire::kAck, 0, 1}}, "seq 1 after seq 1"},
      {{{wire::kAck, 0, 9}}, "with 3 sent"},
      {{{wire::kAck, 7, 1}}, "writer thread 7, which does not exist"},
      {{{99, 0, 0}}, "never sends (kind 99)"},
  };
  for (const Case& c : cases) {
    AckLedger ledger(2);
    ledger.tally().sent = {3, 3};
    std::string bytes = Records(c.records);
    ledger.Take(&bytes, 1.0);
    unit::Expect(ledger.failure().find("acknowledgement pipe tampering") == 0 &&
                     ledger.failure().find(c.words) != std::string::npos,
                 "tampering named: " + ledger.failure());
  }
}

void LedgerRelaysTheWritersMessages() {
  AckLedger ledger(1);
  std::string text = "Open returned kError";
  wire::Record header{wire::kMessage, wire::kOpenFailed, text.size()};
  std::string bytes = Records({header}) + text;
  ledger.Take(&bytes, 1.0);
  unit::Expect(ledger.failure() == text, "an Open failure is the verdict: " + ledger.failure());
}

struct Recovery {
  DurabilityLayout layout;
  SealedValues values{64};
  WriterTally tally{1};
  FailureLog failures;

  Recovery() {
    Config config;
    config.threads = 1;
    config.record_count = 16;
    layout = DurabilityLayout::FromConfig(config);  // 16 keys
  }

  // The store holds, for each slot, the given seq (0: nothing).
  std::string Judge(const std::vector<uint64_t>& held) {
    RecoveryCheck check(layout, values, tally);
    std::vector<uint64_t> keys = check.Keys();
    std::vector<char> value(64);
    for (size_t i = 0; i < keys.size(); ++i) {
      uint64_t seq = i < held.size() ? held[i] : 0;
      if (seq == 0) {
        check.Observe(i, Status::kNotFound, nullptr, &failures);
        continue;
      }
      values.Encode(value.data(), keys[i], seq);
      check.Observe(i, Status::kOk, value.data(), &failures);
    }
    check.Finish(&failures);
    return failures.Summary();
  }
};

void RecoveryPassesWhatWasAcknowledged() {
  Recovery r;
  r.tally.sent = {20};
  r.tally.acked = {18};
  r.tally.acks = 18;
  // Slots 0 and 1 were last written by seqs 17 and 18; seq 19 (unacknowledged,
  // in flight) may or may not be there.
  std::vector<uint64_t> held = {17, 18, 19};
  for (uint64_t slot = 3; slot < 16; ++slot) held.push_back(slot + 1);
  unit::Expect(r.Judge(held).empty(), "acknowledged writes present: " + r.failures.Summary());
}

void RecoveryNamesWhatWentWrong() {
  struct Case {
    uint64_t slot;
    uint64_t seq;
    const char* kind;
  };
  const Case cases[] = {
      {1, 2, "lost acknowledged write"},   // seq 18 was acknowledged; 2 is older
      {1, 0, "lost acknowledged write"},   // missing
      {3, 20, "ack gap"},                  // 20 > 18 + 1: its ack was withheld
      {1, 34, "fabricated value"},         // never sent
  };
  for (const Case& c : cases) {
    Recovery r;
    r.tally.sent = {20};
    r.tally.acked = {18};
    std::vector<uint64_t> held = {17, 18, 3};
    for (uint64_t slot = 3; slot < 16; ++slot) held.push_back(slot + 1);
    held[c.slot] = c.seq;
    std::string summary = r.Judge(held);
    unit::Expect(summary.find(c.kind) == 0, std::string(c.kind) + ": " + summary);
  }
  // Seq 20 survived (its acknowledgement withheld), but seq 19 before it did not.
  Recovery stale;
  stale.tally.sent = {20};
  stale.tally.acked = {18};
  std::vector<uint64_t> held = {17, 18, 3, 20};
  for (uint64_t slot = 4; slot < 16; ++slot) held.push_back(slot + 1);
  std::string summary = stale.Judge(held);
  unit::Expect(summary.find("first write missing behind a later one: writer thread 0's "
                            "Upsert seq 19") != std::string::npos,
               "stale: " + summary);
}

const unit::TestCase kTests[] = {
    {"durability: siphash reference vectors", SipHashMatchesTheReferenceVectors},
    {"durability: sealed values", SealedValuesClassify},
    {"durability: ledger in order", LedgerTakesAcknowledgementsInOrder},
    {"durability: ledger tampering", LedgerCallsForeignRecordsTampering},
    {"durability: ledger messages", LedgerRelaysTheWritersMessages},
    {"durability: recovery passes", RecoveryPassesWhatWasAcknowledged},
    {"durability: recovery failures", RecoveryNamesWhatWentWrong},
};

}  // namespace
