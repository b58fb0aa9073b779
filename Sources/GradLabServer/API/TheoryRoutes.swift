import Foundation
import GradLab
import GradLabTheory
import GradLabKit
import Hummingbird
import HummingbirdWebSocket

/// The phase-diagram page's numbers: mean-field theory over the (σ_w², σ_b²) plane for one
/// activation (Poole et al. 2016, Schoenholz et al. 2017) — the trainable depth 6ξ_c, the
/// critical line χ₁ = 1 — and one point's q*, χ₁, ξ and phase at the user's depth.
struct TheoryRoutes {
    struct Plane: Encodable {
        var activation: String, xs: [Double], ys: [Double], trainableDepth: [[Double?]], critical: [Point], cap: Double, depth: Int
        struct Point: Encodable { var w: Double, b: Double }
    }
    struct PointReport: Encodable {
        var sigmaW2: Double, sigmaB2: Double, depth: Int
        var qStar: Double?
        var chi1: Double
        var xi: Double?, trainableDepth: Double?
        var phase: String, text: String
    }

    static let cap = 1000.0
    static let quadrature = GaussHermite(order: 41)
    /// The page's grid, coarser than the CLI's figure: a correlation-map fixed point per chaotic
    /// cell keeps a tanh plane to about a second, computed once per activation.
    static let xs = stride(from: 0.5, through: 4.5, by: 0.2).map { $0 }, ys = stride(from: 0.0, through: 0.3, by: 0.025).map { $0 }

    /// The plane: 6ξ_c at each grid point, and the critical line traced by its fixed length.
    static func plane(_ act: ActivationKind) -> Plane {
        var depth = [[Double?]](repeating: [], count: ys.count)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: ys.count) { row in
            let values = xs.map { PhaseDiagram.drawn(SignalPropagation(activation: act, sigmaW2: $0, sigmaB2: ys[row], quadrature: quadrature).trainableDepth, cap: cap) }
            lock.lock(); depth[row] = values; lock.unlock()
        }
        let critical = SignalPropagation.criticalLine(activation: act, maxSigmaB2: ys.last!, quadrature: quadrature)
            .filter { $0.sigmaW2 <= xs.last! }.map { Plane.Point(w: $0.sigmaW2, b: $0.sigmaB2) }
        return Plane(activation: act.rawValue, xs: xs, ys: ys, trainableDepth: depth, critical: critical, cap: cap, depth: 0)
    }

    func add(to router: Router<BasicWebSocketRequestContext>) {
        let planes = PlaneCache()
        router.get("/api/phase") { request, _ in
            let q = request.uri.queryParameters
            let act = try Self.activation(q["activation"])
            let depth = try Self.number(q["depth"], "depth", 20, 1...10_000) { Int($0) }
            var plane = try await JSONBody.offLoop { planes.plane(act) }
            plane.depth = depth
            return JSONBody.response(plane)
        }
        router.get("/api/phase/point") { request, _ in
            let q = request.uri.queryParameters
            let act = try Self.activation(q["activation"])
            let w = try Self.number(q["sigma-w2"], "sigma-w2", 1.0, 0.01...100) { Double($0) }
            let b = try Self.number(q["sigma-b2"], "sigma-b2", 0.0, 0...10) { Double($0) }
            let depth = try Self.number(q["depth"], "depth", 20, 1...10_000) { Int($0) }
            let sp = SignalPropagation(activation: act, sigmaW2: w, sigmaB2: b, quadrature: Self.quadrature)
            let phase = sp.phase(depth: depth)
            return JSONBody.response(PointReport(sigmaW2: w, sigmaB2: b, depth: depth, qStar: sp.qStar.value, chi1: sp.chi1AtFixedPoint,
                                                 xi: sp.xiC.value, trainableDepth: sp.trainableDepth.value, phase: phase.kind.rawValue,
                                                 text: phase.label))
        }
    }

    static func activation(_ s: Substring?) throws -> ActivationKind {
        guard let s else { return .tanh }
        guard let a = ActivationKind(name: String(s)) else {
            throw APIError(.badRequest, "activation '\(s)' is not known; allowed: \(ActivationKind.names.joined(separator: ", "))", key: "activation")
        }
        return a
    }

    static func number<T: Comparable>(_ s: Substring?, _ key: String, _ fallback: T, _ range: ClosedRange<T>, _ parse: (String) -> T?) throws -> T {
        guard let s else { return fallback }
        guard let v = parse(String(s)), range.contains(v) else {
            throw APIError(.badRequest, "\(key) '\(s)' must be a number in \(range.lowerBound)…\(range.upperBound)", key: key)
        }
        return v
    }
}

/// Each activation's plane, computed on first request.
final class PlaneCache: @unchecked Sendable {
    private let lock = NSLock()
    private var planes: [ActivationKind: TheoryRoutes.Plane] = [:]

    func plane(_ act: ActivationKind) -> TheoryRoutes.Plane {
        lock.lock(); defer { lock.unlock() }
        if let p = planes[act] { return p }
        let p = TheoryRoutes.plane(act)
        planes[act] = p
        return p
    }
}
