#include "spec/weight_elision.h"

#include <string>
#include <utility>
#include <vector>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/wire_format_lite.h>

#include "Model.pb.h"
#include "spec/error.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;
using pb::internal::WireFormatLite;

namespace {

bool is_bulk_value(std::uint32_t field_number) {
  return field_number == cml::WeightParams::kFloatValueFieldNumber ||
         field_number == cml::WeightParams::kFloat16ValueFieldNumber ||
         field_number == cml::WeightParams::kRawValueFieldNumber ||
         field_number == cml::WeightParams::kInt8RawValueFieldNumber;
}

class Stripper {
 public:
  Stripper(std::size_t threshold, int max_depth) : threshold_(threshold), max_depth_(max_depth) {}

  // Copies fields until the end of the current limit; false on malformed input.
  bool copy(pb::io::CodedInputStream& in, const pb::Descriptor* type, pb::io::CodedOutputStream& out, int depth) {
    if (depth > max_depth_) {
      too_deep_ = true;
      return false;
    }
    for (;;) {
      const std::uint32_t tag = in.ReadTag();
      // A zero tag inside a message is corrupt; at the end of a limit it is the normal stop.
      if (tag == 0) return in.BytesUntilLimit() <= 0;
      const std::uint32_t number = WireFormatLite::GetTagFieldNumber(tag);
      const pb::FieldDescriptor* field = type == nullptr ? nullptr : type->FindFieldByNumber(static_cast<int>(number));
      if (WireFormatLite::GetTagWireType(tag) != WireFormatLite::WIRETYPE_LENGTH_DELIMITED || field == nullptr) {
        if (!WireFormatLite::SkipField(&in, tag, &out)) return false;
        continue;
      }
      std::uint32_t length = 0;
      if (!in.ReadVarint32(&length) || length > static_cast<std::uint32_t>(INT32_MAX)) return false;
      if (type == cml::WeightParams::descriptor() && is_bulk_value(number) && length > threshold_) {
        if (!in.Skip(static_cast<int>(length))) return false;
        out.WriteTag(WireFormatLite::MakeTag(static_cast<int>(elision_marker_base + number), WireFormatLite::WIRETYPE_VARINT));
        out.WriteVarint64(length);
        continue;
      }
      if (field->type() == pb::FieldDescriptor::TYPE_MESSAGE) {
        const auto limit = in.PushLimit(static_cast<int>(length));
        std::string inner;
        {
          pb::io::StringOutputStream stream(&inner);
          pb::io::CodedOutputStream inner_out(&stream);
          if (!copy(in, field->message_type(), inner_out, depth + 1)) return false;
        }
        if (in.BytesUntilLimit() != 0) return false;
        in.PopLimit(limit);
        out.WriteTag(tag);
        out.WriteVarint32(static_cast<std::uint32_t>(inner.size()));
        out.WriteString(inner);
        continue;
      }
      std::string value;
      if (!in.ReadString(&value, static_cast<int>(length))) return false;
      out.WriteTag(tag);
      out.WriteVarint32(length);
      out.WriteString(value);
    }
  }

  [[nodiscard]] bool too_deep() const { return too_deep_; }

 private:
  std::size_t threshold_;
  int max_depth_;
  bool too_deep_ = false;
};

}  // namespace

std::string strip_weight_values(std::string_view model_bytes, std::size_t threshold_bytes, int max_depth) {
  pb::io::CodedInputStream in(reinterpret_cast<const std::uint8_t*>(model_bytes.data()), static_cast<int>(model_bytes.size()));
  in.SetTotalBytesLimit(static_cast<int>(model_bytes.size()));
  std::string stripped;
  Stripper stripper(threshold_bytes, max_depth);
  bool ok = false;
  {
    pb::io::StringOutputStream stream(&stripped);
    pb::io::CodedOutputStream out(&stream);
    ok = stripper.copy(in, cml::Model::descriptor(), out, 0);
  }
  if (!ok || in.CurrentPosition() != static_cast<int>(model_bytes.size())) {
    throw Error("not a valid protobuf message (truncated, corrupt, or with messages nested more than " +
                std::to_string(max_depth) + " deep); expected a Core ML model (.mlmodel)");
  }
  return stripped;
}

std::optional<ElidedValue> elided_value(const cml::WeightParams& params) {
  const pb::UnknownFieldSet& unknown = params.GetReflection()->GetUnknownFields(params);
  for (int i = 0; i < unknown.field_count(); ++i) {
    const pb::UnknownField& field = unknown.field(i);
    const auto number = static_cast<std::uint32_t>(field.number());
    if (is_elision_marker(number) && field.type() == pb::UnknownField::TYPE_VARINT) {
      return ElidedValue{number - elision_marker_base, field.varint()};
    }
  }
  return std::nullopt;
}

namespace {

// Swapping with an empty container returns the storage; clear() would keep the capacity.
std::uint64_t release_values(cml::WeightParams& params) {
  const std::pair<std::uint32_t, std::uint64_t> stored[] = {
      {cml::WeightParams::kFloatValueFieldNumber, params.floatvalue_size() * 4ULL},
      {cml::WeightParams::kFloat16ValueFieldNumber, params.float16value().size()},
      {cml::WeightParams::kRawValueFieldNumber, params.rawvalue().size()},
      {cml::WeightParams::kInt8RawValueFieldNumber, params.int8rawvalue().size()},
  };
  int set = 0;
  std::pair<std::uint32_t, std::uint64_t> value{0, 0};
  for (const auto& entry : stored) {
    if (entry.second == 0) continue;
    ++set;
    value = entry;
  }
  if (set != 1 || elided_value(params)) return 0;
  switch (value.first) {
    case cml::WeightParams::kFloatValueFieldNumber: pb::RepeatedField<float>().Swap(params.mutable_floatvalue()); break;
    case cml::WeightParams::kFloat16ValueFieldNumber: std::string().swap(*params.mutable_float16value()); break;
    case cml::WeightParams::kRawValueFieldNumber: std::string().swap(*params.mutable_rawvalue()); break;
    default: std::string().swap(*params.mutable_int8rawvalue()); break;
  }
  params.GetReflection()->MutableUnknownFields(&params)->AddVarint(static_cast<int>(elision_marker_base + value.first),
                                                                   value.second);
  return value.second;
}

std::uint64_t release_in(pb::Message& message) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  std::uint64_t freed = 0;
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const pb::Descriptor* type = field->message_type();
    if (type == cml::NeuralNetwork::descriptor()) continue;
    auto visit = [&](pb::Message& item) {
      freed += type == cml::WeightParams::descriptor() ? release_values(static_cast<cml::WeightParams&>(item))
                                                       : release_in(item);
    };
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) visit(*reflection->MutableRepeatedMessage(&message, field, i));
    } else {
      visit(*reflection->MutableMessage(&message, field));
    }
  }
  return freed;
}

}  // namespace

std::uint64_t release_weight_values(cml::NeuralNetworkLayer& layer) { return release_in(layer); }

}  // namespace mlconv::spec
