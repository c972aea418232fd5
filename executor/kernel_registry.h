// Kernels by layer type: built-in ones by the layer's oneof case, custom ones
// by CustomLayerParams.className (filled from plugins). Families register
// themselves through the explicit list in kernels/registry.cc.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "executor/kernel.h"

namespace mlconv::exec {

class KernelRegistry {
 public:
  // Every built-in kernel family.
  static KernelRegistry with_builtin_kernels();

  // Registering a key twice is an error (mlconv::Error).
  void add(Layer::LayerCase layer_case, KernelFactory factory);
  void add_custom(const std::string& class_name, CustomLayerFactory factory);

  [[nodiscard]] KernelFactory find(Layer::LayerCase layer_case) const;  // null when none
  [[nodiscard]] const CustomLayerFactory* find_custom(std::string_view class_name) const;
  [[nodiscard]] std::vector<Layer::LayerCase> supported_layer_cases() const;
  [[nodiscard]] std::vector<std::string> custom_class_names() const;

  // Makes the kernel for a layer, or throws naming what is missing
  // (an unsupported layer type, or a custom class no plugin provides).
  [[nodiscard]] std::unique_ptr<Kernel> make(const Layer& layer, const BuildContext& ctx) const;

 private:
  std::map<int, KernelFactory> builtin_;
  std::map<std::string, CustomLayerFactory, std::less<>> custom_;
};

// The family registration functions, one per file in kernels/.
void register_activation_kernels(KernelRegistry& registry);
void register_arithmetic_kernels(KernelRegistry& registry);
void register_normalization_kernels(KernelRegistry& registry);
void register_reduction_kernels(KernelRegistry& registry);
void register_convolution_kernels(KernelRegistry& registry);
void register_pooling_kernels(KernelRegistry& registry);
void register_dense_kernels(KernelRegistry& registry);
void register_resampling_kernels(KernelRegistry& registry);
void register_shape_kernels(KernelRegistry& registry);
void register_indexing_kernels(KernelRegistry& registry);
void register_recurrent_kernels(KernelRegistry& registry);
void register_control_flow_kernels(KernelRegistry& registry);

}  // namespace mlconv::exec
