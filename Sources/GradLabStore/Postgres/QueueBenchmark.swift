#if PostgreSQL
import Foundation
import GradLab
import GradLabDiagnostics

/// `gradlab sweep bench`: what the work queue costs, measured against a real server.
///
/// - Claims per second: `workers` threads, one connection each, claim and complete no-op points
///   until none is left (the queue's own limit, as training is left out).
/// - Per-point overhead: the store traffic of one small point (claim, its run, 100 metric rows in
///   two flushes, 10 probed steps of 4 layers, evaluations, verdicts, artifacts, the end) on
///   PostgreSQL against the same rows written to a local SQLite store.
/// Everything it writes is removed afterwards.
package enum QueueBenchmark {
    package struct Result: Encodable, Sendable {
        package var workers: Int, points: Int
        package var claimsPerSecond: Double
        package var claimMillisecondsP50: Double, claimMillisecondsP99: Double
        package var overheadPoints: Int
        package var postgresMillisecondsPerPoint: Double, sqliteMillisecondsPerPoint: Double
    }

    package static func run(_ url: PostgresURL, workers: Int, points: Int, overheadPoints: Int, scratch: String,
                            progress: (String) -> Void) throws -> Result {
        let experiment = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try PostgresSweepQueue(url)
        defer { try? admin.session.execute("DELETE FROM sweep_points WHERE experiment = $1", [.text(experiment)]) }
        defer { try? admin.session.execute("DELETE FROM runs WHERE experiment = $1", [.text(experiment)]) }
        _ = try admin.enqueue((0..<points).map {
            QueuedPoint(experiment: experiment, index: $0, name: "p\($0)", directory: "", configJSON: "{}", tags: [], hparams: [])
        })
        progress("claims: \(workers) workers on \(points) no-op points")
        let queues = try (0..<workers).map { _ in try PostgresSweepQueue(url) }
        let lock = NSLock()
        var latencies: [Double] = [], failure: Error?
        let t0 = Date()
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            var mine: [Double] = []
            do {
                while true {
                    let c0 = Date()
                    guard let c = try queues[w].claim(worker: "bench-\(w)", lease: 60, experiment: experiment, maxAttempts: 3) else { break }
                    _ = try queues[w].complete(c, result: "{}", seconds: 0)
                    mine.append(Date().timeIntervalSince(c0) * 1000)
                }
            } catch { lock.withLock { failure = error } }
            lock.withLock { latencies += mine }
        }
        let elapsed = Date().timeIntervalSince(t0)
        if let failure { throw failure }
        latencies.sort()
        func quantile(_ q: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(q * Double(latencies.count)))] }

        progress("per-point overhead: \(overheadPoints) points on PostgreSQL, then on SQLite")
        let store = try PostgresRunStore(url)
        _ = try admin.enqueue((0..<overheadPoints).map {
            QueuedPoint(experiment: experiment, index: points + $0, name: "o\($0)", directory: "", configJSON: "{\"seed\": \($0)}", tags: [], hparams: [])
        })
        let p0 = Date()
        for _ in 0..<overheadPoints {
            guard let c = try admin.claim(worker: "bench", lease: 60, experiment: experiment, maxAttempts: 3) else { break }
            let id = try admin.run(for: c, make: NewRun(name: c.point.name, experiment: experiment, configJSON: c.point.configJSON))
            try pointTraffic(store, id)
            _ = try admin.complete(c, result: "{}", seconds: 0)
        }
        let pg = Date().timeIntervalSince(p0) * 1000 / Double(max(overheadPoints, 1))
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let sqlite = try SQLiteRunStore(directory: scratch)
        let s0 = Date()
        for i in 0..<overheadPoints {
            let id = try sqlite.createRun(NewRun(name: "o\(i)", experiment: experiment, configJSON: "{\"seed\": \(i)}"))
            try pointTraffic(sqlite, id)
        }
        let local = Date().timeIntervalSince(s0) * 1000 / Double(max(overheadPoints, 1))
        return Result(workers: workers, points: points, claimsPerSecond: Double(latencies.count) / elapsed,
                      claimMillisecondsP50: quantile(0.5), claimMillisecondsP99: quantile(0.99), overheadPoints: overheadPoints,
                      postgresMillisecondsPerPoint: pg, sqliteMillisecondsPerPoint: local)
    }

    /// A small point's rows, written as `RunRecorder` writes them.
    static func pointTraffic(_ store: any RunStore, _ id: RunID) throws {
        for half in 0..<2 {
            try store.appendMetrics(id, (0..<50).map { MetricRow(step: half * 50 + $0, loss: 1 / Double($0 + 1), accuracy: 0.5, gradNorm: 1, learningRate: 0.01) })
        }
        try store.appendProbe(id, (0..<10).map { s in
            var step = ProbeStep(step: s * 10, loss: 1, accuracy: 0.5, gradNorm: 1, learningRate: 0.01, layers: [])
            step.layers = (1...4).map { LayerStats(step: s * 10, layer: $0, name: "layers.\($0 * 2 - 2)", activation: "relu") }
            return step
        })
        try store.appendEvals(id, [EvalRow(step: 100, loss: 0.4, accuracy: 0.8)])
        try store.recordVerdicts(id, [])
        for kind in ["tensorboard", "metrics", "probe", "config"] { try store.recordArtifact(id, Artifact(kind: kind, path: "bench/\(id)/\(kind)")) }
        try store.finishRun(id, status: .finished, final: FinalMetrics(loss: 0.4, accuracy: 0.8, wallSeconds: 0))
    }
}
#endif
