import RealModule

/// Seedable, platform-independent random numbers (xoshiro256**, seeded through SplitMix64).
///
/// Same seed → same stream on every platform and thread count: nothing here reads the clock or
/// the system generator, and every consumer draws in a fixed order.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var sm = seed
        func splitmix() -> UInt64 {
            sm &+= 0x9E37_79B9_7F4A_7C15
            var z = sm
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitmix(), splitmix(), splitmix(), splitmix())
    }

    /// An independent stream derived from this seed and a label (e.g. the epoch number), so that
    /// resuming at any point reproduces the same draws without replaying earlier ones.
    public static func derived(seed: UInt64, _ labels: UInt64...) -> SeededRandom {
        var h = seed
        for l in labels { h = (h ^ l) &* 0x100_0000_01B3 &+ 0x9E37_79B9_7F4A_7C15; h ^= h >> 29 }
        return SeededRandom(seed: h)
    }

    /// The raw state, for checkpoints.
    public var state: [UInt64] { [s.0, s.1, s.2, s.3] }
    public init(state: [UInt64]) { precondition(state.count == 4); s = (state[0], state[1], state[2], state[3]) }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0; s.3 ^= s.1; s.1 ^= s.2; s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }
    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }
    /// Standard normal by Box–Muller (one value per call; deterministic, no cached spare).
    public mutating func normal() -> Double {
        var u1 = uniform()
        while u1 <= .leastNonzeroMagnitude { u1 = uniform() }
        let u2 = uniform()
        return (-2 * Double.log(u1)).squareRoot() * Double.cos(2 * .pi * u2)
    }
    /// Uniform integer in 0..<n.
    public mutating func int(below n: Int) -> Int { Int(next(upperBound: UInt64(n))) }
    /// A random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, int(below: i + 1)) } }
        return p
    }
}

extension Tensor {
    /// N(mean, std²) entries.
    public static func normal(_ shape: [Int], mean: Double = 0, std: Double = 1, rng: inout SeededRandom) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in S(mean + std * rng.normal()) })
    }
    /// U[low, high) entries.
    public static func uniform(_ shape: [Int], low: Double, high: Double, rng: inout SeededRandom) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in S(rng.uniform(low, high)) })
    }
}
