// The built-in mappings. Adding an op means adding a row here and its build
// function in the family file; nothing else dispatches on op names.
#include "converter/export/layer_table.h"

#include <array>

#include "converter/export/layer_mappings.h"

namespace mlconv::converter {
namespace {

constexpr std::array builtin_table = {
    LayerMapping{"Conv", "", "convolution", build_conv_layer},
    LayerMapping{"ConvTranspose", "", "convolution (deconvolution)", build_conv_transpose_layer},
    LayerMapping{"MaxPool", "", "pooling (MAX)", build_max_pool_layer},
    LayerMapping{"AveragePool", "", "pooling (AVERAGE)", build_average_pool_layer},
    LayerMapping{"GlobalAveragePool", "", "pooling (global AVERAGE)", build_global_average_pool_layer},
    LayerMapping{"GlobalMaxPool", "", "pooling (global MAX)", build_global_max_pool_layer},
    LayerMapping{"Gemm", "", "innerProduct", build_gemm_layer},
    LayerMapping{"MatMul", "", "innerProduct", build_matmul_layer},
    LayerMapping{"BatchNormalization", "", "batchnorm", build_batch_norm_layer},
    LayerMapping{"Relu", "", "activation (ReLU)", build_relu_layer},
    LayerMapping{"LeakyRelu", "", "activation (leakyReLU)", build_leaky_relu_layer},
    LayerMapping{"PRelu", "", "activation (PReLU)", build_prelu_layer},
    LayerMapping{"Elu", "", "activation (ELU)", build_elu_layer},
    LayerMapping{"Selu", "", "activation (ELU) + multiply", build_selu_layer},
    LayerMapping{"Sigmoid", "", "activation (sigmoid)", build_sigmoid_layer},
    LayerMapping{"HardSigmoid", "", "activation (sigmoidHard)", build_hard_sigmoid_layer},
    LayerMapping{"Tanh", "", "activation (tanh)", build_tanh_layer},
    LayerMapping{"Softplus", "", "activation (softplus)", build_softplus_layer},
    LayerMapping{"Softsign", "", "activation (softsign)", build_softsign_layer},
    LayerMapping{"ThresholdedRelu", "", "activation (thresholdedReLU)", build_thresholded_relu_layer},
    LayerMapping{"Clip", "", "unary (THRESHOLD) + multiply", build_clip_layer},
    LayerMapping{"Softmax", "", "softmax", build_softmax_layer},
    LayerMapping{"Exp", "", "unary (EXP)", build_exp_layer},
    LayerMapping{"Log", "", "unary (LOG)", build_log_layer},
    LayerMapping{"Sqrt", "", "unary (SQRT)", build_sqrt_layer},
    LayerMapping{"Abs", "", "unary (ABS)", build_abs_layer},
    LayerMapping{"Sum", "", "add", build_sum_layer},
    LayerMapping{"Max", "", "max", build_max_layer},
    LayerMapping{"Min", "", "min", build_min_layer},
    LayerMapping{"Mean", "", "average", build_mean_layer},
    LayerMapping{"LRN", "", "lrn", build_lrn_layer},
    LayerMapping{"InstanceNormalization", "", "batchnorm (instance)", build_instance_norm_layer},
    LayerMapping{"Pad", "", "padding", build_pad_layer},
    LayerMapping{"Add", "", "add / bias", build_add_layer},
    LayerMapping{"Sub", "", "add / bias / scale", build_sub_layer},
    LayerMapping{"Mul", "", "multiply / scale", build_mul_layer},
    LayerMapping{"Div", "", "multiply / scale", build_div_layer},
    LayerMapping{"Concat", "", "concat", build_concat_layer},
    LayerMapping{"Flatten", "", "flatten", build_flatten_layer},
    LayerMapping{"Reshape", "", "reshape", build_reshape_layer},
    LayerMapping{"Transpose", "", "permute", build_transpose_layer},
    LayerMapping{"Identity", "", "removed (pass-through)", build_passthrough},
    LayerMapping{"Dropout", "", "removed (pass-through)", build_passthrough},
};

}  // namespace

std::span<const LayerMapping> builtin_layer_mappings() { return builtin_table; }

std::vector<Rule> builtin_rules() {
  std::vector<Rule> rules;
  for (const LayerMapping& mapping : builtin_table) {
    Rule rule;
    rule.match.op_type = std::string(mapping.op_type);
    rule.match.domain = std::string(mapping.domain);
    rule.action = NativeAction{&mapping};
    rule.origin = RuleOrigin{"built-in", "", 0};
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace mlconv::converter
