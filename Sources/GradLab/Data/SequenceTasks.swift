/// The classic long-range sequence tasks, generated from a seed. Each row of features is one
/// sequence, flattened time-major: feature index t·F + f for step t and channel f (a model
/// reshapes it to [B, T, F]). Layouts follow ../reference/classic-results.md §1.
public enum SequenceTask: String, CaseIterable, Sendable {
    /// Le et al. 2015 / Arjovsky et al. 2016: values U[0,1] and a 0/1 marker channel, one marker
    /// in each half; target X₁ + X₂.
    case adding
    /// Hochreiter & Schmidhuber 1997, Experiment 4: values U[−1,1], length U{T…1.1T} (shorter
    /// sequences are front-padded with zero pairs to ⌊1.1T⌋), X₁ marked among the first 10
    /// pairs (X₁ := 0 if it is pair 1), X₂ among the first T/2 − 1 unmarked ones, marker −1 on
    /// the first and last pairs otherwise; target 0.5 + (X₁ + X₂)/4.
    case adding1997 = "adding-1997"
    /// Experiment 5: the adding-1997 layout with values U[0,1], X₁ := 1 if pair 1 is marked;
    /// target X₁·X₂.
    case multiplication
    /// Pascanu et al. 2013 (`tempOrder.py`): six one-hot channels (A, B, distractors c–f); A or B
    /// at p₀ ∈ [T/10, 2T/10) and p₁ ∈ [5T/10, 6T/10); classes AA, AB, BA, BB.
    case temporalOrder = "temporal-order"
    /// Arjovsky et al. 2016: 10 symbols from a₀–a₇, T−1 blanks a₈, the delimiter a₉, 10 blanks;
    /// the target is blanks for T+10 steps then the 10 symbols (one class per step).
    case copy
    /// Parity of T random bits given one per step (0/1 input); 2 classes.
    case parity = "seq-parity"

    /// Channels per step.
    public var features: Int {
        switch self { case .adding, .adding1997, .multiplication: return 2; case .temporalOrder: return 6; case .copy: return 10; case .parity: return 1 }
    }
    /// Steps per stored sequence for length parameter T.
    public func steps(_ T: Int) -> Int {
        switch self { case .adding1997, .multiplication: return T * 11 / 10; case .copy: return T + 20; default: return T }
    }
    /// The level a model reaches by ignoring the inputs (predicting the mean or the prior).
    public func baseline(_ T: Int) -> (value: Double, meaning: String) {
        switch self {
        case .adding: return (1.0 / 6, "MSE of always predicting 1")
        case .adding1997: return (1.0 / 24, "MSE of always predicting 0.5")
        case .multiplication: return (0.4 / 3 - 0.275 * 0.275, "MSE of always predicting the mean 0.275")
        case .temporalOrder: return (0.75, "error rate of guessing one of 4 classes (cross-entropy ln 4 = 1.386)")
        case .copy: return (10 * Foundation.log(8.0) / Double(T + 20), "cross-entropy per step of blanks, then uniform guesses over 8 symbols")
        case .parity: return (0.5, "error rate of guessing (cross-entropy ln 2 = 0.693)")
        }
    }

    public func generate<S: Scalar>(samples n: Int, length T: Int, seed: UInt64) -> Dataset<S> {
        precondition(T >= (self == .adding1997 || self == .multiplication ? 22 : 10), "sequence length \(T) is too short for \(rawValue)")
        var rng = SeededRandom.derived(seed: seed, 0x5E9, UInt64(T))
        let L = steps(T), F = features
        var x = [S](repeating: 0, count: n * L * F)
        var values: [S] = [], labels: [Int] = []
        for s in 0..<n {
            let row = s * L * F
            func set(_ t: Int, _ f: Int, _ v: Double) { x[row + t * F + f] = S(v) }
            switch self {
            case .adding:
                let i1 = rng.int(below: T / 2), i2 = T / 2 + rng.int(below: T - T / 2)
                var target = 0.0
                for t in 0..<T {
                    let v = rng.uniform(); set(t, 0, v)
                    if t == i1 || t == i2 { set(t, 1, 1); target += v }
                }
                values.append(S(target))
            case .adding1997, .multiplication:
                let len = T + rng.int(below: T / 10 + 1), pad = L - len
                let i1 = rng.int(below: 10)
                var i2 = rng.int(below: T / 2 - 2); if i2 >= i1 { i2 += 1 }
                var xs = [Double](repeating: 0, count: 2)
                for p in 0..<len {
                    let v = self == .adding1997 ? rng.uniform(-1, 1) : rng.uniform()
                    set(pad + p, 0, v)
                    if p == i1 || p == i2 {
                        set(pad + p, 1, 1)
                        xs[p == i1 ? 0 : 1] = p == 0 ? (self == .adding1997 ? 0 : 1) : v
                    } else if p == 0 || p == len - 1 { set(pad + p, 1, -1) }
                }
                values.append(S(self == .adding1997 ? 0.5 + (xs[0] + xs[1]) / 4 : xs[0] * xs[1]))
            case .temporalOrder:
                let p0 = T / 10 + rng.int(below: Swift.max(T / 10, 1)), p1 = 5 * T / 10 + rng.int(below: Swift.max(T / 10, 1))
                let a = rng.int(below: 2), b = rng.int(below: 2)
                for t in 0..<T { set(t, t == p0 ? a : t == p1 ? b : 2 + rng.int(below: 4), 1) }
                labels.append(2 * a + b)
            case .copy:
                let symbols = (0..<10).map { _ in rng.int(below: 8) }
                for t in 0..<L {
                    let sym = t < 10 ? symbols[t] : t == T + 9 ? 9 : 8
                    set(t, sym, 1)
                    labels.append(t < T + 10 ? 8 : symbols[t - T - 10])
                }
            case .parity:
                var p = 0
                for t in 0..<T { let bit = rng.int(below: 2); set(t, 0, Double(bit)); p ^= bit }
                labels.append(p)
            }
        }
        let features = Tensor(shape: [n, L * F], scalars: x)
        let targets: Dataset<S>.Targets
        switch self {
        case .adding, .adding1997, .multiplication: targets = .values(Tensor(shape: [n, 1], scalars: values))
        case .temporalOrder: targets = .classes(labels, classes: 4)
        case .copy: targets = .sequenceClasses(labels, classes: 10, steps: L)
        case .parity: targets = .classes(labels, classes: 2)
        }
        return try! Dataset(name: "\(rawValue)-T\(T)", features: features, targets: targets)
    }
}

import Foundation
