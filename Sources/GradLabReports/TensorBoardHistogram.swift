/// A TensorBoard `HistogramProto` (tensorboard/compat/proto/histogram.proto): min, max, num, sum,
/// sum_squares, and buckets where `bucketCounts[i]` counts values v with
/// `bucketLimits[i-1] <= v < bucketLimits[i]` (the first bucket is unbounded below).
///
/// Buckets are TensorFlow's default ones (`histogram.cc`, `InitDefaultBuckets`): ±1e-12·1.1^k up to
/// 1e20, 0, and ±DBL_MAX at the ends; runs of empty buckets are merged into one, as
/// `Histogram::EncodeToProto` does, and empty buckets below the smallest value and above the
/// largest are left out, so a few hundred values cost a few hundred bytes.
///
/// Non-finite values (NaN, ±Inf) have no place on a value axis: the histogram holds the finite
/// values only and `nonFinite` counts the rest. `TensorBoardSummary.histogram` writes that count
/// as the scalar `<tag>/nonfinite` whenever it is not zero, so they are never silently dropped.
package struct TensorBoardHistogram: Equatable, Sendable {
    package var min = 0.0, max = 0.0
    /// Number of finite values.
    package var num = 0.0
    package var sum = 0.0, sumSquares = 0.0
    package var bucketLimits: [Double] = []
    package var bucketCounts: [Double] = []
    /// NaN and ±Inf values, left out of everything above.
    package var nonFinite = 0

    /// TensorFlow's default bucket right edges, ascending (1,551 of them).
    package static let defaultBucketLimits: [Double] = {
        var positive: [Double] = []
        var v = 1e-12
        while v < 1e20 { positive.append(v); v *= 1.1 }   // the same products as TensorFlow's loop
        positive.append(.greatestFiniteMagnitude)
        return positive.reversed().map { -$0 } + [0] + positive
    }()

    package init<C: Collection>(_ values: C) where C.Element == Float {
        let limits = Self.defaultBucketLimits
        var counts = [Double](repeating: 0, count: limits.count)
        var lo = Double.infinity, hi = -Double.infinity
        for f in values {
            guard f.isFinite else { nonFinite += 1; continue }
            let x = Double(f)
            lo = Swift.min(lo, x); hi = Swift.max(hi, x)
            sum += x; sumSquares += x * x; num += 1
            // First limit > x (upper bound); the last limit, DBL_MAX, exceeds every finite Float.
            var a = 0, b = limits.count - 1
            while a < b { let m = (a + b) / 2; if limits[m] > x { b = m } else { a = m + 1 } }
            counts[a] += 1
        }
        guard num > 0 else { return }
        min = lo; max = hi
        // Readers bound the outer buckets by min and max; an empty bucket kept at either end
        // would come out backwards (left edge > right edge) in TensorBoard's fast loader.
        var i = counts.firstIndex { $0 > 0 }!
        let last = counts.lastIndex { $0 > 0 }!
        while i <= last {
            var end = limits[i]
            let count = counts[i]
            i += 1
            if count == 0 { while counts[i] == 0 { end = limits[i]; i += 1 } }
            bucketLimits.append(end); bucketCounts.append(count)
        }
    }

    func encode(into e: inout ProtoEncoder) {
        e.double(1, min); e.double(2, max); e.double(3, num); e.double(4, sum); e.double(5, sumSquares)
        e.packedDoubles(6, bucketLimits)
        e.packedDoubles(7, bucketCounts)
    }
}
