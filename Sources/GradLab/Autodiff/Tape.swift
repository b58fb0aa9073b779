/// Define-by-run reverse-mode autodiff.
///
/// Every op on `Var`s appends one small node: the indices of its inputs and a closure that maps
/// the gradient of its output to gradient contributions for those inputs. Nodes are appended in
/// execution order, so reverse index order is a valid topological order and backward is one
/// loop, no recursion. Gradients live in an array keyed by node index and are summed when a value
/// is used more than once. Hooks observe the finished gradient of any node.
public final class Tape<S: Scalar> {
    /// Maps the gradient of a node's output to (input index, gradient) contributions.
    public typealias Backward = (Tensor<S>, (Int, Tensor<S>) -> Void) -> Void

    struct Node {
        var backward: Backward?
        var needsGrad: Bool
        var parameter: Parameter<S>?
    }

    var nodes: [Node] = []
    var hooks: [Int: [(Tensor<S>) -> Void]] = [:]
    /// Whoever watches this pass (see `TrainingObserver`); set by the trainer for each step.
    public var observers: [any TrainingObserver<S>] = []
    /// When true, `backward` summarizes each parameter's gradient the moment it is complete (still
    /// in cache) into `parameterGradientSummaries`, and counts contributions (a parameter used twice
    /// contributes twice).
    public var summarizesParameterGradients = false
    public var parameterGradientSummaries: [ObjectIdentifier: BufferSummary] = [:]
    public private(set) var parameterGradientContributions = 0
    /// When false, ops compute values only (evaluation); nothing is recorded.
    public var isRecording: Bool
    /// Training mode: dropout is active.
    public var isTraining: Bool
    /// Random stream for stochastic layers (dropout), derived per step so runs resume exactly.
    public var rng: SeededRandom

    public init(recording: Bool = true, training: Bool = true, rng: SeededRandom = SeededRandom(seed: 0)) {
        self.isRecording = recording
        self.isTraining = training
        self.rng = rng
        allocatorTuned
        Backend.applyFloatingPointMode()
    }

    public var nodeCount: Int { nodes.count }

    /// A constant (data): no gradient flows into it.
    public func constant(_ value: Tensor<S>) -> Var<S> {
        Var(tape: self, id: append(Node(backward: nil, needsGrad: false)), value: value)
    }
    /// A leaf that receives a gradient (e.g. the input, for saliency or checks).
    public func variable(_ value: Tensor<S>) -> Var<S> {
        Var(tape: self, id: append(Node(backward: nil, needsGrad: true)), value: value)
    }
    /// A trainable parameter: after `backward`, its gradient is added to `parameter.grad`.
    public func parameter(_ p: Parameter<S>) -> Var<S> {
        Var(tape: self, id: append(Node(backward: nil, needsGrad: isRecording, parameter: p)), value: p.value)
    }

    /// Records an op. `backward` is stored only if recording and some input needs a gradient.
    public func record(_ value: Tensor<S>, inputs: [Var<S>], backward: @escaping Backward) -> Var<S> {
        let needs = isRecording && inputs.contains { nodes[$0.id].needsGrad }
        return Var(tape: self, id: append(Node(backward: needs ? backward : nil, needsGrad: needs)), value: value)
    }

    /// True if a gradient is wanted for this value (ops use it to skip work, e.g. dX of layer 1).
    public func needsGrad(_ v: Var<S>) -> Bool { nodes[v.id].needsGrad }

    /// Calls `hook` with the gradient of `v` once it is complete during `backward`.
    public func onGradient(of v: Var<S>, _ hook: @escaping (Tensor<S>) -> Void) {
        hooks[v.id, default: []].append(hook)
    }

    private func append(_ n: Node) -> Int { nodes.append(n); return nodes.count - 1 }

    /// Back-propagates from `output` (seeded with ones, i.e. d(sum output)/d·, unless `seed` given).
    /// Parameter gradients are accumulated into `Parameter.grad`; returns the gradients of every
    /// node that needed one, keyed by node index (for `Var.grad(in:)`).
    @discardableResult
    public func backward(from output: Var<S>, seed: Tensor<S>? = nil) -> Gradients<S> {
        precondition(output.tape === self, "output belongs to another tape")
        var grads = [Tensor<S>?](repeating: nil, count: nodes.count)
        grads[output.id] = seed ?? Tensor(shape: output.value.shape, repeating: 1)
        for id in stride(from: output.id, through: 0, by: -1) {
            guard let g = grads[id] else { continue }
            let node = nodes[id]
            if let hs = hooks[id] { for h in hs { h(g) } }
            if let p = node.parameter {
                if summarizesParameterGradients {
                    parameterGradientSummaries[ObjectIdentifier(p)] = g.summary(); parameterGradientContributions += 1
                }
                for o in observers { o.parameterGradient(p, g) }
                p.accumulate(g)
            }
            guard let bw = node.backward else { continue }
            bw(g) { input, contribution in
                guard self.nodes[input].needsGrad else { return }
                if let existing = grads[input] {
                    grads[input] = existing.adding(contribution)
                } else {
                    grads[input] = contribution
                }
            }
            // Interior gradients are kept for Var.grad(in:); the closures (and the values they
            // captured) are released so memory does not grow with repeated backward calls.
            nodes[id].backward = nil
        }
        return Gradients(values: grads)
    }
}

/// Gradients of one backward pass, keyed by node.
public struct Gradients<S: Scalar> {
    let values: [Tensor<S>?]
    public subscript(_ v: Var<S>) -> Tensor<S>? { v.id < values.count ? values[v.id] : nil }
}

/// A value recorded on a tape.
public struct Var<S: Scalar> {
    public let tape: Tape<S>
    public let id: Int
    public let value: Tensor<S>
    public var shape: [Int] { value.shape }
}

/// A trainable tensor with a stable dotted name (`layers.3.weight`), its accumulated gradient,
/// and whatever per-parameter state optimizers keep.
public final class Parameter<S: Scalar> {
    public var value: Tensor<S>
    public var grad: Tensor<S>?

    public init(_ value: Tensor<S>) { self.value = value }

    func accumulate(_ g: Tensor<S>) {
        precondition(g.shape == value.shape, "gradient shape \(g.shape) ≠ parameter shape \(value.shape)")
        grad = grad.map { $0.adding(g) } ?? g
    }
    @_specialize(where S == Float)
    public func zeroGrad() { grad = nil }
}
