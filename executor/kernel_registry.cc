#include "executor/kernel_registry.h"

#include "spec/error.h"
#include "spec/names.h"

namespace mlconv::exec {

KernelRegistry KernelRegistry::with_builtin_kernels() {
  KernelRegistry registry;
  register_activation_kernels(registry);
  register_arithmetic_kernels(registry);
  register_normalization_kernels(registry);
  register_reduction_kernels(registry);
  register_convolution_kernels(registry);
  register_pooling_kernels(registry);
  register_dense_kernels(registry);
  register_resampling_kernels(registry);
  register_shape_kernels(registry);
  register_indexing_kernels(registry);
  register_recurrent_kernels(registry);
  register_control_flow_kernels(registry);
  return registry;
}

void KernelRegistry::add(Layer::LayerCase layer_case, KernelFactory factory) {
  if (!builtin_.emplace(static_cast<int>(layer_case), factory).second)
    throw Error("a kernel for layer type '" + std::string(spec::layer_case_name(layer_case)) + "' is registered twice");
}

void KernelRegistry::add_custom(const std::string& class_name, CustomLayerFactory factory) {
  if (auto found = custom_.find(class_name); found != custom_.end())
    throw Error("custom layer class '" + class_name + "' is provided by both " + found->second.provider + " and " +
                factory.provider);
  custom_.emplace(class_name, std::move(factory));
}

KernelFactory KernelRegistry::find(Layer::LayerCase layer_case) const {
  auto found = builtin_.find(static_cast<int>(layer_case));
  return found == builtin_.end() ? nullptr : found->second;
}

const CustomLayerFactory* KernelRegistry::find_custom(std::string_view class_name) const {
  auto found = custom_.find(class_name);
  return found == custom_.end() ? nullptr : &found->second;
}

std::vector<Layer::LayerCase> KernelRegistry::supported_layer_cases() const {
  std::vector<Layer::LayerCase> cases;
  for (const auto& [layer_case, factory] : builtin_) cases.push_back(static_cast<Layer::LayerCase>(layer_case));
  return cases;
}

std::vector<std::string> KernelRegistry::custom_class_names() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : custom_) names.push_back(name);
  return names;
}

std::unique_ptr<Kernel> KernelRegistry::make(const Layer& layer, const BuildContext& ctx) const {
  if (layer.layer_case() == Layer::kCustom) {
    const std::string& class_name = layer.custom().classname();
    const CustomLayerFactory* factory = find_custom(class_name);
    if (factory == nullptr)
      throw Error("needs custom layer class '" + class_name +
                  "'; no loaded plugin provides it (load one with --plugin)");
    try {
      return factory->make(layer, ctx);
    } catch (Error& error) {
      throw error.within("custom layer class '" + class_name + "' from " + factory->provider);
    }
  }
  KernelFactory factory = find(layer.layer_case());
  if (factory == nullptr) {
    if (layer.layer_case() == Layer::LAYER_NOT_SET) throw Error("the layer has no type (no layer field is set)");
    throw Error("mlconv run has no kernel for layer type '" + std::string(spec::layer_case_name(layer.layer_case())) + "' yet");
  }
  return factory(layer, ctx);
}

}  // namespace mlconv::exec
