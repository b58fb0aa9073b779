import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics

/// `gradlab diagnose`: a short probed run, then verdicts. Exit 0 healthy, 1 problems found.
struct Diagnose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Probe a short training run and name any gradient problem, layer by layer.",
        discussion: """
        Predicts from the architecture and initialization alone (one forward/backward at step 0),
        then trains with the probe on and applies the diagnosis rules. Exit code 0: healthy;
        1: problems found; 2: bad input.
        Examples:
          gradlab diagnose --depth 20 --activation sigmoid --init normal --optimizer sgd --lr 0.1
          gradlab diagnose run.json --steps 300 --json
          gradlab diagnose --suite              # the buggy-model suite: recall, precision, steps to detect
          gradlab diagnose --suite --seeds 1,2,3,4,5 --category oscillation

        \(RunOptions.help)
        """)

    @Argument(help: "JSON config file (same keys as `gradlab train` flags).") var configFile: String?
    @OptionGroup var options: RunOptions
    @Option(name: .customLong("probe-steps"), help: "Training steps to probe (default: the run's --steps if given, else 200).") var probeSteps: Int?
    @Option(name: .customLong("probe-jsonl"), help: "Stream probe records (one per step and layer) to this JSON Lines file.") var jsonl: String?
    @Flag(help: "Also measure Jacobian spectra (σ_max by power iteration, mean σ²).") var jacobian = false
    @Flag(help: "Run the buggy-model suite instead.") var suite = false
    @Option(help: "Seeds for --suite.") var seeds = "1,2,3"
    @Option(help: "With --suite, run only the cases of this category: \(DiagnosisSuite.categories.joined(separator: ", ")).") var category: String?
    @Flag(help: "Print one JSON object.") var json = false

    func run() throws {
        if suite { return try runSuite() }
        let config = try options.resolve(orFile: configFile)
        let probeSteps = self.probeSteps ?? (options.isSet("steps") || configFile != nil || options.config != nil ? config.steps : 200)
        guard probeSteps >= 1 else { throw GradLabError.invalid("probe-steps \(probeSteps) must be ≥ 1") }
        Backend.setThreads(config.threads)
        let bar = json ? nil : ProgressBar(total: probeSteps, label: "probe")
        let run = try DiagnosticRun.run(config, steps: probeSteps, jacobian: jacobian, jsonl: jsonl, progress: bar)
        let overlay = run.overlay
        if json {
            print(String(decoding: try JSONEncoder.records.encode(DiagnoseReport(run)), as: UTF8.self))
        } else {
            print("\nGradient reaching each layer's weights at step 0 (‖∂L/∂W‖, input layer first):")
            print(GradientChart.render(names: run.initial.layers.map(\.label.text),
                                       values: run.initial.layers.map(\.gradNorm)))
            if let overlay { print("\n" + overlay.text) }
            if run.healthy {
                print("\nhealthy: no problem found in \(run.history.steps.count) steps.")
            } else {
                print("")
                for v in run.all {
                    print("✗ \(v.line)")
                    print("  why: \(v.explanation)")
                    print("  try: " + v.remedies.prefix(3).enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "  "))
                }
            }
        }
        if !run.healthy { throw ExitCode(1) }
    }

    func runSuite() throws {
        let list = try parseSeeds(seeds)
        var cases = DiagnosisSuite.cases
        if let category {
            guard DiagnosisSuite.categories.contains(category) else {
                throw GradLabError.invalid("category '\(category)' is not known; allowed: \(DiagnosisSuite.categories.joined(separator: ", "))")
            }
            cases = cases.filter { $0.category == category }
        }
        let bar = json ? nil : ProgressBar(total: cases.count * list.count * 2, label: "suite")
        let report = try DiagnosisSuite.run(seeds: list, cases: cases) { done, _, name in bar?.update(done, name) }
        if json {
            print(String(data: try JSONEncoder.records.encode(report), encoding: .utf8)!)
            return
        }
        for o in report.outcomes {
            let mark = o.buggy ? (o.detected ? "✓" : "✗ missed") : (o.verdicts.isEmpty ? "✓ healthy" : "✗ false alarm")
            print("\(mark)  \(o.name) (\(o.category)) [seed \(o.seed), \(o.buggy ? "bug" : "twin")]" + (o.stepsToDetect.map { " detected at step \($0)" } ?? ""))
            for v in o.verdicts { print("      \(v)") }
        }
        print("\ncategory            cases  detected   recall  false verdicts on twins  median steps to detect")
        for c in report.categories {
            print(String(format: "%@ %5d  %4d/%-4d %6.1f%%  %23d  %22.1f", c.category.padding(toLength: 18, withPad: " ", startingAt: 0),
                         c.cases, c.detected, c.bugRuns, c.recall * 100, c.falseVerdictsOnHealthy, c.medianStepsToDetect))
        }
        print(String(format: "\n%d cases × %d seeds: recall %.1f%%, precision %.1f%%, %d false verdicts on healthy twins, median steps to detect %.1f (%d of %d bugs at step 0), %.1f s",
                     report.cases, list.count, report.recall * 100, report.precision * 100, report.falseVerdictsOnHealthy,
                     report.medianStepsToDetect, report.detectedAtStep0, report.outcomes.filter(\.buggy).count, report.seconds))
    }
}

/// `gradlab diagnose --json`: one object, in the records' JSON spelling (non-finite numbers as strings).
struct DiagnoseReport: Encodable {
    struct Layer: Encodable { var layer: Int, name: String, grad_norm: Double, gain_product: Double }
    struct Row: Encodable { var layer: Int, measured_delta_ratio: Double, predicted_delta_ratio: Double, deviation_decades: Double }
    var healthy: Bool
    var verdicts: [Verdict]
    var step0: [Layer]
    var steps: Int
    var stop_reason: String?
    var predicted_vs_measured: [Row]?

    init(_ run: DiagnosticRun) {
        healthy = run.healthy
        verdicts = run.all
        step0 = run.initial.layers.map { Layer(layer: $0.layer, name: $0.name, grad_norm: $0.gradNorm, gain_product: $0.gainProduct) }
        steps = run.history.steps.count
        stop_reason = run.history.stopReason
        predicted_vs_measured = run.overlay?.rows.map { Row(layer: $0.layer, measured_delta_ratio: $0.measured, predicted_delta_ratio: $0.predicted, deviation_decades: $0.deviation) }
    }
}
