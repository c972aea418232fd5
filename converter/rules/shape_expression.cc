// A recursive-descent evaluator for shape expressions:
//   expr := term (('+' | '-') term)*      term := factor (('*' | '/') factor)*
//   factor := integer | name | name '[' ['-'] integer ']' | '(' expr ')' | '-' factor
#include "converter/rules/shape_expression.h"

#include <cctype>
#include <limits>

#include "spec/error.h"

namespace mlconv::converter {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ShapeScope& scope) : text_(text), scope_(scope) {}

  std::int64_t parse() {
    const std::int64_t value = expression();
    skip_space();
    if (pos_ != text_.size()) fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error("shape expression \"" + std::string(text_) + "\": " + what + " at column " + std::to_string(pos_ + 1));
  }

  void skip_space() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }

  bool accept(char c) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }

  std::int64_t expression() {
    std::int64_t value = term();
    while (true) {
      if (accept('+')) {
        if (__builtin_add_overflow(value, term(), &value)) fail("integer overflow");
      } else if (accept('-')) {
        if (__builtin_sub_overflow(value, term(), &value)) fail("integer overflow");
      } else {
        return value;
      }
    }
  }

  std::int64_t term() {
    std::int64_t value = factor();
    while (true) {
      if (accept('*')) {
        if (__builtin_mul_overflow(value, factor(), &value)) fail("integer overflow");
      } else if (accept('/')) {
        const std::int64_t divisor = factor();
        if (divisor == 0) fail("division by zero");
        if (divisor == -1 && value == std::numeric_limits<std::int64_t>::min()) fail("integer overflow");
        // Round towards negative infinity, as shape arithmetic expects.
        std::int64_t quotient = value / divisor;
        if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
        value = quotient;
      } else {
        return value;
      }
    }
  }

  std::int64_t integer() {
    skip_space();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (start == pos_) fail("expected a number");
    if (pos_ - start > 15) fail("number too large");
    return std::stoll(std::string(text_.substr(start, pos_ - start)));
  }

  std::int64_t factor() {
    skip_space();
    if (pos_ >= text_.size()) fail("unexpected end");
    if (accept('(')) {
      const std::int64_t value = expression();
      if (!accept(')')) fail("expected ')'");
      return value;
    }
    if (accept('-')) {
      const std::int64_t operand = factor();
      if (operand == std::numeric_limits<std::int64_t>::min()) fail("integer overflow");
      return -operand;
    }
    if (std::isdigit(static_cast<unsigned char>(text_[pos_]))) return integer();
    const std::size_t start = pos_;
    while (pos_ < text_.size() && (std::isalnum(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '_')) ++pos_;
    if (start == pos_) fail("expected a number, a name or '('");
    const std::string name(text_.substr(start, pos_ - start));
    if (accept('[')) {
      const bool negative = accept('-');
      const std::int64_t index = integer();
      if (!accept(']')) fail("expected ']'");
      return scope_.dim(name, negative ? -index : index);
    }
    return scope_.parameter(name);
  }

  std::string_view text_;
  const ShapeScope& scope_;
  std::size_t pos_ = 0;
};

}  // namespace

std::int64_t evaluate_shape_expression(std::string_view expression, const ShapeScope& scope) {
  return Parser(expression, scope).parse();
}

void check_shape_expression(std::string_view expression) {
  const ShapeScope dummy{[](const std::string&, std::int64_t) -> std::int64_t { return 1; },
                         [](const std::string&) -> std::int64_t { return 1; }};
  (void)evaluate_shape_expression(expression, dummy);
}

}  // namespace mlconv::converter
