// The build functions of the built-in op -> layer table (layer_table.cc), one per
// ONNX op, grouped by family in layers_*.cc.
#pragma once

#include "converter/export/layer_builder.h"

namespace mlconv::converter {

// layers_spatial.cc
void build_conv_layer(LayerBuilder& b);
void build_conv_transpose_layer(LayerBuilder& b);
void build_max_pool_layer(LayerBuilder& b);
void build_average_pool_layer(LayerBuilder& b);
void build_global_average_pool_layer(LayerBuilder& b);
void build_global_max_pool_layer(LayerBuilder& b);

// layers_dense.cc
void build_gemm_layer(LayerBuilder& b);
void build_matmul_layer(LayerBuilder& b);
void build_batch_norm_layer(LayerBuilder& b);

// layers_activation.cc
void build_relu_layer(LayerBuilder& b);
void build_leaky_relu_layer(LayerBuilder& b);
void build_prelu_layer(LayerBuilder& b);
void build_elu_layer(LayerBuilder& b);
void build_selu_layer(LayerBuilder& b);
void build_sigmoid_layer(LayerBuilder& b);
void build_hard_sigmoid_layer(LayerBuilder& b);
void build_tanh_layer(LayerBuilder& b);
void build_softplus_layer(LayerBuilder& b);
void build_softsign_layer(LayerBuilder& b);
void build_thresholded_relu_layer(LayerBuilder& b);
void build_clip_layer(LayerBuilder& b);
void build_softmax_layer(LayerBuilder& b);

// layers_tensor.cc
void build_add_layer(LayerBuilder& b);
void build_sub_layer(LayerBuilder& b);
void build_mul_layer(LayerBuilder& b);
void build_div_layer(LayerBuilder& b);
void build_concat_layer(LayerBuilder& b);
void build_flatten_layer(LayerBuilder& b);
void build_reshape_layer(LayerBuilder& b);
void build_transpose_layer(LayerBuilder& b);
void build_passthrough(LayerBuilder& b);

// layers_elementwise.cc
void build_exp_layer(LayerBuilder& b);
void build_log_layer(LayerBuilder& b);
void build_sqrt_layer(LayerBuilder& b);
void build_abs_layer(LayerBuilder& b);
void build_sum_layer(LayerBuilder& b);
void build_max_layer(LayerBuilder& b);
void build_min_layer(LayerBuilder& b);
void build_mean_layer(LayerBuilder& b);

// layers_normalization.cc
void build_lrn_layer(LayerBuilder& b);
void build_instance_norm_layer(LayerBuilder& b);
void build_pad_layer(LayerBuilder& b);

}  // namespace mlconv::converter
