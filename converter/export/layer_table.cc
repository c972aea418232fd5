// The built-in mappings. Adding an op means adding a row here and its build
// function(s) in the family file; nothing else dispatches on op names. Columns: op,
// domain, rank-5 layers and builder, N-d layers (empty: the same) and builder.
#include "converter/export/layer_table.h"

#include <array>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_control_flow.h"

namespace mlconv::converter {
namespace {

// A rank-5 mapping used in an N-d network, for an input the classic layer takes there:
// [N, C] or [N, C, H, W] (convolution, pooling, LRN work on the last three axes).
template <void (*Build)(LayerBuilder&)>
void on_nchw(LayerBuilder& b) {
  const std::size_t rank = b.shape(0).size();
  if (rank != 4) b.fail("expects an [N, C, H, W] input; this one has rank " + std::to_string(rank));
  Build(b);
}

constexpr std::array builtin_table = {
    LayerMapping{"Conv", "", "convolution", build_conv_layer, "convolution (computed weights: second input)", on_nchw<build_conv_layer>},
    LayerMapping{"ConvTranspose", "", "convolution (deconvolution)", build_conv_transpose_layer, "convolution (deconvolution; computed weights: a convolution of the zero-spread input)", on_nchw<build_conv_transpose_layer>},
    LayerMapping{"MaxPool", "", "pooling (MAX)", build_max_pool_layer, "", on_nchw<build_max_pool_layer>},
    LayerMapping{"AveragePool", "", "pooling (AVERAGE)", build_average_pool_layer, "", on_nchw<build_average_pool_layer>},
    LayerMapping{"GlobalAveragePool", "", "pooling (global AVERAGE)", build_global_average_pool_layer, "", on_nchw<build_global_average_pool_layer>},
    LayerMapping{"GlobalMaxPool", "", "pooling (global MAX)", build_global_max_pool_layer, "", on_nchw<build_global_max_pool_layer>},
    LayerMapping{"LpPool", "", "unary (ABS, POWER) + pooling (AVERAGE, padding counted) + activation (linear) + unary (POWER)", build_lp_pool_layer, "", on_nchw<build_lp_pool_layer>},
    LayerMapping{"GlobalLpPool", "", "unary (ABS, POWER) + pooling (global AVERAGE) + activation (linear) + unary (POWER)", build_global_lp_pool_layer, "", on_nchw<build_global_lp_pool_layer>},
    LayerMapping{"Gemm", "", "innerProduct", build_gemm_layer, "batchedMatMul (+ scale, addBroadcastable)", build_nd_gemm_layer},
    LayerMapping{"MatMul", "", "innerProduct", build_matmul_layer, "batchedMatMul", build_nd_matmul_layer},
    LayerMapping{"Einsum", "", "", nullptr, "batchedMatMul with transpose, reshapeStatic and reduceSum", build_nd_einsum_layer},
    LayerMapping{"QuantizeLinear", "", "", nullptr, "divideBroadcastable, round, addBroadcastable, clip", build_nd_quantize_linear_layer},
    LayerMapping{"DequantizeLinear", "", "", nullptr, "subtractBroadcastable, multiplyBroadcastable", build_nd_dequantize_linear_layer},
    LayerMapping{"DynamicQuantizeLinear", "", "", nullptr, "reduceMin/Max, clip, divideBroadcastable, round, addBroadcastable", build_nd_dynamic_quantize_linear_layer},
    LayerMapping{"BatchNormalization", "", "batchnorm", build_batch_norm_layer, "batchnorm, or broadcasting arithmetic", build_nd_batch_norm_layer},
    LayerMapping{"Relu", "", "activation (ReLU)", build_relu_layer, "", build_relu_layer},
    LayerMapping{"LeakyRelu", "", "activation (leakyReLU)", build_leaky_relu_layer, "", build_leaky_relu_layer},
    LayerMapping{"PRelu", "", "activation (PReLU)", build_prelu_layer, "activation (ReLU) + multiplyBroadcastable + subtractBroadcastable", build_nd_prelu_layer},
    LayerMapping{"Elu", "", "activation (ELU)", build_elu_layer, "", build_elu_layer},
    LayerMapping{"Selu", "", "activation (ELU) + multiply", build_selu_layer, "", build_selu_layer},
    LayerMapping{"Sigmoid", "", "activation (sigmoid)", build_sigmoid_layer, "", build_sigmoid_layer},
    LayerMapping{"HardSigmoid", "", "activation (sigmoidHard)", build_hard_sigmoid_layer, "", build_hard_sigmoid_layer},
    LayerMapping{"Tanh", "", "activation (tanh)", build_tanh_layer, "", build_tanh_layer},
    LayerMapping{"Softplus", "", "activation (softplus)", build_softplus_layer, "", build_softplus_layer},
    LayerMapping{"Softsign", "", "activation (softsign)", build_softsign_layer, "", build_softsign_layer},
    LayerMapping{"ThresholdedRelu", "", "activation (thresholdedReLU)", build_thresholded_relu_layer, "", build_thresholded_relu_layer},
    LayerMapping{"Clip", "", "unary (THRESHOLD) + multiply", build_clip_layer, "clip", build_nd_clip_layer},
    LayerMapping{"Softmax", "", "softmax", build_softmax_layer, "softmaxND", build_nd_softmax_layer},
    LayerMapping{"Exp", "", "unary (EXP)", build_exp_layer, "unary (EXP)", build_nd_exp_layer},
    LayerMapping{"Log", "", "unary (LOG)", build_log_layer, "unary (LOG)", build_nd_log_layer},
    LayerMapping{"Sqrt", "", "unary (SQRT)", build_sqrt_layer, "unary (SQRT)", build_nd_sqrt_layer},
    LayerMapping{"Abs", "", "unary (ABS)", build_abs_layer, "unary (ABS)", build_nd_abs_layer},
    LayerMapping{"Sum", "", "add", build_sum_layer, "addBroadcastable", build_nd_sum_layer},
    LayerMapping{"Max", "", "max", build_max_layer, "maxBroadcastable", build_nd_max_layer},
    LayerMapping{"Min", "", "min", build_min_layer, "minBroadcastable", build_nd_min_layer},
    LayerMapping{"Mean", "", "average", build_mean_layer, "addBroadcastable + activation (linear)", build_nd_mean_layer},
    LayerMapping{"LRN", "", "lrn", build_lrn_layer, "", on_nchw<build_lrn_layer>},
    LayerMapping{"InstanceNormalization", "", "batchnorm (instance)", build_instance_norm_layer, "batchnorm (instance), or reduceMean and broadcasting arithmetic", build_nd_instance_norm_layer},
    LayerMapping{"Pad", "", "padding", build_pad_layer, "constantPad / padding (computed pads: constantPad with a second input)", build_nd_pad_layer},
    LayerMapping{"Add", "", "add / bias", build_add_layer, "addBroadcastable", build_nd_add_layer},
    LayerMapping{"Sub", "", "add / bias / scale", build_sub_layer, "subtractBroadcastable", build_nd_sub_layer},
    LayerMapping{"Mul", "", "multiply / scale", build_mul_layer, "multiplyBroadcastable", build_nd_mul_layer},
    LayerMapping{"Div", "", "multiply / scale", build_div_layer, "divideBroadcastable", build_nd_div_layer},
    LayerMapping{"Concat", "", "concat", build_concat_layer, "concatND", build_nd_concat_layer},
    LayerMapping{"Flatten", "", "flatten", build_flatten_layer, "reshapeStatic", build_nd_flatten_layer},
    LayerMapping{"Reshape", "", "reshape", build_reshape_layer, "reshapeStatic / reshapeDynamic", build_nd_reshape_layer},
    LayerMapping{"Transpose", "", "permute", build_transpose_layer, "transpose", build_nd_transpose_layer},
    LayerMapping{"Identity", "", "removed (pass-through)", build_passthrough, "", build_passthrough},
    LayerMapping{"Dropout", "", "removed (pass-through)", build_passthrough, "", build_passthrough},
    LayerMapping{"Resize", "", "upsample (NN / BILINEAR)", build_resize_layer, "", build_nd_resize_layer},

    // N-d only (iOS 13): no rank-5 layer expresses these.
    LayerMapping{"Pow", "", "", nullptr, "powBroadcastable", build_nd_pow_layer},
    LayerMapping{"Mod", "", "", nullptr, "modBroadcastable (fmod: divide, truncate, multiply, subtract)", build_nd_mod_layer},
    LayerMapping{"Equal", "", "", nullptr, "equal", build_nd_equal_layer},
    LayerMapping{"Greater", "", "", nullptr, "greaterThan", build_nd_greater_layer},
    LayerMapping{"GreaterOrEqual", "", "", nullptr, "greaterEqual", build_nd_greater_equal_layer},
    LayerMapping{"Less", "", "", nullptr, "lessThan", build_nd_less_layer},
    LayerMapping{"LessOrEqual", "", "", nullptr, "lessEqual", build_nd_less_equal_layer},
    LayerMapping{"And", "", "", nullptr, "logicalAnd", build_nd_and_layer},
    LayerMapping{"Or", "", "", nullptr, "logicalOr", build_nd_or_layer},
    LayerMapping{"Xor", "", "", nullptr, "logicalXor", build_nd_xor_layer},
    LayerMapping{"Not", "", "", nullptr, "logicalNot", build_nd_not_layer},
    LayerMapping{"Where", "", "", nullptr, "whereBroadcastable", build_nd_where_layer},
    LayerMapping{"Reciprocal", "", "", nullptr, "unary (POWER -1)", build_nd_reciprocal_layer},
    LayerMapping{"Neg", "", "", nullptr, "activation (linear -1)", build_nd_neg_layer},
    LayerMapping{"Floor", "", "", nullptr, "floor", build_nd_floor_layer},
    LayerMapping{"Ceil", "", "", nullptr, "ceil", build_nd_ceil_layer},
    LayerMapping{"Round", "", "", nullptr, "round", build_nd_round_layer},
    LayerMapping{"Sign", "", "", nullptr, "sign", build_nd_sign_layer},
    LayerMapping{"Sin", "", "", nullptr, "sin", build_nd_sin_layer},
    LayerMapping{"Cos", "", "", nullptr, "cos", build_nd_cos_layer},
    LayerMapping{"Tan", "", "", nullptr, "tan", build_nd_tan_layer},
    LayerMapping{"Asin", "", "", nullptr, "asin", build_nd_asin_layer},
    LayerMapping{"Acos", "", "", nullptr, "acos", build_nd_acos_layer},
    LayerMapping{"Atan", "", "", nullptr, "atan", build_nd_atan_layer},
    LayerMapping{"Sinh", "", "", nullptr, "sinh", build_nd_sinh_layer},
    LayerMapping{"Cosh", "", "", nullptr, "cosh", build_nd_cosh_layer},
    LayerMapping{"Asinh", "", "", nullptr, "asinh", build_nd_asinh_layer},
    LayerMapping{"Acosh", "", "", nullptr, "acosh", build_nd_acosh_layer},
    LayerMapping{"Atanh", "", "", nullptr, "atanh", build_nd_atanh_layer},
    LayerMapping{"Erf", "", "", nullptr, "erf", build_nd_erf_layer},
    LayerMapping{"Trilu", "", "", nullptr, "loadConstantND (mask) + multiplyBroadcastable; computed k: greaterEqual / lessEqual mask", build_nd_trilu_layer},
    LayerMapping{"Gelu", "", "", nullptr, "gelu", build_nd_gelu_layer},
    LayerMapping{"LogSoftmax", "", "", nullptr, "softmaxND + unary (LOG)", build_nd_log_softmax_layer},
    LayerMapping{"Hardmax", "", "", nullptr, "argMax + oneHot", build_nd_hardmax_layer},
    LayerMapping{"Celu", "", "", nullptr, "activation (linear, ELU, linear)", build_nd_celu_layer},
    LayerMapping{"Shrink", "", "", nullptr, "lessThan, greaterThan, activation (linear), whereBroadcastable", build_nd_shrink_layer},
    LayerMapping{"HardSwish", "", "", nullptr, "activation (sigmoidHard) + multiplyBroadcastable", build_nd_hard_swish_layer},
    LayerMapping{"Mish", "", "", nullptr, "activation (softplus, tanh) + multiplyBroadcastable", build_nd_mish_layer},
    LayerMapping{"LayerNormalization", "", "", nullptr, "reduceMean and broadcasting arithmetic", build_nd_layer_norm_layer},
    LayerMapping{"ReduceSum", "", "", nullptr, "reduceSum", build_nd_reduce_sum_layer},
    LayerMapping{"ReduceMean", "", "", nullptr, "reduceMean", build_nd_reduce_mean_layer},
    LayerMapping{"ReduceMax", "", "", nullptr, "reduceMax", build_nd_reduce_max_layer},
    LayerMapping{"ReduceMin", "", "", nullptr, "reduceMin", build_nd_reduce_min_layer},
    LayerMapping{"ReduceProd", "", "", nullptr, "reduceProd", build_nd_reduce_prod_layer},
    LayerMapping{"ReduceL1", "", "", nullptr, "reduceL1", build_nd_reduce_l1_layer},
    LayerMapping{"ReduceL2", "", "", nullptr, "reduceL2", build_nd_reduce_l2_layer},
    LayerMapping{"ReduceLogSum", "", "", nullptr, "reduceLogSum", build_nd_reduce_log_sum_layer},
    LayerMapping{"ReduceLogSumExp", "", "", nullptr, "reduceLogSumExp", build_nd_reduce_log_sum_exp_layer},
    LayerMapping{"ReduceSumSquare", "", "", nullptr, "reduceSumSquare", build_nd_reduce_sum_square_layer},
    LayerMapping{"ArgMax", "", "", nullptr, "argMax", build_nd_argmax_layer},
    LayerMapping{"ArgMin", "", "", nullptr, "argMin", build_nd_argmin_layer},
    LayerMapping{"TopK", "", "", nullptr, "topK (computed K: second input)", build_nd_topk_layer},
    LayerMapping{"CumSum", "", "", nullptr, "cumSum (computed axis: second input)", build_nd_cumsum_layer},
    LayerMapping{"Squeeze", "", "", nullptr, "squeeze", build_nd_squeeze_layer},
    LayerMapping{"Unsqueeze", "", "", nullptr, "expandDims", build_nd_unsqueeze_layer},
    LayerMapping{"Split", "", "", nullptr, "splitND", build_nd_split_layer},
    LayerMapping{"Expand", "", "", nullptr, "broadcastToStatic / broadcastToDynamic", build_nd_expand_layer},
    LayerMapping{"Tile", "", "", nullptr, "tile (computed repeats: second input, iOS 14)", build_nd_tile_layer},
    LayerMapping{"Shape", "", "", nullptr, "folded to a constant (loadConstantND)", build_nd_shape_layer},
    LayerMapping{"Size", "", "", nullptr, "folded to a constant (loadConstantND)", build_nd_size_layer},
    LayerMapping{"ConstantOfShape", "", "", nullptr, "folded to a constant (loadConstantND) / fillDynamic", build_nd_constant_of_shape_layer},
    LayerMapping{"Range", "", "", nullptr, "folded to a constant (loadConstantND) / rangeDynamic", build_nd_range_layer},
    LayerMapping{"Cast", "", "", nullptr, "activation (linear) / floor, sign, multiply / notEqual", build_nd_cast_layer},
    LayerMapping{"CastLike", "", "", nullptr, "activation (linear) / floor, sign, multiply / notEqual", build_nd_cast_like_layer},
    LayerMapping{"EyeLike", "", "", nullptr, "folded to a constant (loadConstantND)", build_nd_eye_like_layer},
    LayerMapping{"IsNaN", "", "", nullptr, "notEqual (x, x)", build_nd_isnan_layer},
    LayerMapping{"IsInf", "", "", nullptr, "unary (ABS) + equal (inf)", build_nd_isinf_layer},
    LayerMapping{"Slice", "", "", nullptr, "sliceStatic / sliceDynamic", build_nd_slice_layer},
    LayerMapping{"Gather", "", "", nullptr, "gather", build_nd_gather_layer},
    LayerMapping{"GatherElements", "", "", nullptr, "gatherAlongAxis", build_nd_gather_elements_layer},
    LayerMapping{"GatherND", "", "", nullptr, "gatherND", build_nd_gather_nd_layer},
    LayerMapping{"GridSample", "", "", nullptr, "gatherAlongAxis per sample, with arithmetic for positions and weights", build_nd_grid_sample_layer},
    LayerMapping{"NonZero", "", "", nullptr, "whereNonZero + transpose (or a constant)", build_nd_nonzero_layer},
    LayerMapping{"Compress", "", "", nullptr, "whereNonZero + squeeze + gather (or constant indices)", build_nd_compress_layer},
    LayerMapping{"ScatterElements", "", "", nullptr, "scatterAlongAxis", build_nd_scatter_elements_layer},
    LayerMapping{"Scatter", "", "", nullptr, "scatterAlongAxis", build_nd_scatter_elements_layer},
    LayerMapping{"ScatterND", "", "", nullptr, "scatterND", build_nd_scatter_nd_layer},
    LayerMapping{"OneHot", "", "", nullptr, "oneHot (computed depth: second input)", build_nd_one_hot_layer},
    LayerMapping{"DepthToSpace", "", "", nullptr, "reorganizeData (DEPTH_TO_SPACE / PIXEL_SHUFFLE)", build_nd_depth_to_space_layer},
    LayerMapping{"NegativeLogLikelihoodLoss", "", "", nullptr, "gatherAlongAxis + broadcasting arithmetic + reduceSum", build_nd_nll_loss_layer},
    LayerMapping{"SoftmaxCrossEntropyLoss", "", "", nullptr, "softmaxND + unary (LOG) + the NLL layers", build_nd_softmax_cross_entropy_layer},
    LayerMapping{"LSTM", "", "", nullptr, "uniDirectionalLSTM / biDirectionalLSTM (+ reshape, transpose)", build_nd_lstm_layer},
    LayerMapping{"GRU", "", "", nullptr, "gru (+ reverse, concatND, reshape, transpose)", build_nd_gru_layer},
    LayerMapping{"RNN", "", "", nullptr, "simpleRecurrent (+ reverse, concatND, reshape, transpose)", build_nd_rnn_layer},
    LayerMapping{"SpaceToDepth", "", "", nullptr, "reorganizeData (SPACE_TO_DEPTH)", build_nd_space_to_depth_layer},
    LayerMapping{"If", "", "", nullptr, "branch (bodies: the branches' layers + copy)", build_nd_if_layer},
    LayerMapping{"Loop", "", "", nullptr, "loop (body: the body's layers + copy; scan outputs: concatND + sliceStatic)", build_nd_loop_layer},
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
