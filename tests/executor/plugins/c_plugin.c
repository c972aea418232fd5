/* A plugin written in plain C against include/mlconv/custom_layer.h: class
 * "CScale" computes y = scale * x (parameter "scale", a double). Built a
 * second time with MLCONV_TEST_ABI_VERSION=999 to stand for a plugin built
 * against another version of the ABI. */
#include <stdlib.h>

#include "mlconv/custom_layer.h"

#ifndef MLCONV_TEST_ABI_VERSION
#define MLCONV_TEST_ABI_VERSION MLCONV_CUSTOM_LAYER_ABI_VERSION
#endif

typedef struct scale_layer {
  float scale;
} scale_layer;

static int32_t scale_create(void* class_data, const mlconv_layer_info* layer, const mlconv_params* params,
                            void** instance, mlconv_message* error) {
  (void)class_data;
  (void)layer;
  const mlconv_param* scale = mlconv_find_param(params, "scale");
  if (scale == NULL || scale->type != MLCONV_PARAM_DOUBLE) return mlconv_fail(error, "needs a double parameter 'scale'");
  scale_layer* self = (scale_layer*)malloc(sizeof(scale_layer));
  if (self == NULL) return mlconv_fail(error, "out of memory");
  self->scale = (float)scale->double_value;
  *instance = self;
  return MLCONV_OK;
}

static int32_t scale_output_shapes(void* instance, const mlconv_shape* inputs, int32_t input_count,
                                   mlconv_output_shape* outputs, int32_t capacity, int32_t* count,
                                   mlconv_message* error) {
  (void)instance;
  if (input_count != 1 || capacity < 1) return mlconv_fail(error, "takes one input and one output");
  if (inputs[0].rank > MLCONV_MAX_RANK) return mlconv_fail(error, "input rank too high");
  outputs[0].rank = inputs[0].rank;
  for (int32_t d = 0; d < inputs[0].rank; ++d) outputs[0].dims[d] = inputs[0].dims[d];
  *count = 1;
  return MLCONV_OK;
}

static int32_t scale_evaluate(void* instance, const mlconv_input* inputs, int32_t input_count,
                              const mlconv_output* outputs, int32_t output_count, const mlconv_run_context* context,
                              mlconv_message* error) {
  (void)input_count;
  (void)output_count;
  (void)context;
  (void)error;
  const float scale = ((const scale_layer*)instance)->scale;
  for (int64_t i = 0; i < inputs[0].element_count; ++i) outputs[0].data[i] = scale * inputs[0].data[i];
  return MLCONV_OK;
}

static void scale_destroy(void* instance) { free(instance); }

MLCONV_PLUGIN_EXPORT uint32_t mlconv_plugin_abi_version(void) { return MLCONV_TEST_ABI_VERSION; }

MLCONV_PLUGIN_EXPORT int32_t mlconv_plugin_register(const mlconv_registrar* registrar, mlconv_message* error) {
  const mlconv_custom_layer_class scale = {"CScale", NULL, scale_create, NULL, scale_output_shapes,
                                           scale_evaluate, scale_destroy};
  return registrar->register_class(registrar->host, &scale, error);
}
