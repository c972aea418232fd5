// Random layers of the indexing family: normal, uniform and Bernoulli fills
// (shape from an input's shape, from the parameters, or from an input's
// values) and categoricalDistribution sampling.
//
// Reproducible by construction: the generator is std::mt19937_64 (its output
// sequence is fixed by the C++ standard), seeded with the layer's own seed
// unless that is -1, else with ctx.seed mixed with a hash of the layer's name
// (the layer's identity in its network: kernels are not told their index).
// Every run restarts the generator, so a model gives the same values on every
// prediction with the same seed. The conversions to distributions are written
// here (std:: distributions differ between standard libraries); elements are
// drawn in row-major order, one thread, so the thread count never matters.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "executor/kernels/indexing_parts.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30U)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27U)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31U);
}

std::uint64_t fnv1a(const std::string& text) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  for (unsigned char c : text) hash = (hash ^ c) * 0x100000001B3ULL;
  return hash;
}

class Generator {
 public:
  explicit Generator(std::uint64_t seed) : engine_(seed) {}
  // [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11U) * 0x1.0p-53; }
  // Box-Muller: each pair of uniforms gives two standard normals, used in turn.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - uniform();  // (0, 1], so log() is finite
    const double u2 = uniform();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// The seed a random layer draws from; see the file comment.
struct SeedRule {
  std::int64_t layer_seed = -1;
  std::uint64_t name_hash = 0;
  [[nodiscard]] std::uint64_t resolve(const RunContext& ctx) const {
    if (layer_seed != -1) return static_cast<std::uint64_t>(layer_seed);
    return splitmix64(ctx.seed ^ splitmix64(name_hash));
  }
};

enum class ShapeFrom { like_input, parameter, input_values };
enum class Distribution { normal, uniform, bernoulli };

class RandomFill final : public Kernel {
 public:
  RandomFill(const Layer& layer, ShapeFrom from, Distribution distribution, std::int64_t seed, double a, double b,
             const google::protobuf::RepeatedField<std::uint64_t>* shape)
      : from_(from), distribution_(distribution), seed_{seed, fnv1a(layer.name())}, a_(a), b_(b) {
    check_input_count(layer, from == ShapeFrom::parameter ? 0 : 1, from == ShapeFrom::parameter ? 0 : 1);
    check_output_count(layer, 1);
    if (!std::isfinite(a) || !std::isfinite(b)) throw Error("the distribution's parameters must be finite");
    if (distribution == Distribution::normal && b < 0.0)
      throw Error("stdDev must not be negative, but is " + index_text(static_cast<float>(b)));
    if (distribution == Distribution::uniform && a > b)
      throw Error("minVal " + index_text(static_cast<float>(a)) + " is above maxVal " + index_text(static_cast<float>(b)));
    if (distribution == Distribution::bernoulli && (a < 0.0 || a > 1.0))
      throw Error("prob must be between 0 and 1, but is " + index_text(static_cast<float>(a)));
    if (shape != nullptr) {
      if (shape->empty()) throw Error("outputShape is empty; the static random layers need the output's dimensions");
      for (std::uint64_t d : *shape) {
        if (d > (1ULL << 62)) throw Error("outputShape dimension " + std::to_string(d) + " is too large");
        shape_.push_back(static_cast<std::int64_t>(d));
      }
      element_count(shape_);  // rejects overflow now rather than at run time
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    Tensor& out = *outputs[0];
    switch (from_) {
      case ShapeFrom::like_input: out.resize(inputs[0]->shape()); break;
      case ShapeFrom::parameter: out.resize(shape_); break;
      case ShapeFrom::input_values: out.resize(shape_from_tensor(*inputs[0], "the output shape")); break;
    }
    Generator generator(seed_.resolve(ctx));
    float* dst = out.data();
    const std::int64_t count = out.size();
    switch (distribution_) {
      case Distribution::normal:
        for (std::int64_t i = 0; i < count; ++i) dst[i] = static_cast<float>(a_ + b_ * generator.normal());
        break;
      case Distribution::uniform: {
        // Rounding to float could reach maxVal; the interval is half-open.
        const auto top = static_cast<float>(b_);
        const float below_top = std::nextafter(top, -std::numeric_limits<float>::infinity());
        for (std::int64_t i = 0; i < count; ++i) {
          const auto v = static_cast<float>(a_ + (b_ - a_) * generator.uniform());
          dst[i] = v >= top && a_ < b_ ? std::max(below_top, static_cast<float>(a_)) : v;
        }
        break;
      }
      case Distribution::bernoulli:
        for (std::int64_t i = 0; i < count; ++i) dst[i] = generator.uniform() < a_ ? 1.0F : 0.0F;
        break;
    }
  }

 private:
  ShapeFrom from_;
  Distribution distribution_;
  SeedRule seed_;
  double a_;  // mean, minVal or prob
  double b_;  // stdDev or maxVal
  Shape shape_;
};

// categoricalDistribution: numSamples class indices per distribution along the
// last axis. Logits are divided by the temperature and softmaxed; probabilities
// p become (p + eps)^(1 / temperature), renormalized (the same thing in log space).
class Categorical final : public Kernel {
 public:
  explicit Categorical(const Layer& layer) {
    const auto& p = layer.categoricaldistribution();
    check_input_count(layer, 1, 1);
    check_output_count(layer, 1);
    seed_ = {p.seed(), fnv1a(layer.name())};
    samples_ = p.numsamples();
    logits_ = p.islogits();
    eps_ = p.eps();
    temperature_ = p.temperature();
    if (samples_ < 1 || samples_ > (std::int64_t{1} << 40))
      throw Error("numSamples must be at least 1, but is " + std::to_string(samples_));
    if (!(temperature_ > 0.0) || !std::isfinite(temperature_))
      throw Error("temperature must be above 0, but is " + index_text(static_cast<float>(temperature_)));
    if (!(eps_ >= 0.0) || !std::isfinite(eps_))
      throw Error("eps must not be negative, but is " + index_text(static_cast<float>(eps_)));
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& in = *inputs[0];
    if (in.rank() < 1 || in.dim(-1) < 1)
      throw Error("needs an input with a non-empty last axis of classes, but it has shape " + shape_to_string(in.shape()));
    const std::int64_t classes = in.dim(-1);
    const std::int64_t rows = in.size() / classes;
    Shape out_shape = in.shape();
    out_shape.back() = samples_;
    Tensor& out = *outputs[0];
    out.resize(out_shape);
    Generator generator(seed_.resolve(ctx));
    std::vector<double> cumulative(static_cast<std::size_t>(classes));
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = in.data() + r * classes;
      cumulative_weights(row, classes, cumulative);
      const double total = cumulative.back();
      float* dst = out.data() + r * samples_;
      for (std::int64_t s = 0; s < samples_; ++s) {
        const double target = generator.uniform() * total;
        // The first class whose cumulative weight exceeds the draw; zero-weight classes are never hit.
        const auto hit = std::upper_bound(cumulative.begin(), cumulative.end(), target);
        dst[s] = static_cast<float>(std::min<std::ptrdiff_t>(hit - cumulative.begin(), classes - 1));
      }
    }
  }

 private:
  void cumulative_weights(const float* row, std::int64_t classes, std::vector<double>& cumulative) const {
    std::vector<double> log_weight(static_cast<std::size_t>(classes));
    for (std::int64_t c = 0; c < classes; ++c) {
      const double v = row[c];
      if (std::isnan(v)) throw Error("the input holds NaN at class " + std::to_string(c));
      if (!logits_ && v < 0.0)
        throw Error("probability " + index_text(row[c]) + " at class " + std::to_string(c) + " is negative");
      log_weight[static_cast<std::size_t>(c)] = (logits_ ? v : std::log(v + eps_)) / temperature_;
    }
    const double top = *std::max_element(log_weight.begin(), log_weight.end());
    if (!std::isfinite(top))
      throw Error(top > 0 ? std::string("a logit is infinite") : std::string("every class has probability 0"));
    double sum = 0.0;
    for (std::int64_t c = 0; c < classes; ++c) {
      sum += std::exp(log_weight[static_cast<std::size_t>(c)] - top);
      cumulative[static_cast<std::size_t>(c)] = sum;
    }
  }

  SeedRule seed_;
  std::int64_t samples_ = 0;
  bool logits_ = false;
  double eps_ = 0.0;
  double temperature_ = 1.0;
};

template <typename Params>
std::unique_ptr<Kernel> make_normal(const Layer& layer, const Params& p, ShapeFrom from,
                                    const google::protobuf::RepeatedField<std::uint64_t>* shape = nullptr) {
  return std::make_unique<RandomFill>(layer, from, Distribution::normal, p.seed(), p.mean(), p.stddev(), shape);
}
template <typename Params>
std::unique_ptr<Kernel> make_uniform(const Layer& layer, const Params& p, ShapeFrom from,
                                     const google::protobuf::RepeatedField<std::uint64_t>* shape = nullptr) {
  return std::make_unique<RandomFill>(layer, from, Distribution::uniform, p.seed(), p.minval(), p.maxval(), shape);
}
template <typename Params>
std::unique_ptr<Kernel> make_bernoulli(const Layer& layer, const Params& p, ShapeFrom from,
                                       const google::protobuf::RepeatedField<std::uint64_t>* shape = nullptr) {
  return std::make_unique<RandomFill>(layer, from, Distribution::bernoulli, p.seed(), p.prob(), 0.0, shape);
}

}  // namespace

void register_indexing_random_kernels(KernelRegistry& registry) {
  registry.add(Layer::kRandomNormalLike, [](const Layer& l, const BuildContext&) {
    return make_normal(l, l.randomnormallike(), ShapeFrom::like_input);
  });
  registry.add(Layer::kRandomNormalStatic, [](const Layer& l, const BuildContext&) {
    return make_normal(l, l.randomnormalstatic(), ShapeFrom::parameter, &l.randomnormalstatic().outputshape());
  });
  registry.add(Layer::kRandomNormalDynamic, [](const Layer& l, const BuildContext&) {
    return make_normal(l, l.randomnormaldynamic(), ShapeFrom::input_values);
  });
  registry.add(Layer::kRandomUniformLike, [](const Layer& l, const BuildContext&) {
    return make_uniform(l, l.randomuniformlike(), ShapeFrom::like_input);
  });
  registry.add(Layer::kRandomUniformStatic, [](const Layer& l, const BuildContext&) {
    return make_uniform(l, l.randomuniformstatic(), ShapeFrom::parameter, &l.randomuniformstatic().outputshape());
  });
  registry.add(Layer::kRandomUniformDynamic, [](const Layer& l, const BuildContext&) {
    return make_uniform(l, l.randomuniformdynamic(), ShapeFrom::input_values);
  });
  registry.add(Layer::kRandomBernoulliLike, [](const Layer& l, const BuildContext&) {
    return make_bernoulli(l, l.randombernoullilike(), ShapeFrom::like_input);
  });
  registry.add(Layer::kRandomBernoulliStatic, [](const Layer& l, const BuildContext&) {
    return make_bernoulli(l, l.randombernoullistatic(), ShapeFrom::parameter,
                          &l.randombernoullistatic().outputshape());
  });
  registry.add(Layer::kRandomBernoulliDynamic, [](const Layer& l, const BuildContext&) {
    return make_bernoulli(l, l.randombernoullidynamic(), ShapeFrom::input_values);
  });
  registry.add(Layer::kCategoricalDistribution, [](const Layer& l, const BuildContext&) -> std::unique_ptr<Kernel> {
    return std::make_unique<Categorical>(l);
  });
}

}  // namespace mlconv::exec
