/* The C ABI between mlconv and custom layer plugins (shared libraries that
 * implement CustomLayerParams classes for `mlconv run`), modelled on Core ML's
 * MLCustomLayer protocol: create from parameters (init(parameters:)), set
 * weights (setWeightData), output shapes from input shapes
 * (outputShapes(forInputShapes:)), evaluate (evaluate(inputs:outputs:)).
 *
 * A plugin exports two functions (MLCONV_PLUGIN in custom_layer.hpp writes
 * them for C++ plugins):
 *   uint32_t mlconv_plugin_abi_version(void);          returns MLCONV_CUSTOM_LAYER_ABI_VERSION
 *   int32_t  mlconv_plugin_register(const mlconv_registrar*, mlconv_message* error);
 *                                     calls registrar->register_class once per class
 * The host reads the version first and calls nothing else on a mismatch, so
 * every struct below may change between versions. Plain C99; no host symbols
 * are needed (everything the plugin calls comes through function pointers).
 * Docs: docs/plugins.md. */
#ifndef MLCONV_CUSTOM_LAYER_H
#define MLCONV_CUSTOM_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on any incompatible change to this file. */
#define MLCONV_CUSTOM_LAYER_ABI_VERSION 1u

#define MLCONV_PLUGIN_ABI_VERSION_SYMBOL "mlconv_plugin_abi_version"
#define MLCONV_PLUGIN_REGISTER_SYMBOL "mlconv_plugin_register"

#if defined(_WIN32)
#define MLCONV_PLUGIN_EXPORT __declspec(dllexport)
#else
#define MLCONV_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

/* Every call returns a status; anything but MLCONV_OK is a failure, explained
 * by the message the plugin writes into the host's buffer. */
#define MLCONV_OK 0
#define MLCONV_FAILED 1

/* Maximum rank of an output shape a plugin can return. */
#define MLCONV_MAX_RANK 16

/* A host-owned buffer for an error message; starts as "". */
typedef struct mlconv_message {
  char* text;
  size_t capacity; /* bytes, including the terminating NUL */
} mlconv_message;

/* Copies `text` into the message (truncating) and returns MLCONV_FAILED, so
 * `return mlconv_fail(error, "k must be positive");` reads naturally. */
static inline int32_t mlconv_fail(mlconv_message* message, const char* text) {
  if (message != NULL && message->text != NULL && message->capacity > 0) {
    size_t length = strlen(text);
    if (length >= message->capacity) length = message->capacity - 1;
    memcpy(message->text, text, length);
    message->text[length] = '\0';
  }
  return MLCONV_FAILED;
}

/* ---- Parameters: CustomLayerParams.parameters, typed exactly as stored ---- */

typedef enum mlconv_param_type {
  MLCONV_PARAM_DOUBLE = 1, /* doubleValue */
  MLCONV_PARAM_STRING = 2, /* stringValue */
  MLCONV_PARAM_INT32 = 3,  /* intValue */
  MLCONV_PARAM_INT64 = 4,  /* longValue */
  MLCONV_PARAM_BOOL = 5,   /* boolValue */
  MLCONV_PARAM_UNSET = 6   /* a map entry whose value oneof is empty */
} mlconv_param_type;

typedef struct mlconv_param {
  const char* name;
  int32_t type; /* mlconv_param_type */
  double double_value;
  const char* string_value; /* NUL-terminated; string_length excludes the NUL (the string may hold NULs) */
  size_t string_length;
  int32_t int32_value;
  int64_t int64_value;
  int32_t bool_value; /* 0 or 1 */
} mlconv_param;

/* Sorted by name; valid only during create(). */
typedef struct mlconv_params {
  const mlconv_param* items;
  int32_t count;
} mlconv_params;

/* The parameter called `name`, or NULL. */
static inline const mlconv_param* mlconv_find_param(const mlconv_params* params, const char* name) {
  for (int32_t i = 0; params != NULL && i < params->count; ++i)
    if (strcmp(params->items[i].name, name) == 0) return &params->items[i];
  return NULL;
}

/* The layer being instantiated; valid only during create(). */
typedef struct mlconv_layer_info {
  const char* layer_name;
  const char* class_name;
  const char* description;
  int32_t input_count;  /* names the layer lists in `input` */
  int32_t output_count; /* names the layer lists in `output`: output_shapes() must return this many */
} mlconv_layer_info;

/* ---- Weights: CustomLayerParams.weights, in order ---- */

typedef enum mlconv_weight_type {
  MLCONV_WEIGHT_FLOAT32 = 1, /* floatValue: data holds element_count floats */
  MLCONV_WEIGHT_FLOAT16 = 2, /* float16Value: data holds element_count little-endian halves */
  MLCONV_WEIGHT_BYTES = 3    /* rawValue / int8RawValue (quantized or opaque) or an empty blob: element_count bytes */
} mlconv_weight_type;

/* Valid until the instance is destroyed; never written by the plugin. */
typedef struct mlconv_weight {
  int32_t type;            /* mlconv_weight_type */
  const char* storage;     /* "float32", "float16", "bytes", "int8", "uint4 linear", "uint2 lut", "empty" */
  uint32_t bits;           /* bits per stored element (code width for quantized blobs) */
  const void* data;        /* the bytes as stored in the model */
  uint64_t byte_count;
  uint64_t element_count;  /* floats, halves or bytes, per `type` */
  /* The values decoded to float32 (halves widened, quantized codes dequantized
   * with the blob's quantization parameters), or NULL for opaque bytes. */
  const float* floats;
  uint64_t float_count;
} mlconv_weight;

/* ---- Tensors: dense, row-major float32 ---- */

typedef struct mlconv_shape {
  const int64_t* dims;
  int32_t rank;
} mlconv_shape;

/* Filled by output_shapes(). */
typedef struct mlconv_output_shape {
  int32_t rank; /* 1 .. MLCONV_MAX_RANK */
  int64_t dims[MLCONV_MAX_RANK];
} mlconv_output_shape;

typedef struct mlconv_input {
  const float* data;
  mlconv_shape shape;
  int64_t element_count;
} mlconv_input;

/* Allocated by the host with the shape output_shapes() returned; contents unspecified. */
typedef struct mlconv_output {
  float* data;
  mlconv_shape shape;
  int64_t element_count;
} mlconv_output;

/* A body for parallel_for: processes [begin, end); returns MLCONV_OK or a failure. */
typedef int32_t (*mlconv_range_body)(void* data, int64_t begin, int64_t end);

/* The host's thread pool, offered to evaluate(). */
typedef struct mlconv_run_context {
  int32_t threads; /* workers available, including the calling thread */
  void* host;
  /* Calls body on disjoint ranges covering [0, count), each at least
   * min_chunk long (except the last), possibly concurrently; returns when all
   * are done. Returns MLCONV_FAILED when a body failed (later ranges may be skipped). */
  int32_t (*parallel_for)(void* host, int64_t count, int64_t min_chunk, mlconv_range_body body, void* data);
} mlconv_run_context;

/* ---- A custom layer class ---- */

typedef struct mlconv_custom_layer_class {
  const char* class_name; /* CustomLayerParams.className this implements */
  void* class_data;       /* passed to create() */

  /* Makes an instance for one layer (init(parameters:)). On failure the host
   * does not call destroy(). *instance may stay NULL for stateless classes. */
  int32_t (*create)(void* class_data, const mlconv_layer_info* layer, const mlconv_params* params, void** instance,
                    mlconv_message* error);
  /* Called once after create(), with every weight blob (count may be 0). */
  int32_t (*set_weights)(void* instance, const mlconv_weight* weights, int32_t count, mlconv_message* error);
  /* Writes one shape per layer output into outputs[0 .. capacity) and the
   * number of shapes into *count. Called before the first evaluate() and
   * whenever the input shapes change. */
  int32_t (*output_shapes)(void* instance, const mlconv_shape* inputs, int32_t input_count,
                           mlconv_output_shape* outputs, int32_t capacity, int32_t* count, mlconv_message* error);
  /* Computes the outputs (evaluate(inputs:outputs:)). Inputs never alias outputs. */
  int32_t (*evaluate)(void* instance, const mlconv_input* inputs, int32_t input_count, const mlconv_output* outputs,
                      int32_t output_count, const mlconv_run_context* context, mlconv_message* error);
  /* Frees the instance; may be NULL when there is nothing to free. */
  void (*destroy)(void* instance);
} mlconv_custom_layer_class;

/* Given to mlconv_plugin_register(). */
typedef struct mlconv_registrar {
  uint32_t abi_version; /* the host's MLCONV_CUSTOM_LAYER_ABI_VERSION */
  void* host;
  /* Registers a class; the host copies the struct and the name. Fails (and
   * fills error) when the class name is empty or already registered. */
  int32_t (*register_class)(void* host, const mlconv_custom_layer_class* layer_class, mlconv_message* error);
} mlconv_registrar;

typedef uint32_t (*mlconv_plugin_abi_version_fn)(void);
typedef int32_t (*mlconv_plugin_register_fn)(const mlconv_registrar* registrar, mlconv_message* error);

#ifdef __cplusplus
}
#endif

#endif /* MLCONV_CUSTOM_LAYER_H */
