import Foundation
import GradLab

/// One experiment point waiting in the work queue: what a worker needs to run it anywhere.
package struct QueuedPoint: Codable, Equatable, Sendable {
    package var experiment: String
    package var index: Int
    package var name: String
    /// The point's run directory, relative to the runs directory (`--dir`).
    package var directory: String
    package var configJSON: String
    package var tags: [String]
    /// The config keys the sweep varies (TensorBoard's HParams).
    package var hparams: [String]

    package init(experiment: String, index: Int, name: String, directory: String, configJSON: String, tags: [String], hparams: [String]) {
        self.experiment = experiment; self.index = index; self.name = name; self.directory = directory
        self.configJSON = configJSON; self.tags = tags; self.hparams = hparams
    }
}

/// A point a worker holds: the lease `token` proves it still does; `runID` is the run store's
/// row once one was made (a reclaimed point keeps its run); `attempt` counts claims.
package struct ClaimedPoint: Sendable {
    package var id: Int64
    package var point: QueuedPoint
    package var token: String
    package var runID: RunID?
    package var attempt: Int
}

/// The point is no longer this worker's: its lease expired and another worker took it over
/// (which finishes it). Not a failure of the point.
package struct LeaseLost: Error, CustomStringConvertible {
    package var point: QueuedPoint
    package init(_ point: QueuedPoint) { self.point = point }
    package var description: String {
        "lost the lease on \(point.experiment)/\(point.name) (this worker stalled past it); the worker that took it over finishes it"
    }
}

/// Where a queued point stands.
package enum PointState: String, CaseIterable, Codable, Sendable {
    case queued, running, done, failed
}

/// A sweep's progress as `sweep status` shows it.
package struct SweepStatus: Encodable, Sendable {
    package struct Experiment: Encodable, Sendable {
        package var name: String
        package var queued: Int, running: Int, done: Int, failed: Int
        /// Mean wall-clock seconds of a finished point.
        package var meanSeconds: Double?
        /// Estimated seconds until every point is done, at the live workers' pace.
        package var etaSeconds: Double?
        package var total: Int { queued + running + done + failed }
    }
    package struct Worker: Encodable, Sendable {
        package var id: String
        package var host: String
        package var point: String?
        package var lastSeen: Double
    }
    package struct Failure: Encodable, Sendable {
        package var experiment: String, name: String, error: String, attempts: Int
    }
    package var experiments: [Experiment]
    package var workers: [Worker]
    package var failures: [Failure]
}

/// The work queue of a shared store: sweeps are enqueued once, and any number of workers on any
/// number of machines claim points, each under a lease they keep alive; a point whose worker
/// stopped renewing is claimed again once the lease expires. Every call that names a lease
/// succeeds only while the caller still holds it, so a point is recorded done exactly once.
package protocol SweepQueue: AnyObject {
    /// Adds the points not queued yet; returns how many were new. A point queued earlier with a
    /// different config is an error (rename the experiment instead).
    func enqueue(_ points: [QueuedPoint]) throws -> Int
    /// Takes the oldest queued point (or one whose lease expired) for `worker`, or nil when
    /// none is free. A point claimed `maxAttempts` times already is marked failed instead.
    func claim(worker: String, lease: Double, experiment: String?, maxAttempts: Int) throws -> ClaimedPoint?
    /// Extends the lease; false if it was lost (expired and claimed by another worker).
    func renew(_ claim: ClaimedPoint, lease: Double) throws -> Bool
    /// The point's run in the store: the one made before (a reclaimed point), else `make()`'s,
    /// recorded with the point. Throws `LeaseLost` when the lease is lost.
    func run(for claim: ClaimedPoint, make: NewRun) throws -> RunID
    /// Marks the point done with its result (JSON); false if the lease was lost (someone else
    /// finishes it), so a point is done exactly once.
    func complete(_ claim: ClaimedPoint, result: String, seconds: Double) throws -> Bool
    /// Marks the point failed with a reason, and its run (if it has one) with it, in one
    /// transaction; false if the lease was lost.
    func fail(_ claim: ClaimedPoint, error: String) throws -> Bool
    /// Queues failed points again (of one experiment, or all); returns how many.
    func retry(experiment: String?) throws -> Int
    /// Records a worker as alive (`point`: what it runs now).
    func heartbeat(worker: String, host: String, point: String?) throws
    /// Removes a worker that exits cleanly.
    func leave(worker: String) throws
    /// Counts per experiment, live workers and the latest failures.
    func status(experiment: String?) throws -> SweepStatus
    /// The points of an experiment with their states, in index order.
    func points(experiment: String) throws -> [(point: QueuedPoint, state: PointState, runID: RunID?)]
}
