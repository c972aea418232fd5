#include "executor/features.h"

namespace mlconv::exec {

FeatureValue FeatureValue::array(Tensor tensor, CoreML::Specification::ArrayFeatureType::ArrayDataType type) {
  FeatureValue value;
  value.kind = Kind::array;
  value.tensor = std::move(tensor);
  value.array_type = type;
  return value;
}

FeatureValue FeatureValue::image(Tensor pixels, CoreML::Specification::ImageFeatureType::ColorSpace color_space) {
  FeatureValue value;
  value.kind = Kind::image;
  value.tensor = std::move(pixels);
  value.color_space = color_space;
  return value;
}

FeatureValue FeatureValue::string_value(std::string text) {
  FeatureValue value;
  value.kind = Kind::string;
  value.text = std::move(text);
  return value;
}

FeatureValue FeatureValue::int64_value(std::int64_t integer) {
  FeatureValue value;
  value.kind = Kind::int64;
  value.integer = integer;
  return value;
}

const char* feature_kind_name(FeatureValue::Kind kind) {
  switch (kind) {
    case FeatureValue::Kind::array: return "MultiArray";
    case FeatureValue::Kind::image: return "Image";
    case FeatureValue::Kind::string: return "String";
    case FeatureValue::Kind::int64: return "Int64";
    case FeatureValue::Kind::double_: return "Double";
    case FeatureValue::Kind::dictionary: return "Dictionary";
  }
  return "?";
}

}  // namespace mlconv::exec
