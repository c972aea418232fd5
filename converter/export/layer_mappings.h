// The build functions of the built-in op -> layer table (layer_table.cc), one per
// ONNX op, grouped by family in layers_*.cc (rank-5 layers) and layers_nd_*.cc
// (N-d layers for exact-shape networks).
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
void build_lp_pool_layer(LayerBuilder& b);
void build_global_lp_pool_layer(LayerBuilder& b);

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

// layers_resize.cc (Resize / Upsample -> upsample, both network kinds)
void build_resize_layer(LayerBuilder& b);
void build_nd_resize_layer(LayerBuilder& b);

// layers_nd_einsum.cc (N-d, iOS 13)
void build_nd_einsum_layer(LayerBuilder& b);

// layers_nd_gridsample.cc (N-d, iOS 13)
void build_nd_grid_sample_layer(LayerBuilder& b);

// layers_nd_quantize.cc (N-d, iOS 13)
void build_nd_quantize_linear_layer(LayerBuilder& b);
void build_nd_dequantize_linear_layer(LayerBuilder& b);
void build_nd_dynamic_quantize_linear_layer(LayerBuilder& b);

// layers_nd_recurrent.cc (N-d, iOS 13)
void build_nd_lstm_layer(LayerBuilder& b);
void build_nd_gru_layer(LayerBuilder& b);
void build_nd_rnn_layer(LayerBuilder& b);

// layers_nd_activation.cc (N-d, iOS 13)
void build_nd_softmax_layer(LayerBuilder& b);
void build_nd_log_softmax_layer(LayerBuilder& b);
void build_nd_hardmax_layer(LayerBuilder& b);
void build_nd_prelu_layer(LayerBuilder& b);
void build_nd_shrink_layer(LayerBuilder& b);
void build_nd_celu_layer(LayerBuilder& b);
void build_nd_hard_swish_layer(LayerBuilder& b);
void build_nd_mish_layer(LayerBuilder& b);

// layers_nd_dense.cc (N-d, iOS 13)
void build_nd_matmul_layer(LayerBuilder& b);
void build_nd_gemm_layer(LayerBuilder& b);
void build_nd_batch_norm_layer(LayerBuilder& b);
void build_nd_instance_norm_layer(LayerBuilder& b);
void build_nd_layer_norm_layer(LayerBuilder& b);

// layers_nd_elementwise.cc (N-d, iOS 13)
void build_nd_add_layer(LayerBuilder& b);
void build_nd_sub_layer(LayerBuilder& b);
void build_nd_mul_layer(LayerBuilder& b);
void build_nd_div_layer(LayerBuilder& b);
void build_nd_pow_layer(LayerBuilder& b);
void build_nd_sum_layer(LayerBuilder& b);
void build_nd_max_layer(LayerBuilder& b);
void build_nd_min_layer(LayerBuilder& b);
void build_nd_mean_layer(LayerBuilder& b);
void build_nd_mod_layer(LayerBuilder& b);
void build_nd_isnan_layer(LayerBuilder& b);
void build_nd_isinf_layer(LayerBuilder& b);
void build_nd_equal_layer(LayerBuilder& b);
void build_nd_greater_layer(LayerBuilder& b);
void build_nd_greater_equal_layer(LayerBuilder& b);
void build_nd_less_layer(LayerBuilder& b);
void build_nd_less_equal_layer(LayerBuilder& b);
void build_nd_and_layer(LayerBuilder& b);
void build_nd_or_layer(LayerBuilder& b);
void build_nd_xor_layer(LayerBuilder& b);
void build_nd_not_layer(LayerBuilder& b);
void build_nd_where_layer(LayerBuilder& b);
void build_nd_clip_layer(LayerBuilder& b);
void build_nd_exp_layer(LayerBuilder& b);
void build_nd_log_layer(LayerBuilder& b);
void build_nd_sqrt_layer(LayerBuilder& b);
void build_nd_abs_layer(LayerBuilder& b);
void build_nd_reciprocal_layer(LayerBuilder& b);
void build_nd_neg_layer(LayerBuilder& b);
void build_nd_floor_layer(LayerBuilder& b);
void build_nd_ceil_layer(LayerBuilder& b);
void build_nd_round_layer(LayerBuilder& b);
void build_nd_sign_layer(LayerBuilder& b);
void build_nd_sin_layer(LayerBuilder& b);
void build_nd_cos_layer(LayerBuilder& b);
void build_nd_tan_layer(LayerBuilder& b);
void build_nd_asin_layer(LayerBuilder& b);
void build_nd_acos_layer(LayerBuilder& b);
void build_nd_atan_layer(LayerBuilder& b);
void build_nd_sinh_layer(LayerBuilder& b);
void build_nd_cosh_layer(LayerBuilder& b);
void build_nd_asinh_layer(LayerBuilder& b);
void build_nd_acosh_layer(LayerBuilder& b);
void build_nd_atanh_layer(LayerBuilder& b);
void build_nd_erf_layer(LayerBuilder& b);
void build_nd_trilu_layer(LayerBuilder& b);
void build_nd_gelu_layer(LayerBuilder& b);

// layers_nd_indexing.cc (N-d, iOS 13)
void build_nd_slice_layer(LayerBuilder& b);
void build_nd_gather_layer(LayerBuilder& b);
void build_nd_gather_elements_layer(LayerBuilder& b);
void build_nd_gather_nd_layer(LayerBuilder& b);
void build_nd_nonzero_layer(LayerBuilder& b);
void build_nd_compress_layer(LayerBuilder& b);
void build_nd_scatter_elements_layer(LayerBuilder& b);
void build_nd_scatter_nd_layer(LayerBuilder& b);
void build_nd_one_hot_layer(LayerBuilder& b);
void build_nd_pad_layer(LayerBuilder& b);
void build_nd_depth_to_space_layer(LayerBuilder& b);
void build_nd_space_to_depth_layer(LayerBuilder& b);

// layers_nd_loss.cc (N-d, iOS 13)
void build_nd_nll_loss_layer(LayerBuilder& b);
void build_nd_softmax_cross_entropy_layer(LayerBuilder& b);

// layers_nd_reduce.cc (N-d, iOS 13)
void build_nd_reduce_sum_layer(LayerBuilder& b);
void build_nd_reduce_mean_layer(LayerBuilder& b);
void build_nd_reduce_max_layer(LayerBuilder& b);
void build_nd_reduce_min_layer(LayerBuilder& b);
void build_nd_reduce_prod_layer(LayerBuilder& b);
void build_nd_reduce_l1_layer(LayerBuilder& b);
void build_nd_reduce_l2_layer(LayerBuilder& b);
void build_nd_reduce_log_sum_layer(LayerBuilder& b);
void build_nd_reduce_log_sum_exp_layer(LayerBuilder& b);
void build_nd_reduce_sum_square_layer(LayerBuilder& b);
void build_nd_argmax_layer(LayerBuilder& b);
void build_nd_argmin_layer(LayerBuilder& b);
void build_nd_topk_layer(LayerBuilder& b);
void build_nd_cumsum_layer(LayerBuilder& b);

// layers_nd_shape.cc (N-d, iOS 13)
void build_nd_reshape_layer(LayerBuilder& b);
void build_nd_flatten_layer(LayerBuilder& b);
void build_nd_squeeze_layer(LayerBuilder& b);
void build_nd_unsqueeze_layer(LayerBuilder& b);
void build_nd_transpose_layer(LayerBuilder& b);
void build_nd_concat_layer(LayerBuilder& b);
void build_nd_split_layer(LayerBuilder& b);
void build_nd_expand_layer(LayerBuilder& b);
void build_nd_tile_layer(LayerBuilder& b);
void build_nd_shape_layer(LayerBuilder& b);
void build_nd_size_layer(LayerBuilder& b);
void build_nd_constant_of_shape_layer(LayerBuilder& b);
void build_nd_range_layer(LayerBuilder& b);
void build_nd_cast_layer(LayerBuilder& b);
void build_nd_cast_like_layer(LayerBuilder& b);
void build_nd_eye_like_layer(LayerBuilder& b);

}  // namespace mlconv::converter
