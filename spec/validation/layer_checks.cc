// Checks of single layers: custom layers name their class and are wired, and
// every weight blob is stored the way Core ML can read it. Only sizes are
// needed, so these run on models loaded without their weight values.
#include <string>

#include "spec/model_parts.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/validator.h"
#include "spec/weights.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;

// Calls visit(where, layer) for every layer of the model's network, nested ones included.
void for_each_network_layer(const ModelScope& scope, const LayerVisitor& visit) {
  if (const auto network = network_of(scope.model)) for_each_layer(network->layers, visit);
}

// Calls visit(where, layer, blob) for every weight blob of every layer.
template <typename Visit>
void for_each_blob(const ModelScope& scope, Visit visit) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    for (const WeightBlob& blob : layer_weights(layer)) visit(where, layer, blob);
  });
}

void check_custom_class_name(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (!layer.has_custom() || !layer.custom().classname().empty()) return;
    reporter.report_layer(where, layer,
                          "a custom layer must name the class that implements it (className is empty)",
                          "set className to the name of the app's MLCustomLayer class, e.g. 'Swish'");
  });
}

void check_custom_wiring(const ModelScope& scope, Reporter& reporter) {
  for_each_network_layer(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (!layer.has_custom()) return;
    if (layer.input_size() > 0 && layer.output_size() > 0) return;
    const std::string missing = layer.input_size() == 0 && layer.output_size() == 0 ? "no inputs and no outputs"
                                : layer.input_size() == 0                          ? "no inputs"
                                                                                   : "no outputs";
    reporter.report_layer(where, layer, "a custom layer needs at least one input and one output; this one has " + missing,
                          "connect the layer to the blobs it reads and writes");
  });
}

std::string blob_what(const WeightBlob& blob) { return "weight blob '" + blob.field + "'"; }

void check_single_storage(const ModelScope& scope, Reporter& reporter) {
  for_each_blob(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer, const WeightBlob& blob) {
    if (blob.storage != WeightStorage::ambiguous) return;
    reporter.report_layer(where, layer,
                          blob_what(blob) + " stores values in more than one of floatValue, float16Value, rawValue "
                          "and int8RawValue; exactly one may be set",
                          "keep the one storage field the weights are meant to be in and clear the others");
  });
}

void check_float16_length(const ModelScope& scope, Reporter& reporter) {
  for_each_blob(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer, const WeightBlob& blob) {
    if (blob.storage != WeightStorage::float16 || blob.bytes % 2 == 0) return;
    reporter.report_layer(where, layer,
                          blob_what(blob) + " holds " + std::to_string(blob.bytes) +
                              " bytes of float16Value; half floats take 2 bytes each, so the length must be even",
                          "re-export the weights: the blob is truncated or has a stray byte");
  });
}

constexpr std::uint64_t max_quantization_bits = 8;

void check_quantization_bits(const ModelScope& scope, Reporter& reporter) {
  for_each_blob(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer, const WeightBlob& blob) {
    if (!blob.params->has_quantization()) return;
    const std::uint64_t bits = blob.params->quantization().numberofbits();
    if (bits >= 1 && bits <= max_quantization_bits) return;
    reporter.report_layer(where, layer,
                          blob_what(blob) + " is quantized with numberOfBits " + std::to_string(bits) +
                              "; quantized weights use 1 to 8 bits",
                          "re-quantize the weights with 1 to 8 bits per value");
  });
}

void check_lookup_table_size(const ModelScope& scope, Reporter& reporter) {
  for_each_blob(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer, const WeightBlob& blob) {
    if (!blob.params->has_quantization()) return;
    const cml::QuantizationParams& quantization = blob.params->quantization();
    if (!quantization.has_lookuptablequantization()) return;
    const std::uint64_t bits = quantization.numberofbits();
    if (bits < 1 || bits > max_quantization_bits) return;  // E044
    const std::uint64_t expected = std::uint64_t{1} << bits;
    const auto actual = static_cast<std::uint64_t>(quantization.lookuptablequantization().floatvalue_size());
    if (actual == expected) return;
    reporter.report_layer(where, layer,
                          blob_what(blob) + " has a lookup table of " + std::to_string(actual) + " entries; with " +
                              std::to_string(bits) + "-bit codes it must have 2^" + std::to_string(bits) + " = " +
                              std::to_string(expected),
                          "store one table entry per possible code");
  });
}

}  // namespace

void register_layer_checks(CheckList& list) {
  list.add({"E040", Severity::error, "a custom layer names its implementing class", check_custom_class_name});
  list.add({"E041", Severity::error, "a custom layer has at least one input and one output", check_custom_wiring});
  list.add({"E042", Severity::error, "a weight blob uses exactly one storage field", check_single_storage});
  list.add({"E043", Severity::error, "float16 weights have an even number of bytes", check_float16_length});
  list.add({"E044", Severity::error, "quantized weights use 1 to 8 bits", check_quantization_bits});
  list.add({"E045", Severity::error, "a lookup table has 2^numberOfBits entries", check_lookup_table_size});
}

}  // namespace mlconv::spec::validation
