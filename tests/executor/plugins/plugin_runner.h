// Runs one custom layer from protobuf text through exec::Network with a
// registry the test filled from plugins, the way `mlconv run` will.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "executor/kernel_registry.h"
#include "executor/network.h"
#include "executor/plugins/plugin_loader.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec::testing {

inline std::vector<Tensor> run_plugin_layer(const KernelRegistry& registry, std::string_view layer_text,
                                            std::vector<Tensor> inputs, int threads = 1) {
  BuildContext build;
  build.kernels = &registry;
  google::protobuf::RepeatedPtrField<Layer> layers;
  *layers.Add() = layer_from_text(layer_text);
  const Layer& layer = layers[0];
  Network network(layers, build, "", {}, false);
  Environment blobs;
  for (int i = 0; i < layer.input_size(); ++i) blobs.put(layer.input(i), std::move(inputs[static_cast<std::size_t>(i)]));
  ThreadPool pool(threads);
  RunContext run;
  run.pool = &pool;
  run.blobs = &blobs;
  network.run(run);
  std::vector<Tensor> outputs;
  for (const std::string& name : layer.output()) outputs.push_back(*blobs.find(name));
  return outputs;
}

// A registry holding only the classes of the given plugin files.
inline KernelRegistry registry_with(std::initializer_list<std::string> plugins) {
  KernelRegistry registry;
  for (const std::string& plugin : plugins) load_plugin(plugin, registry);
  return registry;
}

}  // namespace mlconv::exec::testing
