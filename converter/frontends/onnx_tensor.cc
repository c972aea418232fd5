// ONNX TensorProto / TypeProto -> IR conversion and external-data loading. The counts in
// a hostile file can be anything, so every element count is computed with overflow checks
// and compared with the bytes actually present before anything is allocated.
#include "converter/frontends/onnx_tensor.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "converter/frontends/mapped_file.h"
#include "spec/error.h"

namespace mlconv::converter::onnx_frontend {
namespace {

namespace fs = std::filesystem;
using DataType = onnx::TensorProto::DataType;

// Product of `dims`, or nullopt when a dim is negative or the product overflows.
std::optional<std::uint64_t> element_count(const google::protobuf::RepeatedField<std::int64_t>& dims) {
  std::uint64_t count = 1;
  for (const std::int64_t d : dims) {
    if (d < 0) return std::nullopt;
    if (__builtin_mul_overflow(count, static_cast<std::uint64_t>(d), &count)) return std::nullopt;
  }
  return count;
}

std::string dims_text(const google::protobuf::RepeatedField<std::int64_t>& dims) {
  std::string out = "[";
  for (int i = 0; i < dims.size(); ++i) out += (i ? ", " : "") + std::to_string(dims[i]);
  return out + "]";
}

template <typename T>
void append_bytes(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

// Packs a typed repeated field into little-endian bytes of `Out` (narrowing int32_data to
// int8/int16/uint8/bool/float16 as ONNX stores them there).
template <typename Out, typename Field>
std::string pack(const Field& field) {
  std::string out;
  out.reserve(static_cast<std::size_t>(field.size()) * sizeof(Out));
  for (const auto v : field) append_bytes(out, static_cast<Out>(v));
  return out;
}

// Which repeated field holds values of `type` when raw_data is absent.
int typed_field_size(const onnx::TensorProto& t, ElementType type) {
  switch (type) {
    case ElementType::float32: return t.float_data_size();
    case ElementType::float64: return t.double_data_size();
    case ElementType::int64: return t.int64_data_size();
    default: return t.int32_data_size();
  }
}

std::string typed_field_bytes(const onnx::TensorProto& t, ElementType type) {
  switch (type) {
    case ElementType::float32: return pack<float>(t.float_data());
    case ElementType::float64: return pack<double>(t.double_data());
    case ElementType::int64: return pack<std::int64_t>(t.int64_data());
    case ElementType::int32: return pack<std::int32_t>(t.int32_data());
    case ElementType::int16: return pack<std::int16_t>(t.int32_data());
    case ElementType::int8: return pack<std::int8_t>(t.int32_data());
    case ElementType::uint8: return pack<std::uint8_t>(t.int32_data());
    case ElementType::boolean: return pack<std::uint8_t>(t.int32_data());
    // float16 values are their 16 bits, stored in int32_data.
    case ElementType::float16: return pack<std::uint16_t>(t.int32_data());
    case ElementType::string:
    case ElementType::undefined: break;
  }
  return {};
}

std::string field_name(ElementType type) {
  switch (type) {
    case ElementType::float32: return "float_data";
    case ElementType::float64: return "double_data";
    case ElementType::int64: return "int64_data";
    default: return "int32_data";
  }
}

// The external-data file of `tensor`, checked to stay inside `model_dir`.
fs::path external_path(const std::string& location, const fs::path& model_dir, std::string_view what) {
  const fs::path relative(location);
  const fs::path normal = relative.lexically_normal();
  if (location.empty() || relative.is_absolute() || normal.empty() || *normal.begin() == "..") {
    throw Error(std::string(what) + ": external data location '" + location +
                "' must be a relative path inside the model's directory");
  }
  const fs::path full = model_dir / normal;
  // A symbolic link inside the directory may still point out of it.
  std::error_code ec;
  const fs::path real = fs::weakly_canonical(full, ec);
  const fs::path real_dir = fs::weakly_canonical(model_dir.empty() ? fs::path(".") : model_dir, ec);
  if (!ec) {
    const auto rel = real.lexically_relative(real_dir);
    if (rel.empty() || *rel.begin() == "..") {
      throw Error(std::string(what) + ": external data location '" + location + "' leads outside the model's directory");
    }
  }
  return full;
}

std::uint64_t parse_number(const std::string& text, std::string_view key, std::string_view what) {
  std::uint64_t value = 0;
  if (text.empty()) throw Error(std::string(what) + ": external data " + std::string(key) + " is empty");
  for (const char c : text) {
    if (c < '0' || c > '9' || __builtin_mul_overflow(value, 10u, &value) ||
        __builtin_add_overflow(value, static_cast<std::uint64_t>(c - '0'), &value)) {
      throw Error(std::string(what) + ": external data " + std::string(key) + " '" + text +
                  "' is not a non-negative integer");
    }
  }
  return value;
}

void inline_tensor(onnx::TensorProto& tensor, const fs::path& model_dir, std::string_view what, MappedTensors& mapped) {
  std::string location;
  std::uint64_t offset = 0;
  std::optional<std::uint64_t> length;
  for (const auto& entry : tensor.external_data()) {
    if (entry.key() == "location") location = entry.value();
    if (entry.key() == "offset") offset = parse_number(entry.value(), "offset", what);
    if (entry.key() == "length") length = parse_number(entry.value(), "length", what);
  }
  const fs::path file = external_path(location, model_dir, what);
  const std::string shown = fs::path(location).lexically_normal().string();
  struct stat info {};
  if (::stat(file.c_str(), &info) != 0) {
    throw Error(std::string(what) + ": external data file " + shown + " cannot be opened: " + std::strerror(errno),
                Error::Kind::io);
  }
  if (!S_ISREG(info.st_mode)) throw Error(std::string(what) + ": external data " + shown + " is not a regular file");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  // Without a length the tensor's own shape says how many bytes it needs.
  const ElementType type = element_type(tensor.data_type(), what);
  const auto count = element_count(tensor.dims());
  std::uint64_t needed = 0;
  if (!count || __builtin_mul_overflow(*count, static_cast<std::uint64_t>(element_size(type)), &needed)) {
    throw Error(std::string(what) + ": dims " + dims_text(tensor.dims()) + " are negative or too large");
  }
  if (length && *length != needed) {
    throw Error(std::string(what) + ": external data length " + std::to_string(*length) + " does not match the " +
                std::to_string(needed) + " bytes of its " + data_type_name(tensor.data_type()) + " dims " +
                dims_text(tensor.dims()));
  }
  std::uint64_t end = 0;
  if (__builtin_add_overflow(offset, needed, &end) || end > size) {
    throw Error(shown + " is " + std::to_string(size) + " bytes; " + std::string(what) + " needs " +
                std::to_string(needed) + " at offset " + std::to_string(offset));
  }
  const bool floating = type == ElementType::float32 || type == ElementType::float16 || type == ElementType::float64;
  TensorBytes bytes = read_file_range(file, shown, offset, needed, floating);
  tensor.clear_external_data();
  tensor.set_data_location(onnx::TensorProto::DEFAULT);
  if (!bytes.is_view()) {
    tensor.set_raw_data(std::move(bytes).take());
    return;
  }
  // Meanwhile the proto holds a one-byte placeholder: the checker wants exactly one
  // non-empty value field and never compares raw_data with the dims, and shape inference
  // reads the data of shape inputs (integers) and of small float inputs such as Resize
  // scales, never of a floating-point tensor of a mebibyte or more. tensor_data takes the
  // mapped bytes instead of the placeholder.
  tensor.set_raw_data(std::string(1, '\0'));
  mapped.emplace(&tensor, std::move(bytes));
}

void inline_attribute_tensors(onnx::AttributeProto& attribute, const fs::path& model_dir, const std::string& node,
                              MappedTensors& mapped);

}  // namespace

std::string data_type_name(std::int32_t data_type) {
  if (onnx::TensorProto::DataType_IsValid(data_type)) {
    return onnx::TensorProto::DataType_Name(static_cast<DataType>(data_type));
  }
  return "data type " + std::to_string(data_type);
}

ElementType element_type(std::int32_t data_type, std::string_view what) {
  switch (data_type) {
    case onnx::TensorProto::FLOAT: return ElementType::float32;
    case onnx::TensorProto::FLOAT16: return ElementType::float16;
    case onnx::TensorProto::DOUBLE: return ElementType::float64;
    case onnx::TensorProto::INT8: return ElementType::int8;
    case onnx::TensorProto::UINT8: return ElementType::uint8;
    case onnx::TensorProto::INT16: return ElementType::int16;
    case onnx::TensorProto::INT32: return ElementType::int32;
    case onnx::TensorProto::INT64: return ElementType::int64;
    case onnx::TensorProto::BOOL: return ElementType::boolean;
    case onnx::TensorProto::STRING: return ElementType::string;
    default: break;
  }
  throw Error(std::string(what) + " has element type " + data_type_name(data_type) + ", which mlconv does not support");
}

TensorType tensor_type(const onnx::TypeProto& type, std::string_view what, UnknownDims& unknown) {
  TensorType out;
  switch (type.value_case()) {
    case onnx::TypeProto::VALUE_NOT_SET: return out;
    case onnx::TypeProto::kTensorType: break;
    case onnx::TypeProto::kSequenceType:
      throw Error(std::string(what) + " is a sequence; mlconv supports tensors only");
    case onnx::TypeProto::kMapType: throw Error(std::string(what) + " is a map; mlconv supports tensors only");
    case onnx::TypeProto::kOptionalType:
      throw Error(std::string(what) + " is an optional; mlconv supports tensors only");
    case onnx::TypeProto::kSparseTensorType:
      throw Error(std::string(what) + " is a sparse tensor; mlconv supports dense tensors only");
    default: throw Error(std::string(what) + " has a type mlconv does not know");
  }
  const auto& tensor = type.tensor_type();
  if (tensor.elem_type() != onnx::TensorProto::UNDEFINED) out.type = element_type(tensor.elem_type(), what);
  if (!tensor.has_shape()) return out;
  Shape shape;
  for (const auto& dim : tensor.shape().dim()) {
    if (dim.has_dim_value() && dim.dim_value() >= 0) {
      shape.push_back(Dim::known(dim.dim_value()));
    } else if (dim.has_dim_param() && !dim.dim_param().empty()) {
      shape.push_back(Dim::symbolic(dim.dim_param()));
    } else {
      // Neither a size nor a name (or a negative size some exporters write for "any").
      shape.push_back(unknown.next());
    }
  }
  out.shape = std::move(shape);
  return out;
}

TensorData tensor_data(onnx::TensorProto& tensor, std::string_view what, MappedTensors* mapped) {
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    throw Error(std::string(what) + ": external data was not loaded");
  }
  if (tensor.has_segment()) throw Error(std::string(what) + " is segmented, which mlconv does not support");
  TensorData out;
  out.type = element_type(tensor.data_type(), what);
  if (out.type == ElementType::string) {
    throw Error(std::string(what) + " is a string tensor; mlconv supports numeric constants only");
  }
  const auto count = element_count(tensor.dims());
  std::uint64_t needed = 0;
  if (!count || __builtin_mul_overflow(*count, static_cast<std::uint64_t>(element_size(out.type)), &needed)) {
    throw Error(std::string(what) + ": dims " + dims_text(tensor.dims()) + " are negative or too large");
  }
  out.dims.assign(tensor.dims().begin(), tensor.dims().end());
  if (const auto found = mapped != nullptr ? mapped->find(&tensor) : MappedTensors::iterator();
      mapped != nullptr && found != mapped->end()) {
    // inline_tensor compared the range with the dims already.
    out.bytes = std::move(found->second);
    mapped->erase(found);
    return out;
  }
  if (tensor.has_raw_data()) {
    if (tensor.raw_data().size() != needed) {
      throw Error(std::string(what) + " holds " + std::to_string(tensor.raw_data().size()) +
                  " bytes of raw_data; its " + data_type_name(tensor.data_type()) + " dims " +
                  dims_text(tensor.dims()) + " need " + std::to_string(needed));
    }
    out.bytes = std::move(*tensor.mutable_raw_data());
    tensor.clear_raw_data();
    return out;
  }
  // Compare counts before packing, so a huge dims product never allocates.
  const auto present = static_cast<std::uint64_t>(typed_field_size(tensor, out.type));
  if (present != *count) {
    throw Error(std::string(what) + " holds " + std::to_string(present) + " values in " + field_name(out.type) +
                "; its dims " + dims_text(tensor.dims()) + " need " + std::to_string(*count));
  }
  out.bytes = typed_field_bytes(tensor, out.type);
  return out;
}

namespace {

void inline_graph(onnx::GraphProto& graph, const fs::path& model_dir, MappedTensors& mapped) {
  for (auto& initializer : *graph.mutable_initializer()) {
    if (initializer.data_location() == onnx::TensorProto::EXTERNAL) {
      inline_tensor(initializer, model_dir, describe_named("initializer", initializer.name()), mapped);
    }
  }
  for (auto& node : *graph.mutable_node()) {
    const std::string where = describe_named("node", node.name(), node.op_type());
    for (auto& attribute : *node.mutable_attribute()) inline_attribute_tensors(attribute, model_dir, where, mapped);
  }
}

void inline_attribute_tensors(onnx::AttributeProto& attribute, const fs::path& model_dir, const std::string& node,
                              MappedTensors& mapped) {
  const std::string what = node + ": attribute '" + attribute.name() + "'";
  if (attribute.has_t() && attribute.t().data_location() == onnx::TensorProto::EXTERNAL) {
    inline_tensor(*attribute.mutable_t(), model_dir, what, mapped);
  }
  for (auto& t : *attribute.mutable_tensors()) {
    if (t.data_location() == onnx::TensorProto::EXTERNAL) inline_tensor(t, model_dir, what, mapped);
  }
  if (attribute.has_g()) inline_graph(*attribute.mutable_g(), model_dir, mapped);
  for (auto& g : *attribute.mutable_graphs()) inline_graph(g, model_dir, mapped);
}

}  // namespace

MappedTensors inline_external_data(onnx::GraphProto& graph, const fs::path& model_dir) {
  MappedTensors mapped;
  inline_graph(graph, model_dir, mapped);
  return mapped;
}

}  // namespace mlconv::converter::onnx_frontend
