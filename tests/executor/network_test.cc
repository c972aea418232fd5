// The network runner: blob wiring, errors naming the layer, freeing dead blobs.
#include "executor/network.h"

#include <doctest/doctest.h>

#include "executor/kernel_registry.h"
#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

// A kernel under the test's control: adds a constant, counts its runs.
struct AddConstant final : Kernel {
  static inline int runs = 0;
  float amount;
  explicit AddConstant(float a) : amount(a) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    ++runs;
    outputs[0]->resize(inputs[0]->shape());
    for (std::int64_t i = 0; i < inputs[0]->size(); ++i) outputs[0]->data()[i] = inputs[0]->data()[i] + amount;
  }
};

std::unique_ptr<Kernel> make_add_constant(const Layer& layer, const BuildContext&) {
  return std::make_unique<AddConstant>(layer.bias().bias().floatvalue(0));
}

struct Fixture {
  KernelRegistry registry;
  BuildContext build;
  Environment blobs;
  ThreadPool pool{1};
  RunContext run;
  google::protobuf::RepeatedPtrField<Layer> layers;

  Fixture() {
    registry.add(Layer::kBias, make_add_constant);
    build.kernels = &registry;
    run.pool = &pool;
    run.blobs = &blobs;
  }
  void add(std::string_view text) { *layers.Add() = testing::layer_from_text(text); }
};

TEST_CASE("network: runs layers in order and frees blobs after their last reader") {
  Fixture f;
  f.add(R"(name: "a" input: "x" output: "y" bias { bias { floatValue: 1 } })");
  f.add(R"(name: "b" input: "y" output: "z" bias { bias { floatValue: 10 } })");
  Network network(f.layers, f.build, "", {"z"}, true);
  f.blobs.put("x", Tensor({2}, {1, 2}));
  network.run(f.run);
  REQUIRE(f.blobs.find("z") != nullptr);
  testing::check_tensor(*f.blobs.find("z"), {2}, {12, 13});
  CHECK(f.blobs.find("y") == nullptr);  // read only by 'b', then freed
  CHECK(f.blobs.find("x") == nullptr);
}

TEST_CASE("network: a missing blob names the reading layer") {
  Fixture f;
  f.add(R"(name: "b" input: "nowhere" output: "z" bias { bias { floatValue: 10 } })");
  Network network(f.layers, f.build, "", {}, true);
  CHECK_THROWS_WITH_AS(network.run(f.run),
                       "layer 'b' (bias): reads blob 'nowhere', which no model input or earlier layer provides",
                       Error);
}

TEST_CASE("network: a layer type without a kernel fails at load, by name") {
  Fixture f;
  f.add(R"(name: "s" input: "x" output: "y" softmax {})");
  CHECK_THROWS_WITH_AS(Network(f.layers, f.build, "", {}, true),
                       "layer 's' (softmax): mlconv run has no kernel for layer type 'softmax' yet", Error);
}

TEST_CASE("network: a custom class no plugin provides fails at load with the fix") {
  Fixture f;
  f.add(R"(name: "swish_1" input: "x" output: "y" custom { className: "Swish" })");
  CHECK_THROWS_WITH_AS(
      Network(f.layers, f.build, "", {}, true),
      "layer 'swish_1' (custom): needs custom layer class 'Swish'; no loaded plugin provides it (load one with --plugin)",
      Error);
}

TEST_CASE("network: an output may reuse its input's name") {
  Fixture f;
  f.add(R"(name: "a" input: "x" output: "x" bias { bias { floatValue: 1 } })");
  Network network(f.layers, f.build, "", {"x"}, true);
  f.blobs.put("x", Tensor({1}, {5}));
  network.run(f.run);
  testing::check_tensor(*f.blobs.find("x"), {1}, {6});
}

TEST_CASE("thread pool: parallel_for covers the range once and rethrows a body's error") {
  for (int threads : {1, 2, 4}) {
    ThreadPool pool(threads);
    std::vector<int> hits(1000, 0);
    pool.parallel_for(1000, 7, [&](std::int64_t begin, std::int64_t end) {
      for (std::int64_t i = begin; i < end; ++i) ++hits[static_cast<std::size_t>(i)];
    });
    CHECK(std::count(hits.begin(), hits.end(), 1) == 1000);
    CHECK_THROWS_AS(pool.parallel_for(100, 1,
                                      [](std::int64_t, std::int64_t end) {
                                        if (end > 50) throw Error("boom");
                                      }),
                    Error);
  }
}

}  // namespace
}  // namespace mlconv::exec
