// ONNX model file -> graph IR: bounded reading and parsing, the ONNX checker and shape
// inference with their exceptions turned into mlconv::Error, then one GraphBuilder per
// graph (subgraphs recurse) that declares every value before it adds any node, so node
// order and outer-scope references need no second pass.
#include "converter/frontends/onnx_graph.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <onnx/checker.h>
#include <onnx/defs/schema.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include "Model.pb.h"
#include "converter/frontends/onnx_tensor.h"
#include "spec/error.h"
#include "spec/model_io.h"

namespace mlconv::converter {
namespace {

namespace fs = std::filesystem;
namespace of = onnx_frontend;

// Larger models keep their weights as external data.
constexpr std::uint64_t max_model_bytes = spec::max_message_bytes;
// Each If/Loop body costs a few protobuf levels (node, attribute, graph); 200 allows
// dozens of nested bodies and keeps a hostile file from exhausting the stack.
constexpr int max_nesting = 200;

std::string read_bounded(const fs::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw Error(std::string("cannot open: ") + std::strerror(errno), Error::Kind::io);
  if (S_ISDIR(info.st_mode)) throw Error("is a directory; expected an ONNX model (.onnx)");
  if (!S_ISREG(info.st_mode)) throw Error("not a regular file; expected an ONNX model (.onnx)");
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) throw Error("empty file; expected an ONNX model (.onnx)");
  if (size > max_model_bytes) {
    throw Error(std::to_string(size) + " bytes is more than the " + std::to_string(max_model_bytes) +
                "-byte protobuf limit; store the weights as ONNX external data");
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in || !in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    throw Error(std::string("read failed: ") + std::strerror(errno), Error::Kind::io);
  }
  return bytes;
}

bool parse_message(google::protobuf::MessageLite& message, const std::string& bytes) {
  google::protobuf::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(static_cast<int>(bytes.size()));
  coded.SetRecursionLimit(max_nesting);
  return message.MergePartialFromCodedStream(&coded) && coded.ConsumedEntireMessage() &&
         coded.CurrentPosition() == static_cast<int>(bytes.size());
}

// A Core ML model parses as an ONNX ModelProto without a graph (field 1 is a varint in
// both), so it is recognised by content, not by a failed parse.
bool is_coreml_model(const std::string& bytes) {
  CoreML::Specification::Model model;
  return parse_message(model, bytes) && model.Type_case() != CoreML::Specification::Model::TYPE_NOT_SET;
}

// ONNX's checker and inference messages end in "==> Context: ... Name: x OpType: Y" or
// start with "(op_type:Y, node name: x): "; the node goes into the error's location.
Error onnx_error(const std::string& stage, const std::exception& exception) {
  std::string text = exception.what();
  std::string node_name;
  std::string op_type;
  if (const auto context = text.find("\n\n==> Context:"); context != std::string::npos) {
    const std::string tail = text.substr(context);
    text.resize(context);
    const auto name_at = tail.find("Name: ");
    const auto op_at = tail.find(" OpType: ");
    if (name_at != std::string::npos && op_at != std::string::npos && op_at > name_at) {
      node_name = tail.substr(name_at + 6, op_at - name_at - 6);
      op_type = tail.substr(op_at + 9);
      op_type.resize(std::min(op_type.size(), op_type.find_first_of(" \n")));
    }
  } else if (const auto start = text.find("(op_type:"); start != std::string::npos) {
    const auto close = text.find("): ", start);
    const auto name_at = text.find(", node name: ", start);
    if (close != std::string::npos) {
      const auto op_end = std::min(close, name_at);
      op_type = text.substr(start + 9, op_end - start - 9);
      if (name_at < close) node_name = text.substr(name_at + 13, close - name_at - 13);
      text = text.substr(close + 3);
    }
  }
  // "[ShapeInferenceError] " and the like repeat what the stage already says.
  while (text.starts_with("[") && text.find("] ") != std::string::npos) text = text.substr(text.find("] ") + 2);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  Error error("ONNX " + stage + ": " + text);
  if (!op_type.empty()) error.within(describe_named("node", node_name, op_type));
  return error;
}

void run_checker(const onnx::ModelProto& model) {
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    throw onnx_error("checker", e);
  }
}

// True when some node (in subgraphs too) has no schema ONNX knows: a custom domain, a
// model-local function, or an op newer than this ONNX library.
bool has_unknown_ops(const onnx::GraphProto& graph, const std::map<std::string, std::int64_t>& opsets) {
  for (const auto& node : graph.node()) {
    const auto version = opsets.find(node.domain() == "ai.onnx" ? "" : node.domain());
    if (version == opsets.end() ||
        onnx::OpSchemaRegistry::Schema(node.op_type(), static_cast<int>(version->second), node.domain()) == nullptr) {
      return true;
    }
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_g() && has_unknown_ops(attribute.g(), opsets)) return true;
      for (const auto& g : attribute.graphs()) {
        if (has_unknown_ops(g, opsets)) return true;
      }
    }
  }
  return false;
}

// ONNX 1.12's shape inference divides by each stride without checking it, so a zero
// stride in a hostile model would stop the process (SIGFPE, found by fuzz_onnx). No op
// allows a stride or dilation below 1; refuse them by node before inference runs.
void check_window_attributes(const onnx::GraphProto& graph) {
  for (const auto& node : graph.node()) {
    for (const auto& attribute : node.attribute()) {
      if (attribute.name() == "strides" || attribute.name() == "dilations") {
        for (const auto v : attribute.ints()) {
          if (v < 1) {
            throw Error("node '" + node.name() + "' (" + node.op_type() + "): attribute '" + attribute.name() + "' has " +
                        std::to_string(v) + "; every entry must be at least 1");
          }
        }
      }
      if (attribute.has_g()) check_window_attributes(attribute.g());
      for (const auto& g : attribute.graphs()) check_window_attributes(g);
    }
  }
}

// Strict for models made of known ops: a failure there means the model contradicts
// itself. Lenient when some op is unknown, since everything downstream of it then lacks
// types; ONNX infers what it can and the rest stays unknown.
void run_shape_inference(onnx::ModelProto& model, const std::map<std::string, std::int64_t>& opsets) {
  const int error_mode = has_unknown_ops(model.graph(), opsets) ? 0 : 1;
  try {
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(false, error_mode, false));
  } catch (const std::exception& e) {
    throw onnx_error("shape inference", e);
  }
}

// Elements a tensor declares by its dims, saturating instead of overflowing.
std::uint64_t declared_elements(const onnx::TensorProto& tensor) {
  std::uint64_t count = 1;
  for (const auto d : tensor.dims()) {
    if (d < 0) return 0;  // the checker reports it
    const auto size = static_cast<std::uint64_t>(d);
    if (size != 0 && count > UINT64_MAX / 4 / size) return UINT64_MAX / 4;
    count *= size;
  }
  return count;
}

// Core ML keeps every weight inside the one .mlmodel protobuf message, as float32. When
// the declared weights alone pass protobuf's 2 GiB limit the output cannot be written,
// so the model is refused from its dims, before any weight is read or converted.
void check_declared_weight_size(const onnx::GraphProto& graph) {
  std::uint64_t elements = 0;
  for (const auto& initializer : graph.initializer()) elements += declared_elements(initializer);
  for (const auto& node : graph.node()) {
    for (const auto& attribute : node.attribute()) {
      if (attribute.has_t()) elements += declared_elements(attribute.t());
    }
  }
  const std::uint64_t bytes = elements * 4;
  if (bytes > max_model_bytes) {
    throw Error("the initializers declare " + std::to_string(elements) + " values, " + std::to_string(bytes) +
                " bytes as Core ML float32 weights, more than protobuf's " + std::to_string(max_model_bytes) +
                "-byte (2 GiB) limit for one .mlmodel message; split the model or quantize its weights first");
  }
}

struct Context {
  SourceLocation location;
  std::map<std::string, std::int64_t> opsets;
  of::UnknownDims unknown;
  of::MappedTensors mapped;
};

bool is_constant_node(const onnx::NodeProto& node) {
  return node.op_type() == "Constant" && (node.domain().empty() || node.domain() == "ai.onnx");
}

TensorData constant_node_value(onnx::NodeProto& node, of::MappedTensors& mapped) {
  if (node.attribute_size() != 1) {
    throw Error("a Constant needs exactly one value attribute, found " + std::to_string(node.attribute_size()));
  }
  onnx::AttributeProto& a = *node.mutable_attribute(0);
  const std::string what = "attribute '" + a.name() + "'";
  if (a.name() == "value") return of::tensor_data(*a.mutable_t(), what, &mapped);
  if (a.name() == "value_float") return TensorData::from_floats({}, {a.f()});
  if (a.name() == "value_floats") {
    return TensorData::from_floats({a.floats_size()}, {a.floats().begin(), a.floats().end()});
  }
  if (a.name() == "value_int") return TensorData::from_ints({}, {a.i()});
  if (a.name() == "value_ints") return TensorData::from_ints({a.ints_size()}, {a.ints().begin(), a.ints().end()});
  if (a.name() == "value_string" || a.name() == "value_strings") {
    throw Error(what + ": string constants are not supported; mlconv supports numeric constants only");
  }
  if (a.name() == "sparse_value") throw Error(what + ": sparse constants are not supported");
  throw Error(what + " is not a Constant value attribute");
}

// An attribute whose type field is unset (some old exporters) has the type of its one
// filled field.
onnx::AttributeProto::AttributeType attribute_type(const onnx::AttributeProto& a) {
  if (a.type() != onnx::AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return onnx::AttributeProto::FLOAT;
  if (a.has_i()) return onnx::AttributeProto::INT;
  if (a.has_s()) return onnx::AttributeProto::STRING;
  if (a.has_t()) return onnx::AttributeProto::TENSOR;
  if (a.has_g()) return onnx::AttributeProto::GRAPH;
  if (a.floats_size() > 0) return onnx::AttributeProto::FLOATS;
  if (a.ints_size() > 0) return onnx::AttributeProto::INTS;
  if (a.strings_size() > 0) return onnx::AttributeProto::STRINGS;
  return onnx::AttributeProto::UNDEFINED;
}

class GraphBuilder {
 public:
  GraphBuilder(Context& context, onnx::GraphProto& proto, std::vector<const Graph*> enclosing)
      : context_(context), proto_(proto), enclosing_(std::move(enclosing)) {}

  Graph build() {
    graph_.name = proto_.name();
    graph_.location = context_.location;
    graph_.opset_imports = context_.opsets;
    for (const auto& info : proto_.input()) declared_.emplace(info.name(), &info);
    for (const auto& info : proto_.output()) declared_.emplace(info.name(), &info);
    for (const auto& info : proto_.value_info()) declared_.emplace(info.name(), &info);
    declare_initializers();
    declare_inputs();
    declare_node_outputs();
    add_nodes();
    add_outputs();
    return std::move(graph_);
  }

 private:
  Value& declare(const std::string& name) {
    Value& value = graph_.add_value(name, context_.location);
    if (const auto it = declared_.find(name); it != declared_.end()) {
      of::TensorType type = of::tensor_type(it->second->type(), describe_named("value", name), context_.unknown);
      value.type = type.type;
      value.shape = std::move(type.shape);
    }
    return value;
  }

  void declare_initializers() {
    for (auto& initializer : *proto_.mutable_initializer()) {
      const std::string what = describe_named("initializer", initializer.name());
      if (initializer.name().empty()) throw Error("an initializer has no name");
      Value& value = graph_.add_value(initializer.name(), context_.location);
      value.constant = of::tensor_data(initializer, what, &context_.mapped);
      value.type = value.constant->type;
      value.shape = Shape();
      for (const std::int64_t d : value.constant->dims) value.shape->push_back(Dim::known(d));
    }
  }

  void declare_inputs() {
    for (const auto& input : proto_.input()) {
      if (graph_.find_value(input.name()) != nullptr) continue;  // has an initializer
      graph_.add_input(declare(input.name()));
    }
  }

  void declare_node_outputs() {
    for (const auto& node : proto_.node()) {
      if (!node.name().empty()) explicit_names_.insert(node.name());
    }
    for (int i = 0; i < proto_.node_size(); ++i) {
      onnx::NodeProto& node = *proto_.mutable_node(i);
      std::string name = node.name();
      if (name.empty()) {
        const std::string base = node.op_type() + "_" + std::to_string(i);
        name = base;
        for (int suffix = 1; explicit_names_.contains(name); ++suffix) name = base + "_" + std::to_string(suffix);
      }
      node_names_.push_back(name);
      try {
        if (is_constant_node(node)) {
          if (node.output_size() != 1) throw Error("a Constant has exactly one output");
          Value& value = graph_.add_value(node.output(0), context_.location);
          value.constant = constant_node_value(node, context_.mapped);
          value.type = value.constant->type;
          value.shape = Shape();
          for (const std::int64_t d : value.constant->dims) value.shape->push_back(Dim::known(d));
          continue;
        }
        for (const auto& output : node.output()) {
          if (!output.empty()) declare(output);
        }
      } catch (Error& error) {
        throw error.within(describe_named("node", name, node.op_type()));
      }
    }
  }

  // The value `name` read by a node: local, from an enclosing graph (declared here as an
  // outer reference), or an error.
  Value* resolve(const std::string& name) {
    if (name.empty()) return nullptr;
    if (Value* local = graph_.find_value(name)) return local;
    for (auto it = enclosing_.rbegin(); it != enclosing_.rend(); ++it) {
      if (const Value* outer = (*it)->find_value(name)) {
        Value& captured = graph_.add_value(name, context_.location);
        captured.type = outer->type;
        captured.shape = outer->shape;
        graph_.add_outer_reference(captured);
        return &captured;
      }
    }
    throw Error("input '" + name + "' is not produced by any node, and is neither a graph input nor an initializer");
  }

  void add_nodes() {
    for (int i = 0; i < proto_.node_size(); ++i) {
      onnx::NodeProto& proto = *proto_.mutable_node(i);
      if (is_constant_node(proto)) continue;
      const std::string& name = node_names_[static_cast<std::size_t>(i)];
      try {
        std::vector<Value*> inputs;
        for (const auto& input : proto.input()) inputs.push_back(resolve(input));
        // Trailing omitted outputs are dropped; one in the middle keeps its slot.
        int last = proto.output_size();
        while (last > 0 && proto.output(last - 1).empty()) --last;
        std::vector<Value*> outputs;
        for (int o = 0; o < last; ++o) {
          const std::string& output = proto.output(o);
          outputs.push_back(output.empty()
                                ? &graph_.add_value(graph_.unique_value_name(name + "/omitted_" + std::to_string(o)),
                                                    context_.location)
                                : graph_.find_value(output));
        }
        std::map<std::string, Attribute> attributes;
        for (auto& attribute : *proto.mutable_attribute()) {
          try {
            attributes[attribute.name()] = convert_attribute(attribute);
          } catch (Error& error) {
            throw error.within("attribute '" + attribute.name() + "'");
          }
        }
        Node& node = graph_.add_node(name, proto.op_type(), proto.domain() == "ai.onnx" ? "" : proto.domain(),
                                     std::move(inputs), std::move(outputs), context_.location);
        node.attributes = std::move(attributes);
      } catch (Error& error) {
        throw error.within(describe_named("node", name, proto.op_type()));
      }
    }
  }

  Attribute convert_attribute(onnx::AttributeProto& a) {
    if (!a.ref_attr_name().empty()) throw Error("refers to function attribute '" + a.ref_attr_name() + "'");
    switch (attribute_type(a)) {
      case onnx::AttributeProto::FLOAT: return Attribute(static_cast<double>(a.f()));
      case onnx::AttributeProto::INT: return Attribute(static_cast<std::int64_t>(a.i()));
      case onnx::AttributeProto::STRING: return Attribute(a.s());
      case onnx::AttributeProto::FLOATS: return Attribute(std::vector<double>(a.floats().begin(), a.floats().end()));
      case onnx::AttributeProto::INTS: return Attribute(std::vector<std::int64_t>(a.ints().begin(), a.ints().end()));
      case onnx::AttributeProto::STRINGS:
        return Attribute(std::vector<std::string>(a.strings().begin(), a.strings().end()));
      case onnx::AttributeProto::TENSOR: return Attribute(of::tensor_data(*a.mutable_t(), "its tensor", &context_.mapped));
      case onnx::AttributeProto::GRAPH: {
        std::vector<const Graph*> scopes = enclosing_;
        scopes.push_back(&graph_);
        auto body = std::make_shared<Graph>(GraphBuilder(context_, *a.mutable_g(), std::move(scopes)).build());
        return Attribute(std::shared_ptr<const Graph>(std::move(body)));
      }
      default: break;
    }
    const auto type = attribute_type(a);
    const std::string type_name = onnx::AttributeProto::AttributeType_IsValid(type)
                                      ? onnx::AttributeProto::AttributeType_Name(type)
                                      : "type " + std::to_string(static_cast<int>(type));
    throw Error("has type " + type_name + ", which mlconv does not support");
  }

  void add_outputs() {
    for (const auto& output : proto_.output()) {
      Value* value = graph_.find_value(output.name());
      if (value == nullptr) {
        throw Error("graph output '" + output.name() + "' is not produced by any node, input or initializer");
      }
      graph_.add_output(*value);
    }
  }

  Context& context_;
  onnx::GraphProto& proto_;
  std::vector<const Graph*> enclosing_;
  Graph graph_;
  std::map<std::string, const onnx::ValueInfoProto*> declared_;
  std::set<std::string> explicit_names_;
  std::vector<std::string> node_names_;
};

Metadata metadata_of(const onnx::ModelProto& model) {
  Metadata metadata;
  metadata.producer = model.producer_name();
  if (!model.producer_version().empty()) {
    metadata.producer += (metadata.producer.empty() ? "" : " ") + model.producer_version();
  }
  metadata.doc = model.doc_string().empty() ? model.graph().doc_string() : model.doc_string();
  if (model.model_version() != 0) metadata.version = std::to_string(model.model_version());
  for (const auto& entry : model.metadata_props()) metadata.user_defined[entry.key()] = entry.value();
  return metadata;
}

}  // namespace

Graph load_onnx_graph(const fs::path& path) {
  const std::string origin = path.string();
  try {
    onnx::ModelProto model;
    {
      const std::string bytes = read_bounded(path);
      const bool parsed = parse_message(model, bytes);
      if (!parsed || !model.has_graph()) {
        if (is_coreml_model(bytes)) {
          throw Error("this is a Core ML model (.mlmodel), not an ONNX model; convert reads ONNX models");
        }
        throw Error(parsed ? "not an ONNX model (it has no graph)" : "not an ONNX model (protobuf parse failed)");
      }
    }
    Context context;
    context.location.file = origin;
    for (const auto& opset : model.opset_import()) {
      context.opsets[opset.domain() == "ai.onnx" ? "" : opset.domain()] = opset.version();
    }
    check_declared_weight_size(model.graph());
    context.mapped = of::inline_external_data(*model.mutable_graph(), path.parent_path());
    // ONNX 1.12 refuses any IR version newer than its own, though newer IR versions only
    // add element types (which element_type() refuses by name) and function features. Check
    // as the newest IR it knows, so current exporters' models load; the version is restored.
    const auto declared_ir = model.ir_version();
    if (declared_ir > onnx::IR_VERSION) model.set_ir_version(onnx::IR_VERSION);
    run_checker(model);
    check_window_attributes(model.graph());
    run_shape_inference(model, context.opsets);
    model.set_ir_version(declared_ir);
    Graph graph = GraphBuilder(context, *model.mutable_graph(), {}).build();
    graph.metadata = metadata_of(model);
    return graph;
  } catch (Error& error) {
    throw error.in_file(origin);
  }
}

}  // namespace mlconv::converter
