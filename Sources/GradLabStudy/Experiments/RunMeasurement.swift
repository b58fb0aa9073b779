import Foundation
import GradLab
import GradLabDiagnostics
import GradLabTheory

/// Everything one run of an experiment measured, kept so that any claim over it can be checked
/// without running again (the cache stores these). Non-finite numbers survive JSON as strings
/// (`JSONEncoder.records`).
public struct RunMeasurement: Codable, Equatable, Sendable {
    public struct Layer: Codable, Equatable, Sendable {
        public var gradNorm: Double
        public var deltaNorm: Double
        public var gain: Double?
        public var deadFraction: Double?
        public var saturatedFraction: Double?
        public var activationStd: Double
        /// Mean ‖ΔW‖/‖W‖ over the probed training steps; nil without training.
        public var updateRatio: Double?
    }

    public var name: String
    public var steps: Int
    /// Per linear layer, input layer first.
    public var layers: [Layer]
    public var initialLoss: Double
    public var finalLoss: Double?
    public var testAccuracy: Double?
    public var testLoss: Double
    public var timeRatio: Double?
    /// ‖∂L/∂h_t‖ for t = 1…T in the first recurrent layer at step 0 (recurrent models).
    public var gradNormByTime: [Double]?
    public var chi1: Double?
    public var qStar: Double?
    /// Verdict kinds of the diagnosis (prediction and training), as stored (`dead-relu`).
    public var verdicts: [String]
    public var seconds: Double

    /// Probes `run` at step 0 and, when it trains, trains it with the probe on, in-process.
    static func measure(_ run: ExperimentSpec.Run) throws -> RunMeasurement {
        let t0 = Date()
        // A probe-only run (steps = 0) is a valid session of one step that never trains.
        var config = run.config
        config.steps = Swift.max(1, config.steps)
        let session = try DiagnosticSession(config)
        let initial = session.initial
        var verdicts = session.prediction.map(\.kind)
        var updateRatios: [Double?] = initial.layers.map { _ in nil }
        var finalLoss: Double?
        if run.trains {
            let result = try session.run()
            verdicts += result.verdicts.map(\.kind)
            let probed = Array(session.probe.steps.dropFirst())
            updateRatios = initial.layers.indices.map { l in
                let xs = probed.compactMap { $0.layers.indices.contains(l) ? $0.layers[l].updateRatio : nil }.filter(\.isFinite)
                return xs.isEmpty ? nil : xs.reduce(0, +) / Double(xs.count)
            }
            finalLoss = probed.last?.fixedLoss ?? probed.last?.loss
        }
        let eval = session.trainer.evaluate(session.test)
        config = session.config
        var chi1: Double?, qStar: Double?
        if config.model == .mlp || config.model == .resmlp, let w2 = config.initializer.sigmaW2(configured: config.sigmaW2) {
            let theory = SignalPropagation(activation: config.activation, sigmaW2: w2,
                                           sigmaB2: config.initializer.drawsBiasVariance ? config.sigmaB2 : 0)
            chi1 = theory.chi1AtFixedPoint
            qStar = theory.qStar.value
        }
        let layers = initial.layers.enumerated().map { i, s in
            Layer(gradNorm: s.gradNorm, deltaNorm: s.deltaNorm, gain: s.gain, deadFraction: s.deadFraction,
                  saturatedFraction: s.saturatedFraction, activationStd: s.activationStd, updateRatio: updateRatios[i])
        }
        var seen: Set<String> = []
        return RunMeasurement(name: run.name, steps: run.config.steps, layers: layers, initialLoss: initial.loss, finalLoss: finalLoss,
                              testAccuracy: eval.accuracy, testLoss: eval.loss, timeRatio: initial.time.first?.firstToLast,
                              gradNormByTime: initial.time.first?.gradNormByTime,
                              chi1: chi1, qStar: qStar, verdicts: verdicts.map(\.rawValue).filter { seen.insert($0).inserted },
                              seconds: Date().timeIntervalSince(t0))
    }

    /// The value of `quantity` in this run (`layer` is 1-based, already resolved). NaN where the
    /// run did not measure it (the check at deck load rules those cases out).
    func value(_ quantity: Quantity, layer: Int?, verdict: String?) -> Double {
        let s = layer.flatMap { layers.indices.contains($0 - 1) ? layers[$0 - 1] : nil }
        switch quantity {
        case .gradNorm: return s?.gradNorm ?? .nan
        case .deltaNorm: return s?.deltaNorm ?? .nan
        case .gain: return s?.gain ?? .nan
        case .deadFraction: return s?.deadFraction ?? .nan
        case .saturatedFraction: return s?.saturatedFraction ?? .nan
        case .activationStd: return s?.activationStd ?? .nan
        case .updateRatio: return s?.updateRatio ?? .nan
        case .initialLoss: return initialLoss
        case .finalLoss: return finalLoss ?? .nan
        case .testAccuracy: return testAccuracy ?? .nan
        case .testLoss: return testLoss
        case .timeRatio: return timeRatio ?? .nan
        case .chi1: return chi1 ?? .nan
        case .qStar: return qStar ?? .nan
        case .verdict: return verdicts.contains(verdict?.replacingOccurrences(of: "_", with: "-") ?? "") ? 1 : 0
        case .layers: return Double(layers.count)
        }
    }
}
