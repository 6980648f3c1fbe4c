// How messages name statuses and keys; no store is needed to use these.
#ifndef JITSKIT_HARNESS_STORE_NAMES_H_
#define JITSKIT_HARNESS_STORE_NAMES_H_

#include <cstdint>
#include <string>

#include "jitskit/kvstore.h"

namespace jitskit::harness {

const char* StatusName(Status status);
// "0x" and 16 hex digits.
std::string HexKey(uint64_t key);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_STORE_NAMES_H_
