// NonMaximumSuppression layer of the indexing family: greedy NMS on batches
// of [center x, center y, width, height] boxes. The reading follows the
// reference coremltools tests against (TensorFlow's non_max_suppression):
// a box is a candidate when its score is strictly above the score threshold,
// candidates go best score first (ties: lower box index first), and a
// candidate is dropped when its IoU with an already selected box (of its own
// class, with perClassSuppression) is strictly above the IoU threshold.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "executor/kernels/indexing_parts.h"
#include "spec/error.h"

namespace mlconv::exec {
namespace {

struct Corners {
  float left, bottom, right, top, area;
};

Corners corners_of(const float* box) {
  const float half_w = 0.5F * box[2];
  const float half_h = 0.5F * box[3];
  const float x1 = box[0] - half_w;
  const float x2 = box[0] + half_w;
  const float y1 = box[1] - half_h;
  const float y2 = box[1] + half_h;
  return {std::min(x1, x2), std::min(y1, y2), std::max(x1, x2), std::max(y1, y2), std::fabs(box[2] * box[3])};
}

// Boxes without area overlap nothing (as TensorFlow's IoU does), which also avoids 0/0.
float iou(const Corners& a, const Corners& b) {
  if (!(a.area > 0.0F) || !(b.area > 0.0F)) return 0.0F;
  const float w = std::max(0.0F, std::min(a.right, b.right) - std::max(a.left, b.left));
  const float h = std::max(0.0F, std::min(a.top, b.top) - std::max(a.bottom, b.bottom));
  const float inter = w * h;
  return inter / (a.area + b.area - inter);
}

// The outputs are padded to maxBoxes rows; a larger count is a broken model, not a request for terabytes.
constexpr std::int64_t max_box_limit = 1 << 24;

class NonMaximumSuppression final : public Kernel {
 public:
  explicit NonMaximumSuppression(const Layer& layer) {
    const auto& p = layer.nonmaximumsuppression();
    check_input_count(layer, 2, 5);
    check_output_count(layer, 4);
    iou_threshold_ = p.iouthreshold();
    score_threshold_ = p.scorethreshold();
    per_class_ = p.perclasssuppression();
    if (layer.input_size() < 5) {
      if (p.maxboxes() < 1 || p.maxboxes() > static_cast<std::uint64_t>(max_box_limit))
        throw Error("maxBoxes must be between 1 and " + std::to_string(max_box_limit) +
                    " when no fifth input gives it, but is " + std::to_string(p.maxboxes()));
      max_boxes_ = static_cast<std::int64_t>(p.maxboxes());
    }
  }

  void run(std::span<const Tensor* const> inputs, std::span<Tensor* const> outputs, RunContext& ctx) override {
    const Tensor& boxes = *inputs[0];
    const Tensor& scores = *inputs[1];
    if (boxes.rank() != 3 || boxes.dim(2) != 4)
      throw Error("boxes must have shape [B, N, 4], but have shape " + shape_to_string(boxes.shape()));
    if (scores.rank() != 3 || scores.dim(0) != boxes.dim(0) || scores.dim(1) != boxes.dim(1))
      throw Error("scores must have shape [B, N, C] with B and N of the boxes " + shape_to_string(boxes.shape()) +
                  ", but have shape " + shape_to_string(scores.shape()));
    const float iou_threshold = inputs.size() > 2 ? scalar_input(*inputs[2], "the IoU threshold") : iou_threshold_;
    const float score_threshold = inputs.size() > 3 ? scalar_input(*inputs[3], "the score threshold") : score_threshold_;
    const std::int64_t max_boxes = inputs.size() > 4 ? count_input(*inputs[4], "the maximum box count") : max_boxes_;
    if (max_boxes < 1 || max_boxes > max_box_limit)
      throw Error("the maximum box count input must be between 1 and " + std::to_string(max_box_limit) + ", but is " +
                  std::to_string(max_boxes));
    const std::int64_t batch = boxes.dim(0);
    const std::int64_t n = boxes.dim(1);
    const std::int64_t classes = scores.dim(2);
    if (n == 0 || classes == 0)
      throw Error("needs at least one box and one class, but boxes have shape " + shape_to_string(boxes.shape()) +
                  " and scores " + shape_to_string(scores.shape()));

    Tensor& out_boxes = *outputs[0];
    Tensor& out_scores = *outputs[1];
    Tensor& out_ids = *outputs[2];
    Tensor& out_count = *outputs[3];
    out_boxes.assign({batch, max_boxes, 4}, 0.0F);
    out_scores.assign({batch, max_boxes, classes}, 0.0F);
    out_ids.assign({batch, max_boxes}, -1.0F);
    out_count.resize({batch});

    ctx.pool->parallel_for(batch, 1, [&](std::int64_t begin, std::int64_t end) {
      std::vector<float> best(static_cast<std::size_t>(n));
      std::vector<std::int64_t> best_class(static_cast<std::size_t>(n));
      std::vector<std::int64_t> order;
      std::vector<std::int64_t> selected;
      std::vector<Corners> selected_corners;
      for (std::int64_t b = begin; b < end; ++b) {
        const float* box = boxes.data() + b * n * 4;
        const float* score = scores.data() + b * n * classes;
        order.clear();
        for (std::int64_t i = 0; i < n; ++i) {
          const float* row = score + i * classes;
          const auto top = std::max_element(row, row + classes);  // first of equal maxima
          best[static_cast<std::size_t>(i)] = *top;
          best_class[static_cast<std::size_t>(i)] = top - row;
          if (*top > score_threshold) order.push_back(i);
        }
        std::stable_sort(order.begin(), order.end(), [&](std::int64_t i, std::int64_t j) {
          return best[static_cast<std::size_t>(i)] > best[static_cast<std::size_t>(j)];
        });
        selected.clear();
        selected_corners.clear();
        for (std::int64_t i : order) {
          if (static_cast<std::int64_t>(selected.size()) == max_boxes) break;
          const Corners c = corners_of(box + i * 4);
          bool keep = true;
          for (std::size_t s = 0; keep && s < selected.size(); ++s) {
            if (per_class_ && best_class[static_cast<std::size_t>(selected[s])] != best_class[static_cast<std::size_t>(i)])
              continue;
            keep = !(iou(c, selected_corners[s]) > iou_threshold);
          }
          if (keep) {
            selected.push_back(i);
            selected_corners.push_back(c);
          }
        }
        // The spec's rule against an empty result: the best-scoring box alone.
        if (selected.empty()) {
          std::int64_t top = 0;
          for (std::int64_t i = 1; i < n; ++i)
            if (best[static_cast<std::size_t>(i)] > best[static_cast<std::size_t>(top)] ||
                std::isnan(best[static_cast<std::size_t>(top)]))
              top = i;
          selected.push_back(top);
        }
        for (std::size_t s = 0; s < selected.size(); ++s) {
          const std::int64_t i = selected[s];
          const auto slot = static_cast<std::int64_t>(s);
          std::copy(box + i * 4, box + i * 4 + 4, out_boxes.data() + (b * max_boxes + slot) * 4);
          std::copy(score + i * classes, score + (i + 1) * classes,
                    out_scores.data() + (b * max_boxes + slot) * classes);
          out_ids.data()[b * max_boxes + slot] = static_cast<float>(i);
        }
        out_count.data()[b] = static_cast<float>(selected.size());
      }
    });
  }

 private:
  float iou_threshold_ = 0.0F;
  float score_threshold_ = 0.0F;
  std::int64_t max_boxes_ = 0;
  bool per_class_ = false;
};

std::unique_ptr<Kernel> make_nms(const Layer& layer, const BuildContext&) {
  return std::make_unique<NonMaximumSuppression>(layer);
}

}  // namespace

void register_indexing_nms_kernels(KernelRegistry& registry) {
  registry.add(Layer::kNonMaximumSuppression, make_nms);
}

}  // namespace mlconv::exec
