// Schema-free access to protobuf wire bytes for the spec tests: fields in wire order,
// re-encoding, and paths of field numbers ("2/100#1"), so tests can check field numbers
// and wire types without trusting the generated code they test.
#pragma once

#include <doctest/doctest.h>
#include <google/protobuf/unknown_field_set.h>

#include <bit>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlconv::test::raw_wire {

namespace pb = google::protobuf;
using Raw = pb::UnknownField;

struct RawField {
  int number = 0;
  Raw::Type type = Raw::TYPE_VARINT;
  std::uint64_t value = 0;  // varint, fixed32 and fixed64
  std::string bytes;        // length-delimited payload
};

// The fields of one message in wire order; nullopt when the bytes are not protobuf.
inline std::optional<std::vector<RawField>> raw_fields(const std::string& bytes) {
  pb::UnknownFieldSet set;
  if (!set.ParseFromString(bytes)) return std::nullopt;
  std::vector<RawField> fields;
  for (int i = 0; i < set.field_count(); ++i) {
    const Raw& field = set.field(i);
    RawField raw;
    raw.number = field.number();
    raw.type = field.type();
    switch (field.type()) {
      case Raw::TYPE_VARINT: raw.value = field.varint(); break;
      case Raw::TYPE_FIXED32: raw.value = field.fixed32(); break;
      case Raw::TYPE_FIXED64: raw.value = field.fixed64(); break;
      case Raw::TYPE_LENGTH_DELIMITED: raw.bytes = field.length_delimited(); break;
      case Raw::TYPE_GROUP: break;
    }
    fields.push_back(std::move(raw));
  }
  return fields;
}

inline void append_varint(std::string& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Encodes fields by the wire format's rules alone (tag = number << 3 | wire type).
inline std::string encode(const std::vector<RawField>& fields) {
  std::string out;
  for (const RawField& field : fields) {
    const auto number = static_cast<std::uint64_t>(field.number) << 3;
    switch (field.type) {
      case Raw::TYPE_VARINT:
        append_varint(out, number | 0);
        append_varint(out, field.value);
        break;
      case Raw::TYPE_FIXED64:
        append_varint(out, number | 1);
        for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((field.value >> (8 * i)) & 0xff));
        break;
      case Raw::TYPE_LENGTH_DELIMITED:
        append_varint(out, number | 2);
        append_varint(out, field.bytes.size());
        out += field.bytes;
        break;
      case Raw::TYPE_FIXED32:
        append_varint(out, number | 5);
        for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((field.value >> (8 * i)) & 0xff));
        break;
      case Raw::TYPE_GROUP:
        FAIL("groups do not occur in Core ML files");
    }
  }
  return out;
}

struct Step {
  int number;
  int occurrence;
};

// "403/1#1/500": field 403, then the second field 1 in it, then field 500 in that.
inline std::vector<Step> parse_path(std::string_view path) {
  std::vector<Step> steps;
  while (!path.empty()) {
    const std::size_t slash = path.find('/');
    const std::string step(path.substr(0, slash));
    const std::size_t hash = step.find('#');
    const int occurrence = hash == std::string::npos ? 0 : std::stoi(step.substr(hash + 1));
    steps.push_back({std::stoi(step.substr(0, hash)), occurrence});
    path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
  }
  return steps;
}

inline std::optional<RawField> field_at(const std::string& message, const std::vector<Step>& steps) {
  std::string current = message;
  std::optional<RawField> found;
  for (const Step& step : steps) {
    if (found) {
      if (found->type != Raw::TYPE_LENGTH_DELIMITED) return std::nullopt;
      current = found->bytes;
    }
    const auto fields = raw_fields(current);
    if (!fields) return std::nullopt;
    found.reset();
    int seen = 0;
    for (const RawField& field : *fields) {
      if (field.number == step.number && seen++ == step.occurrence) {
        found = field;
        break;
      }
    }
    if (!found) return std::nullopt;
  }
  return found;
}

inline std::string le_floats(std::initializer_list<float> values) {
  std::string out;
  for (const float v : values) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((bits >> (8 * i)) & 0xff));
  }
  return out;
}

// Applies `edit` to the payload of every length-delimited field `number` of a message.
using Edit = std::function<std::string(const std::string&)>;

inline std::string rewrite(const std::string& message, int number, const Edit& edit) {
  auto fields = raw_fields(message);
  REQUIRE(fields.has_value());
  for (RawField& field : *fields) {
    if (field.number == number && field.type == Raw::TYPE_LENGTH_DELIMITED) field.bytes = edit(field.bytes);
  }
  return encode(*fields);
}

inline std::string drop_fields(const std::string& message, int number) {
  auto fields = raw_fields(message);
  REQUIRE(fields.has_value());
  std::erase_if(*fields, [&](const RawField& field) { return field.number == number; });
  return encode(*fields);
}

}  // namespace mlconv::test::raw_wire
