// Custom layer class 'Swish' of hollance_CoreML-Custom-Layers__NeuralMcNeuralNet_Swish.mlmodel (layers: 'swish_1').
// Written by `mlconv scaffold --swift`; evaluate() is yours to write. Check the model against this file
// with `mlconv validate --swift DIR MODEL`.
// A fancy new activation function
import Foundation
import CoreML

@objc(Swish) class Swish: NSObject, MLCustomLayer {
  enum LayerError: Error {
    case missingParameter(String)
    case wrongWeights(String)
    case notImplemented(String)
  }

  /// parameters["beta"], stored as doubleValue (required)
  let beta: Double

  required init(parameters: [String: Any]) throws {
    // Numbers arrive as NSNumber: read them through NSNumber so any stored number converts.
    guard let beta = (parameters["beta"] as? NSNumber)?.doubleValue else {
      throw LayerError.missingParameter("beta")
    }
    self.beta = beta
    super.init()
  }

  func setWeightData(_ weights: [Data]) throws {
    guard weights.count == 0 else {
      throw LayerError.wrongWeights("expected 0 weight blobs, got \(weights.count)")
    }
  }

  func outputShapes(forInputShapes inputShapes: [[NSNumber]]) throws -> [[NSNumber]] {
    // PLACEHOLDER (mlconv scaffold): the model does not say how this class shapes its outputs. Each
    // output below takes the shape of an input; replace this with the class's real rule (and put it
    // in the bindings file so `mlconv validate` and `scaffold` know it).
    return [
      inputShapes[0],  // output0
    ]
  }

  func evaluate(inputs: [MLMultiArray], outputs: [MLMultiArray]) throws {
    // Compute outputs[i] (already allocated with the shapes above) from inputs; with the rank-5 mapping
    // an array is [sequence, batch, channels, height, width].
    throw LayerError.notImplemented("Swish.evaluate")
  }
}
