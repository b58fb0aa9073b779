import XCTest
import GradLab

/// Real learning, determinism, checkpoints and exact resume.
final class TrainingTests: XCTestCase {
    func config(_ edit: (inout RunConfig) -> Void) -> RunConfig {
        var c = RunConfig()
        edit(&c)
        return c
    }

    func testTwoHiddenLayerMLPReaches97PercentOnDigits() throws {
        let c = config { $0.data = .digits; $0.depth = 2; $0.width = 128; $0.optimizer = .adam; $0.lr = 1e-3; $0.steps = 1500; $0.batch = 64; $0.seed = 1 }
        let (trainer, train, test): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try trainer.fit(train, steps: c.steps)
        let acc = trainer.evaluate(test).accuracy!
        XCTAssertGreaterThanOrEqual(acc, 0.97, "digits test accuracy \(acc)")
    }

    func testTwoSpiralsReach99PercentTrainingAccuracy() throws {
        let c = config { $0.data = .spirals; $0.samples = 1000; $0.depth = 3; $0.width = 64; $0.activation = .relu
            $0.initializer = .heNormal; $0.optimizer = .adam; $0.lr = 5e-3; $0.steps = 3000; $0.batch = 100; $0.seed = 2 }
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try trainer.fit(train, steps: c.steps)
        let acc = trainer.evaluate(train).accuracy!
        XCTAssertGreaterThanOrEqual(acc, 0.99, "spirals training accuracy \(acc)")
    }

    func run(_ c: RunConfig, threads: Int = 1) throws -> [Tensor<Float>] {
        Backend.setThreads(threads)
        defer { Backend.setThreads(1) }
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try trainer.fit(train, steps: c.steps)
        return trainer.model.parameters.map(\.value)
    }

    func testSameSeedGivesBitIdenticalParametersOnAnyThreadCount() throws {
        let c = config { $0.data = .digits; $0.depth = 3; $0.width = 96; $0.dropout = 0.1; $0.optimizer = .momentum; $0.lr = 0.05; $0.steps = 60; $0.seed = 4 }
        let first = try run(c), second = try run(c), threaded = try run(c, threads: 2)
        XCTAssertEqual(first, second)
        XCTAssertEqual(first, threaded)
        var other = c; other.seed = 5
        XCTAssertNotEqual(try run(other), first)
    }

    func testCheckpointRoundTripAndExactResume() throws {
        let c = config { $0.data = .spirals; $0.samples = 300; $0.depth = 2; $0.width = 32; $0.optimizer = .adam; $0.dropout = 0.1; $0.steps = 40; $0.seed = 3 }
        let path = tempPath("resume.safetensors")
        // Uninterrupted run.
        let (full, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try full.fit(train, steps: 40)
        // Interrupted at 25, saved, loaded into a fresh model, continued to 40.
        let (first, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        _ = try first.fit(train, steps: 25, checkpoint: path, checkpointEvery: 25)
        let (second, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        try second.resume(from: path)
        XCTAssertEqual(second.optimizer.step, 25)
        XCTAssertEqual(second.model.parameters.map(\.value), first.model.parameters.map(\.value))
        _ = try second.fit(train, steps: 40)
        XCTAssertEqual(second.model.parameters.map(\.value), full.model.parameters.map(\.value))
        // Names and shapes are checked.
        let (wrong, _, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try config { $0.data = .spirals; $0.samples = 300; $0.depth = 3; $0.width = 32 }.build()
        XCTAssertThrowsError(try wrong.resume(from: path)) { XCTAssertTrue("\($0)".contains("layers."), "\($0)") }
    }

    func testSafeTensorsFormat() throws {
        let t: [String: Tensor<Float>] = ["layers.0.weight": Tensor([[1, 2], [3, 4]]), "layers.0.bias": Tensor([0.5, -1])]
        let data = try SafeTensors.encode(t, metadata: ["step": "7"])
        // Header: u64 little-endian length, JSON, 8-byte aligned data.
        let n = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(n % 8, 0)
        let header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as! [String: Any]
        let w = header["layers.0.weight"] as! [String: Any]
        XCTAssertEqual(w["dtype"] as? String, "F32"); XCTAssertEqual(w["shape"] as? [Int], [2, 2])
        XCTAssertEqual(data.count, 8 + n + 6 * 4)
        let (back, meta): ([String: Tensor<Float>], [String: String]) = try SafeTensors.decode(data)
        XCTAssertEqual(back, t); XCTAssertEqual(meta["step"], "7")
        XCTAssertThrowsError(try { let _: ([String: Tensor<Float>], [String: String]) = try SafeTensors.decode(Data([1, 2, 3])) }())
    }

    func testModelSummaryListsShapesAndCounts() throws {
        var rng = SeededRandom(seed: 1)
        let m = Sequential<Float>.mlp(inputs: 64, width: 32, depth: 2, outputs: 10, activation: .relu, initializer: .heNormalReLU, rng: &rng)
        let table = try m.summaryTable(input: [8, 64])
        XCTAssertTrue(table.contains("layers.0") && table.contains("Dense(64 → 32)") && table.contains("[8, 10]"), table)
        let count: Int = (64 * 32 + 32) + (32 * 32 + 32) + (32 * 10 + 10)
        XCTAssertTrue(table.contains("total parameters: \(count)"), table)
        XCTAssertEqual(m.namedParameters.map(\.name), ["layers.0.weight", "layers.0.bias", "layers.2.weight", "layers.2.bias", "layers.4.weight", "layers.4.bias"])
        XCTAssertThrowsError(try m.summaryTable(input: [8, 63])) { XCTAssertTrue("\($0)".contains("expected [batch, 64]")) }
    }

    func testNonFiniteLossStopsWithAReason() throws {
        let c = config { $0.data = .spirals; $0.samples = 200; $0.depth = 6; $0.width = 64; $0.initializer = .normal; $0.sigmaW2 = 40
            $0.optimizer = .sgd; $0.lr = 10; $0.steps = 200; $0.activation = .relu }
        let (trainer, train, _): (Trainer<Float>, Dataset<Float>, Dataset<Float>) = try c.build()
        let h = try trainer.fit(train, steps: c.steps)
        XCTAssertNotNil(h.stopReason)
        XCTAssertTrue(h.stopReason!.contains("lower the learning rate"))
    }

    func testConfigValidationNamesTheProblem() throws {
        func message(_ edit: (inout RunConfig) -> Void) -> String {
            do { try config(edit).validate(); return "valid" } catch { return "\(error)" }
        }
        func setting(_ key: String, _ value: String) -> String {
            do { try RunConfig().applying([key: .string(value)]).validate(); return "valid" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { _ in }, "valid")
        XCTAssertTrue(setting("activation", "swish").contains("allowed: identity"))
        XCTAssertTrue(message { $0.lr = -1 }.contains("lr -1.0"))
        XCTAssertTrue(setting("optimizer", "lbfgs").contains("allowed: sgd"))
        XCTAssertTrue(setting("data", "mnist").contains("allowed: digits"))
        XCTAssertTrue(message { $0.clipNorm = 1; $0.clipValue = 1 }.contains("not both"))
        let file = tempPath("bad.json")
        try #"{"depth": 3, "widht": 10}"#.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunConfig.load(file)) { XCTAssertTrue("\($0)".contains("unknown key 'widht'"), "\($0)") }
        try #"{"depth": "three"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try RunConfig.load(file)) { XCTAssertTrue("\($0)".contains("'depth' must be an integer"), "\($0)") }
        try #"{"depth": 3, "activation": "tanh", "init": "orthogonal"}"#.write(toFile: file, atomically: true, encoding: .utf8)
        let c = try RunConfig.load(file)
        XCTAssertEqual(c.depth, 3); XCTAssertEqual(c.initializer, .orthogonal); XCTAssertEqual(c.width, RunConfig().width)
    }
}
import Foundation
