// The kernel made for a layer whose class comes from a plugin: it holds one
// plugin instance and drives it through the C ABI, checking every value the
// plugin returns before using it. Internal to the plugin loader.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "executor/kernel.h"
#include "mlconv/custom_layer.h"

namespace mlconv::exec {

// A dlopen handle, closed when the last class and kernel from it are gone.
struct PluginLibrary {
  void* handle = nullptr;
  std::string path;
  PluginLibrary() = default;
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;
  ~PluginLibrary();
};

// One registered class: the plugin's function table, kept with its library.
struct PluginClass {
  std::shared_ptr<PluginLibrary> library;
  std::string name;
  mlconv_custom_layer_class table{};  // table.class_name points into `name`
  // "plugin '/path/libx.so'", for messages.
  [[nodiscard]] std::string provider() const { return "plugin '" + library->path + "'"; }
};

// A host-owned message buffer handed to each plugin call.
class PluginMessage {
 public:
  PluginMessage() { reset(); }
  mlconv_message* get() {
    reset();
    return &message_;
  }
  // The plugin's text (always terminated here, whatever the plugin wrote), or a placeholder.
  [[nodiscard]] std::string text();

 private:
  void reset() {
    text_[0] = '\0';
    message_ = {text_.data(), text_.size()};
  }
  std::array<char, 4096> text_{};
  mlconv_message message_{};
};

std::unique_ptr<Kernel> make_plugin_kernel(std::shared_ptr<const PluginClass> plugin_class, const Layer& layer);

}  // namespace mlconv::exec
