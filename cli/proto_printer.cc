#include "cli/proto_printer.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <string_view>
#include <system_error>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <google/protobuf/unknown_field_set.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/type_resolver.h>
#include <google/protobuf/util/type_resolver_util.h>

#include "spec/error.h"

namespace mlconv::cli {

namespace pb = google::protobuf;
using nlohmann::ordered_json;

namespace {

// Core ML keeps half-precision weights as raw little-endian bytes; decoding the
// first few in the preview tells a reader more than their byte escapes do.
constexpr std::string_view float16_blob_field = "CoreML.Specification.WeightParams.float16Value";

// ---------------------------------------------------------------------------
// Numbers

template <typename Float>
std::string shortest_decimal(Float value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value < 0 ? "-inf" : "inf";
  std::array<char, 64> buffer{};
  const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
  return std::string(buffer.data(), result.ptr);
}

// Nearest binary16 (ties to even) of `value`; used only to test whether a
// short decimal still reads back as the same half.
std::uint16_t nearest_half(double value) {
  const std::uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  const double magnitude = std::fabs(value);
  if (std::isnan(magnitude)) return sign | 0x7e00;
  // 65504 is the largest half; from halfway to the next step (65520) on, it rounds to infinity.
  if (magnitude >= 65520.0) return sign | 0x7c00;
  if (magnitude < std::ldexp(1.0, -14)) {
    // Subnormal range: steps of 2^-24. Rounding up to 1024 yields the smallest normal, bit-exact.
    return static_cast<std::uint16_t>(sign | static_cast<std::uint16_t>(std::nearbyint(std::ldexp(magnitude, 24))));
  }
  int binary_exponent = 0;
  std::frexp(magnitude, &binary_exponent);  // magnitude in [2^(e-1), 2^e)
  int exponent = binary_exponent - 1;
  double significand = std::nearbyint(std::ldexp(magnitude, 11 - binary_exponent));  // in [1024, 2048]
  if (significand == 2048.0) {
    significand = 1024.0;
    ++exponent;
  }
  if (exponent > 15) return sign | 0x7c00;
  return static_cast<std::uint16_t>(sign | ((exponent + 15) << 10) | (static_cast<int>(significand) - 1024));
}

// A number in the JSON mapping: NaN and infinities are strings there.
ordered_json json_number(double value, const std::string& shortest) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  // A whole number goes in as an integer so it prints "1" as protobuf and the
  // text dump do, not "1.0"; "-0" stays a double to keep its sign.
  const char* const end = shortest.data() + shortest.size();
  std::int64_t as_integer = 0;
  const auto integer = std::from_chars(shortest.data(), end, as_integer);
  if (shortest != "-0" && integer.ec == std::errc() && integer.ptr == end) return as_integer;
  // Reading the float's shortest decimal as a double makes the JSON writer print
  // that same decimal, instead of the float widened to 17 digits.
  double as_double = value;
  std::from_chars(shortest.data(), end, as_double);
  return as_double;
}

std::string base64(std::string_view bytes) {
  static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const auto group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16 |
                                                  static_cast<unsigned char>(bytes[i + 1]) << 8 |
                                                  static_cast<unsigned char>(bytes[i + 2]));
    for (int shift = 18; shift >= 0; shift -= 6) out += alphabet[(group >> shift) & 0x3f];
  }
  const std::size_t left = bytes.size() - i;
  if (left > 0) {
    std::uint32_t group = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]) << 16);
    if (left == 2) group |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += alphabet[(group >> 18) & 0x3f];
    out += alphabet[(group >> 12) & 0x3f];
    out += left == 2 ? alphabet[(group >> 6) & 0x3f] : '=';
    out += '=';
  }
  return out;
}

// The escaping TextFormat applies to string and bytes fields (protobuf's CEscape):
// named escapes for \n \r \t " ' \, three-digit octal for every other byte
// outside printable ASCII, so non-ASCII UTF-8 shows as octal too.
std::string quoted(std::string_view bytes) {
  std::string out = "\"";
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '"': out += "\\\""; break;
      case '\'': out += "\\'"; break;
      case '\\': out += "\\\\"; break;
      default:
        if (byte < 0x20 || byte >= 0x7f) {
          out += '\\';
          out += static_cast<char>('0' + (byte >> 6));
          out += static_cast<char>('0' + ((byte >> 3) & 7));
          out += static_cast<char>('0' + (byte & 7));
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

std::vector<std::uint16_t> leading_halves(std::string_view blob) {
  std::vector<std::uint16_t> halves;
  for (std::size_t i = 0; i + 1 < blob.size() && halves.size() < elided_bytes_shown / 2; i += 2) {
    halves.push_back(static_cast<std::uint16_t>(static_cast<unsigned char>(blob[i]) |
                                                static_cast<unsigned char>(blob[i + 1]) << 8));
  }
  return halves;
}

// ---------------------------------------------------------------------------
// Reading one value of a field by reflection

// The element `index` of a repeated field, or the singular value when index < 0.
struct FieldValue {
  const pb::Message& message;
  const pb::FieldDescriptor& field;
  int index;
};

struct EnumNumber {
  int number;
};
struct TextString {
  std::string_view text;
};
struct ByteString {
  std::string_view bytes;
};

// Calls `visit` with the value as its own C++ type, so one overload set per
// output format covers every scalar field type.
template <typename Visitor>
auto visit_value(const FieldValue& value, Visitor&& visit) {
  const pb::Reflection& r = *value.message.GetReflection();
  const pb::Message& m = value.message;
  const pb::FieldDescriptor* f = &value.field;
  const int i = value.index;
  const bool repeated = i >= 0;
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: return visit(repeated ? r.GetRepeatedInt32(m, f, i) : r.GetInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_INT64: return visit(repeated ? r.GetRepeatedInt64(m, f, i) : r.GetInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT32: return visit(repeated ? r.GetRepeatedUInt32(m, f, i) : r.GetUInt32(m, f));
    case pb::FieldDescriptor::CPPTYPE_UINT64: return visit(repeated ? r.GetRepeatedUInt64(m, f, i) : r.GetUInt64(m, f));
    case pb::FieldDescriptor::CPPTYPE_FLOAT: return visit(repeated ? r.GetRepeatedFloat(m, f, i) : r.GetFloat(m, f));
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return visit(repeated ? r.GetRepeatedDouble(m, f, i) : r.GetDouble(m, f));
    case pb::FieldDescriptor::CPPTYPE_BOOL: return visit(repeated ? r.GetRepeatedBool(m, f, i) : r.GetBool(m, f));
    case pb::FieldDescriptor::CPPTYPE_ENUM:
      return visit(EnumNumber{repeated ? r.GetRepeatedEnumValue(m, f, i) : r.GetEnumValue(m, f)});
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& text = repeated ? r.GetRepeatedStringReference(m, f, i, &scratch) : r.GetStringReference(m, f, &scratch);
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) return visit(ByteString{text});
      return visit(TextString{text});
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
  throw Error("internal: field " + f->full_name() + " is not a scalar");
}

bool is_numeric(const pb::FieldDescriptor& field) {
  switch (field.cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32:
    case pb::FieldDescriptor::CPPTYPE_INT64:
    case pb::FieldDescriptor::CPPTYPE_UINT32:
    case pb::FieldDescriptor::CPPTYPE_UINT64:
    case pb::FieldDescriptor::CPPTYPE_FLOAT:
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: return true;
    default: return false;
  }
}

bool is_long_numeric_list(const pb::Message& message, const pb::FieldDescriptor& field) {
  return field.is_repeated() && is_numeric(field) &&
         static_cast<std::size_t>(message.GetReflection()->FieldSize(message, &field)) > elide_values_over;
}

std::string enum_name(const pb::FieldDescriptor& field, int number) {
  const pb::EnumValueDescriptor* known = field.enum_type()->FindValueByNumber(number);
  return known != nullptr ? known->name() : std::to_string(number);
}

// Map entries in key order, as TextFormat prints them, so output does not
// depend on hash-table order.
std::vector<const pb::Message*> sorted_map_entries(const pb::Message& message, const pb::FieldDescriptor& field) {
  const pb::Reflection& reflection = *message.GetReflection();
  std::vector<const pb::Message*> entries;
  const int count = reflection.FieldSize(message, &field);
  entries.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) entries.push_back(&reflection.GetRepeatedMessage(message, &field, i));
  const pb::FieldDescriptor* key = field.message_type()->map_key();
  std::stable_sort(entries.begin(), entries.end(), [key](const pb::Message* a, const pb::Message* b) {
    const pb::Reflection& ra = *a->GetReflection();
    const pb::Reflection& rb = *b->GetReflection();
    switch (key->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_INT32: return ra.GetInt32(*a, key) < rb.GetInt32(*b, key);
      case pb::FieldDescriptor::CPPTYPE_INT64: return ra.GetInt64(*a, key) < rb.GetInt64(*b, key);
      case pb::FieldDescriptor::CPPTYPE_UINT32: return ra.GetUInt32(*a, key) < rb.GetUInt32(*b, key);
      case pb::FieldDescriptor::CPPTYPE_UINT64: return ra.GetUInt64(*a, key) < rb.GetUInt64(*b, key);
      case pb::FieldDescriptor::CPPTYPE_BOOL: return ra.GetBool(*a, key) < rb.GetBool(*b, key);
      case pb::FieldDescriptor::CPPTYPE_STRING: return ra.GetString(*a, key) < rb.GetString(*b, key);
      default: return false;  // protobuf allows no other key types
    }
  });
  return entries;
}

// ---------------------------------------------------------------------------
// Elided text

struct TextSpelling {
  const pb::FieldDescriptor& field;
  std::string operator()(std::int32_t v) const { return std::to_string(v); }
  std::string operator()(std::int64_t v) const { return std::to_string(v); }
  std::string operator()(std::uint32_t v) const { return std::to_string(v); }
  std::string operator()(std::uint64_t v) const { return std::to_string(v); }
  std::string operator()(float v) const { return format_float(v); }
  std::string operator()(double v) const { return format_double(v); }
  std::string operator()(bool v) const { return v ? "true" : "false"; }
  std::string operator()(EnumNumber v) const { return enum_name(field, v.number); }
  std::string operator()(TextString v) const { return quoted(v.text); }
  std::string operator()(ByteString v) const { return quoted(v.bytes); }
};

class ElidedTextPrinter {
 public:
  explicit ElidedTextPrinter(std::ostream& out) : out_(out) {}

  void print_message(const pb::Message& message, int depth) {
    const pb::Reflection& reflection = *message.GetReflection();
    std::vector<const pb::FieldDescriptor*> fields;
    reflection.ListFields(message, &fields);
    for (const pb::FieldDescriptor* field : fields) print_field(message, *field, depth);
    print_unknown_fields(reflection.GetUnknownFields(message), depth);
  }

 private:
  void print_field(const pb::Message& message, const pb::FieldDescriptor& field, int depth) {
    const pb::Reflection& reflection = *message.GetReflection();
    if (field.is_map()) {
      for (const pb::Message* entry : sorted_map_entries(message, field)) print_nested(field, *entry, depth);
    } else if (!field.is_repeated()) {
      if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
        print_nested(field, reflection.GetMessage(message, &field), depth);
      } else {
        print_scalar(FieldValue{message, field, -1}, depth);
      }
    } else if (is_long_numeric_list(message, field)) {
      print_elided_values(message, field, depth);
    } else {
      const int count = reflection.FieldSize(message, &field);
      for (int i = 0; i < count; ++i) {
        if (field.cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          print_nested(field, reflection.GetRepeatedMessage(message, &field, i), depth);
        } else {
          print_scalar(FieldValue{message, field, i}, depth);
        }
      }
    }
  }

  void print_nested(const pb::FieldDescriptor& field, const pb::Message& nested, int depth) {
    indent(depth);
    out_ << field.name() << " {\n";
    print_message(nested, depth + 1);
    indent(depth);
    out_ << "}\n";
  }

  void print_scalar(const FieldValue& value, int depth) {
    indent(depth);
    out_ << value.field.name() << ": ";
    if (value.field.type() == pb::FieldDescriptor::TYPE_BYTES) {
      std::string scratch;
      const pb::Reflection& r = *value.message.GetReflection();
      const std::string& bytes = value.index >= 0 ? r.GetRepeatedStringReference(value.message, &value.field, value.index, &scratch)
                                                  : r.GetStringReference(value.message, &value.field, &scratch);
      if (bytes.size() > elide_bytes_over) {
        print_elided_bytes(value.field, bytes);
        return;
      }
    }
    out_ << visit_value(value, TextSpelling{value.field}) << '\n';
  }

  void print_elided_values(const pb::Message& message, const pb::FieldDescriptor& field, int depth) {
    const int count = message.GetReflection()->FieldSize(message, &field);
    indent(depth);
    out_ << field.name() << ": [";
    for (std::size_t i = 0; i < elided_values_shown; ++i) {
      out_ << visit_value(FieldValue{message, field, static_cast<int>(i)}, TextSpelling{field}) << ", ";
    }
    out_ << "...]  # " << elided_values_shown << " of " << count << " values shown\n";
  }

  void print_elided_bytes(const pb::FieldDescriptor& field, std::string_view bytes) {
    out_ << quoted(bytes.substr(0, elided_bytes_shown)) << "...  # " << elided_bytes_shown << " of " << bytes.size()
         << " bytes shown";
    if (field.full_name() == float16_blob_field) {
      out_ << "; as float16: [";
      for (const std::uint16_t half : leading_halves(bytes)) out_ << format_half(half) << ", ";
      out_ << "...]";
    }
    out_ << '\n';
  }

  // Unknown fields cannot be named, only numbered; listing them keeps the dump
  // honest about bytes a re-save would carry along.
  void print_unknown_fields(const pb::UnknownFieldSet& unknown, int depth) {
    for (int i = 0; i < unknown.field_count(); ++i) {
      const pb::UnknownField& field = unknown.field(i);
      indent(depth);
      out_ << "# unknown field " << field.number() << " (";
      switch (field.type()) {
        case pb::UnknownField::TYPE_VARINT: out_ << "varint " << field.varint(); break;
        case pb::UnknownField::TYPE_FIXED32: out_ << "fixed32 " << field.fixed32(); break;
        case pb::UnknownField::TYPE_FIXED64: out_ << "fixed64 " << field.fixed64(); break;
        case pb::UnknownField::TYPE_LENGTH_DELIMITED:
          out_ << "length-delimited, " << field.length_delimited().size() << " bytes";
          break;
        case pb::UnknownField::TYPE_GROUP: out_ << "group of " << field.group().field_count() << " fields"; break;
      }
      out_ << ")\n";
    }
  }

  void indent(int depth) {
    for (int i = 0; i < depth; ++i) out_ << "  ";
  }

  std::ostream& out_;
};

// ---------------------------------------------------------------------------
// Elided JSON

struct JsonSpelling {
  const pb::FieldDescriptor& field;
  ordered_json operator()(std::int32_t v) const { return v; }
  // 64-bit integers are strings in the JSON mapping: JavaScript numbers would round them.
  ordered_json operator()(std::int64_t v) const { return std::to_string(v); }
  ordered_json operator()(std::uint32_t v) const { return v; }
  ordered_json operator()(std::uint64_t v) const { return std::to_string(v); }
  ordered_json operator()(float v) const { return json_number(v, format_float(v)); }
  ordered_json operator()(double v) const { return json_number(v, format_double(v)); }
  ordered_json operator()(bool v) const { return v; }
  ordered_json operator()(EnumNumber v) const {
    const pb::EnumValueDescriptor* known = field.enum_type()->FindValueByNumber(v.number);
    if (known != nullptr) return known->name();
    return v.number;
  }
  ordered_json operator()(TextString v) const { return std::string(v.text); }
  ordered_json operator()(ByteString v) const {
    if (v.bytes.size() <= elide_bytes_over) return base64(v.bytes);
    ordered_json elided = {{"elided", true},
                           {"bytes", v.bytes.size()},
                           {"firstBase64", base64(v.bytes.substr(0, elided_bytes_shown))}};
    if (field.full_name() == float16_blob_field) {
      ordered_json halves = ordered_json::array();
      for (const std::uint16_t half : leading_halves(v.bytes)) {
        halves.push_back(json_number(half_to_float(half), format_half(half)));
      }
      elided["firstFloat16"] = std::move(halves);
    }
    return elided;
  }
};

ordered_json message_json(const pb::Message& message);

ordered_json value_json(const FieldValue& value) {
  if (value.field.cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) return visit_value(value, JsonSpelling{value.field});
  const pb::Reflection& r = *value.message.GetReflection();
  return message_json(value.index >= 0 ? r.GetRepeatedMessage(value.message, &value.field, value.index)
                                       : r.GetMessage(value.message, &value.field));
}

// JSON object keys are strings whatever the map's key type.
std::string map_key_json(const pb::Message& entry) {
  const pb::FieldDescriptor& key = *entry.GetDescriptor()->map_key();
  const ordered_json spelled = visit_value(FieldValue{entry, key, -1}, JsonSpelling{key});
  return spelled.is_string() ? spelled.get<std::string>() : spelled.dump();
}

ordered_json field_json(const pb::Message& message, const pb::FieldDescriptor& field) {
  const pb::Reflection& reflection = *message.GetReflection();
  if (field.is_map()) {
    ordered_json object = ordered_json::object();
    const pb::FieldDescriptor& value_field = *field.message_type()->map_value();
    for (const pb::Message* entry : sorted_map_entries(message, field)) {
      object[map_key_json(*entry)] = value_json(FieldValue{*entry, value_field, -1});
    }
    return object;
  }
  if (!field.is_repeated()) return value_json(FieldValue{message, field, -1});
  const int count = reflection.FieldSize(message, &field);
  const bool elide = is_long_numeric_list(message, field);
  ordered_json values = ordered_json::array();
  const int shown = elide ? static_cast<int>(elided_values_shown) : count;
  for (int i = 0; i < shown; ++i) values.push_back(value_json(FieldValue{message, field, i}));
  if (!elide) return values;
  return ordered_json{{"elided", true}, {"count", count}, {"first", std::move(values)}};
}

ordered_json message_json(const pb::Message& message) {
  ordered_json object = ordered_json::object();
  std::vector<const pb::FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) object[field->json_name()] = field_json(message, *field);
  return object;
}

}  // namespace

// ---------------------------------------------------------------------------

std::string format_float(float value) { return shortest_decimal(value); }
std::string format_double(double value) { return shortest_decimal(value); }

float half_to_float(std::uint16_t bits) {
  const int exponent = (bits >> 10) & 0x1f;
  const int mantissa = bits & 0x3ff;
  float magnitude = 0;
  if (exponent == 0) {
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    magnitude = mantissa != 0 ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else {
    magnitude = std::ldexp(static_cast<float>(mantissa + 1024), exponent - 25);
  }
  return (bits & 0x8000) != 0 ? -magnitude : magnitude;
}

std::string format_half(std::uint16_t bits) {
  const float value = half_to_float(bits);
  if (!std::isfinite(value)) return format_float(value);
  // binary16 needs at most 5 significant digits to read back exactly.
  for (int digits = 1; digits <= 5; ++digits) {
    std::array<char, 32> buffer{};
    const auto result = std::to_chars(buffer.data(), buffer.data() + buffer.size(), static_cast<double>(value),
                                      std::chars_format::general, digits);
    double parsed = 0;
    std::from_chars(buffer.data(), result.ptr, parsed);
    if (nearest_half(parsed) == bits) return std::string(buffer.data(), result.ptr);
  }
  return format_float(value);
}

void print_text_full(const pb::Message& message, std::ostream& out) {
  bool printed = false;
  {
    pb::io::OstreamOutputStream stream(&out);
    printed = pb::TextFormat::Printer().Print(message, &stream);
  }
  if (!printed || !out) throw Error("cannot write the text dump", Error::Kind::io);
}

void print_json_full(const pb::Message& message, std::ostream& out) {
  // BinaryToJsonStream is what MessageToJsonString runs underneath; calling it
  // directly streams the JSON instead of building it as one string.
  std::string binary;
  {
    pb::io::StringOutputStream stream(&binary);
    pb::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    if (!message.SerializePartialToCodedStream(&coded)) throw Error("cannot serialize the message for JSON output");
  }
  const pb::DescriptorPool* pool = message.GetDescriptor()->file()->pool();
  const std::unique_ptr<pb::util::TypeResolver> resolver(
      pb::util::NewTypeResolverForDescriptorPool("type.googleapis.com", pool));
  pb::util::JsonPrintOptions options;
  options.add_whitespace = true;
  pb::io::ArrayInputStream input(binary.data(), static_cast<int>(binary.size()));
  pb::util::Status status;
  {
    pb::io::OstreamOutputStream output(&out);
    status = pb::util::BinaryToJsonStream(resolver.get(), "type.googleapis.com/" + message.GetDescriptor()->full_name(),
                                          &input, &output, options);
  }
  if (!status.ok()) throw Error("cannot convert to JSON: " + status.ToString());
  if (!out) throw Error("cannot write the JSON dump", Error::Kind::io);
}

void print_text_elided(const pb::Message& message, std::ostream& out) {
  ElidedTextPrinter(out).print_message(message, 0);
  if (!out) throw Error("cannot write the text dump", Error::Kind::io);
}

ordered_json to_json_elided(const pb::Message& message) { return message_json(message); }

void print_json_elided(const pb::Message& message, std::ostream& out) {
  // One-space indent matches protobuf's own whitespace, so --json and --json --full line up.
  out << to_json_elided(message).dump(1, ' ', false, ordered_json::error_handler_t::replace) << '\n';
  if (!out) throw Error("cannot write the JSON dump", Error::Kind::io);
}

}  // namespace mlconv::cli
