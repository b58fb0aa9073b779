import Foundation
import GradLab

/// The repair suite: every buggy configuration of `DiagnosisSuite` is diagnosed and repaired;
/// its healthy twin must draw no verdict (and so is never "repaired").
public enum RepairSuite {
    public struct Outcome: Codable, Sendable {
        public var name: String
        public var seed: UInt64
        public var detected: Bool
        public var stepsToDetect: Int?
        public var repaired: Bool
        public var winner: String?
        public var candidatesTried: Int
        public var costRatio: Double
        public var verdicts: [String]
        public var twinAlarms: [String]
        enum CodingKeys: String, CodingKey {
            case name, seed, detected, stepsToDetect = "steps_to_detect", repaired, winner, candidatesTried = "candidates_tried"
            case costRatio = "cost_ratio", verdicts, twinAlarms = "twin_alarms"
        }
    }

    public struct Report: Codable, Sendable {
        public var cases: Int
        public var runs: Int
        public var recall: Double
        public var precision: Double
        public var repairRate: Double
        public var medianStepsToDetect: Double
        public var costRatio: Double
        public var falseVerdictsOnHealthy: Int
        public var outcomes: [Outcome]
        enum CodingKeys: String, CodingKey {
            case cases, runs, recall, precision, repairRate = "repair_rate", medianStepsToDetect = "median_steps_to_detect"
            case costRatio = "cost_ratio", falseVerdictsOnHealthy = "false_verdicts_on_healthy", outcomes
        }
        public var json: String {
            return String(data: try! JSONEncoder.records.encode(self), encoding: .utf8)!
        }
        public var text: String {
            let repaired = outcomes.filter(\.repaired).count
            return String(format: "\n%d cases, %d buggy runs: detection recall %.1f%%, precision %.1f%%, %d false verdicts on healthy twins; repaired %d of %d (%.1f%%); median steps to detect %.1f; repair cost %.2f× one training run on average",
                          cases, runs, recall * 100, precision * 100, falseVerdictsOnHealthy, repaired, runs, repairRate * 100, medianStepsToDetect, costRatio)
        }
    }

    public static func run(seeds: [UInt64], cases: [SuiteCase] = DiagnosisSuite.cases, budgetFraction: Double = 0.25, margin: Double = 0.02,
                           progress: ((Int, String) -> Void)? = nil) throws -> Report {
        var outcomes: [Outcome] = []
        var allVerdicts = 0, correctVerdicts = 0
        for c in cases { for seed in seeds {
            var bug = c.bug, twin = c.twin
            bug.seed = seed; twin.seed = seed
            bug.steps = c.steps; twin.steps = c.steps
            let twinVerdicts = try DiagnosticRun.run(twin).all
            let r = try Repair.run(bug, budgetFraction: budgetFraction, margin: margin)
            let right = r.allVerdicts.filter { v in c.expected.contains(v.kind) && (c.layers.map { !$0.isDisjoint(with: v.layers) } ?? true) }
            allVerdicts += r.allVerdicts.count + twinVerdicts.count
            correctVerdicts += r.allVerdicts.filter { c.expected.contains($0.kind) || c.consistent.contains($0.kind) }.count
            outcomes.append(Outcome(name: c.name, seed: seed, detected: !right.isEmpty,
                                    stepsToDetect: right.map { $0.predicted ? 0 : $0.firstStep }.min(),
                                    repaired: r.winner != nil, winner: r.winner?.name, candidatesTried: r.attempts.count,
                                    costRatio: r.costRatio, verdicts: r.allVerdicts.map(\.line), twinAlarms: twinVerdicts.map(\.line)))
            progress?(outcomes.count, "\(c.name) seed \(seed)")
        } }
        let steps = outcomes.compactMap(\.stepsToDetect).sorted()
        let median = DiagnosisSuite.median(steps)
        let costs = outcomes.map(\.costRatio).filter(\.isFinite)
        return Report(cases: cases.count, runs: outcomes.count,
                      recall: Double(outcomes.filter(\.detected).count) / Double(Swift.max(outcomes.count, 1)),
                      precision: allVerdicts == 0 ? 1 : Double(correctVerdicts) / Double(allVerdicts),
                      repairRate: Double(outcomes.filter(\.repaired).count) / Double(Swift.max(outcomes.count, 1)),
                      medianStepsToDetect: median, costRatio: costs.isEmpty ? .nan : costs.reduce(0, +) / Double(costs.count),
                      falseVerdictsOnHealthy: outcomes.reduce(0) { $0 + $1.twinAlarms.count }, outcomes: outcomes)
    }
}
