#include "spec/weight_elision.h"

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

}  // namespace mlconv::spec
