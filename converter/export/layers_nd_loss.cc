// N-d (iOS 13) mappings of the inference form of the ONNX losses:
// NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (log-softmax over the class
// axis, then the same NLL). The class of each item is picked with gatherAlongAxis;
// ignored items (ignore_index) read class 0 and get weight 0, so out-of-range labels
// never reach the gather.
#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

// The NLL of `log_prob` (shape [N, C, d...]) against the labels of input `target_index`,
// class weights from input `weight_index` when present, written to output 0.
void nll(LayerBuilder& b, const std::string& log_prob, const std::vector<std::int64_t>& scores, std::size_t target_index,
         std::size_t weight_index) {
  const auto target = b.shape(target_index);
  if (scores.size() < 2 || target.size() + 1 != scores.size()) b.fail("expects scores [N, C, d...] and labels [N, d...]");
  const std::string reduction = b.attr_string("reduction", "mean");
  if (reduction != "mean" && reduction != "sum" && reduction != "none") b.fail("reduction '" + reduction + "'; expected mean, sum or none");
  std::string labels = b.operand(target_index);
  std::string valid;  // 1 where the label counts, 0 where it is ignore_index
  if (b.has_attr("ignore_index")) {
    valid = b.temp_blob("valid");
    b.add_layer("valid", {labels}, {valid}).mutable_notequal()->set_alpha(static_cast<float>(b.attr_int("ignore_index", 0)));
    const std::string safe = b.temp_blob("labels");
    b.add_layer("labels", {labels, valid}, {safe}).mutable_multiplybroadcastable();
    labels = safe;
  }
  const std::string index = b.temp_blob("index");
  b.add_layer("index", {labels}, {index}).mutable_expanddims()->add_axes(1);
  const std::string picked = b.temp_blob("picked");
  b.add_layer("picked", {log_prob, index}, {picked}).mutable_gatheralongaxis()->set_axis(1);
  const std::string item = b.temp_blob("item");
  b.add_layer("item", {picked}, {item}).mutable_squeeze()->add_axes(1);
  std::string weight = valid;  // per item; empty = 1
  if (b.has_input(weight_index)) {
    const std::string class_weight = b.temp_blob("class_weight");
    b.add_layer("class_weight", {b.operand(weight_index), labels}, {class_weight}).mutable_gather()->set_axis(0);
    weight = class_weight;
    if (!valid.empty()) {
      weight = b.temp_blob("weight");
      b.add_layer("weight", {class_weight, valid}, {weight}).mutable_multiplybroadcastable();
    }
  }
  std::string weighted = item;
  if (!weight.empty()) {
    weighted = b.temp_blob("weighted");
    b.add_layer("weighted", {item, weight}, {weighted}).mutable_multiplybroadcastable();
  }
  const bool reduce = reduction != "none";
  const std::string loss = reduce ? b.temp_blob("loss") : b.output_blob(0);
  b.add_layer(reduce ? "loss" : "", {weighted}, {loss}).mutable_activation()->mutable_linear()->set_alpha(-1.0F);
  if (!reduce) {
    b.set_output_shape(0, target);
    return;
  }
  const auto sum_all = [&](std::string_view suffix, const std::string& input, std::string output) {
    auto& params = *b.add_layer(suffix, {input}, {output}).mutable_reducesum();
    params.set_reduceall(true);
    params.set_keepdims(false);
    return output;
  };
  if (reduction == "sum") {
    sum_all("", loss, b.output_blob(0));
  } else if (weight.empty()) {
    auto& mean = *b.add_layer("", {loss}, {b.output_blob(0)}).mutable_reducemean();
    mean.set_reduceall(true);
    mean.set_keepdims(false);
  } else {
    const std::string total = sum_all("total", loss, b.temp_blob("total"));
    const std::string weights = sum_all("weights", weight, b.temp_blob("weights"));
    b.add_layer("", {total, weights}, {b.output_blob(0)}).mutable_dividebroadcastable();
  }
  b.set_output_shape(0, {});
}

}  // namespace

void build_nd_nll_loss_layer(LayerBuilder& b) { nll(b, b.operand(0), b.shape(0), 1, 2); }

void build_nd_softmax_cross_entropy_layer(LayerBuilder& b) {
  const auto scores = b.shape(0);
  if (scores.size() < 2) b.fail("expects scores [N, C, d...]");
  const std::string probabilities = b.temp_blob("softmax");
  b.add_layer("softmax", {b.operand(0)}, {probabilities}).mutable_softmaxnd()->set_axis(1);
  const bool log_prob_output = b.node().outputs.size() > 1 && b.node().outputs[1] != nullptr;
  const std::string log_prob = log_prob_output ? b.output_blob(1) : b.temp_blob("log_prob");
  auto& log = *b.add_layer("log_prob", {probabilities}, {log_prob}).mutable_unary();
  log.set_type(cml::UnaryFunctionLayerParams::LOG);
  log.set_scale(1.0F);
  if (log_prob_output) b.set_output_shape(1, scores);
  nll(b, log_prob, scores, 1, 2);
}

}  // namespace mlconv::converter
