// A model's inputs and outputs as values: what `predict` takes and returns.
// Arrays are float tensors with the element type the model declares kept
// beside them (so outputs are written as the model's DOUBLE or INT32);
// images are [C, H, W] pixel values 0..255 in the declared colour space.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "FeatureTypes.pb.h"
#include "executor/tensor.h"

namespace mlconv::exec {

struct FeatureValue {
  enum class Kind { array, image, string, int64, double_, dictionary };
  Kind kind = Kind::array;
  Tensor tensor;  // array, image
  CoreML::Specification::ArrayFeatureType::ArrayDataType array_type = CoreML::Specification::ArrayFeatureType::FLOAT32;
  CoreML::Specification::ImageFeatureType::ColorSpace color_space = CoreML::Specification::ImageFeatureType::RGB;
  std::string text;                  // string
  std::int64_t integer = 0;          // int64
  double number = 0;                 // double_
  bool int64_keys = false;           // dictionary: keys in `int_entries` instead of `string_entries`
  std::vector<std::pair<std::string, double>> string_entries;
  std::vector<std::pair<std::int64_t, double>> int_entries;

  static FeatureValue array(Tensor tensor, CoreML::Specification::ArrayFeatureType::ArrayDataType type =
                                               CoreML::Specification::ArrayFeatureType::FLOAT32);
  static FeatureValue image(Tensor pixels, CoreML::Specification::ImageFeatureType::ColorSpace color_space);
  static FeatureValue string_value(std::string text);
  static FeatureValue int64_value(std::int64_t value);
};

using FeatureMap = std::map<std::string, FeatureValue>;

// "MultiArray", "Image", "String", "Int64", "Double", "Dictionary".
const char* feature_kind_name(FeatureValue::Kind kind);

}  // namespace mlconv::exec
