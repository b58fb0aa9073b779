import Dispatch
import RealModule

/// Applies an `UpdateRule` to a model's named parameters under a learning-rate schedule,
/// keeping each parameter's state slots by name (so checkpoints can save and restore them).
public final class Optimizer<S: Scalar> {
    public let rule: any UpdateRule
    public var schedule: LRSchedule
    public let parameters: [(name: String, parameter: Parameter<S>)]
    /// State slots keyed by "<parameter name>.<slot>".
    public private(set) var state: [String: StateBuffer<S>] = [:]
    private var slotsByParameter: [[StateBuffer<S>]] = []
    /// Number of steps taken (the next step is t = step + 1).
    public var step = 0
    /// When set, `update()` also measures, per parameter (in `parameters` order), the weight norm
    /// before the step and the norm of the update actually applied, ‖w_new − w_old‖ — what the
    /// optimizer did, not lr·‖g‖. Each parameter is copied just before its rule reads it, so the
    /// extra passes run in cache. NaN where a parameter had no gradient.
    public var measureUpdates = false
    /// Wall time of the last `update()` (to price the measurement above).
    public private(set) var lastUpdateSeconds = 0.0
    public private(set) var lastWeightNorms: [Double] = []
    public private(set) var lastUpdateNorms: [Double] = []

    public init(_ rule: any UpdateRule, schedule: LRSchedule, parameters: [(name: String, parameter: Parameter<S>)]) {
        self.rule = rule; self.schedule = schedule; self.parameters = parameters
        for (name, p) in parameters {
            let slots = rule.stateSlots.map { _ in StateBuffer<S>(count: p.value.count) }
            for (slot, b) in zip(rule.stateSlots, slots) { state["\(name).\(slot)"] = b }
            slotsByParameter.append(slots)
        }
    }

    /// Multiplies the scheduled rate (in-run learning-rate back-off, e.g. by `NonFiniteGuard`).
    public var rateScale = 1.0
    /// Learning rate of the next step.
    public var learningRate: Double { schedule.rate(at: step) * rateScale }

    /// One update of every parameter that has a gradient; returns the learning rate used.
    @discardableResult
    @_specialize(where S == Float)
    public func update() -> Double {
        let started = DispatchTime.now().uptimeNanoseconds
        defer { lastUpdateSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }
        let lr = learningRate
        step += 1
        if measureUpdates {
            lastWeightNorms = Array(repeating: .nan, count: parameters.count)
            lastUpdateNorms = lastWeightNorms
        }
        for (i, (_, p)) in parameters.enumerated() {
            guard let g = p.grad else { continue }
            let bufs = slotsByParameter[i].map(\.buffer)
            p.value.scalars.withUnsafeMutableBufferPointer { w in
                g.scalars.withUnsafeBufferPointer { gp in
                    guard measureUpdates else {
                        // Element-wise, so large parameters split across the worker pool.
                        WorkerPool.shared.parallelRanges(w.count, minimum: 1 << 15) { r in
                            rule.update(w: UnsafeMutableBufferPointer(rebasing: w[r]), g: UnsafeBufferPointer(rebasing: gp[r]),
                                        state: bufs.map { UnsafeMutableBufferPointer(rebasing: $0[r]) }, lr: S(lr), t: step)
                        }
                        return
                    }
                    // Rules are element-wise, so the update can run in L1-sized chunks (spread over
                    // the pool): copy a chunk, update it, and compare while both copies are in L1.
                    var dw = 0.0, ww = 0.0
                    forEachChunk(w.count, { lo, hi in
                        withUnsafeTemporaryAllocation(of: S.self, capacity: hi - lo) { old in
                            let wc = UnsafeMutableBufferPointer(rebasing: w[lo..<hi])
                            _ = old.initialize(fromContentsOf: wc)
                            rule.update(w: wc, g: UnsafeBufferPointer(rebasing: gp[lo..<hi]),
                                        state: bufs.map { UnsafeMutableBufferPointer(rebasing: $0[lo..<hi]) }, lr: S(lr), t: step)
                            let (d, o) = differenceAndNorm(UnsafeBufferPointer(wc), UnsafeBufferPointer(old))
                            return (d * d, o * o)
                        }
                    }, merge: { dw += $0.0; ww += $0.1 })
                    lastWeightNorms[i] = ww.squareRoot(); lastUpdateNorms[i] = dw.squareRoot()
                }
            }
        }
        return lr
    }

    @_specialize(where S == Float)
    public func zeroGrad() { for (_, p) in parameters { p.zeroGrad() } }

    /// Replaces state (from a checkpoint); every slot must be present with the right size.
    public func restore(state new: [String: [S]], step: Int) throws {
        for (k, v) in state {
            guard let n = new[k] else { throw GradLabError.data("checkpoint lacks optimizer state '\(k)'; was it saved with \(rule)?") }
            guard n.count == v.buffer.count else { throw GradLabError.data("optimizer state '\(k)' has \(n.count) values, expected \(v.buffer.count)") }
            _ = v.buffer.update(fromContentsOf: n)
        }
        self.step = step
    }
}

/// Fixed storage for one optimizer state slot (allocated once, updated in place).
public final class StateBuffer<S: Scalar> {
    public let buffer: UnsafeMutableBufferPointer<S>
    init(count: Int) { buffer = .allocate(capacity: count); buffer.initialize(repeating: 0) }
    deinit { buffer.deallocate() }
    public var values: [S] { Array(buffer) }
}

/// Learning rate as a function of the step (0-based).
public indirect enum LRSchedule: Equatable, Sendable, CustomStringConvertible {
    case constant(Double)
    /// lr · γ^⌊step / every⌋.
    case step(lr: Double, every: Int, gamma: Double)
    /// Cosine annealing from lr to `minimum` over `total` steps (then stays at `minimum`).
    case cosine(lr: Double, total: Int, minimum: Double)
    /// Linear warm-up from lr/steps to the wrapped schedule's rate over `steps` steps.
    case warmup(steps: Int, then: LRSchedule)

    public func rate(at step: Int) -> Double {
        switch self {
        case .constant(let lr): return lr
        case let .step(lr, every, gamma): return lr * Double.pow(gamma, Double(step / Swift.max(every, 1)))
        case let .cosine(lr, total, minimum):
            let f = Double(Swift.min(step, total)) / Double(Swift.max(total, 1))
            return minimum + (lr - minimum) * (1 + Double.cos(.pi * f)) / 2
        case let .warmup(steps, then):
            let base = then.rate(at: step)
            return step < steps ? base * Double(step + 1) / Double(steps) : base
        }
    }
    public var description: String {
        switch self {
        case .constant(let lr): return "constant(\(lr))"
        case let .step(lr, e, g): return "step(lr=\(lr), every=\(e), γ=\(g))"
        case let .cosine(lr, t, m): return "cosine(lr=\(lr), total=\(t), min=\(m))"
        case let .warmup(s, then): return "warmup(\(s)) then \(then)"
        }
    }
}
