#include "executor/parallel.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace mlconv::exec {

namespace {
// A body that calls parallel_for again runs the inner loop inline: the pool
// has one job slot, and the outer loop already occupies every thread.
thread_local bool inside_parallel_body = false;

struct ParallelBodyScope {
  bool previous = inside_parallel_body;
  ParallelBodyScope() { inside_parallel_body = true; }
  ~ParallelBodyScope() { inside_parallel_body = previous; }
};

// How long a thread polls before it blocks: longer than the gap between two
// layers' loops, short enough not to hold a CPU that other processes want.
constexpr auto kPollFor = std::chrono::microseconds(200);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `done` until it holds or kPollFor has passed; returns whether it holds.
template <typename Done>
bool poll(Done&& done) {
  const auto deadline = std::chrono::steady_clock::now() + kPollFor;
  for (;;) {
    for (int i = 0; i < 64; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}
}  // namespace

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0) threads = static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    posted_.fetch_add(1, std::memory_order_release);  // ends any poll at once
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

// Takes the next chunk of the current job, runs it, and reports whether there was one.
bool ThreadPool::run_one_chunk() {
  std::unique_lock lock(mutex_);
  if (body_ == nullptr || next_ >= count_) return false;
  const std::int64_t begin = next_;
  const std::int64_t end = std::min(count_, begin + chunk_);
  next_ = end;
  const auto* body = body_;
  lock.unlock();
  std::exception_ptr failure;
  try {
    ParallelBodyScope scope;
    (*body)(begin, end);
  } catch (...) {
    failure = std::current_exception();
  }
  lock.lock();
  if (failure && !failure_) failure_ = failure;
  pending_.store(--unfinished_, std::memory_order_release);
  if (unfinished_ == 0) done_.notify_all();
  return true;
}

void ThreadPool::work() {
  std::uint64_t seen = 0;
  for (;;) {
    poll([&] { return posted_.load(std::memory_order_acquire) != seen; });
    {
      std::unique_lock lock(mutex_);
      ++sleeping_;
      wake_.wait(lock, [&] { return stopping_ || (generation_ != seen && body_ != nullptr && next_ < count_); });
      --sleeping_;
      if (stopping_) return;
      seen = generation_;
    }
    while (run_one_chunk()) {
    }
  }
}

void ThreadPool::parallel_for(std::int64_t count, std::int64_t min_chunk,
                              const std::function<void(std::int64_t, std::int64_t)>& body) {
  if (count <= 0) return;
  min_chunk = std::max<std::int64_t>(1, min_chunk);
  const std::int64_t threads = size();
  if (threads == 1 || count <= min_chunk || inside_parallel_body) {
    body(0, count);
    return;
  }
  // A few chunks per thread balance uneven work without much queueing.
  const std::int64_t chunk = std::max(min_chunk, (count + threads * 4 - 1) / (threads * 4));
  bool anyone_asleep = false;
  {
    std::lock_guard lock(mutex_);
    body_ = &body;
    count_ = count;
    chunk_ = chunk;
    next_ = 0;
    unfinished_ = (count + chunk - 1) / chunk;
    pending_.store(unfinished_, std::memory_order_relaxed);
    failure_ = nullptr;
    posted_.store(++generation_, std::memory_order_release);
    anyone_asleep = sleeping_ > 0;
  }
  if (anyone_asleep) wake_.notify_all();
  while (run_one_chunk()) {
  }
  poll([&] { return pending_.load(std::memory_order_acquire) == 0; });
  std::unique_lock lock(mutex_);
  done_.wait(lock, [&] { return unfinished_ == 0; });
  body_ = nullptr;
  std::exception_ptr failure = std::exchange(failure_, nullptr);
  lock.unlock();
  if (failure) std::rethrow_exception(failure);
}

}  // namespace mlconv::exec
