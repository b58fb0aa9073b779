import Foundation
import GradLab

/// The question templates. Each is one schedulable item: its raw value is the card id the
/// scheduler keys on ("the template is the card").
public enum PredictionTemplate: String, CaseIterable, Sendable, Codable {
    /// Vanishing, healthy or exploding at step 0.
    case outcome = "predict.outcome"
    /// The decade of ρ at step 0.
    case magnitude = "predict.magnitude"
    /// Which of two settings reaches a target loss first.
    case race = "predict.race"
}

/// Seeded draws of prediction questions: the same (template, seed) always gives the same question.
///
/// The distribution (every choice uniform unless stated):
/// - outcome and magnitude: 80% MLP, 20% recurrent.
///   MLP: width 128, depth ∈ {4, 8, 12, 16, 24, 32}, activation tanh or ReLU. A quarter use a
///   named init (He, Glorot, LeCun, PyTorch's default); the rest draw σ_w² = σ_crit²·2^u with
///   u ~ U[−1.5, 1.5] around the critical σ_crit² (ReLU 2; tanh 1 at σ_b² = 0, 1.76 at 0.05),
///   σ_b² ∈ {0, 0.05}, Gaussian (2/3) or orthogonal (1/3) weights — the ordered and chaotic
///   phases and the critical band between them, at several depths.
///   Recurrent: hidden 64, T ∈ {10, 20, 40, 80}; 60% tanh RNN with an orthogonal W_hh of spectral
///   radius 2^v, v ~ U[−0.6, 1.2]; 20% LSTM (forget-gate bias 0 or +1), 20% GRU, PyTorch's init.
/// - race: two MLPs on digits alike but for σ_w² (`normal`, σ_b² = 0), width 64, depth ∈ {6, 10},
///   tanh or ReLU, σ_w² = σ_crit²·2^u: one near the critical line (u ~ U[−0.5, 0.5]), one off it
///   (|u| ~ U[1, 2], either side), in random order; SGD at learning rate 0.1 for at most 200
///   steps toward a fixed-batch loss of 1.0 (chance is ln 10 ≈ 2.3).
public enum PredictionGenerator {
    public static let raceTarget = 1.0
    public static let raceSteps = 200
    public static let raceLearningRate = 0.1

    /// The question of `template` for `seed`.
    public static func question(_ template: PredictionTemplate, seed: UInt64) -> PredictionQuestion {
        var rng = SeededRandom.derived(seed: seed, template.streamLabel)
        switch template {
        case .outcome, .magnitude:
            return PredictionQuestion(template: template, seed: seed, settings: [setting(&rng)], race: nil)
        case .race:
            let depth = [6, 10][rng.int(below: 2)], act: ActivationKind = rng.int(below: 2) == 0 ? .tanh : .relu
            // One near the critical line, one off it on a random side, in random order.
            let near = rng.uniform(-0.5, 0.5), off = (rng.int(below: 2) == 0 ? -1.0 : 1.0) * rng.uniform(1, 2)
            let exponents = rng.int(below: 2) == 0 ? [near, off] : [off, near]
            let pair = exponents.map { u in
                PredictionSetting.feedForward(FeedForwardSetting(depth: depth, width: 64, activation: act, initializer: .normal,
                                                                 sigmaW2: rounded(criticalSigmaW2(act, sigmaB2: 0) * Foundation.pow(2, u)),
                                                                 sigmaB2: 0))
            }
            return PredictionQuestion(template: template, seed: seed, settings: pair,
                                      race: RaceRules(target: raceTarget, maxSteps: raceSteps, learningRate: raceLearningRate))
        }
    }

    /// A question for `seed` of a template drawn from the seed too (outcome 40%, magnitude 40%, race 20%).
    public static func question(seed: UInt64) -> PredictionQuestion {
        var rng = SeededRandom.derived(seed: seed, 0x7E3)
        let u = rng.int(below: 5)
        return question(u < 2 ? .outcome : (u < 4 ? .magnitude : .race), seed: seed)
    }

    /// One setting for an outcome or magnitude question.
    static func setting(_ rng: inout SeededRandom) -> PredictionSetting {
        if rng.uniform() < 0.8 {
            let depth = [4, 8, 12, 16, 24, 32][rng.int(below: 6)]
            let act: ActivationKind = rng.int(below: 2) == 0 ? .tanh : .relu
            if rng.uniform() < 0.25 {
                let named: [InitKind] = [.heNormal, .glorotNormal, .lecunNormal, .torchDefault]
                return .feedForward(FeedForwardSetting(depth: depth, width: 128, activation: act,
                                                       initializer: named[rng.int(below: named.count)], sigmaW2: 1, sigmaB2: 0))
            }
            let b2 = [0, 0.05][rng.int(below: 2)]
            let w2 = rounded(criticalSigmaW2(act, sigmaB2: b2) * Foundation.pow(2, rng.uniform(-1.5, 1.5)))
            let initializer: InitKind = rng.int(below: 3) == 0 ? .orthogonal : .normal
            return .feedForward(FeedForwardSetting(depth: depth, width: 128, activation: act, initializer: initializer, sigmaW2: w2, sigmaB2: b2))
        }
        let steps = [10, 20, 40, 80][rng.int(below: 4)]
        let u = rng.uniform()
        if u < 0.6 {
            return .recurrent(RecurrentSetting(cell: .rnnTanh, steps: steps, hidden: 64, radius: rounded(Foundation.pow(2, rng.uniform(-0.6, 1.2)))))
        }
        if u < 0.8 {
            return .recurrent(RecurrentSetting(cell: .lstm, steps: steps, hidden: 64, forgetBias: rng.int(below: 2) == 0 ? nil : 1))
        }
        return .recurrent(RecurrentSetting(cell: .gru, steps: steps, hidden: 64))
    }

    /// σ_w² on the critical line χ₁(q*) = 1: ReLU 2 at any σ_b²; tanh 1 at σ_b² = 0 and 1.76 at
    /// σ_b² = 0.05 (Schoenholz et al. 2017; `SignalPropagation.criticalSigmaW2` to 3 digits).
    static func criticalSigmaW2(_ activation: ActivationKind, sigmaB2: Double) -> Double {
        activation == .relu ? 2 : (sigmaB2 == 0 ? 1 : 1.76)
    }

    /// Three significant digits, so a prompt shows the σ_w² that is actually used.
    static func rounded(_ x: Double) -> Double { Double(String(format: "%.3g", x))! }
}

extension PredictionTemplate {
    /// Separates the templates' random streams: one seed gives unrelated draws per template.
    var streamLabel: UInt64 {
        switch self { case .outcome: return 0x0C; case .magnitude: return 0x3A; case .race: return 0x7A }
    }
}

/// How a race is run and judged.
public struct RaceRules: Hashable, Sendable, Codable {
    /// The fixed-batch loss to reach.
    public var target: Double
    public var maxSteps: Int
    public var learningRate: Double
}
