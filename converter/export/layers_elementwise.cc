// Elementwise unary math (Exp, Log, Sqrt, Abs) and the variadic ops Sum, Max, Min
// and Mean over computed inputs. Core ML's unary layer computes f(scale * x + shift);
// scale is written as 1 because its proto3 default 0 means "unset".
#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

void unary(LayerBuilder& b, cml::UnaryFunctionLayerParams::Operation operation) {
  const auto shape = b.shape(0);
  auto& params = *b.add_layer("", {b.blob(0)}, {b.output_blob(0)}).mutable_unary();
  params.set_type(operation);
  params.set_scale(1.0F);
  b.set_output_shape(0, shape);
}

enum class Variadic { sum, max, min, mean };

void variadic(LayerBuilder& b, Variadic op) {
  if (b.input_count() == 0) b.fail("expects at least one input");
  std::vector<std::string> inputs;
  std::vector<std::int64_t> shape = b.shape(0);
  for (std::size_t i = 0; i < b.input_count(); ++i) {
    if (b.constant(i) != nullptr) b.fail("input " + std::to_string(i) + " is a constant; only computed inputs are supported here");
    const auto& other = b.shape(i);
    if (other != shape) b.fail("inputs of different shapes are not supported (input " + std::to_string(i) + ")");
    inputs.push_back(b.blob(i));
  }
  if (inputs.size() == 1) {
    b.alias_output(0, 0);
    return;
  }
  auto& layer = b.add_layer("", inputs, {b.output_blob(0)});
  switch (op) {
    case Variadic::sum: layer.mutable_add(); break;
    case Variadic::max: layer.mutable_max(); break;
    case Variadic::min: layer.mutable_min(); break;
    case Variadic::mean: layer.mutable_average(); break;
  }
  b.set_output_shape(0, shape);
}

}  // namespace

void build_exp_layer(LayerBuilder& b) { unary(b, cml::UnaryFunctionLayerParams::EXP); }
void build_log_layer(LayerBuilder& b) { unary(b, cml::UnaryFunctionLayerParams::LOG); }
void build_sqrt_layer(LayerBuilder& b) { unary(b, cml::UnaryFunctionLayerParams::SQRT); }
void build_abs_layer(LayerBuilder& b) { unary(b, cml::UnaryFunctionLayerParams::ABS); }
void build_sum_layer(LayerBuilder& b) { variadic(b, Variadic::sum); }
void build_max_layer(LayerBuilder& b) { variadic(b, Variadic::max); }
void build_min_layer(LayerBuilder& b) { variadic(b, Variadic::min); }
void build_mean_layer(LayerBuilder& b) { variadic(b, Variadic::mean); }

}  // namespace mlconv::converter
