import GradLab

/// Singular values of layer Jacobians, in Double. For a Dense block h_l = φ(W h_{l−1} + b) the
/// Jacobian at one input is J_l = diag(φ'(z_l))·W_l, so J v = φ'⊙(W v) and Jᵀu = Wᵀ(φ'⊙u) need no
/// extra autodiff. The whole input–output Jacobian is the product J_L⋯J_1.
///   σ_max: power iteration on JᵀJ (60 rounds, from a seeded random start).
///   mean σ²: ‖J‖_F² / min(rows, cols); exact per layer, by Hutchinson's estimator
///   E‖J v‖² = tr(JᵀJ) with 16 Gaussian probes v for the whole network.
/// Per-sample values are averaged over the first `samples` rows of the input.
public enum JacobianSpectra {
    public struct Spectrum: Equatable, Sendable { public var sigmaMax: Double; public var meanSquaredSigma: Double }

    public static func measure(blocks: [(weight: Parameter<Float>, bias: Parameter<Float>?, activation: ActivationKind?)], input: Tensor<Float>, samples: Int = 4) -> (layers: [Spectrum], total: Spectrum) {
        let weights = blocks.map { (w: $0.weight.value.converted(to: Double.self), b: $0.bias?.value.converted(to: Double.self)) }
        // ‖row i of W_l‖², for the exact ‖J_l‖_F² = Σᵢ φ'(z_i)²‖W_i‖².
        let rowNorms = weights.map { w in
            (0..<w.w.shape[0]).map { i in w.w.scalars[(i * w.w.shape[1])..<((i + 1) * w.w.shape[1])].reduce(0) { $0 + $1 * $1 } }
        }
        var layerAcc = [Spectrum](repeating: Spectrum(sigmaMax: 0, meanSquaredSigma: 0), count: blocks.count)
        var total = Spectrum(sigmaMax: 0, meanSquaredSigma: 0)
        let n = Swift.max(1, Swift.min(samples, input.shape[0]))
        for s in 0..<n {
            var h = (0..<input.shape[1]).map { Double(input[s, $0]) }
            var derivs: [[Double]] = []
            for (l, (_, _, act)) in blocks.enumerated() {
                let (w, b) = weights[l]
                var z = matVec(w, h)
                if let b { for i in z.indices { z[i] += b.scalars[i] } }
                let kind = act ?? .identity
                let y = z.map { kind.reference($0) }
                derivs.append(zip(z, y).map { kind.derivative(x: $0, y: $1) })
                h = y
            }
            for l in blocks.indices {
                let w = weights[l].w, d = derivs[l]
                let jv: ([Double]) -> [Double] = { v in zip(matVec(w, v), d).map(*) }
                let jtu: ([Double]) -> [Double] = { u in matTVec(w, zip(u, d).map(*)) }
                let sig = powerIteration(inputSize: w.shape[1], jv: jv, jtu: jtu, seed: UInt64(l))
                var frob = 0.0
                for i in 0..<w.shape[0] { frob += d[i] * d[i] * rowNorms[l][i] }
                layerAcc[l].sigmaMax += sig / Double(n)
                layerAcc[l].meanSquaredSigma += frob / Double(Swift.min(w.shape[0], w.shape[1])) / Double(n)
            }
            let jv: ([Double]) -> [Double] = { v in
                var x = v
                for l in blocks.indices { x = zip(matVec(weights[l].w, x), derivs[l]).map(*) }
                return x
            }
            let jtu: ([Double]) -> [Double] = { u in
                var x = u
                for l in blocks.indices.reversed() { x = matTVec(weights[l].w, zip(x, derivs[l]).map(*)) }
                return x
            }
            let inSize = weights[0].w.shape[1], outSize = weights.last!.w.shape[0]
            total.sigmaMax += powerIteration(inputSize: inSize, jv: jv, jtu: jtu, seed: 99) / Double(n)
            var rng = SeededRandom(seed: 7 &+ UInt64(s))
            var est = 0.0
            for _ in 0..<16 {
                let v = (0..<inSize).map { _ in rng.normal() }
                est += jv(v).reduce(0) { $0 + $1 * $1 } / 16
            }
            total.meanSquaredSigma += est / Double(Swift.min(inSize, outSize)) / Double(n)
        }
        return (layerAcc, total)
    }

    /// Largest singular value of J from products with J and Jᵀ.
    public static func powerIteration(inputSize: Int, jv: ([Double]) -> [Double], jtu: ([Double]) -> [Double],
                                      rounds: Int = 60, seed: UInt64 = 1) -> Double {
        var rng = SeededRandom(seed: seed)
        var v = (0..<inputSize).map { _ in rng.normal() }
        var sigma = 0.0
        for _ in 0..<rounds {
            let nv = norm(v)
            guard nv > 0, nv.isFinite else { return nv.isFinite ? 0 : .nan }
            v = v.map { $0 / nv }
            let u = jv(v)
            sigma = norm(u)
            v = jtu(u)
        }
        return sigma
    }

    public static func norm(_ v: [Double]) -> Double { v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
    /// W·v for a [rows, cols] matrix (row-major).
    public static func matVec(_ w: Tensor<Double>, _ v: [Double]) -> [Double] {
        let (rows, cols) = (w.shape[0], w.shape[1])
        return w.scalars.withUnsafeBufferPointer { wp in v.withUnsafeBufferPointer { vp in
            (0..<rows).map { i in
                // Eight independent partial sums, so the dot product is not one serial chain of adds.
                let row = wp.baseAddress! + i * cols
                var acc = SIMD8<Double>()
                var j = 0
                while j + 8 <= cols {
                    acc = acc.addingProduct(UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Double>.self),
                                            UnsafeRawPointer(vp.baseAddress! + j).loadUnaligned(as: SIMD8<Double>.self))
                    j += 8
                }
                var s = acc.sum()
                while j < cols { s += row[j] * vp[j]; j += 1 }
                return s
            }
        } }
    }

    /// Wᵀ·u for a [rows, cols] matrix (row-major): rows scaled and summed, contiguous inner loop.
    public static func matTVec(_ w: Tensor<Double>, _ u: [Double]) -> [Double] {
        let (rows, cols) = (w.shape[0], w.shape[1])
        var out = [Double](repeating: 0, count: cols)
        w.scalars.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { op in
            for i in 0..<rows {
                let row = wp.baseAddress! + i * cols, ui = u[i]
                for j in 0..<cols { op[j] += row[j] * ui }
            }
        } }
        return out
    }
}

extension JacobianSpectra {
    /// The bound τ of the dynamical-isometry criterion.
    public static let isometryTolerance = 0.5

    /// Dynamical isometry (Saxe et al. 2014; Pennington, Schoenholz & Ganguli 2017): the squared
    /// singular values λ of the input–output Jacobian concentrate near 1. Claimed only when both
    /// |E[λ] − 1| ≤ τ and √Var[λ] ≤ τ (τ = `isometryTolerance`): a small spread alone is not enough,
    /// since a spectrum squeezed near 0 (a deep sigmoid net) or far above 1 also has a small spread.
    public static func isNearIsometry(meanSquared mean: Double, variance: Double) -> Bool {
        guard mean.isFinite, variance.isFinite, variance >= 0 else { return false }
        return Swift.abs(mean - 1) <= isometryTolerance && variance.squareRoot() <= isometryTolerance
    }
}
