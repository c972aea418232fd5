// The one error type of mlconv. Every layer throws it; the CLI prints it as
//   mlconv: error: model.mlmodel: layer 'conv1' (convolution): <what is wrong>
// so a message always says which file, where in it, and what was expected.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace mlconv {

class Error : public std::exception {
 public:
  enum class Kind {
    invalid_input,  // the file or its content is wrong: exit 1
    io,             // the file system refused: exit 1
    usage,          // the command line is wrong: exit 2
  };

  explicit Error(std::string message, Kind kind = Kind::invalid_input);

  // Names the file unless an inner caller already did.
  Error& in_file(std::string file);
  // Adds an outer location ("pipeline model 1", "layer 'x' (custom)"); outer ones print first.
  Error& within(std::string location);

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const std::string& file() const { return file_; }
  [[nodiscard]] const std::string& message() const { return message_; }
  [[nodiscard]] int exit_code() const { return kind_ == Kind::usage ? 2 : 1; }
  // "file: outer: inner: message", without the "mlconv: error: " prefix.
  [[nodiscard]] const char* what() const noexcept override { return rendered_.c_str(); }

 private:
  void render();

  Kind kind_;
  std::string file_;
  std::vector<std::string> locations_;  // innermost first
  std::string message_;
  std::string rendered_;
};

// Quotes a name for a message the way every message does: 'name' (type).
std::string describe_named(std::string_view what, std::string_view name, std::string_view type = {});

}  // namespace mlconv
