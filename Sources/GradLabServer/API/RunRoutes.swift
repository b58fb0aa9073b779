import Foundation
import GradLab
import Hummingbird
import HummingbirdWebSocket

/// The lab's JSON routes: the menu, checking a config, starting and steering runs and repairs,
/// and the live WebSocket view of a run.
struct RunRoutes {
    let hub: RunHub
    let storeRoot: String
    /// The run store: the runs directory, or a postgres:// URL.
    let runStore: String

    /// Live messages per second and client, at most: one every 50 ms, carrying every event since
    /// the last (a fast run's steps arrive batched, a slow one's one by one).
    static let messageInterval = Duration.milliseconds(50)

    func add(to router: Router<BasicWebSocketRequestContext>) {
        let hub = self.hub, limits = hub.limits, storeRoot = self.storeRoot, runStore = self.runStore
        router.get("/api/lab") { _, _ in JSONBody.response(LabCatalog.menu(limits: limits)) }
        router.post("/api/check") { request, _ in
            let config = try limits.config(try await ConfigRequest.read(request, limits: limits).config)
            return JSONBody.response(Checked(resolved: config.values))
        }
        router.get("/api/runs") { _, _ in JSONBody.response(["runs": hub.all.map(\.state)]) }
        router.post("/api/runs") { request, _ in
            let body = try await ConfigRequest.read(request, limits: limits)
            let config = try limits.config(body.config)
            let run = try hub.submit(kind: .train, config: config, paused: body.paused ?? false, job: TrainJob(storeRoot: storeRoot, runStore: runStore))
            return JSONBody.response(run.state, status: .accepted)
        }
        router.post("/api/repair") { request, _ in
            let config = try limits.config(try await ConfigRequest.read(request, limits: limits).config)
            let run = try hub.submit(kind: .repair, config: config, job: RepairJob())
            return JSONBody.response(run.state, status: .accepted)
        }
        router.get("/api/runs/:id") { _, context in JSONBody.response(try hub.run(try context.parameters.require("id")).state) }
        router.post("/api/runs/:id/:action") { _, context in
            let run = try hub.run(try context.parameters.require("id"))
            switch try context.parameters.require("action") {
            case "pause": try run.pause()
            case "resume": try run.resume()
            case "step": try run.stepOnce()
            case "stop":
                try hub.stop(run)
                // Answer with the run ended (it ends at its next piece boundary, within ~50 ms).
                for _ in 0..<60 where !run.isOver { try await Task.sleep(for: .milliseconds(50)) }
            case let other: throw APIError(.notFound, "no action '\(other)'; use pause, resume, step or stop")
            }
            return JSONBody.response(run.state)
        }
        router.ws("/api/runs/:id/live", shouldUpgrade: { _, context in
            _ = try hub.run(try context.parameters.require("id"))
            return .upgrade([:])
        }, onUpgrade: { inbound, outbound, context in
            let run = try hub.run(try context.requestContext.parameters.require("id"))
            run.watch(1)
            defer { run.watch(-1) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The page sends nothing; reading only notices when it goes away.
                group.addTask { for try await _ in inbound {} }
                group.addTask { try await Self.stream(run, to: outbound) }
                try await group.next()
                group.cancelAll()
            }
        })
    }

    /// Sends the run's log from the start, batched, until the run is over and all is sent. Each
    /// message carries `t`, the server's milliseconds since the stream opened (what a benchmark
    /// reads the rate from, free of the network's bunching).
    static func stream(_ run: LabRun, to outbound: WebSocketOutboundWriter) async throws {
        var cursor = 0
        let opened = ContinuousClock.now
        while !Task.isCancelled {
            let (events, over) = run.events(from: cursor)
            if !events.isEmpty {
                let ms = (ContinuousClock.now - opened) / .milliseconds(1)
                var text = #"{"t":"# + String(format: "%.1f", ms) + #","events":["#
                text += events.map { String(decoding: $0, as: UTF8.self) }.joined(separator: ",")
                text += "]}"
                try await outbound.write(.text(text))
                cursor += events.count
            } else if over {
                return
            }
            try await Task.sleep(for: messageInterval)
        }
    }
}

/// A request that carries a run config: `{"config": {key: value, …}, "paused": false}`.
struct ConfigRequest: Decodable {
    var config: [String: JSONValue]
    var paused: Bool?

    static func read(_ request: Request, limits: LabLimits) async throws -> ConfigRequest {
        try await JSONBody.decode(ConfigRequest.self, request, limit: limits.bodyBytes,
                                  shape: "{\"config\": {…run-config keys, as gradlab train --help lists them…}}")
    }
}

struct Checked: Encodable { let ok = true; var resolved: [String: JSONValue] }
