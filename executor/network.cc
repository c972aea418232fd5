#include "executor/network.h"

#include <algorithm>
#include <optional>

#include "executor/kernel_registry.h"
#include "executor/kernels/activation_function.h"
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

Tensor Environment::take_spare(std::size_t wanted) {
  ++spares_taken_;
  if (spares_.empty()) return {};
  auto chosen = std::max_element(spares_.begin(), spares_.end(),
                                 [](const Tensor& a, const Tensor& b) { return a.capacity() < b.capacity(); });
  if (wanted > 0) {
    for (auto it = spares_.begin(); it != spares_.end(); ++it) {
      if (it->capacity() >= wanted && it->capacity() < chosen->capacity()) chosen = it;
    }
  }
  Tensor spare = std::move(*chosen);
  spares_.erase(chosen);
  return spare;
}

void Environment::add_spares(std::vector<Tensor> spares) {
  for (Tensor& spare : spares) spares_.push_back(std::move(spare));
}

std::vector<Tensor> Environment::take_all() {
  std::vector<Tensor> all = std::move(spares_);
  spares_.clear();
  for (auto& entry : blobs_) all.push_back(std::move(entry.second));
  blobs_.clear();
  // A run asks for as many spares as it has outputs to write; more would only pile up
  // (a fresh input or image blob per run), so the largest that many are kept.
  std::sort(all.begin(), all.end(), [](const Tensor& a, const Tensor& b) { return a.capacity() > b.capacity(); });
  if (all.size() > spares_taken_) all.resize(spares_taken_);
  spares_taken_ = 0;
  return all;
}

std::vector<std::string> Environment::names() const {
  std::vector<std::string> names;
  for (const auto& [name, tensor] : blobs_) names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

std::uint64_t Environment::live_bytes() const {
  std::uint64_t bytes = 0;
  for (const auto& [name, tensor] : blobs_) bytes += static_cast<std::uint64_t>(tensor.size()) * sizeof(float);
  return bytes;
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
      if (ctx.kernel_made) ctx.kernel_made(layer, *step.kernel);
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
  fuse_activations(keep);
}

// Folding hides the blob between the two layers, so it must be one nothing else
// can see: read by the activation only (here or in any sub-network), not kept,
// or overwritten by the activation itself.
void Network::fuse_activations(const std::set<std::string>& keep) {
  std::unordered_map<std::string, int> readers;
  for (const Step& step : steps_)
    for (const std::string& name : blobs_read_by(*step.layer)) ++readers[name];
  for (std::size_t i = 0; i + 1 < steps_.size(); ++i) {
    const Layer& producer = *steps_[i].layer;
    const Layer& consumer = *steps_[i + 1].layer;
    if (producer.output_size() != 1 || consumer.input_size() != 1 || consumer.output_size() != 1) continue;
    const std::string& between = producer.output(0);
    if (consumer.input(0) != between) continue;
    // An in-place activation (output named like its input) replaces the blob: later readers
    // and the model's outputs see the activated values either way.
    const bool in_place = consumer.output(0) == between;
    if (!in_place && (keep.contains(between) || readers[between] != 1)) continue;
    const std::optional<ActivationFunction> activation = ActivationFunction::of(consumer);
    if (!activation || !steps_[i].kernel->fuse_activation(&*activation)) continue;
    steps_[i].runs_next = true;
    ++i;  // the activation's own output is not offered on: one activation per producer
  }
}

void Network::set_observer(LayerObserver observer) {
  observer_ = std::move(observer);
  if (!observer_) return;
  for (Step& step : steps_) {
    if (!step.runs_next) continue;
    step.kernel->fuse_activation(nullptr);
    step.runs_next = false;
  }
}

std::size_t Network::fused_count() const {
  return static_cast<std::size_t>(std::count_if(steps_.begin(), steps_.end(), [](const Step& s) { return s.runs_next; }));
}

void Network::run(RunContext& ctx) const {
  Environment& blobs = *ctx.blobs;
  std::vector<const Tensor*> inputs;
  std::vector<Tensor> results;
  std::vector<Tensor*> outputs;
  for (std::size_t index = 0; index < steps_.size(); ++index) {
    const Step& step = steps_[index];
    const Layer& layer = *step.layer;
    // A fused pair reads the first layer's inputs and writes the activation's outputs.
    const Layer& writer = step.runs_next ? *steps_[index + 1].layer : layer;
    try {
      inputs.clear();
      for (const std::string& name : layer.input()) {
        const Tensor* tensor = blobs.find(name);
        if (tensor == nullptr)
          throw Error("reads blob '" + name + "', which no model input or earlier layer provides");
        inputs.push_back(tensor);
      }
      results.clear();
      for (int i = 0; i < layer.output_size(); ++i) {
        const auto slot = static_cast<std::size_t>(i);
        results.push_back(blobs.take_spare(slot < step.output_sizes.size() ? step.output_sizes[slot] : 0));
      }
      outputs.clear();
      for (Tensor& result : results) outputs.push_back(&result);
      const auto start = std::chrono::steady_clock::now();
      step.kernel->run(inputs, outputs, ctx);
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      step.output_sizes.resize(results.size());
      for (std::size_t i = 0; i < results.size(); ++i) step.output_sizes[i] = static_cast<std::size_t>(results[i].size());
      for (int i = 0; i < layer.output_size(); ++i) blobs.put(writer.output(i), std::move(results[static_cast<std::size_t>(i)]));
      if (ctx.peak_live_bytes != nullptr) *ctx.peak_live_bytes = std::max(*ctx.peak_live_bytes, blobs.live_bytes());
      if (observer_) observer_(layer, blobs, seconds);
    } catch (Error& error) {
      throw error.within(step.where);
    } catch (const std::bad_alloc&) {
      throw Error("out of memory").within(step.where);
    }
    for (const std::string& name : step.release_after) blobs.release(name);
    if (step.runs_next) {
      ++index;
      for (const std::string& name : steps_[index].release_after) blobs.release(name);
    }
    if (ctx.loop_signal != LoopSignal::none) return;
  }
}

}  // namespace mlconv::exec
