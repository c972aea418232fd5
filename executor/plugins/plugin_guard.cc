// The fatal-signal side of plugin calls. The handler uses only async-signal-safe
// calls (write, unlink, sigaction, raise) on text formatted before the call,
// then leaves the signal to the handler that was there before (the default
// action, a sanitizer's report), so the process still dies of it.
#include "executor/plugins/plugin_guard.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <vector>

#include "spec/temp_files.h"

namespace mlconv::exec {

namespace {

// The call in progress; one pointer for the whole process because plugins run one layer at a time.
std::atomic<const PluginCrashNote*> current_call{nullptr};
static_assert(std::atomic<const PluginCrashNote*>::is_always_lock_free);

constexpr int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
constexpr int fatal_signal_count = sizeof fatal_signals / sizeof fatal_signals[0];
// What was installed before us (the default, or a sanitizer's or test framework's handler).
struct sigaction previous_actions[fatal_signal_count];

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    default: return "signal";
  }
}

void write_all(const char* text, std::size_t length) {
  while (length > 0) {
    const ssize_t written = ::write(STDERR_FILENO, text, length);
    if (written <= 0) return;
    text += written;
    length -= static_cast<std::size_t>(written);
  }
}

extern "C" void report_plugin_crash(int signal_number, siginfo_t* info, void*) {
  if (const PluginCrashNote* note = current_call.load()) {
    current_call.store(nullptr);  // a second fault while reporting goes straight to the default action
    write_all(note->before.data(), note->before.size());
    const char* name = signal_name(signal_number);
    write_all(name, std::strlen(name));
    write_all(note->after.data(), note->after.size());
    spec::remove_live_temp_files();
  }
  // Hand over to whoever handled the signal before: a fault re-executes the
  // faulting instruction on return and meets that handler with its real
  // siginfo; a signal that was sent (abort, kill) has to be sent again.
  for (int i = 0; i < fatal_signal_count; ++i)
    if (fatal_signals[i] == signal_number) sigaction(signal_number, &previous_actions[i], nullptr);
  if (info == nullptr || info->si_code <= 0) raise(signal_number);
}

}  // namespace

PluginCrashNote::PluginCrashNote(const std::string& plugin_path, const std::string& context)
    : before("mlconv: error: plugin '" + plugin_path + "' crashed ("), after(") " + context + "\n") {}

PluginCallGuard::PluginCallGuard(const PluginCrashNote& note) noexcept : previous_(current_call.exchange(&note)) {}

PluginCallGuard::~PluginCallGuard() { current_call.store(previous_); }

void install_plugin_crash_handlers() {
  static const bool installed = [] {
    // A stack overflow in a plugin leaves no stack to run the handler on; give this thread a spare one.
    static std::vector<char> alternate_stack(static_cast<std::size_t>(SIGSTKSZ) * 4);
    stack_t stack{};
    stack.ss_sp = alternate_stack.data();
    stack.ss_size = alternate_stack.size();
    sigaltstack(&stack, nullptr);
    struct sigaction action {};
    action.sa_sigaction = report_plugin_crash;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < fatal_signal_count; ++i) sigaction(fatal_signals[i], &action, &previous_actions[i]);
    return true;
  }();
  (void)installed;
}

}  // namespace mlconv::exec
