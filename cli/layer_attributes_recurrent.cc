// Activation functions and recurrent layers. Both are described by ActivationParams,
// a oneof of one message per function, so the function's name comes from the
// schema by reflection and its scalar parameters follow.
#include <array>
#include <string>

#include "cli/layer_attributes_families.h"
#include "spec/names.h"

namespace mlconv::cli::attributes {

namespace {

namespace cml = CoreML::Specification;
namespace pb = google::protobuf;

// An ActivationParams with no function set is malformed; saying so beats an empty name.
std::string function_name(const cml::ActivationParams& activation) {
  const std::string_view name = spec::oneof_case_name(activation, "NonlinearityType");
  return name.empty() ? "unset" : std::string(name);
}

Json function_names(const pb::RepeatedPtrField<cml::ActivationParams>& activations) {
  Json names = Json::array();
  for (const cml::ActivationParams& activation : activations) names.push_back(function_name(activation));
  return names;
}

Json activation_attributes(const Layer& layer) {
  const cml::ActivationParams& activation = layer.activation();
  Json out = Json::object();
  const pb::Reflection* reflection = activation.GetReflection();
  const pb::FieldDescriptor* function =
      reflection->GetOneofFieldDescriptor(activation, activation.GetDescriptor()->FindOneofByName("NonlinearityType"));
  if (function == nullptr) return out;
  out["type"] = function->name();
  const pb::Message& parameters = reflection->GetMessage(activation, function);
  const pb::Descriptor* type = parameters.GetDescriptor();
  for (int i = 0; i < type->field_count(); ++i) {
    const pb::FieldDescriptor* field = type->field(i);
    if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_FLOAT && !field->is_repeated()) {
      // Every scalar of a function is a coefficient: 0 is as meaningful as any other value.
      out[field->name()] = float_json(parameters.GetReflection()->GetFloat(parameters, field));
    } else if (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE &&
               field->message_type() == cml::WeightParams::descriptor()) {
      // Per-channel coefficients (PReLU, parametric softplus): how many, not the values.
      const auto& weights =
          static_cast<const cml::WeightParams&>(parameters.GetReflection()->GetMessage(parameters, field));
      out[field->name() + "Count"] = weight_count(layer, weights);
    }
  }
  return out;
}

Json simple_recurrent_attributes(const Layer& layer) {
  const cml::SimpleRecurrentLayerParams& rnn = layer.simplerecurrent();
  Json out = Json::object();
  out["inputVectorSize"] = rnn.inputvectorsize();
  out["outputVectorSize"] = rnn.outputvectorsize();
  if (rnn.has_activation()) out["activation"] = function_name(rnn.activation());
  if (rnn.sequenceoutput()) out["sequenceOutput"] = true;
  if (rnn.hasbiasvector()) out["hasBiasVector"] = true;
  if (rnn.reverseinput()) out["reverseInput"] = true;
  return out;
}

Json gru_attributes(const Layer& layer) {
  const cml::GRULayerParams& gru = layer.gru();
  Json out = Json::object();
  out["inputVectorSize"] = gru.inputvectorsize();
  out["outputVectorSize"] = gru.outputvectorsize();
  if (!gru.activations().empty()) out["activations"] = function_names(gru.activations());
  if (gru.sequenceoutput()) out["sequenceOutput"] = true;
  if (gru.hasbiasvectors()) out["hasBiasVectors"] = true;
  if (gru.reverseinput()) out["reverseInput"] = true;
  return out;
}

void add_lstm_params(Json& out, const cml::LSTMParams& params) {
  if (params.sequenceoutput()) out["sequenceOutput"] = true;
  if (params.hasbiasvectors()) out["hasBiasVectors"] = true;
  if (params.forgetbias()) out["forgetBias"] = true;
  if (params.haspeepholevectors()) out["hasPeepholeVectors"] = true;
  if (params.coupledinputandforgetgate()) out["coupledInputAndForgetGate"] = true;
  // 0 means the documented default of 50; only a chosen threshold is worth a column.
  if (params.cellclipthreshold() != 0.0F) out["cellClipThreshold"] = float_json(params.cellclipthreshold());
}

Json unidirectional_lstm_attributes(const Layer& layer) {
  const cml::UniDirectionalLSTMLayerParams& lstm = layer.unidirectionallstm();
  Json out = Json::object();
  out["inputVectorSize"] = lstm.inputvectorsize();
  out["outputVectorSize"] = lstm.outputvectorsize();
  if (!lstm.activations().empty()) out["activations"] = function_names(lstm.activations());
  add_lstm_params(out, lstm.params());
  if (lstm.reverseinput()) out["reverseInput"] = true;
  return out;
}

Json bidirectional_lstm_attributes(const Layer& layer) {
  const cml::BiDirectionalLSTMLayerParams& lstm = layer.bidirectionallstm();
  Json out = Json::object();
  out["inputVectorSize"] = lstm.inputvectorsize();
  out["outputVectorSize"] = lstm.outputvectorsize();
  Json forward = function_names(lstm.activationsforwardlstm());
  Json backward = function_names(lstm.activationsbackwardlstm());
  // Converters use the same functions both ways; one list then says it all.
  if (forward == backward) {
    if (!forward.empty()) out["activations"] = std::move(forward);
  } else {
    out["activationsForwardLSTM"] = std::move(forward);
    out["activationsBackwardLSTM"] = std::move(backward);
  }
  add_lstm_params(out, lstm.params());
  return out;
}

constexpr std::array<Registration, 5> kRecurrentFormatters{{
    {Layer::kActivation, activation_attributes},
    {Layer::kSimpleRecurrent, simple_recurrent_attributes},
    {Layer::kGru, gru_attributes},
    {Layer::kUniDirectionalLSTM, unidirectional_lstm_attributes},
    {Layer::kBiDirectionalLSTM, bidirectional_lstm_attributes},
}};

}  // namespace

std::span<const Registration> recurrent_formatters() { return kRecurrentFormatters; }

}  // namespace mlconv::cli::attributes
