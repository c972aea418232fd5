// Checks of a neural network's data flow: layers exist and have types, every
// blob is produced before it is read and by one layer only, the declared
// outputs are produced, and (warnings) nothing is computed or declared in vain.
// Loop and branch sub-networks see the blobs of the networks around them.
#include <algorithm>
#include <functional>
#include <set>
#include <string>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/validator.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;
using Blobs = std::set<std::string>;

struct DataflowEvents {
  std::function<void(const std::string& where, const cml::NeuralNetworkLayer& layer, const std::string& blob)>
      read_before_produced;
  std::function<void(const std::string& where, const cml::NeuralNetworkLayer& layer, const std::string& blob)>
      produced_again;
};

// Runs the layers in order against the blobs `available` so far; returns the
// blobs this network produced. A branch's two arms each start from the blobs
// before the branch (so both may produce the same blob); afterwards everything
// either produced is visible, as Core ML makes it.
Blobs run_dataflow(const Layers& layers, const std::string& outer, Blobs available, const DataflowEvents& events) {
  Blobs produced;
  for (int i = 0; i < layers.size(); ++i) {
    const cml::NeuralNetworkLayer& layer = layers[i];
    const std::string where = outer + layer_where(layer, i);
    for (const std::string& input : layer.input()) {
      if (!available.contains(input) && events.read_before_produced) events.read_before_produced(where, layer, input);
    }
    Blobs from_subnetworks;
    Blobs seen_in_loop = available;  // a loop body also sees what its condition network produced
    for (const SubNetwork& sub : sub_networks(layer)) {
      const std::string sub_where = where + ", " + std::string(sub.field) + ": ";
      const Blobs made = run_dataflow(sub.network->layers(), sub_where, layer.has_loop() ? seen_in_loop : available, events);
      if (layer.has_loop()) seen_in_loop.insert(made.begin(), made.end());
      from_subnetworks.insert(made.begin(), made.end());
    }
    available.insert(from_subnetworks.begin(), from_subnetworks.end());
    produced.insert(from_subnetworks.begin(), from_subnetworks.end());
    for (const std::string& output : layer.output()) {
      // A copy layer is how a loop body writes back a loop-carried value.
      if (available.contains(output) && layer.layer_case() != cml::NeuralNetworkLayer::kCopy && events.produced_again) {
        events.produced_again(where, layer, output);
      }
      available.insert(output);
      produced.insert(output);
    }
  }
  return produced;
}

Blobs model_inputs(const cml::Model& model) {
  Blobs names;
  for (const auto& input : model.description().input()) names.insert(input.name());
  return names;
}

void check_has_layers(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network || !network->layers.empty()) return;
  reporter.report("model", "the neural network has no layers; it needs at least one",
                  "add the layers that compute the outputs");
}

void check_layer_types(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (layer.layer_case() != cml::NeuralNetworkLayer::LAYER_NOT_SET) return;
    reporter.report_layer(where, layer, "the layer has no type: none of the layer fields (convolution, custom, ...) is set",
                          "set the layer's parameters, or remove the layer");
  });
}

void check_inputs_produced(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  DataflowEvents events;
  events.read_before_produced = [&](const std::string& where, const cml::NeuralNetworkLayer& layer,
                                    const std::string& blob) {
    reporter.report_layer(where, layer,
                          "input '" + blob + "' is neither a model input nor produced by an earlier layer",
                          "order the layers so that '" + blob + "' is produced before this layer, or fix the name");
  };
  run_dataflow(network->layers, "", model_inputs(scope.model), events);
}

void check_single_producer(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  DataflowEvents events;
  events.produced_again = [&](const std::string& where, const cml::NeuralNetworkLayer& layer, const std::string& blob) {
    reporter.report_layer(where, layer,
                          "output '" + blob + "' is already a model input or produced by an earlier layer; only copy "
                          "layers may write a blob again",
                          "give this output a new name and update the layers that read it");
  };
  run_dataflow(network->layers, "", model_inputs(scope.model), events);
}

Blobs all_layer_outputs(const Layers& layers) {
  Blobs out;
  for_each_layer(layers, [&](const std::string&, const cml::NeuralNetworkLayer& layer) {
    out.insert(layer.output().begin(), layer.output().end());
  });
  return out;
}

// Blobs something reads: layer inputs at any depth, loop conditions, loss layers.
Blobs all_reads(const NetworkView& network) {
  Blobs in;
  for_each_layer(network.layers, [&](const std::string&, const cml::NeuralNetworkLayer& layer) {
    in.insert(layer.input().begin(), layer.input().end());
    if (layer.has_loop() && !layer.loop().conditionvar().empty()) in.insert(layer.loop().conditionvar());
  });
  if (network.update_params != nullptr) {
    for (const auto& loss : network.update_params->losslayers()) {
      if (loss.has_categoricalcrossentropylosslayer()) in.insert(loss.categoricalcrossentropylosslayer().input());
      if (loss.has_meansquarederrorlosslayer()) in.insert(loss.meansquarederrorlosslayer().input());
    }
  }
  return in;
}

void check_outputs_produced(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  const Blobs produced = all_layer_outputs(network->layers);
  const cml::ModelDescription& description = scope.model.description();
  const bool classifier = scope.model.Type_case() == cml::Model::kNeuralNetworkClassifier;
  for (const auto& output : description.output()) {
    if (output.name().empty() || produced.contains(output.name())) continue;
    // The classifier itself, not a layer, writes the label and the probability dictionary.
    if (classifier && (output.name() == description.predictedfeaturename() ||
                       output.name() == description.predictedprobabilitiesname())) {
      continue;
    }
    reporter.report(describe_named("output", output.name()), "no layer produces this model output",
                    "make the last layer of this branch of the graph write '" + output.name() +
                        "', or remove the output");
  }
}

void check_probability_layer(const ModelScope& scope, Reporter& reporter) {
  if (scope.model.Type_case() != cml::Model::kNeuralNetworkClassifier) return;
  const std::string& name = scope.model.neuralnetworkclassifier().labelprobabilitylayername();
  if (name.empty() || all_layer_outputs(scope.model.neuralnetworkclassifier().layers()).contains(name)) return;
  reporter.report("model", "labelProbabilityLayerName '" + name + "' is not the output of any layer",
                  "set it to the blob holding the class probabilities (usually the softmax output), or clear it to "
                  "use the last layer's output");
}

void check_layer_names(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (!layer.name().empty()) return;
    reporter.report_layer(where, layer, "the layer has no name; errors and profiles from Core ML cannot point at it",
                          "give every layer a unique name");
  });
}

void check_layer_names_unique(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  Blobs seen;
  for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (layer.name().empty() || seen.insert(layer.name()).second) return;
    reporter.report_layer(where, layer, "an earlier layer has the same name; layer names should be unique",
                          "rename one of the layers");
  });
}

void check_inputs_used(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  const Blobs reads = all_reads(*network);
  for (const auto& input : scope.model.description().input()) {
    if (input.name().empty() || reads.contains(input.name())) continue;
    reporter.report(describe_named("input", input.name()), "no layer reads this model input",
                    "remove the input, or connect it to the layer that should read it");
  }
}

void check_dead_layers(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network || network->layers.empty()) return;
  Blobs used = all_reads(*network);
  for (const auto& output : scope.model.description().output()) used.insert(output.name());
  if (scope.model.Type_case() == cml::Model::kNeuralNetworkClassifier) {
    // The classifier reads its probabilities from this blob, or from the last layer when it is empty.
    const std::string& probabilities = scope.model.neuralnetworkclassifier().labelprobabilitylayername();
    if (!probabilities.empty()) used.insert(probabilities);
    else used.insert(network->layers.rbegin()->output().begin(), network->layers.rbegin()->output().end());
  }
  // Only top-level layers: inside loops and branches, writes to enclosing blobs are the point.
  for (int i = 0; i < network->layers.size(); ++i) {
    const cml::NeuralNetworkLayer& layer = network->layers[i];
    if (layer.output().empty()) continue;
    const bool read = std::any_of(layer.output().begin(), layer.output().end(),
                                  [&](const std::string& blob) { return used.contains(blob); });
    if (read) continue;
    reporter.report_layer(layer_where(layer, i), layer,
                          "no layer reads this layer's outputs and none of them is a model output",
                          "remove the layer, or connect its output where it was meant to go");
  }
}

}  // namespace

void register_graph_checks(CheckList& list) {
  list.add({"E020", Severity::error, "a neural network has at least one layer", check_has_layers});
  list.add({"E021", Severity::error, "every layer has a type", check_layer_types});
  list.add({"E022", Severity::error, "every layer input is a model input or produced by an earlier layer",
            check_inputs_produced});
  list.add({"E023", Severity::error, "every blob is produced once (copy layers excepted)", check_single_producer});
  list.add({"E024", Severity::error, "every model output is produced by a layer", check_outputs_produced});
  list.add({"E033", Severity::error, "a classifier's labelProbabilityLayerName, when set, is produced by a layer",
            check_probability_layer});
  list.add({"W020", Severity::warning, "every layer has a name", check_layer_names});
  list.add({"W021", Severity::warning, "layer names are unique", check_layer_names_unique});
  list.add({"W022", Severity::warning, "every model input is read by a layer", check_inputs_used});
  list.add({"W023", Severity::warning, "every layer's output is read by a layer or is a model output",
            check_dead_layers});
}

}  // namespace mlconv::spec::validation
