#include "spec/weights.h"

#include <bit>
#include <cmath>
#include <algorithm>
#include <cstring>
#include <optional>

#include "spec/error.h"
#include "spec/weight_elision.h"

namespace mlconv::spec {

namespace pb = google::protobuf;
namespace cml = CoreML::Specification;

float half_to_float(std::uint16_t half) {
  const std::uint32_t sign = static_cast<std::uint32_t>(half & 0x8000U) << 16;
  const std::uint32_t exponent = (half >> 10) & 0x1fU;
  std::uint32_t mantissa = half & 0x3ffU;
  std::uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000U | (mantissa << 13);
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa != 0) {
    // Subnormal half: renormalise into a normal float.
    int shift = 0;
    while ((mantissa & 0x400U) == 0) {
      mantissa <<= 1;
      ++shift;
    }
    mantissa &= 0x3ffU;
    bits = sign | (static_cast<std::uint32_t>(113 - shift) << 23) | (mantissa << 13);
  } else {
    bits = sign;
  }
  return std::bit_cast<float>(bits);
}

std::string element_type_name(const WeightBlob& blob) {
  switch (blob.storage) {
    case WeightStorage::empty: return "empty";
    case WeightStorage::float32: return "float32";
    case WeightStorage::float16: return "float16";
    case WeightStorage::int8: return "int8";
    case WeightStorage::linear_quantized: return "uint" + std::to_string(blob.bits) + " linear";
    case WeightStorage::lut_quantized: return "uint" + std::to_string(blob.bits) + " lut";
    case WeightStorage::raw_bytes: return "bytes";
    case WeightStorage::ambiguous: return "ambiguous";
  }
  return "?";
}

namespace {

// Storage kind, bits and element count from which value field holds the data
// and how many bytes it has; the same whether the bytes were loaded or elided.
void describe_value(const cml::WeightParams& params, std::uint32_t field_number, std::uint64_t bytes, WeightBlob& blob) {
  blob.bytes = bytes;
  switch (field_number) {
    case cml::WeightParams::kFloatValueFieldNumber:
      blob.storage = WeightStorage::float32;
      blob.bits = 32;
      blob.count = bytes / 4;  // packed fixed32
      return;
    case cml::WeightParams::kFloat16ValueFieldNumber:
      blob.storage = WeightStorage::float16;
      blob.bits = 16;
      blob.count = bytes / 2;
      return;
    case cml::WeightParams::kInt8RawValueFieldNumber:
      blob.storage = WeightStorage::int8;
      blob.bits = 8;
      blob.count = bytes;
      return;
    default: {
      const auto& quantization = params.quantization();
      const auto bits = static_cast<unsigned>(std::min<std::uint64_t>(quantization.numberofbits(), 64));
      if (params.has_quantization() && bits >= 1 && bits <= 8 &&
          quantization.QuantizationType_case() != cml::QuantizationParams::QUANTIZATIONTYPE_NOT_SET) {
        blob.storage = quantization.has_linearquantization() ? WeightStorage::linear_quantized : WeightStorage::lut_quantized;
        blob.bits = bits;
        blob.count = bytes * 8 / bits;  // codes are bit-packed; the last byte may be padding
      } else {
        blob.storage = WeightStorage::raw_bytes;
        blob.bits = 8;
        blob.count = bytes;
      }
    }
  }
}

WeightBlob classify(const cml::WeightParams& params, std::string field) {
  WeightBlob blob;
  blob.field = std::move(field);
  blob.params = &params;
  const std::pair<std::uint32_t, std::uint64_t> loaded[] = {
      {cml::WeightParams::kFloatValueFieldNumber, params.floatvalue_size() * 4ULL},
      {cml::WeightParams::kFloat16ValueFieldNumber, params.float16value().size()},
      {cml::WeightParams::kRawValueFieldNumber, params.rawvalue().size()},
      {cml::WeightParams::kInt8RawValueFieldNumber, params.int8rawvalue().size()},
  };
  int stored = 0;
  std::uint64_t total_bytes = 0;
  for (const auto& [number, bytes] : loaded) {
    if (bytes == 0) continue;
    ++stored;
    total_bytes += bytes;
    describe_value(params, number, bytes, blob);
  }
  if (const auto elided = elided_value(params)) {
    blob.values_elided = true;
    ++stored;
    total_bytes += elided->bytes;
    describe_value(params, elided->field_number, elided->bytes, blob);
  }
  if (stored > 1) {
    // Core ML rejects a blob with two storages; say so rather than pick one.
    blob = WeightBlob{blob.field, &params, WeightStorage::ambiguous, 0, 0, total_bytes, 0, blob.values_elided};
  }
  return blob;
}

void collect(const pb::Message& message, const std::string& prefix, std::vector<WeightBlob>& blobs) {
  const pb::Reflection* reflection = message.GetReflection();
  std::vector<const pb::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const pb::FieldDescriptor* field : fields) {
    if (field->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const pb::Descriptor* type = field->message_type();
    // Sub-networks hold layers of their own; those report their weights themselves.
    if (type == cml::NeuralNetwork::descriptor()) continue;
    const std::string name = prefix.empty() ? field->name() : prefix + "." + field->name();
    if (field->is_repeated()) {
      const int n = reflection->FieldSize(message, field);
      for (int i = 0; i < n; ++i) {
        const pb::Message& item = reflection->GetRepeatedMessage(message, field, i);
        const std::string item_name = name + "[" + std::to_string(i) + "]";
        if (type == cml::WeightParams::descriptor()) {
          blobs.push_back(classify(static_cast<const cml::WeightParams&>(item), item_name));
        } else {
          collect(item, item_name, blobs);
        }
      }
    } else if (type == cml::WeightParams::descriptor()) {
      blobs.push_back(classify(static_cast<const cml::WeightParams&>(reflection->GetMessage(message, field)), name));
    } else {
      collect(reflection->GetMessage(message, field), name, blobs);
    }
  }
}

// Deconvolution keeps output channels on axis 1 ([kernelChannels, outputChannels/groups, kH, kW]).
void set_channel_layout(const cml::NeuralNetworkLayer& layer, std::vector<WeightBlob>& blobs) {
  if (layer.layer_case() != cml::NeuralNetworkLayer::kConvolution || !layer.convolution().isdeconvolution()) return;
  std::uint64_t spatial = 1;
  for (const auto k : layer.convolution().kernelsize()) spatial *= k;
  for (WeightBlob& blob : blobs) {
    if (blob.field == "weights") blob.channel_block = spatial;
  }
}

std::uint32_t read_code(const std::string& bytes, std::uint64_t index, unsigned bits) {
  // Codes are packed most significant bit first, as coremltools writes them.
  std::uint32_t code = 0;
  std::uint64_t bit = index * bits;
  for (unsigned b = 0; b < bits; ++b, ++bit) {
    const auto byte = static_cast<unsigned char>(bytes[bit / 8]);
    code = (code << 1) | ((byte >> (7 - bit % 8)) & 1U);
  }
  return code;
}

struct ChannelScale {
  const pb::RepeatedField<float>& scale;
  const pb::RepeatedField<float>& bias;
  std::uint64_t block;
  std::uint64_t count;  // codes that carry values; the rest pad the last byte

  float apply(std::uint64_t index, float code) const {
    const std::uint64_t channels = static_cast<std::uint64_t>(std::max(scale.size(), bias.size()));
    const std::uint64_t channel = channels <= 1 ? 0 : (index / block) % channels;
    const float s = scale.empty() ? 1.0F : scale.size() == 1 ? scale[0] : scale[static_cast<int>(channel)];
    const float b = bias.empty() ? 0.0F : bias.size() == 1 ? bias[0] : bias[static_cast<int>(channel)];
    return s * code + b;
  }
};

ChannelScale channel_scale(const WeightBlob& blob, const cml::LinearQuantizationParams& linear) {
  const auto channels = static_cast<std::uint64_t>(std::max(linear.scale_size(), linear.bias_size()));
  // Sub-byte codes are padded to whole bytes, so the stored code count can exceed
  // the real one by less than a byte's worth; per-channel scales tell the real one.
  std::uint64_t count = blob.count;
  if (channels > 1 && blob.channel_block == 0 && count % channels != 0 && (count % channels) * blob.bits < 8) {
    count -= count % channels;
  }
  if ((linear.scale_size() > 1 && linear.bias_size() > 1 && linear.scale_size() != linear.bias_size()) ||
      (channels > 1 && count % channels != 0 && blob.channel_block == 0)) {
    throw Error(blob.field + ": linear quantization has " + std::to_string(linear.scale_size()) + " scales and " +
                std::to_string(linear.bias_size()) + " biases, which match no channel layout of " +
                std::to_string(blob.count) + " values");
  }
  const std::uint64_t block = blob.channel_block != 0 ? blob.channel_block : channels > 1 ? count / channels : 1;
  return ChannelScale{linear.scale(), linear.bias(), block == 0 ? 1 : block, count};
}

}  // namespace

std::vector<WeightBlob> layer_weights(const cml::NeuralNetworkLayer& layer) {
  std::vector<WeightBlob> blobs;
  const pb::OneofDescriptor* oneof = cml::NeuralNetworkLayer::descriptor()->FindOneofByName("layer");
  const pb::FieldDescriptor* field = layer.GetReflection()->GetOneofFieldDescriptor(layer, oneof);
  if (field == nullptr) return blobs;
  collect(layer.GetReflection()->GetMessage(layer, field), "", blobs);
  set_channel_layout(layer, blobs);
  return blobs;
}

std::vector<float> decode_weights(const WeightBlob& blob) {
  if (blob.values_elided) throw Error(blob.field + ": weight values were not loaded (the model was read without them)");
  const cml::WeightParams& params = *blob.params;
  std::vector<float> values;
  switch (blob.storage) {
    case WeightStorage::empty:
    case WeightStorage::raw_bytes:
    case WeightStorage::ambiguous:
      break;
    case WeightStorage::float32:
      values.assign(params.floatvalue().begin(), params.floatvalue().end());
      break;
    case WeightStorage::float16: {
      values.resize(blob.count);
      const char* data = params.float16value().data();
      for (std::uint64_t i = 0; i < blob.count; ++i) {
        std::uint16_t half = 0;
        std::memcpy(&half, data + 2 * i, 2);  // stored little-endian, as is this host
        values[i] = half_to_float(half);
      }
      break;
    }
    case WeightStorage::int8: {
      values.resize(blob.count);
      const bool scaled = params.quantization().has_linearquantization();
      const ChannelScale* scale = nullptr;
      std::optional<ChannelScale> storage;
      if (scaled) scale = &storage.emplace(channel_scale(blob, params.quantization().linearquantization()));
      for (std::uint64_t i = 0; i < blob.count; ++i) {
        const auto code = static_cast<float>(static_cast<std::int8_t>(params.int8rawvalue()[i]));
        values[i] = scale != nullptr ? scale->apply(i, code) : code;
      }
      break;
    }
    case WeightStorage::linear_quantized: {
      const ChannelScale scale = channel_scale(blob, params.quantization().linearquantization());
      values.resize(scale.count);
      for (std::uint64_t i = 0; i < scale.count; ++i) {
        values[i] = scale.apply(i, static_cast<float>(read_code(params.rawvalue(), i, blob.bits)));
      }
      break;
    }
    case WeightStorage::lut_quantized: {
      const auto& table = params.quantization().lookuptablequantization().floatvalue();
      const std::uint64_t needed = 1ULL << blob.bits;
      if (static_cast<std::uint64_t>(table.size()) != needed) {
        throw Error(blob.field + ": lookup table has " + std::to_string(table.size()) + " entries; " +
                    std::to_string(blob.bits) + "-bit codes need " + std::to_string(needed));
      }
      values.resize(blob.count);
      for (std::uint64_t i = 0; i < blob.count; ++i) values[i] = table[static_cast<int>(read_code(params.rawvalue(), i, blob.bits))];
      break;
    }
  }
  return values;
}

namespace {

template <typename Values>
WeightStatistics statistics_of(const Values& values) {
  WeightStatistics stats;
  stats.count = static_cast<std::uint64_t>(values.size());
  double sum = 0;
  std::uint64_t finite = 0;
  for (const float v : values) {
    if (std::isnan(v)) {
      ++stats.nan;
    } else if (std::isinf(v)) {
      ++stats.inf;
    } else {
      if (finite == 0 || v < stats.min) stats.min = v;
      if (finite == 0 || v > stats.max) stats.max = v;
      sum += v;
      ++finite;
    }
  }
  if (finite > 0) stats.mean = sum / static_cast<double>(finite);
  return stats;
}

}  // namespace

WeightStatistics weight_statistics(const std::vector<float>& values) { return statistics_of(values); }

WeightStatistics weight_statistics(const WeightBlob& blob) {
  // float32 values are read in place: a decoded copy of a 400 MB blob would double the memory.
  if (blob.storage == WeightStorage::float32 && !blob.values_elided) return statistics_of(blob.params->floatvalue());
  return statistics_of(decode_weights(blob));
}

}  // namespace mlconv::spec
