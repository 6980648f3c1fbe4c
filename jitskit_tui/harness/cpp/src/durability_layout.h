// Which keys the durability gate writes, and which write each key should hold.
// Thread t writes seq = 1, 2, 3, ... to its own K keys in turn: seq s goes to
// slot (s - 1) % K, so the write a key should hold is computable from the
// last acknowledged seq alone.
#ifndef JITSKIT_HARNESS_DURABILITY_LAYOUT_H_
#define JITSKIT_HARNESS_DURABILITY_LAYOUT_H_

#include <algorithm>
#include <cstdint>

#include "config.h"
#include "rng.h"

namespace jitskit::harness {

struct DurabilityLayout {
  uint32_t threads = 1;
  uint64_t keys_per_thread = 16;
  KeyMap keys{0};

  static DurabilityLayout FromConfig(const Config& config) {
    DurabilityLayout layout;
    layout.threads = config.threads;
    layout.keys_per_thread = std::max<uint64_t>(
        16, std::min<uint64_t>(1024, config.record_count / config.threads));
    layout.keys = KeyMap(config.seed ^ 0xd1b54a32d192ed03ULL);
    return layout;
  }
  uint64_t Key(uint32_t thread, uint64_t slot) const {
    return keys.KeyOf(uint64_t{thread} * keys_per_thread + slot);
  }
  uint64_t SlotOf(uint64_t seq) const { return (seq - 1) % keys_per_thread; }
  // The last write to `slot` among seqs 1..upto; 0 when there is none.
  uint64_t LastWriteTo(uint64_t slot, uint64_t upto) const {
    if (upto < slot + 1) return 0;
    return upto - ((upto - 1 - slot) % keys_per_thread);
  }
};

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_DURABILITY_LAYOUT_H_
