import Foundation

/// Gauss–Hermite quadrature for Gaussian expectations: E[f(z)], z ~ N(0, 1), is
/// Σᵢ (wᵢ/√π)·f(√2·xᵢ) with the nodes xᵢ and weights wᵢ of the weight function e^{−x²}.
/// Nodes and weights by Golub–Welsch: the eigenvalues of the symmetric tridiagonal matrix with
/// zero diagonal and off-diagonal √(k/2), k = 1…n−1, and wᵢ = √π·vᵢ₁² from the first component
/// of each normalized eigenvector (implicit QL with shifts).
public struct GaussHermite: Sendable {
    /// Standard-normal points zᵢ = √2·xᵢ and probabilities pᵢ = wᵢ/√π (Σ pᵢ = 1).
    public let points: [Double]
    public let probabilities: [Double]

    public init(order n: Int = 101) {
        precondition(n >= 2, "quadrature order must be ≥ 2")
        var d = [Double](repeating: 0, count: n)
        var e = (0..<n).map { k in k + 1 < n ? Double(k + 1).squareRoot() / 2.0.squareRoot() : 0 }
        // z holds only the first row of the eigenvector matrix: all the weights need.
        var z = [Double](repeating: 0, count: n); z[0] = 1
        for l in 0..<n {
            var iter = 0
            while true {
                var m = l
                while m < n - 1 {
                    let dd = abs(d[m]) + abs(d[m + 1])
                    if abs(e[m]) <= 1e-15 * dd { break }
                    m += 1
                }
                if m == l { break }
                iter += 1
                precondition(iter < 200, "Gauss–Hermite eigensolver did not converge")
                var g = (d[l + 1] - d[l]) / (2 * e[l])
                var r = (g * g + 1).squareRoot()
                g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r))
                var s = 1.0, c = 1.0, p = 0.0
                var i = m - 1
                var underflow = false
                while i >= l {
                    var f = s * e[i]
                    let b = c * e[i]
                    r = (f * f + g * g).squareRoot()
                    e[i + 1] = r
                    if r == 0 { d[i + 1] -= p; e[m] = 0; underflow = true; break }
                    s = f / r; c = g / r
                    g = d[i + 1] - p
                    r = (d[i] - g) * s + 2 * c * b
                    p = s * r
                    d[i + 1] = g + p
                    g = c * r - b
                    f = z[i + 1]
                    z[i + 1] = s * z[i] + c * f
                    z[i] = c * z[i] - s * f
                    i -= 1
                }
                if underflow { continue }
                d[l] -= p; e[l] = g; e[m] = 0
            }
        }
        let order = (0..<n).sorted { d[$0] < d[$1] }
        points = order.map { 2.0.squareRoot() * d[$0] }
        probabilities = order.map { z[$0] * z[$0] }
    }

    /// E[f(z)] for z ~ N(0, 1).
    @inline(__always)
    public func expect(_ f: (Double) -> Double) -> Double {
        var s = 0.0
        for i in points.indices where probabilities[i] > 0 { s += probabilities[i] * f(points[i]) }
        return s
    }

    /// E[f(s·z)] for z ~ N(0, 1) at any scale s > 0, for f with kinks or jumps at 0 (SELU's φ'
    /// jumps from λα to λ: Gauss–Hermite gave χ₁ = 1.215 for SELU at q = 1, the integral is 1.072) or
    /// features far narrower than s (tanh at σ_w² = 10⁶ put no Hermite node inside sech²'s peak):
    /// ∫ f(x) N(x; 0, s²) dx by 16-point Gauss–Legendre on panels of x ≥ 0 (mirrored) split at 0,
    /// ¼, ½, 1, 2, 4, … (f's features near 0) and at s·{½, 1, 2, 3, 4, 6, 8, 10} (the Gaussian's),
    /// up to 12s.
    public func expect(scale s: Double, _ f: (Double) -> Double) -> Double {
        guard s > 0 else { return f(0) }
        var cuts = Set([0.5, 1, 2, 3, 4, 6, 8, 10, 12].map { $0 * s }), e = 0.25
        while e < 12 * s { cuts.insert(e); e *= 2 }
        let edges = [0.0] + cuts.sorted()
        let norm = 1 / (s * (2 * Double.pi).squareRoot())
        var sum = 0.0
        for k in 1..<edges.count {
            let (a, b) = (edges[k - 1], edges[k]), half = (b - a) / 2, mid = (a + b) / 2
            for (t, w) in zip(Self.legendre.nodes, Self.legendre.weights) {
                let x = mid + half * t, density = Foundation.exp(-x * x / (2 * s * s)) * norm
                sum += w * half * density * (f(x) + f(-x))
            }
        }
        return sum
    }

    /// 16-point Gauss–Legendre nodes and weights on [−1, 1] (Newton on P₁₆, wᵢ = 2/((1 − xᵢ²)P₁₆'(xᵢ)²)).
    static let legendre: (nodes: [Double], weights: [Double]) = {
        let n = 16
        var nodes: [Double] = [], weights: [Double] = []
        for i in 1...n {
            var x = Foundation.cos(Double.pi * (Double(i) - 0.25) / (Double(n) + 0.5)), dp = 1.0
            for _ in 0..<100 {
                var (p0, p1) = (1.0, x)
                for k in 2...n { (p0, p1) = (p1, ((2 * Double(k) - 1) * x * p1 - Double(k - 1) * p0) / Double(k)) }
                dp = Double(n) * (x * p1 - p0) / (x * x - 1)
                let dx = p1 / dp
                x -= dx
                if Swift.abs(dx) < 1e-16 { break }
            }
            nodes.append(x); weights.append(2 / ((1 - x * x) * dp * dp))
        }
        return (nodes, weights)
    }()

    /// E[f(z₁, z₂)] for independent standard normals (tensor-product rule).
    public func expect2(_ f: (Double, Double) -> Double) -> Double {
        var s = 0.0
        for i in points.indices where probabilities[i] > 1e-300 {
            for j in points.indices where probabilities[j] > 1e-300 {
                s += probabilities[i] * probabilities[j] * f(points[i], points[j])
            }
        }
        return s
    }
}
