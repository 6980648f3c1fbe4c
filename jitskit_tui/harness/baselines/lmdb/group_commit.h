// Leader/follower group commit: writers that arrive while a commit is in
// flight queue up, and the next of them to run applies the whole queue in one
// transaction, so one sync covers all of them. Each writer returns only once
// the commit holding its operation has finished.
#ifndef JITSKIT_BASELINE_LMDB_GROUP_COMMIT_H_
#define JITSKIT_BASELINE_LMDB_GROUP_COMMIT_H_

#include <condition_variable>
#include <mutex>
#include <vector>

namespace jitskit {
namespace baseline {

// Request must have a `bool done` member, false when submitted.
template <typename Request>
class GroupCommit {
 public:
  // Returns once `apply` has run on a batch holding `request`. `apply` takes a
  // std::vector<Request*>& and runs in one thread at a time.
  template <typename ApplyBatch>
  void Submit(Request* request, ApplyBatch&& apply) {
    std::unique_lock<std::mutex> lock(mutex_);
    queue_.push_back(request);
    while (!request->done) {
      if (committing_) {
        finished_.wait(lock);
        continue;
      }
      committing_ = true;
      std::vector<Request*> batch;
      batch.swap(queue_);
      lock.unlock();
      apply(batch);
      lock.lock();
      for (Request* r : batch) r->done = true;
      committing_ = false;
      finished_.notify_all();
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable finished_;
  std::vector<Request*> queue_;
  bool committing_ = false;
};

}  // namespace baseline
}  // namespace jitskit

#endif  // JITSKIT_BASELINE_LMDB_GROUP_COMMIT_H_
