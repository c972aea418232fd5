#include "cli/inspect_features.h"

#include "cli/inspect_report.h"
#include "spec/names.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
using nlohmann::ordered_json;

namespace {

// Ranges use -1 (or any negative) for "no upper bound"; JSON shows that as null.
ordered_json range_json(const cml::SizeRange& range) {
  return ordered_json::array({range.lowerbound(), range.upperbound() < 0 ? ordered_json(nullptr) : ordered_json(range.upperbound())});
}

ordered_json array_json(const cml::ArrayFeatureType& array) {
  ordered_json out;
  out["dataType"] = spec::enum_value_name(cml::ArrayFeatureType::ArrayDataType_descriptor(), array.datatype());
  out["shape"] = ordered_json::array();
  for (const auto dim : array.shape()) out["shape"].push_back(dim);
  switch (array.ShapeFlexibility_case()) {
    case cml::ArrayFeatureType::kEnumeratedShapes: {
      ordered_json shapes = ordered_json::array();
      for (const auto& shape : array.enumeratedshapes().shapes()) {
        ordered_json dims = ordered_json::array();
        for (const auto dim : shape.shape()) dims.push_back(dim);
        shapes.push_back(std::move(dims));
      }
      out["enumeratedShapes"] = std::move(shapes);
      break;
    }
    case cml::ArrayFeatureType::kShapeRange: {
      ordered_json ranges = ordered_json::array();
      for (const auto& range : array.shaperange().sizeranges()) ranges.push_back(range_json(range));
      out["shapeRange"] = std::move(ranges);
      break;
    }
    default:
      break;
  }
  switch (array.defaultOptionalValue_case()) {
    case cml::ArrayFeatureType::kIntDefaultValue: out["defaultValue"] = array.intdefaultvalue(); break;
    case cml::ArrayFeatureType::kFloatDefaultValue: out["defaultValue"] = json_number(shortest_double(array.floatdefaultvalue())); break;
    case cml::ArrayFeatureType::kDoubleDefaultValue: out["defaultValue"] = json_number(array.doubledefaultvalue()); break;
    default: break;
  }
  return out;
}

ordered_json image_json(const cml::ImageFeatureType& image) {
  ordered_json out;
  out["width"] = image.width();
  out["height"] = image.height();
  out["colorSpace"] = spec::enum_value_name(cml::ImageFeatureType::ColorSpace_descriptor(), image.colorspace());
  if (image.has_enumeratedsizes()) {
    ordered_json sizes = ordered_json::array();
    for (const auto& size : image.enumeratedsizes().sizes()) sizes.push_back({{"width", size.width()}, {"height", size.height()}});
    out["enumeratedSizes"] = std::move(sizes);
  } else if (image.has_imagesizerange()) {
    out["sizeRange"] = {{"width", range_json(image.imagesizerange().widthrange())},
                        {"height", range_json(image.imagesizerange().heightrange())}};
  }
  return out;
}

std::string scalar_name(std::string_view oneof_field) {
  // "int64KeyType" / "int64Type" -> "int64", "stringKeyType" -> "string"
  const auto cut = oneof_field.find_first_of("TK");
  return std::string(oneof_field.substr(0, cut));
}

std::string dims_text(const ordered_json& dims) {
  std::string out;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) out += " × ";
    out += dims[i].is_null() ? std::string("∞") : dims[i].dump();
  }
  return out;
}

std::string range_text(const ordered_json& range) {
  if (range[0] == range[1]) return range[0].dump();
  return range[0].dump() + ".." + (range[1].is_null() ? std::string("∞") : range[1].dump());
}

std::string data_type_text(const std::string& name) {
  if (name == "FLOAT32") return "Float32";
  if (name == "FLOAT16") return "Float16";
  if (name == "DOUBLE") return "Double";
  if (name == "INT32") return "Int32";
  if (name == "INT8") return "Int8";
  return name;
}

std::string array_text(const ordered_json& array) {
  std::string out = "MultiArray (" + data_type_text(array["dataType"].get<std::string>());
  if (array.contains("shapeRange")) {
    std::string dims;
    for (std::size_t i = 0; i < array["shapeRange"].size(); ++i) dims += (i ? " × " : "") + range_text(array["shapeRange"][i]);
    out += " " + dims;
  } else if (!array["shape"].empty()) {
    out += " " + dims_text(array["shape"]);
  }
  out += ")";
  if (array.contains("enumeratedShapes")) {
    std::string shapes;
    for (const auto& shape : array["enumeratedShapes"]) shapes += (shapes.empty() ? "" : ", ") + dims_text(shape);
    out += " one of {" + shapes + "}";
  }
  if (array.contains("defaultValue")) out += ", default " + array["defaultValue"].dump();
  return out;
}

std::string image_text(const ordered_json& image) {
  const std::string color = image["colorSpace"].get<std::string>();
  std::string out = "Image (" + color + " " + image["width"].dump() + " × " + image["height"].dump() + ")";
  if (image.contains("sizeRange")) {
    out += ", width " + range_text(image["sizeRange"]["width"]) + ", height " + range_text(image["sizeRange"]["height"]);
  } else if (image.contains("enumeratedSizes")) {
    std::string sizes;
    for (const auto& size : image["enumeratedSizes"]) sizes += (sizes.empty() ? "" : ", ") + size["width"].dump() + " × " + size["height"].dump();
    out += " one of {" + sizes + "}";
  }
  return out;
}

}  // namespace

ordered_json feature_json(const cml::FeatureDescription& feature) {
  ordered_json out;
  out["name"] = feature.name();
  const cml::FeatureType& type = feature.type();
  const std::string_view type_name = spec::feature_type_name(type);
  out["type"] = type_name.empty() ? ordered_json(nullptr) : ordered_json(type_name);
  out["optional"] = type.isoptional();
  if (!feature.shortdescription().empty()) out["shortDescription"] = feature.shortdescription();
  switch (type.Type_case()) {
    case cml::FeatureType::kMultiArrayType: out["multiArray"] = array_json(type.multiarraytype()); break;
    case cml::FeatureType::kImageType: out["image"] = image_json(type.imagetype()); break;
    case cml::FeatureType::kDictionaryType:
      out["dictionary"] = {{"keyType", scalar_name(spec::oneof_case_name(type.dictionarytype(), "KeyType"))}};
      break;
    case cml::FeatureType::kSequenceType: {
      ordered_json sequence{{"elementType", scalar_name(spec::oneof_case_name(type.sequencetype(), "Type"))}};
      if (type.sequencetype().has_sizerange()) sequence["sizeRange"] = range_json(type.sequencetype().sizerange());
      out["sequence"] = std::move(sequence);
      break;
    }
    case cml::FeatureType::kStateType:
      if (type.statetype().has_arraytype()) out["state"] = {{"multiArray", array_json(type.statetype().arraytype())}};
      break;
    default:
      break;
  }
  out["summary"] = feature_summary(out);
  return out;
}

std::string feature_summary(const ordered_json& feature) {
  std::string text;
  const std::string type = feature["type"].is_null() ? "" : feature["type"].get<std::string>();
  if (type == "multiArrayType") {
    text = array_text(feature["multiArray"]);
  } else if (type == "imageType") {
    text = image_text(feature["image"]);
  } else if (type == "int64Type") {
    text = "Int64";
  } else if (type == "doubleType") {
    text = "Double";
  } else if (type == "stringType") {
    text = "String";
  } else if (type == "dictionaryType") {
    const std::string key = feature["dictionary"]["keyType"].get<std::string>();
    text = std::string("Dictionary (") + (key == "int64" ? "Int64" : key == "string" ? "String" : key) + " → Double)";
  } else if (type == "sequenceType") {
    const std::string element = feature["sequence"]["elementType"].get<std::string>();
    text = std::string("Sequence of ") + (element == "int64" ? "Int64" : element == "string" ? "String" : element);
    if (feature["sequence"].contains("sizeRange")) text += " (" + range_text(feature["sequence"]["sizeRange"]) + ")";
  } else if (type == "stateType") {
    text = feature.contains("state") ? "State " + array_text(feature["state"]["multiArray"]) : "State";
  } else {
    text = "<no type>";
  }
  if (feature["optional"].get<bool>()) text += ", optional";
  return text;
}

}  // namespace mlconv::cli
