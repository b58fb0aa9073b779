import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// `gradlab repair`: diagnose a run, try remedies from an evidence-ranked ladder, keep the first
/// that fixes it, and write the report and the repaired config.
struct RepairCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Diagnose a run, try remedies in order, and keep the first that fixes it.",
        discussion: """
        Trains the config for its full --steps with the probe on; if a problem is found, tries
        remedies from a ladder ranked by the evidence (initialization, activation, normalization,
        residual blocks, learning rate, clipping; recurrent nets: clipping, orthogonal/identity
        recurrence, gating), each for a fraction of the steps from the same seed. The first that
        removes the verdict and lowers the training loss by the margin wins. Writes repair.html
        (the report), repair.json and repaired.json (rerun it with `gradlab train --config`).
        Exit code 0: healthy or repaired; 1: not repaired; 2: bad input.
        Examples:
          gradlab repair examples/repair/deep-sigmoid.json --out deep-sigmoid-repair
          gradlab repair examples/repair/exploding-relu.json --out exploding-relu-repair
          gradlab repair --suite --json

        \(RunOptions.help)
        """)

    @Argument(help: "JSON config file (same keys as `gradlab train` flags).") var configFile: String?
    @OptionGroup var options: RunOptions
    @Option(help: "Directory for repair.html, repair.json and repaired.json.") var out = "repair"
    @Option(name: .customLong("budget"), help: "Each candidate trains this fraction of the run's steps.") var budget = 0.25
    @Option(help: "Required relative drop of the training loss against the unrepaired run.") var margin = 0.02
    @Flag(help: "Run the repair suite (buggy configurations with healthy twins) instead.") var suite = false
    @Option(help: "Seeds for --suite.") var seeds = "1,2,3"
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        if suite { return try runSuite() }
        let config = try options.resolve(orFile: configFile)
        try OutputPath.directory(out, option: "--out").check()
        guard budget > 0 && budget <= 1 else { throw GradLabError.invalid("budget \(budget) must be a fraction in (0, 1], e.g. 0.25") }
        guard margin >= 0 && margin < 1 else { throw GradLabError.invalid("margin \(margin) must be in [0, 1), e.g. 0.02") }
        Backend.setThreads(config.threads)
        if !json { print("diagnosing \(config.model) on \(config.data) for \(config.steps) steps…") }
        let result = try Repair.run(config, budgetFraction: budget, margin: margin) { name in
            if !json { print("  trying: \(name)") }
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let repairedPath = (out as NSString).appendingPathComponent("repaired.json")
        if let c = result.repairedConfig { try atomicWrite(Data(c.json.utf8), to: repairedPath) }
        try atomicWrite(Data(RepairReport.html(result, repairedConfigPath: result.repairedConfig == nil ? nil : repairedPath).utf8),
                        to: (out as NSString).appendingPathComponent("repair.html"))
        let summary = summaryJSON(result)
        try atomicWrite(Data(summary.utf8), to: (out as NSString).appendingPathComponent("repair.json"))
        if json { print(summary) } else { printSummary(result, repairedPath: repairedPath) }
        if result.problem != nil && result.winner == nil { throw ExitCode(1) }
    }

    func printSummary(_ r: RepairResult, repairedPath: String) {
        guard let p = r.problem else { print("healthy: nothing to repair."); return }
        print("\nproblem: \(p.line)")
        print("baseline: a constant answer scores \(r.baseline.description); each candidate trains \(r.trialSteps) steps, "
              + "extended up to \(r.config.steps) while it looks healthy but has not beaten that loss")
        for (i, a) in r.attempts.enumerated() {
            let mark = a.problemRemoved && a.improved ? "✓" : "✗"
            let judged = "after \(a.steps) steps: loss \(Number.short(a.metric)) vs \(Number.short(a.unrepairedMetric)) unrepaired"
            let why: String
            if let error = a.error { why = "failed: \(error)" }
            else if let blocker = a.blockedBy {
                let kind = blocker.prefix { $0 != "," && $0 != ":" }
                why = kind.hasPrefix(p.kind.rawValue) ? "\(p.kind.rawValue) remains — \(blocker)" : "\(p.kind.rawValue) gone, but blocked by \(blocker)"
            } else { why = a.improved ? "\(p.kind.rawValue) gone and the loss is lower" : "\(p.kind.rawValue) gone, but the loss is not lower by the margin" }
            print("  \(mark) \(i + 1). \(a.name)\(a.inRun ? " (in-run)" : ""), \(judged): \(why)")
        }
        if let w = r.winner {
            print("repaired by \(w.name): loss \(Number.short(w.metric)) vs \(Number.short(w.unrepairedMetric)) unrepaired after \(w.steps) steps; cost \(String(format: "%.2f", r.costRatio))× the run")
            print("rerun: gradlab train --config \(repairedPath)")
        } else {
            print("not repaired (unrepaired loss \(Number.short(r.unrepairedMetric)) after \(r.trialSteps) steps); see the report for what each remedy did")
        }
        print("report: \((out as NSString).appendingPathComponent("repair.html"))")
    }

    func summaryJSON(_ r: RepairResult) -> String {
        let attempts = (try? JSONSerialization.jsonObject(with: JSONEncoder.records.encode(r.attempts))) ?? []
        let object: [String: Any] = [
            "problem": r.problem.map { ["kind": $0.kind.rawValue, "line": $0.line, "predicted": $0.predicted] as [String: Any] } ?? NSNull(),
            "verdicts": r.allVerdicts.map(\.line), "attempts": attempts, "winner": r.winner?.name ?? NSNull(),
            "trial_steps": r.trialSteps, "unrepaired_metric": r.unrepairedMetric.isFinite ? r.unrepairedMetric : "Infinity",
            "baseline": ["loss": r.baseline.loss, "accuracy": r.baseline.accuracy ?? NSNull()] as [String: Any],
            "run_seconds": r.runSeconds, "repair_seconds": r.repairSeconds, "cost_ratio": r.costRatio.isFinite ? r.costRatio : NSNull(),
            "repaired_config": r.repairedConfig.flatMap { try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) } ?? NSNull(),
        ]
        return String(data: try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), encoding: .utf8)!
    }

    func runSuite() throws {
        let list = try parseSeeds(seeds)
        let bar = json ? nil : ProgressBar(total: DiagnosisSuite.cases.count * list.count, label: "repair suite")
        let report = try RepairSuite.run(seeds: list, budgetFraction: budget, margin: margin) { done, name in
            bar?.update(done, name)
        }
        if json { print(report.json); return }
        for o in report.outcomes {
            print("\(o.repaired ? "✓" : (o.detected ? "✗ not repaired" : "✗ missed"))  \(o.name) [seed \(o.seed)]"
                  + (o.winner.map { " → \($0)" } ?? "") + String(format: "  cost %.2f×", o.costRatio) + (o.twinAlarms.isEmpty ? "" : "  twin alarm: \(o.twinAlarms.joined(separator: "; "))"))
        }
        print(report.text)
    }
}
