#include "util/scheduler.h"

#include <utility>

namespace kvs {

Scheduler::Scheduler() : idle_cv_(&mu_), high_(&mu_), low_(&mu_) {}

Scheduler::~Scheduler() {
  // A work item may schedule onto the other lane while we drain, starting its
  // thread late, so keep collecting threads until none is left to join.
  for (;;) {
    std::thread to_join;
    {
      MutexLock l(&mu_);
      shutting_down_ = true;
      high_.work_cv.SignalAll();
      low_.work_cv.SignalAll();
      if (high_.thread.joinable()) {
        to_join = std::move(high_.thread);
      } else if (low_.thread.joinable()) {
        to_join = std::move(low_.thread);
      }
    }
    if (!to_join.joinable()) break;
    to_join.join();
  }
}

Scheduler::Lane* Scheduler::LaneFor(FileSystem::Priority priority) {
  return priority == FileSystem::Priority::kHigh ? &high_ : &low_;
}

void Scheduler::Schedule(std::function<void()> work,
                         FileSystem::Priority priority) {
  Lane* lane = LaneFor(priority);
  MutexLock l(&mu_);
  lane->queue.push_back(std::move(work));
  if (!lane->thread.joinable()) {
    lane->thread = std::thread([this, lane] { Run(lane); });
  }
  lane->work_cv.Signal();
}

void Scheduler::WaitForIdle() {
  MutexLock l(&mu_);
  while (!high_.queue.empty() || high_.running || !low_.queue.empty() ||
         low_.running) {
    WaitOn(&idle_cv_);
  }
}

void Scheduler::Run(Lane* lane) {
  MutexLock l(&mu_);
  for (;;) {
    while (lane->queue.empty() && !shutting_down_) WaitOn(&lane->work_cv);
    // Shutdown drains: leave only once nothing is left.
    if (lane->queue.empty()) return;
    std::function<void()> work = std::move(lane->queue.front());
    lane->queue.pop_front();
    lane->running = true;
    mu_.Unlock();
    work();
    work = nullptr;  // Destroy captured state outside the lock too.
    mu_.Lock();
    lane->running = false;
    idle_cv_.SignalAll();
  }
}

}  // namespace kvs
