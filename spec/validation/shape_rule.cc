#include "spec/validation/shape_rule.h"

#include <cctype>
#include <limits>

#include "spec/error.h"

namespace mlconv::spec::validation {

// Recursive descent over the text; each rule is one line of a JSON file, so
// depth is bounded by the nesting limit below, not by the stack.
class RuleParser {
 public:
  explicit RuleParser(ShapeRule& rule) : rule_(rule), text_(rule.text_) {}

  int parse() {
    const int root = expression();
    skip_space();
    if (at_ < text_.size()) fail("unexpected '" + std::string(1, text_[at_]) + "'");
    return root;
  }

 private:
  using Kind = ShapeRule::Node::Kind;
  static constexpr int max_depth = 64;

  [[noreturn]] void fail(const std::string& what) const {
    throw Error("shape rule '" + text_ + "': " + what + " at column " + std::to_string(at_ + 1));
  }
  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_])) != 0) ++at_;
  }
  bool take(char c) {
    skip_space();
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  int add(ShapeRule::Node node) {
    rule_.nodes_.push_back(std::move(node));
    return static_cast<int>(rule_.nodes_.size()) - 1;
  }
  // Designated initializers would leave -Wmissing-field-initializers unhappy.
  static ShapeRule::Node node(Kind kind, std::int64_t value = 0, int left = -1, int right = -1) {
    ShapeRule::Node n{};
    n.kind = kind;
    n.value = value;
    n.left = left;
    n.right = right;
    return n;
  }
  int binary(Kind kind, int left, int right) { return add(node(kind, 0, left, right)); }

  int expression() {
    int left = term();
    for (;;) {
      if (take('+')) {
        left = binary(Kind::add, left, term());
      } else if (take('-')) {
        left = binary(Kind::subtract, left, term());
      } else {
        return left;
      }
    }
  }
  int term() {
    int left = unary();
    for (;;) {
      if (take('*')) {
        left = binary(Kind::multiply, left, unary());
      } else if (take('/')) {
        left = binary(Kind::divide, left, unary());
      } else if (take('%')) {
        left = binary(Kind::remainder, left, unary());
      } else {
        return left;
      }
    }
  }
  int unary() {
    if (++depth_ > max_depth) fail("nesting deeper than " + std::to_string(max_depth));
    int result = -1;
    if (take('-')) {
      result = add(node(Kind::negate, 0, unary()));
    } else {
      result = primary();
    }
    --depth_;
    return result;
  }
  std::int64_t integer() {
    skip_space();
    const std::size_t start = at_;
    std::int64_t value = 0;
    while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])) != 0) {
      const int digit = text_[at_] - '0';
      if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10) fail("number too large");
      value = value * 10 + digit;
      ++at_;
    }
    if (at_ == start) fail("expected a number");
    return value;
  }
  int primary() {
    skip_space();
    if (take('(')) {
      const int inner = expression();
      if (!take(')')) fail("expected ')'");
      return inner;
    }
    if (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])) != 0) {
      return add(node(Kind::number, integer()));
    }
    const std::size_t start = at_;
    while (at_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[at_])) != 0 || text_[at_] == '_')) ++at_;
    if (at_ == start) fail(at_ < text_.size() ? "unexpected '" + std::string(1, text_[at_]) + "'" : "unexpected end");
    std::string name = text_.substr(start, at_ - start);
    // "in" followed by digits and '[' is an input dimension; anything else is a parameter.
    if (name.size() > 2 && name.starts_with("in") &&
        name.find_first_not_of("0123456789", 2) == std::string::npos && take('[')) {
      if (name.size() > 6) fail("input index too large");
      const int index = std::stoi(name.substr(2));
      const bool negative = take('-');
      const std::int64_t axis = integer();
      if (axis > 32) fail("axis beyond rank 32");
      if (!take(']')) fail("expected ']'");
      ShapeRule::Node dim = node(Kind::input_dim, index);
      dim.axis = static_cast<int>(negative ? -axis : axis);
      return add(std::move(dim));
    }
    if (std::isdigit(static_cast<unsigned char>(name[0])) != 0) fail("a name cannot start with a digit");
    ShapeRule::Node named = node(Kind::name);
    named.name = std::move(name);
    return add(std::move(named));
  }

  ShapeRule& rule_;
  const std::string& text_;
  std::size_t at_ = 0;
  int depth_ = 0;
};

ShapeRule ShapeRule::parse(std::string_view text) {
  // Evaluation recurses over the tree; a bounded text bounds its depth.
  constexpr std::size_t max_length = 1000;
  if (text.size() > max_length)
    throw Error("shape rule of " + std::to_string(text.size()) + " characters; at most " + std::to_string(max_length));
  ShapeRule rule;
  rule.text_ = std::string(text);
  RuleParser parser(rule);
  rule.root_ = parser.parse();
  return rule;
}

bool ShapeRule::uses_inputs() const { return max_input_index() >= 0; }

int ShapeRule::max_input_index() const {
  int index = -1;
  for (const Node& node : nodes_)
    if (node.kind == Node::Kind::input_dim) index = std::max(index, static_cast<int>(node.value));
  return index;
}

std::set<std::string> ShapeRule::names() const {
  std::set<std::string> result;
  for (const Node& node : nodes_)
    if (node.kind == Node::Kind::name) result.insert(node.name);
  return result;
}

namespace {

using Value = std::optional<std::int64_t>;

Value eval(const std::vector<ShapeRule::Node>& nodes, int at, const ShapeRule::Dims& inputs,
           const std::map<std::string, std::int64_t>& params) {
  const ShapeRule::Node& node = nodes[static_cast<std::size_t>(at)];
  using Kind = ShapeRule::Node::Kind;
  switch (node.kind) {
    case Kind::number: return node.value;
    case Kind::name: {
      const auto found = params.find(node.name);
      return found == params.end() ? std::nullopt : Value(found->second);
    }
    case Kind::input_dim: {
      if (node.value >= static_cast<std::int64_t>(inputs.size())) return std::nullopt;
      const auto& dims = inputs[static_cast<std::size_t>(node.value)];
      const auto rank = static_cast<int>(dims.size());
      const int axis = node.axis < 0 ? node.axis + rank : node.axis;
      if (axis < 0 || axis >= rank) return std::nullopt;
      return dims[static_cast<std::size_t>(axis)];
    }
    case Kind::negate: {
      const Value v = eval(nodes, node.left, inputs, params);
      if (!v || *v == std::numeric_limits<std::int64_t>::min()) return std::nullopt;
      return -*v;
    }
    default: break;
  }
  const Value a = eval(nodes, node.left, inputs, params);
  const Value b = eval(nodes, node.right, inputs, params);
  if (!a || !b) return std::nullopt;
  std::int64_t r = 0;
  bool overflow = false;
  switch (node.kind) {
    case Kind::add: overflow = __builtin_add_overflow(*a, *b, &r); break;
    case Kind::subtract: overflow = __builtin_sub_overflow(*a, *b, &r); break;
    case Kind::multiply: overflow = __builtin_mul_overflow(*a, *b, &r); break;
    case Kind::divide:
    case Kind::remainder:
      if (*b == 0 || (*a == std::numeric_limits<std::int64_t>::min() && *b == -1)) return std::nullopt;
      return node.kind == Kind::divide ? *a / *b : *a % *b;
    default: return std::nullopt;
  }
  return overflow ? std::nullopt : Value(r);
}

std::string render_node(const std::vector<ShapeRule::Node>& nodes, int at,
                        const std::function<std::string(int, int)>& input_dim,
                        const std::function<std::string(const std::string&)>& name) {
  const ShapeRule::Node& node = nodes[static_cast<std::size_t>(at)];
  using Kind = ShapeRule::Node::Kind;
  const auto side = [&](int index) { return render_node(nodes, index, input_dim, name); };
  switch (node.kind) {
    case Kind::number: return std::to_string(node.value);
    case Kind::name: return name(node.name);
    case Kind::input_dim: return input_dim(static_cast<int>(node.value), node.axis);
    case Kind::negate: return "-(" + side(node.left) + ")";
    case Kind::add: return "(" + side(node.left) + " + " + side(node.right) + ")";
    case Kind::subtract: return "(" + side(node.left) + " - " + side(node.right) + ")";
    case Kind::multiply: return "(" + side(node.left) + " * " + side(node.right) + ")";
    case Kind::divide: return "(" + side(node.left) + " / " + side(node.right) + ")";
    case Kind::remainder: return "(" + side(node.left) + " % " + side(node.right) + ")";
  }
  return {};
}

}  // namespace

std::optional<std::int64_t> ShapeRule::evaluate(const Dims& inputs,
                                                const std::map<std::string, std::int64_t>& params) const {
  return root_ < 0 ? std::nullopt : eval(nodes_, root_, inputs, params);
}

std::string ShapeRule::render(const std::function<std::string(int, int)>& input_dim,
                              const std::function<std::string(const std::string&)>& name) const {
  return root_ < 0 ? std::string() : render_node(nodes_, root_, input_dim, name);
}

}  // namespace mlconv::spec::validation
