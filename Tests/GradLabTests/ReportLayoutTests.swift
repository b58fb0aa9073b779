import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// Every report kind rendered in headless Chromium: a script measures each SVG text element's box
/// as laid out (getBoundingClientRect) and the test fails on two texts of one chart that overlap
/// or a text that leaves its chart or the page. Runs are trained tiny so the test is fast.
final class ReportLayoutTests: XCTestCase {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first(where: FileManager.default.isExecutableFile)

    /// Measures every `<text>` of every `<svg>`; writes one line per problem into the page.
    static let probe = """
        <script>(function () {
          const out = [], page = document.documentElement.clientWidth;
          let measured = 0;
          document.querySelectorAll('svg').forEach((svg, si) => {
            const box = svg.getBoundingClientRect(), name = (svg.querySelector('title') || {}).textContent || ('chart ' + si);
            if (box.right > page + 0.5) out.push('WIDE\\t' + name + '\\t' + Math.round(box.right) + ' > ' + page);
            const texts = [...svg.querySelectorAll('text')].filter(t => t.textContent.trim() !== '')
              .map(t => ({ s: t.textContent, r: t.getBoundingClientRect() }));
            measured += texts.length;
            texts.forEach(t => {
              if (t.r.left < box.left - 0.5 || t.r.right > box.right + 0.5 || t.r.top < box.top - 0.5 || t.r.bottom > box.bottom + 0.5)
                out.push('CLIPPED\\t' + name + '\\t' + t.s);
            });
            for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
              const a = texts[i].r, b = texts[j].r;
              const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
              if (w > 1 && h > 1) out.push('OVERLAP\\t' + name + '\\t' + texts[i].s + '\\t' + texts[j].s);
            }
          });
          const pre = document.createElement('pre');
          pre.id = 'layout-problems';
          pre.textContent = 'MEASURED ' + measured + '\\n' + out.join('\\n');
          document.body.appendChild(pre);
        })();</script>
        """

    /// The layout problems of the report at `path` (an empty list: none), after checking that the
    /// script measured some text.
    func layoutProblems(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String] {
        guard let chromium = Self.chromium else {
            throw XCTSkip("no headless Chromium (Debian: apt-get install chromium); the layout check did not run")
        }
        let html = try String(contentsOfFile: path, encoding: .utf8)
        let probed = path + ".layout.html"
        try html.replacingOccurrences(of: "</body>", with: Self.probe + "</body>").write(toFile: probed, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: probed) }
        let p = Process(), out = Pipe()
        p.executableURL = URL(fileURLWithPath: chromium)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,3000", "--dump-dom", "file://" + probed]
        p.standardOutput = out; p.standardError = FileHandle.nullDevice
        try p.run()
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let report = try XCTUnwrap(dom.components(separatedBy: "<pre id=\"layout-problems\">").dropFirst().first?.components(separatedBy: "</pre>").first,
                                   "the measuring script did not run", file: file, line: line)
        let lines = SVGText.unescape(report).split(separator: "\n").map(String.init)
        let measured = Int(lines.first?.dropFirst("MEASURED ".count) ?? "") ?? 0
        XCTAssertGreaterThan(measured, 20, "too few texts measured in \(path)", file: file, line: line)
        return Array(lines.dropFirst())
    }

    func assertClean(_ path: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let problems = try layoutProblems(path, file: file, line: line)
        XCTAssertTrue(problems.isEmpty, "\((path as NSString).lastPathComponent): \(problems.count) layout problems:\n" + problems.prefix(25).joined(separator: "\n"),
                      file: file, line: line)
    }

    func gradlab(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        guard FileManager.default.fileExists(atPath: gradlabBinary.path) else { throw XCTSkip("gradlab executable not built") }
        return try runGradlab(args)
    }

    /// A sweep (2 depths × 2 σ_w² × 2 seeds, tiny) and the report of one of its runs; then the
    /// 12-run fixture sweep, whose legends and sweep view are the largest.
    func testSweepAndRunReportsLayOutCleanly() throws {
        guard Self.chromium != nil else { throw XCTSkip("no headless Chromium (Debian: apt-get install chromium); the layout check did not run") }
        let root = tempPath("layout-sweep")
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let yaml = """
            name: layout
            base: {data: digits, width: 16, activation: tanh, init: normal, optimizer: sgd, lr: 0.05, batch: 32, steps: 40, eval-every: 20}
            sweep:
              grid: {depth: [2, 6], sigma-w2: [1.0, 3.0]}
            seeds: [0, 1]
            probe: {every: 5}
            workers: 2
            """
        let file = (root as NSString).appendingPathComponent("layout.yaml")
        try yaml.write(toFile: file, atomically: true, encoding: .utf8)
        let runs = (root as NSString).appendingPathComponent("runs")
        let r = try gradlab(["run", file, "--dir", runs, "--no-progress"])
        XCTAssertEqual(r.status, 0, r.err)
        let experiment = (runs as NSString).appendingPathComponent("layout")
        try assertClean((experiment as NSString).appendingPathComponent("report.html"))
        let one = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: experiment).sorted().first { $0.hasPrefix("0006") })
        let single = (root as NSString).appendingPathComponent("single.html")
        XCTAssertEqual(try gradlab(["report", (experiment as NSString).appendingPathComponent(one), "--out", single]).status, 0)
        try assertClean(single)

        let fixture = (root as NSString).appendingPathComponent("fixture.html")
        try RunReport.html(try ReportFixtures.sweep((root as NSString).appendingPathComponent("fixture")), title: "fixture sweep")
            .write(toFile: fixture, atomically: true, encoding: .utf8)
        try assertClean(fixture)
    }

    /// A recurrent run's report: the layer × time and time × training pictures.
    func testRecurrentRunReportLaysOutCleanly() throws {
        var c = RunConfig(); c.model = .rnnTanh; c.data = DataSource(name: "adding")!; c.seqLen = 40; c.depth = 2; c.steps = 60
        let run = try ReportFixtures.writeRun(tempPath("layout-rnn"), config: c, losses: (0..<60).map { 0.2 - Double($0) / 1000 },
                                              evals: [(30, 0.5), (60, 0.6)], layers: 1, timeSteps: 40, probeEvery: 5)
        let path = tempPath("layout-rnn.html")
        try RunReport.html([run], title: "recurrent").write(toFile: path, atomically: true, encoding: .utf8)
        try assertClean(path)
    }

    /// Repair reports: a deep sigmoid MLP (repaired) and a tanh RNN (through time).
    func testRepairReportsLayOutCleanly() throws {
        guard Self.chromium != nil else { throw XCTSkip("no headless Chromium (Debian: apt-get install chromium); the layout check did not run") }
        let root = tempPath("layout-repair")
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let configs = [
            "sigmoid": #"{"data": "digits", "depth": 10, "width": 16, "activation": "sigmoid", "init": "glorot-uniform", "optimizer": "sgd", "lr": 0.1, "batch": 32, "steps": 60, "seed": 1}"#,
            "rnn": #"{"data": "adding", "seq-len": 20, "samples": 256, "model": "rnn-tanh", "depth": 1, "width": 8, "optimizer": "sgd", "lr": 0.01, "batch": 16, "steps": 20, "seed": 1}"#,
        ]
        for (name, json) in configs.sorted(by: { $0.key < $1.key }) {
            let config = (root as NSString).appendingPathComponent("\(name).json")
            try json.write(toFile: config, atomically: true, encoding: .utf8)
            let out = (root as NSString).appendingPathComponent(name)
            let r = try gradlab(["repair", config, "--out", out])
            XCTAssertTrue(r.status == 0 || r.status == 1, r.err)
            let report = (out as NSString).appendingPathComponent("repair.html")
            if name == "rnn" {
                // The recurrent repair shows ‖∂L/∂h_t‖ per recurrent layer against a time axis.
                let html = try String(contentsOfFile: report, encoding: .utf8)
                let time = SVGText.charts(html).filter { $0.contains("class=\"cell\"") && SVGText.texts($0).contains { $0.text.hasPrefix("time step t") } }
                XCTAssertEqual(time.count, 1, "no layer × time picture in the recurrent repair report")
                XCTAssertTrue(time.first.map { SVGText.texts($0).contains { $0.text.hasPrefix(LayerLabel(index: 1, name: "layers.").text) } } ?? false, "rows not labelled by layer")
            }
            try assertClean(report)
        }
    }
}
