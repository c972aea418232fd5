#include "spec/validation/network_walk.h"

#include "spec/error.h"
#include "spec/names.h"

namespace mlconv::spec::validation {

namespace cml = CoreML::Specification;

std::string layer_where(const cml::NeuralNetworkLayer& layer, int index) {
  std::string_view type = layer_type_name(layer);
  if (type.empty()) type = "no type";
  if (layer.name().empty()) return "layer #" + std::to_string(index) + " (" + std::string(type) + ")";
  return describe_named("layer", layer.name(), type);
}

namespace {

void walk(const Layers& layers, const std::string& outer, const LayerVisitor& visit) {
  for (int i = 0; i < layers.size(); ++i) {
    const cml::NeuralNetworkLayer& layer = layers[i];
    const std::string where = outer + layer_where(layer, i);
    visit(where, layer);
    for (const SubNetwork& sub : sub_networks(layer)) {
      walk(sub.network->layers(), where + ", " + std::string(sub.field) + ": ", visit);
    }
  }
}

}  // namespace

void for_each_layer(const Layers& layers, const LayerVisitor& visit) { walk(layers, "", visit); }

}  // namespace mlconv::spec::validation
