// What the supervisor learns from the writer's report pipe: when the store
// was open, each acknowledgement (each thread's, once and in order, and only
// of a write it was sent), and the writer's messages. Anything else on the
// pipe was put there by the store and fails the gate as tampering.
#ifndef JITSKIT_HARNESS_DURABILITY_ACKS_H_
#define JITSKIT_HARNESS_DURABILITY_ACKS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "durability_verdict.h"

namespace jitskit::harness {

class AckLedger {
 public:
  explicit AckLedger(uint32_t threads);

  // Handles every whole record at the front of `inbound` and removes it;
  // stops at the first problem (see failure()).
  void Take(std::string* inbound, double now);

  bool ready() const { return ready_; }
  double ready_at() const { return ready_at_; }
  // When thread t's last acknowledgement arrived (ready_at() before any).
  double last_ack(uint32_t t) const { return last_ack_[t]; }
  // The first problem: tampering, or a message from the writer.
  const std::string& failure() const { return failure_; }
  WriterTally& tally() { return tally_; }
  const WriterTally& tally() const { return tally_; }

 private:
  void OnAck(uint32_t thread, uint64_t seq, double now);
  void OnMessage(uint32_t kind, const std::string& text);
  void Tampering(const std::string& what);

  uint32_t threads_;
  WriterTally tally_;
  std::vector<double> last_ack_;
  bool ready_ = false;
  double ready_at_ = 0;
  std::string failure_;
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DURABILITY_ACKS_H_
