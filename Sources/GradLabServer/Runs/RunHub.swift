import Foundation
import GradLab

/// The server's runs: at most `limits.runs` train at once (each on its own thread), up to
/// `limits.queue` more wait in order and are told their place. Finished runs stay listed (and
/// watchable) until `keepFinished` newer ones have ended.
final class RunHub: @unchecked Sendable {
    let limits: LabLimits
    private let lock = NSLock()
    private var runs: [LabRun] = []
    private var waiting: [(LabRun, any LabJob)] = []
    private var active = 0
    private var counter = 0
    private var closing = false
    private let group = DispatchGroup()
    static let keepFinished = 20

    init(limits: LabLimits) { self.limits = limits }

    /// Queues a run; it starts as soon as a worker is free. Refused (429) when the queue is full,
    /// (503) while the server shuts down.
    func submit(kind: RunKind, config: RunConfig, paused: Bool = false, job: any LabJob) throws -> LabRun {
        lock.lock()
        guard !closing else { lock.unlock(); throw APIError(.serviceUnavailable, "the server is shutting down") }
        guard waiting.count < limits.queue || active < limits.runs else {
            lock.unlock()
            throw APIError(.tooManyRequests, "\(limits.runs) runs hold the workers (training or paused) and \(waiting.count) wait, the most this server queues; wait for one to end, or stop one (the lab lists the live runs)")
        }
        counter += 1
        let run = LabRun(id: "r\(counter)", kind: kind, config: config, paused: paused)
        runs.append(run)
        waiting.append((run, job))
        lock.unlock()
        schedule()
        return run
    }

    /// The run with this id (404 if unknown or forgotten).
    func run(_ id: String) throws -> LabRun {
        lock.lock(); defer { lock.unlock() }
        guard let r = runs.first(where: { $0.id == id }) else { throw APIError(.notFound, "no run \(id) on this server (runs list: /api/runs)") }
        return r
    }

    /// Stops a run from the page; a queued one ends at once, without starting.
    func stop(_ run: LabRun) throws {
        try run.stop()
        schedule()
    }

    var all: [LabRun] { lock.lock(); defer { lock.unlock() }; return runs }

    /// Starts waiting runs while workers are free, and tells the rest their place.
    private func schedule() {
        lock.lock()
        var starting: [(LabRun, any LabJob)] = []
        let cancelled = waiting.filter { $0.0.ending != nil }.map(\.0)   // stopped while queued: never start
        waiting.removeAll { $0.0.ending != nil }
        while active < limits.runs, !waiting.isEmpty {
            active += 1
            starting.append(waiting.removeFirst())
        }
        let queued = waiting.map(\.0)
        lock.unlock()
        for r in cancelled { r.endUnstarted(.stopped, message: "stopped before it started") }
        for (i, r) in queued.enumerated() where r.state.queuePosition != i + 1 { r.queued(at: i + 1) }
        for (run, job) in starting {
            group.enter()
            run.started()
            let thread = Thread { [self] in
                job.run(run)
                done(run)
            }
            thread.stackSize = 16 << 20
            thread.name = "gradlab-run-\(run.id)"
            thread.start()
        }
    }

    private func done(_ run: LabRun) {
        lock.lock()
        active -= 1
        let over = runs.filter(\.isOver)
        if over.count > Self.keepFinished { let drop = Set(over.prefix(over.count - Self.keepFinished).map(\.id)); runs.removeAll { drop.contains($0.id) } }
        lock.unlock()
        group.leave()
        schedule()
    }

    /// Shutdown: queued runs are dropped (never started, so nothing to lose), running and paused
    /// ones end at their next piece boundary as `interrupted`, checkpointed and recorded; returns
    /// once every run's thread has written its last record.
    func interruptAll() {
        lock.lock()
        closing = true
        let dropped = waiting.map(\.0)
        waiting.removeAll()
        let live = runs.filter { !$0.isOver }
        lock.unlock()
        for r in dropped { r.endUnstarted(.stopped, message: "the server shut down before it started") }
        for r in live { try? r.stop(as: .interrupted) }
        group.wait()
    }
}
