// A plugin that registers the same class name twice, which the host refuses.
#include <vector>

#include "mlconv/custom_layer.hpp"

namespace {

struct Nothing final : mlconv::plugin::CustomLayer {
  std::vector<mlconv::plugin::Shape> output_shapes(std::span<const mlconv::plugin::Shape> inputs) override {
    return {inputs[0]};
  }
  void evaluate(std::span<const mlconv::plugin::Input>, std::span<const mlconv::plugin::Output>,
                const mlconv::plugin::Context&) override {}
};

}  // namespace

MLCONV_PLUGIN(registrar) {
  registrar.add<Nothing>("Twice");
  registrar.add<Nothing>("Twice");
}
