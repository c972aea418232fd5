// ONNX tensors and types -> the graph IR's TensorData, ElementType and Shape. Internal to
// the ONNX frontend (it exposes ONNX's generated protobuf types, which the library links
// privately). Every function treats its input as hostile: sizes are checked before any
// allocation and a mismatch is an mlconv::Error saying what was expected.
#pragma once

#include <onnx/onnx_pb.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "converter/ir/graph.h"

namespace mlconv::converter::onnx_frontend {

// "FLOAT", "INT64", "STRING", ... for messages; "data type 42" when unknown.
std::string data_type_name(std::int32_t data_type);

// The IR element type of an ONNX TensorProto::DataType; throws mlconv::Error
// "<what> has element type UINT32, which mlconv does not support" when there is none.
ElementType element_type(std::int32_t data_type, std::string_view what);

// Numbers unknown dimensions ("?1", "?2", ...) so no two of them look alike; one per model.
class UnknownDims {
 public:
  Dim next() { return Dim::symbolic("?" + std::to_string(++count_)); }

 private:
  int count_ = 0;
};

// The element type and shape declared by a ValueInfoProto's TypeProto. A type that is not
// a tensor (sequence, map, optional, sparse) throws, naming `what`; an absent type gives
// undefined and no shape; an absent shape gives no shape (unknown rank).
struct TensorType {
  ElementType type = ElementType::undefined;
  std::optional<Shape> shape;
};
TensorType tensor_type(const onnx::TypeProto& type, std::string_view what, UnknownDims& unknown);

// Large floating-point external tensors, mapped from their files, by the tensor that
// declares them (whose raw_data is left empty meanwhile).
using MappedTensors = std::map<const onnx::TensorProto*, TensorBytes>;

// Converts a tensor held in the model (raw_data, the typed repeated fields, or an entry of
// `mapped`, which it takes). External data must have been inlined first
// (inline_external_data). Moves raw_data out of `tensor` so large weights are not copied.
// `what` names it in messages ("initializer 'w'").
TensorData tensor_data(onnx::TensorProto& tensor, std::string_view what, MappedTensors* mapped = nullptr);

// Loads the data of every tensor stored with data_location EXTERNAL (initializers and
// tensor attributes, in subgraphs too), so the checker, shape inference and tensor_data
// see self-contained tensors: into raw_data, or for large floating-point tensors as a
// mapping returned to pass to tensor_data. Locations are relative to `model_dir`; absolute
// paths and paths leaving that directory (by ".." or a symbolic link) are refused.
MappedTensors inline_external_data(onnx::GraphProto& graph, const std::filesystem::path& model_dir);

}  // namespace mlconv::converter::onnx_frontend
