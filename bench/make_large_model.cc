// mlconv_make_large_model: writes a Core ML image classifier of a requested size
// for the memory and timing benchmarks (bench/run.sh).
//
// The shape is that of VGG16 with batch normalisation, the classic 500 MB Core ML
// model: 13 3x3 convolutions + batchnorm + ReLU in five pooled stages, a custom
// layer, and three inner-product layers of which fc6 alone holds most of the
// weights. A single huge packed float field is what a real model of this size
// looks like and is the hard case for a streaming parser, so the benchmark keeps it.
// Stage 5 and fc7 store float16, the custom layer a float32 blob and opaque bytes.
//
// The size is hit by solving for the fc6/fc7 width and then sizing the custom
// layer's raw blob so that the serialized model is exactly the requested size.
// Weights come from a seeded xoshiro256** generator, so a seed and a size always
// give byte-identical files.
#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "Model.pb.h"
#include "spec/error.h"
#include "spec/model_io.h"
#include "spec/spec_version.h"

namespace {

namespace cml = CoreML::Specification;
using mlconv::Error;

constexpr double bytes_per_megabyte = 1024.0 * 1024.0;  // as `ls -lh` and `du -m` count
constexpr int spec_version = 4;                         // iOS 13: custom layers and float16 need 2
constexpr std::uint64_t image_side = 224;
constexpr std::uint64_t class_count = 1000;
constexpr std::uint64_t smallest_hidden = 16;
// Room for the length prefixes that grow as blobs are filled; the raw blob absorbs the rest.
constexpr std::uint64_t minimum_padding = 4096;
// protobuf refuses to serialize or parse a message of 2 GiB or more.
constexpr std::uint64_t largest_target = 0x7fffffffULL - (1 << 20);

// xoshiro256** seeded through splitmix64: fast enough to fill half a gigabyte in
// well under a second, and unlike std::normal_distribution its output does not
// depend on the standard library, so files are reproducible everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed) {
    for (auto& word : state_) {
      seed += 0x9e3779b97f4a7c15ULL;
      std::uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      word = z ^ (z >> 31);
    }
  }

  std::uint64_t next() {
    const std::uint64_t result = std::rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = std::rotl(state_[3], 45);
    return result;
  }

  // Uniform in [-1, 1) with 24 bits of resolution, exactly representable in float.
  float symmetric() { return static_cast<float>(next() >> 40) * 0x1.0p-23f - 1.0f; }

 private:
  std::array<std::uint64_t, 4> state_{};
};

// float -> IEEE binary16 with round-to-nearest-even, subnormals, inf and NaN
// (F. Giesen's branch-light formulation).
std::uint16_t float_to_half(float value) {
  constexpr std::uint32_t float_infinity = 255U << 23;
  constexpr std::uint32_t half_overflow = (127U + 16U) << 23;
  constexpr std::uint32_t smallest_normal_half = 113U << 23;
  const float subnormal_magic = std::bit_cast<float>(((127U - 15U) + (23U - 10U) + 1U) << 23);
  std::uint32_t bits = std::bit_cast<std::uint32_t>(value);
  const std::uint32_t sign = bits & 0x80000000U;
  bits ^= sign;
  std::uint32_t half = 0;
  if (bits >= half_overflow) {
    half = bits > float_infinity ? 0x7e00U : 0x7c00U;
  } else if (bits < smallest_normal_half) {
    const float shifted = std::bit_cast<float>(bits) + subnormal_magic;
    half = std::bit_cast<std::uint32_t>(shifted) - std::bit_cast<std::uint32_t>(subnormal_magic);
  } else {
    const std::uint32_t mantissa_odd = (bits >> 13) & 1U;
    bits -= (127U - 15U) << 23;
    bits += 0xfffU + mantissa_odd;
    half = bits >> 13;
  }
  return static_cast<std::uint16_t>(half | (sign >> 16));
}

enum class Storage { float32, float16, raw };

// A weight blob declared while the network is laid out and filled only once
// its final size is known, so the weights exist in memory exactly once.
struct Blob {
  cml::WeightParams* params;
  std::uint64_t count;  // elements (bytes for raw)
  Storage storage;
  float center;  // values are center + half_width * U[-1, 1)
  float half_width;

  [[nodiscard]] std::uint64_t payload_bytes() const {
    return storage == Storage::float32 ? 4 * count : storage == Storage::float16 ? 2 * count : count;
  }
};

struct Plan {
  std::array<std::uint64_t, 5> stage_channels{64, 128, 256, 512, 512};
  std::uint64_t hidden = smallest_hidden;  // width of fc6 and fc7
  std::uint64_t padding = minimum_padding;
};

constexpr std::array<int, 5> convolutions_per_stage{2, 2, 3, 3, 3};
constexpr std::array<std::uint64_t, 5> vgg_channels{64, 128, 256, 512, 512};

struct Network {
  cml::Model model;
  std::vector<Blob> blobs;
  std::size_t padding_blob = 0;  // index into blobs of the custom layer's raw bytes

  [[nodiscard]] std::uint64_t payload_bytes() const {
    std::uint64_t total = 0;
    for (const Blob& blob : blobs) total += blob.payload_bytes();
    return total;
  }
};

class NetworkBuilder {
 public:
  NetworkBuilder(Network& network, cml::NeuralNetworkClassifier& classifier)
      : network_(network), classifier_(classifier) {}

  cml::NeuralNetworkLayer& layer(const std::string& name, const std::string& input) {
    cml::NeuralNetworkLayer& layer = *classifier_.add_layers();
    layer.set_name(name);
    layer.add_input(input);
    layer.add_output(name);
    return layer;
  }

  void blob(cml::WeightParams* params, std::uint64_t count, Storage storage, float center, float half_width) {
    network_.blobs.push_back(Blob{params, count, storage, center, half_width});
  }

  // He-uniform weights (the Keras/PyTorch default for ReLU networks) and small biases.
  void weights_and_bias(cml::WeightParams* weights, cml::WeightParams* bias, std::uint64_t count,
                        std::uint64_t fan_in, std::uint64_t outputs, Storage storage) {
    blob(weights, count, storage, 0.0f, static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in))));
    blob(bias, outputs, storage, 0.0f, 0.05f);
  }

  std::string convolution_block(const std::string& suffix, const std::string& input, std::uint64_t in_channels,
                                std::uint64_t out_channels, Storage storage) {
    auto& conv = *layer("conv" + suffix, input).mutable_convolution();
    conv.set_outputchannels(out_channels);
    conv.set_kernelchannels(in_channels);
    conv.set_ngroups(1);
    for (int axis = 0; axis < 2; ++axis) {
      conv.add_kernelsize(3);
      conv.add_stride(1);
      conv.add_dilationfactor(1);
    }
    conv.mutable_same();
    conv.set_hasbias(true);
    weights_and_bias(conv.mutable_weights(), conv.mutable_bias(), out_channels * in_channels * 9, in_channels * 9,
                     out_channels, storage);

    auto& norm = *layer("bn" + suffix, "conv" + suffix).mutable_batchnorm();
    norm.set_channels(out_channels);
    norm.set_epsilon(1e-5f);
    blob(norm.mutable_gamma(), out_channels, Storage::float32, 1.0f, 0.1f);
    blob(norm.mutable_beta(), out_channels, Storage::float32, 0.0f, 0.1f);
    blob(norm.mutable_mean(), out_channels, Storage::float32, 0.0f, 0.2f);
    blob(norm.mutable_variance(), out_channels, Storage::float32, 1.0f, 0.5f);

    layer("relu" + suffix, "bn" + suffix).mutable_activation()->mutable_relu();
    return "relu" + suffix;
  }

  std::string pool(const std::string& name, const std::string& input) {
    auto& pooling = *layer(name, input).mutable_pooling();
    pooling.set_type(cml::PoolingLayerParams::MAX);
    for (int axis = 0; axis < 2; ++axis) {
      pooling.add_kernelsize(2);
      pooling.add_stride(2);
    }
    pooling.mutable_valid();
    return name;
  }

  std::string channel_gate(const std::string& input, std::uint64_t channels, std::uint64_t seed, std::uint64_t padding) {
    auto& custom = *layer("gate5", input).mutable_custom();
    custom.set_classname("MLCBenchChannelGate");
    custom.set_description(
        "Scales each channel by a learned gate. Benchmark layer: its raw blob is sized so the file hits the "
        "requested size.");
    auto& parameters = *custom.mutable_parameters();
    parameters["activation"].set_stringvalue("hard_sigmoid");
    parameters["epsilon"].set_doublevalue(1e-5);
    parameters["channels"].set_intvalue(static_cast<std::int32_t>(channels));
    parameters["seed"].set_longvalue(static_cast<std::int64_t>(seed));
    parameters["trainable"].set_boolvalue(false);
    blob(custom.add_weights(), channels, Storage::float32, 0.0f, 2.0f);
    network_.padding_blob = network_.blobs.size();
    blob(custom.add_weights(), padding, Storage::raw, 0.0f, 0.0f);
    return "gate5";
  }

  std::string inner_product(const std::string& name, const std::string& input, std::uint64_t inputs,
                            std::uint64_t outputs, Storage storage) {
    auto& product = *layer(name, input).mutable_innerproduct();
    product.set_inputchannels(inputs);
    product.set_outputchannels(outputs);
    product.set_hasbias(true);
    weights_and_bias(product.mutable_weights(), product.mutable_bias(), inputs * outputs, inputs, outputs, storage);
    return name;
  }

 private:
  Network& network_;
  cml::NeuralNetworkClassifier& classifier_;
};

void describe_interface(cml::Model& model, std::uint64_t seed, std::uint64_t target_bytes) {
  auto& description = *model.mutable_description();
  auto& input = *description.add_input();
  input.set_name("image");
  input.set_shortdescription("Input image, 224x224 BGR");
  auto& image = *input.mutable_type()->mutable_imagetype();
  image.set_width(static_cast<std::int64_t>(image_side));
  image.set_height(static_cast<std::int64_t>(image_side));
  image.set_colorspace(cml::ImageFeatureType::BGR);

  auto& probabilities = *description.add_output();
  probabilities.set_name("classLabelProbs");
  probabilities.set_shortdescription("Probability of each class");
  probabilities.mutable_type()->mutable_dictionarytype()->mutable_stringkeytype();
  auto& label = *description.add_output();
  label.set_name("classLabel");
  label.set_shortdescription("Most likely class");
  label.mutable_type()->mutable_stringtype();
  description.set_predictedfeaturename("classLabel");
  description.set_predictedprobabilitiesname("classLabelProbs");

  auto& metadata = *description.mutable_metadata();
  metadata.set_shortdescription("VGG16-BN shaped classifier with random weights, generated for mlconv benchmarks");
  metadata.set_author("mlconv_make_large_model");
  metadata.set_license("Public domain (random weights)");
  metadata.set_versionstring("1.0");
  (*metadata.mutable_userdefined())["seed"] = std::to_string(seed);
  (*metadata.mutable_userdefined())["requestedBytes"] = std::to_string(target_bytes);
}

// Lays out the whole model with every blob declared but still empty.
Network lay_out(const Plan& plan, std::uint64_t seed, std::uint64_t target_bytes) {
  Network network;
  cml::Model& model = network.model;
  model.set_specificationversion(spec_version);
  describe_interface(model, seed, target_bytes);

  auto& classifier = *model.mutable_neuralnetworkclassifier();
  // Caffe-style mean subtraction, as in the converted VGG models.
  auto& scaler = *classifier.add_preprocessing();
  scaler.set_featurename("image");
  scaler.mutable_scaler()->set_channelscale(1.0f);
  scaler.mutable_scaler()->set_bluebias(-103.939f);
  scaler.mutable_scaler()->set_greenbias(-116.779f);
  scaler.mutable_scaler()->set_redbias(-123.68f);

  NetworkBuilder build(network, classifier);
  std::string blob = "image";
  std::uint64_t channels = 3;
  for (std::size_t stage = 0; stage < plan.stage_channels.size(); ++stage) {
    // The last stage is stored as float16, as converters do when asked to halve a model.
    const Storage storage = stage + 1 == plan.stage_channels.size() ? Storage::float16 : Storage::float32;
    for (int index = 1; index <= convolutions_per_stage[stage]; ++index) {
      const std::string suffix = std::to_string(stage + 1) + "_" + std::to_string(index);
      blob = build.convolution_block(suffix, blob, channels, plan.stage_channels[stage], storage);
      channels = plan.stage_channels[stage];
    }
    blob = build.pool("pool" + std::to_string(stage + 1), blob);
  }
  blob = build.channel_gate(blob, channels, seed, plan.padding);
  build.layer("flatten", blob).mutable_flatten()->set_mode(cml::FlattenLayerParams::CHANNEL_FIRST);
  const std::uint64_t side = image_side >> plan.stage_channels.size();
  blob = build.inner_product("fc6", "flatten", channels * side * side, plan.hidden, Storage::float32);
  build.layer("relu6", blob).mutable_activation()->mutable_relu();
  blob = build.inner_product("fc7", "relu6", plan.hidden, plan.hidden, Storage::float16);
  build.layer("relu7", blob).mutable_activation()->mutable_relu();
  blob = build.inner_product("fc8", "relu7", plan.hidden, class_count, Storage::float32);
  cml::NeuralNetworkLayer& softmax = build.layer("prob", blob);
  softmax.mutable_softmax();
  softmax.set_output(0, "classLabelProbs");
  classifier.set_labelprobabilitylayername("classLabelProbs");

  auto& labels = *classifier.mutable_stringclasslabels();
  char label[32];
  for (std::uint64_t index = 0; index < class_count; ++index) {
    std::snprintf(label, sizeof label, "class_%04llu", static_cast<unsigned long long>(index));
    labels.add_vector(label);
  }
  return network;
}

// Serialized size once every blob is filled, from the empty layout: the blobs'
// own length prefixes are the only difference and the padding blob covers them.
std::uint64_t estimated_bytes(const Plan& plan, std::uint64_t seed, std::uint64_t target_bytes) {
  const Network network = lay_out(plan, seed, target_bytes);
  return network.model.ByteSizeLong() + network.payload_bytes();
}

Plan plan_for(std::uint64_t target_bytes, std::uint64_t seed) {
  Plan plan;
  // Narrow the convolutions for small targets so the fully connected layers
  // still dominate, as they do in the full-size network.
  for (double width = 1.0;; width *= 0.9) {
    for (std::size_t stage = 0; stage < plan.stage_channels.size(); ++stage) {
      plan.stage_channels[stage] =
          std::max<std::uint64_t>(4, static_cast<std::uint64_t>(std::lround(static_cast<double>(vgg_channels[stage]) * width)));
    }
    const bool narrowest = plan.stage_channels[0] == 4 && plan.stage_channels[4] == 4;
    if (estimated_bytes(plan, seed, target_bytes) <= target_bytes / 5 || narrowest) break;
  }
  const std::uint64_t floor_bytes = estimated_bytes(plan, seed, target_bytes);
  if (floor_bytes > target_bytes) {
    throw Error("the smallest model this generator writes is " + std::to_string(floor_bytes) + " bytes (" +
                    std::to_string(static_cast<double>(floor_bytes) / bytes_per_megabyte) + " MiB); asked for " +
                    std::to_string(target_bytes),
                Error::Kind::usage);
  }
  // Widest fc6/fc7 that leaves at least the minimum padding.
  std::uint64_t low = smallest_hidden;
  std::uint64_t high = 1 << 20;
  while (low < high) {
    plan.hidden = (low + high + 1) / 2;
    if (estimated_bytes(plan, seed, target_bytes) <= target_bytes) {
      low = plan.hidden;
    } else {
      high = plan.hidden - 1;
    }
  }
  plan.hidden = low;
  plan.padding = minimum_padding + target_bytes - estimated_bytes(plan, seed, target_bytes);
  return plan;
}

void allocate(const Blob& blob) {
  switch (blob.storage) {
    case Storage::float32: blob.params->mutable_floatvalue()->Resize(static_cast<int>(blob.count), 0.0f); break;
    case Storage::float16: blob.params->mutable_float16value()->resize(2 * blob.count); break;
    case Storage::raw: blob.params->mutable_rawvalue()->resize(blob.count); break;
  }
}

void fill(const Blob& blob, Random& random) {
  switch (blob.storage) {
    case Storage::float32: {
      float* values = blob.params->mutable_floatvalue()->mutable_data();
      for (std::uint64_t i = 0; i < blob.count; ++i) values[i] = blob.center + blob.half_width * random.symmetric();
      break;
    }
    case Storage::float16: {
      // Core ML reads float16Value as little-endian halves.
      auto* bytes = reinterpret_cast<unsigned char*>(blob.params->mutable_float16value()->data());
      for (std::uint64_t i = 0; i < blob.count; ++i) {
        const std::uint16_t half = float_to_half(blob.center + blob.half_width * random.symmetric());
        bytes[2 * i] = static_cast<unsigned char>(half & 0xffU);
        bytes[2 * i + 1] = static_cast<unsigned char>(half >> 8);
      }
      break;
    }
    case Storage::raw: {
      std::string& bytes = *blob.params->mutable_rawvalue();
      for (char& byte : bytes) byte = static_cast<char>(random.next() >> 56);
      break;
    }
  }
}

struct Options {
  std::string output;
  double megabytes = 0;
  std::uint64_t seed = 1;
};

void generate(const Options& options) {
  const auto started = std::chrono::steady_clock::now();
  const double requested = options.megabytes * bytes_per_megabyte;
  if (!(requested >= 1.0) || requested > static_cast<double>(largest_target)) {
    throw Error("--megabytes must be more than 0 and below 2048 (the protobuf message limit)", Error::Kind::usage);
  }
  const auto target_bytes = static_cast<std::uint64_t>(std::llround(requested));
  Plan plan = plan_for(target_bytes, options.seed);
  Network network = lay_out(plan, options.seed, target_bytes);
  if (const int needed = mlconv::spec::minimum_spec_version(network.model); needed > spec_version) {
    throw Error("internal: the generated layers need specificationVersion " + std::to_string(needed));
  }

  for (const Blob& blob : network.blobs) allocate(blob);
  // Length prefixes grew while filling; move the difference into the padding blob.
  // Its own prefix may change length with it, hence the few rounds.
  Blob& padding = network.blobs[network.padding_blob];
  for (int round = 0; round < 4; ++round) {
    const auto actual = static_cast<std::int64_t>(network.model.ByteSizeLong());
    const std::int64_t difference = static_cast<std::int64_t>(target_bytes) - actual;
    if (difference == 0) break;
    padding.count = static_cast<std::uint64_t>(std::max<std::int64_t>(0, static_cast<std::int64_t>(padding.count) + difference));
    allocate(padding);
  }

  Random random(options.seed);
  for (const Blob& blob : network.blobs) fill(blob, random);
  mlconv::spec::save_model(network.model, options.output);

  const std::uint64_t written = network.model.ByteSizeLong();
  const Blob& largest = *std::max_element(network.blobs.begin(), network.blobs.end(),
                                          [](const Blob& a, const Blob& b) { return a.payload_bytes() < b.payload_bytes(); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("%s: %llu bytes (asked %llu), %d layers, %zu weight blobs, fc6/fc7 width %llu, largest blob %llu bytes, "
              "seed %llu, %.1f s\n",
              options.output.c_str(), static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(target_bytes), network.model.neuralnetworkclassifier().layers_size(),
              network.blobs.size(), static_cast<unsigned long long>(plan.hidden),
              static_cast<unsigned long long>(largest.payload_bytes()), static_cast<unsigned long long>(options.seed),
              seconds);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Writes a VGG16-BN shaped Core ML classifier of the requested size with seeded random weights",
               "mlconv_make_large_model"};
  Options options;
  app.add_option("output", options.output, "The .mlmodel file to write")->required();
  app.add_option("--megabytes", options.megabytes, "Serialized size in MiB (2^20 bytes); fractions allowed")->required();
  app.add_option("--seed", options.seed, "Seed of the weight generator")->capture_default_str();
  try {
    app.parse(argc, argv);
    generate(options);
    return 0;
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  } catch (const Error& error) {
    std::cerr << "mlconv_make_large_model: error: " << error.what() << "\n";
    return error.exit_code();
  } catch (const std::exception& error) {
    std::cerr << "mlconv_make_large_model: error: " << error.what() << "\n";
    return 1;
  }
}
