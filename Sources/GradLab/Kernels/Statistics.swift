/// One-pass summary statistics of a buffer: what the gradient probe measures on every tensor.
///
/// Float buffers take a fast path built for the probe's ≤ 2% budget: the counts and the max|x|
/// run on the IEEE bit patterns as integer reductions (which LLVM vectorizes; float reductions it
/// may not reorder), the sums in 16-lane float accumulators flushed to Double every 4096 elements.
/// NaN and ±Inf are counted, never dropped: a non-finite element makes the sums non-finite too.
public struct BufferSummary: Codable, Equatable, Sendable {
    public var count = 0
    public var sum = 0.0
    public var sumOfSquares = 0.0
    public var sumOfAbs = 0.0
    public var maxAbs = 0.0
    public var zeros = 0
    public var nonFinite = 0
    /// Elements with |x| above the threshold passed to `summarize`.
    public var beyond = 0

    public var norm: Double { sumOfSquares.squareRoot() }
    public var rms: Double { count == 0 ? 0 : (sumOfSquares / Double(count)).squareRoot() }
    public var meanAbs: Double { count == 0 ? 0 : sumOfAbs / Double(count) }
    public var mean: Double { count == 0 ? 0 : sum / Double(count) }
    public var std: Double { count == 0 ? 0 : Swift.max(sumOfSquares / Double(count) - mean * mean, 0).squareRoot() }
    public var zeroFraction: Double { count == 0 ? 0 : Double(zeros) / Double(count) }
    public var beyondFraction: Double { count == 0 ? 0 : Double(beyond) / Double(count) }
}

extension Tensor {
    /// Summary statistics; `beyond` counts elements with |x| > threshold.
    public func summary(beyond threshold: Double = .infinity) -> BufferSummary {
        scalars.withUnsafeBufferPointer { summarize($0, beyond: threshold) }
    }
}

public func summarize<S: Scalar>(_ x: UnsafeBufferPointer<S>, beyond threshold: Double = .infinity) -> BufferSummary {
    if S.self == Float.self {
        return summarizeFloat(UnsafeBufferPointer(start: UnsafeRawPointer(x.baseAddress)?.assumingMemoryBound(to: Float.self), count: x.count), beyond: threshold)
    }
    var s = BufferSummary()
    s.count = x.count
    for v in x {
        let d = Double(v)
        if !d.isFinite { s.nonFinite += 1 }
        if d == 0 { s.zeros += 1 }
        if Swift.abs(d) > threshold { s.beyond += 1 }
        s.sum += d; s.sumOfSquares += d * d; s.sumOfAbs += Swift.abs(d)
        s.maxAbs = d.isNaN ? .nan : (s.maxAbs.isNaN ? s.maxAbs : Swift.max(s.maxAbs, Swift.abs(d)))
    }
    return s
}

private func summarizeFloat(_ x: UnsafeBufferPointer<Float>, beyond threshold: Double) -> BufferSummary {
    guard let base = x.baseAddress, x.count > 0 else { return BufferSummary() }
    let limit = threshold >= Double(Float.greatestFiniteMagnitude) ? Int32(0x7F80_0000) : Int32(bitPattern: Float(threshold).bitPattern & 0x7FFF_FFFF)
    return chunked(x.count) { lo, hi in summaryChunk(base + lo, hi - lo, limit) }
}

/// One chunk (≤ 4096 elements). One load per 16 elements feeds both halves. Integer half,
/// branch-free on |x|'s bits a ∈ [0, 2³¹): a == 0 ⇔ (a − 1) < 0; a ≥ 0x7F800000 (Inf/NaN) ⇔
/// a + 0x00800000 ≥ 2³¹; a > limit ⇔ limit − a < 0; max(m, a) = m − ((m − a) & ((m − a) >> 31));
/// a sign is read by shifting right by 31. Float half: 16-lane sums, then Double.
@inline(__always)
private func summaryChunk(_ base: UnsafePointer<Float>, _ count: Int, _ limit: Int32) -> BufferSummary {
    typealias I = SIMD16<Int32>
    typealias V = SIMD16<Float>
    let signMask = I(repeating: 0x7FFF_FFFF), one = I(repeating: 1), inf = I(repeating: 0x0080_0000)
    let lim = I(repeating: limit), shift = I(repeating: 31)
    var s = BufferSummary()
    s.count = count
    var vmax = I(), vzero = I(), vnonfinite = I(), vbeyond = I()
    var sum = V(), sq = V(), ab = V()
    var i = 0
    while i + 16 <= count {
        let v = UnsafeRawPointer(base + i).loadUnaligned(as: V.self)
        let a = unsafeBitCast(v, to: I.self) & signMask
        vzero &+= ((a &- one) &>> shift) & one
        vnonfinite &+= ((a &+ inf) &>> shift) & one
        vbeyond &+= ((lim &- a) &>> shift) & one
        let d = vmax &- a
        vmax = vmax &- (d & (d &>> shift))
        sum += v; sq = sq.plusProduct(v, v); ab += unsafeBitCast(a, to: V.self)
        i += 16
    }
    var maxBits: Int32 = 0
    for l in 0..<16 { maxBits = Swift.max(maxBits, vmax[l]) }
    var ts = 0.0, tq = 0.0, ta = 0.0
    while i < count {
        let d = Double(base[i]), a = Int32(bitPattern: base[i].bitPattern & 0x7FFF_FFFF)
        ts += d; tq += d * d; ta += Swift.abs(d)
        maxBits = Swift.max(maxBits, a)
        s.zeros += a == 0 ? 1 : 0; s.nonFinite += a >= 0x7F80_0000 ? 1 : 0; s.beyond += a > limit ? 1 : 0
        i += 1
    }
    s.zeros += Int(vzero.wrappedSum()); s.nonFinite += Int(vnonfinite.wrappedSum()); s.beyond += Int(vbeyond.wrappedSum())
    s.sum = Double(sum.sum()) + ts; s.sumOfSquares = Double(sq.sum()) + tq; s.sumOfAbs = Double(ab.sum()) + ta
    s.maxAbs = Double(Float(bitPattern: UInt32(maxBits)))
    return s
}

/// Statistics an activation op measures while it computes its gradient: moments of its output y
/// (|y| > threshold counted) and Σdx² of the gradient it passes down, each 4096-element chunk
/// summarized right after it is written, while it is in cache. Bit-identical to `moments` of the
/// whole buffers.
public struct ActivationGradientStatistics: Sendable {
    public var output: BufferSummary
    public var inputGradient: BufferSummary
}

/// dx = dy · φ'(x, y) with `ActivationGradientStatistics` measured in the same sweep.
func activationBackwardMeasured(_ kind: ActivationKind, x: UnsafeBufferPointer<Float>, y: UnsafeBufferPointer<Float>,
                                dy: UnsafeBufferPointer<Float>, dx: UnsafeMutableBufferPointer<Float>,
                                beyond threshold: Double) -> ActivationGradientStatistics {
    guard let xb = x.baseAddress, let yb = y.baseAddress, let gb = dy.baseAddress, let db = dx.baseAddress, dx.count > 0 else {
        return ActivationGradientStatistics(output: BufferSummary(), inputGradient: BufferSummary())
    }
    let counting = threshold < Double(Float.greatestFiniteMagnitude)
    let limit = Int32(bitPattern: Float(Swift.min(threshold, Double(Float.greatestFiniteMagnitude))).bitPattern & 0x7FFF_FFFF)
    var output = BufferSummary(), gradient = BufferSummary()
    forEachChunk(dx.count, { lo, hi in
        if kind == .tanh { return tanhBackwardChunk(yb + lo, gb + lo, db + lo, hi - lo, counting ? limit : nil) }
        VectorMath.backwardRange(kind, xb + lo, yb + lo, gb + lo, db + lo, hi - lo)
        return (momentsChunk(yb + lo, hi - lo, counting ? limit : nil, false), momentsChunk(db + lo, hi - lo, nil, true))
    }, merge: { output.merge($0.0); gradient.merge($0.1) })
    output.nonFinite = (output.sum + output.sumOfSquares).isFinite ? 0 : 1
    gradient.nonFinite = gradient.sumOfSquares.isFinite ? 0 : 1
    return ActivationGradientStatistics(output: output, inputGradient: gradient)
}

/// tanh's dx = dy·(1 − y²) and both chunk summaries in one loop, so the reductions hide under the
/// loads and stores. The arithmetic (accumulators, their order, the scalar tail) is exactly
/// `momentsChunk`'s on y and on dx, and dx is exactly `VectorMath.backwardRange`'s.
@inline(__always)
private func tanhBackwardChunk(_ yb: UnsafePointer<Float>, _ gb: UnsafePointer<Float>, _ db: UnsafeMutablePointer<Float>,
                               _ count: Int, _ limit: Int32?) -> (BufferSummary, BufferSummary) {
    typealias I = SIMD16<Int32>
    typealias V = SIMD16<Float>
    let one = V(repeating: 1), signMask = I(repeating: 0x7FFF_FFFF), ones = I(repeating: 1)
    let lim = I(repeating: limit ?? 0), shift = I(repeating: 31)
    var sum = V(), sq = V(), vbeyond = I(), dq = V(), dq2 = V()
    @inline(__always) func output(_ v: V) {
        if limit != nil { vbeyond &+= ((lim &- (unsafeBitCast(v, to: I.self) & signMask)) &>> shift) & ones }
        sum += v; sq = sq.plusProduct(v, v)
    }
    @inline(__always) func gradient(_ i: Int) -> V {
        let v = UnsafeRawPointer(yb + i).loadUnaligned(as: V.self), g = UnsafeRawPointer(gb + i).loadUnaligned(as: V.self)
        let d = g * (one - v * v)
        UnsafeMutableRawPointer(db + i).storeBytes(of: d, as: V.self)
        output(v)
        return d
    }
    var i = 0
    while i + 32 <= count {
        let d = gradient(i), e = gradient(i + 16)
        dq = dq.plusProduct(d, d); dq2 = dq2.plusProduct(e, e)
        i += 32
    }
    dq += dq2
    while i + 16 <= count { let d = gradient(i); dq = dq.plusProduct(d, d); i += 16 }
    var y = BufferSummary(), dx = BufferSummary()
    y.count = count; dx.count = count
    var ts = 0.0, tq = 0.0, td = 0.0
    while i < count {
        let v = yb[i], d = gb[i] * (1 - v * v)
        db[i] = d
        ts += Double(v); tq += Double(v) * Double(v); td += Double(d) * Double(d)
        if let limit, Int32(bitPattern: v.bitPattern & 0x7FFF_FFFF) > limit { y.beyond += 1 }
        i += 1
    }
    y.beyond += Int(vbeyond.wrappedSum())
    y.sum = Double(sum.sum()) + ts; y.sumOfSquares = Double(sq.sum()) + tq
    dx.sumOfSquares = Double(dq.sum()) + td
    return (y, dx)
}

/// Applies `chunk` to consecutive 4096-element chunks — spread over the worker pool when the
/// buffer is large — and merges the partial results in chunk order, so the summary is
/// bit-identical on any number of threads.
private func chunked(_ count: Int, _ chunk: (Int, Int) -> BufferSummary) -> BufferSummary {
    var s = BufferSummary()
    forEachChunk(count, chunk, merge: { s.merge($0) })
    return s
}

/// The chunking behind `chunked`, for any partial result: chunks of 4,096 elements, spread over
/// the worker pool when there are 8 or more; partials live on the stack (the probe calls this
/// dozens of times per step) and are merged in chunk order, so results do not depend on the
/// thread count.
func forEachChunk<T>(_ count: Int, _ chunk: (Int, Int) -> T, merge: (T) -> Void) {
    let size = 4096, n = (count + size - 1) / size
    let pool = WorkerPool.shared
    withUnsafeTemporaryAllocation(of: T.self, capacity: n) { p in
        let workers = n >= 8 ? pool.threads : 1
        pool.run(parts: workers) { t in
            for c in (n * t / workers)..<(n * (t + 1) / workers) {
                (p.baseAddress! + c).initialize(to: chunk(c * size, Swift.min(count, (c + 1) * size)))
            }
        }
        for c in 0..<n { merge(p[c]) }
        p.baseAddress?.deinitialize(count: n)
    }
}

extension BufferSummary {
    /// Adds the summary of the next chunk (in order, so sums are reproducible).
    mutating func merge(_ part: BufferSummary) {
        count += part.count; sum += part.sum; sumOfSquares += part.sumOfSquares; sumOfAbs += part.sumOfAbs
        maxAbs = maxAbs.isNaN || part.maxAbs.isNaN ? .nan : Swift.max(maxAbs, part.maxAbs)
        zeros += part.zeros; nonFinite += part.nonFinite; beyond += part.beyond
    }
}

/// (‖a − b‖, ‖b‖) in one pass; Float takes 16-lane accumulators flushed to Double per 4096.
public func differenceAndNorm<S: Scalar>(_ a: UnsafeBufferPointer<S>, _ b: UnsafeBufferPointer<S>) -> (difference: Double, norm: Double) {
    precondition(a.count == b.count)
    var dd = 0.0, bb = 0.0
    var i = 0
    if S.self == Float.self, let pa = UnsafeRawPointer(a.baseAddress), let pb = UnsafeRawPointer(b.baseAddress) {
        typealias V = SIMD16<Float>
        while i + 16 <= a.count {
            let end = Swift.min(i + 4096, a.count)
            var d2 = V(), n2 = V()
            while i + 16 <= end {
                let x = pa.loadUnaligned(fromByteOffset: 4 * i, as: V.self), y = pb.loadUnaligned(fromByteOffset: 4 * i, as: V.self)
                let d = x - y
                d2 = d2.plusProduct(d, d); n2 = n2.plusProduct(y, y)
                i += 16
            }
            dd += Double(d2.sum()); bb += Double(n2.sum())
        }
    }
    while i < a.count { let y = Double(b[i]), d = Double(a[i]) - y; dd += d * d; bb += y * y; i += 1 }
    return (dd.squareRoot(), bb.squareRoot())
}

extension Tensor {
    /// The cheaper half of `summary` for hot paths: count, sum, sum of squares and the |x| >
    /// threshold count. `nonFinite` is 1 when any element is NaN/Inf (the sums then are too),
    /// not an exact count; zeros, max|x| and Σ|x| are left at 0 (and Σx too with `sumOfSquaresOnly`).
    public func moments(beyond threshold: Double = .infinity, sumOfSquaresOnly: Bool = false) -> BufferSummary {
        guard S.self == Float.self else {
            var s = summary(beyond: threshold)
            s.nonFinite = s.nonFinite > 0 ? 1 : 0
            return s
        }
        return scalars.withUnsafeBufferPointer { p in
            momentsFloat(UnsafeBufferPointer(start: UnsafeRawPointer(p.baseAddress)?.assumingMemoryBound(to: Float.self), count: p.count),
                         beyond: threshold, squaresOnly: sumOfSquaresOnly)
        }
    }
}

private func momentsFloat(_ x: UnsafeBufferPointer<Float>, beyond threshold: Double, squaresOnly: Bool) -> BufferSummary {
    guard let base = x.baseAddress, x.count > 0 else { return BufferSummary() }
    let counting = threshold < Double(Float.greatestFiniteMagnitude)
    let limit = Int32(bitPattern: Float(Swift.min(threshold, Double(Float.greatestFiniteMagnitude))).bitPattern & 0x7FFF_FFFF)
    var s = chunked(x.count) { lo, hi in momentsChunk(base + lo, hi - lo, counting ? limit : nil, squaresOnly) }
    s.nonFinite = (s.sum + s.sumOfSquares).isFinite ? 0 : 1   // Inf/NaN reach Σx² too
    return s
}

@inline(__always)
private func momentsChunk(_ base: UnsafePointer<Float>, _ count: Int, _ limit: Int32?, _ squaresOnly: Bool) -> BufferSummary {
    typealias I = SIMD16<Int32>
    typealias V = SIMD16<Float>
    var s = BufferSummary()
    s.count = count
    var sum = V(), sq = V(), vbeyond = I()
    var i = 0
    if let limit {
        let signMask = I(repeating: 0x7FFF_FFFF), one = I(repeating: 1), lim = I(repeating: limit), shift = I(repeating: 31)
        while i + 16 <= count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: V.self)
            let a = unsafeBitCast(v, to: I.self) & signMask
            vbeyond &+= ((lim &- a) &>> shift) & one
            sum += v; sq = sq.plusProduct(v, v)
            i += 16
        }
    } else if squaresOnly {
        var sq2 = V()   // two accumulators: the FMA latency, not the loads, bounds one chain
        while i + 32 <= count {
            let v = UnsafeRawPointer(base + i).loadUnaligned(as: V.self), w = UnsafeRawPointer(base + i + 16).loadUnaligned(as: V.self)
            sq = sq.plusProduct(v, v); sq2 = sq2.plusProduct(w, w)
            i += 32
        }
        sq += sq2
    }
    while i + 16 <= count {
        let v = UnsafeRawPointer(base + i).loadUnaligned(as: V.self)
        if !squaresOnly { sum += v }
        sq = sq.plusProduct(v, v)
        i += 16
    }
    var ts = 0.0, tq = 0.0
    while i < count {
        let v = base[i], d = Double(v)
        if !squaresOnly { ts += d }
        tq += d * d
        if let limit, Int32(bitPattern: v.bitPattern & 0x7FFF_FFFF) > limit { s.beyond += 1 }
        i += 1
    }
    s.beyond += Int(vbeyond.wrappedSum())
    s.sum = Double(sum.sum()) + ts; s.sumOfSquares = Double(sq.sum()) + tq
    return s
}
