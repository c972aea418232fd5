#include "executor/network.h"

#include <algorithm>

#include "executor/kernel_registry.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"

namespace mlconv::exec {

const Tensor* Environment::find(const std::string& name) const {
  auto found = blobs_.find(name);
  return found == blobs_.end() ? nullptr : &found->second;
}

Tensor* Environment::find(const std::string& name) {
  auto found = blobs_.find(name);
  return found == blobs_.end() ? nullptr : &found->second;
}

void Environment::put(const std::string& name, Tensor tensor) {
  auto [slot, inserted] = blobs_.try_emplace(name);
  if (!inserted) spares_.push_back(std::move(slot->second));
  slot->second = std::move(tensor);
}

void Environment::release(const std::string& name) {
  auto found = blobs_.find(name);
  if (found == blobs_.end()) return;
  spares_.push_back(std::move(found->second));
  blobs_.erase(found);
}

Tensor Environment::take_spare() {
  if (spares_.empty()) return {};
  // The largest spare is the likeliest to hold the next output without reallocating.
  auto largest = std::max_element(spares_.begin(), spares_.end(),
                                  [](const Tensor& a, const Tensor& b) { return a.capacity() < b.capacity(); });
  Tensor spare = std::move(*largest);
  spares_.erase(largest);
  return spare;
}

std::vector<std::string> Environment::names() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : blobs_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::set<std::string> blobs_read_by(const Layer& layer) {
  std::set<std::string> names(layer.input().begin(), layer.input().end());
  for (const spec::SubNetwork& sub : spec::sub_networks(layer)) {
    for (const Layer& inner : sub.network->layers()) {
      std::set<std::string> inner_names = blobs_read_by(inner);
      names.insert(inner_names.begin(), inner_names.end());
    }
  }
  // Loops and branches also read their condition blob by name from a parameter.
  if (layer.layer_case() == Layer::kLoop && !layer.loop().conditionvar().empty())
    names.insert(layer.loop().conditionvar());
  return names;
}

namespace {

std::string step_where(const std::string& prefix, const Layer& layer, int index) {
  std::string where = layer.name().empty() ? "layer #" + std::to_string(index)
                                           : describe_named("layer", layer.name());
  where += " (" + std::string(spec::layer_type_name(layer)) + ")";
  return prefix.empty() ? where : prefix + ": " + where;
}

}  // namespace

Network::Network(const Layers& layers, const BuildContext& ctx, std::string where, std::set<std::string> keep,
                 bool free_dead_blobs) {
  steps_.reserve(static_cast<std::size_t>(layers.size()));
  std::unordered_map<std::string, std::size_t> last_reader;
  for (int i = 0; i < layers.size(); ++i) {
    const Layer& layer = layers[i];
    Step step{&layer, step_where(where, layer, i), nullptr, {}};
    try {
      if (layer.output_size() == 0 && layer.layer_case() != Layer::kLoopBreak &&
          layer.layer_case() != Layer::kLoopContinue && layer.layer_case() != Layer::kLoop &&
          layer.layer_case() != Layer::kBranch)
        throw Error("the layer has no outputs");
      step.kernel = ctx.kernels->make(layer, ctx);
    } catch (Error& error) {
      throw error.within(step.where);
    }
    for (const std::string& name : blobs_read_by(layer)) last_reader[name] = steps_.size();
    steps_.push_back(std::move(step));
  }
  if (!free_dead_blobs) return;
  for (const auto& [name, index] : last_reader) {
    if (!keep.contains(name)) steps_[index].release_after.push_back(name);
  }
  for (Step& step : steps_) std::sort(step.release_after.begin(), step.release_after.end());
}

void Network::run(RunContext& ctx) const {
  Environment& blobs = *ctx.blobs;
  std::vector<const Tensor*> inputs;
  std::vector<Tensor> results;
  std::vector<Tensor*> outputs;
  for (const Step& step : steps_) {
    const Layer& layer = *step.layer;
    try {
      inputs.clear();
      for (const std::string& name : layer.input()) {
        const Tensor* tensor = blobs.find(name);
        if (tensor == nullptr)
          throw Error("reads blob '" + name + "', which no model input or earlier layer provides");
        inputs.push_back(tensor);
      }
      results.clear();
      for (int i = 0; i < layer.output_size(); ++i) results.push_back(blobs.take_spare());
      outputs.clear();
      for (Tensor& result : results) outputs.push_back(&result);
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run(inputs, outputs, ctx);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      for (int i = 0; i < layer.output_size(); ++i) blobs.put(layer.output(i), std::move(results[static_cast<std::size_t>(i)]));
      if (observer_) observer_(layer, blobs, seconds);
    } catch (Error& error) {
      throw error.within(step.where);
    } catch (const std::bad_alloc&) {
      throw Error("out of memory").within(step.where);
    }
    for (const std::string& name : step.release_after) blobs.release(name);
    if (ctx.loop_signal != LoopSignal::none) return;
  }
}

}  // namespace mlconv::exec
