import ArgumentParser
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// `gradlab report`: one self-contained HTML file for one or more runs or whole experiments.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report (SVG charts, works offline) for runs or experiments.",
        discussion: """
        Each argument is a run directory (with metrics.jsonl) or an experiment directory (all its
        finished runs). Several runs are overlaid for comparison.
        Examples:
          gradlab report runs/sigmoid-vs-relu --out sigmoid-vs-relu.html
          gradlab report runs/xavier-vs-he-30/0000-xavier_seed=0 runs/xavier-vs-he-30/0002-he_seed=0
        """)

    @Argument(help: "Run or experiment directories.") var paths: [String] = []
    @Option(help: "Output HTML file.") var out = "report.html"
    @Option(help: "Report title.") var title: String?

    func run() throws {
        guard !paths.isEmpty else { throw GradLabError.invalid("give one or more run or experiment directories: gradlab report runs/NAME") }
        try OutputPath.file(out, option: "--out").check()
        let n = try Self.write(paths: paths, out: out, title: title ?? "GradLab report: \(paths.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))")
        print("report: \(out) (\(n) runs)")
    }

    /// Writes the report of every run under `paths`; returns how many runs it shows.
    @discardableResult
    static func write(paths: [String], out: String, title: String) throws -> Int {
        let runs = try StoredRun.loadReadable(paths) { FileHandle.standardError.write(Data("warning: \($0)\n".utf8)) }
        let html = RunReport.html(runs, title: title)
        try atomicWrite(Data(html.utf8), to: out)
        return runs.count
    }
}
