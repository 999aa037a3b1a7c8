#ifndef KVS_UTIL_MUTEX_H_
#define KVS_UTIL_MUTEX_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "util/thread_annotations.h"

namespace kvs {

// std::mutex with thread-safety annotations. We do not use absl::Mutex:
// Debian's Abseil is not built for ThreadSanitizer, so its synchronisation is
// invisible to --config=tsan and produces false race reports.
class KVS_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void Lock() KVS_ACQUIRE() { mu_.lock(); }
  void Unlock() KVS_RELEASE() { mu_.unlock(); }
  // Documents (to the analysis) that the caller holds the lock.
  void AssertHeld() KVS_ASSERT_HELD(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

// Holds a Mutex for the lifetime of the scope.
class KVS_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) KVS_ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() KVS_RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable bound to one Mutex, which must be held around Wait.
// (Wait carries no annotation: the analysis cannot tie a CondVar to the Mutex a
// caller names.)
class CondVar {
 public:
  explicit CondVar(Mutex* mu) : mu_(mu) {}
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  // Atomically releases the mutex and waits; reacquires before returning.
  // Spurious wake-ups happen: callers loop on their condition.
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    cv_.wait(lock);
    lock.release();
  }

  // As Wait, but gives up after micros. Returns true on timeout.
  bool WaitForMicros(uint64_t micros) {
    std::unique_lock<std::mutex> lock(mu_->mu_, std::adopt_lock);
    bool timed_out = cv_.wait_for(lock, std::chrono::microseconds(micros)) ==
                     std::cv_status::timeout;
    lock.release();
    return timed_out;
  }

  void Signal() { cv_.notify_one(); }
  void SignalAll() { cv_.notify_all(); }

 private:
  Mutex* const mu_;
  std::condition_variable cv_;
};

}  // namespace kvs

#endif  // KVS_UTIL_MUTEX_H_
