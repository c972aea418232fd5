// Integer expressions of a bindings file: output dimensions and weight sizes
// written over the custom layer's input dimensions and integer parameters,
// e.g. "in0[-3] * k" or "(in1[0] + 1) / 2". One small parser serves the
// checks (evaluate), `scaffold --swift` and `scaffold --cpp` (render as code),
// so the three never disagree about what a rule means.
//
// Grammar: expr := term (('+'|'-') term)* ; term := unary (('*'|'/'|'%') unary)*
//          unary := '-' unary | primary ; primary := INT | NAME | inK[D] | '(' expr ')'
// inK[D] is dimension D (negative counts from the end) of input K; NAME is a
// parameter of the class; '/' and '%' truncate towards zero like C++ and Swift.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mlconv::spec::validation {

class ShapeRule {
 public:
  // Throws mlconv::Error (without a file; the caller adds file and pointer)
  // saying where in `text` parsing stopped.
  static ShapeRule parse(std::string_view text);

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool uses_inputs() const;         // reads some inK[D]
  [[nodiscard]] std::set<std::string> names() const;  // parameter names it reads
  [[nodiscard]] int max_input_index() const;      // -1 when it reads no input

  using Dims = std::vector<std::vector<std::int64_t>>;
  // The value, or nullopt when an input or axis is missing, a name is not in
  // `params`, a division by zero or an overflow happens.
  [[nodiscard]] std::optional<std::int64_t> evaluate(const Dims& inputs,
                                                     const std::map<std::string, std::int64_t>& params) const;

  // Source code in another language: `input_dim(k, d)` writes the code of
  // inK[D] and `name` that of a parameter; operators and parentheses stay.
  [[nodiscard]] std::string render(const std::function<std::string(int k, int d)>& input_dim,
                                   const std::function<std::string(const std::string& name)>& name) const;

  struct Node {
    enum class Kind { number, name, input_dim, negate, add, subtract, multiply, divide, remainder } kind;
    std::int64_t value = 0;  // number; input index for input_dim
    int axis = 0;            // input_dim
    std::string name;        // name
    int left = -1;           // operand indices into nodes_
    int right = -1;
  };

 private:
  std::string text_;
  std::vector<Node> nodes_;
  int root_ = -1;
  friend class RuleParser;
};

}  // namespace mlconv::spec::validation
