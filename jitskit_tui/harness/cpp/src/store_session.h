// Creating, opening and describing the candidate store.
#ifndef JITSKIT_HARNESS_STORE_SESSION_H_
#define JITSKIT_HARNESS_STORE_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "config.h"
#include "jitskit/kvstore.h"
#include "store_names.h"

namespace jitskit::harness {

StoreConfig MakeStoreConfig(const Config& config);

// Creates the store with jitskit_create_store() and opens it. On failure
// returns null and sets `error` to a sentence saying what failed.
std::unique_ptr<KVStore> OpenStore(const Config& config, std::string* error);

// Threads in this process, from /proc/self/status (0 when unreadable).
uint32_t CountThreads();
// Waits up to half a second for the process to be back to `before` threads;
// returns "" when it is, else a sentence saying how many the store left.
std::string ThreadsLeftAfterClose(uint32_t before);

}  // namespace jitskit::harness

#endif  // JITSKIT_HARNESS_STORE_SESSION_H_
