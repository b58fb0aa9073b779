#if PostgreSQL
import XCTest
import Foundation
import GradLab
import GradLabStore
import GradLabTestSupport

/// The work queue against a real PostgreSQL: concurrent claims never share a point, leases
/// expire and pass on, a point is completed exactly once, failed points can be retried.
final class SweepQueueTests: XCTestCase {
    func points(_ n: Int, experiment: String = "q") -> [QueuedPoint] {
        (0..<n).map { QueuedPoint(experiment: experiment, index: $0, name: "p\($0)", directory: "\(experiment)/\($0)",
                                  configJSON: "{\"seed\": \($0)}", tags: ["t"], hparams: ["seed"]) }
    }

    func testEnqueueIsIdempotentAndRefusesAChangedPoint() throws {
        let queue = try PostgresSweepQueue(try PostgresTestServer.shared().freshDatabase("enq"))
        XCTAssertEqual(try queue.enqueue(points(5)), 5)
        XCTAssertEqual(try queue.enqueue(points(7)), 2, "the first five were queued already")
        var changed = points(1); changed[0].configJSON = "{\"seed\": 99}"
        XCTAssertThrowsError(try queue.enqueue(changed)) { XCTAssertTrue("\($0)".contains("already queued with a different point 0"), "\($0)") }
        XCTAssertEqual(try queue.points(experiment: "q").map(\.point), points(7))
        XCTAssertEqual(try queue.status(experiment: nil).experiments.map(\.queued), [7])
    }

    /// Eight sessions claim 60 points at once: each point is claimed by exactly one.
    func testConcurrentClaimsNeverShareAPoint() throws {
        let url = try PostgresTestServer.shared().freshDatabase("claims")
        _ = try PostgresSweepQueue(url).enqueue(points(60))
        let lock = NSLock(); var claimed: [Int] = [], errors: [String] = []
        DispatchQueue.concurrentPerform(iterations: 8) { w in
            do {
                let q = try PostgresSweepQueue(url)
                while let c = try q.claim(worker: "w\(w)", lease: 60, experiment: nil, maxAttempts: 3) {
                    lock.withLock { claimed.append(c.point.index) }
                    XCTAssertTrue(try q.complete(c, result: "{}", seconds: 0))
                }
            } catch { lock.withLock { errors.append("\(error)") } }
        }
        XCTAssertEqual(errors, [])
        XCTAssertEqual(claimed.sorted(), Array(0..<60))
        let s = try PostgresSweepQueue(url).status(experiment: "q")
        XCTAssertEqual(s.experiments.map(\.done), [60])
    }

    /// A lease that is not renewed expires; the next claim takes the point over (attempt 2, the
    /// same run), and the first holder can no longer renew, complete or fail it.
    func testExpiredLeasePassesThePointOnAndDoneIsOnce() throws {
        let url = try PostgresTestServer.shared().freshDatabase("lease")
        let q = try PostgresSweepQueue(url)
        _ = try q.enqueue(points(1))
        let first = try XCTUnwrap(try q.claim(worker: "a", lease: 0.5, experiment: nil, maxAttempts: 3))
        let run = try q.run(for: first, make: NewRun(name: "p0", experiment: "q", configJSON: "{\"seed\": 0}"))
        XCTAssertNil(try q.claim(worker: "b", lease: 5, experiment: nil, maxAttempts: 3), "held")
        XCTAssertTrue(try q.renew(first, lease: 0.5))
        Thread.sleep(forTimeInterval: 0.8)
        let second = try XCTUnwrap(try q.claim(worker: "b", lease: 5, experiment: nil, maxAttempts: 3))
        XCTAssertEqual(second.attempt, 2)
        XCTAssertEqual(second.runID, run, "the point keeps its run")
        XCTAssertEqual(try q.run(for: second, make: NewRun(name: "x", configJSON: "{}")), run)
        XCTAssertFalse(try q.renew(first, lease: 5))
        XCTAssertFalse(try q.complete(first, result: "{}", seconds: 1))
        XCTAssertFalse(try q.fail(first, error: "late"))
        XCTAssertThrowsError(try q.run(for: first, make: NewRun(name: "x", configJSON: "{}")))
        XCTAssertTrue(try q.complete(second, result: "{\"ok\": true}", seconds: 1))
        XCTAssertFalse(try q.complete(second, result: "{}", seconds: 1), "done exactly once")
        XCTAssertEqual(try q.points(experiment: "q").map(\.state), [.done])
        XCTAssertEqual(try PostgresRunStore(url).listRuns().count, 1)
    }

    /// A point whose workers keep dying fails after maxAttempts claims; retry queues it again.
    func testMaxAttemptsThenRetry() throws {
        let url = try PostgresTestServer.shared().freshDatabase("retry")
        let q = try PostgresSweepQueue(url)
        _ = try q.enqueue(points(2))
        let c = try XCTUnwrap(try q.claim(worker: "a", lease: 0.3, experiment: nil, maxAttempts: 1))
        let bad = try XCTUnwrap(try q.claim(worker: "a", lease: 30, experiment: nil, maxAttempts: 1))
        let run = try q.run(for: bad, make: NewRun(name: bad.point.name, experiment: "q", configJSON: bad.point.configJSON))
        XCTAssertTrue(try q.fail(bad, error: "bad config"))
        XCTAssertFalse(try q.fail(bad, error: "again"), "failed once, by the lease holder")
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertNil(try q.claim(worker: "b", lease: 30, experiment: nil, maxAttempts: 1), "the expired point ran out of attempts")
        let s = try q.status(experiment: "q")
        XCTAssertEqual(s.experiments.map(\.failed), [2])
        let failedRun = try PostgresRunStore(url).run(run).summary
        XCTAssertEqual([failedRun.status.rawValue, failedRun.message], ["failed", "bad config"], "the point's run fails with it")
        XCTAssertEqual(Set(s.failures.map(\.name)), ["p0", "p1"])
        XCTAssertTrue(s.failures.contains { $0.name == c.point.name && $0.error.contains("stopped renewing the lease 1 times") }, "\(s.failures)")
        XCTAssertEqual(try q.retry(experiment: "other"), 0)
        XCTAssertEqual(try q.retry(experiment: "q"), 2)
        XCTAssertEqual(try q.status(experiment: "q").experiments.map(\.queued), [2])
        XCTAssertEqual(try q.claim(worker: "b", lease: 30, experiment: nil, maxAttempts: 1)?.attempt, 1)
    }

    /// Workers are listed while they heartbeat; the estimate of time left uses finished points.
    func testStatusWorkersAndEstimate() throws {
        let q = try PostgresSweepQueue(try PostgresTestServer.shared().freshDatabase("status"))
        _ = try q.enqueue(points(5))
        try q.heartbeat(worker: "w1", host: "h", point: nil)
        try q.heartbeat(worker: "w2", host: "h", point: "q/p1")
        for _ in 0..<2 {
            let c = try XCTUnwrap(try q.claim(worker: "w1", lease: 30, experiment: "q", maxAttempts: 3))
            XCTAssertTrue(try q.complete(c, result: "{}", seconds: 4))
        }
        _ = try q.claim(worker: "w2", lease: 30, experiment: "q", maxAttempts: 3)
        let s = try q.status(experiment: nil)
        XCTAssertEqual(s.workers.map(\.id), ["w1", "w2"])
        let e = try XCTUnwrap(s.experiments.first)
        XCTAssertEqual([e.queued, e.running, e.done, e.failed], [2, 1, 2, 0])
        XCTAssertEqual(e.meanSeconds, 4)
        XCTAssertEqual(try XCTUnwrap(e.etaSeconds), 4 * 2.5 / 2, accuracy: 1e-9, "mean × (queued + running/2) / live workers")
        try q.leave(worker: "w1")
        XCTAssertEqual(try q.status(experiment: nil).workers.map(\.id), ["w2"])
    }
}
#endif
