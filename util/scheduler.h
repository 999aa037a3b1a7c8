#ifndef KVS_UTIL_SCHEDULER_H_
#define KVS_UTIL_SCHEDULER_H_

#include <deque>
#include <functional>
#include <thread>

#include "lsm/file_system.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace kvs {

// The background threads behind FileSystem::Schedule. There is one thread per
// priority, so a memtable flush (kHigh) never waits behind a long compaction
// (kLow); each thread runs its queue one item at a time in the order scheduled.
// A thread is started the first time work of its priority arrives, so a file
// system that never schedules anything costs no threads.
//
// Thread-safe: Schedule may be called from any thread, including from inside a
// work item.
class Scheduler {
 public:
  // low_lane_nice > 0 lowers the CPU priority of the kLow thread by that much
  // (Linux: setpriority on the thread), so that compactions yield the CPU to
  // the threads serving reads and writes; see the POSIX file system.
  explicit Scheduler(int low_lane_nice = 0);
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Waits until every item already queued, and any they schedule on either
  // priority, has run; then joins the threads. Must not be called from a work
  // item, nor while another thread may still call Schedule from outside.
  ~Scheduler();

  // Queues work to run on the thread of the given priority.
  void Schedule(std::function<void()> work, FileSystem::Priority priority)
      KVS_EXCLUDES(mu_);

  // Blocks until both queues are empty and no item is running. For tests; it
  // cannot stop new work from arriving the moment it returns.
  void WaitForIdle() KVS_EXCLUDES(mu_);

 private:
  struct Lane {
    explicit Lane(Mutex* mu) : work_cv(mu) {}
    std::deque<std::function<void()>> queue;
    bool running = false;  // An item popped from queue is executing.
    std::thread thread;    // Not joinable until the first item arrives.
    CondVar work_cv;       // Signalled when queue grows or exiting_ is set.
  };

  void Run(Lane* lane) KVS_EXCLUDES(mu_);
  // CondVar::Wait names the CondVar's own mutex pointer, which the analysis
  // cannot match to mu_.
  void WaitOn(CondVar* cv) KVS_REQUIRES(mu_) KVS_NO_THREAD_SAFETY_ANALYSIS {
    cv->Wait();
  }
  Lane* LaneFor(FileSystem::Priority priority);
  // No item queued or running on either lane.
  bool IdleLocked() KVS_REQUIRES(mu_);

  const int low_lane_nice_;
  Mutex mu_;
  CondVar idle_cv_;  // Signalled whenever an item finishes.
  // Set by the destructor once all work is done: the threads return.
  bool exiting_ KVS_GUARDED_BY(mu_) = false;
  // Fields guarded by mu_, except thread: written only under mu_ before
  // exiting_ is set, and read by the destructor after that.
  Lane high_;
  Lane low_;
};

}  // namespace kvs

#endif  // KVS_UTIL_SCHEDULER_H_
