import Foundation
import GradLab

/// Where a live run stands. `interrupted`: the server shut down mid-run (checkpointed first).
enum RunPhase: String, Codable, Sendable {
    case queued, running, paused, finished, failed, stopped, interrupted
    var isOver: Bool { ![.queued, .running, .paused].contains(self) }
}

/// A training run, or a repair (which runs its config, then each candidate of the ladder).
enum RunKind: String, Codable, Sendable { case train, repair }

/// What the page is told about a run (`GET /api/runs/{id}` and the `state` events).
struct RunState: Codable, Sendable {
    var id: String, kind: RunKind, state: RunPhase, queuePosition: Int, step: Int, steps: Int
    var storeID: Int64?, message: String?
    var watchers: Int
    /// Seconds since the run started training (its whole time, once it is over).
    var seconds: Double
}

/// One run started from the browser: its settings, its state machine (queued → running ⇄ paused →
/// over) and the log of its live events. The job trains on its own thread and asks `nextPiece`
/// between pieces of training; the page's controls and the server's shutdown change what it is
/// told. Every event is kept, so any number of tabs can watch, join late, or leave without
/// touching the run.
final class LabRun: @unchecked Sendable {
    let id: String
    let kind: RunKind
    let config: RunConfig
    private let lock = NSCondition()
    private var phase: RunPhase
    private var stopAs: RunPhase?
    private var allowance = 0
    private var events: [Data] = []
    private var step = 0
    private var storeID: Int64?
    private var message: String?
    private var queuePosition = 0
    private var watchers = 0
    private var startedAt: Date?
    private var endedAt: Date?

    init(id: String, kind: RunKind, config: RunConfig, paused: Bool) {
        self.id = id; self.kind = kind; self.config = config
        phase = .queued
        pausedAtStart = paused
    }
    /// Created paused (so that Step works from step 0), or paused while queued.
    private var pausedAtStart: Bool

    var state: RunState {
        lock.lock(); defer { lock.unlock() }
        return stateLocked
    }
    private var stateLocked: RunState {
        RunState(id: id, kind: kind, state: phase, queuePosition: queuePosition, step: step, steps: config.steps,
                 storeID: storeID, message: message, watchers: watchers,
                 seconds: startedAt.map { (endedAt ?? Date()).timeIntervalSince($0) } ?? 0)
    }
    var isOver: Bool { lock.lock(); defer { lock.unlock() }; return phase.isOver }

    // MARK: the log

    func emit(_ event: some Encodable) {
        let data = LiveEvent.encode(event)
        lock.lock(); events.append(data); lock.unlock()
    }

    /// The events from `cursor` on, and whether the run is over (then no more will come).
    func events(from cursor: Int) -> (events: ArraySlice<Data>, over: Bool) {
        lock.lock(); defer { lock.unlock() }
        return (events[min(cursor, events.count)...], phase.isOver)
    }

    func watch(_ delta: Int) { lock.lock(); watchers += delta; lock.unlock() }

    // MARK: controls (the page's, the hub's)

    /// Sets the state and logs a `state` event.
    private func set(_ update: (LabRun) -> Void) {
        lock.lock()
        update(self)
        let s = stateLocked
        lock.broadcast()
        lock.unlock()
        emit(LiveEvent.state(s))
    }

    func queued(at position: Int) { set { $0.queuePosition = position } }

    /// The hub gives the run a worker: it runs, or waits paused if it was created paused.
    func started() { set { $0.phase = $0.stopAs ?? ($0.pausedAtStart ? .paused : .running); $0.queuePosition = 0; $0.startedAt = Date() } }

    func pause() throws {
        try require([.running, .queued], "pause")
        set { r in if r.phase == .running { r.phase = .paused } else { r.pausedAtStart = true } }
    }

    func resume() throws {
        try require([.paused, .queued], "resume")
        set { r in if r.phase == .paused { r.phase = .running } else { r.pausedAtStart = false } }
    }

    /// One more step while paused.
    func stepOnce() throws {
        try require([.paused], "step")
        set { $0.allowance += 1 }
    }

    /// Ends the run at its next piece boundary: `stopped` from the page, `interrupted` at shutdown.
    func stop(as end: RunPhase = .stopped) throws {
        if end == .stopped { try require([.queued, .running, .paused], "stop") }
        set { r in if !r.phase.isOver { r.stopAs = end } }
    }

    private func require(_ allowed: Set<RunPhase>, _ action: String) throws {
        lock.lock(); let p = phase; lock.unlock()
        guard kind == .train || action == "stop" && p == .queued else {
            throw APIError(.conflict, "a repair runs to its end; it cannot \(action)")
        }
        guard allowed.contains(p) else {
            throw APIError(.conflict, "run \(id) is \(p.rawValue); \(action) needs it \(allowed.map(\.rawValue).sorted().joined(separator: " or "))")
        }
    }

    // MARK: the job's side

    /// How many steps the job may train now (at most `upTo`): blocks while paused with no step
    /// asked for; nil when the run is to end (then `ending` says how).
    func nextPiece(upTo: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        while stopAs == nil && phase == .paused && allowance == 0 { lock.wait() }
        if stopAs != nil { return nil }
        if phase == .paused { allowance -= 1; return 1 }
        return upTo
    }

    /// How the run is to end if the job stops before its last step (nil: it was not asked to).
    var ending: RunPhase? { lock.lock(); defer { lock.unlock() }; return stopAs }

    func progressed(to step: Int) { lock.lock(); self.step = step; lock.unlock() }
    func recorded(as storeID: Int64?) { lock.lock(); self.storeID = storeID; lock.unlock() }

    /// A run that never started (stopped while queued, or dropped at shutdown).
    func endUnstarted(_ end: RunPhase, message: String) {
        finished(end, message: message, event: LiveEvent.End(status: end.rawValue, message: message, verdicts: [], final: .init(), report: nil))
    }

    /// The job is done: its last state and its `end` event enter the log together, the end last,
    /// so a watcher that sees the run over has already been sent everything.
    func finished(_ end: RunPhase, message: String?, event: LiveEvent.End) {
        let data = LiveEvent.encode(event)
        lock.lock()
        phase = end; self.message = message; endedAt = Date()
        events.append(LiveEvent.encode(LiveEvent.state(stateLocked)))
        events.append(data)
        lock.broadcast()
        lock.unlock()
    }
}
