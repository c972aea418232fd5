#include "spec/model_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <random>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include "spec/error.h"
#include "spec/file_descriptor.h"
#include "spec/model_file_stream.h"
#include "spec/model_parts.h"
#include "spec/names.h"
#include "spec/spec_version.h"
#include "spec/temp_files.h"
#include "spec/weight_elision.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;

namespace {

std::string errno_text() { return std::strerror(errno); }

using mlconv::spec::FileDescriptor;

void parse_stream(pb::io::ZeroCopyInputStream& raw, std::uint64_t size, cml::Model& model, const LoadOptions& options) {
  pb::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(static_cast<int>(size));
  coded.SetRecursionLimit(options.max_recursion_depth);
  if (!model.MergePartialFromCodedStream(&coded)) {
    // A failed parse says neither where nor why: the stream position is then
    // wherever buffering left it (usually the end), so no byte is named.
    throw Error("not a valid protobuf message (truncated, corrupt, or with messages nested more than " +
                std::to_string(options.max_recursion_depth) + " deep); expected a Core ML model (.mlmodel)");
  }
  // A parse that ends early (a zero or end-group tag) does know where it stopped.
  if (!coded.ConsumedEntireMessage() || coded.CurrentPosition() != static_cast<int>(size)) {
    throw Error("not a valid protobuf message: parsing stopped at byte " + std::to_string(coded.CurrentPosition()) +
                " of " + std::to_string(size) + "; expected a Core ML model (.mlmodel)");
  }
}

std::string field_list(const std::vector<std::uint32_t>& numbers) {
  std::string out;
  for (std::size_t i = 0; i < numbers.size() && i < 5; ++i) out += (i ? ", " : "") + std::to_string(numbers[i]);
  if (numbers.size() > 5) out += ", ...";
  return out;
}

// `stage` is the pipeline location ("pipeline model 1: ", empty at the top) and
// `network` the model type holding the layers; messages read
// "pipeline model 1: layer 'x' in neuralNetwork: ...".
// `depth` counts the networks and pipelines around the layer (1 at the top level).
void check_layers(const cml::NeuralNetworkLayer& layer, const std::string& stage, const std::string& network, int depth);

template <typename Layers>
void check_layer_list(const Layers& layers, const std::string& stage, const std::string& network, int depth) {
  for (const cml::NeuralNetworkLayer& layer : layers) check_layers(layer, stage, network, depth);
}

std::string nesting_message(int depth) {
  return "networks and pipelines nest " + std::to_string(depth) + " levels deep; the limit is " +
         std::to_string(max_network_nesting) + " levels";
}

// A layer whose case we do not know parses with the oneof unset and its
// payload kept as an unknown field; report it instead of silently dropping it.
void check_layers(const cml::NeuralNetworkLayer& layer, const std::string& stage, const std::string& network, int depth) {
  if (layer.layer_case() == cml::NeuralNetworkLayer::LAYER_NOT_SET) {
    std::vector<std::uint32_t> numbers;
    const auto& unknown = layer.GetReflection()->GetUnknownFields(layer);
    for (int i = 0; i < unknown.field_count(); ++i) numbers.push_back(static_cast<std::uint32_t>(unknown.field(i).number()));
    std::string message = stage + describe_named("layer", layer.name()) + " in " + network + ": ";
    message += numbers.empty() ? "has no layer type set"
                               : "unknown layer type (field " + field_list(numbers) +
                                     "); this mlconv knows the " +
                                     std::to_string(cml::NeuralNetworkLayer::descriptor()->FindOneofByName("layer")->field_count()) +
                                     " layer types of NeuralNetwork.proto";
    throw Error(message);
  }
  const std::vector<SubNetwork> subs = sub_networks(layer);
  if (!subs.empty() && depth + 1 > max_network_nesting)
    throw Error(stage + describe_named("layer", layer.name()) + " in " + network + ": its " + std::string(subs.front().field) +
                " is one level too many: " + nesting_message(depth + 1));
  for (const SubNetwork& sub : subs) check_layer_list(sub.network->layers(), stage, network, depth + 1);
}

void check_model(const cml::Model& model, const std::string& where, int depth) {
  if (depth > max_network_nesting) throw Error(where + nesting_message(depth));
  const int version = model.specificationversion();
  if (version <= 0) {
    throw Error(where + "specificationVersion is " + std::to_string(version) + "; expected 1 to " +
                std::to_string(newest_known_spec_version));
  }
  if (version > newest_known_spec_version) {
    throw Error(where + "specificationVersion " + std::to_string(version) + " is newer than this mlconv knows (" +
                std::to_string(newest_known_spec_version) + ", " + std::string(os_for_spec_version(newest_known_spec_version)) +
                ")");
  }
  if (model.Type_case() == cml::Model::TYPE_NOT_SET) {
    // Core ML cannot load a model without a type; it is also what a file cut at a field boundary looks like.
    throw Error(where + "no model type is set (the file may be truncated); expected one of the " +
                std::to_string(cml::Model::descriptor()->FindOneofByName("Type")->field_count()) + " Model.Type cases");
  }
  if (const auto network = network_of(model)) {
    check_layer_list(network->layers, where, std::string(model_type_name(model)), depth);
  } else if (const cml::Pipeline* pipeline = pipeline_of(model)) {
    for (int i = 0; i < pipeline->models_size(); ++i) {
      check_model(pipeline->models(i), where + "pipeline model " + std::to_string(i) + ": ", depth + 1);
    }
  }
}

// Random bytes and other protobufs often parse "successfully" into a Model made
// only of unknown fields; the top level tells them apart from a real model.
void check_is_coreml_model(const cml::Model& model) {
  const auto& unknown = model.GetReflection()->GetUnknownFields(model);
  const bool has_known_content = model.specificationversion() != 0 || model.has_description() ||
                                 model.Type_case() != cml::Model::TYPE_NOT_SET;
  if (unknown.field_count() > 0 && model.Type_case() == cml::Model::TYPE_NOT_SET) {
    std::vector<std::uint32_t> numbers;
    for (int i = 0; i < unknown.field_count(); ++i) numbers.push_back(static_cast<std::uint32_t>(unknown.field(i).number()));
    throw Error("not a Core ML model: top-level fields " + field_list(numbers) +
                " are not in the Core ML Model message and no model type is set");
  }
  if (!has_known_content) throw Error("not a Core ML model: no specificationVersion, description or model type");
}

// Parse errors on a file that is plainly something else deserve a hint.
Error with_format_hint(Error error, const std::filesystem::path& path) {
  if (path.extension() == ".onnx") {
    return Error(error.message() + " (this is an ONNX file; inspect and dump read Core ML .mlmodel files)").in_file(path.string());
  }
  return error.in_file(path.string());
}

LoadedModel finish(cml::Model&& model, std::string origin, std::uint64_t size) {
  try {
    check_is_coreml_model(model);
    check_model(model, "", 1);
  } catch (Error& error) {
    throw error.in_file(origin);
  }
  LoadedModel loaded;
  loaded.model = std::move(model);
  loaded.origin = std::move(origin);
  loaded.size_bytes = size;
  loaded.unknown = find_unknown_fields(loaded.model);
  return loaded;
}

// Maps the file and copies only its structure: the skipped weight pages are
// never read, so describing a 500 MB model touches a few megabytes.
LoadedModel load_without_weight_values(int fd, const std::string& origin, std::uint64_t size, const LoadOptions& options) {
  void* mapped = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapped == MAP_FAILED) throw Error("cannot map the file: " + errno_text(), Error::Kind::io).in_file(origin);
  std::string stripped;
  try {
    stripped = strip_weight_values(std::string_view(static_cast<const char*>(mapped), size),
                                   options.elide_weight_values_over, options.max_recursion_depth);
  } catch (Error& error) {
    ::munmap(mapped, size);
    throw with_format_hint(error, origin);
  }
  ::munmap(mapped, size);
  cml::Model model;
  pb::io::ArrayInputStream stream(stripped.data(), static_cast<int>(stripped.size()));
  try {
    parse_stream(stream, stripped.size(), model, options);
  } catch (Error& error) {
    throw error.in_file(origin);
  }
  LoadedModel loaded = finish(std::move(model), origin, size);
  loaded.weight_values_elided = true;
  return loaded;
}

}  // namespace

LoadedModel parse_model(std::string_view bytes, std::string origin, const LoadOptions& options) {
  if (bytes.empty()) throw Error("empty input; expected a Core ML model (.mlmodel)").in_file(origin);
  if (bytes.size() > options.max_bytes) {
    throw Error(std::to_string(bytes.size()) + " bytes is more than the " + std::to_string(options.max_bytes) +
                "-byte limit for a model")
        .in_file(origin);
  }
  cml::Model model;
  pb::io::ArrayInputStream stream(bytes.data(), static_cast<int>(bytes.size()));
  try {
    parse_stream(stream, bytes.size(), model, options);
  } catch (Error& error) {
    throw error.in_file(origin);
  }
  return finish(std::move(model), std::move(origin), bytes.size());
}

LoadedModel load_model(const std::filesystem::path& path, const LoadOptions& options) {
  const std::string origin = path.string();
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) throw Error("cannot open: " + errno_text(), Error::Kind::io).in_file(origin);
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) throw Error("cannot stat: " + errno_text(), Error::Kind::io).in_file(origin);
  if (S_ISDIR(info.st_mode)) throw Error("is a directory; expected a .mlmodel file").in_file(origin);
  if (!S_ISREG(info.st_mode)) throw Error("not a regular file; expected a .mlmodel file").in_file(origin);
  const auto size = static_cast<std::uint64_t>(info.st_size);
  if (size == 0) throw Error("empty file; expected a Core ML model (.mlmodel)").in_file(origin);
  if (size > options.max_bytes) {
    throw Error(std::to_string(size) + " bytes is more than the " + std::to_string(options.max_bytes) +
                "-byte limit for a model")
        .in_file(origin);
  }
  if (options.elide_weight_values_over > 0) return load_without_weight_values(fd.get(), origin, size, options);
  // Streaming keeps peak memory near the size of the parsed model instead of
  // file + model, which matters for multi-hundred-megabyte weight files.
  cml::Model model;
  {
    pb::io::FileInputStream stream(fd.get(), 1 << 20);
    try {
      parse_stream(stream, size, model, options);
    } catch (Error& error) {
      if (stream.GetErrno() != 0) {
        throw Error("read failed: " + std::string(std::strerror(stream.GetErrno())), Error::Kind::io).in_file(origin);
      }
      throw with_format_hint(error, path);
    }
  }
  return finish(std::move(model), origin, size);
}

std::string serialize_model(const cml::Model& model) {
  if (model.ByteSizeLong() > max_message_bytes) {
    throw Error("model is larger than the 2 GiB protobuf limit");
  }
  std::string bytes;
  {
    pb::io::StringOutputStream stream(&bytes);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    model.SerializeWithCachedSizes(&coded);
  }
  return bytes;
}

void write_atomically(const std::filesystem::path& path, const std::function<bool(int fd)>& write_body) {
  const std::string origin = path.string();
  const std::filesystem::path directory = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  std::random_device entropy;
  const std::filesystem::path temp =
      directory / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(entropy()));
  FileDescriptor fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  if (fd.get() < 0) throw Error("cannot create a temporary file beside it: " + errno_text(), Error::Kind::io).in_file(origin);
  // An interrupt while writing removes the temporary file (spec/temp_files.h).
  const LiveTempFile live(temp);
  auto fail = [&](const std::string& what) {
    const std::string reason = errno_text();
    ::unlink(temp.c_str());
    return Error(what + ": " + reason, Error::Kind::io).in_file(origin);
  };
  bool written = false;
  try {
    written = write_body(fd.get());
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  if (!written) throw fail("write failed");
  if (::fsync(fd.get()) != 0) throw fail("fsync failed");
  if (::close(fd.release()) != 0) throw fail("close failed");
  if (::rename(temp.c_str(), path.c_str()) != 0) throw fail("rename into place failed");
}

void write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  write_atomically(path, [bytes](int fd) {
    const char* data = bytes.data();
    std::size_t left = bytes.size();
    while (left > 0) {
      const ssize_t written = ::write(fd, data, left);
      if (written < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      data += written;
      left -= static_cast<std::size_t>(written);
    }
    return true;
  });
}

void save_model(const cml::Model& model, const std::filesystem::path& path) {
  if (model.ByteSizeLong() > max_message_bytes) {
    throw Error("model is larger than the 2 GiB protobuf limit").in_file(path.string());
  }
  // Serializing straight into the file avoids holding a second copy of a large model.
  write_atomically(path, [&model](int fd) { return write_serialized(fd, model, {}); });
}

}  // namespace mlconv::spec
