import Foundation
import GradLab
import GradLabDiagnostics
import WSClient
import HTTPTypes
import HummingbirdTesting
import XCTest
@testable import GradLabServer

/// The live view: what the WebSocket carries, how it is batched, and that watchers never steer a run.
final class LiveViewTests: XCTestCase {
    func testTheLiveViewCarriesTheWholeRunBatchedAtMostTwentyMessagesASecond() async throws {
        try await LabFixture().test { client, cookie in
            let id = try await client.start(smallRun, cookie)
            let started = Date()
            let messages = try await client.liveMessages(id, cookie)
            let elapsed = Date().timeIntervalSince(started)
            let events = messages.flatMap(\.events)
            let types = events.compactMap { $0["type"] as? String }
            XCTAssertEqual(types.first(where: { $0 != "state" }), "start")
            XCTAssertEqual(types.filter { $0 != "state" }.dropFirst().first, "prediction")
            XCTAssertEqual(types.last, "end")
            let steps = events.filter { $0["type"] as? String == "step" }.compactMap { $0["step"] as? Int }
            XCTAssertEqual(steps, Array(0..<300), "every probed step once, in order")
            XCTAssertEqual(events.filter { $0["type"] as? String == "eval" }.count, 3)
            let layers = try XCTUnwrap(events.first { $0["type"] as? String == "start" }?["layers"] as? [String])
            let step = try XCTUnwrap(events.first { $0["type"] as? String == "step" })
            XCTAssertEqual((step["layers"] as? [[String: Any]])?.count, layers.count)
            // Batched: never more messages than 20 a second allows (arrival can only be slower).
            XCTAssertLessThanOrEqual(Double(messages.count), 20 * elapsed + 1, "\(messages.count) messages in \(elapsed) s")
            let prediction = try XCTUnwrap(events.first { $0["type"] as? String == "prediction" })
            XCTAssertNotNil(prediction["step0"] as? [String: Any])
        }
    }

    func testTenTabsWatchOneRunAndLeavingStopsNothing() async throws {
        try await LabFixture().test { client, cookie in
            let id = try await client.start(smallRun, cookie)
            // One tab leaves after its first message.
            var config = WebSocketClientConfiguration()
            config.additionalHeaders = cookie
            config.maxFrameSize = 1 << 26
            try await client.ws("/api/runs/\(id)/live", configuration: config) { inbound, outbound, _ in
                var it = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
                _ = try await it.next()
                try? await outbound.close(.goingAway, reason: nil)
            }
            let counts = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await client.liveMessages(id, cookie).flatMap(\.events).filter { $0["type"] as? String == "step" }.count }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            XCTAssertEqual(counts, Array(repeating: 300, count: 10), "every tab sees every step")
            let end = try await client.wait(for: id, cookie) { $0["state"] as? String == "finished" }
            XCTAssertEqual(end["step"] as? Int, 300)
            XCTAssertEqual(end["watchers"] as? Int, 0, "no watcher left behind")
        }
    }

    func testNaNIsShownWithTheFirstLayerWhereItAppeared() async throws {
        let exploding = #"{"data": "spirals", "depth": 6, "width": 32, "activation": "relu", "init": "normal", "sigma-w2": 60, "optimizer": "sgd", "lr": 5, "steps": 200, "seed": 0}"#
        try await LabFixture().test { client, cookie in
            let id = try await client.start(exploding, cookie)
            let events = try await client.liveMessages(id, cookie).flatMap(\.events)
            let nan = try XCTUnwrap(events.first { $0["type"] as? String == "nonfinite" }, "a non-finite value is reported")
            XCTAssertNotNil(nan["step"] as? Int)
            XCTAssertNotNil(nan["what"] as? String)
            let layers = try XCTUnwrap(events.first { $0["type"] as? String == "start" }?["layers"] as? [String])
            if let layer = nan["layer"] as? String { XCTAssertTrue(layers.contains(layer), "\(layer) is one of \(layers)") }
            let end = try XCTUnwrap(events.last)
            XCTAssertEqual(end["status"] as? String, "failed")
            XCTAssertTrue((end["message"] as? String ?? "").contains("loss became"))
        }
    }

    func testFirstNonFiniteOriginFollowsTheOrderOfThePasses() {
        func layer(_ i: Int, act: Int = 0, delta: Int = 0, grad: Int = 0) -> LayerStats {
            var s = LayerStats(step: 3, layer: i + 1, name: "layers.\(i)")
            s.activationNonFinite = act; s.deltaNonFinite = delta; s.gradNonFinite = grad
            return s
        }
        var step = ProbeStep(step: 3, loss: .nan, gradNorm: .nan, learningRate: 0.1, layers: [layer(0), layer(1, act: 4), layer(2, act: 9, delta: 1)])
        XCTAssertEqual(NonFiniteOrigin(step)?.layer, "layers.1", "forward: the lowest non-finite activation")
        XCTAssertEqual(NonFiniteOrigin(step)?.what, "activation")
        step.layers = [layer(0, delta: 2), layer(1, delta: 5), layer(2)]
        XCTAssertEqual(NonFiniteOrigin(step)?.layer, "layers.1", "backward runs from the top: the highest δ")
        step.layers = [layer(0), layer(1), layer(2)]
        XCTAssertEqual(NonFiniteOrigin(step)?.what, "loss")
        step.loss = 1
        XCTAssertNil(NonFiniteOrigin(step))
    }
}
