import XCTest
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import GradLab
import GradLabExperiments
import GradLabDiagnostics

/// Experiment files, sweeps (resume after a kill, shards) and reports.
final class ExperimentTests: XCTestCase {
    func parseError(_ yaml: String) -> String {
        do { _ = try Experiment.parse(yaml, source: "exp.yaml"); return "no error" } catch { return "\(error)" }
    }

    func testErrorsNameFileLineAndAllowedValues() {
        XCTAssertTrue(parseError("name: t\nbase:\n  depth: 3\n  activaton: relu\n").hasPrefix("exp.yaml:4: unknown run key 'activaton'; allowed: data"))
        XCTAssertTrue(parseError("name: t\nbase:\n  activation: swish\n").hasPrefix("exp.yaml:3: activation 'swish' is not known; allowed: identity"))
        XCTAssertTrue(parseError("name: t\nbsae: {}\n").hasPrefix("exp.yaml:2: unknown key 'bsae'; allowed: name, description, base"))
        XCTAssertTrue(parseError("name: t\nsweep:\n  grid:\n    depth: [3,\n      -1]\n").hasPrefix("exp.yaml:5: depth -1"))
        XCTAssertTrue(parseError("name: t\nbase:\n  depth: three\n").hasPrefix("exp.yaml:3: key 'depth' must be an integer"))
        XCTAssertTrue(parseError("name: t\nsweep:\n  random: {trials: 3, space: {lr: {gaussian: [0, 1]}}}\n").contains("allowed: uniform, log-uniform, choice"))
        XCTAssertTrue(parseError("name: t\nbase: {depth: 3\n").hasPrefix("exp.yaml: not valid YAML: line 3"))
        XCTAssertTrue(parseError("base: {depth: 3}\n").contains("needs a name"))
        // A constraint between keys is reported at the line of the key it names, in the variant.
        XCTAssertTrue(parseError("name: t\nbase:\n  data: digits\nruns:\n  a:\n    model: lstm\n").hasPrefix("exp.yaml:6: model 'lstm' reads sequences"))
        XCTAssertEqual(parseError("name: t\nbase: {data: adding, depth: 1}\nruns:\n  a: {model: lstm}\n"), "no error")
    }

    func testPointsExpandVariantsSweepAndSeedsInAFixedOrder() throws {
        let e = try Experiment.parse("""
            name: grid
            base: {data: xor, steps: 5}
            runs:
              a: {activation: tanh}
              b: {activation: relu}
            sweep:
              grid: {depth: [1, 2], sigma-w2: [1.0, 2.0]}
            seeds: [0, 1]
            """, source: "x")
        let points = try e.points()
        XCTAssertEqual(points.count, 2 * 4 * 2)
        XCTAssertEqual(points[0].name, "a,depth=1,sigma-w2=1,seed=0")
        XCTAssertEqual(points[15].config.activation, .relu); XCTAssertEqual(points[15].config.depth, 2); XCTAssertEqual(points[15].config.seed, 1)
        let r = try Experiment.parse("name: r\nbase: {data: xor}\nsweep:\n  random: {trials: 5, seed: 3, space: {lr: {log-uniform: [0.0001, 0.1]}, depth: {choice: [1, 3]}}}\n", source: "x")
        let (p1, p2) = (try r.points(), try r.points())
        XCTAssertEqual(p1.map(\.config), p2.map(\.config))                 // same seed, same points
        XCTAssertTrue(p1.allSatisfy { $0.config.lr >= 1e-4 && $0.config.lr <= 0.1 && [1, 3].contains($0.config.depth) })
    }

    // MARK: the command line

    var binary: URL { gradlabBinary }

    func gradlab(_ args: [String]) throws -> Process {
        let p = Process()
        p.executableURL = binary; p.arguments = args
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    func sweepFile(_ dir: String, points: Int, steps: Int) throws -> String {
        let path = (dir as NSString).appendingPathComponent("sweep.yaml")
        let widths = (1...points).map { "\(8 + $0)" }.joined(separator: ", ")
        try "name: resume\nbase: {data: circles, samples: 512, depth: 4, steps: \(steps), batch: 32}\nsweep:\n  grid: {width: [\(widths)]}\nprobe: {every: 5}\nworkers: 2\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func results(_ root: String) -> [String: Date] {
        let exp = (root as NSString).appendingPathComponent("resume")
        let dirs = (try? FileManager.default.contentsOfDirectory(atPath: exp)) ?? []
        var out: [String: Date] = [:]
        for d in dirs { if let r = RunDirectory((exp as NSString).appendingPathComponent(d)).readResult() { out[d] = r.started } }
        return out
    }

    /// Kill a sweep mid-way, resume it: every point done exactly once, nothing finished re-run.
    func testSweepResumesAfterAKill() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("sweep-kill"), points = 8
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let file = try sweepFile(root, points: points, steps: 400)
        let runs = (root as NSString).appendingPathComponent("runs")
        let first = try gradlab(["run", file, "--dir", runs, "--no-progress"])
        let deadline = Date().addingTimeInterval(120)
        while results(runs).count < 2 && Date() < deadline && first.isRunning { usleep(50_000) }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        let before = results(runs)
        XCTAssertGreaterThanOrEqual(before.count, 2); XCTAssertLessThan(before.count, points, "the sweep finished before it could be killed")
        usleep(500_000)
        XCTAssertEqual(results(runs).count, before.count, "workers outlived the killed sweep")
        let second = try gradlab(["run", file, "--dir", runs, "--no-progress"])
        second.waitUntilExit()
        XCTAssertEqual(second.terminationStatus, 0)
        let after = results(runs)
        XCTAssertEqual(after.count, points)
        for (dir, started) in before { XCTAssertEqual(after[dir], started, "\(dir) was run again") }
    }

    /// Shards 0/2 and 1/2 together run every point exactly once.
    func testShardsSplitTheSweep() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("sweep-shard")
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let file = try sweepFile(root, points: 5, steps: 20)
        let runs = (root as NSString).appendingPathComponent("runs")
        let a = try gradlab(["run", file, "--dir", runs, "--shard", "0/2", "--no-progress"]); a.waitUntilExit()
        XCTAssertEqual(results(runs).count, 3)
        let b = try gradlab(["run", file, "--dir", runs, "--shard", "1/2", "--no-progress"]); b.waitUntilExit()
        XCTAssertEqual(results(runs).count, 5)
        XCTAssertEqual(a.terminationStatus, 0); XCTAssertEqual(b.terminationStatus, 0)

        // The report of those runs: well-formed (X)HTML whose every SVG parses, with its charts.
        let html = (root as NSString).appendingPathComponent("report.html")
        let r = try gradlab(["report", (runs as NSString).appendingPathComponent("resume"), "--out", html]); r.waitUntilExit()
        XCTAssertEqual(r.terminationStatus, 0)
        let text = try String(contentsOfFile: html, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("<!DOCTYPE html>"))
        let parser = XMLParser(data: Data(text.dropFirst("<!DOCTYPE html>".count).utf8))
        XCTAssertTrue(parser.parse(), "report is not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        XCTAssertEqual(text.components(separatedBy: "<svg ").count - 1, text.components(separatedBy: "</svg>").count - 1)
        XCTAssertGreaterThan(text.components(separatedBy: "class=\"cell\"").count, 100)
        try renderedInChromium(html)
    }

    /// Headless Chromium renders the report: the DOM it builds holds the heat-map cells and the
    /// curves, and a screenshot is not blank.
    func renderedInChromium(_ html: String) throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("no headless Chromium (Debian: apt-get install chromium); the render check did not run")
        }
        let shot = html + ".png"
        for args in [["--dump-dom"], ["--screenshot=\(shot)", "--window-size=1000,2000"]] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: chromium)
            p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] + args + ["file://" + html]
            let out = Pipe(); p.standardOutput = out; p.standardError = FileHandle.nullDevice
            try p.run()
            let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            if args == ["--dump-dom"] {
                XCTAssertGreaterThan(dom.components(separatedBy: "class=\"cell\"").count, 100, "heat map not in the rendered DOM")
                XCTAssertGreaterThan(dom.components(separatedBy: "class=\"series\"").count, 3, "curves not in the rendered DOM")
            }
        }
        let png = try XCTUnwrap(FileManager.default.contents(atPath: shot), "no screenshot")
        XCTAssertGreaterThan(png.count, 20_000, "screenshot is blank")
    }
}
