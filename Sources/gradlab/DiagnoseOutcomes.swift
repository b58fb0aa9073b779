import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics

/// `gradlab diagnose --outcomes`: the outcome benchmark's table and figures.
extension Diagnose {
    func runOutcomes(json: Bool) throws {
        let grid = OutcomeBenchmark.grid()
        let bar = json ? nil : ProgressBar(total: grid.count, label: "outcomes")
        let report = try OutcomeBenchmark.run(grid) { done, _, name in bar?.update(done, name) }
        if json {
            print(String(decoding: try JSONEncoder.records.encode(report), as: UTF8.self))
            return
        }
        print("\nactivation σ_w²  depth  width  test acc  outcome    agrees  verdicts")
        for p in report.points {
            let acc = p.testAccuracy.map(Number.percent) ?? "—"
            func pad(_ s: String, _ n: Int) -> String { s.padding(toLength: Swift.max(n, s.count), withPad: " ", startingAt: 0) }
            let cells = [pad(p.activation, 10), pad(Number.short(p.sigmaW2), 5), pad("\(p.depth)", 6), pad("\(p.width)", 6), pad(acc, 9),
                         pad(p.outcome.rawValue, 10), pad(p.agrees ? "yes" : "NO", 7), p.kinds.isEmpty ? "healthy" : p.kinds.joined(separator: ", ")]
            print(cells.joined(separator: " "))
        }
        let (flagged, stuck) = report.stuckFlagged
        let counts = [OutcomeBenchmark.Outcome.learned, .stuck, .unstable, .partial].map { "\(report.with($0).count) \($0.rawValue)" }
        print("\n\(report.count) runs of \(report.steps) steps (\(counts.joined(separator: ", "))): stuck runs flagged \(flagged)/\(stuck), "
              + "false alarms on runs that learned \(report.falseAlarms)/\(report.with(.learned).count), agreement \(Number.percent(report.agreement)), "
              + String(format: "%.0f s", report.seconds))
        if flagged < stuck { throw ExitCode(1) }
    }
}
