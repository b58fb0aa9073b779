import Foundation
import GradLab

/// One remedy to try: a change to the run's config, and why it should help.
public struct RepairCandidate: Sendable {
    public var name: String
    public var rationale: String
    /// True for remedies that act inside the running job (clipping, skip-and-back-off): no restart
    /// is needed when they suffice.
    public var inRun: Bool = false
    public var edit: @Sendable (inout RunConfig) -> Void
}

/// What one candidate did in its short trial run.
public struct RepairAttempt: Codable, Sendable {
    public var name: String
    public var rationale: String
    public var inRun: Bool
    public var verdicts: [String]
    /// The targeted problem (its family of verdicts) is gone.
    public var problemRemoved: Bool
    /// Mean training loss over the last 10% of the trial (∞ if the run broke down).
    public var metric: Double
    public var improved: Bool
    public var seconds: Double
    public var error: String?
    enum CodingKeys: String, CodingKey {
        case name, rationale, inRun = "in_run", verdicts, problemRemoved = "problem_removed", metric, improved, seconds, error
    }
}

/// The outcome of `Repair.run`: the problem, every candidate tried, the winner, the evidence.
public struct RepairResult: Sendable {
    public var config: RunConfig
    public var problem: Verdict?
    public var allVerdicts: [Verdict]
    public var attempts: [RepairAttempt]
    public var winner: RepairAttempt? { attempts.last.flatMap { $0.problemRemoved && $0.improved ? $0 : nil } }
    public var repairedConfig: RunConfig?
    /// Steps of each trial and the unrepaired run's metric over the same steps.
    public var trialSteps: Int
    public var unrepairedMetric: Double
    /// Wall time of the unrepaired run (the "one training run") and of all trials together.
    public var runSeconds: Double
    public var repairSeconds: Double
    /// Compute spent on repair relative to one training run: training steps of all trials over
    /// the run's steps (machine-independent; seconds are reported too).
    public var costRatio: Double { Double(attempts.count * trialSteps) / Double(Swift.max(config.steps, 1)) }
    /// Probe records of the unrepaired run and of the winning trial (for before/after pictures).
    public var before: [ProbeStep]
    public var beforeLoss: [Double]
    public var after: [ProbeStep]
    public var afterLoss: [Double]
}

/// Automatic repair: diagnose, then try remedies from an evidence-ranked ladder, each for a
/// short budget from the same seed, and keep the first that removes the problem and improves the
/// training loss by `margin` over the unrepaired run at the same step.
///
/// The ladder follows the reference notes (AUTOTRAINER's ladders and what won there, Pascanu et
/// al. 2013 for recurrent nets): fix the initialization to suit the activation, swap the
/// activation, normalize or add residual connections, and clip last — except where the evidence
/// points elsewhere: problems that appear only during training (not predicted at step 0) point
/// at the learning rate first; recurrent explosions at norm clipping first.
public enum Repair {
    /// Verdict kinds ranked by urgency: the highest present is repaired.
    /// Dead units come before vanishing: they zero the gradient themselves.
    public static let priority: [Verdict.Kind] = [.nonFinite, .lossBlowUp, .exploding, .deadReLU, .vanishing, .saturation,
                                                   .poorInit, .unchanged, .oscillation, .updateRatio, .slowConvergence, .notDecreasing]

    /// Kinds that count as the same problem (removing one but showing another is no repair).
    static func family(_ kind: Verdict.Kind) -> Set<Verdict.Kind> {
        switch kind {
        case .nonFinite, .lossBlowUp, .exploding: return [.nonFinite, .lossBlowUp, .exploding]
        case .poorInit, .unchanged: return [.poorInit, .unchanged]
        case .notDecreasing, .updateRatio, .slowConvergence: return [.notDecreasing, .updateRatio, .unchanged, .slowConvergence]
        default: return [kind]
        }
    }

    /// The problem to repair: the most urgent verdict.
    public static func primary(_ verdicts: [Verdict]) -> Verdict? {
        verdicts.min { (priority.firstIndex(of: $0.kind) ?? priority.count) < (priority.firstIndex(of: $1.kind) ?? priority.count) }
    }

    /// The candidates for `problem` in `config`, most promising first; those that would not
    /// change the config are dropped.
    public static func ladder(for problem: Verdict, config: RunConfig, predicted: Bool? = nil) -> [RepairCandidate] {
        let predicted = predicted ?? problem.predicted
        let act = config.activation.rawValue
        let matchedInit = InitKind.matched(to: config.activation)
        let initFix = matchedInit.map { i in
            RepairCandidate(name: "init \(i.rawValue) for \(act)", rationale: "an initialization matched to \(act) keeps each layer's gain near 1 (He et al. 2015; Schoenholz et al. 2017)") {
                $0.initializer = i; $0.sigmaB2 = i == .edgeOfChaos ? Swift.max($0.sigmaB2, 0.05) : $0.sigmaB2; $0.biasInit = nil
            }
        }
        let selu = RepairCandidate(name: "SELU + LeCun normal", rationale: "self-normalizing units keep activations and gradients at unit scale (Klambauer et al. 2017)") {
            $0.activation = .selu; $0.initializer = .lecunNormal; $0.biasInit = nil
        }
        let relu = RepairCandidate(name: "ReLU + He normal", rationale: "ReLU passes the gradient unchanged where active and He init keeps its size (He et al. 2015)") {
            $0.activation = .relu; $0.initializer = .heNormal; $0.biasInit = nil
        }
        let batchNorm = RepairCandidate(name: "batch normalization", rationale: "normalizing each layer's pre-activations resets the scale the gradient sees (Ioffe & Szegedy 2015)") {
            $0.normalization = .batch
        }
        let residual = RepairCandidate(name: "residual blocks, branches scaled 1/√L", rationale: "identity shortcuts give the gradient a path with factor 1 around every block; scaled branches keep the forward signal bounded (He et al. 2016; Hanin & Rolnick 2018)") {
            $0.model = .resmlp; $0.branchScale = .invSqrtDepth; $0.depth = Swift.max(1, $0.depth / 2)
        }
        let branchScale = RepairCandidate(name: "residual branches scaled 1/√L", rationale: "unscaled branches add their variance at every block, so the signal and the gradient grow with depth; scaling each branch by 1/√L keeps the sum bounded (Hanin & Rolnick 2018; De & Smith 2020)") {
            $0.branchScale = .invSqrtDepth
        }
        let reluSlow = RepairCandidate(name: "ReLU + He normal, learning rate ÷10", rationale: "the activation swap, with smaller steps for a net whose gradients are no longer tiny") {
            $0.activation = .relu; $0.initializer = .heNormal; $0.biasInit = nil; $0.lr /= 10
        }
        let lrDown = RepairCandidate(name: "learning rate ÷10", rationale: "smaller steps keep updates from overshooting") { $0.lr /= 10 }
        let clipInRun = RepairCandidate(name: "clip-norm 1 + skip non-finite steps", rationale: "bounds every update and skips broken steps with learning-rate back-off, inside the running job (Pascanu et al. 2013; AMP's loss scaler)", inRun: true) {
            $0.clipNorm = 1; $0.clipValue = nil; $0.skipNonfinite = true
        }
        let standardize = RepairCandidate(name: "standardize inputs", rationale: "zero-mean, unit-variance inputs keep first-layer pre-activations out of saturation and overflow") {
            $0.standardize = true
        }
        let adam = RepairCandidate(name: "Adam, lr 1e-3", rationale: "per-parameter step sizes make progress when the gradient scale is wrong (the optimizer swap won most slow runs for AUTOTRAINER)") {
            $0.optimizer = .adam; $0.lr = 1e-3
        }
        let lrUp = RepairCandidate(name: "learning rate ×10", rationale: "updates are too small to move the weights") { $0.lr *= 10 }
        let lrDownFar = RepairCandidate(name: "learning rate ÷30", rationale: "a step well inside the stable range stops the bouncing") { $0.lr /= 30 }
        let biggerBatch = RepairCandidate(name: "batch ×8 (at least 32)", rationale: "averaging more samples per step lowers the gradient noise that makes the loss bounce") {
            $0.batch = Swift.max(32, $0.batch * 8)
        }
        let leaky = RepairCandidate(name: "leaky ReLU, zero bias", rationale: "a negative slope keeps dead units receiving gradient") {
            $0.activation = .leakyRelu; $0.biasInit = nil; $0.initializer = .heNormal
        }
        let zeroBias = RepairCandidate(name: "zero bias, standardized inputs", rationale: "negative biases or shifted inputs switch ReLUs off for every sample") {
            $0.biasInit = nil; $0.standardize = true
        }

        var out: [RepairCandidate]
        if config.isRecurrent {
            // Chrono-style forget bias ln T (Tallec & Ollivier 2018): f ≈ 1 − 1/T keeps ∏f over
            // the sequence away from 0, so the gradient reaches the first steps from the start.
            let chrono = Foundation.log(Double(Swift.max(config.seqLen, 3)))
            let lstm = RepairCandidate(name: String(format: "LSTM, forget bias ln T = %.1f", chrono), rationale: "the cell state carries the gradient additively; a forget bias of ln T keeps it open over the whole sequence (Hochreiter & Schmidhuber 1997; Gers et al. 2000; Tallec & Ollivier 2018)") {
                $0.model = .lstm; $0.forgetBias = chrono; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil
            }
            let lstmAdam = RepairCandidate(name: String(format: "LSTM, forget bias %.1f, Adam 3e-3", chrono), rationale: "gating plus per-parameter step sizes: the combination that learns long-range tasks fastest") {
                $0.model = .lstm; $0.forgetBias = chrono; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil; $0.optimizer = .adam; $0.lr = 3e-3
            }
            let irnn = RepairCandidate(name: "IRNN (ReLU, identity recurrence)", rationale: "W_hh = I makes each step's Jacobian the identity on active units (Le et al. 2015)") {
                $0.model = .rnnRelu; $0.recurrentInit = .identity; $0.recurrentScale = 1; $0.inputStd = 0.001
            }
            let ortho = RepairCandidate(name: "orthogonal recurrence", rationale: "all eigenvalues of W_hh on the unit circle: no decay or growth from the weights") {
                $0.recurrentInit = .orthogonal; $0.recurrentScale = 1
            }
            let clip = RepairCandidate(name: "clip-norm 1", rationale: "norm clipping is the documented fix for recurrent explosions (Pascanu et al. 2013)", inRun: true) {
                $0.clipNorm = 1; $0.clipValue = nil
            }
            let shrink = RepairCandidate(name: "orthogonal recurrence, radius 0.95", rationale: "a spectral radius just below 1 stops growth through time") {
                $0.recurrentInit = .orthogonal; $0.recurrentScale = 0.95
            }
            let gru = RepairCandidate(name: "GRU", rationale: "the update gate interpolates h_t between h_{t−1} and a candidate, so the gradient has a path with factor near 1 at every step (Cho et al. 2014); it learned the adding task in the fewest steps here") {
                $0.model = .gru; $0.forgetBias = nil; $0.recurrentInit = .torchDefault; $0.recurrentScale = nil
            }
            // An LSTM with a badly set forget gate is fixed at the gate first; other cells swap to a
            // gated one.
            let gated = config.model == .lstm ? [lstm, gru] : [gru, lstm]
            out = family(problem.kind).contains(.exploding) ? [clip, shrink, lstm] : gated + [lstmAdam, ortho, irnn]
        } else {
            switch problem.kind {
            case .vanishing:
                out = [initFix, selu, relu, batchNorm, reluSlow, residual, adam].compactMap { $0 }
            case .exploding, .nonFinite, .lossBlowUp:
                // Predicted at step 0: the architecture/init is at fault; otherwise the optimizer.
                let residualScale = config.model == .resmlp && config.branchScale == .one ? [branchScale] : []
                let structural = residualScale + [initFix, selu, batchNorm].compactMap { $0 }
                let inputs = config.inputScale != 1 || config.inputShift != 0 ? [standardize] : []
                out = predicted ? inputs + structural + [lrDown, clipInRun] : inputs + [lrDown, clipInRun] + structural
            case .deadReLU:
                // Units that die during training were pushed there by too large a step.
                let structural = [zeroBias, leaky, selu, batchNorm, initFix].compactMap { $0 }
                out = predicted ? structural : [lrDown] + structural
            case .saturation:
                out = [standardize, initFix, relu, batchNorm].compactMap { $0 }
            case .poorInit, .unchanged:
                out = [initFix ?? RepairCandidate(name: "Glorot uniform", rationale: "random, fan-scaled weights break the symmetry") { $0.initializer = .glorotUniform }, adam]
            case .updateRatio, .notDecreasing, .slowConvergence:
                out = [adam, lrUp, lrDown]
            case .oscillation:
                out = [lrDown, adam, biggerBatch, lrDownFar]
            }
        }
        // Drop candidates that change nothing.
        return out.filter { c in var edited = config; c.edit(&edited); return edited != config }
    }

    /// Diagnoses `config` over its full `steps`, then tries the ladder.
    public static func run(_ config: RunConfig, budgetFraction: Double = 0.25, margin: Double = 0.02,
                           progress: ((String) -> Void)? = nil) throws -> RepairResult {
        guard budgetFraction > 0 && budgetFraction <= 1 else { throw GradLabError.invalid("budget fraction \(budgetFraction) must be in (0, 1]") }
        guard margin >= 0 && margin < 1 else { throw GradLabError.invalid("margin \(margin) must be in [0, 1)") }
        var t0 = now()
        let original = try DiagnosticRun.run(config)
        let runSeconds = now() - t0
        let verdicts = original.all
        let trialSteps = Swift.min(config.steps, Swift.max(50, Int((Double(config.steps) * budgetFraction).rounded())))
        let losses = original.history.steps.map(\.loss)
        var result = RepairResult(config: config, problem: primary(verdicts), allVerdicts: verdicts, attempts: [], repairedConfig: nil,
                                  trialSteps: trialSteps, unrepairedMetric: metric(Array(losses.prefix(trialSteps)), expected: trialSteps),
                                  runSeconds: runSeconds, repairSeconds: 0, before: original.probe.steps, beforeLoss: losses,
                                  after: [], afterLoss: [])
        guard let problem = result.problem else { return result }
        let target = family(problem.kind)
        t0 = now()
        defer { result.repairSeconds = now() - t0 }
        // The evidence: was any verdict of this problem's family predicted before training?
        let predicted = verdicts.contains { target.contains($0.kind) && $0.predicted }
        for candidate in ladder(for: problem, config: config, predicted: predicted) {
            var c = config
            candidate.edit(&c)
            progress?(candidate.name)
            let started = now()
            do {
                let trial = try DiagnosticRun.run(c, steps: trialSteps)
                let m = metric(trial.history.steps.map(\.loss), expected: trialSteps)
                let vs = trial.all
                // Removed, and no breakdown traded in for it (a fix that makes the loss blow up
                // is not a repair).
                let breakdown: Set<Verdict.Kind> = [.nonFinite, .lossBlowUp, .exploding]
                let removed = !vs.contains { target.contains($0.kind) || breakdown.contains($0.kind) }
                let improved = m.isFinite && (m <= (1 - margin) * result.unrepairedMetric || !result.unrepairedMetric.isFinite)
                result.attempts.append(RepairAttempt(name: candidate.name, rationale: candidate.rationale, inRun: candidate.inRun,
                                                     verdicts: vs.map(\.line), problemRemoved: removed, metric: m, improved: improved,
                                                     seconds: now() - started))
                if removed && improved {
                    c.steps = config.steps
                    result.repairedConfig = c
                    result.after = trial.probe.steps
                    result.afterLoss = trial.history.steps.map(\.loss)
                    break
                }
            } catch {
                result.attempts.append(RepairAttempt(name: candidate.name, rationale: candidate.rationale, inRun: candidate.inRun, verdicts: [],
                                                     problemRemoved: false, metric: .infinity, improved: false, seconds: now() - started,
                                                     error: "\(error)"))
            }
        }
        result.repairSeconds = now() - t0
        return result
    }

    /// Mean loss over the last 10% of a run's finite-loss steps; ∞ if the run stopped early or
    /// more than 10% of its steps were non-finite (steps skipped by the in-run guard count so).
    static func metric(_ losses: [Double], expected: Int) -> Double {
        let finite = losses.filter(\.isFinite)
        guard losses.count >= expected, !finite.isEmpty, finite.count * 10 >= losses.count * 9 else { return .infinity }
        let tail = finite.suffix(Swift.max(1, finite.count / 10))
        return tail.reduce(0, +) / Double(tail.count)
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
