import Foundation
import GradLab
import GradLabDiagnostics

extension InputStatistics {
    /// The statistics of the setting's training inputs (only the data is built, no net).
    public static func of(_ setting: PredictionSetting) throws -> InputStatistics {
        let c = setting.config()
        let (train, _): (Dataset<Float>, Dataset<Float>) = try c.loadData()
        let ms = train.features.moments().sumOfSquares / Double(Swift.max(train.features.count, 1))
        return InputStatistics(features: c.sequenceTask?.features ?? train.inputSize, meanSquare: ms)
    }
}

/// ρ as measured: the setting built with its fixed seed (`PredictionSetting.runSeed`), one
/// forward/backward on the fixed probe batch (the first 256 training rows), nothing updated
/// (`DiagnosticSession`'s step-0 look, `Probe.measureOnce`). Labelled by `GradientRatio`.
public struct StepZeroMeasurement: Sendable {
    /// ρ (see `GradientRatio`).
    public let ratio: Double
    /// ‖δ_l‖/‖δ_L‖ for l = 1…L (MLP), ‖∂L/∂h_t‖/‖∂L/∂h_T‖ for t = 1…T (recurrent): the profile behind ρ.
    public let profile: [Double]
    /// ‖∇W₁‖/‖∇W_L‖ over the hidden layers (MLP only), shown beside ρ.
    public let weightRatio: Double?
    public let input: InputStatistics
    /// Wall time of the build and the look.
    public let seconds: Double

    public var outcome: GradientOutcome { GradientRatio.outcome(ratio) }
    public var decade: Int { GradientRatio.decade(ratio) }

    public static func measure(_ setting: PredictionSetting) throws -> StepZeroMeasurement {
        let start = Date()
        let session = try DiagnosticSession(setting.config())
        let step0 = session.initial
        let input = InputStatistics(features: session.config.sequenceTask?.features ?? session.train.inputSize, meanSquare: session.inputVariance)
        let profile: [Double], weightRatio: Double?
        switch setting {
        case .feedForward(let s):
            let hidden = Array(step0.layers.prefix(s.depth))
            guard hidden.count == s.depth, let top = hidden.last else {
                throw GradLabError.invalid("the probe saw \(step0.layers.count) linear layers, expected \(s.depth + 1): the setting's MLP was not built as described")
            }
            profile = hidden.map { $0.deltaNorm / top.deltaNorm }
            weightRatio = hidden[0].gradNorm / top.gradNorm
        case .recurrent:
            guard let time = step0.time.first, let last = time.gradNormByTime.last else {
                throw GradLabError.invalid("the probe recorded no gradient through time: the setting's recurrent net was not built as described")
            }
            profile = time.gradNormByTime.map { $0 / last }
            weightRatio = nil
        }
        // 0/0 (no gradient reaches the top) is no number; count it as vanishing (ρ = 0).
        let rho = profile.first.map { $0.isNaN ? 0 : $0 } ?? 0
        return StepZeroMeasurement(ratio: rho, profile: profile, weightRatio: weightRatio, input: input,
                                   seconds: Date().timeIntervalSince(start))
    }
}

/// A race measured: each setting trained with plain SGD from its fixed seed, the loss on the fixed
/// probe batch (256 training rows) recorded after every step's update; a setting reaches the target
/// at the first step whose fixed-batch loss is ≤ `target` (never, if training ended first, e.g. on
/// a non-finite loss). The winner reached it at the smaller step.
public struct RaceMeasurement: Sendable {
    public let target: Double
    public let maxSteps: Int
    /// Fixed-batch loss after step 1, 2, … for each setting (shorter where training stopped).
    public let curves: [[Double]]
    /// The first step (1-based) at which each setting reached the target, nil if it never did.
    public let reached: [Int?]
    public let seconds: Double

    public var winner: RaceOutcome { RaceOutcome(reached[0], reached[1]) }

    public static func measure(_ a: PredictionSetting, _ b: PredictionSetting, target: Double, maxSteps: Int, lr: Double) throws -> RaceMeasurement {
        let start = Date()
        let curves = try [a, b].map { s -> [Double] in
            let run = try DiagnosticRun.run(s.config(steps: maxSteps, lr: lr), every: 1)
            return run.probe.steps.dropFirst().map { $0.fixedLoss ?? .nan }
        }
        let reached = curves.map { c in c.firstIndex { $0 <= target }.map { $0 + 1 } }
        return RaceMeasurement(target: target, maxSteps: maxSteps, curves: curves, reached: reached, seconds: Date().timeIntervalSince(start))
    }
}

/// Who reached the target loss first.
public enum RaceOutcome: String, CaseIterable, Sendable, Codable {
    case first, second, tie, neither

    public init(_ a: Int?, _ b: Int?) {
        switch (a, b) {
        case (nil, nil): self = .neither
        case (.some, nil): self = .first
        case (nil, .some): self = .second
        case let (.some(x), .some(y)): self = x < y ? .first : (y < x ? .second : .tie)
        }
    }
}
