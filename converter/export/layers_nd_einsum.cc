// Einsum as N-d (iOS 13) layers. Core ML has no einsum layer, but one or two operands
// decompose into layers it has:
//   1. a label repeated within an operand (a diagonal, "ii->i") becomes a product with an
//      identity mask over its two axes and a sum over the second;
//   2. a label that only one operand has and the output lacks is summed in that operand;
//   3. with two operands every remaining label is batch (both operands and the output),
//      contracted (both operands only) or free (one operand and the output); the operands
//      are transposed to [batch, free, contracted] and [batch, contracted, free], reshaped to
//      [batch, M, K] and [batch, K, N], and multiplied by one batchedMatMul;
//   4. the result is reshaped to its labels' sizes and transposed into the output's order.
// Every step is skipped when it would not change anything.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>

#include "converter/export/layer_mappings.h"
#include "converter/export/layers_nd_support.h"

namespace mlconv::converter {
namespace {

// A letter's character code, or first_ellipsis_label + k for the k-th axis an ellipsis
// stands for, counted so that ellipses of different lengths align on the right (they
// broadcast like numpy shapes).
using Label = int;
using Labels = std::vector<Label>;
constexpr Label first_ellipsis_label = 256;

std::string label_text(Label label) {
  if (label < first_ellipsis_label) return std::string(1, static_cast<char>(label));
  return "...[" + std::to_string(label - first_ellipsis_label) + "]";
}

struct Equation {
  std::vector<Labels> inputs;
  Labels output;
};

Equation parse_equation(const LayerBuilder& b, const std::vector<std::vector<std::int64_t>>& shapes) {
  std::string text = b.attr_string("equation", "");
  text.erase(std::remove_if(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; }), text.end());
  if (text.empty()) b.fail("attribute 'equation' is missing or empty");
  const auto arrow = text.find("->");
  std::vector<std::string> terms(1);
  for (const char c : text.substr(0, arrow)) {
    if (c == ',') terms.emplace_back();
    else terms.back() += c;
  }
  if (terms.size() != shapes.size()) {
    b.fail("the equation '" + text + "' has " + std::to_string(terms.size()) + " operand terms for " + std::to_string(shapes.size()) + " inputs");
  }
  std::vector<std::size_t> ellipsis_ranks(terms.size(), 0);
  std::size_t widest = 0;
  for (std::size_t i = 0; i < terms.size(); ++i) {
    const auto letters = static_cast<std::size_t>(std::count_if(terms[i].begin(), terms[i].end(), [](unsigned char c) { return std::isalpha(c) != 0; }));
    const bool ellipsis = terms[i].find("...") != std::string::npos;
    if (ellipsis ? letters > shapes[i].size() : letters != shapes[i].size()) {
      b.fail("the term '" + terms[i] + "' names " + std::to_string(letters) + " axes; input " + std::to_string(i) + " has rank " +
             std::to_string(shapes[i].size()));
    }
    ellipsis_ranks[i] = ellipsis ? shapes[i].size() - letters : 0;
    widest = std::max(widest, ellipsis_ranks[i]);
  }
  const auto expand = [&](const std::string& term, std::size_t ellipsis_rank) {
    Labels labels;
    bool seen_ellipsis = false;
    for (std::size_t p = 0; p < term.size();) {
      if (term.compare(p, 3, "...") == 0 && !seen_ellipsis) {
        for (std::size_t k = 0; k < ellipsis_rank; ++k) labels.push_back(first_ellipsis_label + static_cast<Label>(widest - ellipsis_rank + k));
        seen_ellipsis = true;
        p += 3;
        continue;
      }
      if (std::isalpha(static_cast<unsigned char>(term[p])) == 0) {
        b.fail("the equation '" + text + "' has '" + term[p] + "' where a letter or one '...' belongs");
      }
      labels.push_back(static_cast<unsigned char>(term[p++]));
    }
    return labels;
  };
  Equation equation;
  for (std::size_t i = 0; i < terms.size(); ++i) equation.inputs.push_back(expand(terms[i], ellipsis_ranks[i]));
  if (arrow != std::string::npos) {
    equation.output = expand(text.substr(arrow + 2), widest);
  } else {
    // Implicit output: the ellipsis axes, then the letters used exactly once, in alphabetical order.
    std::map<Label, int> uses;
    for (const auto& labels : equation.inputs)
      for (const Label l : labels) ++uses[l];
    for (const auto& [label, count] : uses) {
      if (label >= first_ellipsis_label || count == 1) equation.output.push_back(label);
    }
  }
  std::map<Label, int> in_output;
  for (const Label l : equation.output) {
    if (++in_output[l] > 1) b.fail("the output term of '" + text + "' repeats '" + label_text(l) + "'");
    const bool in_some_input = std::any_of(equation.inputs.begin(), equation.inputs.end(),
                                           [&](const Labels& labels) { return std::find(labels.begin(), labels.end(), l) != labels.end(); });
    if (!in_some_input) b.fail("the output term of '" + text + "' has '" + label_text(l) + "', which no input term has");
  }
  return equation;
}

// One operand as the decomposition goes: its current blob, axis labels and sizes.
struct Operand {
  std::string blob;
  Labels labels;
  std::vector<std::int64_t> shape;
  std::string name;  // "input0", for layer names and messages
};

class EinsumWriter {
 public:
  explicit EinsumWriter(LayerBuilder& b) : b_(b) {}

  // The diagonal of every label that appears twice in `x`.
  void take_diagonals(Operand& x) {
    for (std::size_t q = 0; q < x.labels.size(); ++q) {
      const auto first = static_cast<std::size_t>(std::find(x.labels.begin(), x.labels.end(), x.labels[q]) - x.labels.begin());
      if (first == q) continue;
      const std::int64_t n = x.shape[q];
      if (x.shape[first] != n) {
        b_.fail("label '" + label_text(x.labels[q]) + "' has sizes " + std::to_string(x.shape[first]) + " and " + std::to_string(n) + " in " + x.name);
      }
      std::vector<std::int64_t> mask_shape(x.shape.size(), 1);
      mask_shape[first] = n;
      mask_shape[q] = n;
      TensorData mask = nd::zeros(b_, "the diagonal's mask", {n, n});
      mask.dims = mask_shape;
      for (std::int64_t i = 0; i < n; ++i) {
        const float one = 1.0F;
        std::memcpy(mask.bytes.data() + static_cast<std::size_t>(i * n + i) * sizeof(float), &one, sizeof(float));
      }
      const std::string masked = next_blob(x.name + "_masked");
      add_layer(x.name + "_masked", {x.blob, b_.constant_blob(x.name + "_diagonal_mask", mask)}, masked).mutable_multiplybroadcastable();
      x.blob = masked;
      sum_axes(x, {static_cast<std::int64_t>(q)}, "_diagonal");
      --q;
    }
  }

  // Sums the axes of `x` whose labels `keep` rejects.
  template <typename Keep>
  void sum_unless(Operand& x, Keep keep) {
    std::vector<std::int64_t> axes;
    for (std::size_t i = 0; i < x.labels.size(); ++i) {
      if (!keep(x.labels[i])) axes.push_back(static_cast<std::int64_t>(i));
    }
    if (!axes.empty()) sum_axes(x, axes, "_sum");
  }

  void permute(Operand& x, const Labels& order, std::string_view suffix) {
    if (order == x.labels) return;
    const std::string out = next_blob(x.name + std::string(suffix));
    auto& transpose = *add_layer(x.name + std::string(suffix), {x.blob}, out).mutable_transpose();
    std::vector<std::int64_t> shape;
    for (const Label l : order) {
      const auto axis = static_cast<std::size_t>(std::find(x.labels.begin(), x.labels.end(), l) - x.labels.begin());
      transpose.add_axes(axis);
      shape.push_back(x.shape[axis]);
    }
    x = Operand{out, order, shape, x.name};
  }

  void reshape(Operand& x, const std::vector<std::int64_t>& shape, std::string_view suffix) {
    if (shape == x.shape) return;
    const std::string out = next_blob(x.name + std::string(suffix));
    auto& params = *add_layer(x.name + std::string(suffix), {x.blob}, out).mutable_reshapestatic();
    if (shape.empty()) params.add_targetshape(1);  // Core ML holds a scalar as one element
    for (const auto d : shape) params.add_targetshape(d);
    x.blob = out;
    x.shape = shape;
  }

  std::string matmul(const Operand& a, const Operand& c) {
    const std::string out = next_blob("product");
    add_layer("product", {a.blob, c.blob}, out).mutable_batchedmatmul();
    return out;
  }

  // Points the last layer at the node's output, or copies when no layer was needed.
  void finish(const Operand& result) {
    if (layers_written_ == 0) {
      b_.add_layer("", {result.blob}, {b_.output_blob(0)}).mutable_activation()->mutable_linear()->set_alpha(1.0F);
    } else {
      last_layer_->set_output(0, b_.output_blob(0));
    }
    b_.set_output_shape(0, result.shape);
  }

 private:
  void sum_axes(Operand& x, const std::vector<std::int64_t>& axes, std::string_view suffix) {
    const std::string out = next_blob(x.name + std::string(suffix));
    auto& sum = *add_layer(x.name + std::string(suffix), {x.blob}, out).mutable_reducesum();
    const bool all = axes.size() == x.labels.size();
    if (!all) {
      for (const auto a : axes) sum.add_axes(a);
    }
    sum.set_reduceall(all);
    sum.set_keepdims(false);
    for (auto a = axes.rbegin(); a != axes.rend(); ++a) {
      x.labels.erase(x.labels.begin() + *a);
      x.shape.erase(x.shape.begin() + *a);
    }
    x.blob = out;
  }

  std::string next_blob(const std::string& suffix) { return b_.temp_blob(suffix); }

  cml::NeuralNetworkLayer& add_layer(const std::string& suffix, const std::vector<std::string>& inputs, const std::string& output) {
    ++layers_written_;
    last_layer_ = &b_.add_layer(suffix, inputs, {output});
    return *last_layer_;
  }

  LayerBuilder& b_;
  int layers_written_ = 0;
  cml::NeuralNetworkLayer* last_layer_ = nullptr;
};

bool has(const Labels& labels, Label l) { return std::find(labels.begin(), labels.end(), l) != labels.end(); }

std::int64_t size_product(const Operand& x, std::size_t from, std::size_t to) {
  std::int64_t n = 1;
  for (std::size_t i = from; i < to; ++i) n = nd::element_count({n, x.shape[i]});
  return n;
}

}  // namespace

void build_nd_einsum_layer(LayerBuilder& b) {
  const std::size_t count = b.input_count();
  if (count < 1 || count > 2) b.fail("Einsum with " + std::to_string(count) + " operands: mlconv converts one or two");
  std::vector<std::vector<std::int64_t>> shapes;
  for (std::size_t i = 0; i < count; ++i) shapes.push_back(b.shape(i));
  const Equation equation = parse_equation(b, shapes);
  std::vector<Operand> operands;
  for (std::size_t i = 0; i < count; ++i) operands.push_back(Operand{b.operand(i), equation.inputs[i], shapes[i], "input" + std::to_string(i)});
  const Labels& out = equation.output;
  EinsumWriter writer(b);
  for (auto& x : operands) writer.take_diagonals(x);

  if (count == 1) {
    Operand& x = operands[0];
    writer.sum_unless(x, [&](Label l) { return has(out, l); });
    writer.permute(x, out, "_transposed");
    writer.finish(x);
    return;
  }

  Operand& a = operands[0];
  Operand& c = operands[1];
  writer.sum_unless(a, [&](Label l) { return has(out, l) || has(c.labels, l); });
  writer.sum_unless(c, [&](Label l) { return has(out, l) || has(a.labels, l); });
  // Letters must agree in size; ellipsis axes broadcast (batchedMatMul broadcasts the batch axes).
  for (std::size_t i = 0; i < a.labels.size(); ++i) {
    const auto j = static_cast<std::size_t>(std::find(c.labels.begin(), c.labels.end(), a.labels[i]) - c.labels.begin());
    if (j == c.labels.size() || a.shape[i] == c.shape[j]) continue;
    const bool broadcasts = a.labels[i] >= first_ellipsis_label && has(out, a.labels[i]) && (a.shape[i] == 1 || c.shape[j] == 1);
    if (!broadcasts) {
      b.fail("label '" + label_text(a.labels[i]) + "' has size " + std::to_string(a.shape[i]) + " in input 0 and " + std::to_string(c.shape[j]) +
             " in input 1");
    }
  }
  Labels batch;
  Labels a_free;
  Labels c_free;
  Labels contracted;
  for (const Label l : out) {
    if (has(a.labels, l) && has(c.labels, l)) batch.push_back(l);
    else if (has(a.labels, l)) a_free.push_back(l);
    else c_free.push_back(l);
  }
  for (const Label l : a.labels) {
    if (has(c.labels, l) && !has(out, l)) contracted.push_back(l);
  }
  Labels a_order = batch;
  a_order.insert(a_order.end(), a_free.begin(), a_free.end());
  a_order.insert(a_order.end(), contracted.begin(), contracted.end());
  Labels c_order = batch;
  c_order.insert(c_order.end(), contracted.begin(), contracted.end());
  c_order.insert(c_order.end(), c_free.begin(), c_free.end());
  writer.permute(a, a_order, "_transposed");
  writer.permute(c, c_order, "_transposed");

  const std::size_t nb = batch.size();
  // The free axes' sizes, before the reshapes fold them into M and N.
  std::vector<std::int64_t> unfolded;
  unfolded.insert(unfolded.end(), a.shape.begin() + static_cast<std::ptrdiff_t>(nb), a.shape.begin() + static_cast<std::ptrdiff_t>(nb + a_free.size()));
  unfolded.insert(unfolded.end(), c.shape.begin() + static_cast<std::ptrdiff_t>(nb + contracted.size()), c.shape.end());
  const std::int64_t m = size_product(a, nb, nb + a_free.size());
  const std::int64_t k = size_product(a, nb + a_free.size(), a.shape.size());
  const std::int64_t n = size_product(c, nb + contracted.size(), c.shape.size());
  std::vector<std::int64_t> a_matrix(a.shape.begin(), a.shape.begin() + static_cast<std::ptrdiff_t>(nb));
  std::vector<std::int64_t> c_matrix(c.shape.begin(), c.shape.begin() + static_cast<std::ptrdiff_t>(nb));
  a_matrix.insert(a_matrix.end(), {m, k});
  c_matrix.insert(c_matrix.end(), {k, n});
  writer.reshape(a, a_matrix, "_matrix");
  writer.reshape(c, c_matrix, "_matrix");

  Operand product{writer.matmul(a, c), {}, {}, "product"};
  product.shape = nd::broadcast(b, std::vector<std::int64_t>(a_matrix.begin(), a_matrix.end() - 2),
                                std::vector<std::int64_t>(c_matrix.begin(), c_matrix.end() - 2));
  // Back to one axis per label: batch, then the free axes of each operand.
  unfolded.insert(unfolded.begin(), product.shape.begin(), product.shape.end());
  product.shape.insert(product.shape.end(), {m, n});
  product.labels = batch;
  product.labels.insert(product.labels.end(), a_free.begin(), a_free.end());
  product.labels.insert(product.labels.end(), c_free.begin(), c_free.end());
  writer.reshape(product, unfolded, "_unfolded");
  writer.permute(product, out, "_transposed");
  writer.finish(product);
}

}  // namespace mlconv::converter
