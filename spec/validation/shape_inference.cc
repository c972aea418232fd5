// infer_shapes: maps the declared inputs to the tensors the first layer sees,
// runs the per-layer rules (shape_rules*.cc) in layer order, asks the caller
// (bindings, plugins) or the layer's outputTensor hints for custom layers, and
// compares the declared outputs with what the network produces. It also
// remembers which custom layer made a blob's shape unknown, so a layer that
// needs a static shape can name the custom layer responsible.
#include "spec/validation/shape_inference.h"

#include <algorithm>
#include <set>

#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/spec_version.h"
#include "spec/validation/network_walk.h"
#include "spec/validation/shape_rules.h"

namespace mlconv::spec {

namespace cml = CoreML::Specification;
using Kind = ShapeIssue::Kind;

std::string shape_text(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    out += (i == 0 ? "" : ", ") + (shape[i] >= 0 ? std::to_string(shape[i]) : std::string("?"));
  }
  return out + "]";
}

namespace {

// The last iOS 12 specification version: layers up to it use rank-5 rules.
constexpr int last_rank5_spec_version = 3;

// Core ML switches the whole network to N-d rules when any layer is newer than
// iOS 12 or an input mapping other than rank 5 is chosen.
bool uses_nd(const NetworkView& network) {
  if (network.array_input_shape_mapping != cml::RANK5_ARRAY_MAPPING ||
      network.image_input_shape_mapping != cml::RANK5_IMAGE_MAPPING) {
    return true;
  }
  bool nd = false;
  validation::for_each_layer(network.layers, [&](const std::string&, const cml::NeuralNetworkLayer& layer) {
    if (spec_version_of_layer_case(layer.layer_case()) > last_rank5_spec_version) nd = true;
  });
  return nd;
}

// A declared multi-array shape with every flexible dimension unknown: the
// default shape where the ranges or enumerated shapes pin a dimension, unknown
// where they let it vary.
MaybeShape declared_array_shape(const cml::ArrayFeatureType& array) {
  Shape shape(array.shape().begin(), array.shape().end());
  if (array.has_shaperange()) {
    const auto& ranges = array.shaperange().sizeranges();
    if (shape.empty()) shape.assign(static_cast<std::size_t>(ranges.size()), unknown_dim);
    if (static_cast<int>(shape.size()) != ranges.size()) return std::nullopt;
    for (int i = 0; i < ranges.size(); ++i) {
      const auto& r = ranges[i];
      const bool fixed = r.upperbound() >= 0 && static_cast<std::uint64_t>(r.upperbound()) == r.lowerbound();
      shape[static_cast<std::size_t>(i)] = fixed ? r.upperbound() : unknown_dim;
    }
  } else if (array.has_enumeratedshapes()) {
    for (const auto& option : array.enumeratedshapes().shapes()) {
      if (shape.empty()) shape.assign(option.shape().begin(), option.shape().end());
      if (static_cast<int>(shape.size()) != option.shape_size()) return std::nullopt;  // the rank varies
      for (int i = 0; i < option.shape_size(); ++i) {
        if (shape[static_cast<std::size_t>(i)] != option.shape(i)) shape[static_cast<std::size_t>(i)] = unknown_dim;
      }
    }
  }
  if (shape.empty()) return std::nullopt;
  return shape;
}

// [C, H, W] of an image with unknown sizes where the flexibility lets them vary.
Shape declared_image_shape(const cml::ImageFeatureType& image) {
  const bool gray = image.colorspace() == cml::ImageFeatureType::GRAYSCALE ||
                    image.colorspace() == cml::ImageFeatureType::GRAYSCALE_FLOAT16;
  std::int64_t h = image.height();
  std::int64_t w = image.width();
  if (image.has_imagesizerange()) {
    const auto fixed = [](const cml::SizeRange& r) {
      return r.upperbound() >= 0 && static_cast<std::uint64_t>(r.upperbound()) == r.lowerbound();
    };
    if (!fixed(image.imagesizerange().heightrange())) h = unknown_dim;
    if (!fixed(image.imagesizerange().widthrange())) w = unknown_dim;
  } else if (image.has_enumeratedsizes()) {
    for (const auto& size : image.enumeratedsizes().sizes()) {
      if (static_cast<std::int64_t>(size.height()) != h) h = unknown_dim;
      if (static_cast<std::int64_t>(size.width()) != w) w = unknown_dim;
    }
  }
  return {gray ? 1 : 3, h, w};
}

MaybeShape input_shape(const cml::FeatureType& type, const NetworkView& network) {
  if (type.has_imagetype()) {
    Shape chw = declared_image_shape(type.imagetype());
    const bool rank4 = network.image_input_shape_mapping == cml::RANK4_IMAGE_MAPPING;
    chw.insert(chw.begin(), rank4 ? 1 : 2, 1);
    return chw;
  }
  if (!type.has_multiarraytype()) return std::nullopt;
  MaybeShape shape = declared_array_shape(type.multiarraytype());
  if (!shape || network.array_input_shape_mapping == cml::EXACT_ARRAY_MAPPING) return shape;
  // Rank-5 mapping: [C] -> [1, 1, C, 1, 1], [C, H, W] -> [1, 1, C, H, W]; other ranks are refused by Core ML.
  if (shape->size() == 1) return Shape{1, 1, (*shape)[0], 1, 1};
  if (shape->size() == 3) return Shape{1, 1, (*shape)[0], (*shape)[1], (*shape)[2]};
  return std::nullopt;
}

// Layers whose fixed target shape Core ML checks against the input's element
// count when it compiles the model; with an unknown input that check fails
// ("invalid dst shape", coremltools issue #114).
bool needs_static_input(const cml::NeuralNetworkLayer& layer) {
  return layer.has_reshape() || layer.has_reshapestatic() || layer.has_rankpreservingreshape();
}

class Propagation {
 public:
  Propagation(const ShapeOptions& options, bool nd, ShapeInference& result)
      : options_(options), nd_(nd), result_(result) {}

  void run(const validation::Layers& layers, const std::string& outer) {
    for (int i = 0; i < layers.size(); ++i) {
      const cml::NeuralNetworkLayer& layer = layers[i];
      const std::string where = outer + validation::layer_where(layer, i);
      if (layer.has_loop()) run_loop(layer, where);
      if (layer.has_branch()) run_branch(layer, where);
      std::vector<MaybeShape> outputs = infer(layer, where);
      outputs.resize(static_cast<std::size_t>(layer.output_size()));
      const std::string origin = unknown_origin(layer, where);
      for (int o = 0; o < layer.output_size(); ++o) {
        const std::string& name = layer.output(o);
        result_.shapes[name] = outputs[static_cast<std::size_t>(o)];
        if (!outputs[static_cast<std::size_t>(o)] && !origin.empty()) origin_[name] = origin;
      }
    }
  }

  // A body may run any number of times and feed its outputs back to its own
  // inputs, so a blob it writes over an outer one takes the shape both agree
  // on; repeating until nothing changes reaches that (each pass only turns
  // dimensions or ranks unknown). Issues count from the settled pass only, so a
  // shape that changes per iteration is never reported as a contradiction.
  void run_loop(const cml::NeuralNetworkLayer& layer, const std::string& where) {
    const std::set<std::string> written = blobs_written(layer);
    constexpr int max_passes = 16;
    for (int pass = 0; pass < max_passes; ++pass) {
      const Snapshot before = snapshot(written);
      const std::size_t issues_before = result_.issues.size();
      for (const SubNetwork& sub : sub_networks(layer)) {
        run(sub.network->layers(), where + ", " + std::string(sub.field) + ": ");
      }
      bool changed = false;
      for (const auto& [name, shape] : before) {
        if (!shape) continue;  // first written in the body: what the body gives
        MaybeShape joined = join(*shape, result_.shapes[name]);
        if (joined != *shape) changed = true;
        result_.shapes[name] = std::move(joined);
      }
      if (!changed || pass + 1 == max_passes) return;
      result_.issues.resize(issues_before);
    }
  }

  // Either branch may run: a blob keeps the shapes both ways agree on.
  void run_branch(const cml::NeuralNetworkLayer& layer, const std::string& where) {
    const std::set<std::string> written = blobs_written(layer);
    const Snapshot before = snapshot(written);
    std::vector<Snapshot> after;
    for (const SubNetwork& sub : sub_networks(layer)) {
      restore(before);
      run(sub.network->layers(), where + ", " + std::string(sub.field) + ": ");
      after.push_back(snapshot(written));
    }
    // A missing elseBranch is a path that writes nothing.
    if (!layer.branch().has_elsebranch()) after.push_back(before);
    for (const std::string& name : written) {
      std::optional<MaybeShape> joined;
      for (const Snapshot& path : after) {
        const std::optional<MaybeShape>& shape = path.at(name);
        if (!shape) continue;  // this path leaves the blob undefined
        joined = joined ? join(**joined, *shape) : *shape;
      }
      if (joined) result_.shapes[name] = *joined;
      else result_.shapes.erase(name);
    }
  }

  // Per blob: absent (not defined yet), or its shape (possibly unknown).
  using Snapshot = std::map<std::string, std::optional<MaybeShape>>;

  Snapshot snapshot(const std::set<std::string>& names) const {
    Snapshot out;
    for (const std::string& name : names) {
      const auto it = result_.shapes.find(name);
      out[name] = it == result_.shapes.end() ? std::nullopt : std::optional<MaybeShape>(it->second);
    }
    return out;
  }

  void restore(const Snapshot& saved) {
    for (const auto& [name, shape] : saved) {
      if (shape) result_.shapes[name] = *shape;
      else result_.shapes.erase(name);
    }
  }

  static std::set<std::string> blobs_written(const cml::NeuralNetworkLayer& layer) {
    std::set<std::string> out;
    for (const SubNetwork& sub : sub_networks(layer)) {
      validation::for_each_layer(sub.network->layers(), [&](const std::string&, const cml::NeuralNetworkLayer& inner) {
        out.insert(inner.output().begin(), inner.output().end());
      });
    }
    return out;
  }

  // The most a shape can be said to be when it may be either of two.
  static MaybeShape join(const MaybeShape& a, const MaybeShape& b) {
    if (!a || !b || a->size() != b->size()) return std::nullopt;
    Shape out = *a;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (out[i] != (*b)[i]) out[i] = unknown_dim;
    }
    return out;
  }

  void set_input(const std::string& name, MaybeShape shape) { result_.shapes[name] = std::move(shape); }

 private:
  MaybeShape shape_of(const std::string& blob) const {
    const auto it = result_.shapes.find(blob);
    return it == result_.shapes.end() ? std::nullopt : it->second;
  }

  // The custom layer (described for messages) that made an unknown input unknown, if any.
  std::string unknown_origin(const cml::NeuralNetworkLayer& layer, const std::string& where) const {
    if (layer.has_custom()) return where + " of class '" + layer.custom().classname() + "'";
    for (const std::string& input : layer.input()) {
      if (shape_of(input)) continue;
      if (const auto it = origin_.find(input); it != origin_.end()) return it->second;
    }
    return {};
  }

  std::vector<MaybeShape> infer(const cml::NeuralNetworkLayer& layer, const std::string& where) {
    std::vector<MaybeShape> inputs;
    for (const std::string& input : layer.input()) inputs.push_back(shape_of(input));
    if (layer.has_custom()) return custom(layer, inputs);
    if (needs_static_input(layer)) warn_if_custom_unknown(layer, where, inputs);
    return shape_rules::infer_layer(shape_rules::LayerShapes{layer, where, std::move(inputs), nd_, result_.issues});
  }

  // A binding (the caller's callback) wins; then fully known outputTensor hints in the model.
  std::vector<MaybeShape> custom(const cml::NeuralNetworkLayer& layer, const std::vector<MaybeShape>& inputs) const {
    if (options_.custom_shapes) {
      if (auto given = options_.custom_shapes(layer, inputs)) return *given;
    }
    std::vector<MaybeShape> out;
    for (const cml::Tensor& hint : layer.outputtensor()) {
      const Shape dims(hint.dimvalue().begin(), hint.dimvalue().end());
      const bool complete = !dims.empty() && static_cast<int>(hint.rank()) == hint.dimvalue_size() &&
                            std::all_of(dims.begin(), dims.end(), [](std::int64_t d) { return d >= 0; });
      out.push_back(complete ? MaybeShape(dims) : std::nullopt);
    }
    return out;
  }

  void warn_if_custom_unknown(const cml::NeuralNetworkLayer& layer, const std::string& where,
                              const std::vector<MaybeShape>& inputs) {
    for (int i = 0; i < layer.input_size(); ++i) {
      if (inputs[static_cast<std::size_t>(i)]) continue;
      const auto it = origin_.find(layer.input(i));
      if (it == origin_.end()) continue;
      result_.issues.push_back(ShapeIssue{
          Kind::custom_unknown, where, &layer,
          "input '" + layer.input(i) + "' has no known shape: it comes from " + it->second +
              ", whose output shape the model does not state; a " + std::string(layer_type_name(layer)) +
              " layer needs its input's size when Core ML compiles the model, which then fails with "
              "\"invalid dst shape\"",
          "give the output shape of " + it->second + " in a bindings file (or as the layer's outputTensor), or "
          "compute the reshape inside the custom layer"});
    }
  }

  const ShapeOptions& options_;
  bool nd_;
  ShapeInference& result_;
  std::map<std::string, std::string> origin_;  // unknown blob -> the custom layer it traces back to
};

// A declared output shape that the produced shape cannot have.
void check_declared_outputs(const cml::Model& model, bool nd, ShapeInference& result) {
  const cml::ModelDescription& description = model.description();
  for (const auto& output : description.output()) {
    const auto it = result.shapes.find(output.name());
    if (it == result.shapes.end() || !it->second) continue;
    const Shape& produced = *it->second;
    Shape declared;
    if (output.type().has_multiarraytype()) {
      const auto& array = output.type().multiarraytype();
      // Flexible outputs declare only a default; leave them alone.
      if (array.ShapeFlexibility_case() != cml::ArrayFeatureType::SHAPEFLEXIBILITY_NOT_SET) continue;
      declared.assign(array.shape().begin(), array.shape().end());
    } else if (output.type().has_imagetype()) {
      if (output.type().imagetype().SizeFlexibility_case() != cml::ImageFeatureType::SIZEFLEXIBILITY_NOT_SET) continue;
      declared = declared_image_shape(output.type().imagetype());
    }
    if (declared.empty()) continue;
    // Rank-5 networks compare what the declaration names: [C] (with H = W = 1) or [C, H, W].
    Shape compared = produced;
    if (!nd && produced.size() == 5) {
      if (declared.size() == 1) {
        const auto flat = [](std::int64_t d) { return d == 1 || d == unknown_dim; };
        compared = flat(produced[3]) && flat(produced[4]) ? Shape{produced[2]} : Shape{produced[2], produced[3], produced[4]};
      } else if (declared.size() == 3) {
        compared = {produced[2], produced[3], produced[4]};
      } else {
        continue;
      }
    }
    bool fits = compared.size() == declared.size();
    for (std::size_t i = 0; fits && i < compared.size(); ++i) {
      if (compared[i] >= 0 && declared[i] >= 0 && compared[i] != declared[i]) fits = false;
    }
    if (fits) continue;
    result.issues.push_back(ShapeIssue{
        Kind::declared_output, describe_named("output", output.name()), nullptr,
        "the output is declared as " + shape_text(declared) + " but the network produces " + shape_text(produced),
        "declare the output as the network computes it, or fix the layers that produce it"});
  }
}

}  // namespace

ShapeInference infer_shapes(const cml::Model& model, const ShapeOptions& options) {
  ShapeInference result;
  const auto network = network_of(model);
  if (!network) return result;
  result.nd = uses_nd(*network);
  Propagation propagation(options, result.nd, result);
  for (const auto& input : model.description().input()) propagation.set_input(input.name(), input_shape(input.type(), *network));
  propagation.run(network->layers, "");
  check_declared_outputs(model, result.nd, result);
  return result;
}

}  // namespace mlconv::spec
