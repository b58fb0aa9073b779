import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabExperiments
import GradLabKit

/// The seams between modules: one config, one resolution, one set of verdicts, one run directory,
/// whichever path runs it.
final class SeamTests: XCTestCase {
    var binary: URL { gradlabBinary }

    func run(_ args: [String]) throws -> (status: Int32, out: String, err: String) { try runGradlab(args) }

    /// Every key of the table reads back what it wrote, through JSON, and `values` covers them all.
    func testKeyTableRoundTripsEveryKey() throws {
        var c = RunConfig()
        c.data = .sequence(.temporalOrder); c.model = .gru; c.recurrentInit = .orthogonal; c.recurrentScale = 0.9
        c.branchScale = .value(0.5); c.initializer = .lecunNormal; c.optimizer = .nesterov; c.schedule = .cosine; c.probeEvery = 7
        c.clipNorm = 2; c.standardize = true
        let back = try JSONDecoder().decode(RunConfig.self, from: JSONEncoder().encode(c))
        XCTAssertEqual(back, c)
        XCTAssertEqual(Set(RunConfig.keyNames).count, RunConfig.keys.count)
        XCTAssertTrue(RunConfig.keyNames.contains("probe-every"))
        // A wrong type names the key and the value; the error carries both for file readers.
        XCTAssertThrowsError(try RunConfig().applying(["depth": .number(2.5)])) { e in
            guard case let GradLabError.badValue(key, value, message) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(key, "depth"); XCTAssertEqual(value, "2.5"); XCTAssertTrue(message.contains("integer"), message)
        }
        XCTAssertThrowsError(try { var x = RunConfig(); x.lr = -1; try x.validate() }()) { e in
            guard case GradLabError.badValue("lr", _, _) = e else { return XCTFail("\(e)") }
        }
    }

    /// `init: edge-of-chaos` in experiment YAML resolves like `gradlab train --init edge-of-chaos`.
    func testExperimentYAMLTakesTheEdgeOfChaos() throws {
        let e = try Experiment.parse("""
            name: eoc
            base: {data: xor, depth: 3, width: 16, activation: tanh, init: edge-of-chaos, sigma-b2: 0.05, steps: 5}
            """, source: "eoc.yaml")
        let p = try XCTUnwrap(e.points().first)
        var flagged = RunConfig(); flagged.data = .xor; flagged.depth = 3; flagged.width = 16; flagged.activation = .tanh
        flagged.initializer = .edgeOfChaos; flagged.sigmaB2 = 0.05; flagged.steps = 5; flagged.probeEvery = e.probeEvery
        XCTAssertEqual(p.config, try flagged.resolved())
        XCTAssertEqual(p.config.initializer, .normal)
        XCTAssertEqual(p.config.sigmaW2, 1.760955, accuracy: 1e-4)
        // An init the theory cannot resolve is named with its line.
        XCTAssertThrowsError(try Experiment.parse("name: x\nbase:\n  sigma-b2: 0.5\n  init: edge-of-chaos\n  activation: sigmoid\n", source: "x.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("x.yaml:4:") && "\($0)".contains("no critical σ_w²"), "\($0)")
        }
    }

    /// One config, one set of verdicts: `diagnose`, `train --diagnose` and `run` go through the
    /// same diagnostic session.
    func testOneConfigGivesTheSameVerdictsThroughEveryCommand() throws {
        guard FileManager.default.fileExists(atPath: binary.path) else { throw XCTSkip("gradlab executable not built") }
        let root = tempPath("seam-verdicts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let config = #"{"data": "circles", "samples": 256, "depth": 8, "width": 16, "activation": "sigmoid", "init": "normal", "sigma-w2": 1, "optimizer": "sgd", "lr": 0.1, "steps": 60, "probe-every": 2}"#
        let file = (root as NSString).appendingPathComponent("run.json")
        try config.write(toFile: file, atomically: true, encoding: .utf8)

        let d = try run(["diagnose", file, "--json"])
        XCTAssertEqual(d.status, 1, d.err)
        struct Report: Decodable { var verdicts: [Verdict] }
        let diagnosed = try JSONDecoder.records.decode(Report.self, from: Data(d.out.utf8)).verdicts.map(\.line)
        XCTAssertFalse(diagnosed.isEmpty)

        let t = try run(["train", "--config", file, "--diagnose", "--no-progress"])
        XCTAssertEqual(t.status, 0, t.err)
        let trained = t.out.split(separator: "\n").filter { $0.hasPrefix("✗ ") }.map { String($0.dropFirst(2)) }

        let yaml = (root as NSString).appendingPathComponent("exp.yaml")
        try "name: same\nbase: \(config)\n".write(toFile: yaml, atomically: true, encoding: .utf8)
        let r = try run(["run", yaml, "--dir", root, "--no-progress"])
        XCTAssertEqual(r.status, 0, r.err)
        let dir = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: (root as NSString).appendingPathComponent("same")).first { $0.hasPrefix("0000-") })
        let swept = try RunDirectory(((root as NSString).appendingPathComponent("same") as NSString).appendingPathComponent(dir)).readVerdicts().map(\.line)

        XCTAssertEqual(trained, diagnosed)
        XCTAssertEqual(swept, diagnosed)
    }

    /// A run whose loss becomes NaN is recorded, and every file reads back (NaN as NaN).
    func testANaNLossIsRecordedAndReadBack() throws {
        let dir = RunDirectory(tempPath("seam-nan-\(UUID().uuidString)"))
        try FileManager.default.createDirectory(atPath: dir.path, withIntermediateDirectories: true)
        var c = RunConfig()
        c.data = .blobs; c.samples = 128; c.depth = 3; c.width = 16; c.inputScale = 1e30   // overflows Float at once
        c.optimizer = .sgd; c.lr = 0.1; c.steps = 60; c.evalEvery = 0
        try dir.write(config: c)
        let store = tempPath("seam-nan-store-\(UUID().uuidString)")
        let result = try PointJob.run(dir, name: "nan", store: store, experiment: nil)
        XCTAssertTrue(result.status.hasPrefix("stopped"), result.status)
        let metrics = try dir.readMetrics()
        XCTAssertTrue(metrics.contains { !$0.loss.isFinite }, "a non-finite loss is kept")
        XCTAssertEqual(metrics.count, result.steps)
        XCTAssertTrue(try dir.readVerdicts().contains { $0.kind == .nonFinite })
        XCTAssertFalse(try dir.readProbe().isEmpty)
        XCTAssertEqual(try dir.readConfig(), try c.resolved())
        XCTAssertNotNil(dir.readResult()?.inputVariance)
    }

    /// A layer type written only in this test: it declares its probe role and is probed, with no
    /// change to the probe.
    func testALayerTypeDefinedHereIsProbed() throws {
        final class PlainLinear: Layer {
            let weight: Parameter<Float>
            init(_ inputs: Int, _ outputs: Int, rng: inout SeededRandom) {
                weight = Parameter(Tensor<Float>.normal([outputs, inputs], rng: &rng).map { $0 / Float(inputs).squareRoot() })
            }
            func forward(_ x: Var<Float>) -> Var<Float> { x.linear(weight: x.tape.parameter(weight), bias: nil) }
            var namedParameters: [(name: String, parameter: Parameter<Float>)] { [("weight", weight)] }
            var summary: String { "PlainLinear" }
            func outputShape(for input: [Int]) throws -> [Int] { [input[0], weight.value.shape[0]] }
            var probeRole: ProbeRole<Float> { .linear(weight: weight, bias: nil) }
        }
        var rng = SeededRandom(seed: 21)
        let model = Sequential<Float>([PlainLinear(4, 16, rng: &rng), Activation<Float>(.tanh), PlainLinear(16, 16, rng: &rng),
                                       Activation<Float>(.tanh), PlainLinear(16, 2, rng: &rng)])
        let data: Dataset<Float> = SyntheticData.teacherStudent(samples: 64, inputs: 4, outputs: 2, seed: 22)
        let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.05), parameters: model.namedParameters), batchSize: 64, seed: 0)
        let probe = try Probe(model: model)
        XCTAssertEqual(probe.layerNames, ["layers.0", "layers.2", "layers.4"])
        let look = probe.measureOnce(trainer: trainer, batch: data)
        let first = try XCTUnwrap(model.layers[0].namedParameters.first?.parameter.grad)
        XCTAssertEqual(look.layers[0].gradNorm, first.norm, accuracy: 1e-6 * first.norm)
        XCTAssertEqual(look.layers[0].activation, "tanh")
        XCTAssertGreaterThan(look.layers[0].deltaNorm, 0)
        probe.attach(to: trainer)
        _ = try trainer.fit(data, steps: 3)
        XCTAssertEqual(probe.steps.count, 1 + 3)
        XCTAssertTrue(probe.steps.last!.layers.allSatisfy { $0.gradNorm > 0 && $0.updateNorm > 0 })
    }

    /// A resumed run's look before training is taken on the resumed weights, at the resumed step.
    func testAResumedProbedRunLooksAtTheResumedWeights() throws {
        var c = RunConfig(); c.data = .blobs; c.samples = 128; c.depth = 2; c.width = 16; c.steps = 20; c.evalEvery = 0
        let (t, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.resolved().build()
        _ = try t.fit(train, steps: 10)
        let path = tempPath("seam-resume-\(UUID().uuidString).safetensors")
        try t.saveCheckpoint(path)
        let session = try DiagnosticSession(c, resume: path)
        XCTAssertEqual(session.trainer.optimizer.step, 10)
        let first = try XCTUnwrap(t.model.namedParameters.first { $0.name.hasSuffix("weight") }?.parameter)
        XCTAssertEqual(session.initial.layers[0].weightNorm, first.value.norm)
        XCTAssertEqual(session.initial.beforeTraining, true)
        XCTAssertEqual(try session.run().history.steps.count, 10)
    }
}
