// The plugin loader: finding plugins, refusing files that are not plugins or
// were built for another ABI, and surviving plugins that return bad values.
#include "executor/plugins/plugin_loader.h"

#include <dlfcn.h>
#include <link.h>

#include <doctest/doctest.h>

#include <filesystem>

#include "spec/error.h"
#include "tests/executor/plugins/plugin_runner.h"

namespace mlconv::exec {
namespace {

using testing::registry_with;
using testing::run_plugin_layer;

const std::string misbehaving = MLCONV_MISBEHAVING_PLUGIN;

// The C math library's file, wherever this system keeps it: a shared object that is no plugin.
std::string libm_path() {
  void* handle = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  link_map* map = nullptr;
  REQUIRE(dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0);
  std::string path = map->l_name;
  dlclose(handle);
  return path;
}

std::string bad_layer(std::string_view class_name) {
  return R"(name: "bad" input: "x" output: "y" custom { className: ")" + std::string(class_name) + R"(" })";
}

std::string misbehaving_context(std::string_view class_name) {
  return "layer 'bad' (custom): custom layer class '" + std::string(class_name) + "' from plugin '" + misbehaving +
         "': ";
}

TEST_CASE("plugin loader: a plain C plugin registers and runs") {
  KernelRegistry registry;
  CHECK(load_plugin(MLCONV_C_PLUGIN, registry) == std::vector<std::string>{"CScale"});
  const auto out = run_plugin_layer(
      registry,
      R"(name: "c" input: "x" output: "y" custom { className: "CScale" parameters { key: "scale" value { doubleValue: 2.5 } } })",
      {Tensor({3}, {1, -2, 4})});
  testing::check_tensor(out[0], {3}, {2.5F, -5, 10});
}

TEST_CASE("plugin loader: a shared library that is no plugin names the missing entry point") {
  const std::string libm = libm_path();
  KernelRegistry registry;
  CHECK_THROWS_WITH_AS(load_plugin(libm, registry),
                       ("plugin '" + libm +
                        "' is not an mlconv custom layer plugin: it has no entry point 'mlconv_plugin_abi_version' "
                        "(define one with MLCONV_PLUGIN from <mlconv/custom_layer.hpp>)")
                           .c_str(),
                       Error);
}

TEST_CASE("plugin loader: a text file and a missing file are refused by name") {
  const std::string text = MLCONV_SOURCE_DIR "/README.md";
  KernelRegistry registry;
  CHECK_THROWS_WITH_AS(load_plugin(text, registry),
                       doctest::Contains(("cannot load plugin '" + text + "' as a shared library: ").c_str()), Error);
  CHECK_THROWS_WITH_AS(load_plugin(text, registry), doctest::Contains("invalid ELF header"), Error);
  CHECK_THROWS_WITH_AS(load_plugin("/nonexistent/libnothing.so", registry),
                       "plugin '/nonexistent/libnothing.so' does not exist", Error);
  const std::vector<std::string> explicit_paths{"/nonexistent/libnothing.so"};
  CHECK_THROWS_WITH_AS(load_plugins(explicit_paths, nullptr, registry),
                       "plugin '/nonexistent/libnothing.so' does not exist", Error);
}

TEST_CASE("plugin loader: a plugin built for another ABI version is refused before it runs") {
  const std::string path = MLCONV_ABI_MISMATCH_PLUGIN;
  KernelRegistry registry;
  CHECK_THROWS_WITH_AS(load_plugin(path, registry),
                       ("plugin '" + path +
                        "' was built for custom layer ABI version 999; this mlconv uses version 1 "
                        "(rebuild the plugin against this mlconv's <mlconv/custom_layer.h>)")
                           .c_str(),
                       Error);
  CHECK(registry.custom_class_names().empty());
}

TEST_CASE("plugin loader: a class registered twice is refused, and nothing of that plugin is kept") {
  const std::string duplicate = MLCONV_DUPLICATE_PLUGIN;
  KernelRegistry registry;
  CHECK_THROWS_WITH_AS(load_plugin(duplicate, registry),
                       ("plugin '" + duplicate + "' registers custom layer class 'Twice' twice").c_str(), Error);
  CHECK(registry.custom_class_names().empty());

  const std::string swish = MLCONV_SWISH_PLUGIN;
  load_plugin(swish, registry);
  CHECK_THROWS_WITH_AS(load_plugin(swish, registry),
                       ("plugin '" + swish + "' registers custom layer class 'Swish', which plugin '" + swish +
                        "' already provides")
                           .c_str(),
                       Error);
  CHECK(registry.custom_class_names() == std::vector<std::string>{"Swish"});
}

TEST_CASE("plugin loader: MLCONV_PLUGIN_PATH lists files and directories; each plugin loads once") {
  const std::string swish = MLCONV_SWISH_PLUGIN;
  const std::string swish_dir = std::filesystem::path(swish).parent_path().string();
  CHECK(plugin_files_in_path(swish_dir + "::/nonexistent/dir:" + MLCONV_TOPK_PLUGIN) ==
        std::vector<std::string>{swish, MLCONV_TOPK_PLUGIN});
  KernelRegistry registry;
  const std::vector<std::string> explicit_paths{swish};
  const std::vector<std::string> loaded =
      load_plugins(explicit_paths, (swish_dir + ":" + MLCONV_TOPK_PLUGIN).c_str(), registry);
  CHECK(loaded == std::vector<std::string>{swish, MLCONV_TOPK_PLUGIN});
  CHECK(registry.custom_class_names() == std::vector<std::string>{"CustomTopK", "Swish"});
}

TEST_CASE("plugin loader: a layer whose class no plugin provides fails at load") {
  const KernelRegistry registry = registry_with({MLCONV_SWISH_PLUGIN, misbehaving});
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry, bad_layer("Swishh"), {Tensor({1}, {1})}),
      "layer 'bad' (custom): needs custom layer class 'Swishh'; no loaded plugin provides it (load one with --plugin)",
      Error);
}

TEST_CASE("plugin loader: bad output shapes from a plugin are errors, not crashes") {
  const KernelRegistry registry = registry_with({misbehaving});
  const auto fails_with = [&](std::string_view class_name, const std::string& message) {
    CAPTURE(class_name);
    CHECK_THROWS_WITH_AS(run_plugin_layer(registry, bad_layer(class_name), {Tensor({2, 2}, {1, 2, 3, 4})}),
                         (misbehaving_context(class_name) + message).c_str(), Error);
  };
  fails_with("TwoShapes", "output_shapes returned 2 shapes; the layer has 1 output");
  fails_with("NegativeDim", "output_shapes gave output 0 shape [2, -3], which has a negative dimension");
  fails_with("HugeDims",
             "output_shapes gave output 0 shape [1099511627776, 1099511627776], which has more elements than memory "
             "can hold");
  fails_with("RankTooHigh", "output_shapes gave output 0 rank 17; expected 1 to 16");
  fails_with("FailingInit", "creating the instance failed: needs parameter 'mode' (got 0 others)");
  fails_with("FailingEvaluate", "evaluate failed: the accelerator is busy");
  fails_with("ThrowsNonStandard", "output_shapes failed: unknown C++ exception");
}

TEST_CASE("plugin loader: parameters arrive typed as stored and weights with their storage and decoded values") {
  const KernelRegistry registry = registry_with({misbehaving});
  const auto out = run_plugin_layer(registry, R"(name: "bad" input: "x" output: "y" custom {
      className: "EchoParameters"
      parameters { key: "d" value { doubleValue: 2.5 } }
      parameters { key: "i32" value { intValue: 7 } }
      parameters { key: "i64" value { longValue: 123456 } }
      parameters { key: "b" value { boolValue: true } }
      parameters { key: "s" value { stringValue: "hello" } }
      weights { floatValue: [1.5, 2] }
      weights { float16Value: "\000<" }
      weights { rawValue: "abc" } })",
                                    {Tensor({1}, {0})});
  // d, i32, i64, b, |s|, outputs; then per blob: type, bytes, elements, decoded floats
  testing::check_tensor(out[0], {18}, {2.5F, 7, 123456, 1, 5, 1, 1, 8, 2, 1.5F, 2, 2, 2, 1, 1, 3, 3, 3}, 0, 0);
}

TEST_CASE("plugin loader: quantized weights arrive as bytes with their dequantized values") {
  const KernelRegistry registry = registry_with({misbehaving});
  const auto out = run_plugin_layer(registry, R"(name: "bad" input: "x" output: "y" custom {
      className: "EchoParameters"
      weights { rawValue: "\002\004\377"
                quantization { numberOfBits: 8 linearQuantization { scale: 0.5 bias: 1 } } } })",
                                    {Tensor({1}, {0})});
  // 0.5 * [2, 4, 255] + 1
  testing::check_tensor(out[0], {12}, {0, 0, 0, 0, 0, 1, 3, 3, 3, 2, 3, 128.5F}, 0, 0);
}

TEST_CASE("plugin loader: an exception inside the host's parallel_for comes back as the plugin's error") {
  const KernelRegistry registry = registry_with({misbehaving});
  for (int threads : {1, 2}) {
    CAPTURE(threads);
    CHECK_THROWS_WITH_AS(run_plugin_layer(registry, bad_layer("ThrowsInParallelBody"), {Tensor(Shape{8})}, threads),
                         (misbehaving_context("ThrowsInParallelBody") + "evaluate failed: element 3 is out of range")
                             .c_str(),
                         Error);
  }
}

TEST_CASE("plugin loader: a parameter of the wrong type is the plugin's error, with its name") {
  const KernelRegistry registry = registry_with({misbehaving});
  CHECK_THROWS_WITH_AS(
      run_plugin_layer(registry, R"(name: "bad" input: "x" output: "y" custom {
          className: "EchoParameters" parameters { key: "i32" value { doubleValue: 7 } } })",
                       {Tensor({1}, {0})}),
      (misbehaving_context("EchoParameters") +
       "creating the instance failed: parameter 'i32' is a doubleValue; expected an integer (intValue or longValue)")
          .c_str(),
      Error);
}

}  // namespace
}  // namespace mlconv::exec
