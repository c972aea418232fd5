// Shape inference (spec/validation/shape_inference.h) per layer family, the
// checks built on it (E100-E103, W060), and the real models: every declared
// fixed output shape is what inference computes from the declared inputs.
#include <doctest/doctest.h>

#include <functional>

#include <google/protobuf/text_format.h>

#include "spec/model_io.h"
#include "spec/model_parts.h"
#include "spec/validation/shape_inference.h"
#include "tests/spec/validation/validation_builders.h"
#include "tests/support/test_support.h"

namespace mlconv::test {
namespace {

namespace cml = CoreML::Specification;
using spec::MaybeShape;
using spec::Shape;
using spec::infer_shapes;
using spec::validation::Finding;
using namespace validation_builders;

constexpr std::int64_t q = spec::unknown_dim;

std::vector<Finding> validate(const cml::Model& model) { return spec::validation::validate_model(model); }

// A network 'x' (declared `dims`) -> one layer set up by `set_up` -> 'y'; the output shape is left undeclared.
cml::Model network(int version, std::initializer_list<std::int64_t> dims,
                   const std::function<void(cml::NeuralNetworkLayer&)>& set_up) {
  cml::Model model = network_model(version);
  set_shape(input_feature(model), dims);
  output_feature(model)->mutable_type()->mutable_multiarraytype()->clear_shape();
  cml::NeuralNetworkLayer& layer = *model.mutable_neuralnetwork()->mutable_layers(0);
  layer.clear_activation();
  layer.set_name("l");
  set_up(layer);
  return model;
}

cml::NeuralNetworkLayer& layer_of(cml::Model& model) { return *model.mutable_neuralnetwork()->mutable_layers(0); }

MaybeShape y_of(const cml::Model& model) { return infer_shapes(model).shapes.at("y"); }

void conv(cml::NeuralNetworkLayer& layer, int out, int in, int k, int stride, bool same) {
  auto* p = layer.mutable_convolution();
  p->set_outputchannels(out);
  p->set_kernelchannels(in);
  for (int i = 0; i < 2; ++i) {
    p->add_kernelsize(k);
    p->add_stride(stride);
  }
  if (same) {
    p->mutable_same();
  } else {
    p->mutable_valid();
  }
  for (int i = 0; i < out * in * k * k; ++i) p->mutable_weights()->add_floatvalue(1.0F);
}

}  // namespace

TEST_CASE("shape inference: inputs map to rank 5, rank 4 images or exact shapes") {
  const cml::Model vector = network(1, {7}, [](cml::NeuralNetworkLayer& l) { l.mutable_activation()->mutable_relu(); });
  CHECK(infer_shapes(vector).shapes.at("x") == MaybeShape(Shape{1, 1, 7, 1, 1}));
  CHECK(y_of(vector) == MaybeShape(Shape{1, 1, 7, 1, 1}));
  CHECK_FALSE(infer_shapes(vector).nd);

  cml::Model exact = vector;
  exact.set_specificationversion(4);
  exact.mutable_neuralnetwork()->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
  set_shape(input_feature(exact), {2, 7});
  CHECK(infer_shapes(exact).nd);
  CHECK(y_of(exact) == MaybeShape(Shape{2, 7}));

  cml::Model image = vector;
  auto* type = input_feature(image)->mutable_type()->mutable_imagetype();
  type->set_width(32);
  type->set_height(24);
  type->set_colorspace(cml::ImageFeatureType::GRAYSCALE);
  CHECK(infer_shapes(image).shapes.at("x") == MaybeShape(Shape{1, 1, 1, 24, 32}));
  image.mutable_neuralnetwork()->set_imageinputshapemapping(cml::RANK4_IMAGE_MAPPING);
  type->set_colorspace(cml::ImageFeatureType::RGB);
  type->mutable_imagesizerange()->mutable_widthrange()->set_lowerbound(16);
  type->mutable_imagesizerange()->mutable_widthrange()->set_upperbound(-1);
  type->mutable_imagesizerange()->mutable_heightrange()->set_lowerbound(24);
  type->mutable_imagesizerange()->mutable_heightrange()->set_upperbound(24);
  CHECK(infer_shapes(image).shapes.at("x") == MaybeShape(Shape{1, 3, 24, q}));
}

TEST_CASE("shape inference: convolution, pooling, inner product") {
  CHECK(y_of(network(1, {3, 8, 8}, [](auto& l) { conv(l, 4, 3, 3, 1, false); })) == MaybeShape(Shape{1, 1, 4, 6, 6}));
  CHECK(y_of(network(1, {3, 9, 8}, [](auto& l) { conv(l, 4, 3, 3, 2, true); })) == MaybeShape(Shape{1, 1, 4, 5, 4}));
  const cml::Model pool = network(1, {3, 9, 9}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_pooling()->mutable_valid();
    for (int i = 0; i < 2; ++i) {
      l.mutable_pooling()->add_kernelsize(2);
      l.mutable_pooling()->add_stride(2);
    }
  });
  CHECK(y_of(pool) == MaybeShape(Shape{1, 1, 3, 4, 4}));
  const cml::Model fc = network(1, {2, 3, 4}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_innerproduct()->set_inputchannels(24);
    l.mutable_innerproduct()->set_outputchannels(5);
  });
  CHECK(y_of(fc) == MaybeShape(Shape{1, 1, 5, 1, 1}));
}

TEST_CASE("shape inference: concat, elementwise, reshape, permute, flatten") {
  cml::Model model = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_concat();
    l.add_input("x");
  });
  CHECK(y_of(model) == MaybeShape(Shape{1, 1, 6, 4, 5}));
  layer_of(model).mutable_add();
  CHECK(y_of(model) == MaybeShape(Shape{1, 1, 3, 4, 5}));
  cml::Model reshape = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) {
    for (const int d : {5, 12, 1}) l.mutable_reshape()->add_targetshape(d);
  });
  CHECK(y_of(reshape) == MaybeShape(Shape{1, 1, 5, 12, 1}));
  cml::Model permute = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) {
    for (const int a : {0, 2, 3, 1}) l.mutable_permute()->add_axis(a);
  });
  CHECK(y_of(permute) == MaybeShape(Shape{1, 1, 4, 5, 3}));
  cml::Model flatten = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) { l.mutable_flatten(); });
  CHECK(y_of(flatten) == MaybeShape(Shape{1, 1, 60, 1, 1}));
}

TEST_CASE("shape inference: recurrent layers") {
  const cml::Model lstm = network(1, {3}, [](cml::NeuralNetworkLayer& l) {
    l.add_output("h");
    l.add_output("c");
    l.mutable_unidirectionallstm()->set_inputvectorsize(3);
    l.mutable_unidirectionallstm()->set_outputvectorsize(8);
  });
  const auto shapes = infer_shapes(lstm).shapes;
  CHECK(shapes.at("y") == MaybeShape(Shape{1, 1, 8, 1, 1}));
  CHECK(shapes.at("h") == MaybeShape(Shape{1, 1, 8, 1, 1}));
}

TEST_CASE("shape inference: N-d layers") {
  const auto nd = [](std::initializer_list<std::int64_t> dims, const std::function<void(cml::NeuralNetworkLayer&)>& f) {
    cml::Model m = network(4, dims, f);
    m.mutable_neuralnetwork()->set_arrayinputshapemapping(cml::EXACT_ARRAY_MAPPING);
    return m;
  };
  CHECK(y_of(nd({2, 3}, [](auto& l) { l.mutable_expanddims()->add_axes(-1); })) == MaybeShape(Shape{2, 3, 1}));
  CHECK(y_of(nd({2, 1, 3}, [](auto& l) { l.mutable_squeeze()->add_axes(1); })) == MaybeShape(Shape{2, 3}));
  CHECK(y_of(nd({2, 3}, [](auto& l) {
          l.mutable_stack()->set_axis(0);
          l.add_input("x");
        })) == MaybeShape(Shape{2, 2, 3}));
  CHECK(y_of(nd({4, 1}, [](auto& l) {
          l.mutable_addbroadcastable();
          l.add_input("x2");
        })) == std::nullopt);  // 'x2' is not a model input: unknown, not guessed
  const cml::Model slice = nd({10, 6}, [](cml::NeuralNetworkLayer& l) {
    auto* p = l.mutable_slicestatic();
    for (const int b : {1, 0}) p->add_beginids(b);
    for (const int e : {-1, 6}) p->add_endids(e);
    for (const int s : {2, 1}) p->add_strides(s);
    for (const bool m : {false, false}) p->add_beginmasks(m);
    for (const bool m : {false, true}) p->add_endmasks(m);
  });
  CHECK(y_of(slice) == MaybeShape(Shape{4, 6}));
  CHECK(y_of(nd({2, 3}, [](auto& l) {
          l.mutable_transpose()->add_axes(1);
          l.mutable_transpose()->add_axes(0);
        })) ==
        MaybeShape(Shape{3, 2}));
  CHECK(y_of(nd({2, 3, 4}, [](auto& l) { l.mutable_reducesum()->add_axes(-1); })) == MaybeShape(Shape{2, 3}));
  CHECK(y_of(nd({2, 3}, [](auto& l) { l.mutable_gather(); })) == std::nullopt);  // value-dependent: unknown
}

TEST_CASE("shape inference: custom layers take shapes from a callback or outputTensor, else unknown") {
  cml::Model model = network(2, {3}, [](cml::NeuralNetworkLayer& l) { l.mutable_custom()->set_classname("Swish"); });
  CHECK(y_of(model) == std::nullopt);
  spec::ShapeOptions options;
  options.custom_shapes = [](const cml::NeuralNetworkLayer&, const std::vector<MaybeShape>& inputs) {
    return std::optional<std::vector<MaybeShape>>(std::vector<MaybeShape>{inputs.at(0)});
  };
  CHECK(infer_shapes(model, options).shapes.at("y") == MaybeShape(Shape{1, 1, 3, 1, 1}));
  cml::Tensor* hint = layer_of(model).add_outputtensor();
  hint->set_rank(5);
  for (const int d : {1, 1, 3, 1, 1}) hint->add_dimvalue(d);
  CHECK(y_of(model) == MaybeShape(Shape{1, 1, 3, 1, 1}));
}

TEST_CASE("validation E100: an input shape that contradicts the layer's parameters") {
  CHECK(validate(network(1, {3, 8, 8}, [](auto& l) { conv(l, 4, 3, 3, 1, true); })).empty());
  const Finding f = only(validate(network(1, {2, 8, 8}, [](auto& l) { conv(l, 4, 3, 3, 1, true); })), "E100");
  CHECK(f.where == "layer 'l' (convolution)");
  CHECK(f.message == "the input has 2 channels [1, 1, 2, 8, 8]; kernelChannels 3 x nGroups 1 = 3 expected");
  const cml::Model fc = network(1, {2, 3, 4}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_innerproduct()->set_inputchannels(20);
    l.mutable_innerproduct()->set_outputchannels(1);
    for (int i = 0; i < 20; ++i) l.mutable_innerproduct()->mutable_weights()->add_floatvalue(0.0F);
  });
  CHECK(only(validate(fc), "E100").message ==
        "the input [1, 1, 2, 3, 4] has 24 values per C x H x W; inputChannels is 20");
  const cml::Model reshape = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) {
    for (const int d : {5, 11, 1}) l.mutable_reshape()->add_targetshape(d);
  });
  CHECK(only(validate(reshape), "E100").message == "targetShape holds 55 values but the input [1, 1, 3, 4, 5] has 60");
  CHECK(only(validate(network(1, {3, 2, 8}, [](auto& l) { conv(l, 4, 3, 3, 1, false); })), "E100").message ==
        "the window of 3 covers more than the input's height 2 (valid padding leaves no output)");
}

TEST_CASE("validation E101: inputs that do not fit together") {
  cml::Model model = network(1, {3, 4, 5}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_concat();
    l.add_input("x2");
  });
  add_array(model.mutable_description()->mutable_input(), "x2");
  set_shape(input_feature(model, 1), {3, 4, 6});
  const Finding f = only(validate(model), "E101");
  CHECK(f.message == "input 'x2' [1, 1, 3, 4, 6] does not fit input 'x' [1, 1, 3, 4, 5]: all axes but the "
                     "concatenated one (-3) must be equal");
  layer_of(model).mutable_add();
  CHECK(only(validate(model), "E101").message ==
        "the inputs [1, 1, 3, 4, 5] and [1, 1, 3, 4, 6] cannot be combined elementwise: sizes 5 and 6 differ and "
        "neither is 1");
  set_shape(input_feature(model, 1), {3, 1, 1});  // broadcasts over H and W
  CHECK_FALSE(has(validate(model), "E101"));
}

TEST_CASE("validation E102: PReLU alpha has 1 or C values") {
  cml::Model model = network(1, {3, 4, 4}, [](cml::NeuralNetworkLayer& l) {
    for (int i = 0; i < 2; ++i) l.mutable_activation()->mutable_prelu()->mutable_alpha()->add_floatvalue(0.1F);
  });
  CHECK(only(validate(model), "E102").message ==
        "PReLU alpha has 2 but the input [1, 1, 3, 4, 4] has 3 channels (1 shared value is also allowed)");
  layer_of(model).mutable_activation()->mutable_prelu()->mutable_alpha()->add_floatvalue(0.1F);
  CHECK(validate(model).empty());
}

TEST_CASE("validation E103: a declared output shape the network cannot produce") {
  cml::Model model = network(1, {3, 8, 8}, [](auto& l) { conv(l, 4, 3, 3, 1, false); });
  set_shape(output_feature(model), {4, 6, 6});
  CHECK(validate(model).empty());
  set_shape(output_feature(model), {4, 8, 8});
  const Finding f = only(validate(model), "E103");
  CHECK(f.where == "output 'y'");
  CHECK(f.message == "the output is declared as [4, 8, 8] but the network produces [1, 1, 4, 6, 6]");
}

TEST_CASE("validation W060: a reshape after a custom layer whose output shape is unknown") {
  cml::Model model = network(2, {3}, [](cml::NeuralNetworkLayer& l) {
    l.mutable_custom()->set_classname("Swish");
    l.set_output(0, "s");
  });
  cml::NeuralNetworkLayer* reshape = model.mutable_neuralnetwork()->add_layers();
  reshape->set_name("r");
  reshape->add_input("s");
  reshape->add_output("y");
  for (const int d : {3, 1, 1}) reshape->mutable_reshape()->add_targetshape(d);
  const Finding f = only(validate(model), "W060");
  CHECK(f.where == "layer 'r' (reshape)");
  CHECK(f.message == "input 's' has no known shape: it comes from layer 'l' (custom) of class 'Swish', whose output "
                     "shape the model does not state; a reshape layer needs its input's size when Core ML compiles "
                     "the model, which then fails with \"invalid dst shape\"");
  CHECK(f.hint == "give the output shape of layer 'l' (custom) of class 'Swish' in a bindings file (or as the "
                  "layer's outputTensor), or compute the reshape inside the custom layer");
  // An activation between them does not hide where the unknown shape comes from.
  reshape->set_input(0, "t");
  auto* relu = model.mutable_neuralnetwork()->mutable_layers()->Add();
  relu->set_name("relu2");
  relu->add_input("s");
  relu->add_output("t");
  relu->mutable_activation()->mutable_relu();
  model.mutable_neuralnetwork()->mutable_layers()->SwapElements(1, 2);
  CHECK(has(validate(model), "W060"));
  // With the shape stated, nothing to warn about.
  cml::Tensor* hint = model.mutable_neuralnetwork()->mutable_layers(0)->add_outputtensor();
  hint->set_rank(5);
  for (const int d : {1, 1, 3, 1, 1}) hint->add_dimvalue(d);
  CHECK_FALSE(has(validate(model), "W060"));
}

TEST_CASE("shape inference: real models produce their declared fixed output shapes") {
  int compared = 0;
  for (const auto& path : real_models()) {
    CAPTURE(path.filename().string());
    const spec::LoadedModel loaded = spec::load_model(path);
    const auto check_model = [&](const cml::Model& model) {
      if (!spec::network_of(model)) return;
      const auto inferred = infer_shapes(model);
      CHECK(inferred.issues.size() <= 1);  // at most the Swish-then-reshape warning
      for (const auto& output : model.description().output()) {
        if (!output.type().has_multiarraytype() || output.type().multiarraytype().shape_size() == 0) continue;
        const auto it = inferred.shapes.find(output.name());
        if (it == inferred.shapes.end() || !it->second) continue;
        const Shape declared(output.type().multiarraytype().shape().begin(), output.type().multiarraytype().shape().end());
        Shape produced = *it->second;
        if (!inferred.nd && produced.size() == 5) {
          produced = declared.size() == 1 ? Shape{produced[2]} : Shape{produced[2], produced[3], produced[4]};
        }
        CAPTURE(output.name());
        CHECK(produced == declared);
        ++compared;
      }
    };
    check_model(loaded.model);
    if (const auto* pipeline = spec::pipeline_of(loaded.model)) {
      for (const auto& sub : pipeline->models()) check_model(sub);
    }
  }
  CHECK(compared >= 10);
}

}  // namespace mlconv::test

namespace mlconv::test {
namespace {

// An exact-mapping (iOS 13) model with input x [1, 3] and the given layers, in protobuf text format.
cml::Model nd_network(const std::string& layers_text) {
  cml::Model model;
  const std::string text = R"(
    specificationVersion: 4
    description {
      input { name: "x" type { multiArrayType { shape: 1 shape: 3 dataType: FLOAT32 } } }
      input { name: "c" type { multiArrayType { shape: 1 dataType: FLOAT32 } } }
      output { name: "y" type { multiArrayType { dataType: FLOAT32 } } }
    }
    neuralNetwork { arrayInputShapeMapping: EXACT_ARRAY_MAPPING )" + layers_text + "}";
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &model));
  return model;
}

}  // namespace

TEST_CASE("shape inference: a branch joins the shapes its two bodies give a blob") {
  const cml::Model model = nd_network(R"(
    layers { name: "b" input: "c" branch {
      ifBranch { layers { name: "same" input: "x" output: "y" activation { ReLU {} } } }
      elseBranch { layers { name: "twice" input: "x" input: "x" output: "y" concatND { axis: 0 } } }
    } }
    layers { name: "after" input: "y" output: "z" activation { ReLU {} } })");
  const auto inferred = infer_shapes(model);
  CHECK(inferred.shapes.at("y") == MaybeShape(Shape{q, 3}));
  CHECK(inferred.shapes.at("z") == MaybeShape(Shape{q, 3}));
  CHECK(inferred.issues.empty());

  // Without an else branch the blob is what the if branch gives (or undefined).
  const cml::Model one_sided = nd_network(R"(
    layers { name: "b" input: "c" branch {
      ifBranch { layers { name: "twice" input: "x" input: "x" output: "y" concatND { axis: 1 } } }
    } })");
  CHECK(infer_shapes(one_sided).shapes.at("y") == MaybeShape(Shape{1, 6}));
}

TEST_CASE("shape inference: a loop body's carried blobs settle on what every iteration allows") {
  const cml::Model model = nd_network(R"(
    layers { name: "start" input: "x" output: "acc" activation { linear { alpha: 1 } } }
    layers { name: "repeat" loop { maxLoopIterations: 3 bodyNetwork {
      layers { name: "fixed" input: "x" output: "r" activation { ReLU {} } }
      layers { name: "grow" input: "acc" input: "r" output: "grown" concatND { axis: 0 } }
      layers { name: "carry" input: "grown" output: "acc" copy {} }
    } } }
    layers { name: "end" input: "acc" output: "y" activation { ReLU {} } })");
  const auto inferred = infer_shapes(model);
  CHECK(inferred.shapes.at("r") == MaybeShape(Shape{1, 3}));  // the same every iteration
  CHECK(inferred.shapes.at("acc") == MaybeShape(Shape{q, 3}));
  CHECK(inferred.shapes.at("grown") == MaybeShape(Shape{q, 3}));
  CHECK(inferred.shapes.at("y") == MaybeShape(Shape{q, 3}));
  // A shape that grows per iteration is no contradiction.
  CHECK(inferred.issues.empty());
}

TEST_CASE("shape inference: a loop overwriting a blob of unknown shape keeps it unknown") {
  // A custom layer without a shape callback leaves 'acc' unknown before the loop.
  const cml::Model model = nd_network(R"(
    layers { name: "opaque" input: "x" output: "acc" custom { className: "Opaque" } }
    layers { name: "repeat" loop { maxLoopIterations: 2 bodyNetwork {
      layers { name: "next" input: "x" output: "n" activation { ReLU {} } }
      layers { name: "carry" input: "n" output: "acc" copy {} }
    } } }
    layers { name: "end" input: "acc" output: "y" activation { ReLU {} } })");
  const auto inferred = infer_shapes(model);
  CHECK(inferred.shapes.at("n") == MaybeShape(Shape{1, 3}));
  CHECK(inferred.shapes.at("acc") == std::nullopt);
  CHECK(inferred.issues.empty());
}

TEST_CASE("shape inference: a contradiction inside a loop body is reported once, naming the body") {
  const cml::Model model = nd_network(R"(
    layers { name: "repeat" loop { maxLoopIterations: 2 bodyNetwork {
      layers { name: "bad" input: "x" input: "wide" output: "s" addBroadcastable {} }
    } } }
    layers { name: "w" input: "x" input: "x" output: "wide" concatND { axis: 1 } }
    layers { name: "end" input: "x" output: "y" activation { ReLU {} } })");
  // 'wide' is written after the loop: inside it, its shape is not known yet.
  CHECK(infer_shapes(model).issues.empty());

  const cml::Model broken = nd_network(R"(
    layers { name: "w" input: "x" input: "x" input: "x" output: "wide" concatND { axis: 1 } }
    layers { name: "pair" input: "x" input: "x" output: "two" concatND { axis: 1 } }
    layers { name: "repeat" loop { maxLoopIterations: 2 bodyNetwork {
      layers { name: "bad" input: "two" input: "wide" output: "s" addBroadcastable {} }
    } } }
    layers { name: "end" input: "x" output: "y" activation { ReLU {} } })");
  const auto issues = infer_shapes(broken).issues;
  REQUIRE(issues.size() == 1);
  CHECK(issues[0].where == "layer 'repeat' (loop), bodyNetwork: layer 'bad' (addBroadcastable)");
}

}  // namespace mlconv::test
