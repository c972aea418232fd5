#include "cli/run_inputs.h"

#include "cli/run_outputs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <set>
#include <sstream>

#include "executor/io/image.h"
#include "executor/io/json_array.h"
#include "executor/io/npy.h"
#include "executor/predictor.h"
#include "spec/error.h"
#include "spec/model_parts.h"
#include "spec/names.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
namespace fs = std::filesystem;

std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option) {
  const auto equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw Error(option + " expects NAME=VALUE, got '" + text + "'", Error::Kind::usage);
  return {text.substr(0, equals), text.substr(equals + 1)};
}

exec::io::ColorLayout color_layout(cml::ImageFeatureType::ColorSpace space) {
  switch (space) {
    case cml::ImageFeatureType::BGR: return exec::io::ColorLayout::bgr;
    case cml::ImageFeatureType::RGB: return exec::io::ColorLayout::rgb;
    default: return exec::io::ColorLayout::grayscale;
  }
}

namespace {

exec::Shape parse_shape(const std::string& text, const std::string& option) {
  exec::Shape shape;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string item = text.substr(start, comma - start);
    std::size_t used = 0;
    long long dim = -1;
    try {
      dim = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || dim <= 0)
      throw Error(option + " expects positive dimensions separated by commas, got '" + text + "'", Error::Kind::usage);
    shape.push_back(dim);
    start = comma + 1;
  }
  return shape;
}

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
}

exec::Tensor load_array_file(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".npy") return exec::io::read_npy(path).to_tensor();
  if (ext == ".json") return exec::io::read_json_tensor(path);
  throw Error("expected an .npy or .json array file").in_file(path.string());
}

// The image size to decode to: the declared size, unless the model accepts
// other sizes and the file's own size is one of them.
std::pair<std::int64_t, std::int64_t> image_target_size(const cml::ImageFeatureType& image, const fs::path& path) {
  const exec::io::ImageInfo info = exec::io::image_info(path);
  const std::int64_t width = info.width;
  const std::int64_t height = info.height;
  bool accepted = false;
  if (image.has_enumeratedsizes()) {
    for (const auto& size : image.enumeratedsizes().sizes())
      accepted = accepted || (static_cast<std::int64_t>(size.width()) == width &&
                              static_cast<std::int64_t>(size.height()) == height);
  } else if (image.has_imagesizerange()) {
    auto in = [](std::int64_t d, const cml::SizeRange& r) {
      return d >= static_cast<std::int64_t>(r.lowerbound()) && (r.upperbound() < 0 || d <= r.upperbound());
    };
    accepted = in(width, image.imagesizerange().widthrange()) && in(height, image.imagesizerange().heightrange());
  }
  if (accepted) return {width, height};
  return {image.width(), image.height()};
}

// An Int32 input holds integers: a fraction in its file is a wrong dtype, not something to
// round silently (an index or a count would then be off by one somewhere downstream).
void check_integers(const cml::FeatureDescription& input, const exec::Tensor& tensor) {
  for (std::int64_t i = 0; i < tensor.size(); ++i) {
    const float value = tensor.data()[i];
    const double exact = value;
    if (std::isfinite(exact) && std::nearbyint(exact) == exact && exact >= -2147483648.0 && exact <= 2147483647.0) continue;
    std::ostringstream text;
    text << value;
    throw Error(describe_named("input", input.name()) + " is " + exec::describe_feature_type(input.type()) +
                "; element " + std::to_string(i) + " is " + text.str() + ", not a 32-bit integer");
  }
}

exec::FeatureValue load_input(const cml::FeatureDescription& input, const fs::path& path) {
  const cml::FeatureType& type = input.type();
  if (type.has_imagetype()) {
    const cml::ImageFeatureType& image = type.imagetype();
    try {
      if (is_image_file(path)) {
        const auto [width, height] = image_target_size(image, path);
        exec::io::ImageReadOptions read;
        read.layout = color_layout(image.colorspace());
        read.width = width;
        read.height = height;
        return exec::FeatureValue::image(exec::io::read_image(path, read), image.colorspace());
      }
      // An array file for an image input holds the pixel values [C, H, W] directly.
      return exec::FeatureValue::image(load_array_file(path), image.colorspace());
    } catch (Error& error) {
      throw error.within(describe_named("input", input.name()));
    }
  }
  if (type.has_multiarraytype()) {
    if (is_image_file(path))
      throw Error("is an image, but input '" + input.name() + "' is a MultiArray; give an .npy or .json array")
          .in_file(path.string());
    exec::Tensor tensor;
    try {
      tensor = load_array_file(path);
    } catch (Error& error) {
      throw error.within(describe_named("input", input.name()));
    }
    try {
      exec::check_array_input_shape(input, tensor.shape());
      if (type.multiarraytype().datatype() == cml::ArrayFeatureType::INT32) check_integers(input, tensor);
    } catch (Error& error) {
      throw error.in_file(path.string());
    }
    return exec::FeatureValue::array(std::move(tensor), type.multiarraytype().datatype());
  }
  throw Error("input '" + input.name() + "' is a " + std::string(spec::feature_type_name(type)) +
              "; mlconv run reads only MultiArray and Image inputs from files");
}

// Uniform doubles in [0, 1) from the top 53 bits, the same on every platform
// (std::uniform_real_distribution is not specified bit for bit).
double unit_uniform(std::mt19937_64& random) { return static_cast<double>(random() >> 11) * 0x1.0p-53; }

exec::Shape random_shape(const cml::FeatureDescription& input, const std::map<std::string, exec::Shape>& shapes) {
  if (auto found = shapes.find(input.name()); found != shapes.end()) {
    exec::check_array_input_shape(input, found->second);
    return found->second;
  }
  const exec::Shape shape = exec::default_array_shape(input.type().multiarraytype());
  if (shape.empty())
    throw Error("input '" + input.name() + "' declares no shape; give one with --input-shape " + input.name() +
                "=D1,D2,...");
  return shape;
}

exec::FeatureValue random_input(const cml::FeatureDescription& input, const InputOptions& options,
                                const std::map<std::string, exec::Shape>& shapes, std::mt19937_64& random) {
  const cml::FeatureType& type = input.type();
  if (type.has_imagetype()) {
    const cml::ImageFeatureType& image = type.imagetype();
    std::int64_t width = image.width();
    std::int64_t height = image.height();
    if (auto found = shapes.find(input.name()); found != shapes.end()) {
      if (found->second.size() != 2)
        throw Error("--input-shape for image input '" + input.name() + "' expects WIDTH,HEIGHT", Error::Kind::usage);
      width = found->second[0];
      height = found->second[1];
    }
    const std::int64_t channels = image.colorspace() == cml::ImageFeatureType::GRAYSCALE ||
                                          image.colorspace() == cml::ImageFeatureType::GRAYSCALE_FLOAT16
                                      ? 1
                                      : 3;
    exec::Tensor pixels({channels, height, width});
    // Pixels are whole 8-bit values, as a decoded image would give.
    for (float& v : pixels.values()) v = static_cast<float>(random() % 256);
    return exec::FeatureValue::image(std::move(pixels), image.colorspace());
  }
  if (!type.has_multiarraytype())
    throw Error("input '" + input.name() + "' is a " + std::string(spec::feature_type_name(type)) +
                "; --random-inputs fills only MultiArray and Image inputs");
  exec::Tensor tensor(random_shape(input, shapes));
  bool integral = type.multiarraytype().datatype() == cml::ArrayFeatureType::INT32;
  double low = options.low;
  double high = options.high;
  if (auto index = options.index_inputs.find(input.name()); index != options.index_inputs.end() && !options.range_given) {
    integral = true;
    low = 0;
    high = static_cast<double>(index->second);
  }
  for (float& v : tensor.values()) {
    const double x = low + (high - low) * unit_uniform(random);
    v = static_cast<float>(integral ? std::floor(x) : x);
  }
  return exec::FeatureValue::array(std::move(tensor), type.multiarraytype().datatype());
}

void collect_index_inputs(const cml::Model& model, std::map<std::string, std::int64_t>& found) {
  std::set<std::string> inputs;
  for (const auto& input : model.description().input()) inputs.insert(input.name());
  if (const auto network = spec::network_of(model)) {
    for (const cml::NeuralNetworkLayer& layer : network->layers) {
      std::int64_t size = 0;
      if (layer.has_embedding()) size = static_cast<std::int64_t>(layer.embedding().inputdim());
      else if (layer.has_embeddingnd()) size = static_cast<std::int64_t>(layer.embeddingnd().vocabsize());
      if (size <= 0 || layer.input_size() < 1 || !inputs.contains(layer.input(0))) continue;
      auto [entry, added] = found.emplace(layer.input(0), size);
      if (!added) entry->second = std::min(entry->second, size);
    }
  } else if (const cml::Pipeline* pipeline = spec::pipeline_of(model)) {
    for (const cml::Model& stage : pipeline->models()) collect_index_inputs(stage, found);
  }
}

}  // namespace

std::map<std::string, std::int64_t> embedding_index_inputs(const cml::Model& model) {
  std::map<std::string, std::int64_t> found;
  collect_index_inputs(model, found);
  // A pipeline stage's inputs may be another stage's outputs; keep the model's own.
  std::map<std::string, std::int64_t> own;
  for (const auto& input : model.description().input())
    if (auto entry = found.find(input.name()); entry != found.end()) own.insert(*entry);
  return own;
}

exec::FeatureMap prepare_inputs(const cml::ModelDescription& description, const InputOptions& options) {
  std::map<std::string, std::string> files;
  for (const std::string& item : options.inputs) {
    auto [name, file] = split_assignment(item, "--input");
    if (!files.emplace(name, file).second) throw Error("--input " + name + " is given twice", Error::Kind::usage);
  }
  std::map<std::string, exec::Shape> shapes;
  for (const std::string& item : options.input_shapes) {
    auto [name, text] = split_assignment(item, "--input-shape");
    shapes[name] = parse_shape(text, "--input-shape " + name);
  }
  std::vector<std::string> declared;
  for (const auto& input : description.input()) declared.push_back(input.name());
  auto check_declared = [&](const std::string& name, const std::string& option) {
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) return;
    std::string list;
    for (const std::string& d : declared) list += (list.empty() ? "" : ", ") + d;
    throw Error(option + " names '" + name + "', which is not an input of the model; its inputs are: " + list);
  };
  for (const auto& [name, file] : files) check_declared(name, "--input");
  for (const auto& [name, shape] : shapes) check_declared(name, "--input-shape");

  exec::FeatureMap inputs;
  std::mt19937_64 random(options.seed);
  std::vector<std::string> missing;
  for (const auto& input : description.input()) {
    if (auto found = files.find(input.name()); found != files.end()) {
      try {
        inputs[input.name()] = load_input(input, found->second);
      } catch (Error& error) {
        throw error.in_file(found->second);
      }
    } else if (options.random && !input.type().isoptional()) {
      inputs[input.name()] = random_input(input, options, shapes, random);
    } else if (!input.type().isoptional()) {
      missing.push_back(input.name() + " (" + exec::describe_feature_type(input.type()) + ")");
    }
  }
  if (!missing.empty()) {
    std::string list;
    for (const std::string& m : missing) list += (list.empty() ? "" : ", ") + m;
    throw Error("missing input" + std::string(missing.size() > 1 ? "s " : " ") + list +
                    "; give each with --input NAME=FILE (.npy, .json or an image) or use --random-inputs");
  }
  return inputs;
}

void save_inputs(const exec::FeatureMap& inputs, const std::string& directory) {
  std::error_code ec;
  fs::create_directories(directory, ec);
  if (ec) throw Error("cannot create directory: " + ec.message(), Error::Kind::io).in_file(directory);
  for (const auto& [name, value] : inputs) {
    const fs::path base = fs::path(directory) / file_stem_for(name);
    write_array_npy(base.string() + ".npy", value);
    if (value.kind == exec::FeatureValue::Kind::image)
      exec::io::write_png(base.string() + ".png", value.tensor, color_layout(value.color_space));
  }
}

}  // namespace mlconv::cli
