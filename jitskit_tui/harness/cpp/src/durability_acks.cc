#include "durability_acks.h"

#include <cstring>

#include "durability_wire.h"

namespace jitskit::harness {

AckLedger::AckLedger(uint32_t threads)
    : threads_(threads), tally_(threads), last_ack_(threads, 0) {}

void AckLedger::Take(std::string* inbound, double now) {
  size_t at = 0;
  while (failure_.empty() && inbound->size() - at >= sizeof(wire::Record)) {
    wire::Record record;
    std::memcpy(&record, inbound->data() + at, sizeof(record));
    size_t size = sizeof(record);
    if (record.kind == wire::kMessage) {
      if (record.b > wire::kMaxMessage) {
        Tampering("a message longer than the harness ever sends");
        break;
      }
      size += record.b;
      if (inbound->size() - at < size) break;
      OnMessage(record.a, inbound->substr(at + sizeof(record), record.b));
    } else if (record.kind == wire::kAck) {
      OnAck(record.a, record.b, now);
    } else if (record.kind == wire::kReady && !ready_ && record.b == threads_) {
      ready_ = true;
      ready_at_ = now;
      for (double& last : last_ack_) last = now;
    } else {
      Tampering("a record the harness's writer never sends (kind " +
                std::to_string(record.kind) + ")");
      break;
    }
    at += size;
  }
  inbound->erase(0, at);
}

void AckLedger::Tampering(const std::string& what) {
  if (!failure_.empty()) return;
  failure_ = "acknowledgement pipe tampering: the pipe from the writer carried " + what +
             "; something in the store's process wrote to the harness's pipe";
}

void AckLedger::OnAck(uint32_t thread, uint64_t seq, double now) {
  if (thread >= threads_) {
    Tampering("an acknowledgement from writer thread " + std::to_string(thread) +
              ", which does not exist");
    return;
  }
  uint64_t& acked = tally_.acked[thread];
  if (seq != acked + 1 || seq > tally_.sent[thread]) {
    Tampering("writer thread " + std::to_string(thread) + "'s acknowledgement of seq " +
              std::to_string(seq) + " after seq " + std::to_string(acked) + " with " +
              std::to_string(tally_.sent[thread]) +
              " sent (each write is acknowledged once, in order, after it was sent)");
    return;
  }
  acked = seq;
  ++tally_.acks;
  last_ack_[thread] = now;
}

void AckLedger::OnMessage(uint32_t kind, const std::string& text) {
  if (!failure_.empty()) return;
  if (kind == wire::kOpenFailed) {
    failure_ = text;
  } else if (kind == wire::kUpsertFailed) {
    failure_ = "upsert failed: " + text + "; the durability gate needs every Upsert to succeed";
  } else if (kind == wire::kTampered) {
    failure_ = "the store interfered with the harness: " + text;
  } else {
    Tampering("a message of a kind the harness never sends (" + std::to_string(kind) + ")");
  }
}

}  // namespace jitskit::harness
