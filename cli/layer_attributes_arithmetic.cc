// Element-wise and matrix arithmetic: layers whose scalar fields matter only in
// some configurations (an `alpha` used only with a single input, an epsilon
// used only by RSQRT and INVERSE), which the generic formatter cannot know.
#include <array>

#include "cli/layer_attributes_families.h"
#include "spec/names.h"

namespace mlconv::cli::attributes {

namespace {

namespace cml = CoreML::Specification;

Json unary_attributes(const Layer& layer) {
  using Unary = cml::UnaryFunctionLayerParams;
  const Unary& unary = layer.unary();
  Json out = Json::object();
  out["type"] = spec::enum_value_name(Unary::Operation_descriptor(), unary.type());
  if (unary.type() == Unary::POWER || unary.type() == Unary::THRESHOLD) out["alpha"] = float_json(unary.alpha());
  if (unary.type() == Unary::RSQRT || unary.type() == Unary::INVERSE) {
    out["epsilon"] = float_json(unary.epsilon() == 0.0F ? 1e-6F : unary.epsilon());  // documented: 0 means 1e-6
  }
  // The input is first mapped to scale * x + shift; the identity map says nothing.
  if (unary.shift() != 0.0F) out["shift"] = float_json(unary.shift());
  if (unary.scale() != 0.0F && unary.scale() != 1.0F) out["scale"] = float_json(unary.scale());  // 0 means 1
  return out;
}

// Add, multiply and the comparisons combine their inputs; only with a single
// input do they use the scalar `alpha` as the other operand, and then even 0 counts.
template <typename Params, const Params& (Layer::*params)() const>
Json scalar_operand_attributes(const Layer& layer) {
  Json out = Json::object();
  if (layer.input_size() == 1) out["alpha"] = float_json((layer.*params)().alpha());
  return out;
}

Json batched_matmul_attributes(const Layer& layer) {
  const cml::BatchedMatMulLayerParams& matmul = layer.batchedmatmul();
  Json out = Json::object();
  if (matmul.transposea()) out["transposeA"] = true;
  if (matmul.transposeb()) out["transposeB"] = true;
  // The dimensions describe the stored weight matrix, present only with a single input.
  if (matmul.weightmatrixfirstdimension() != 0 || matmul.weightmatrixseconddimension() != 0) {
    out["weightMatrix"] = {matmul.weightmatrixfirstdimension(), matmul.weightmatrixseconddimension()};
  }
  if (matmul.hasbias()) out["hasBias"] = true;
  if (matmul.int8dynamicquantize()) out["int8DynamicQuantize"] = true;
  return out;
}

constexpr std::array<Registration, 10> kArithmeticFormatters{{
    {Layer::kUnary, unary_attributes},
    {Layer::kAdd, scalar_operand_attributes<cml::AddLayerParams, &Layer::add>},
    {Layer::kMultiply, scalar_operand_attributes<cml::MultiplyLayerParams, &Layer::multiply>},
    {Layer::kEqual, scalar_operand_attributes<cml::EqualLayerParams, &Layer::equal>},
    {Layer::kNotEqual, scalar_operand_attributes<cml::NotEqualLayerParams, &Layer::notequal>},
    {Layer::kLessThan, scalar_operand_attributes<cml::LessThanLayerParams, &Layer::lessthan>},
    {Layer::kLessEqual, scalar_operand_attributes<cml::LessEqualLayerParams, &Layer::lessequal>},
    {Layer::kGreaterThan, scalar_operand_attributes<cml::GreaterThanLayerParams, &Layer::greaterthan>},
    {Layer::kGreaterEqual, scalar_operand_attributes<cml::GreaterEqualLayerParams, &Layer::greaterequal>},
    {Layer::kBatchedMatmul, batched_matmul_attributes},
}};

}  // namespace

std::span<const Registration> arithmetic_formatters() { return kArithmeticFormatters; }

}  // namespace mlconv::cli::attributes
