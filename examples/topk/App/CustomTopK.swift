// The app side of examples/topk: the CustomTopK class that coremltools' "Custom Operators"
// guide asks for, with the binding's input order ["x"] and parameters k, axis and sorted.
// Core ML hands it rank-5 arrays [sequence, batch, channels, height, width]; the rule stores
// axis -3, the channel axis. `mlconv validate --swift App` checks it against the model;
// plugins/topk runs the same algorithm for `mlconv run` on Linux.
import CoreML
import Foundation

@objc(CustomTopK) class CustomTopK: NSObject, MLCustomLayer {
  enum LayerError: Error {
    case badParameter(String)
  }

  let k: Int
  let axis: Int
  let sorted: Bool

  required init(parameters: [String: Any]) throws {
    guard let k = (parameters["k"] as? NSNumber)?.intValue, k >= 1 else {
      throw LayerError.badParameter("k must be a whole number of at least 1")
    }
    self.k = k
    axis = (parameters["axis"] as? NSNumber)?.intValue ?? -1
    sorted = (parameters["sorted"] as? NSNumber)?.boolValue ?? false
    super.init()
  }

  func setWeightData(_ weights: [Data]) throws {
    // No weights: k, axis and sorted are parameters.
  }

  private func axisIndex(rank: Int) -> Int {
    return axis < 0 ? axis + rank : axis
  }

  func outputShapes(forInputShapes inputShapes: [[NSNumber]]) throws -> [[NSNumber]] {
    var shape = inputShapes[0]
    let index = axisIndex(rank: shape.count)
    guard index >= 0 && index < shape.count && k <= shape[index].intValue else {
      throw LayerError.badParameter("k=\(k) does not fit axis \(axis) of \(shape)")
    }
    shape[index] = NSNumber(value: k)
    return [shape, shape]  // values, indices
  }

  func evaluate(inputs: [MLMultiArray], outputs: [MLMultiArray]) throws {
    let x = inputs[0]
    let shape = x.shape.map { $0.intValue }
    let index = axisIndex(rank: shape.count)
    let n = shape[index]
    let outer = shape[..<index].reduce(1, *)
    let inner = shape[(index + 1)...].reduce(1, *)
    let input = UnsafeMutablePointer<Float>(OpaquePointer(x.dataPointer))
    let values = UnsafeMutablePointer<Float>(OpaquePointer(outputs[0].dataPointer))
    let indices = UnsafeMutablePointer<Float>(OpaquePointer(outputs[1].dataPointer))
    for o in 0..<outer {
      for i in 0..<inner {
        // Positions along the axis, largest value first, ties to the lower position.
        var order = Array(0..<n)
        order.sort { a, b in
          let va = input[(o * n + a) * inner + i], vb = input[(o * n + b) * inner + i]
          return va != vb ? va > vb : a < b
        }
        var chosen = Array(order[..<k])
        if !sorted { chosen.sort() }
        for (j, position) in chosen.enumerated() {
          values[(o * k + j) * inner + i] = input[(o * n + position) * inner + i]
          indices[(o * k + j) * inner + i] = Float(position)
        }
      }
    }
  }
}
