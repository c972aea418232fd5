// Checks that every weight blob a layer needs is there and holds exactly as
// many values as the layer's parameters say (convolution filters, matrices,
// per-channel vectors, constants), and that a layer does not mix float16 and
// float32 blobs. Sizes come from layer_weights(), so these checks run on
// models loaded without their weight values.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "spec/model_parts.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/validator.h"
#include "spec/weights.h"

namespace mlconv::spec::validation {

namespace {

namespace cml = CoreML::Specification;

// A hostile file can make these products overflow; saturate so the comparison
// still fails instead of wrapping to a small number that might match.
std::uint64_t times(std::uint64_t a, std::uint64_t b) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) return std::numeric_limits<std::uint64_t>::max();
  return a * b;
}

// One term of a size rule: "outputChannels 6".
struct Factor {
  std::string name;
  std::uint64_t value;
};

// What one weight blob must hold: the product of its factors.
struct Expectation {
  std::string field;  // as layer_weights names it: "weights", "weightParams[1].inputGateBiasVector"
  std::vector<Factor> factors;
  bool required = true;  // false: only checked when present

  [[nodiscard]] std::uint64_t count() const {
    std::uint64_t n = 1;
    for (const Factor& f : factors) n = times(n, f.value);
    return n;
  }
  // "outputChannels 6 x kernelChannels 3 x 3 x 3 = 162"
  [[nodiscard]] std::string rule() const {
    std::string out;
    for (const Factor& f : factors) {
      out += (out.empty() ? "" : " x ") + (f.name.empty() ? "" : f.name + " ") + std::to_string(f.value);
    }
    if (factors.size() > 1) out += " = " + std::to_string(count());
    return out;
  }
};

using Expectations = std::vector<Expectation>;

template <typename Field>
std::vector<Factor> shape_factors(const Field& shape, const std::string& name) {
  std::vector<Factor> factors;
  for (int i = 0; i < shape.size(); ++i) {
    factors.push_back({name + "[" + std::to_string(i) + "]", static_cast<std::uint64_t>(shape.Get(i))});
  }
  return factors;
}

// The weights of one LSTM direction; biases and peepholes only when their flag
// asks for them (Core ML ignores them otherwise).
void add_lstm(const std::string& prefix, std::uint64_t x, std::uint64_t h, const cml::LSTMParams& params,
              Expectations& out) {
  const Factor in{"inputVectorSize", x};
  const Factor hidden{"outputVectorSize", h};
  for (const std::string gate : {"inputGate", "forgetGate", "blockInput", "outputGate"}) {
    out.push_back({prefix + gate + "WeightMatrix", {hidden, in}});
    out.push_back({prefix + gate + "RecursionMatrix", {hidden, hidden}});
    if (params.hasbiasvectors()) out.push_back({prefix + gate + "BiasVector", {hidden}});
  }
  if (!params.haspeepholevectors()) return;
  for (const std::string gate : {"inputGate", "forgetGate", "outputGate"}) {
    out.push_back({prefix + gate + "PeepholeVector", {hidden}});
  }
}

// The weight blobs each layer type stores, with their sizes. Layer types
// missing here have no weights, or (custom) weights only their class understands.
Expectations expectations(const cml::NeuralNetworkLayer& layer) {
  Expectations out;
  switch (layer.layer_case()) {
    case cml::NeuralNetworkLayer::kConvolution: {
      const auto& p = layer.convolution();
      if (layer.input_size() > 1) break;  // weights come from the second input
      const Factor kh{"kernelHeight", p.kernelsize_size() > 0 ? p.kernelsize(0) : 3};
      const Factor kw{"kernelWidth", p.kernelsize_size() > 1 ? p.kernelsize(1) : 3};
      const std::uint64_t groups = std::max<std::uint64_t>(p.ngroups(), 1);
      if (p.isdeconvolution()) {
        out.push_back({"weights",
                       {{"kernelChannels", p.kernelchannels()},
                        {"outputChannels / nGroups", p.outputchannels() / groups},
                        kh,
                        kw}});
      } else {
        out.push_back({"weights", {{"outputChannels", p.outputchannels()}, {"kernelChannels", p.kernelchannels()}, kh, kw}});
      }
      if (p.hasbias()) out.push_back({"bias", {{"outputChannels", p.outputchannels()}}});
      break;
    }
    case cml::NeuralNetworkLayer::kInnerProduct: {
      const auto& p = layer.innerproduct();
      out.push_back({"weights", {{"outputChannels", p.outputchannels()}, {"inputChannels", p.inputchannels()}}});
      if (p.hasbias()) out.push_back({"bias", {{"outputChannels", p.outputchannels()}}});
      break;
    }
    case cml::NeuralNetworkLayer::kBatchnorm: {
      const auto& p = layer.batchnorm();
      const Factor c{"channels", p.channels()};
      out.push_back({"gamma", {c}});
      out.push_back({"beta", {c}});
      out.push_back({"mean", {c}, !p.computemeanvar()});
      out.push_back({"variance", {c}, !p.computemeanvar()});
      break;
    }
    case cml::NeuralNetworkLayer::kEmbedding: {
      const auto& p = layer.embedding();
      out.push_back({"weights", {{"outputChannels", p.outputchannels()}, {"inputDim", p.inputdim()}}});
      if (p.hasbias()) out.push_back({"bias", {{"outputChannels", p.outputchannels()}}});
      break;
    }
    case cml::NeuralNetworkLayer::kEmbeddingND: {
      const auto& p = layer.embeddingnd();
      out.push_back({"weights", {{"embeddingSize", p.embeddingsize()}, {"vocabSize", p.vocabsize()}}});
      if (p.hasbias()) out.push_back({"bias", {{"embeddingSize", p.embeddingsize()}}});
      break;
    }
    case cml::NeuralNetworkLayer::kScale: {
      const auto& p = layer.scale();
      out.push_back({"scale", shape_factors(p.shapescale(), "shapeScale")});
      if (p.hasbias()) out.push_back({"bias", shape_factors(p.shapebias(), "shapeBias")});
      break;
    }
    case cml::NeuralNetworkLayer::kBias:
      out.push_back({"bias", shape_factors(layer.bias().shape(), "shape")});
      break;
    case cml::NeuralNetworkLayer::kLoadConstant:
      out.push_back({"data", shape_factors(layer.loadconstant().shape(), "shape")});
      break;
    case cml::NeuralNetworkLayer::kLoadConstantND:
      out.push_back({"data", shape_factors(layer.loadconstantnd().shape(), "shape")});
      break;
    case cml::NeuralNetworkLayer::kSimpleRecurrent: {
      const auto& p = layer.simplerecurrent();
      const Factor x{"inputVectorSize", p.inputvectorsize()};
      const Factor h{"outputVectorSize", p.outputvectorsize()};
      out.push_back({"weightMatrix", {h, x}});
      out.push_back({"recursionMatrix", {h, h}});
      if (p.hasbiasvector()) out.push_back({"biasVector", {h}});
      break;
    }
    case cml::NeuralNetworkLayer::kGru: {
      const auto& p = layer.gru();
      const Factor x{"inputVectorSize", p.inputvectorsize()};
      const Factor h{"outputVectorSize", p.outputvectorsize()};
      for (const char* gate : {"updateGate", "resetGate", "outputGate"}) {
        out.push_back({std::string(gate) + "WeightMatrix", {h, x}});
        out.push_back({std::string(gate) + "RecursionMatrix", {h, h}});
        if (p.hasbiasvectors()) out.push_back({std::string(gate) + "BiasVector", {h}});
      }
      break;
    }
    case cml::NeuralNetworkLayer::kUniDirectionalLSTM: {
      const auto& p = layer.unidirectionallstm();
      add_lstm("weightParams.", p.inputvectorsize(), p.outputvectorsize(), p.params(), out);
      break;
    }
    case cml::NeuralNetworkLayer::kBiDirectionalLSTM: {
      const auto& p = layer.bidirectionallstm();
      for (int d = 0; d < 2; ++d) {
        add_lstm("weightParams[" + std::to_string(d) + "].", p.inputvectorsize(), p.outputvectorsize(), p.params(),
                 out);
      }
      break;
    }
    case cml::NeuralNetworkLayer::kBatchedMatmul: {
      const auto& p = layer.batchedmatmul();
      if (layer.input_size() != 1) break;  // B is the second input, not a constant
      const Factor k{"weightMatrixFirstDimension", p.weightmatrixfirstdimension()};
      const Factor n{"weightMatrixSecondDimension", p.weightmatrixseconddimension()};
      out.push_back({"weights", {k, n}});
      if (p.hasbias()) out.push_back({"bias", {n}});
      break;
    }
    case cml::NeuralNetworkLayer::kLayerNormalization: {
      const auto& p = layer.layernormalization();
      out.push_back({"gamma", shape_factors(p.normalizedshape(), "normalizedShape")});
      out.push_back({"beta", shape_factors(p.normalizedshape(), "normalizedShape")});
      break;
    }
    case cml::NeuralNetworkLayer::kActivation: {
      // Per-channel parameters: their count against C needs shapes (E102); here only presence.
      const auto& a = layer.activation();
      if (a.has_prelu()) out.push_back({"PReLU.alpha", {}});
      if (a.has_parametricsoftplus()) {
        out.push_back({"parametricSoftplus.alpha", {}});
        out.push_back({"parametricSoftplus.beta", {}});
      }
      break;
    }
    default: break;
  }
  return out;
}

const WeightBlob* find_blob(const std::vector<WeightBlob>& blobs, const std::string& field) {
  const auto it = std::find_if(blobs.begin(), blobs.end(), [&](const WeightBlob& b) { return b.field == field; });
  return it == blobs.end() ? nullptr : &*it;
}

bool stores_values(const WeightBlob* blob) { return blob != nullptr && blob->storage != WeightStorage::empty; }

template <typename Visit>
void for_each_expectation(const ModelScope& scope, Visit visit) {
  const auto network = network_of(scope.model);
  if (!network) return;
  for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    const Expectations expected = expectations(layer);
    if (expected.empty()) return;
    const std::vector<WeightBlob> blobs = layer_weights(layer);
    for (const Expectation& e : expected) visit(where, layer, e, find_blob(blobs, e.field));
  });
}

void check_required_weights(const ModelScope& scope, Reporter& reporter) {
  for_each_expectation(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer,
                                  const Expectation& e, const WeightBlob* blob) {
    if (!e.required || stores_values(blob)) return;
    reporter.report_layer(where, layer,
                          "weight blob '" + e.field + "' is missing or empty; this layer needs it" +
                              (e.factors.empty() ? "" : " (" + e.rule() + " values)"),
                          "store the values of '" + e.field + "', or turn off the flag that asks for it");
  });
}

std::string values(std::uint64_t n) { return std::to_string(n) + (n == 1 ? " value" : " values"); }

void check_weight_counts(const ModelScope& scope, Reporter& reporter) {
  for_each_expectation(scope, [&](const std::string& where, const cml::NeuralNetworkLayer& layer,
                                  const Expectation& e, const WeightBlob* blob) {
    if (!stores_values(blob) || e.factors.empty()) return;
    const std::uint64_t expected = e.count();
    const std::string what = "weight blob '" + e.field + "'";
    const std::string hint = "re-export the layer so that '" + e.field + "' holds " + values(expected) +
                             ", or correct the sizes in its parameters";
    switch (blob->storage) {
      case WeightStorage::float32:
      case WeightStorage::int8:
        if (blob->count == expected) return;
        break;
      case WeightStorage::float16:
        if (blob->bytes % 2 != 0 || blob->count == expected) return;  // odd lengths are E043's
        break;
      case WeightStorage::linear_quantized:
      case WeightStorage::lut_quantized: {
        // Codes are bit-packed: n values of b bits take ceil(n * b / 8) bytes.
        const std::uint64_t bits = times(expected, blob->bits);
        const std::uint64_t needed = bits / 8 + (bits % 8 != 0 ? 1 : 0);
        if (blob->bytes >= needed) return;
        reporter.report_layer(where, layer,
                              what + " holds " + std::to_string(blob->bytes) + " bytes of " +
                                  std::to_string(blob->bits) + "-bit codes; " + e.rule() + " values need " +
                                  std::to_string(needed) + " bytes",
                              hint);
        return;
      }
      default: return;  // raw bytes and ambiguous storage (E042) have no element count
    }
    reporter.report_layer(where, layer, what + " holds " + values(blob->count) + "; " + e.rule(), hint);
  });
}

void check_mixed_precision(const ModelScope& scope, Reporter& reporter) {
  const auto network = network_of(scope.model);
  if (!network) return;
  for_each_layer(network->layers, [&](const std::string& where, const cml::NeuralNetworkLayer& layer) {
    if (expectations(layer).empty()) return;
    const WeightBlob* half = nullptr;
    const WeightBlob* full = nullptr;
    const std::vector<WeightBlob> blobs = layer_weights(layer);
    for (const WeightBlob& blob : blobs) {
      if (blob.storage == WeightStorage::float16 && half == nullptr) half = &blob;
      if (blob.storage == WeightStorage::float32 && full == nullptr) full = &blob;
    }
    if (half == nullptr || full == nullptr) return;
    reporter.report_layer(where, layer,
                          "weight blob '" + half->field + "' is float16 but '" + full->field +
                              "' is float32; a layer's float weights must all have the same precision",
                          "store all of the layer's weights as float16, or all as float32");
  });
}

}  // namespace

void register_layer_weight_checks(CheckList& list) {
  list.add({"E070", Severity::error, "every weight blob a layer's parameters require is present", check_required_weights});
  list.add({"E071", Severity::error, "a weight blob holds the number of values the layer's parameters imply",
            check_weight_counts});
  list.add({"E072", Severity::error, "a layer's float weights are all float16 or all float32", check_mixed_precision});
}

}  // namespace mlconv::spec::validation
