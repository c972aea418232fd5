// A compiled neural network: one kernel per layer, in the model's order, plus
// the bookkeeping to free each blob after its last reader. Loop and branch
// bodies compile to nested Networks that share the enclosing blob Environment.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "NeuralNetwork.pb.h"
#include "executor/kernel.h"

namespace mlconv::exec {

// Blobs by name. Freed tensors go to a pool so the next layer reuses their
// memory instead of touching fresh pages.
class Environment {
 public:
  [[nodiscard]] const Tensor* find(const std::string& name) const;
  [[nodiscard]] Tensor* find(const std::string& name);
  void put(const std::string& name, Tensor tensor);
  void release(const std::string& name);
  // A spare for an output of about `wanted` elements (0: unknown): the smallest that
  // holds it, else the largest, so a small output does not take the storage a large
  // one needs next.
  [[nodiscard]] Tensor take_spare(std::size_t wanted = 0);
  // Storage from an earlier run, so a repeated prediction reuses its memory instead of
  // faulting in fresh pages for every blob; and the reverse, every tensor held now
  // (blobs and spares), emptying the environment.
  void add_spares(std::vector<Tensor> spares);
  [[nodiscard]] std::vector<Tensor> take_all();
  [[nodiscard]] std::vector<std::string> names() const;
  // Bytes held by the blobs (not the spares): the live activation set.
  [[nodiscard]] std::uint64_t live_bytes() const;

 private:
  std::unordered_map<std::string, Tensor> blobs_;
  std::vector<Tensor> spares_;
  std::size_t spares_taken_ = 0;
};

// Called after each layer ran: the layer, its position label ("layer 'x' (relu)"), the seconds it took.
using LayerObserver = std::function<void(const Layer& layer, const Environment& blobs, double seconds)>;

class Network {
 public:
  using Layers = google::protobuf::RepeatedPtrField<Layer>;

  // Makes every kernel. `where` prefixes locations in errors ("" for the top
  // level, "layer 'loop1' (loop), bodyNetwork" for a body). `keep` names blobs
  // that must survive the run (the model's outputs); other blobs are freed
  // after their last reader, except in nested bodies, which free nothing.
  // At the top level (free_dead_blobs), an activation whose input only it reads,
  // and which is no kept blob, is folded into the layer before it when that
  // layer's kernel takes it (Kernel::fuse_activation).
  Network(const Layers& layers, const BuildContext& ctx, std::string where, std::set<std::string> keep,
          bool free_dead_blobs);

  // Runs every layer in order on `ctx.blobs`; stops early when a loopBreak/loopContinue fires.
  void run(RunContext& ctx) const;

  // An observer sees every layer's outputs, so setting one undoes all fusion.
  void set_observer(LayerObserver observer);
  [[nodiscard]] std::size_t layer_count() const { return steps_.size(); }
  // How many activation layers run folded into the layer before them.
  [[nodiscard]] std::size_t fused_count() const;

 private:
  struct Step {
    const Layer* layer;
    std::string where;
    std::unique_ptr<Kernel> kernel;
    std::vector<std::string> release_after;  // blobs whose last reader this is
    bool runs_next = false;  // the next step's activation is fused into this kernel: write its outputs, skip it
    mutable std::vector<std::size_t> output_sizes;  // elements each output had on the last run
  };
  void fuse_activations(const std::set<std::string>& keep);
  std::vector<Step> steps_;
  LayerObserver observer_;
};

// Every blob name a layer reads, including those read inside its sub-networks.
std::set<std::string> blobs_read_by(const Layer& layer);

}  // namespace mlconv::exec
