import XCTest
import GradLab

/// The packed SIMD GEMM against the readable reference loops (and OpenBLAS when installed).
final class KernelTests: XCTestCase {
    func gemm(_ kind: Backend.Kind, transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
              a: [Float], b: [Float], c: [Float]) throws -> [Float] {
        let backend = try Backend.load(kind)
        var out = c
        let lda = transA ? m : k, ldb = transB ? k : n
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { pc in
            backend.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: pa.baseAddress!, lda: max(lda, 1),
                          b: pb.baseAddress!, ldb: max(ldb, 1), beta: beta, c: pc.baseAddress!, ldc: max(n, 1))
        } } }
        return out
    }

    func reference(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float,
                   a: [Float], b: [Float], c: [Float]) -> [Double] {
        var out = c.map(Double.init)
        let ad = a.map(Double.init), bd = b.map(Double.init)
        ad.withUnsafeBufferPointer { pa in bd.withUnsafeBufferPointer { pb in out.withUnsafeMutableBufferPointer { pc in
            referenceGemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: Double(alpha), a: pa.baseAddress!,
                          lda: max(transA ? m : k, 1), b: pb.baseAddress!, ldb: max(transB ? k : n, 1), beta: Double(beta),
                          c: pc.baseAddress!, ldc: max(n, 1))
        } } }
        return out
    }

    func testPackedGemmMatchesReferenceOnEdgeShapes() throws {
        var rng = SeededRandom(seed: 5)
        // Ragged row strips (m mod mr ≠ 0), ragged columns, n ≤ 4 (the skinny path), depths that are not
        // a multiple of 8 (the tail of the transposing pack) or of the depth block.
        let shapes = [(1, 1, 1), (7, 5, 3), (8, 32, 256), (9, 33, 257), (13, 47, 300), (128, 256, 64), (100, 70, 513), (3, 2100, 5),
                      (37, 2, 513), (517, 3, 41), (5, 4, 17), (1, 1, 40), (11, 600, 70)]
        for (m, n, k) in shapes { for transA in [false, true] { for transB in [false, true] {
            for (alpha, beta) in [(Float(1), Float(0)), (0.5, 1), (2, -0.5)] {
                let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
                let c = (0..<(m * n)).map { _ in Float(rng.normal()) }
                let got = try gemm(.swift, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, b: b, c: c)
                let want = reference(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, beta: beta, a: a, b: b, c: c)
                let scale = Double(k).squareRoot() * 3
                for i in 0..<(m * n) where abs(Double(got[i]) - want[i]) > 2e-6 * scale * 8 {
                    XCTFail("m\(m) n\(n) k\(k) tA\(transA) tB\(transB) α\(alpha) β\(beta) [\(i)]: \(got[i]) vs \(want[i])"); return
                }
            }
        } } }
    }

    func testThreadCountDoesNotChangeBits() throws {
        var rng = SeededRandom(seed: 6)
        let (m, n, k) = (130, 300, 270)
        let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
        let c = [Float](repeating: 0, count: m * n)
        Backend.setThreads(1)
        let one = try gemm(.swift, transA: false, transB: true, m: m, n: n, k: k, alpha: 1, beta: 0, a: a, b: b, c: c)
        Backend.setThreads(2)
        let two = try gemm(.swift, transA: false, transB: true, m: m, n: n, k: k, alpha: 1, beta: 0, a: a, b: b, c: c)
        Backend.setThreads(1)
        XCTAssertEqual(one, two)
    }

    /// A Dense layer's y = x·Wᵀ + b, where the GEMM adds b as it stores each tile (edge strips
    /// through the scratch tile, several depth blocks, n ≤ 4 and k = 0 broadcast first), against
    /// Double loops, on 1 and 2 threads with the same bits.
    func testAffineAddsTheBiasRow() {
        var rng = SeededRandom(seed: 7)
        for (m, n, k) in [(5, 3, 7), (9, 33, 300), (128, 256, 64), (64, 10, 64), (7, 20, 0), (200, 300, 40)] {
            let x = (0..<(m * k)).map { _ in Float(rng.normal()) }, w = (0..<(n * k)).map { _ in Float(rng.normal()) }
            let b = (0..<n).map { _ in Float(rng.normal()) }
            func run(threads: Int) -> [Float] {
                Backend.setThreads(threads)
                defer { Backend.setThreads(1) }
                var y = [Float](repeating: .nan, count: m * n)
                x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        Float.affine(m: m, n: n, k: k, x: xp.baseAddress!, ldx: max(k, 1), w: wp.baseAddress!, ldw: max(k, 1),
                                     bias: bp.baseAddress!, y: yp.baseAddress!, ldy: n)
                    }
                } } }
                return y
            }
            let one = run(threads: 1)
            XCTAssertEqual(one, run(threads: 2), "m\(m) n\(n) k\(k): thread count changed the bits")
            for i in 0..<m { for j in 0..<n {
                let want = (0..<k).reduce(Double(b[j])) { $0 + Double(x[i * k + $1]) * Double(w[j * k + $1]) }
                XCTAssertEqual(Double(one[i * n + j]), want, accuracy: 1e-4 * Double(max(k, 1)).squareRoot(), "m\(m) n\(n) k\(k) [\(i), \(j)]")
            } }
        }
    }

    func testOpenBLASAgreesWhenInstalled() throws {
        guard (try? Backend.load(.openblas)) != nil else { throw XCTSkip("libopenblas not installed") }
        var rng = SeededRandom(seed: 8)
        let (m, n, k) = (64, 96, 200)
        let a = (0..<(m * k)).map { _ in Float(rng.normal()) }, b = (0..<(k * n)).map { _ in Float(rng.normal()) }
        let c = [Float](repeating: 1, count: m * n)
        let ours = try gemm(.swift, transA: true, transB: false, m: m, n: n, k: k, alpha: 1, beta: 1, a: a, b: b, c: c)
        let blas = try gemm(.openblas, transA: true, transB: false, m: m, n: n, k: k, alpha: 1, beta: 1, a: a, b: b, c: c)
        for i in 0..<(m * n) { XCTAssertEqual(ours[i], blas[i], accuracy: 1e-4) }
        // The bias row through the BLAS backend (rows of C, then β = 1) matches the tile store.
        let x = Array(a[..<(m * k)]), w = Array(b[..<(n * k)]), bias = (0..<n).map { Float($0) - 40 }
        func affine(_ kind: Backend.Kind) throws -> [Float] {
            try Backend.use(kind)
            defer { try? Backend.use(.swift) }
            var y = [Float](repeating: .nan, count: m * n)
            y.withUnsafeMutableBufferPointer { yp in
                Float.affine(m: m, n: n, k: k, x: x, ldx: k, w: w, ldw: k, bias: bias, y: yp.baseAddress!, ldy: n)
            }
            return y
        }
        let viaTiles = try affine(.swift), viaBLAS = try affine(.openblas)
        for i in 0..<(m * n) { XCTAssertEqual(viaTiles[i], viaBLAS[i], accuracy: 1e-4) }
    }

    func testMissingBackendIsAClearError() {
        XCTAssertThrowsError(try Backend.load(.accelerate)) { e in
            #if os(Linux)
            XCTAssertTrue("\(e)".contains("Accelerate"), "\(e)")
            #endif
        }
    }
}
