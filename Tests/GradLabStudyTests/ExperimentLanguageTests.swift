import XCTest
import GradLab
import GradLabStudy

/// The experiment language and the load-time check of claims against it: every form, and every
/// error with its column and its fix.
final class ExperimentLanguageTests: XCTestCase {
    func assertError(_ experiment: String, claim: String? = nil, column: Int, _ problem: String, fix: String = "",
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try CardExperiment.check(experiment: experiment, claim: claim), file: file, line: line) { error in
            guard let e = error as? DeckError else { return XCTFail("not a DeckError: \(error)", file: file, line: line) }
            XCTAssertEqual(e.line, 0, file: file, line: line)
            XCTAssertEqual(e.column, column, "\(e)", file: file, line: line)
            XCTAssertTrue(e.problem.contains(problem), "\(e.problem) lacks \(problem)", file: file, line: line)
            XCTAssertTrue(fix.isEmpty || e.fix.contains(fix), "\(e.fix) lacks \(fix)", file: file, line: line)
        }
    }

    func testDemoNamesTheTwoDemoNetworks() throws {
        let spec = try ExperimentSpec.parse("demo")
        XCTAssertTrue(spec.isDemo)
        XCTAssertEqual(spec.runs.map(\.name), ["bad", "good"])
        XCTAssertEqual(spec.runs.map(\.config.activation), [.sigmoid, .relu])
        XCTAssertEqual(spec.runs.map(\.config.initializer), [.normal, .heNormal])
        XCTAssertEqual(spec.runs.map(\.config.depth), [20, 20])
        XCTAssertEqual(spec.runs.map(\.config.steps), [0, 0])
        let trained = try ExperimentSpec.parse("demo steps=300 depth=10")
        XCTAssertEqual(trained.runs.map(\.config.steps), [300, 300])
        XCTAssertEqual(trained.runs.map(\.config.depth), [10, 10])
        XCTAssertEqual(trained.runs.map(\.config.lr), [0.1, 0.02])
    }

    func testNamedAndUnnamedRuns() throws {
        let spec = try ExperimentSpec.parse("bad = depth=20 activation=sigmoid init=normal sigma-w2=1; good=depth=20 activation=relu init=he-normal steps=50")
        XCTAssertEqual(spec.runs.map(\.name), ["bad", "good"])
        XCTAssertEqual(spec.runs[0].config.sigmaW2, 1)
        XCTAssertEqual(spec.runs[0].config.steps, 0, "steps defaults to 0: probe only")
        XCTAssertEqual(spec.runs[1].config.steps, 50)
        XCTAssertEqual(spec.runs[1].config.evalEvery, 0, "evaluated once, at the end")
        XCTAssertEqual(spec.runs[1].config.probeEvery, 1)
        XCTAssertEqual(spec.runs[1].settings.map { $0.0 }, ["depth", "activation", "init", "steps"])
        let single = try ExperimentSpec.parse("depth=3 width=16")
        XCTAssertEqual(single.runs.map(\.name), [""])
        XCTAssertEqual(single.run(named: nil)?.config.width, 16)
        XCTAssertNil(spec.run(named: nil), "with two runs a claim must name one")
        XCTAssertEqual(try ExperimentSpec.parse("deep =depth=30").runs.map(\.name), ["deep"])
        XCTAssertEqual(try ExperimentSpec.parse("deep= depth=30").runs.map(\.name), ["deep"])
    }

    func testLinearLayerCountsMatchTheProbe() throws {
        for (text, layers) in [("depth=4", 5.0), ("model=resmlp depth=3", 8.0), ("model=rnn-tanh data=adding seq-len=10", 1.0)] {
            let outcome = try CardExperiment.run(experiment: text + " width=8", claim: "layers > 0", version: "t", cacheDirectory: nil)
            XCTAssertEqual(Double(outcome.runs[0].layers.count), layers, text)
            XCTAssertEqual(ExperimentSpec.linearLayers(try ExperimentSpec.parse(text).runs[0].config), Int(layers), text)
        }
    }

    func testExperimentErrors() {
        assertError("", column: 1, "the experiment is empty")
        assertError("depth=3 dept=4", column: 9, "unknown config key 'dept'", fix: "did you mean depth?")
        assertError("depth=3 activation=sigmoidd", column: 20, "activation 'sigmoidd' is not known", fix: "activation")
        assertError("depth=3 width=wide", column: 15, "key 'width' must be an integer", fix: "width")
        assertError("depth=-1", column: 7, "depth -1 must be in 0…10000")
        assertError("depth 20", column: 1, "'depth' is not a setting", fix: "key=value")
        assertError("depth=3 depth=4", column: 9, "key 'depth' is set twice")
        assertError("a = depth=3; a = depth=4", column: 14, "run 'a' is named twice")
        assertError("a = depth=3; depth=4", column: 14, "with several runs every run needs a name")
        assertError("a = depth=3;; b = depth=4", column: 12, "an empty run between ';'")
        assertError("depth = width=3", column: 1, "'depth' cannot name a run")
        assertError("2x = depth=3", column: 1, "run name '2x' must be letters")
        assertError("demo; b = depth=3", column: 5, "'demo' already names its two runs")
        assertError("demo depthh=3", column: 6, "unknown config key 'depthh'", fix: "did you mean depth?")
        assertError("model=lstm", column: 7, "model 'lstm' reads sequences", fix: "change the setting")
    }

    func testClaimCheckErrors() {
        assertError("demo", claim: "grad_nrom(bad, layer 1) < 1", column: 1, "unknown quantity 'grad_nrom'", fix: "did you mean grad_norm? known: grad_norm, delta_norm")
        assertError("demo", claim: "grad_norm(bda, layer 1) < 1", column: 11, "unknown run 'bda'", fix: "did you mean bad? runs: bad, good")
        assertError("demo", claim: "grad_norm(bad, layer 22) < 1", column: 16, "layer 22 does not exist: run 'bad' has 21 linear layers", fix: "layer 1…21")
        assertError("depth=3", claim: "1 < grad_norm(layer 5)", column: 15, "layer 5 does not exist: the run has 4 linear layers")
        assertError("demo", claim: "grad_norm(layer 1) < 1", column: 1, "grad_norm needs a run: the experiment has 2", fix: "grad_norm(bad, layer 1)")
        assertError("demo", claim: "grad_norm(bad) < 1", column: 1, "grad_norm needs a layer", fix: "grad_norm(bad, layer 1)")
        assertError("demo", claim: "test_accuracy(bad, layer 2) < 1", column: 20, "test_accuracy is not measured per layer")
        assertError("demo", claim: "grad_norm(bad, layer 1, layer 2) < 1", column: 25, "grad_norm takes one layer")
        assertError("demo", claim: "test_loss(bad, good) < 1", column: 16, "test_loss takes one run")
        assertError("depth=3", claim: "test_loss(bad) < 1", column: 11, "unknown run 'bad'", fix: "one unnamed run")
        assertError("demo", claim: "bad < 1", column: 1, "'bad' is a run, not a quantity", fix: "test_accuracy(bad)")
        assertError("demo", claim: "final_loss(bad) < 1", column: 1, "final_loss is measured by training, but run 'bad' has steps=0", fix: "steps=N")
        assertError("depth=3", claim: "update_ratio(layer 1) < 1", column: 1, "update_ratio is measured by training")
        assertError("depth=3", claim: "time_ratio < 1", column: 1, "time_ratio needs a recurrent model")
        assertError("model=rnn-tanh data=adding seq-len=10", claim: "chi1 < 1", column: 1, "chi1 has no mean-field value")
        assertError("demo", claim: "verdict(bad, vanish) > 0", column: 14, "unknown verdict kind 'vanish'", fix: "did you mean vanishing?")
        assertError("demo", claim: "verdict(bad) > 0", column: 1, "verdict needs a kind")
        assertError("demo", claim: "verdict(bad, vanishing, exploding) > 0", column: 25, "verdict takes one kind")
        assertError("demo", claim: "1 < ", column: 5, "expected a number")
        XCTAssertNoThrow(try CardExperiment.check(experiment: "demo", claim: "verdict(bad, dead_relu) < 1 and grad_norm(good, layer last) > 0"))
        XCTAssertNoThrow(try CardExperiment.check(experiment: "demo", claim: nil))
    }

    func testDeckErrorsPointIntoTheFile() throws {
        func error(_ text: String) -> DeckError? {
            do { _ = try DeckParser.parse(text, file: "notes.md"); return nil } catch { return error as? DeckError }
        }
        let claim = error("q :: a\nexperiment: demo\nclaim:  grad_nrom(bad, layer 1) < 1\n")
        XCTAssertEqual(claim?.line, 3)
        XCTAssertEqual(claim?.column, 9)
        XCTAssertEqual(claim?.description.hasPrefix("notes.md:3:9: unknown quantity 'grad_nrom' — did you mean grad_norm?"), true, claim?.description ?? "no error")
        let experiment = error("q :: a\nexperiment: depth=3 dept=4\nclaim: layers > 1\n")
        XCTAssertEqual(experiment.map { [$0.line, $0.column] }, [2, 21])
        let layer = error("q :: a\nexperiment: depth=3\nclaim: grad_norm(layer 9) > 0\n")
        XCTAssertEqual(layer.map { [$0.line, $0.column] }, [3, 18])
        let deck = try DeckParser.parse("q :: a\nexperiment: depth=3\nclaim: grad_norm(layer last) > 0\n", file: "notes.md")
        XCTAssertEqual(deck.cards.first?.experiment, "depth=3")
        XCTAssertEqual(deck.cards.first?.claim, "grad_norm(layer last) > 0")
    }
}
