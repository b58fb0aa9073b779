import Foundation
import GradLab

/// Do the verdicts agree with what happened? A grid of plain MLPs on the 8×8 digits (activation ×
/// σ_w² × depth × width, σ_b² = 0.05, normal init, SGD with momentum at a fixed budget), each
/// run with the probe on and then labelled by its outcome on the test set alone:
///
/// - learned: test accuracy at least `learnedAccuracy` (55%, halfway from chance 10% to 100%);
/// - stuck: test accuracy within 5 points of chance (what a constant answer scores);
/// - unstable: a non-finite loss, or training stopped by one;
/// - partial: in between (reported, left out of agreement).
///
/// A verdict agrees with the outcome when a learned run is healthy, a stuck run gets any verdict,
/// and an unstable run a verdict of the overshoot family (non-finite, loss blow-up, exploding).
/// The benchmark's bar: every stuck run flagged, few false alarms on runs that learned.
public enum OutcomeBenchmark {
    public enum Outcome: String, Codable, Sendable { case learned, stuck, unstable, partial }

    public struct Point: Codable, Sendable {
        public var activation: String
        public var sigmaW2: Double
        public var depth: Int
        public var width: Int
        public var testAccuracy: Double?
        public var chance: Double?
        public var outcome: Outcome
        public var verdicts: [String]
        public var kinds: [String]
        public var agrees: Bool
        enum CodingKeys: String, CodingKey {
            case activation, sigmaW2 = "sigma_w2", depth, width, testAccuracy = "test_accuracy", chance, outcome, verdicts, kinds, agrees
        }
    }

    public struct Report: Codable, Sendable {
        public var points: [Point]
        public var steps: Int
        public var seconds: Double
        public var count: Int { points.count }
        public func with(_ o: Outcome) -> [Point] { points.filter { $0.outcome == o } }
        /// Stuck runs with a verdict, of all stuck runs.
        public var stuckFlagged: (flagged: Int, of: Int) { (with(.stuck).filter(\.agrees).count, with(.stuck).count) }
        /// Runs that learned yet got a verdict.
        public var falseAlarms: Int { with(.learned).filter { !$0.agrees }.count }
        /// Agreement over the labelled runs (learned, stuck, unstable).
        public var agreement: Double {
            let judged = points.filter { $0.outcome != .partial }
            return judged.isEmpty ? .nan : Double(judged.filter(\.agrees).count) / Double(judged.count)
        }
    }

    /// The grid of the benchmark as configs, in a fixed order.
    public static func grid(activations: [ActivationKind] = [.tanh, .relu, .sigmoid], sigmaW2: [Double] = [0.5, 1, 2, 4],
                            depths: [Int] = [4, 16, 32], widths: [Int] = [32, 128], steps: Int = 300) -> [RunConfig] {
        var out: [RunConfig] = []
        for a in activations { for s in sigmaW2 { for d in depths { for w in widths {
            var c = RunConfig()
            c.data = .digits; c.activation = a; c.initializer = .normal; c.sigmaW2 = s; c.sigmaB2 = 0.05
            c.depth = d; c.width = w; c.optimizer = .momentum; c.lr = 0.01; c.batch = 64
            c.steps = steps; c.evalEvery = steps; c.probeEvery = 10; c.seed = 1
            out.append(c)
        } } } }
        return out
    }

    static let learnedAccuracy = 0.55
    static let chanceMargin = 0.05
    static let overshoot: Set<Verdict.Kind> = [.nonFinite, .lossBlowUp, .exploding]

    /// The outcome of a finished run from its test score alone (the verdicts are not looked at).
    public static func outcome(_ run: DiagnosticRun) -> Outcome {
        let losses = run.history.steps.map(\.loss)
        if run.history.stopReason != nil || losses.contains(where: { !$0.isFinite }) { return .unstable }
        guard let acc = run.history.evals.last?.accuracy, acc.isFinite else { return .unstable }
        let chance = run.baseline.accuracy ?? 0
        if acc >= learnedAccuracy { return .learned }
        return acc <= chance + chanceMargin ? .stuck : .partial
    }

    /// Runs every config of `grid`; `progress` is told after each run.
    public static func run(_ grid: [RunConfig] = grid(), progress: ((Int, Int, String) -> Void)? = nil) throws -> Report {
        let started = Date()
        var points: [Point] = []
        for c in grid {
            let run = try DiagnosticRun.run(c)
            let verdicts = run.all
            let o = outcome(run)
            let kinds = Set(verdicts.map(\.kind))
            let agrees = switch o {
            case .learned: verdicts.isEmpty
            case .stuck: !verdicts.isEmpty
            case .unstable: !kinds.isDisjoint(with: overshoot)
            case .partial: true
            }
            points.append(Point(activation: c.activation.rawValue, sigmaW2: c.sigmaW2, depth: c.depth, width: c.width,
                                testAccuracy: run.history.evals.last?.accuracy, chance: run.baseline.accuracy, outcome: o,
                                verdicts: verdicts.map(\.line), kinds: verdicts.map(\.kind.rawValue), agrees: agrees))
            progress?(points.count, grid.count, "\(c.activation.rawValue) σ_w²=\(Number.short(c.sigmaW2)) depth \(c.depth) width \(c.width)")
        }
        return Report(points: points, steps: grid.first?.steps ?? 0, seconds: Date().timeIntervalSince(started))
    }
}
