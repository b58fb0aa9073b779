import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports
import GradLabKit

/// What a recorded run shows in TensorBoard: tags in layer order, test-set scalars, the
/// through-time gradient of a recurrent net, and a sweep's folders and HParams records as
/// TensorBoard itself reads them.
final class TensorBoardRunTests: XCTestCase {
    func logged(_ config: RunConfig) throws -> (events: [EventFileReader.Event], run: DiagnosticRun) {
        let dir = tempPath("tb-run-\(UUID().uuidString)")
        let session = try DiagnosticSession(config)
        let outputs = try RunOutputs(session: session, name: "t", store: nil, tensorboard: dir)
        let run = try session.run()
        try outputs.finish(run)
        let file = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.contains("tfevents") }!
        return (try EventFileReader.read((dir as NSString).appendingPathComponent(file)), run)
    }

    /// TensorBoard sorts tags as text: `layers.10` used to come before `layers.2`.
    func testLayerTagsSortInLayerOrderAndTestScalarsAreLogged() throws {
        var c = RunConfig(); c.data = .xor; c.depth = 11; c.width = 4; c.steps = 6; c.evalEvery = 2; c.probeEvery = 3
        let (events, run) = try logged(c)
        let tags = Set(events.flatMap { $0.values.map(\.tag) })
        let layers = run.probe.steps[0].layers
        XCTAssertEqual(layers.count, 12)
        let gradTags = tags.filter { $0.hasPrefix("grad_norm/") }.sorted()
        XCTAssertEqual(gradTags, layers.map { "grad_norm/\(String(format: "%02d", $0.layer)) · \($0.name)" }, "text order is layer order")
        XCTAssertTrue(tags.contains("weights/11 · layers.20.weight"), "\(tags.sorted())")
        var evalLoss: [Int64: Float] = [:], evalAccuracy: [Int64: Float] = [:]
        for e in events { for v in e.values {
            if v.tag == "eval/loss" { evalLoss[e.step] = v.scalar }
            if v.tag == "eval/accuracy" { evalAccuracy[e.step] = v.scalar }
        } }
        XCTAssertEqual(run.history.evals.map(\.step), [2, 4, 6])
        XCTAssertEqual(evalLoss, Dictionary(uniqueKeysWithValues: run.history.evals.map { (Int64($0.step), Float($0.loss)) }))
        XCTAssertEqual(evalAccuracy.count, 3)
    }

    func testRecurrentRunsLogTheGradientThroughTime() throws {
        var c = RunConfig(); c.model = .lstm; c.data = DataSource(name: "adding")!; c.seqLen = 12; c.depth = 1; c.width = 8
        c.steps = 3; c.probeEvery = 1
        let (events, run) = try logged(c)
        let time = run.probe.steps.last!.time[0]
        XCTAssertEqual(time.gradNormByTime.count, 12)
        let last = events.filter { $0.step == Int64(run.probe.steps.last!.step) }.flatMap(\.values).filter { $0.tag.hasPrefix("grad_by_time/") }
        XCTAssertEqual(last.map(\.tag), (1...12).map { "grad_by_time/\(time.name)/t\(String(format: "%02d", $0))" })
        XCTAssertEqual(last.map(\.scalar!), time.gradNormByTime.map(Float.init))
    }
}
