import GradLab
import Foundation
let threads = Int(CommandLine.arguments[1]) ?? 1
Backend.setThreads(threads)
var rng = SeededRandom(seed: 0)
let model = Sequential<Float>.mlp(inputs: 64, width: 256, depth: 20, outputs: 10, activation: .tanh, initializer: .torchDefault, rng: &rng)
var drng = SeededRandom(seed: 1)
let pool = (0..<8).map { _ in (Tensor<Float>.normal([128, 64], rng: &drng), (0..<128).map { _ in drng.int(below: 10) }) }
let opt = Optimizer<Float>(SGD(), schedule: .constant(0.01), parameters: model.namedParameters)
func step(_ i: Int) -> Float {
  let (x, y) = pool[i % 8]
  opt.zeroGrad()
  let tape = Tape<Float>()
  let loss = model(tape.constant(x)).softmaxCrossEntropy(labels: y)
  tape.backward(from: loss)
  opt.update()
  return loss.value.item
}
for i in 0..<20 { _ = step(i) }
let t0 = DispatchTime.now().uptimeNanoseconds
for i in 20..<220 { _ = step(i) }
let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6 / 200
print("W1 threads \(threads): \(dt) ms/step loss \(step(0))")
