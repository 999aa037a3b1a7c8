#include "util/scheduler.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace kvs {

Scheduler::Scheduler(int low_lane_nice)
    : low_lane_nice_(low_lane_nice), idle_cv_(&mu_), high_(&mu_), low_(&mu_) {}

Scheduler::~Scheduler() {
  {
    MutexLock l(&mu_);
    // Drain first. While any item runs it may schedule more, onto either lane,
    // so the threads stay until nothing is queued or running anywhere; after
    // that nothing can add work.
    while (!IdleLocked()) WaitOn(&idle_cv_);
    exiting_ = true;
    high_.work_cv.SignalAll();
    low_.work_cv.SignalAll();
  }
  // No thread can be started any more, so the thread fields are stable.
  if (high_.thread.joinable()) high_.thread.join();
  if (low_.thread.joinable()) low_.thread.join();
}

bool Scheduler::IdleLocked() {
  return high_.queue.empty() && !high_.running && low_.queue.empty() &&
         !low_.running;
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
  while (!IdleLocked()) WaitOn(&idle_cv_);
}

void Scheduler::Run(Lane* lane) {
  if (lane == &low_ && low_lane_nice_ > 0) {
    // On Linux the nice value is per thread. Best effort: a failure only
    // leaves the thread at normal priority.
    const id_t tid = static_cast<id_t>(gettid());
    errno = 0;
    const int base = getpriority(PRIO_PROCESS, tid);
    if (errno == 0) {
      setpriority(PRIO_PROCESS, tid, std::min(base + low_lane_nice_, 19));
    }
  }
  MutexLock l(&mu_);
  for (;;) {
    while (lane->queue.empty() && !exiting_) WaitOn(&lane->work_cv);
    if (lane->queue.empty())
      return;  // exiting_: the destructor has drained everything.
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
