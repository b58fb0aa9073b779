import RealModule

/// Seeded synthetic data sets. Same seed → same data on every machine.
public enum SyntheticData {
    /// `classes` isotropic Gaussian blobs in `dimensions` dimensions; centers ~ U[−5, 5]^d, each
    /// point = center + N(0, std²).
    public static func blobs<S: Scalar>(samples: Int, classes: Int = 3, dimensions: Int = 2, std: Double = 1, seed: UInt64) -> Dataset<S> {
        var rng = SeededRandom(seed: seed)
        let centers = (0..<classes).map { _ in (0..<dimensions).map { _ in rng.uniform(-5, 5) } }
        var x = [S](), y = [Int]()
        for i in 0..<samples {
            let c = i % classes
            y.append(c)
            for d in 0..<dimensions { x.append(S(centers[c][d] + std * rng.normal())) }
        }
        return try! Dataset(name: "blobs", features: Tensor(shape: [samples, dimensions], scalars: x), targets: .classes(y, classes: classes))
    }

    /// Two concentric circles (radius 1 and `factor`), labels 0 (outer) / 1 (inner), N(0, noise²) jitter.
    public static func circles<S: Scalar>(samples: Int, noise: Double = 0.05, factor: Double = 0.5, seed: UInt64) -> Dataset<S> {
        var rng = SeededRandom(seed: seed)
        var x = [S](), y = [Int]()
        for i in 0..<samples {
            let inner = i % 2, r = inner == 1 ? factor : 1, a = rng.uniform(0, 2 * .pi)
            x += [S(r * Double.cos(a) + noise * rng.normal()), S(r * Double.sin(a) + noise * rng.normal())]
            y.append(inner)
        }
        return try! Dataset(name: "circles", features: Tensor(shape: [samples, 2], scalars: x), targets: .classes(y, classes: 2))
    }

    /// Two interleaved spirals (Lang & Witbrock 1988): arm k at angle θ ∈ [0, turns·2π] has radius
    /// θ/(turns·2π)·r_max, arm 1 rotated by π; N(0, noise²) jitter. Coordinates are in [−1, 1].
    public static func twoSpirals<S: Scalar>(samples: Int, turns: Double = 1.5, noise: Double = 0.0, seed: UInt64) -> Dataset<S> {
        var rng = SeededRandom(seed: seed)
        var x = [S](), y = [Int]()
        for i in 0..<samples {
            let arm = i % 2
            let t = rng.uniform(0.05, 1)
            let theta = t * turns * 2 * .pi + Double(arm) * .pi
            x += [S(t * Double.cos(theta) + noise * rng.normal()), S(t * Double.sin(theta) + noise * rng.normal())]
            y.append(arm)
        }
        return try! Dataset(name: "spirals", features: Tensor(shape: [samples, 2], scalars: x), targets: .classes(y, classes: 2))
    }

    /// Parity of `bits` random ±1 inputs (XOR for bits = 2): label 1 when an odd number are +1.
    public static func parity<S: Scalar>(samples: Int, bits: Int = 2, seed: UInt64) -> Dataset<S> {
        var rng = SeededRandom(seed: seed)
        var x = [S](), y = [Int]()
        for _ in 0..<samples {
            var ones = 0
            for _ in 0..<bits { let b = rng.int(below: 2); ones += b; x.append(b == 1 ? 1 : -1) }
            y.append(ones % 2)
        }
        return try! Dataset(name: bits == 2 ? "xor" : "parity\(bits)", features: Tensor(shape: [samples, bits], scalars: x), targets: .classes(y, classes: 2))
    }

    /// Teacher–student regression: x ~ N(0, I_d), y = teacher(x) + N(0, noise²), the teacher a
    /// random tanh MLP (`hidden` units, one hidden layer, W ~ N(0, 1/fan_in)).
    public static func teacherStudent<S: Scalar>(samples: Int, inputs: Int = 10, hidden: Int = 32, outputs: Int = 1,
                                                 noise: Double = 0.01, seed: UInt64) -> Dataset<S> {
        var rng = SeededRandom(seed: seed)
        let w1 = (0..<(hidden * inputs)).map { _ in rng.normal() / Double(inputs).squareRoot() }
        let w2 = (0..<(outputs * hidden)).map { _ in rng.normal() / Double(hidden).squareRoot() }
        var x = [S](), y = [S]()
        for _ in 0..<samples {
            let xi = (0..<inputs).map { _ in rng.normal() }
            x += xi.map { S($0) }
            let h = (0..<hidden).map { j in Double.tanh((0..<inputs).reduce(0) { $0 + w1[j * inputs + $1] * xi[$1] }) }
            for o in 0..<outputs { y.append(S((0..<hidden).reduce(0) { $0 + w2[o * hidden + $1] * h[$1] } + noise * rng.normal())) }
        }
        return try! Dataset(name: "teacher", features: Tensor(shape: [samples, inputs], scalars: x),
                            targets: .values(Tensor(shape: [samples, outputs], scalars: y)))
    }
}
