#include "spec/deferred_weights.h"

#include <cstring>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format.h>

#include "spec/error.h"
#include "spec/model_file_stream.h"
#include "spec/model_io.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;

void DeferredWeights::defer(cml::WeightParams& params, std::size_t count, const void* values,
                            std::shared_ptr<const void> keeper) {
  auto& field = *params.mutable_floatvalue();
  field.Clear();
  field.Reserve(static_cast<int>(count));
  // AddNAlreadyReserved hands out the elements without writing them: that is the point.
  const float* data = field.AddNAlreadyReserved(static_cast<int>(count));
  by_field_[data] = Source{values, count * sizeof(float), std::move(keeper)};
}

const DeferredWeights::Source* DeferredWeights::find(const float* field_data) const {
  const auto it = by_field_.find(field_data);
  return it == by_field_.end() ? nullptr : &it->second;
}

namespace {

// A deferred field found in the model: where its payload goes in the serialized bytes.
struct Placement {
  std::uint64_t offset;
  const DeferredWeights::Source* source;
  float* field_data;
};

// Finds the deferred floatValue fields of `message` (serialized at `start`) by walking
// its fields in the order protobuf writes them (field number, unknown fields last) and
// adding up their sizes. Returns false when the sizes do not add up to the size protobuf
// cached for a message: then the walk does not describe the serializer, and no offset
// it found can be trusted. Must run after ByteSizeLong, which caches the sizes.
bool place(const pb::Message& message, std::uint64_t start, const DeferredWeights& deferred,
           std::vector<Placement>& found) {
  const pb::Reflection& reflection = *message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // sorted by field number
  const bool weight_params = message.GetDescriptor() == cml::WeightParams::descriptor();
  std::uint64_t at = start;
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && !field->is_map()) {
      if (field->type() == pb::FieldDescriptor::TYPE_GROUP) return false;
      const std::size_t tag = pb::io::CodedOutputStream::VarintSize32(static_cast<std::uint32_t>(field->number()) << 3);
      const int count = field->is_repeated() ? reflection.FieldSize(message, field) : 1;
      for (int i = 0; i < count; ++i) {
        const pb::Message& child =
            field->is_repeated() ? reflection.GetRepeatedMessage(message, field, i) : reflection.GetMessage(message, field);
        const auto size = static_cast<std::uint32_t>(child.GetCachedSize());
        at += tag + pb::io::CodedOutputStream::VarintSize32(size);
        if (!place(child, at, deferred, found)) return false;
        at += size;
      }
      continue;
    }
    const std::size_t bytes = pb::internal::WireFormat::FieldByteSize(field, message);
    if (weight_params && field->number() == cml::WeightParams::kFloatValueFieldNumber) {
      const auto& params = static_cast<const cml::WeightParams&>(message);
      if (const auto* source = deferred.find(params.floatvalue().data()); source != nullptr) {
        const std::size_t payload = static_cast<std::size_t>(params.floatvalue_size()) * sizeof(float);
        if (source->bytes != payload || payload > bytes) return false;
        // A packed field is its tag, the payload's length, then the payload.
        found.push_back({at + bytes - payload, source, const_cast<float*>(params.floatvalue().data())});
      }
    }
    at += bytes;
  }
  at += pb::internal::WireFormat::ComputeUnknownFieldsSize(reflection.GetUnknownFields(message));
  return at - start == static_cast<std::uint64_t>(message.GetCachedSize());
}

void copy_in(const Placement& placement) {
  std::memcpy(placement.field_data, placement.source->values, placement.source->bytes);
}

// Every deferred field of `message`, found without working out offsets.
void collect(const pb::Message& message, const DeferredWeights& deferred, std::vector<Placement>& found) {
  if (message.GetDescriptor() == cml::WeightParams::descriptor()) {
    const auto& params = static_cast<const cml::WeightParams&>(message);
    const auto* source = deferred.find(params.floatvalue().data());
    if (source != nullptr && source->bytes == static_cast<std::size_t>(params.floatvalue_size()) * sizeof(float)) {
      found.push_back({0, source, const_cast<float*>(params.floatvalue().data())});
    }
  }
  const pb::Reflection& reflection = *message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE || field->is_map()) continue;
    if (!field->is_repeated()) {
      collect(reflection.GetMessage(message, field), deferred, found);
      continue;
    }
    for (int i = 0; i < reflection.FieldSize(message, field); ++i) {
      collect(reflection.GetRepeatedMessage(message, field, i), deferred, found);
    }
  }
}

// The deferred fields of `model`, in output order; `offsets_known` says whether their
// offsets can be trusted. Throws when a deferred field is no longer in the model (a copy
// of the model would hold the placeholders' indeterminate values, not the weights).
std::vector<Placement> locate(const cml::Model& model, const DeferredWeights& deferred, bool& offsets_known) {
  model.ByteSizeLong();
  std::vector<Placement> found;
  offsets_known = place(model, 0, deferred, found);
  if (!offsets_known) {
    found.clear();
    collect(model, deferred, found);
  }
  if (found.size() != deferred.size()) {
    throw Error("internal error: " + std::to_string(deferred.size() - found.size()) +
                " deferred weight(s) are no longer in the model being saved");
  }
  return found;
}

}  // namespace

void fill_deferred_weights(cml::Model& model, const DeferredWeights& deferred) {
  if (deferred.empty()) return;
  bool offsets_known = false;
  for (const Placement& placement : locate(model, deferred, offsets_known)) copy_in(placement);
}

bool save_model(cml::Model& model, const std::filesystem::path& path, const DeferredWeights& deferred) {
  if (model.ByteSizeLong() > max_message_bytes) {
    throw Error("model is larger than the 2 GiB protobuf limit").in_file(path.string());
  }
  bool offsets_known = false;
  std::vector<Placement> placements;
  try {
    placements = locate(model, deferred, offsets_known);
  } catch (Error& error) {
    throw error.in_file(path.string());
  }
  if (placements.empty() || !offsets_known) {
    for (const Placement& placement : placements) copy_in(placement);
    save_model(static_cast<const cml::Model&>(model), path);
    return offsets_known;
  }
  std::vector<Splice> splices;
  splices.reserve(placements.size());
  for (const Placement& placement : placements) {
    splices.push_back({placement.offset, placement.source->values, placement.source->bytes});
  }
  write_atomically(path, [&](int fd) { return write_serialized(fd, model, splices); });
  return true;
}

}  // namespace mlconv::spec
