// Prints any protobuf message for people: protobuf text format or the protobuf
// JSON mapping, either exactly as protobuf prints it ("full") or with long
// numeric arrays and byte blobs cut to a short preview ("elided"), so that a
// model carrying megabytes of weights stays readable and diffable.
//
// The elided forms keep protobuf's layout, field names and value spelling so
// that, when nothing is long, elided text parses back with TextFormat and
// elided JSON with JsonStringToMessage into the same message. The one
// deliberate difference: floats and doubles print as the shortest decimal that
// reads back to the same value of their width ("0.94786733"), where protobuf
// prints "%.9g"/"%.17g"-style digits ("0.947867334").
#pragma once

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <string>

#include <google/protobuf/message.h>
#include <nlohmann/json.hpp>

namespace mlconv::cli {

// A repeated numeric field (integers, floats, doubles) with more than this
// many values is elided to its first `elided_values_shown` values.
inline constexpr std::size_t elide_values_over = 16;
inline constexpr std::size_t elided_values_shown = 8;
// A bytes field longer than this is elided to its first `elided_bytes_shown` bytes.
inline constexpr std::size_t elide_bytes_over = 32;
inline constexpr std::size_t elided_bytes_shown = 16;

// Exactly google::protobuf::TextFormat::Printer's output, streamed to `out`.
void print_text_full(const google::protobuf::Message& message, std::ostream& out);

// Exactly google::protobuf::util::MessageToJsonString's output with
// add_whitespace (one-space indent, lowerCamelCase json_name keys, ends with a
// newline), streamed to `out`. Map entries come in key order because the
// message is serialized deterministically on the way.
void print_json_full(const google::protobuf::Message& message, std::ostream& out);

// TextFormat layout with long values elided:
//   floatValue: [0.1, -2.5, 3, 4, 5, 6, 7, 8, ...]  # 8 of 5000 values shown
//   rawValue: "\000\001..."...  # 16 of 9408 bytes shown
// Map entries are sorted by key (as TextFormat sorts them) and unknown fields
// print as "# unknown field N (...)" comment lines.
void print_text_elided(const google::protobuf::Message& message, std::ostream& out);

// The protobuf JSON mapping built by reflection, with long values replaced by
//   {"elided": true, "count": 5000, "first": [ ...8 values... ]}
//   {"elided": true, "bytes": 9408, "firstBase64": "..."}
// (float16Value blobs also carry "firstFloat16": the first decoded values).
// JSON cannot carry unknown fields; they are left out, as protobuf does.
nlohmann::ordered_json to_json_elided(const google::protobuf::Message& message);
void print_json_elided(const google::protobuf::Message& message, std::ostream& out);

// Shortest decimal that reads back as the same value of that width; "nan",
// "inf", "-inf" as TextFormat spells them.
std::string format_float(float value);
std::string format_double(double value);
// IEEE 754 binary16 (Core ML's float16Value, little-endian in the blob).
float half_to_float(std::uint16_t bits);
std::string format_half(std::uint16_t bits);

}  // namespace mlconv::cli
