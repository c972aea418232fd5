// The checks behind `validate --swift`. Core ML finds a custom layer's class
// through the Objective-C runtime by className, so the class must be exposed
// as @objc(className) and be an NSObject; it then hands init(parameters:) a
// [String: Any] whose numbers are NSNumbers. Swift bridges an NSNumber to a
// numeric type only when the value converts exactly, so `as? Float` on a
// doubleValue gives nil for most values and the class's default wins silently.
#include "cli/validate_swift.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "spec/names.h"
#include "spec/validation/bindings.h"
#include "spec/weights.h"

namespace mlconv::cli {

namespace cml = CoreML::Specification;
namespace validation = spec::validation;
using validation::ParamType;
using validation::Severity;

namespace {

enum class Readable { yes, lossy, never, unknown };

bool is_any(const std::string& t) { return t == "Any" || t == "AnyObject" || t == "AnyHashable"; }
bool is_double(const std::string& t) { return t == "Double" || t == "Float64" || t == "CGFloat" || t == "TimeInterval"; }
bool is_float(const std::string& t) { return t == "Float" || t == "Float32"; }
bool is_wide_int(const std::string& t) { return t == "Int" || t == "Int64" || t == "NSInteger"; }
bool is_narrow_int(const std::string& t) {
  static const std::set<std::string, std::less<>> names = {"Int32", "Int16", "Int8",  "UInt",
                                                           "UInt64", "UInt32", "UInt16", "UInt8"};
  return names.contains(t);
}

// Whether `cast` reads a value stored as `stored`: always, only for some
// values (the cast gives nil for the rest), never, or a type we do not judge.
Readable readable(ParamType stored, const std::string& cast) {
  if (cast.empty()) return Readable::unknown;
  if (stored == ParamType::string) {
    return cast == "String" || cast == "NSString" || is_any(cast) || cast == "NSObject" ? Readable::yes : Readable::never;
  }
  if (cast == "String" || cast == "NSString") return Readable::never;
  if (cast == "NSNumber" || cast == "NSObject" || is_any(cast)) return Readable::yes;
  const bool numeric = is_double(cast) || is_float(cast) || is_wide_int(cast) || is_narrow_int(cast) || cast == "Bool";
  if (!numeric) return Readable::unknown;
  switch (stored) {
    case ParamType::bool_: return Readable::yes;  // 0 and 1 convert to every numeric type
    case ParamType::double_: return is_double(cast) ? Readable::yes : Readable::lossy;
    case ParamType::int_: return is_double(cast) || is_wide_int(cast) || cast == "Int32" ? Readable::yes : Readable::lossy;
    case ParamType::long_: return is_wide_int(cast) ? Readable::yes : Readable::lossy;
    case ParamType::string: break;
  }
  return Readable::unknown;
}

// Whether a double survives the round trip through `cast` (what NSNumber bridging demands).
bool converts_exactly(double value, const std::string& cast) {
  if (is_float(cast)) return static_cast<double>(static_cast<float>(value)) == value || std::isnan(value);
  if (cast == "Bool") return value == 0 || value == 1;
  if (is_double(cast)) return std::abs(value) <= 9007199254740992.0;
  if (!std::isfinite(value) || value != std::trunc(value)) return false;
  if (cast.starts_with("U") && value < 0) return false;
  const double limit = cast.ends_with("8") ? 128 : cast.ends_with("16") ? 32768 : cast.ends_with("32") ? 2147483648.0
                                                                                                        : 9.2e18;
  return value < limit && value >= -limit;
}

std::optional<double> numeric_value(const cml::CustomLayerParams::CustomLayerParamValue& value) {
  if (value.has_doublevalue()) return value.doublevalue();
  if (value.has_intvalue()) return value.intvalue();
  if (value.has_longvalue()) return static_cast<double>(value.longvalue());
  if (value.has_boolvalue()) return value.boolvalue() ? 1.0 : 0.0;
  return std::nullopt;
}

std::string number_text(double v) {
  // Enough digits to show why a value does not convert.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.17g", v);
  std::string text = buffer;
  if (text.find_first_of(".e") == std::string::npos && text.find("inf") == std::string::npos &&
      text.find("nan") == std::string::npos)
    text += ".0";
  return text;
}

std::string where_in_swift(const std::string& file, int line) {
  return std::filesystem::path(file).filename().string() + ":" + std::to_string(line);
}

struct ClassUse {
  std::string name;
  std::vector<validation::CustomLayerRef> layers;
};

class SwiftChecker {
 public:
  SwiftChecker(const std::vector<swift::SwiftClass>& classes, std::vector<ReportEntry>& out)
      : classes_(classes), out_(out) {}

  void check(const ClassUse& use) {
    const swift::SwiftClass* exposed = nullptr;
    for (const auto& cls : classes_)
      if (cls.objc_name == use.name && exposed == nullptr) exposed = &cls;
    if (exposed == nullptr || !exposed->adopts("MLCustomLayer")) {
      report_missing(use, exposed);
      return;
    }
    if (!is_object_subclass(*exposed)) {
      add(use.layers.front(), "E221", exposed->file, exposed->line,
          "the class exposed as '" + use.name + "' does not subclass NSObject (it inherits " +
              (exposed->inherits.empty() ? std::string("nothing") : "'" + exposed->inherits.front() + "' first") +
              "), so Core ML cannot instantiate it",
          "declare it as '@objc(" + use.name + ") class " + exposed->name + ": NSObject, MLCustomLayer'");
    }
    check_reads(use, *exposed);
    check_weights(use, *exposed);
  }

 private:
  void add(const validation::CustomLayerRef& ref, const char* code, const std::string& file, int line,
           std::string message, std::string hint) {
    validation::Finding finding{.code = code,
                                .severity = code[0] == 'E' ? Severity::error : Severity::warning,
                                .where = ref.where,
                                .layer_name = ref.layer->name(),
                                .layer_type = std::string(spec::layer_type_name(*ref.layer)),
                                .message = std::move(message),
                                .hint = std::move(hint)};
    out_.push_back(ReportEntry{std::move(finding), "swift", file, line});
  }

  // The superclass is the first name inherited; a class of the scanned sources is followed up its chain,
  // a class from elsewhere (UIKit, a framework) is taken on trust.
  bool is_object_subclass(const swift::SwiftClass& cls, int depth = 0) const {
    if (cls.inherits.empty() || depth > 32) return false;
    const std::string& first = cls.inherits.front();
    if (first == "NSObject") return true;
    if (first == "MLCustomLayer") return false;
    for (const auto& other : classes_)
      if (other.name == first && &other != &cls) return is_object_subclass(other, depth + 1);
    return true;
  }

  void report_missing(const ClassUse& use, const swift::SwiftClass* exposed_other) {
    const std::string runtime_error = "\"A Core ML custom neural network layer requires an implementation named '" +
                                      use.name + "' which was not found in the global namespace.\"";
    std::string hint = "write '@objc(" + use.name + ") class " + use.name +
                       ": NSObject, MLCustomLayer' (mlconv scaffold --swift writes one)";
    for (const auto& cls : classes_) {
      if (cls.name == use.name && cls.adopts("MLCustomLayer") && cls.objc_name != use.name) {
        hint = "add @objc(" + use.name + ") before 'class " + cls.name + "' (" + where_in_swift(cls.file, cls.line) +
               "): without it the Objective-C runtime knows the class by a module-qualified name";
      }
    }
    if (exposed_other != nullptr) {
      hint = "make the class exposed as '" + use.name + "' (" + where_in_swift(exposed_other->file, exposed_other->line) +
             ") adopt MLCustomLayer";
    }
    add(use.layers.front(), "E220", {}, 0,
        "no Swift class adopting MLCustomLayer is exposed to Objective-C as '" + use.name + "'" +
            (use.layers.size() > 1 ? " (used by " + std::to_string(use.layers.size()) + " layers)" : "") +
            "; loading the model fails with " + runtime_error,
        hint);
  }

  void check_reads(const ClassUse& use, const swift::SwiftClass& cls) {
    std::set<std::string> reported;
    for (const auto& read : cls.reads) {
      if (!reported.insert(read.key + "\n" + read.cast).second) continue;  // once per key and cast
      const std::string expression = "parameters[\"" + read.key + "\"]" +
                                     (read.cast.empty() ? "" : (read.forced ? " as! " : " as? ") + read.cast);
      const cml::CustomLayerParams::CustomLayerParamValue* value = nullptr;
      const validation::CustomLayerRef* holder = nullptr;
      for (const auto& ref : use.layers) {
        const auto& params = ref.layer->custom().parameters();
        if (const auto found = params.find(read.key); found != params.end() && value == nullptr) {
          value = &found->second;
          holder = &ref;
        }
      }
      if (value == nullptr) {
        std::string present;
        for (const auto& [key, v] : use.layers.front().layer->custom().parameters())
          present += (present.empty() ? "'" : ", '") + key + "'";
        add(use.layers.front(), "W220", read.file, read.line,
            "class '" + cls.name + "' reads " + expression + ", which no layer of class '" + use.name +
                "' sets; the code's default is used",
            "set parameters[\"" + read.key + "\"] in the converter, or fix the key (the layer sets " +
                (present.empty() ? std::string("no parameters") : present) + ")");
        continue;
      }
      const std::optional<ParamType> stored = validation::stored_param_type(*value);
      if (!stored) continue;  // E204 territory: the value is empty, nothing can read it
      const std::string field(validation::param_type_field(*stored));
      const std::string consequence = read.forced ? "the cast fails and the app crashes" : "the cast gives nil and the "
                                                                                           "code's default is used "
                                                                                           "silently";
      switch (readable(*stored, read.cast)) {
        case Readable::lossy: {
          const std::optional<double> number = numeric_value(*value);
          const bool current_ok = number && converts_exactly(*number, read.cast);
          add(*holder, "W221", read.file, read.line,
              "class '" + cls.name + "' reads " + expression + ", but '" + read.key + "' is stored as " + field +
                  "; Swift bridges an NSNumber to " + read.cast + " only when the value converts exactly, so for "
                  "most values " + consequence + " (the stored value " + (number ? number_text(*number) : "?") +
                  (current_ok ? " happens to convert)" : " does not convert: the default is used now)"),
              "read it as (parameters[\"" + read.key + "\"] as? NSNumber)?." +
                  (is_float(read.cast) ? "floatValue" : is_double(read.cast) ? "doubleValue" : read.cast == "Bool" ? "boolValue" : "intValue") +
                  ", which converts any stored number");
          break;
        }
        case Readable::never:
          add(*holder, "W222", read.file, read.line,
              "class '" + cls.name + "' reads " + expression + ", but '" + read.key + "' is stored as " + field +
                  ", which never casts to " + read.cast + "; " + consequence,
              *stored == ParamType::string ? "read it with as? String"
                                           : "read it with as? NSNumber and the accessor for the type you need");
          break;
        case Readable::yes:
        case Readable::unknown: break;
      }
    }
  }

  void check_weights(const ClassUse& use, const swift::SwiftClass& cls) {
    for (const auto& ref : use.layers) {
      const std::vector<spec::WeightBlob> blobs = spec::layer_weights(*ref.layer);
      if (blobs.empty() || (cls.has_set_weight_data && cls.set_weight_data_uses_argument)) continue;
      std::string expected;
      for (std::size_t i = 0; i < blobs.size(); ++i) {
        expected += (i == 0 ? "" : ", ") + std::string("#") + std::to_string(i) + " " +
                    spec::element_type_name(blobs[i]) + " " + std::to_string(blobs[i].bytes) + " bytes";
      }
      add(ref, "W223", cls.file, cls.has_set_weight_data ? cls.set_weight_data_line : cls.line,
          "the layer stores " + std::to_string(blobs.size()) + " weight blob" + (blobs.size() == 1 ? "" : "s") + " (" +
              expected + "), but setWeightData(_:) of class '" + cls.name + "' " +
              (cls.has_set_weight_data ? "never reads its argument" : "was not found") +
              ", so the class computes without them",
          "keep the blobs in setWeightData: weights[i] is a Data with blob i's bytes as stored (float32 or float16 "
          "little-endian, or raw bytes)");
      return;  // one finding per class: every layer of it has the same code
    }
  }

  const std::vector<swift::SwiftClass>& classes_;
  std::vector<ReportEntry>& out_;
};

}  // namespace

std::vector<ReportEntry> check_swift(const cml::Model& model, const std::vector<swift::SwiftClass>& classes) {
  std::vector<ClassUse> uses;
  for (const auto& ref : validation::custom_layers(model)) {
    const std::string& name = ref.layer->custom().classname();
    if (name.empty()) continue;  // E040
    auto it = std::find_if(uses.begin(), uses.end(), [&](const ClassUse& u) { return u.name == name; });
    if (it == uses.end()) it = uses.insert(uses.end(), ClassUse{name, {}});
    it->layers.push_back(ref);
  }
  std::vector<ReportEntry> out;
  SwiftChecker checker(classes, out);
  for (const auto& use : uses) checker.check(use);
  return out;
}

}  // namespace mlconv::cli
