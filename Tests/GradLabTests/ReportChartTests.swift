import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// Properties of the report's charts read from the SVG: one style per run everywhere, legends
/// that keep every distinguishing setting, axes in training steps, no marker for undefined
/// values, the sweep view, and one layer-numbering scheme.
final class ReportChartTests: XCTestCase {
    func sweepReport(_ name: String, evalSteps: [Int] = [100, 200, 300]) throws -> (runs: [StoredRun], html: String) {
        let runs = try ReportFixtures.sweep(tempPath(name), evalSteps: evalSteps)
        return (runs, RunReport.html(runs, title: "sweep"))
    }

    /// The settings that tell run i apart in the fixture sweep, as written in its config.
    func settings(_ run: StoredRun) -> [String] {
        ["depth=\(run.config.depth)", String(format: "sigma-w2=%g", run.config.sigmaW2), "seed=\(run.config.seed)"]
    }

    /// The legend entry of `run` in a chart: the one whose text holds all of its settings.
    func entry(_ run: StoredRun, in svg: String) -> (colour: String, dash: String, text: String)? {
        SVGText.legend(svg).first { e in settings(run).allSatisfy { s in e.text.components(separatedBy: CharacterSet(charactersIn: " ,")).contains(s) } }
    }

    /// The charts that overlay every run (loss, accuracy, per-layer comparison).
    func overlays(_ html: String, _ runs: [StoredRun]) -> [String] {
        SVGText.charts(html).filter { SVGText.legend($0).count >= runs.count }
    }

    func testLegendsKeepEverySettingThatTellsRunsApart() throws {
        let (runs, html) = try sweepReport("legend-settings")
        let charts = overlays(html, runs)
        XCTAssertGreaterThanOrEqual(charts.count, 3, "loss, accuracy and comparison charts overlay the runs")
        for svg in charts {
            for run in runs {
                XCTAssertNotNil(entry(run, in: svg), "\(SVGText.title(svg)): no legend entry names all of \(settings(run)); entries: \(SVGText.legend(svg).map(\.text))")
            }
        }
        // The summary table gives the same settings beside the run's key.
        for run in runs { XCTAssertTrue(html.contains(settings(run).joined(separator: ", ")), "table lacks \(settings(run))") }
    }

    func testTwelveRunsKeepOneDistinctStyleInEveryChart() throws {
        let (runs, html) = try sweepReport("run-colours")
        var styleOf: [Int: Set<String>] = [:]
        for svg in overlays(html, runs) {
            for (i, run) in runs.enumerated() {
                guard let e = entry(run, in: svg) else { XCTFail("run \(i) missing from \(SVGText.title(svg))"); continue }
                styleOf[i, default: []].insert(e.colour + "/" + e.dash)
            }
        }
        XCTAssertEqual(styleOf.count, runs.count)
        for (i, styles) in styleOf { XCTAssertEqual(styles.count, 1, "run \(i) changes style between charts: \(styles)") }
        let distinct = Set(styleOf.values.compactMap(\.first))
        XCTAssertEqual(distinct.count, runs.count, "12 runs share \(distinct.count) styles")
    }

    /// The accuracy chart's x axis is the training step: an evaluation at step 300 sits at the
    /// tick labelled 300, also when each run has one evaluation only.
    func testAccuracyIsPlottedAgainstTrainingSteps() throws {
        for evalSteps in [[100, 200, 300], [300]] {
            let (_, html) = try sweepReport("accuracy-steps-\(evalSteps.count)", evalSteps: evalSteps)
            let svg = try XCTUnwrap(SVGText.charts(html).first { SVGText.title($0) == "Test accuracy" })
            let texts = SVGText.texts(svg)
            XCTAssertTrue(texts.contains { $0.text == "training step" }, "x axis is not labelled in training steps")
            let tick = try XCTUnwrap(texts.first { $0.text == "300" }, "no tick at step 300: \(texts.map(\.text))")
            let dots = SVGText.matches(#"<circle cx="([0-9.]+)""#, svg).map { Double($0[1])! }
            XCTAssertEqual(dots.max() ?? 0, tick.x, accuracy: 1, "the last evaluation is not at step 300")
            if evalSteps.count == 1 { XCTAssertGreaterThan(dots.min() ?? 0, tick.x - 1, "single evaluations drawn at x = 0") }
        }
    }

    /// The top layer's gain is undefined (no layer above it): a healthy run shows no non-finite
    /// marker; a loss that really is NaN is still marked and counted.
    func testUndefinedValuesAreNotMarkedButNonFiniteOnesAre() throws {
        var c = RunConfig(); c.depth = 4; c.steps = 40
        let healthy = try ReportFixtures.writeRun(tempPath("healthy-run"), config: c, losses: (0..<40).map { 2 / Double($0 + 1) }, evals: [(40, 0.9)], layers: 5)
        let html = RunReport.html([healthy], title: "healthy")
        XCTAssertTrue(html.contains("gain"), "the gain series is drawn")
        XCTAssertFalse(html.contains("class=\"nonfinite\""), "a healthy run shows a non-finite marker")
        XCTAssertFalse(html.contains("non-finite)"), "a healthy run's legend counts non-finite values")
        let broken = try ReportFixtures.writeRun(tempPath("broken-run"), config: c, losses: (0..<40).map { $0 == 30 ? .nan : 1 }, evals: [(40, 0.1)], layers: 5)
        let bad = RunReport.html([broken], title: "broken")
        XCTAssertTrue(bad.contains("class=\"nonfinite\""))
        XCTAssertTrue(bad.contains("non-finite)"), "the legend does not count the NaN")
    }

    /// The sweep view: test accuracy over depth × σ_w², each cell the mean ± sample standard
    /// deviation over the two seeds.
    func testSweepViewShowsMeanAndSpreadOverSeeds() throws {
        let (_, html) = try sweepReport("sweep-view")
        let svg = try XCTUnwrap(SVGText.charts(html).first { SVGText.title($0).contains("accuracy") && $0.contains("sweep-cell") }, "no sweep view")
        let texts = SVGText.texts(svg).map(\.text)
        for axis in ["depth", "sigma-w2", "10", "30", "60", "1", "1.76"] { XCTAssertTrue(texts.contains(axis), "sweep view lacks \(axis): \(texts)") }
        XCTAssertEqual(svg.components(separatedBy: "class=\"sweep-cell\"").count - 1, 6)
        for depth in [10, 30, 60] {
            for sigma in [1.0, 1.76] {
                let a = [0, 1].map { ReportFixtures.accuracyAt(depth: depth, sigmaW2: sigma, seed: $0) }
                let mean = (a[0] + a[1]) / 2, sd = Swift.abs(a[0] - a[1]) / 2.0.squareRoot()
                let cell = String(format: "%.1f ± %.1f%%", mean * 100, sd * 100)
                XCTAssertTrue(texts.contains(cell), "no cell \(cell) for depth \(depth), σ_w² \(sigma): \(texts)")
            }
        }
        XCTAssertTrue(html.contains("over the point's 2 seeds"))
    }

    /// Layers read the same everywhere: heat-map rows "3 · layers.4", bars and line charts
    /// numbered from 1 at the first linear layer.
    func testLayersAreNumberedOneWay() throws {
        var c = RunConfig(); c.depth = 5; c.steps = 40
        let run = try ReportFixtures.writeRun(tempPath("layer-labels"), config: c, losses: Array(repeating: 1, count: 40), evals: [(40, 0.5)], layers: 6)
        let charts = SVGText.charts(RunReport.html([run], title: "layers"))
        let heat = try XCTUnwrap(charts.first { $0.contains("class=\"cell\"") })
        let rows = SVGText.texts(heat).map(\.text)
        for l in 1...6 { XCTAssertTrue(rows.contains(LayerLabel(index: l, name: "layers.\(2 * (l - 1))").text), "heat map lacks row \(l): \(rows)") }
        let product = try XCTUnwrap(charts.first { SVGText.title($0).contains("product of factors") })
        // The input layer's point sits at the tick labelled 1.
        // x-axis ticks lie right of the plot's left edge (y-axis ticks end left of it).
        let tick = try XCTUnwrap(SVGText.texts(product).first { ($0.text == "1" || $0.text == "2") && $0.x > 66 })
        let firstX = try XCTUnwrap(SVGText.matches(#"<path class="series" d="M([0-9.]+),"#, product).first.map { Double($0[1])! })
        let spacing = try XCTUnwrap(SVGText.matches(#"<path class="series" d="M[0-9.]+,[0-9.]+ L([0-9.]+),"#, product).first.map { Double($0[1])! - firstX })
        XCTAssertEqual(firstX + (Double(tick.text)! - 1) * spacing, tick.x, accuracy: 1, "layer 1 is not at x = 1")
    }
}
