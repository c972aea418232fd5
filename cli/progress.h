// A one-line progress indicator on stderr for long commands: silent for the first
// second, then "mlconv convert: <stage> (2.3 s)" redrawn in place, erased at the end.
// Only when stderr is a terminal, so logs and pipes never see it.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace mlconv::cli {

class ProgressLine {
 public:
  // `enabled` false makes every call a no-op (stderr is not a terminal).
  ProgressLine(std::string command, bool enabled);
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;
  ~ProgressLine();

  void stage(std::string_view name);

  // True when file descriptor 2 is a terminal.
  static bool stderr_is_terminal();

 private:
  void draw_loop();

  std::string command_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::string stage_;
  bool done_ = false;
  bool drawn_ = false;
  std::thread thread_;
};

}  // namespace mlconv::cli
