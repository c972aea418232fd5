// Control flow family: branch, loop, loopBreak, loopContinue. The bodies use test-only kernels
// registered here (add a constant, compare with a constant) so these tests depend on no other
// kernel family; expected values are counted by hand from the loop semantics in the spec.
#include <doctest/doctest.h>

#include "executor/kernel_registry.h"
#include "executor/network.h"
#include "spec/error.h"
#include "tests/executor/kernel_tester.h"

namespace mlconv::exec {
namespace {

// bias: y = x + bias.floatValue[0]
struct AddConstant final : Kernel {
  float amount;
  explicit AddConstant(float a) : amount(a) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->resize(inputs[0]->shape());
    for (std::int64_t i = 0; i < inputs[0]->size(); ++i) outputs[0]->data()[i] = inputs[0]->data()[i] + amount;
  }
};

// lessThan / greaterThan with alpha: y = x < alpha (x > alpha) as 1.0 / 0.0
struct Compare final : Kernel {
  float alpha;
  bool less;
  Compare(float a, bool l) : alpha(a), less(l) {}
  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext&) override {
    outputs[0]->resize(inputs[0]->shape());
    for (std::int64_t i = 0; i < inputs[0]->size(); ++i) {
      const float x = inputs[0]->data()[i];
      outputs[0]->data()[i] = (less ? x < alpha : x > alpha) ? 1.0F : 0.0F;
    }
  }
};

struct Fixture {
  KernelRegistry registry;
  BuildContext build;
  Environment blobs;
  ThreadPool pool{1};
  RunContext run;
  google::protobuf::RepeatedPtrField<Layer> layers;

  Fixture() {
    registry.add(Layer::kBias, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
      return std::make_unique<AddConstant>(layer.bias().bias().floatvalue(0));
    });
    registry.add(Layer::kLessThan, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
      return std::make_unique<Compare>(layer.lessthan().alpha(), true);
    });
    registry.add(Layer::kGreaterThan, [](const Layer& layer, const BuildContext&) -> std::unique_ptr<Kernel> {
      return std::make_unique<Compare>(layer.greaterthan().alpha(), false);
    });
    register_control_flow_kernels(registry);
    build.kernels = &registry;
    build.compile_network = [this](const CoreML::Specification::NeuralNetwork& body, const std::string& where) {
      return std::make_unique<Network>(body.layers(), build, where, std::set<std::string>{}, false);
    };
    run.pool = &pool;
    run.blobs = &blobs;
  }
  void add(std::string_view text) { *layers.Add() = testing::layer_from_text(text); }
  void set(const std::string& name, float value) { blobs.put(name, Tensor({1}, {value})); }
  float get(const std::string& name) const {
    const Tensor* tensor = blobs.find(name);
    REQUIRE_MESSAGE(tensor != nullptr, "blob '" << name << "' is missing");
    REQUIRE(tensor->size() == 1);
    return tensor->data()[0];
  }
  void run_network() {
    Network network(layers, build, "", {}, false);
    network.run(run);
  }
};

// Layer texts for bodies: i = i + 1 and friends.
std::string add_layer(const std::string& name, const std::string& blob, float amount) {
  return "layers { name: \"" + name + "\" input: \"" + blob + "\" output: \"" + blob +
         "\" bias { bias { floatValue: " + std::to_string(amount) + " } } }";
}

TEST_CASE("control flow: branch runs ifBranch when |condition| > 1e-6, elseBranch otherwise, nothing without one") {
  const std::string both = R"(name: "br" input: "c" branch { ifBranch { )" + add_layer("a", "x", 1) +
                           " } elseBranch { " + add_layer("b", "x", 10) + " } }";
  for (auto [condition, expected] : {std::pair{1.0F, 1.0F}, {-0.5F, 1.0F}, {0.0F, 10.0F}, {1e-7F, 10.0F}}) {
    Fixture f;
    f.add(both);
    f.set("c", condition);
    f.set("x", 0);
    f.run_network();
    CHECK(f.get("x") == expected);
  }
  Fixture f;
  f.add(R"(name: "br" input: "c" branch { ifBranch { )" + add_layer("a", "y", 1) + " } }");
  f.set("c", 0);
  f.set("x", 5);
  f.run_network();
  CHECK(f.blobs.find("y") == nullptr);  // the if branch did not run, so it wrote nothing
}

TEST_CASE("control flow: a blob made inside the branch is visible to the layers after it") {
  Fixture f;
  f.add(R"(name: "br" input: "c" branch { ifBranch { layers { name: "made" input: "x" output: "inner"
           bias { bias { floatValue: 2 } } } } })");
  f.add(R"(name: "after" input: "inner" output: "out" bias { bias { floatValue: 100 } })");
  f.set("c", 1);
  f.set("x", 1);
  f.run_network();
  CHECK(f.get("out") == 103);
}

TEST_CASE("control flow: a counted loop runs maxLoopIterations times, or the input's count when present") {
  Fixture f;
  f.add(R"(name: "loop" loop { maxLoopIterations: 5 bodyNetwork { )" + add_layer("inc", "i", 1) + " } }");
  f.set("i", 0);
  f.run_network();
  CHECK(f.get("i") == 5);

  Fixture g;
  g.add(R"(name: "loop" input: "n" loop { maxLoopIterations: 5 bodyNetwork { )" + add_layer("inc", "i", 1) + " } }");
  g.set("i", 0);
  g.set("n", 3);
  g.run_network();
  CHECK(g.get("i") == 3);

  Fixture zero;
  zero.add(R"(name: "loop" input: "n" loop { bodyNetwork { )" + add_layer("inc", "i", 1) + " } }");
  zero.set("i", 0);
  zero.set("n", 0);
  zero.run_network();
  CHECK(zero.get("i") == 0);
}

TEST_CASE("control flow: a while loop checks its conditionNetwork before every iteration") {
  const std::string loop = R"(name: "loop" loop { conditionVar: "go" conditionNetwork { layers { name: "cmp"
      input: "i" output: "go" lessThan { alpha: 4 } } } bodyNetwork { )" +
                           add_layer("inc", "i", 1) + add_layer("acc", "sum", 10) + " } }";
  Fixture f;
  f.add(loop);
  f.set("i", 0);
  f.set("sum", 0);
  f.run_network();
  CHECK(f.get("i") == 4);
  CHECK(f.get("sum") == 40);
  CHECK(f.get("go") == 0);  // the condition blob stays visible after the loop

  Fixture never;
  never.add(loop);
  never.set("i", 10);
  never.set("sum", 0);
  never.run_network();
  CHECK(never.get("sum") == 0);
}

TEST_CASE("control flow: a condition and a count together stop at whichever ends first") {
  Fixture f;
  f.add(R"(name: "loop" loop { maxLoopIterations: 3 conditionVar: "go" conditionNetwork { layers { name: "cmp"
      input: "i" output: "go" lessThan { alpha: 100 } } } bodyNetwork { )" +
        add_layer("inc", "i", 1) + " } }");
  f.set("i", 0);
  f.run_network();
  CHECK(f.get("i") == 3);
}

TEST_CASE("control flow: loopBreak ends the loop at once, loopContinue skips the rest of the body") {
  // Body: i += 1; if (i > 2) { break or continue }; j += 1.
  auto body = [](const std::string& signal) {
    return R"(name: "loop" loop { maxLoopIterations: 5 bodyNetwork { )" + add_layer("inc", "i", 1) +
           R"( layers { name: "cmp" input: "i" output: "late" greaterThan { alpha: 2 } }
               layers { name: "br" input: "late" branch { ifBranch { layers { name: "sig" )" +
           signal + R"( {} } } } } )" + add_layer("incj", "j", 1) + " } }";
  };
  Fixture f;
  f.add(body("loopBreak"));
  f.add(R"(name: "after" input: "j" output: "k" bias { bias { floatValue: 100 } })");
  f.set("i", 0);
  f.set("j", 0);
  f.run_network();
  CHECK(f.get("i") == 3);
  CHECK(f.get("j") == 2);
  CHECK(f.get("k") == 102);  // the network goes on after the loop: the break did not escape it

  Fixture g;
  g.add(body("loopContinue"));
  g.set("i", 0);
  g.set("j", 0);
  g.run_network();
  CHECK(g.get("i") == 5);
  CHECK(g.get("j") == 2);
}

TEST_CASE("control flow: a break in an inner loop ends only the inner loop") {
  Fixture f;
  f.add(R"(name: "outer" loop { maxLoopIterations: 3 bodyNetwork { layers { name: "inner" loop {
      maxLoopIterations: 4 bodyNetwork { )" +
        add_layer("count", "n", 1) + R"( layers { name: "stop" loopBreak {} } } } } )" +
        add_layer("outer_count", "m", 1) + " } }");
  f.set("n", 0);
  f.set("m", 0);
  f.run_network();
  CHECK(f.get("n") == 3);  // one inner iteration per outer iteration
  CHECK(f.get("m") == 3);
}

TEST_CASE("control flow: a loop that never ends fails at the iteration cap, naming how to raise it") {
  Fixture f;
  f.add(R"(name: "spin" loop { conditionVar: "go" conditionNetwork { layers { name: "cmp" input: "i" output: "go"
      lessThan { alpha: 1e30 } } } bodyNetwork { )" +
        add_layer("inc", "i", 1) + " } }");
  f.set("i", 0);
  f.run.max_loop_iterations = 50;
  CHECK_THROWS_WITH_AS(f.run_network(),
                       "layer 'spin' (loop): the loop did not end after 50 iterations, the executor's cap per loop "
                       "run; if the model really loops longer, raise the cap with --max-loop-iterations",
                       Error);
  CHECK(f.get("i") == 50);
}

TEST_CASE("control flow: errors name the loop, the body and the layer") {
  auto build_error = [](const std::string& text) {
    Fixture f;
    f.add(text);
    f.run_network();
  };
  CHECK_THROWS_WITH_AS(build_error(R"(name: "l" loop { maxLoopIterations: 2 })"),
                       "layer 'l' (loop): bodyNetwork has no layers; the spec requires it", Error);
  CHECK_THROWS_WITH_AS(
      build_error(R"(name: "l" loop { conditionVar: "c" bodyNetwork { )" + add_layer("a", "x", 1) + " } }"),
      "layer 'l' (loop): conditionVar 'c' is set but conditionNetwork has no layers; they come "
      "together",
      Error);
  CHECK_THROWS_WITH_AS(build_error(R"(name: "l" loop { bodyNetwork { )" + add_layer("a", "x", 1) + " } }"),
                       "layer 'l' (loop): has no input, no conditionNetwork and maxLoopIterations 0, so it could "
                       "never run",
                       Error);
  CHECK_THROWS_WITH_AS(build_error(R"(name: "l" output: "o" loop { maxLoopIterations: 1 bodyNetwork { )" +
                                   add_layer("a", "x", 1) + " } }"),
                       "layer 'l' (loop): produces no outputs (its bodies write blobs directly); the layer lists 1",
                       Error);
  CHECK_THROWS_WITH_AS(build_error(R"(name: "b" input: "c" branch { })"),
                       "layer 'b' (branch): ifBranch has no layers; the spec requires it", Error);
  CHECK_THROWS_WITH_AS(build_error(R"(name: "l" loop { maxLoopIterations: 1 bodyNetwork {
                                      layers { name: "s" output: "x" softmax {} } } })"),
                       "layer 'l' (loop): bodyNetwork: layer 's' (softmax): mlconv run has no kernel for layer type "
                       "'softmax' yet",
                       Error);

  Fixture missing;
  missing.add(R"(name: "l" loop { maxLoopIterations: 2 bodyNetwork { )" + add_layer("a", "nowhere", 1) + " } }");
  CHECK_THROWS_WITH_AS(missing.run_network(),
                       "layer 'l' (loop): bodyNetwork: layer 'a' (bias): reads blob 'nowhere', which no model input "
                       "or earlier layer provides",
                       Error);

  Fixture no_var;
  no_var.add(R"(name: "l" loop { conditionVar: "go" conditionNetwork { )" + add_layer("a", "x", 1) +
             " } bodyNetwork { " + add_layer("b", "x", 1) + " } }");
  no_var.set("x", 0);
  CHECK_THROWS_WITH_AS(no_var.run_network(), "layer 'l' (loop): conditionNetwork did not produce conditionVar 'go'",
                       Error);

  Fixture bad_count;
  bad_count.add(R"(name: "l" input: "n" loop { bodyNetwork { )" + add_layer("a", "x", 1) + " } }");
  bad_count.set("x", 0);
  bad_count.set("n", 2.5F);
  CHECK_THROWS_WITH_AS(bad_count.run_network(),
                       "layer 'l' (loop): the iteration count input is 2.500000; expected a whole number >= 0", Error);

  Fixture wide;
  wide.add(R"(name: "b" input: "c" branch { ifBranch { )" + add_layer("a", "x", 1) + " } }");
  wide.blobs.put("c", Tensor({2}, {1, 1}));
  CHECK_THROWS_WITH_AS(wide.run_network(),
                       "layer 'b' (branch): the condition must hold exactly one value; it has shape [2]", Error);
}

}  // namespace
}  // namespace mlconv::exec
