#include "util/scheduler.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "util/mutex.h"

namespace kvs {
namespace {

using Priority = FileSystem::Priority;

TEST(SchedulerTest, RunsEveryItemInOrderPerPriority) {
  Scheduler scheduler;
  std::vector<int> high,
      low;  // Each touched only by its lane's thread until WaitForIdle.
  constexpr int kItems = 1000;
  for (int i = 0; i < kItems; ++i) {
    scheduler.Schedule([&high, i] { high.push_back(i); }, Priority::kHigh);
    scheduler.Schedule([&low, i] { low.push_back(i); }, Priority::kLow);
  }
  scheduler.WaitForIdle();
  ASSERT_EQ(high.size(), static_cast<size_t>(kItems));
  ASSERT_EQ(low.size(), static_cast<size_t>(kItems));
  for (int i = 0; i < kItems; ++i) {
    EXPECT_EQ(high[i], i);
    EXPECT_EQ(low[i], i);
  }
}

TEST(SchedulerTest, OneItemAtATimePerPriority) {
  Scheduler scheduler;
  std::atomic<int> running{0};
  std::atomic<int> max_running{0};
  for (int i = 0; i < 200; ++i) {
    scheduler.Schedule(
        [&] {
          const int now = ++running;
          int seen = max_running.load();
          while (now > seen && !max_running.compare_exchange_weak(seen, now)) {
          }
          std::this_thread::yield();
          --running;
        },
        Priority::kLow);
  }
  scheduler.WaitForIdle();
  EXPECT_EQ(max_running.load(), 1);
}

// The low item cannot finish until the high item has run. If high work queued
// behind low work, this would never end (and the test would time out).
TEST(SchedulerTest, LongLowPriorityWorkDoesNotBlockHighPriority) {
  Scheduler scheduler;
  Mutex mu;
  CondVar cv(&mu);
  bool low_started = false;
  bool high_ran = false;
  scheduler.Schedule(
      [&] {
        MutexLock l(&mu);
        low_started = true;
        cv.SignalAll();
        while (!high_ran) cv.Wait();
      },
      Priority::kLow);
  {
    // Make sure the low item occupies its thread before the high one is queued.
    MutexLock l(&mu);
    while (!low_started) cv.Wait();
  }
  scheduler.Schedule(
      [&] {
        MutexLock l(&mu);
        high_ran = true;
        cv.SignalAll();
      },
      Priority::kHigh);
  scheduler.WaitForIdle();
  MutexLock l(&mu);
  EXPECT_TRUE(high_ran);
}

TEST(SchedulerTest, DestructorDrainsQueuedWorkIncludingWorkItSchedules) {
  std::atomic<int> count{0};
  {
    Scheduler scheduler;
    for (int i = 0; i < 100; ++i) {
      scheduler.Schedule(
          [&scheduler, &count, i] {
            ++count;
            // Work that schedules work on the other priority, even during
            // shutdown.
            if (i % 10 == 0) {
              scheduler.Schedule([&count] { ++count; }, Priority::kHigh);
            }
          },
          Priority::kLow);
    }
  }
  EXPECT_EQ(count.load(), 110);
}

// A chain that hops between the priorities, each link scheduling the next: the
// destructor must wait for the whole chain, although at times only one lane has
// anything queued.
TEST(SchedulerTest, DestructorWaitsForChainsAcrossPriorities) {
  std::atomic<int> links{0};
  Scheduler* scheduler = nullptr;
  // Declared before the scheduler, so that it outlives the work that calls it.
  std::function<void(int)> link = [&](int remaining) {
    ++links;
    if (remaining == 0) return;
    scheduler->Schedule([&link, remaining] { link(remaining - 1); },
                        remaining % 2 ? Priority::kHigh : Priority::kLow);
  };
  {
    Scheduler owner;
    scheduler = &owner;
    owner.Schedule([&link] { link(99); }, Priority::kLow);
  }
  EXPECT_EQ(links.load(), 100);
}

// The nice value each lane's thread runs at.
std::pair<int, int> LaneNiceValues(Scheduler* scheduler) {
  std::atomic<int> high{-100};
  std::atomic<int> low{-100};
  auto nice_of_this_thread = [] {
    return getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  };
  scheduler->Schedule([&] { high = nice_of_this_thread(); },
                      FileSystem::Priority::kHigh);
  scheduler->Schedule([&] { low = nice_of_this_thread(); },
                      FileSystem::Priority::kLow);
  scheduler->WaitForIdle();
  return {high.load(), low.load()};
}

TEST(SchedulerTest, LowLaneCanRunAtALowerCpuPriority) {
  const int base = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  {
    Scheduler plain;
    EXPECT_EQ(LaneNiceValues(&plain), std::make_pair(base, base));
  }
  Scheduler lowered(/*low_lane_nice=*/10);
  EXPECT_EQ(LaneNiceValues(&lowered),
            std::make_pair(base, std::min(base + 10, 19)));
}

TEST(SchedulerTest, UnusedSchedulerIsCheap) {
  // No thread was ever started; destruction must not hang or leak.
  Scheduler scheduler;
}

TEST(SchedulerTest, ConcurrentSchedulers) {
  Scheduler scheduler;
  std::atomic<int> count{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        scheduler.Schedule([&count] { ++count; },
                           (i + t) % 2 ? Priority::kHigh : Priority::kLow);
      }
    });
  }
  for (auto& t : threads) t.join();
  scheduler.WaitForIdle();
  EXPECT_EQ(count.load(), 2000);
}

TEST(SchedulerTest, CapturedStateIsReleasedAfterRunning) {
  Scheduler scheduler;
  auto token = std::make_shared<int>(5);
  std::weak_ptr<int> watch = token;
  scheduler.Schedule([t = std::move(token)] { (void)*t; }, Priority::kHigh);
  scheduler.WaitForIdle();
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace kvs
