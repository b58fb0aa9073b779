import Foundation

/// Spectral quantities of a weight matrix, computed in Double (for probes and recurrent inits).
public enum Spectral {
    /// Spectral radius ρ(W) = max |λ| of a square n×n row-major matrix, by Gelfand's formula
    /// ρ = lim ‖W^k‖^{1/k}, reached by repeated squaring (renormalized every time, the scale kept
    /// as a logarithm) and read as (‖W^{2k}‖/‖W^k‖)^{1/k}, which cancels the constant prefactor
    /// (√n, the eigenbasis' condition number). Works for complex eigenvalues, where power
    /// iteration does not converge; exact for normal matrices.
    public static func spectralRadius(_ w: [Double], n: Int, squarings: Int = 12) -> Double {
        precondition(w.count == n * n && squarings >= 1, "spectralRadius: \(w.count) values for a \(n)×\(n) matrix")
        var m = w, logScale = 0.0
        func normalize() -> Bool {
            let f = m.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard f > 0, f.isFinite else { return false }
            for i in m.indices { m[i] /= f }
            logScale += Foundation.log(f); return true
        }
        guard normalize() else { return 0 }
        var k = 1.0, previous = logScale
        // Large matrices square in Float on the fast GEMM (the probe measures recurrent weights
        // while training, so this must cost little next to a step).
        // The scale lives in `logScale`, so single precision only limits ρ to ~6 digits.
        let fast = n >= 32
        for _ in 0..<squarings {
            previous = logScale
            if fast {
                let a = m.map { Float($0) }
                var c = [Float](repeating: 0, count: n * n)
                a.withUnsafeBufferPointer { ap in c.withUnsafeMutableBufferPointer { cp in
                    Float.gemm(transA: false, transB: false, m: n, n: n, k: n, alpha: 1, a: ap.baseAddress!, lda: n,
                               b: ap.baseAddress!, ldb: n, beta: 0, c: cp.baseAddress!, ldc: n)
                } }
                m = c.map { Double($0) }
            } else {
                var p = [Double](repeating: 0, count: n * n)
                m.withUnsafeBufferPointer { a in p.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n { for l in 0..<n { let x = a[i * n + l]; if x == 0 { continue }
                        for j in 0..<n { c[i * n + j] += x * a[l * n + j] } } }
                } }
                m = p
            }
            logScale *= 2; k *= 2
            guard normalize() else { return 0 }   // nilpotent: W^k = 0
        }
        return Foundation.exp((logScale - previous) / (k / 2))
    }

    /// Largest singular value σ_max of a rows×cols row-major matrix by power iteration on WᵀW.
    public static func largestSingularValue(_ w: [Double], rows: Int, cols: Int, iterations: Int = 100) -> Double {
        var v = (0..<cols).map { Double(($0 * 7919) % 17) - 8 + 0.5 }   // deterministic start
        var sigma = 0.0
        for _ in 0..<iterations {
            var u = [Double](repeating: 0, count: rows)
            for i in 0..<rows { var s = 0.0; for j in 0..<cols { s += w[i * cols + j] * v[j] }; u[i] = s }
            var next = [Double](repeating: 0, count: cols)
            for i in 0..<rows { let x = u[i]; for j in 0..<cols { next[j] += w[i * cols + j] * x } }
            let nrm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard nrm > 0 else { return 0 }
            let estimate = nrm.squareRoot()
            v = next.map { $0 / nrm }
            if Swift.abs(estimate - sigma) <= 1e-10 * estimate { return estimate }
            sigma = estimate
        }
        return sigma
    }
}
