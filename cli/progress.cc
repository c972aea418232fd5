// ProgressLine: a thread that wakes four times a second and redraws the line once the
// command has run for a second; written with write(2) straight to the terminal.
#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace mlconv::cli {
namespace {

constexpr auto quiet_period = std::chrono::seconds(1);
constexpr auto redraw_interval = std::chrono::milliseconds(250);

void write_stderr(const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(STDERR_FILENO, text.data() + written, text.size() - written);
    if (n <= 0) return;  // a progress line is not worth failing over
    written += static_cast<std::size_t>(n);
  }
}

}  // namespace

ProgressLine::ProgressLine(std::string command, bool enabled) : command_(std::move(command)), start_(std::chrono::steady_clock::now()) {
  if (enabled) thread_ = std::thread([this] { draw_loop(); });
}

ProgressLine::~ProgressLine() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    done_ = true;
  }
  wake_.notify_all();
  thread_.join();
  if (drawn_) write_stderr("\r\033[K");
}

void ProgressLine::stage(std::string_view name) {
  if (!thread_.joinable()) return;
  std::lock_guard lock(mutex_);
  stage_ = name;
}

bool ProgressLine::stderr_is_terminal() { return ::isatty(STDERR_FILENO) == 1; }

void ProgressLine::draw_loop() {
  std::unique_lock lock(mutex_);
  while (!done_) {
    wake_.wait_for(lock, redraw_interval, [this] { return done_; });
    if (done_) break;
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    if (elapsed < quiet_period) continue;
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.1f", std::chrono::duration<double>(elapsed).count());
    write_stderr("\r\033[K" + command_ + ": " + stage_ + " (" + seconds + " s)");
    drawn_ = true;
  }
}

}  // namespace mlconv::cli
