import Foundation
import GradLab

/// Seeded buggy configurations, each with a healthy twin that differs in one setting, and the
/// verdicts each bug must produce (see the reference notes' synthetic suite).
public struct SuiteCase: Sendable {
    public var name: String
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
        c.data = "circles"; c.samples = 512; c.batch = 64; c.evalEvery = 0
        edit(&c)
        return c
    }

    public static let cases: [SuiteCase] = [
        SuiteCase(name: "deep sigmoid, Glorot (vanishing)",
                  bug: base { $0.depth = 8; $0.width = 8; $0.activation = "sigmoid"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-3 },
                  twin: base { $0.depth = 8; $0.width = 8; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-3 },
                  expected: [.vanishing], consistent: [.saturation, .unchanged, .notDecreasing, .updateRatio], layers: [1], steps: 100),
        SuiteCase(name: "20-layer sigmoid, N(0,1/fan_in) (vanishing)",
                  bug: base { $0.data = "blobs"; $0.depth = 20; $0.width = 32; $0.activation = "sigmoid"; $0.initializer = "normal"; $0.sigmaW2 = 1; $0.optimizer = "sgd"; $0.lr = 0.1 },
                  twin: base { $0.data = "blobs"; $0.depth = 20; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 0.01 },
                  expected: [.vanishing], consistent: [.saturation, .unchanged, .notDecreasing, .updateRatio], layers: [1], steps: 100),
        SuiteCase(name: "30-layer tanh, ordered phase σ_w²=0.3 (vanishing)",
                  bug: base { $0.data = "blobs"; $0.depth = 30; $0.width = 64; $0.activation = "tanh"; $0.initializer = "normal"; $0.sigmaW2 = 0.3; $0.optimizer = "sgd"; $0.lr = 0.01 },
                  twin: base { $0.data = "blobs"; $0.depth = 30; $0.width = 64; $0.activation = "tanh"; $0.initializer = "orthogonal"; $0.sigmaW2 = 1; $0.optimizer = "sgd"; $0.lr = 0.01 },
                  expected: [.vanishing], consistent: [.saturation, .unchanged, .notDecreasing, .updateRatio], layers: [1], steps: 100),
        SuiteCase(name: "ReLU, He init ×3 (exploding to NaN)",
                  bug: base { $0.depth = 10; $0.width = 16; $0.activation = "relu"; $0.initializer = "normal"; $0.sigmaW2 = 18; $0.optimizer = "sgd"; $0.lr = 0.05 },
                  twin: base { $0.depth = 10; $0.width = 16; $0.activation = "relu"; $0.initializer = "normal"; $0.sigmaW2 = 2; $0.optimizer = "sgd"; $0.lr = 0.05 },
                  expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU], layers: nil, steps: 100),
        SuiteCase(name: "learning rate ×100 (exploding)",
                  bug: base { $0.depth = 4; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 5 },
                  twin: base { $0.depth = 4; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 0.05 },
                  expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU], layers: nil, steps: 100),
        SuiteCase(name: "inputs ×100 into ReLU (exploding)",
                  bug: base { $0.depth = 6; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 0.05; $0.inputScale = 100 },
                  twin: base { $0.depth = 6; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 0.05 },
                  expected: [.nonFinite, .exploding, .lossBlowUp, .updateRatio], consistent: [.deadReLU], layers: nil, steps: 100),
        SuiteCase(name: "negative bias, inputs in [−1, 0] (dead ReLU)",
                  bug: base { $0.data = "parity"; $0.depth = 10; $0.width = 16; $0.activation = "relu"; $0.initializer = "he-normal"; $0.biasInit = -1; $0.inputScale = 0.5; $0.inputShift = -0.5; $0.optimizer = "adam"; $0.lr = 1e-3 },
                  twin: base { $0.data = "parity"; $0.depth = 10; $0.width = 16; $0.activation = "relu"; $0.initializer = "he-normal"; $0.biasInit = 0; $0.optimizer = "adam"; $0.lr = 1e-3 },
                  expected: [.deadReLU], consistent: [.vanishing, .unchanged, .updateRatio, .notDecreasing], layers: nil, steps: 100),
        SuiteCase(name: "inputs ×20 into tanh (saturation)",
                  bug: base { $0.data = "digits"; $0.depth = 2; $0.width = 64; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-3; $0.inputScale = 20 },
                  twin: base { $0.data = "digits"; $0.depth = 2; $0.width = 64; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-3 },
                  expected: [.saturation], consistent: [.vanishing], layers: [1], steps: 100),
        SuiteCase(name: "zero init (symmetric, unchanged)",
                  bug: base { $0.depth = 3; $0.width = 16; $0.activation = "tanh"; $0.initializer = "zeros"; $0.optimizer = "adam"; $0.lr = 1e-2 },
                  twin: base { $0.depth = 3; $0.width = 16; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-2 },
                  expected: [.poorInit, .unchanged], consistent: [.vanishing, .notDecreasing, .updateRatio], layers: nil, steps: 150),
        SuiteCase(name: "SGD learning rate 1e-6 (not learning)",
                  bug: base { $0.depth = 3; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 1e-6 },
                  twin: base { $0.depth = 3; $0.width = 32; $0.activation = "relu"; $0.initializer = "he-normal"; $0.optimizer = "sgd"; $0.lr = 0.05 },
                  expected: [.notDecreasing, .updateRatio, .unchanged], layers: nil, steps: 150),
        SuiteCase(name: "Adam learning rate 1e-8 (not learning)",
                  bug: base { $0.data = "blobs"; $0.depth = 3; $0.width = 32; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-8 },
                  twin: base { $0.data = "blobs"; $0.depth = 3; $0.width = 32; $0.activation = "tanh"; $0.initializer = "glorot-uniform"; $0.optimizer = "adam"; $0.lr = 1e-2 },
                  expected: [.notDecreasing, .updateRatio, .unchanged], layers: nil, steps: 150),
        SuiteCase(name: "30-layer ReLU, σ_w²=3 (exploding)",
                  bug: base { $0.data = "blobs"; $0.depth = 30; $0.width = 64; $0.activation = "relu"; $0.initializer = "normal"; $0.sigmaW2 = 3; $0.optimizer = "sgd"; $0.lr = 1e-3 },
                  twin: base { $0.data = "blobs"; $0.depth = 30; $0.width = 64; $0.activation = "relu"; $0.initializer = "normal"; $0.sigmaW2 = 2; $0.optimizer = "sgd"; $0.lr = 1e-3 },
                  expected: [.exploding], consistent: [.nonFinite, .lossBlowUp, .updateRatio, .deadReLU], layers: [1], steps: 100),
    ]

    public struct Outcome: Codable, Sendable {
        public var name: String
        public var seed: UInt64
        public var buggy: Bool
        public var verdicts: [String]
        public var detected: Bool
        public var correctVerdicts: Int
        public var stepsToDetect: Int?
    }

    public struct Report: Codable, Sendable {
        public var cases: Int
        public var runs: Int
        public var recall: Double
        public var precision: Double
        public var falseVerdictsOnHealthy: Int
        public var medianStepsToDetect: Double
        public var detectedAtStep0: Int
        public var outcomes: [Outcome]
        enum CodingKeys: String, CodingKey {
            case cases, runs, recall, precision, falseVerdictsOnHealthy = "false_verdicts_on_healthy"
            case medianStepsToDetect = "median_steps_to_detect", detectedAtStep0 = "detected_at_step0", outcomes
        }
    }

    /// Runs every case and twin for every seed; `progress` is told after each run.
    public static func run(seeds: [UInt64] = [1, 2, 3], cases: [SuiteCase] = cases, progress: ((Int, Int, String) -> Void)? = nil) throws -> Report {
        var outcomes: [Outcome] = []
        let total = cases.count * seeds.count * 2
        for c in cases { for seed in seeds { for buggy in [true, false] {
            var config = buggy ? c.bug : c.twin
            config.seed = seed
            let run = try DiagnosticRun.run(config, steps: c.steps)
            let vs = run.all
            let correct = vs.filter { v in
                buggy && c.expected.contains(v.kind) && (c.layers.map { !$0.isDisjoint(with: v.layers) } ?? true)
            }
            let consistent = vs.filter { buggy && (c.expected.contains($0.kind) || c.consistent.contains($0.kind)) }
            outcomes.append(Outcome(name: c.name, seed: seed, buggy: buggy, verdicts: vs.map(\.line), detected: !correct.isEmpty,
                                    correctVerdicts: consistent.count, stepsToDetect: correct.map { $0.predicted ? 0 : $0.firstStep }.min()))
            progress?(outcomes.count, total, "\(c.name) seed \(seed) \(buggy ? "bug" : "twin")")
        } } }
        let bugs = outcomes.filter(\.buggy), twins = outcomes.filter { !$0.buggy }
        let allVerdicts = outcomes.reduce(0) { $0 + $1.verdicts.count }
        let correct = bugs.reduce(0) { $0 + $1.correctVerdicts }
        let steps = bugs.compactMap(\.stepsToDetect).sorted()
        let median = steps.isEmpty ? .nan : (steps.count % 2 == 1 ? Double(steps[steps.count / 2]) : Double(steps[steps.count / 2 - 1] + steps[steps.count / 2]) / 2)
        return Report(cases: cases.count, runs: outcomes.count,
                      recall: Double(bugs.filter(\.detected).count) / Double(Swift.max(bugs.count, 1)),
                      precision: allVerdicts == 0 ? 1 : Double(correct) / Double(allVerdicts),
                      falseVerdictsOnHealthy: twins.reduce(0) { $0 + $1.verdicts.count },
                      medianStepsToDetect: median, detectedAtStep0: steps.filter { $0 == 0 }.count, outcomes: outcomes)
    }
}
