// A fixed pool of worker threads for data-parallel loops. Kernels split their
// outermost independent loop (output channels, rows of a GEMM, batch items)
// with parallel_for; the calling thread takes a share, so a pool of 1 runs
// everything inline with no synchronisation. Between jobs, workers poll for
// the next one for a short while before they sleep: a network runs dozens of
// short parallel loops back to back, and waking a sleeping thread costs a
// futex call and tens of microseconds each time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mlconv::exec {

class ThreadPool {
 public:
  // threads <= 0 means every hardware thread.
  explicit ThreadPool(int threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  [[nodiscard]] int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls body(begin, end) on disjoint ranges covering [0, count), each at
  // least min_chunk long (except the last), in parallel, and returns when all
  // are done. The first exception thrown by a body is rethrown here.
  void parallel_for(std::int64_t count, std::int64_t min_chunk,
                    const std::function<void(std::int64_t begin, std::int64_t end)>& body);

 private:
  void work();
  bool run_one_chunk();

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  bool stopping_ = false;
  int sleeping_ = 0;  // workers waiting on wake_; guarded by mutex_
  // generation_ and unfinished_, readable without the mutex while polling.
  std::atomic<std::uint64_t> posted_{0};
  std::atomic<std::int64_t> pending_{0};
  // The job in progress; guarded by mutex_.
  const std::function<void(std::int64_t, std::int64_t)>* body_ = nullptr;
  std::int64_t count_ = 0;
  std::int64_t chunk_ = 0;
  std::int64_t next_ = 0;
  std::int64_t unfinished_ = 0;
  std::uint64_t generation_ = 0;
  std::exception_ptr failure_;
};

}  // namespace mlconv::exec
