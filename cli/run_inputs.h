// The inputs of `mlconv run`: files given with --input NAME=FILE (.npy, .json
// nested arrays, or an image), random values for the rest with
// --random-inputs, shapes for flexible inputs from --input-shape, and
// --save-inputs to keep what was used.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "Model.pb.h"
#include "executor/features.h"
#include "executor/io/image.h"

namespace mlconv::cli {

struct InputOptions {
  std::vector<std::string> inputs;        // NAME=FILE
  std::vector<std::string> input_shapes;  // NAME=1,3,224,224
  bool random = false;
  std::uint64_t seed = 0;
  double low = 0.0;
  double high = 1.0;
  bool range_given = false;  // --val-range was given: it applies to index inputs too
  // Inputs that an embedding layer reads as indices, with the vocabulary size:
  // random values for them are whole numbers in [0, size) (unless --val-range).
  std::map<std::string, std::int64_t> index_inputs;
};

// The model inputs that an embedding or embeddingND layer reads directly, with
// the smallest vocabulary size among those layers (networks of pipelines too).
std::map<std::string, std::int64_t> embedding_index_inputs(const CoreML::Specification::Model& model);

// "NAME=VALUE" split at the first '='; throws a usage Error naming the option otherwise.
std::pair<std::string, std::string> split_assignment(const std::string& text, const std::string& option);

// Builds every input the model declares. Throws mlconv::Error naming the
// input and file for a file that does not load or fit, and lists the required
// inputs that were not given when --random-inputs is off.
exec::FeatureMap prepare_inputs(const CoreML::Specification::ModelDescription& description, const InputOptions& options);

// The pixel layout of a declared colour space (GRAYSCALE_FLOAT16 reads as grayscale).
exec::io::ColorLayout color_layout(CoreML::Specification::ImageFeatureType::ColorSpace space);

// Writes NAME.npy for every array input and NAME.png + NAME.npy for images.
void save_inputs(const exec::FeatureMap& inputs, const std::string& directory);

}  // namespace mlconv::cli
