import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabStore

/// What every `RunStore` must do, the same for SQLite and PostgreSQL: each store's test class
/// calls these with a fresh store.
enum RunStoreConformance {
    static func config(_ edit: (inout RunConfig) -> Void) -> RunConfig {
        var c = RunConfig()
        c.data = .spirals; c.samples = 128; c.depth = 2; c.width = 16; c.steps = 20; c.batch = 32; c.evalEvery = 10
        edit(&c)
        return c
    }

    /// `runs --json` wrote every config value as a string ("depth": "2").
    /// A tiny run trained 20 steps and recorded with its probe every 2 steps.
    static func recordProbedRun(_ store: any RunStore) throws -> (RunRecorder, Probe) {
        let cfg = config { _ in }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try cfg.build()
        let probe = try Probe(model: trainer.model, options: Probe.Options(every: 2))
        probe.attach(to: trainer)
        let recorder = try RunRecorder(store: store, name: "tiny", config: cfg, flushEvery: 8)
        recorder.attach(to: trainer); recorder.attach(to: probe)
        try recorder.finish(history: try trainer.fit(train, test: test, steps: cfg.steps))
        return (recorder, probe)
    }

    static func summaryJSONKeepsConfigTypes(_ store: any RunStore) throws {
        let id = try store.createRun(NewRun(name: "typed", config: config { $0.lr = 0.01; $0.standardize = true }, tags: ["t"]))
        let json = try JSONSerialization.jsonObject(with: JSONEncoder.records.encode(try store.run(id).summary)) as? [String: Any]
        let c = try XCTUnwrap(json?["config"] as? [String: Any])
        XCTAssertEqual(c["depth"] as? Int, 2)
        XCTAssertEqual(c["lr"] as? Double, 0.01)
        XCTAssertEqual(c["activation"] as? String, "relu")
        XCTAssertTrue(c["standardize"] is Bool, "\(type(of: c["standardize"]!))")
        XCTAssertNil(c["depth"] as? String)
    }

    static func createListFilterCompare(_ store: any RunStore) throws {
        let a = try store.createRun(NewRun(name: "relu-a", experiment: "act", config: config { $0.activation = .relu }, tags: ["x", "x", "y"]))
        let b = try store.createRun(NewRun(name: "tanh-b", experiment: "act", config: config { $0.activation = .tanh; $0.lr = 0.01 }))
        let c = try store.createRun(NewRun(name: "other", experiment: "depth", config: config { $0.depth = 8 }))
        XCTAssertTrue(a < b && b < c, "ids increase: \([a, b, c])")
        try store.appendMetrics(a, (0..<5).map { MetricRow(step: $0, loss: 1 / Double($0 + 1), accuracy: 0.5) })
        try store.appendMetrics(a, [MetricRow(step: 4, loss: 0.1), MetricRow(step: 5, loss: .nan)])   // step 4 again: replaced
        try store.finishRun(a, status: .finished, final: FinalMetrics(loss: 0.2, accuracy: 0.9, wallSeconds: 1.5))
        try store.finishRun(b, status: .failed, final: FinalMetrics(loss: .infinity), message: "loss became inf")

        XCTAssertEqual(try store.listRuns().map(\.id), [c, b, a], "newest first")
        XCTAssertEqual(try store.listRuns(RunFilter(experiment: "act")).map(\.id), [b, a])
        XCTAssertEqual(try store.listRuns(RunFilter(status: .running)).map(\.id), [c])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("activation", "relu")])).map(\.id), [c, a])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [RunFilter.condition("lr=1e-2")])).map(\.id), [b], "numbers match by value")
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("depth", "8"), ("activation", "relu")])).map(\.id), [c])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("standardize", "false")])).count, 3, "booleans as true/false")
        XCTAssertEqual(try store.listRuns(RunFilter(nameContains: "TANH")).map(\.id), [b])
        XCTAssertEqual(try store.listRuns(RunFilter(tag: "y")).map(\.id), [a])
        XCTAssertEqual(try store.listRuns(RunFilter(limit: 1)).map(\.id), [c])
        XCTAssertThrowsError(try store.listRuns(RunFilter(config: [("activaton", "relu")]))) {
            XCTAssertTrue("\($0)".contains("no run has the config key 'activaton'"), "\($0)")
        }
        XCTAssertThrowsError(try RunFilter.condition("relu"))
        XCTAssertThrowsError(try RunStatus.named("done")) { XCTAssertTrue("\($0)".contains("allowed: running")) }

        let detail = try store.run(a)
        XCTAssertEqual(detail.summary.status, .finished)
        XCTAssertEqual(detail.summary.tags, ["x", "y"])
        XCTAssertEqual(detail.summary.steps, 6)
        XCTAssertEqual(detail.summary.final, FinalMetrics(loss: 0.2, accuracy: 0.9, wallSeconds: 1.5))
        XCTAssertEqual(detail.metrics.map(\.step), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(detail.metrics[4].loss, 0.1)
        XCTAssertNil(detail.metrics[5].loss, "NaN reads back as missing")
        XCTAssertEqual(detail.summary.config["activation"], "relu")
        XCTAssertEqual(detail.summary.config["lr"], "0.001")
        XCTAssertEqual(detail.summary.config["depth"], "2")
        XCTAssertEqual(detail.summary.config["warmup"], "0", "0 is a number, not false")
        XCTAssertEqual(detail.summary.config["standardize"], "false")
        XCTAssertEqual(try store.run(b).summary.final.loss, .infinity)
        XCTAssertEqual(try store.run(b).summary.message, "loss became inf")

        let cmp = try store.compare([a, b, c])
        XCTAssertEqual(cmp.runs.map(\.id), [a, b, c])
        XCTAssertEqual(cmp.differing.map(\.key), ["activation", "depth", "lr"])
        XCTAssertEqual(cmp.differing[0].values, ["relu", "tanh", "relu"])
        XCTAssertThrowsError(try store.compare([a]))
        XCTAssertThrowsError(try store.compare([a, 999])) { XCTAssertTrue("\($0)".contains("no run with id 999"), "\($0)") }
        XCTAssertThrowsError(try store.run(999))
        XCTAssertThrowsError(try store.appendMetrics(999, [MetricRow(step: 0, loss: 1)]))
        XCTAssertThrowsError(try store.finishRun(a, status: .running, final: FinalMetrics()))
        XCTAssertThrowsError(try store.createRun(NewRun(name: "bad", configJSON: "[1, 2]")))

        // Verdicts and artifacts round-trip.
        let verdict = try JSONDecoder().decode(Verdict.self, from: Data("""
            {"kind": "vanishing", "layers": [1, 2], "firstStep": 0, "predicted": true, "evidence": "‖∇W₁‖/‖∇W_L‖ = 1e-5",
             "explanation": "small weights", "remedies": ["use he-normal"]}
            """.utf8))
        try store.recordVerdicts(c, [verdict])
        try store.recordArtifact(c, Artifact(kind: "checkpoint", path: "other/model.safetensors"))
        XCTAssertEqual(try store.run(c).verdicts, [verdict])
        XCTAssertEqual(try store.run(c).artifacts, [Artifact(kind: "checkpoint", path: "other/model.safetensors")])
    }

    /// A tiny MLP trained 20 steps with a probe, recorded in batches: every step's metrics, one
    /// probe row per step and layer, the evaluations, and the final metrics from the last one.
    static func recordsARealTrainingRun(_ store: any RunStore) throws {
        let cfg = config { _ in }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try cfg.build()
        let probe = try Probe(model: trainer.model, options: Probe.Options(every: 2))
        probe.attach(to: trainer)
        let recorder = try RunRecorder(store: store, name: "tiny", experiment: "unit", config: cfg, tags: ["test"], flushEvery: 8)
        recorder.attach(to: trainer)
        recorder.attach(to: probe)
        let history = try trainer.fit(train, test: test, steps: cfg.steps, evalEvery: cfg.evalEvery)
        // Batches are written as training goes, before the end.
        XCTAssertEqual(try store.run(recorder.runID).metrics.count, 16)
        let final = try recorder.finish(history: history, verdicts: Diagnosis.run(probe.steps))
        try recorder.recordArtifact(kind: "probe", path: "tiny/probe.jsonl")

        let d = try store.run(recorder.runID)
        XCTAssertEqual(d.summary.status, .finished)
        XCTAssertEqual(d.summary.steps, 20)
        XCTAssertEqual(d.metrics.map(\.step), Array(0..<20))
        for (m, r) in zip(d.metrics, history.steps) {
            XCTAssertEqual(m.loss, r.loss); XCTAssertEqual(m.gradNorm, r.gradNorm); XCTAssertEqual(m.learningRate, r.learningRate)
        }
        XCTAssertEqual(d.evals.map(\.step), [10, 20])
        XCTAssertEqual(final.loss, history.evals.last!.loss)
        XCTAssertEqual(d.summary.final.accuracy, history.evals.last!.accuracy)
        XCTAssertGreaterThan(d.summary.final.wallSeconds ?? 0, 0)
        let layers = probe.layerNames.count
        XCTAssertEqual(layers, 3)
        XCTAssertEqual(d.probeRows, 10 * layers, "steps 0, 2, …, 18 × Dense layers")
        XCTAssertEqual(d.artifacts.map(\.kind), ["probe"])
        XCTAssertEqual(try store.listRuns(RunFilter(config: [("activation", "relu")], tag: "test")).map(\.name), ["tiny"])
    }

    /// A recurrent run's through-time probe records land in time_probe.
    static func recordsThroughTimeProbe(_ store: any RunStore) throws {
        let cfg = config { $0.model = .rnnTanh; $0.data = .sequence(.adding); $0.seqLen = 24; $0.samples = 32; $0.depth = 1; $0.width = 8; $0.steps = 3; $0.batch = 16 }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try cfg.build()
        let probe = try Probe(model: trainer.model)
        probe.attach(to: trainer)
        let recorder = try RunRecorder(store: store, name: "rnn", config: cfg)
        recorder.attach(to: trainer); recorder.attach(to: probe)
        try recorder.finish(history: try trainer.fit(train, test: test, steps: cfg.steps))
        XCTAssertEqual(try store.run(recorder.runID).timeProbeRows, 3)
    }


    /// A resumed point writes its end again: metrics rows, verdicts and artifacts are kept once.
    static func endWrittenTwiceIsKeptOnce(_ store: any RunStore) throws {
        let id = try store.createRun(NewRun(name: "twice", config: config { _ in }))
        let verdict = Verdict(.vanishing, layers: [1], firstStep: 0, predicted: false, evidence: "e", explanation: "x", remedies: [])
        for _ in 0..<2 {
            try store.appendMetrics(id, (0..<3).map { MetricRow(step: $0, loss: Double($0)) })
            try store.appendEvals(id, [EvalRow(step: 3, loss: 0.5, accuracy: 0.75)])
            try store.recordVerdicts(id, [verdict])
            try store.recordArtifact(id, Artifact(kind: "metrics", path: "p/metrics.jsonl"))
            try store.finishRun(id, status: .finished, final: FinalMetrics(loss: 0.5, accuracy: 0.75, wallSeconds: 1))
        }
        let d = try store.run(id)
        XCTAssertEqual(d.metrics.map(\.step), [0, 1, 2])
        XCTAssertEqual(d.evals, [EvalRow(step: 3, loss: 0.5, accuracy: 0.75)])
        XCTAssertEqual(d.verdicts, [verdict])
        XCTAssertEqual(d.artifacts, [Artifact(kind: "metrics", path: "p/metrics.jsonl")])
        XCTAssertEqual(d.summary.steps, 3)
        try store.recordVerdicts(id, [])
        XCTAssertEqual(try store.run(id).verdicts, [], "an empty set replaces the earlier one")
    }
}
