/// A supervised data set: features [n, d] and one target per row.
public struct Dataset<S: Scalar> {
    public enum Targets {
        /// Class indices in 0..<classes.
        case classes([Int], classes: Int)
        /// Real-valued targets [n, outputs].
        case values(Tensor<S>)
        /// One class per time step: labels[i·steps + t] for sample i (sequence-to-sequence tasks).
        case sequenceClasses([Int], classes: Int, steps: Int)
    }
    public var features: Tensor<S>
    public var targets: Targets
    public var name: String

    public init(name: String, features: Tensor<S>, targets: Targets) throws {
        guard features.rank == 2 else { throw GradLabError.data("\(name): features must be [samples, features], got \(features.shape)") }
        let n = features.shape[0]
        switch targets {
        case let .classes(labels, classes), let .sequenceClasses(labels, classes, _):
            let perSample = targets.stepsPerSample
            guard labels.count == n * perSample else { throw GradLabError.data("\(name): \(labels.count) labels for \(n) samples of \(perSample) steps") }
            if let bad = labels.firstIndex(where: { $0 < 0 || $0 >= classes }) {
                throw GradLabError.data("\(name): row \(bad + 1): label \(labels[bad]) outside 0..<\(classes)")
            }
        case let .values(t):
            guard t.rank == 2 && t.shape[0] == n else { throw GradLabError.data("\(name): targets \(t.shape) do not match \(n) samples") }
            if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
                throw GradLabError.data("\(name): row \(bad / t.shape[1] + 1): target is \(t.scalars[bad]); remove or fix non-finite values")
            }
        }
        if let bad = features.scalars.firstIndex(where: { !$0.isFinite }) {
            throw GradLabError.data("\(name): row \(bad / Swift.max(features.shape[1], 1) + 1): feature is \(features.scalars[bad]); remove or fix non-finite values")
        }
        self.name = name; self.features = features; self.targets = targets
    }

    public var count: Int { features.shape[0] }
    public var inputSize: Int { features.shape[1] }
    /// Number of classes, or the number of regression outputs.
    public var outputSize: Int {
        switch targets { case .classes(_, let c), .sequenceClasses(_, let c, _): return c; case .values(let t): return t.shape[1] }
    }
    public var isClassification: Bool { if case .values = targets { return false }; return true }

    /// The rows `indices`, in that order.
    public func subset(_ indices: [Int]) -> Dataset {
        let t: Targets
        switch targets {
        case let .classes(l, c): t = .classes(indices.map { l[$0] }, classes: c)
        case let .values(v): t = .values(v.gatherRows(indices))
        case let .sequenceClasses(l, c, k): t = .sequenceClasses(indices.flatMap { l[($0 * k)..<($0 * k + k)] }, classes: c, steps: k)
        }
        return try! Dataset(name: name, features: features.gatherRows(indices), targets: t)
    }

    /// Mini-batches for one epoch: a permutation drawn from (seed, epoch) alone, so any epoch can
    /// be replayed (or resumed) without drawing the earlier ones. The last batch may be smaller.
    public func batches(size: Int, epoch: Int, seed: UInt64, shuffle: Bool = true) -> [Dataset] {
        precondition(size > 0, "batch size must be positive")
        var rng = SeededRandom.derived(seed: seed, 0xBA7C, UInt64(epoch))
        let order = shuffle ? rng.permutation(count) : Array(0..<count)
        return stride(from: 0, to: count, by: size).map { subset(Array(order[$0..<Swift.min($0 + size, count)])) }
    }

    /// Per-feature standardization (x − μ)/σ using the statistics of `reference` (the training set).
    public func standardized(using reference: Dataset) -> Dataset {
        let d = inputSize
        var mean = [Double](repeating: 0, count: d), sq = [Double](repeating: 0, count: d)
        for i in 0..<reference.count { for j in 0..<d { let v = Double(reference.features.scalars[i * d + j]); mean[j] += v; sq[j] += v * v } }
        let n = Double(Swift.max(reference.count, 1))
        let std = (0..<d).map { j -> Double in let m = mean[j] / n; return Swift.max((sq[j] / n - m * m).squareRoot(), 1e-8) }
        var out = self
        for i in 0..<count { for j in 0..<d {
            out.features.scalars[i * d + j] = S((Double(features.scalars[i * d + j]) - mean[j] / n) / std[j])
        } }
        return out
    }
}

extension Dataset.Targets {
    /// Labels per sample: the number of steps for per-step classes, else 1.
    public var stepsPerSample: Int { if case let .sequenceClasses(_, _, k) = self { return k }; return 1 }
}
