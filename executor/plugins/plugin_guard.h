// Reports a plugin that crashes. Plugins are trusted native code (docs/plugins.md),
// so a bad pointer in one takes the process down; what we can do is say whose
// it was. While a plugin function runs, a PluginCallGuard names the plugin,
// class and layer, and a fatal-signal handler prints
//   mlconv: error: plugin 'libfoo.so' crashed (SIGSEGV) in class 'Swish', layer 'swish_1'
// removes live temporary files and dies of the same signal.
#pragma once

#include <string>

namespace mlconv::exec {

// The crash message for one plugin call site, formatted in advance because a
// signal handler may not allocate: `before` + signal name + `after`.
struct PluginCrashNote {
  std::string before;  // "mlconv: error: plugin 'x.so' crashed ("
  std::string after;   // ") in class 'Swish', layer 'swish_1'\n"

  // `context` follows the signal name: "in class 'Swish', layer 'swish_1'".
  PluginCrashNote(const std::string& plugin_path, const std::string& context);
};

// Marks a plugin call in progress (on any thread: the plugin's parallel_for
// bodies run on the pool's workers). Guards nest; the innermost note wins.
class PluginCallGuard {
 public:
  explicit PluginCallGuard(const PluginCrashNote& note) noexcept;
  ~PluginCallGuard();
  PluginCallGuard(const PluginCallGuard&) = delete;
  PluginCallGuard& operator=(const PluginCallGuard&) = delete;

 private:
  const PluginCrashNote* previous_;
};

// Installs the SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT handlers (once; the
// loader does it with the first plugin). Outside a plugin call they only hand
// the signal to the handler installed before them.
void install_plugin_crash_handlers();

}  // namespace mlconv::exec
