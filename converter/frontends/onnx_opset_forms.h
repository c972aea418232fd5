// Rewrites the older ONNX forms of ops whose parameters moved from attributes to inputs
// into their newest form, so a mapping handles one form per op whatever opset the model
// was exported with. The graph's opset_imports are left as they were: they say which form
// the file used, and after this call every node below is in its newest form regardless.
//
//   Slice     (opset < 10)  starts, ends, axes attributes -> inputs 1, 2, 3 (int64)
//   TopK      (opset < 10)  k attribute                   -> input 1 (int64 [1])
//   Pad       (opset < 11)  pads (paddings in Pad-1), value attributes -> inputs 1 (int64),
//                           2 (scalar of the data's element type; float32 when unknown)
//   Clip      (opset < 11)  min, max attributes           -> inputs 1, 2 (scalars as Pad)
//   Split     (opset < 13)  split attribute               -> input 1 (int64)
//   Squeeze, Unsqueeze (opset < 13)  axes attribute       -> input 1 (int64)
//   ReduceSum (opset < 13), other Reduce* (opset < 18)  axes attribute -> input 1 (int64)
//   Upsample  (any)         -> Resize with inputs (X, omitted roi, scales float32),
//                              coordinate_transformation_mode 'asymmetric' and, for
//                              'nearest', nearest_mode 'floor' (Upsample's own definition,
//                              output[i] = input[floor(i / scale)]); 'bilinear' -> 'linear';
//                              Upsample-1's height_scale/width_scale -> scales [1, 1, h, w]
//   Resize    (opset 10)    (X, scales) -> (X, omitted roi, scales) with the same two modes
//
// New inputs are constant values named "<node>/<parameter>". A node that has both the
// attribute and the input is an error. Subgraphs (If/Loop bodies) are rewritten too. The
// call is idempotent.
#pragma once

#include "converter/ir/graph.h"

namespace mlconv::converter {

void normalize_opset_forms(Graph& graph);

}  // namespace mlconv::converter
