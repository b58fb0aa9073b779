import Foundation
import GradLab

/// Seeded buggy configurations, each with a healthy twin that differs in one setting, and the
/// verdicts each bug must produce (see the reference notes' synthetic suite).
public struct SuiteCase: Sendable {
    public var name: String
    /// What kind of bug: "vanishing", "exploding", "dead-relu", "saturation", "oscillation",
    /// "slow-convergence" or "other" (reports break results down by it).
    public var category: String
    public var bug: RunConfig
    public var twin: RunConfig
    /// Any of these verdict kinds counts as finding the bug.
    public var expected: Set<Verdict.Kind>
    /// Further kinds that are true consequences of this bug (e.g. a NaN run's exploding update
    /// ratio): they count as correct for precision, not for recall.
    public var consistent: Set<Verdict.Kind> = []
    /// If set, a correct verdict must name at least one of these layers (1-based Dense index).
    public var layers: Set<Int>?
    public var steps: Int
}

public enum DiagnosisSuite {
    static func base(_ edit: (inout RunConfig) -> Void) -> RunConfig {
        var c = RunConfig()
        c.data = .circles; c.samples = 512; c.batch = 64; c.evalEvery = 0
        edit(&c)
        return c
    }

    /// A case whose twin is the bug with one setting changed by `fix`.
    static func pair(_ name: String, _ category: String, steps: Int = 100, expected: Set<Verdict.Kind>,
                     consistent: Set<Verdict.Kind> = [], layers: Set<Int>? = nil,
                     bug: (inout RunConfig) -> Void, fix: (inout RunConfig) -> Void) -> SuiteCase {
        let b = base(bug)
        var twin = b
        fix(&twin)
        // A buggy run that ends no better than a constant answer is truly not learning, whatever the bug.
        return SuiteCase(name: name, category: category, bug: b, twin: twin, expected: expected, consistent: consistent.union([.notLearning]),
                         layers: layers, steps: steps)
    }

    static func mlp(_ c: inout RunConfig, _ data: DataSource, depth: Int, width: Int, _ activation: ActivationKind, _ initializer: InitKind,
                    _ optimizer: OptimizerKind, lr: Double) {
        c.data = data; c.depth = depth; c.width = width; c.activation = activation; c.initializer = initializer
        c.optimizer = optimizer; c.lr = lr
    }

    /// One recurrent layer of 32 units on the adding task (T = 40, 256 sequences, batch 32).
    static func rnn(_ c: inout RunConfig, _ cell: ModelKind, _ optimizer: OptimizerKind, lr: Double) {
        c.model = cell; c.data = .sequence(.adding); c.seqLen = 40; c.samples = 256; c.batch = 32; c.depth = 1; c.width = 32
        c.optimizer = optimizer; c.lr = lr
    }

    /// Kinds that follow from too large steps (a loss that bounces, saturates or kills units).
    static let overshoot: Set<Verdict.Kind> = [.lossBlowUp, .updateRatio, .saturation, .vanishing, .deadReLU, .unchanged, .notDecreasing]
    /// Kinds that follow from a network that barely learns.
    static let stalled: Set<Verdict.Kind> = [.saturation, .unchanged, .notDecreasing, .updateRatio, .slowConvergence]

    public static let cases: [SuiteCase] = [
        // Vanishing: sigmoid depth, the ordered phase, and through time.
        pair("8-layer sigmoid, Glorot (vanishing)", "vanishing", expected: [.vanishing], consistent: stalled, layers: [1],
             bug: { mlp(&$0, .circles, depth: 8, width: 8, .sigmoid, .glorotUniform, .adam, lr: 1e-3) }, fix: { $0.activation = .tanh }),
        pair("20-layer sigmoid, He init (vanishing)", "vanishing", expected: [.vanishing], consistent: stalled, layers: [1],
             bug: { mlp(&$0, .circles, depth: 20, width: 32, .sigmoid, .heNormal, .sgd, lr: 0.01) }, fix: { $0.activation = .relu }),
        pair("10-layer sigmoid on spirals, Adam (vanishing)", "vanishing", expected: [.vanishing], consistent: stalled, layers: [1],
             bug: { mlp(&$0, .spirals, depth: 10, width: 16, .sigmoid, .glorotUniform, .adam, lr: 1e-3) }, fix: { $0.activation = .tanh }),
        pair("30-layer tanh, ordered phase σ_w²=0.3 (vanishing)", "vanishing", expected: [.vanishing], consistent: stalled, layers: [1],
             bug: { mlp(&$0, .blobs, depth: 30, width: 32, .tanh, .normal, .sgd, lr: 0.01); $0.sigmaW2 = 0.3 }, fix: { $0.sigmaW2 = 1 }),
        pair("30-layer tanh regression, σ_w²=0.5 (vanishing)", "vanishing", expected: [.vanishing], consistent: stalled, layers: [1],
             bug: { mlp(&$0, .teacher, depth: 30, width: 32, .tanh, .normal, .sgd, lr: 0.01); $0.sigmaW2 = 0.5 }, fix: { $0.sigmaW2 = 1 }),
        // Long enough for the twin to learn the task (from about step 600), so a repair can show it.
        pair("tanh RNN, recurrent radius 0.5, adding T=20 (vanishing through time)", "vanishing", steps: 1200, expected: [.vanishing], consistent: stalled,
             bug: { rnn(&$0, .rnnTanh, .adam, lr: 2e-3); $0.seqLen = 20; $0.samples = 4096; $0.recurrentInit = .orthogonal; $0.recurrentScale = 0.5 },
             fix: { $0.recurrentScale = 1 }),
        pair("LSTM, forget bias −4, adding T=40 (vanishing through time)", "vanishing", steps: 60, expected: [.vanishing], consistent: stalled,
             bug: { rnn(&$0, .lstm, .adam, lr: 1e-3); $0.forgetBias = -4 }, fix: { $0.forgetBias = 3 }),

        // Exploding: large init, large steps, unnormalized inputs, the chaotic phase, through time.
        pair("10-layer ReLU, σ_w²=18 (exploding to NaN)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU],
             bug: { mlp(&$0, .circles, depth: 10, width: 16, .relu, .normal, .sgd, lr: 0.05); $0.sigmaW2 = 18 }, fix: { $0.sigmaW2 = 2 }),
        pair("30-layer ReLU, σ_w²=3 (exploding)", "exploding", expected: [.exploding], consistent: [.nonFinite, .lossBlowUp, .updateRatio, .deadReLU], layers: [1],
             bug: { mlp(&$0, .circles, depth: 30, width: 64, .relu, .normal, .sgd, lr: 1e-3); $0.sigmaW2 = 3 }, fix: { $0.sigmaW2 = 2 }),
        pair("30-layer tanh, chaotic phase σ_w²=10 (exploding)", "exploding", expected: [.exploding], consistent: overshoot.union([.nonFinite, .oscillation]), layers: [1],
             bug: { mlp(&$0, .blobs, depth: 30, width: 32, .tanh, .normal, .sgd, lr: 0.01); $0.sigmaW2 = 10 }, fix: { $0.sigmaW2 = 1 }),
        pair("residual MLP, 30 unscaled ReLU blocks (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio],
             bug: { mlp(&$0, .circles, depth: 30, width: 32, .relu, .heNormal, .sgd, lr: 0.01); $0.model = .resmlp; $0.branchScale = .one },
             fix: { $0.branchScale = .invSqrtDepth }),
        pair("SGD learning rate ×100 (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: overshoot.union([.oscillation]),
             bug: { mlp(&$0, .circles, depth: 4, width: 32, .relu, .heNormal, .sgd, lr: 5) }, fix: { $0.lr = 0.05 }),
        pair("Adam learning rate 1 on spirals (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: overshoot.union([.oscillation]),
             bug: { mlp(&$0, .spirals, depth: 3, width: 32, .relu, .heNormal, .adam, lr: 1) }, fix: { $0.lr = 1e-3 }),
        pair("momentum learning rate 0.5 on a regression (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.saturation],
             bug: { mlp(&$0, .teacher, depth: 2, width: 32, .tanh, .glorotUniform, .momentum, lr: 0.5) }, fix: { $0.lr = 0.05 }),
        pair("inputs ×100 into ReLU (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU],
             bug: { mlp(&$0, .circles, depth: 6, width: 32, .relu, .heNormal, .sgd, lr: 0.05); $0.inputScale = 100 }, fix: { $0.inputScale = 1 }),
        pair("inputs shifted by +50 into ReLU, regression (exploding)", "exploding", expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU],
             bug: { mlp(&$0, .teacher, depth: 4, width: 32, .relu, .heNormal, .sgd, lr: 0.01); $0.inputShift = 50 }, fix: { $0.inputShift = 0 }),
        pair("ReLU RNN, identity ×1.3, adding T=40 (exploding through time)", "exploding", steps: 60, expected: [.exploding, .nonFinite, .lossBlowUp],
             consistent: overshoot,
             bug: { rnn(&$0, .rnnRelu, .adam, lr: 1e-3); $0.recurrentInit = .identity; $0.recurrentScale = 1.3; $0.inputStd = 0.001 }, fix: { $0.recurrentScale = 1 }),
        pair("tanh RNN, orthogonal ×3, adding T=40 (exploding through time)", "exploding", steps: 60, expected: [.exploding, .nonFinite, .lossBlowUp],
             consistent: overshoot,
             bug: { rnn(&$0, .rnnTanh, .sgd, lr: 0.01); $0.recurrentInit = .orthogonal; $0.recurrentScale = 3 }, fix: { $0.recurrentScale = 1 }),

        // Dead ReLU: at initialization and killed by a large step.
        pair("negative bias, inputs in [−1, 0] (dead ReLU)", "dead-relu", expected: [.deadReLU], consistent: stalled.union([.vanishing]),
             bug: { mlp(&$0, .parity, depth: 10, width: 16, .relu, .heNormal, .adam, lr: 1e-3); $0.biasInit = -1; $0.inputScale = 0.5; $0.inputShift = -0.5 },
             fix: { $0.biasInit = 0 }),
        pair("bias −3 on circles, SGD (dead ReLU)", "dead-relu", expected: [.deadReLU], consistent: stalled.union([.vanishing]),
             bug: { mlp(&$0, .circles, depth: 5, width: 32, .relu, .heNormal, .sgd, lr: 0.05); $0.biasInit = -3 }, fix: { $0.biasInit = 0 }),
        pair("bias −2 on blobs, Adam (dead ReLU)", "dead-relu", expected: [.deadReLU], consistent: stalled.union([.vanishing]),
             bug: { mlp(&$0, .blobs, depth: 6, width: 32, .relu, .heNormal, .adam, lr: 1e-3); $0.biasInit = -2; $0.inputScale = 0.1 }, fix: { $0.biasInit = nil }),
        pair("SGD learning rate 4 kills the ReLUs (dead ReLU)", "dead-relu", expected: [.deadReLU], consistent: overshoot.union([.oscillation]),
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .relu, .heNormal, .sgd, lr: 4) }, fix: { $0.lr = 0.4 }),

        // Saturation: unnormalized inputs, large weights, large biases.
        pair("inputs ×20 into tanh (saturation)", "saturation", expected: [.saturation], consistent: [.vanishing], layers: [1],
             bug: { mlp(&$0, .digits, depth: 2, width: 64, .tanh, .glorotUniform, .adam, lr: 1e-3); $0.inputScale = 20 }, fix: { $0.inputScale = 1 }),
        pair("inputs ×50 into sigmoid (saturation)", "saturation", expected: [.saturation], consistent: [.vanishing], layers: [1],
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .sigmoid, .glorotUniform, .adam, lr: 1e-2); $0.inputScale = 50 }, fix: { $0.inputScale = 1 }),
        pair("inputs shifted by +50 into tanh (saturation)", "saturation", expected: [.saturation], consistent: [.vanishing, .oscillation], layers: [1],
             bug: { mlp(&$0, .xor, depth: 2, width: 16, .tanh, .glorotUniform, .adam, lr: 1e-2); $0.inputShift = 50 }, fix: { $0.inputShift = 0 }),
        pair("tanh, σ_w²=100 (saturation)", "saturation", expected: [.saturation], consistent: [.vanishing],
             bug: { mlp(&$0, .teacher, depth: 2, width: 32, .tanh, .normal, .sgd, lr: 0.05); $0.sigmaW2 = 100 }, fix: { $0.sigmaW2 = 1 }),
        pair("sigmoid, bias +8 (saturation)", "saturation", expected: [.saturation], consistent: [.vanishing],
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .sigmoid, .glorotUniform, .adam, lr: 1e-2); $0.biasInit = 8 }, fix: { $0.biasInit = 0 }),

        // Oscillating loss: steps too large for the landscape, or too noisy.
        pair("momentum learning rate 1 on circles, tanh (oscillating)", "oscillation", steps: 150, expected: [.oscillation], consistent: overshoot,
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .tanh, .glorotUniform, .momentum, lr: 1) }, fix: { $0.lr = 0.1 }),
        // At batch 64 this learning rate bounces for ~30 steps, then settles below the twin's loss:
        // no bug. At batch 16 it keeps bouncing far above the start.
        pair("SGD learning rate 1.5, batch 16 on digits, tanh (oscillating)", "oscillation", steps: 150, expected: [.oscillation], consistent: overshoot,
             bug: { mlp(&$0, .digits, depth: 1, width: 32, .tanh, .glorotUniform, .sgd, lr: 1.5); $0.batch = 16 }, fix: { $0.lr = 0.1 }),
        pair("Adam learning rate 0.3 on circles, tanh (oscillating)", "oscillation", steps: 150, expected: [.oscillation], consistent: overshoot,
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .tanh, .glorotUniform, .adam, lr: 0.3) }, fix: { $0.lr = 0.01 }),
        pair("batch 4 at SGD learning rate 0.5 on digits (oscillating)", "oscillation", steps: 150, expected: [.oscillation], consistent: overshoot,
             bug: { mlp(&$0, .digits, depth: 1, width: 32, .tanh, .glorotUniform, .sgd, lr: 0.5); $0.batch = 4 }, fix: { $0.batch = 64 }),
        pair("RMSProp learning rate 0.05 on spirals (oscillating)", "oscillation", steps: 150, expected: [.oscillation], consistent: overshoot,
             bug: { mlp(&$0, .spirals, depth: 3, width: 32, .tanh, .glorotUniform, .rmsprop, lr: 0.05) }, fix: { $0.lr = 0.005 }),

        // Slow convergence and no learning: steps far too small.
        pair("SGD learning rate 1e-3 on circles (slow convergence)", "slow-convergence", steps: 150, expected: [.slowConvergence, .notDecreasing], consistent: [.updateRatio],
             bug: { mlp(&$0, .circles, depth: 2, width: 32, .relu, .heNormal, .sgd, lr: 1e-3) }, fix: { $0.lr = 0.1 }),
        pair("SGD learning rate 1e-3 on digits (slow convergence)", "slow-convergence", steps: 150, expected: [.slowConvergence, .notDecreasing], consistent: [.updateRatio],
             bug: { mlp(&$0, .digits, depth: 1, width: 32, .relu, .heNormal, .sgd, lr: 1e-3) }, fix: { $0.lr = 0.1 }),
        pair("Adam learning rate 1e-5 on blobs (slow convergence)", "slow-convergence", steps: 150, expected: [.slowConvergence, .notDecreasing], consistent: [.updateRatio],
             bug: { mlp(&$0, .blobs, depth: 2, width: 32, .tanh, .glorotUniform, .adam, lr: 1e-5) }, fix: { $0.lr = 1e-2 }),
        pair("SGD learning rate 1e-4 on a regression (slow convergence)", "slow-convergence", steps: 150, expected: [.slowConvergence, .notDecreasing], consistent: [.updateRatio],
             bug: { mlp(&$0, .teacher, depth: 1, width: 32, .tanh, .glorotUniform, .sgd, lr: 1e-4) }, fix: { $0.lr = 0.1 }),
        pair("SGD learning rate 1e-6 (not learning)", "slow-convergence", steps: 150, expected: [.notDecreasing, .updateRatio, .unchanged, .slowConvergence, .notLearning],
             bug: { mlp(&$0, .circles, depth: 3, width: 32, .relu, .heNormal, .sgd, lr: 1e-6) }, fix: { $0.lr = 0.05 }),
        pair("Adam learning rate 1e-8 (not learning)", "slow-convergence", steps: 150, expected: [.notDecreasing, .updateRatio, .unchanged, .slowConvergence, .notLearning],
             bug: { mlp(&$0, .blobs, depth: 3, width: 32, .tanh, .glorotUniform, .adam, lr: 1e-8) }, fix: { $0.lr = 1e-2 }),

        // Other.
        pair("zero init (symmetric, unchanged)", "other", steps: 150, expected: [.poorInit, .unchanged], consistent: [.vanishing, .notDecreasing, .updateRatio, .slowConvergence],
             bug: { mlp(&$0, .circles, depth: 3, width: 16, .tanh, .zeros, .adam, lr: 1e-2) }, fix: { $0.initializer = .glorotUniform }),
    ]

    public static let categories = ["vanishing", "exploding", "dead-relu", "saturation", "oscillation", "slow-convergence", "other"]

    public struct Outcome: Codable, Sendable {
        public var name: String
        public var category: String
        public var seed: UInt64
        public var buggy: Bool
        public var verdicts: [String]
        public var detected: Bool
        public var correctVerdicts: Int
        public var stepsToDetect: Int?
        /// Wall-clock time of the run.
        public var seconds: Double
    }

    /// Results of the cases of one category.
    public struct CategoryResult: Codable, Sendable {
        public var category: String
        public var cases: Int
        public var bugRuns: Int
        public var detected: Int
        public var recall: Double
        public var falseVerdictsOnHealthy: Int
        public var medianStepsToDetect: Double
        enum CodingKeys: String, CodingKey {
            case category, cases, detected, recall, bugRuns = "bug_runs", falseVerdictsOnHealthy = "false_verdicts_on_healthy"
            case medianStepsToDetect = "median_steps_to_detect"
        }
    }

    public struct Report: Codable, Sendable {
        public var cases: Int
        public var runs: Int
        public var recall: Double
        public var precision: Double
        public var falseVerdictsOnHealthy: Int
        public var medianStepsToDetect: Double
        public var detectedAtStep0: Int
        public var categories: [CategoryResult]
        /// Wall-clock time of the whole suite.
        public var seconds: Double
        public var outcomes: [Outcome]
        enum CodingKeys: String, CodingKey {
            case cases, runs, recall, precision, falseVerdictsOnHealthy = "false_verdicts_on_healthy"
            case medianStepsToDetect = "median_steps_to_detect", detectedAtStep0 = "detected_at_step0", categories, seconds, outcomes
        }
    }

    /// Runs every case and twin for every seed; `progress` is told after each run.
    public static func run(seeds: [UInt64] = [1, 2, 3], cases: [SuiteCase] = cases, progress: ((Int, Int, String) -> Void)? = nil) throws -> Report {
        let started = DispatchTime.now().uptimeNanoseconds
        var outcomes: [Outcome] = []
        let total = cases.count * seeds.count * 2
        for c in cases { for seed in seeds { for buggy in [true, false] {
            var config = buggy ? c.bug : c.twin
            config.seed = seed
            let t0 = DispatchTime.now().uptimeNanoseconds
            let run = try DiagnosticRun.run(config, steps: c.steps)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let vs = run.all
            let correct = vs.filter { v in
                buggy && c.expected.contains(v.kind) && (c.layers.map { !$0.isDisjoint(with: v.layers) } ?? true)
            }
            let consistent = vs.filter { buggy && (c.expected.contains($0.kind) || c.consistent.contains($0.kind)) }
            outcomes.append(Outcome(name: c.name, category: c.category, seed: seed, buggy: buggy, verdicts: vs.map(\.line), detected: !correct.isEmpty,
                                    correctVerdicts: consistent.count, stepsToDetect: correct.map { $0.predicted ? 0 : $0.firstStep }.min(), seconds: seconds))
            progress?(outcomes.count, total, "\(c.name) seed \(seed) \(buggy ? "bug" : "twin")")
        } } }
        let bugs = outcomes.filter(\.buggy), twins = outcomes.filter { !$0.buggy }
        let allVerdicts = outcomes.reduce(0) { $0 + $1.verdicts.count }
        let correct = bugs.reduce(0) { $0 + $1.correctVerdicts }
        let steps = bugs.compactMap(\.stepsToDetect).sorted()
        let byCategory = categories.filter { k in cases.contains { $0.category == k } }.map { k -> CategoryResult in
            let b = bugs.filter { $0.category == k }, h = twins.filter { $0.category == k }
            return CategoryResult(category: k, cases: cases.filter { $0.category == k }.count, bugRuns: b.count,
                                  detected: b.filter(\.detected).count,
                                  recall: Double(b.filter(\.detected).count) / Double(Swift.max(b.count, 1)),
                                  falseVerdictsOnHealthy: h.reduce(0) { $0 + $1.verdicts.count },
                                  medianStepsToDetect: median(b.compactMap(\.stepsToDetect)))
        }
        return Report(cases: cases.count, runs: outcomes.count,
                      recall: Double(bugs.filter(\.detected).count) / Double(Swift.max(bugs.count, 1)),
                      precision: allVerdicts == 0 ? 1 : Double(correct) / Double(allVerdicts),
                      falseVerdictsOnHealthy: twins.reduce(0) { $0 + $1.verdicts.count },
                      medianStepsToDetect: median(steps), detectedAtStep0: steps.filter { $0 == 0 }.count,
                      categories: byCategory, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, outcomes: outcomes)
    }

    static func median(_ xs: [Int]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? Double(s[s.count / 2]) : Double(s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
