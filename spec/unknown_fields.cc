#include "spec/unknown_fields.h"

#include <google/protobuf/unknown_field_set.h>

#include "spec/weight_elision.h"

namespace mlconv::spec {

namespace pb = google::protobuf;

namespace {

void walk(const pb::Message& message, const std::string& path, std::vector<UnknownField>& found) {
  const pb::Reflection* reflection = message.GetReflection();
  const pb::UnknownFieldSet& unknown = reflection->GetUnknownFields(message);
  for (int i = 0; i < unknown.field_count(); ++i) {
    if (is_elision_marker(static_cast<std::uint32_t>(unknown.field(i).number()))) continue;  // ours, not the file's
    found.push_back({path, static_cast<std::uint32_t>(unknown.field(i).number())});
  }
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string child = path.empty() ? field->name() : path + "." + field->name();
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int k = 0; k < n; ++k) {
        walk(reflection->GetRepeatedMessage(message, field, k), child + "[" + std::to_string(k) + "]", found);
      }
    } else {
      walk(reflection->GetMessage(message, field), child, found);
    }
  }
}

}  // namespace

std::vector<UnknownField> find_unknown_fields(const pb::Message& message) {
  std::vector<UnknownField> found;
  walk(message, "", found);
  return found;
}

}  // namespace mlconv::spec
