import Foundation
import GradLab
import GradLabDiagnostics
import GradLabExperiments
import GradLabStore

/// `gradlab worker`: claims points from a store's work queue and runs them until none is left.
///
/// While it holds a point, a timer renews the lease every third of its length and records the
/// worker as alive; a worker killed outright stops renewing, and after `lease` seconds any other
/// worker takes the point over from its checkpoint (`QueuedPointJob`). A point claimed
/// `maxAttempts` times without finishing is marked failed (`gradlab sweep retry` queues it
/// again). With no free point, the worker waits while others still run points (one of them may
/// die and leave one) and exits when the sweep is finished, unless `wait` keeps it for new work.
package final class QueueWorker {
    package struct Options {
        package var runsDirectory = "runs"
        package var experiment: String?
        package var lease: Double = 30
        package var maxAttempts = 3
        package var checkpointEvery = 0
        package var poll: Double = 1
        package var wait = false
        package init() {}
    }

    package struct Summary: Sendable { package var done = 0, failed = 0, lost = 0 }

    package let id: String
    package let host: String
    let queue: any SweepQueue
    let store: any RunStore
    let options: Options
    private let state = NSLock()
    private var current: ClaimedPoint?
    private var lost = false

    package init(location: StoreLocation, options: Options) throws {
        queue = try location.openQueue()
        store = try location.open()
        self.options = options
        host = ProcessInfo.processInfo.hostName
        id = "\(host):\(getpid()):\(UUID().uuidString.prefix(4).lowercased())"
    }

    /// Runs points until the queue is finished; `say` gets one line per event.
    package func run(say: (String) -> Void) throws -> Summary {
        var summary = Summary()
        try queue.heartbeat(worker: id, host: host, point: nil)
        let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "gradlab.worker.lease"))
        timer.schedule(deadline: .now() + options.lease / 3, repeating: options.lease / 3)
        timer.setEventHandler { [weak self] in self?.keepAlive() }
        timer.resume()
        defer { timer.cancel(); try? queue.leave(worker: id) }
        while true {
            guard let claim = try queue.claim(worker: id, lease: options.lease, experiment: options.experiment, maxAttempts: options.maxAttempts) else {
                let status = try queue.status(experiment: options.experiment)
                let pending = status.experiments.reduce(0) { $0 + $1.queued + $1.running }
                if pending == 0 && !options.wait { return summary }
                Thread.sleep(forTimeInterval: options.poll)
                continue
            }
            state.withLock { current = claim; lost = false }
            try? queue.heartbeat(worker: id, host: host, point: "\(claim.point.experiment)/\(claim.point.name)")
            say("\(claim.point.experiment)/\(claim.point.name): started\(claim.attempt > 1 ? " (attempt \(claim.attempt), after a worker stopped)" : "")")
            let t0 = Date()
            do {
                let result = try QueuedPointJob.run(claim, queue: queue, store: store, runsDirectory: options.runsDirectory,
                                                    checkpointEvery: options.checkpointEvery) { state.withLock { !lost } }
                let json = String(decoding: try JSONEncoder.records.encode(result), as: UTF8.self)
                if try queue.complete(claim, result: json, seconds: Date().timeIntervalSince(t0)) {
                    summary.done += 1
                    say("\(claim.point.experiment)/\(claim.point.name): done in \(String(format: "%.1f", Date().timeIntervalSince(t0))) s")
                } else {
                    summary.lost += 1
                    say("\(claim.point.experiment)/\(claim.point.name): \(LeaseLost(claim.point))")
                }
            } catch let e as LeaseLost {
                summary.lost += 1
                say("\(claim.point.experiment)/\(claim.point.name): \(e)")
            } catch {
                let message = "\(error)".split(separator: "\n").first.map(String.init) ?? "\(error)"
                // Only the lease holder may end the point; a refused fail means another worker has it.
                if (try? queue.fail(claim, error: message)) == true {
                    summary.failed += 1
                    say("\(claim.point.experiment)/\(claim.point.name): failed: \(message)")
                } else {
                    summary.lost += 1
                    say("\(claim.point.experiment)/\(claim.point.name): \(LeaseLost(claim.point)) (it had failed here: \(message))")
                }
            }
            state.withLock { current = nil }
            try? queue.heartbeat(worker: id, host: host, point: nil)
        }
    }

    /// On the lease timer: renew the point held, and say this worker is alive.
    private func keepAlive() {
        let claim = state.withLock { current }
        if let claim {
            // A failed renewal (database unreachable for a moment) is retried at the next tick;
            // only a renewal the database refuses means the point is gone.
            if let held = try? queue.renew(claim, lease: options.lease), !held { state.withLock { lost = true } }
        }
        try? queue.heartbeat(worker: id, host: host, point: claim.map { "\($0.point.experiment)/\($0.point.name)" })
    }
}

extension Experiment {
    /// This experiment's points as the work queue holds them, with run directories relative to
    /// the runs directory.
    package func queuedPoints() throws -> [QueuedPoint] {
        let hparams = try varyingKeys().map(\.name)
        let layout = RunLayout(root: "")
        return try points().map { p in
            QueuedPoint(experiment: name, index: p.index, name: p.name, directory: layout.pointDir(name, p),
                        configJSON: p.config.json, tags: tags, hparams: hparams)
        }
    }
}
