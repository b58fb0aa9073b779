/// Normalization layers: LayerNorm (per sample, over features) and BatchNorm (per feature, over
/// the batch). Each is one fused op with an analytic backward: a chain of small ops would record
/// about ten nodes and as many temporaries per layer.
///
/// Both normalize x̂ = (x − μ)/√(σ² + ε) with the biased variance σ² and then apply y = γ ⊙ x̂ + β.
/// With ĝ = dy ⊙ γ and the means taken over the axis the statistics came from, the backward is
///   dx = (ĝ − mean(ĝ) − x̂ ⊙ mean(ĝ ⊙ x̂)) / √(σ² + ε),   dγ = Σ dy ⊙ x̂,   dβ = Σ dy,
/// where dγ and dβ sum over every axis but the feature axis.
extension Var {
    /// Layer normalization over the last axis (Ba, Kiros & Hinton 2016).
    ///
    /// Shapes: x [..., d]; γ (`weight`) and β (`bias`) [d]. Statistics are per row of d values.
    @_specialize(where S == Float)
    public func layerNorm(weight: Var, bias: Var, epsilon: Double = 1e-5) -> Var {
        let x = self
        precondition(x.value.rank >= 1 && x.value.count > 0, "layerNorm needs a non-empty input, got shape \(x.shape)")
        let d = x.shape[x.shape.count - 1], n = x.value.count, rows = n / d
        precondition(weight.shape == [d] && bias.shape == [d],
                     "layerNorm: weight \(weight.shape) and bias \(bias.shape) must be [\(d)] for input \(x.shape)")
        let xs = x.value.scalars, gamma = weight.value.scalars, invD = 1 / S(d), eps = S(epsilon)
        // Two passes (mean, then centred squares): no cancellation when |μ| ≫ σ.
        let mu: [S] = filled(rows) { m in reading(xs) { xp in
            for r in 0..<rows { let xr = xp + r * d; m[r] = rowSum(d) { xr[$0] } * invD }
        } }
        let rstd: [S] = filled(rows) { rs in reading(xs, mu) { xp, mp in
            for r in 0..<rows {
                let xr = xp + r * d, m = mp[r]
                let v = rowSum(d) { let c = xr[$0] - m; return c * c }
                rs[r] = 1 / (v * invD + eps).squareRoot()
            }
        } }
        let xhat: [S] = filled(n) { h in reading(xs, mu, rstd) { xp, mp, rp in
            for r in 0..<rows {
                let xr = xp + r * d, hr = h + r * d, m = mp[r], rs = rp[r]
                for j in 0..<d { hr[j] = (xr[j] - m) * rs }
            }
        } }
        let y = affine(xhat, gamma, bias.value.scalars, features: d)
        return tape.record(Tensor(shape: x.shape, scalars: y), inputs: [x, weight, bias]) { g, put in
            if x.tape.needsGrad(x) {
                let gh = scaledByFeature(g.scalars, gamma, features: d)
                // Per row: rstd, rstd·mean(ĝ), rstd·mean(ĝ ⊙ x̂), so dx = a·ĝ − b − x̂·c.
                let abc: [S] = filled(3 * rows) { s in reading(gh, xhat, rstd) { gp, hp, rp in
                    for r in 0..<rows {
                        let gr = gp + r * d, hr = hp + r * d
                        let m1 = rowSum(d) { gr[$0] }, m2 = rowSum(d) { gr[$0] * hr[$0] }
                        s[3 * r] = rp[r]; s[3 * r + 1] = rp[r] * m1 * invD; s[3 * r + 2] = rp[r] * m2 * invD
                    }
                } }
                let dx: [S] = filled(n) { dp in reading(gh, xhat, abc) { gp, hp, sp in
                    for r in 0..<rows {
                        let (a, b, c) = (sp[3 * r], sp[3 * r + 1], sp[3 * r + 2])
                        let gr = gp + r * d, hr = hp + r * d, dr = dp + r * d
                        for j in 0..<d { dr[j] = a * gr[j] - b - hr[j] * c }
                    }
                } }
                put(x.id, Tensor(shape: x.shape, scalars: dx))
            }
            if x.tape.needsGrad(weight) || x.tape.needsGrad(bias) {
                let (dGamma, dBeta) = affineGradients(g.scalars, xhat, features: d)
                put(weight.id, dGamma)
                put(bias.id, dBeta)
            }
        }
    }

    /// Batch normalization with batch statistics (training mode; Ioffe & Szegedy 2015).
    ///
    /// Shapes: x [batch, d]; γ (`weight`) and β (`bias`) [d]. Statistics are per feature over the
    /// batch. Returns the output and the batch mean and biased variance (for running statistics).
    @_specialize(where S == Float)
    public func batchNorm(weight: Var, bias: Var, epsilon: Double = 1e-5) -> (output: Var, mean: Tensor<S>, variance: Tensor<S>) {
        let x = self
        precondition(x.value.rank == 2 && x.value.count > 0, "batchNorm expects a non-empty input [batch, features], got \(x.shape)")
        let (rows, d) = (x.shape[0], x.shape[1]), n = rows * d
        precondition(weight.shape == [d] && bias.shape == [d],
                     "batchNorm: weight \(weight.shape) and bias \(bias.shape) must be [\(d)] for input \(x.shape)")
        let xs = x.value.scalars, gamma = weight.value.scalars, invN = 1 / S(rows), eps = S(epsilon)
        // Row-major input: whole rows accumulate into per-feature sums (contiguous inner loops).
        let mu: [S] = filled(d) { m in reading(xs) { xp in
            for r in 0..<rows { let xr = xp + r * d; for j in 0..<d { m[j] += xr[j] } }
            for j in 0..<d { m[j] *= invN }
        } }
        let variance: [S] = filled(d) { v in reading(xs, mu) { xp, mp in
            for r in 0..<rows { let xr = xp + r * d; for j in 0..<d { let c = xr[j] - mp[j]; v[j] += c * c } }
            for j in 0..<d { v[j] *= invN }
        } }
        let rstd = variance.map { 1 / ($0 + eps).squareRoot() }
        let xhat = standardized(xs, mean: mu, rstd: rstd, features: d)
        let y = affine(xhat, gamma, bias.value.scalars, features: d)
        let out = tape.record(Tensor(shape: x.shape, scalars: y), inputs: [x, weight, bias]) { g, put in
            if x.tape.needsGrad(x) {
                let gh = scaledByFeature(g.scalars, gamma, features: d)
                // Per feature: mean(ĝ) and mean(ĝ ⊙ x̂) over the batch, stored as [m1 | m2].
                let m: [S] = filled(2 * d) { s in reading(gh, xhat) { gp, hp in
                    let s2 = s + d   // one simple loop per sum, so each vectorizes
                    for r in 0..<rows { let gr = gp + r * d; for j in 0..<d { s[j] += gr[j] } }
                    for r in 0..<rows { let gr = gp + r * d, hr = hp + r * d; for j in 0..<d { s2[j] += gr[j] * hr[j] } }
                    for j in 0..<(2 * d) { s[j] *= invN }
                } }
                let dx: [S] = filled(n) { dp in reading(gh, xhat, m) { gp, hp, mp in
                    rstd.withUnsafeBufferPointer { rp in
                        let m2 = mp + d
                        for r in 0..<rows {
                            let gr = gp + r * d, hr = hp + r * d, dr = dp + r * d
                            for j in 0..<d { dr[j] = rp[j] * (gr[j] - mp[j] - hr[j] * m2[j]) }
                        }
                    }
                } }
                put(x.id, Tensor(shape: x.shape, scalars: dx))
            }
            if x.tape.needsGrad(weight) || x.tape.needsGrad(bias) {
                let (dGamma, dBeta) = affineGradients(g.scalars, xhat, features: d)
                put(weight.id, dGamma)
                put(bias.id, dBeta)
            }
        }
        return (out, Tensor(shape: [d], scalars: mu), Tensor(shape: [d], scalars: variance))
    }

    /// Batch normalization with fixed statistics (evaluation mode): an affine map per feature,
    /// y = γ ⊙ (x − m)/√(v + ε) + β. Backward: dx = dy ⊙ γ/√(v + ε), dγ = Σ dy ⊙ x̂, dβ = Σ dy.
    @_specialize(where S == Float)
    public func batchNorm(weight: Var, bias: Var, mean m: Tensor<S>, variance v: Tensor<S>, epsilon: Double = 1e-5) -> Var {
        let x = self
        precondition(x.value.rank == 2 && x.value.count > 0, "batchNorm expects a non-empty input [batch, features], got \(x.shape)")
        let d = x.shape[1]
        precondition(weight.shape == [d] && bias.shape == [d] && m.shape == [d] && v.shape == [d],
                     "batchNorm: weight \(weight.shape), bias \(bias.shape), mean \(m.shape), variance \(v.shape) must be [\(d)]")
        let gamma = weight.value.scalars, eps = S(epsilon), rstd = v.scalars.map { 1 / ($0 + eps).squareRoot() }
        let xhat = standardized(x.value.scalars, mean: m.scalars, rstd: rstd, features: d)
        let y = affine(xhat, gamma, bias.value.scalars, features: d)
        return tape.record(Tensor(shape: x.shape, scalars: y), inputs: [x, weight, bias]) { g, put in
            if x.tape.needsGrad(x) {
                let scale = zip(gamma, rstd).map { $0 * $1 }
                put(x.id, Tensor(shape: x.shape, scalars: scaledByFeature(g.scalars, scale, features: d)))
            }
            if x.tape.needsGrad(weight) || x.tape.needsGrad(bias) {
                let (dGamma, dBeta) = affineGradients(g.scalars, xhat, features: d)
                put(weight.id, dGamma)
                put(bias.id, dBeta)
            }
        }
    }
}

// Kernels on [rows, d] row-major buffers. The loops run on raw pointers (no bounds checks);
// every buffer here is non-empty (the ops check that first).

/// A zero-filled array of n elements written by `body`.
@inline(__always)
private func filled<S: Scalar>(_ n: Int, _ body: (UnsafeMutablePointer<S>) -> Void) -> [S] {
    var a = [S](repeating: 0, count: n)
    a.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    return a
}
@inline(__always)
private func reading<S, R>(_ a: [S], _ body: (UnsafePointer<S>) -> R) -> R {
    a.withUnsafeBufferPointer { body($0.baseAddress!) }
}
@inline(__always)
private func reading<S, R>(_ a: [S], _ b: [S], _ body: (UnsafePointer<S>, UnsafePointer<S>) -> R) -> R {
    a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { body(pa.baseAddress!, $0.baseAddress!) } }
}
@inline(__always)
private func reading<S, R>(_ a: [S], _ b: [S], _ c: [S], _ body: (UnsafePointer<S>, UnsafePointer<S>, UnsafePointer<S>) -> R) -> R {
    a.withUnsafeBufferPointer { pa in reading(b, c) { body(pa.baseAddress!, $0, $1) } }
}

/// Σ_{j<n} term(j) in four partial sums, so consecutive adds do not wait on each other.
@inline(__always)
private func rowSum<S: Scalar>(_ n: Int, _ term: (Int) -> S) -> S {
    var s0: S = 0, s1: S = 0, s2: S = 0, s3: S = 0, j = 0
    while j + 4 <= n { s0 += term(j); s1 += term(j + 1); s2 += term(j + 2); s3 += term(j + 3); j += 4 }
    while j < n { s0 += term(j); j += 1 }
    return (s0 + s1) + (s2 + s3)
}

/// x̂ = (x − m) ⊙ rstd with m and rstd per feature.
@_specialize(where S == Float)
private func standardized<S: Scalar>(_ x: [S], mean: [S], rstd: [S], features d: Int) -> [S] {
    filled(x.count) { h in reading(x, mean, rstd) { xp, mp, rp in
        for r in 0..<(x.count / d) { let xr = xp + r * d, hr = h + r * d; for j in 0..<d { hr[j] = (xr[j] - mp[j]) * rp[j] } }
    } }
}

/// y = γ ⊙ x̂ + β, γ and β per feature.
@_specialize(where S == Float)
private func affine<S: Scalar>(_ xhat: [S], _ gamma: [S], _ beta: [S], features d: Int) -> [S] {
    filled(xhat.count) { y in reading(xhat, gamma, beta) { hp, gp, bp in
        for r in 0..<(xhat.count / d) { let hr = hp + r * d, yr = y + r * d; for j in 0..<d { yr[j] = gp[j] * hr[j] + bp[j] } }
    } }
}

/// g ⊙ s with s per feature (ĝ = dy ⊙ γ).
@_specialize(where S == Float)
private func scaledByFeature<S: Scalar>(_ g: [S], _ s: [S], features d: Int) -> [S] {
    filled(g.count) { o in reading(g, s) { gp, sp in
        for r in 0..<(g.count / d) { let gr = gp + r * d, or = o + r * d; for j in 0..<d { or[j] = gr[j] * sp[j] } }
    } }
}

/// dγ = Σ_rows dy ⊙ x̂ and dβ = Σ_rows dy.
@_specialize(where S == Float)
private func affineGradients<S: Scalar>(_ dy: [S], _ xhat: [S], features d: Int) -> (Tensor<S>, Tensor<S>) {
    let both: [S] = filled(2 * d) { s in reading(dy, xhat) { gp, hp in
        let beta = s + d   // one simple loop per sum, so each vectorizes
        for r in 0..<(dy.count / d) { let gr = gp + r * d, hr = hp + r * d; for j in 0..<d { s[j] += gr[j] * hr[j] } }
        for r in 0..<(dy.count / d) { let gr = gp + r * d; for j in 0..<d { beta[j] += gr[j] } }
    } }
    return (Tensor(shape: [d], scalars: Array(both[..<d])), Tensor(shape: [d], scalars: Array(both[d...])))
}

/// Layer normalization over the features of [batch, features] (Ba, Kiros & Hinton 2016):
/// y = γ ⊙ (x − μ)/√(σ² + ε) + β with μ, σ² per sample. Same in training and evaluation.
/// Parameters `weight` (γ, ones) and `bias` (β, zeros), PyTorch's names.
public final class LayerNorm<S: Scalar>: Layer {
    public let weight: Parameter<S>
    public let bias: Parameter<S>
    public let epsilon: Double
    public var features: Int { weight.value.count }

    public init(_ features: Int, epsilon: Double = 1e-5) throws {
        guard features > 0 else { throw GradLabError.invalid("LayerNorm needs a positive feature count, got \(features)") }
        guard epsilon > 0, epsilon.isFinite else { throw GradLabError.invalid("LayerNorm epsilon \(epsilon) must be positive and finite") }
        weight = Parameter(Tensor(shape: [features], repeating: 1))
        bias = Parameter(Tensor(zeros: [features]))
        self.epsilon = epsilon
    }

    public func forward(_ x: Var<S>) -> Var<S> {
        let t = x.tape
        return x.layerNorm(weight: t.parameter(weight), bias: t.parameter(bias), epsilon: epsilon)
    }
    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [("weight", weight), ("bias", bias)] }
    public var summary: String { "LayerNorm(\(features))" }
    public var probeRole: ProbeRole<S> { .normalization }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == features else {
            throw GradLabError.invalid("LayerNorm(\(features)) got input of shape \(input); expected [batch, \(features)]")
        }
        return input
    }
}

/// Batch normalization over the batch axis of [batch, features] (Ioffe & Szegedy 2015).
///
/// Training mode (`tape.isTraining`) normalizes with the batch mean and biased variance and
/// updates the running statistics as PyTorch does: r ← (1 − momentum)·r + momentum·batch, with
/// the unbiased batch variance for `running_var`. Evaluation mode normalizes with the running
/// statistics. Parameters `weight` (γ, ones) and `bias` (β, zeros); the running statistics are
/// buffers `running_mean` (zeros) and `running_var` (ones), saved in checkpoints, never trained.
public final class BatchNorm<S: Scalar>: StatefulLayer {
    public let weight: Parameter<S>
    public let bias: Parameter<S>
    public let momentum: Double
    public let epsilon: Double
    public private(set) var runningMean: Tensor<S>
    public private(set) var runningVariance: Tensor<S>
    public var features: Int { weight.value.count }

    public init(_ features: Int, momentum: Double = 0.1, epsilon: Double = 1e-5) throws {
        guard features > 0 else { throw GradLabError.invalid("BatchNorm needs a positive feature count, got \(features)") }
        guard momentum >= 0, momentum <= 1 else { throw GradLabError.invalid("BatchNorm momentum \(momentum) must be in [0, 1]") }
        guard epsilon > 0, epsilon.isFinite else { throw GradLabError.invalid("BatchNorm epsilon \(epsilon) must be positive and finite") }
        weight = Parameter(Tensor(shape: [features], repeating: 1))
        bias = Parameter(Tensor(zeros: [features]))
        runningMean = Tensor(zeros: [features])
        runningVariance = Tensor(shape: [features], repeating: 1)
        self.momentum = momentum
        self.epsilon = epsilon
    }

    public func forward(_ x: Var<S>) -> Var<S> {
        let t = x.tape
        precondition(x.value.rank == 2 && x.shape[1] == features,
                     "BatchNorm(\(features)) got input of shape \(x.shape); expected [batch, \(features)]")
        guard t.isTraining else {
            return x.batchNorm(weight: t.parameter(weight), bias: t.parameter(bias),
                               mean: runningMean, variance: runningVariance, epsilon: epsilon)
        }
        let n = x.shape[0]
        precondition(n > 1, "BatchNorm in training mode needs at least 2 samples per batch, got \(n); use a larger batch or evaluation mode")
        let (y, mean, variance) = x.batchNorm(weight: t.parameter(weight), bias: t.parameter(bias), epsilon: epsilon)
        let m = S(momentum), unbias = S(n) / S(n - 1)
        for j in 0..<features {
            runningMean.scalars[j] = (1 - m) * runningMean.scalars[j] + m * mean.scalars[j]
            runningVariance.scalars[j] = (1 - m) * runningVariance.scalars[j] + m * variance.scalars[j] * unbias
        }
        return y
    }

    public var namedParameters: [(name: String, parameter: Parameter<S>)] { [("weight", weight), ("bias", bias)] }
    public var namedBuffers: [(name: String, tensor: Tensor<S>)] { [("running_mean", runningMean), ("running_var", runningVariance)] }
    public func loadBuffer(name: String, _ tensor: Tensor<S>) throws {
        guard tensor.shape == [features] else {
            throw GradLabError.invalid("BatchNorm(\(features)) buffer '\(name)' has shape \(tensor.shape); expected [\(features)]")
        }
        switch name {
        case "running_mean": runningMean = tensor
        case "running_var": runningVariance = tensor
        default: throw GradLabError.invalid("BatchNorm has no buffer '\(name)'; its buffers are running_mean and running_var")
        }
    }
    public var summary: String { "BatchNorm(\(features), momentum=\(momentum))" }
    public var probeRole: ProbeRole<S> { .normalization }
    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == features else {
            throw GradLabError.invalid("BatchNorm(\(features)) got input of shape \(input); expected [batch, \(features)]")
        }
        return input
    }
}
