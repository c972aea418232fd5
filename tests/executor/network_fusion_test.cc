// Folding an activation into the layer before it: the same numbers as the two
// layers run apart, and no fusion where the blob between them can be seen.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "executor/kernel_registry.h"
#include "executor/network.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

// Deterministic values in [-2, 2) with both signs in every plane.
Tensor wavy(Shape shape) {
  Tensor t(std::move(shape));
  for (std::int64_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<float>(std::fmod(i * 0.7351, 4.0) - 2.0);
  return t;
}

std::string floats(std::int64_t count, double step) {
  std::string text;
  for (std::int64_t i = 0; i < count; ++i)
    text += (i == 0 ? "" : ", ") + std::to_string(std::fmod(i * step, 2.0) - 1.0);
  return text;
}

struct Net {
  KernelRegistry registry = KernelRegistry::with_builtin_kernels();
  BuildContext build;
  google::protobuf::RepeatedPtrField<Layer> layers;
  Net() { build.kernels = &registry; }
  void add(const std::string& text) { *layers.Add() = testing::layer_from_text(text); }

  // Runs the network on `input` bound to "x"; returns the blob named `result` and the blobs left.
  Tensor run(const Tensor& input, const std::set<std::string>& keep, const std::string& result, int threads,
             std::size_t* fused = nullptr, const LayerObserver& observer = nullptr) const {
    Network network(layers, build, "", keep, true);
    if (observer) network.set_observer(observer);
    if (fused != nullptr) *fused = network.fused_count();
    Environment blobs;
    ThreadPool pool(threads);
    RunContext ctx;
    ctx.pool = &pool;
    ctx.blobs = &blobs;
    blobs.put("x", input);
    network.run(ctx);
    REQUIRE(blobs.find(result) != nullptr);
    return *blobs.find(result);
  }
};

void check_close(const Tensor& fused, const Tensor& apart) {
  REQUIRE(fused.shape() == apart.shape());
  for (std::int64_t i = 0; i < fused.size(); ++i) {
    const float a = fused.data()[i];
    const float b = apart.data()[i];
    INFO("element " << i);
    CHECK(std::fabs(a - b) <= 1e-6F * std::max(1.0F, std::fabs(b)));
  }
}

const char* const kActivations[] = {
    "activation { ReLU {} }",
    "activation { leakyReLU { alpha: 0.1 } }",
    "activation { linear { alpha: 2 beta: -0.5 } }",
    "activation { sigmoid {} }",
    "activation { sigmoidHard { alpha: 0.2 beta: 0.5 } }",
    "activation { tanh {} }",
    "activation { scaledTanh { alpha: 1.5 beta: 0.5 } }",
    "activation { thresholdedReLU { alpha: 0.3 } }",
    "activation { softsign {} }",
    "clampedReLU { alpha: 0.1 beta: 1.5 }",
};

// Each convolution path: 1x1 (GEMM on the input), 3x3 few channels (im2col),
// 3x3 16 -> 16 channels (Winograd), depthwise 3x3 stride 2, and a deconvolution.
struct ConvCase {
  const char* name;
  std::int64_t in_channels;
  std::string params;
};

std::vector<ConvCase> conv_cases() {
  return {
      {"pointwise", 4, "convolution { outputChannels: 6 kernelChannels: 4 kernelSize: [1, 1] valid {} hasBias: true "
                       "weights { floatValue: [" + floats(24, 0.37) + "] } bias { floatValue: [" + floats(6, 0.3) + "] } }"},
      {"im2col", 3, "convolution { outputChannels: 5 kernelChannels: 3 kernelSize: [3, 3] same {} "
                    "weights { floatValue: [" + floats(135, 0.113) + "] } }"},
      {"winograd", 16, "convolution { outputChannels: 16 kernelChannels: 16 kernelSize: [3, 3] same {} hasBias: true "
                       "weights { floatValue: [" + floats(2304, 0.0173) + "] } bias { floatValue: [" + floats(16, 0.21) + "] } }"},
      {"depthwise", 8, "convolution { outputChannels: 8 kernelChannels: 1 nGroups: 8 kernelSize: [3, 3] stride: [2, 2] "
                       "same {} weights { floatValue: [" + floats(72, 0.29) + "] } }"},
      {"deconvolution", 4, "convolution { outputChannels: 3 kernelChannels: 4 kernelSize: [2, 2] stride: [2, 2] "
                           "isDeconvolution: true valid {} weights { floatValue: [" + floats(48, 0.41) + "] } }"},
  };
}

TEST_CASE("network fusion: convolution + activation equals the two layers apart, on every convolution path") {
  for (const ConvCase& conv : conv_cases()) {
    for (const char* activation : kActivations) {
      for (int threads : {1, 2}) {
        CAPTURE(conv.name);
        CAPTURE(activation);
        CAPTURE(threads);
        Net net;
        net.add(std::string(R"(name: "conv" input: "x" output: "c" )") + conv.params);
        net.add(std::string(R"(name: "act" input: "c" output: "y" )") + activation);
        const Tensor input = wavy({1, 1, conv.in_channels, 20, 18});
        std::size_t fused = 0;
        const Tensor together = net.run(input, {"y"}, "y", threads, &fused);
        CHECK(fused == 1);
        std::size_t apart_fused = 1;
        const Tensor apart = net.run(input, {"y", "c"}, "y", threads, &apart_fused);  // "c" kept: no fusion
        CHECK(apart_fused == 0);
        check_close(together, apart);
      }
    }
  }
}

TEST_CASE("network fusion: a fused 1x1 convolution + ReLU gives the hand-computed values") {
  Net net;
  // y = relu(2 * x - 3) per element, one channel.
  net.add(R"(name: "conv" input: "x" output: "c" convolution { outputChannels: 1 kernelChannels: 1
             kernelSize: [1, 1] valid {} hasBias: true weights { floatValue: 2 } bias { floatValue: -3 } })");
  net.add(R"(name: "act" input: "c" output: "y" activation { ReLU {} })");
  std::size_t fused = 0;
  const Tensor y = net.run(testing::arange({1, 1, 1, 2, 3}), {"y"}, "y", 1, &fused);
  CHECK(fused == 1);
  testing::check_tensor(y, {1, 1, 1, 2, 3}, {0, 0, 1, 3, 5, 7});
}

TEST_CASE("network: peak_live_bytes is the largest set of blobs alive after any layer") {
  Net net;
  // x [2x3] -> c [2x3] -> y [2x3] (fused into conv) -> z = y + y; x dies after conv, y after the add.
  net.add(R"(name: "conv" input: "x" output: "c" convolution { outputChannels: 1 kernelChannels: 1
             kernelSize: [1, 1] valid {} weights { floatValue: 2 } })");
  net.add(R"(name: "act" input: "c" output: "y" activation { ReLU {} })");
  net.add(R"(name: "double" input: ["y", "y"] output: "z" add {})");
  Network network(net.layers, net.build, "", {"z"}, true);
  CHECK(network.fused_count() == 1);
  Environment blobs;
  ThreadPool pool(1);
  std::uint64_t peak = 0;
  RunContext ctx;
  ctx.pool = &pool;
  ctx.blobs = &blobs;
  ctx.peak_live_bytes = &peak;
  blobs.put("x", testing::arange({1, 1, 1, 2, 3}));
  network.run(ctx);
  CHECK(peak == 2 * 6 * sizeof(float));  // x + y after conv, y + z after the add
}

TEST_CASE("network fusion: innerProduct + sigmoid and batchnorm + leaky ReLU equal the layers apart") {
  Net net;
  net.add(R"(name: "bn" input: "x" output: "b" batchnorm { channels: 3 gamma { floatValue: [1, 2, 0.5] }
             beta { floatValue: [0, -1, 0.5] } mean { floatValue: [0.1, 0, -0.2] } variance { floatValue: [1, 4, 0.25] } })");
  net.add(R"(name: "leaky" input: "b" output: "l" activation { leakyReLU { alpha: 0.2 } })");
  net.add(R"(name: "fc" input: "l" output: "f" innerProduct { inputChannels: 48 outputChannels: 7 hasBias: true
             weights { floatValue: [)" + floats(336, 0.093) + R"(] } bias { floatValue: [)" + floats(7, 0.5) + R"(] } })");
  net.add(R"(name: "sig" input: "f" output: "y" activation { sigmoid {} })");
  const Tensor input = wavy({1, 1, 3, 4, 4});
  std::size_t fused = 0;
  const Tensor together = net.run(input, {"y"}, "y", 2, &fused);
  CHECK(fused == 2);
  std::size_t apart_fused = 1;
  const Tensor apart = net.run(input, {"y", "b", "f"}, "y", 2, &apart_fused);
  CHECK(apart_fused == 0);
  check_close(together, apart);
}

TEST_CASE("network fusion: an in-place activation (output named like its input) is fused too") {
  Net net;
  net.add(R"(name: "conv" input: "x" output: "c" convolution { outputChannels: 1 kernelChannels: 1
             kernelSize: [1, 1] valid {} weights { floatValue: 1 } })");
  net.add(R"(name: "act" input: "c" output: "c" activation { ReLU {} })");
  net.add(R"(name: "sum" input: ["c", "c"] output: "z" add {})");
  const Tensor input = wavy({1, 1, 1, 3, 4});
  std::size_t fused = 0;
  const Tensor z = net.run(input, {"z", "c"}, "z", 1, &fused);
  CHECK(fused == 1);
  for (std::int64_t i = 0; i < z.size(); ++i) CHECK(z.data()[i] == 2 * std::max(input.data()[i], 0.0F));
}

TEST_CASE("network fusion: skipped where the blob between the layers can be seen") {
  const std::string conv = R"(name: "conv" input: "x" output: "c" convolution { outputChannels: 1 kernelChannels: 1
      kernelSize: [1, 1] valid {} weights { floatValue: 1 } })";
  const Tensor input = wavy({1, 1, 1, 3, 3});
  SUBCASE("a model output") {
    Net net;
    net.add(conv);
    net.add(R"(name: "act" input: "c" output: "y" activation { ReLU {} })");
    std::size_t fused = 1;
    const Tensor c = net.run(input, {"c", "y"}, "c", 1, &fused);
    CHECK(fused == 0);
    check_close(c, input);  // the pre-activation values survive
  }
  SUBCASE("read by a second layer") {
    Net net;
    net.add(conv);
    net.add(R"(name: "act" input: "c" output: "y" activation { ReLU {} })");
    net.add(R"(name: "sum" input: ["y", "c"] output: "z" add {})");
    std::size_t fused = 1;
    const Tensor z = net.run(input, {"z"}, "z", 1, &fused);
    CHECK(fused == 0);
    for (std::int64_t i = 0; i < z.size(); ++i) {
      const float v = input.data()[i];
      CHECK(z.data()[i] == doctest::Approx(std::max(v, 0.0F) + v));
    }
  }
  SUBCASE("not the next layer") {
    Net net;
    net.add(conv);
    net.add(R"(name: "other" input: "x" output: "o" activation { ReLU {} })");
    net.add(R"(name: "act" input: "c" output: "y" activation { sigmoid {} })");
    std::size_t fused = 1;
    net.run(input, {"y", "o"}, "y", 1, &fused);
    CHECK(fused == 0);
  }
  SUBCASE("an activation with per-channel weights (PReLU) is never fused") {
    Net net;
    net.add(conv);
    net.add(R"(name: "act" input: "c" output: "y" activation { PReLU { alpha { floatValue: 0.5 } } })");
    std::size_t fused = 1;
    net.run(input, {"y"}, "y", 1, &fused);
    CHECK(fused == 0);
  }
  SUBCASE("a layer observer (--dump-layers, --profile) sees every layer's output") {
    Net net;
    net.add(conv);
    net.add(R"(name: "act" input: "c" output: "y" activation { ReLU {} })");
    std::vector<std::string> seen;
    Tensor observed_c;
    std::size_t fused = 1;
    const Tensor y = net.run(input, {"y"}, "y", 1, &fused, [&](const Layer& layer, const Environment& blobs, double) {
      seen.push_back(layer.name());
      if (const Tensor* c = blobs.find("c")) observed_c = *c;
    });
    CHECK(fused == 0);
    CHECK(seen == std::vector<std::string>{"conv", "act"});
    check_close(observed_c, input);
    for (std::int64_t i = 0; i < y.size(); ++i) CHECK(y.data()[i] == std::max(input.data()[i], 0.0F));
  }
}

}  // namespace
}  // namespace mlconv::exec
