/// One optimizer's update for one parameter: a pure function of the weights, the gradient, the
/// rule's per-parameter state slots, the learning rate and the step number t (1-based).
public protocol UpdateRule: Sendable, CustomStringConvertible {
    /// Names of the state slots (each shaped like the parameter), e.g. ["m", "v"] for Adam.
    var stateSlots: [String] { get }
    func update<S: Scalar>(w: UnsafeMutableBufferPointer<S>, g: UnsafeBufferPointer<S>,
                           state: [UnsafeMutableBufferPointer<S>], lr: S, t: Int)
    /// c when every update is exactly Δw = −c·g (so ‖Δw‖ = c‖g‖ needs no measuring), else nil.
    func linearUpdateScale(lr: Double) -> Double?
}

extension UpdateRule {
    public func linearUpdateScale(lr: Double) -> Double? { nil }
}

/// Stochastic gradient descent with PyTorch's semantics:
/// g ← g + λw; b ← μb + g; g ← g + μb (Nesterov) or b; w ← w − η·g.
public struct SGD: UpdateRule {
    public var momentum: Double, nesterov: Bool, weightDecay: Double
    public init(momentum: Double = 0, nesterov: Bool = false, weightDecay: Double = 0) {
        self.momentum = momentum; self.nesterov = nesterov; self.weightDecay = weightDecay
    }
    public var stateSlots: [String] { momentum == 0 ? [] : ["momentum"] }
    public func linearUpdateScale(lr: Double) -> Double? { momentum == 0 && weightDecay == 0 ? lr : nil }
    @_specialize(where S == Float)
    public func update<S: Scalar>(w: UnsafeMutableBufferPointer<S>, g: UnsafeBufferPointer<S>,
                                  state: [UnsafeMutableBufferPointer<S>], lr: S, t: Int) {
        let wd = S(weightDecay), mu = S(momentum)
        if momentum == 0 {
            if weightDecay == 0 { for i in 0..<w.count { w[i] -= lr * g[i] } }
            else { for i in 0..<w.count { w[i] -= lr * (g[i] + wd * w[i]) } }
            return
        }
        let b = state[0]
        for i in 0..<w.count {
            let gi = g[i] + wd * w[i]
            b[i] = mu * b[i] + gi
            w[i] -= lr * (nesterov ? gi + mu * b[i] : b[i])
        }
    }
    public var description: String { "SGD(momentum=\(momentum)\(nesterov ? ", nesterov" : ""), weight decay=\(weightDecay))" }
}

/// Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019):
/// m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; w ← w − η·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
/// Adam's weight decay adds λw to g (L2); AdamW's is decoupled: w ← w − ηλw before the step.
public struct Adam: UpdateRule {
    public var beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, decoupled: Bool
    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0, decoupled: Bool = false) {
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay; self.decoupled = decoupled
    }
    public static func adamW(weightDecay: Double = 0.01) -> Adam { Adam(weightDecay: weightDecay, decoupled: true) }
    public var stateSlots: [String] { ["m", "v"] }
    @_specialize(where S == Float)
    public func update<S: Scalar>(w: UnsafeMutableBufferPointer<S>, g: UnsafeBufferPointer<S>,
                                  state: [UnsafeMutableBufferPointer<S>], lr: S, t: Int) {
        let m = state[0], v = state[1]
        let b1 = S(beta1), b2 = S(beta2), eps = S(epsilon), wd = S(weightDecay)
        let c1 = 1 / S(1 - Double.pow(beta1, Double(t))), c2 = 1 / S(1 - Double.pow(beta2, Double(t)))
        for i in 0..<w.count {
            var gi = g[i]
            if decoupled { w[i] -= lr * wd * w[i] } else { gi += wd * w[i] }
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            w[i] -= lr * (m[i] * c1) / ((v[i] * c2).squareRoot() + eps)
        }
    }
    public var description: String { "\(decoupled ? "AdamW" : "Adam")(β₁=\(beta1), β₂=\(beta2), ε=\(epsilon), weight decay=\(weightDecay))" }
}

/// RMSProp (Tieleman & Hinton 2012), PyTorch's form: v ← αv + (1−α)g²; w ← w − η·g/(√v + ε).
public struct RMSProp: UpdateRule {
    public var alpha: Double, epsilon: Double, weightDecay: Double
    public init(alpha: Double = 0.99, epsilon: Double = 1e-8, weightDecay: Double = 0) {
        self.alpha = alpha; self.epsilon = epsilon; self.weightDecay = weightDecay
    }
    public var stateSlots: [String] { ["square_avg"] }
    @_specialize(where S == Float)
    public func update<S: Scalar>(w: UnsafeMutableBufferPointer<S>, g: UnsafeBufferPointer<S>,
                                  state: [UnsafeMutableBufferPointer<S>], lr: S, t: Int) {
        let v = state[0], a = S(alpha), eps = S(epsilon), wd = S(weightDecay)
        for i in 0..<w.count {
            let gi = g[i] + wd * w[i]
            v[i] = a * v[i] + (1 - a) * gi * gi
            w[i] -= lr * gi / (v[i].squareRoot() + eps)
        }
    }
    public var description: String { "RMSProp(α=\(alpha), ε=\(epsilon), weight decay=\(weightDecay))" }
}
