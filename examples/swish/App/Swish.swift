// The app side of the Swish custom layer of examples/swish (Hollemans, "Custom Layers in
// Core ML"): Core ML finds this class by the name in @objc(...) when it loads the model
// and calls it for layer 'swish1'. `mlconv validate --swift App` checks it against the
// model; `mlconv run --plugin` runs the same formula on Linux (plugins/swish).
import Accelerate
import CoreML
import Foundation

@objc(Swish) class Swish: NSObject, MLCustomLayer {
  let beta: Float

  required init(parameters: [String: Any]) throws {
    // The converter stores beta as a double; reading it through NSNumber converts it
    // whatever its stored type (an `as? Float` cast would give nil for 0.01).
    beta = (parameters["beta"] as? NSNumber)?.floatValue ?? 1
    super.init()
  }

  func setWeightData(_ weights: [Data]) throws {
    // beta is a parameter, not a learned weight: nothing to keep.
  }

  func outputShapes(forInputShapes inputShapes: [[NSNumber]]) throws -> [[NSNumber]] {
    return inputShapes  // elementwise
  }

  func evaluate(inputs: [MLMultiArray], outputs: [MLMultiArray]) throws {
    for (input, output) in zip(inputs, outputs) {
      let count = input.count
      let x = UnsafeMutablePointer<Float>(OpaquePointer(input.dataPointer))
      let y = UnsafeMutablePointer<Float>(OpaquePointer(output.dataPointer))
      // y = x / (1 + exp(-beta * x)), a whole array per vDSP/vForce call.
      var minusBeta = -beta
      var one: Float = 1
      var n = Int32(count)
      vDSP_vsmul(x, 1, &minusBeta, y, 1, vDSP_Length(count))
      vvexpf(y, y, &n)
      vDSP_vsadd(y, 1, &one, y, 1, vDSP_Length(count))
      vvdivf(y, x, y, &n)
    }
  }
}
