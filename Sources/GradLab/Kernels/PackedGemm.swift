import CGradLabSupport

/// Fast single-precision GEMM in the Goto/BLIS loop order.
///
/// C[m×n] = α·op(A)·op(B) + β·C, row-major. Loops, outer to inner: columns of C in blocks of
/// `nc` (packed B panel, kept in L3) → depth in blocks of `kc` → rows in blocks of `mc` (the A
/// block, kept in L2) → `nr`-column micro-panels of B (L1) → `mr`-row strips of A → the register-
/// tiled micro-kernel (`tile`).
/// B is packed (transposes become free, edges are zero-padded). A is read in place through a
/// row and a column stride — the micro-kernel only broadcasts single elements of A, so packing
/// it buys nothing but a pass over A: most of a small product (64×64×64), still 5–10% of a
/// 512² or 1024² one. What large products do need is C fetched ahead (see `tile`).
///
/// Threads split the columns of C; every element of C is computed by the same instruction
/// sequence whatever the thread count, so results are bit-identical on 1 or many threads.
enum PackedGemm {
    #if GRADLAB_AVX512
    static let mr = 8, nr = 32
    typealias V = SIMD16<Float>
    #else
    static let mr = 6, nr = 16
    typealias V = SIMD8<Float>
    #endif
    static let kc = 256, mc = 16 * mr, nc = 2048

    /// Per-thread packing buffers, allocated once (64-byte aligned).
    final class Buffers: @unchecked Sendable {
        let b = UnsafeMutableRawPointer.allocate(byteCount: 4 * (kc * nc + 64), alignment: 64).bindMemory(to: Float.self, capacity: kc * nc + 64)
        /// Scratch tile for edge blocks.
        let c = UnsafeMutableRawPointer.allocate(byteCount: 4 * mr * nr, alignment: 64).bindMemory(to: Float.self, capacity: mr * nr)
    }
    nonisolated(unsafe) static var buffers: [Buffers] = []

    /// With `bias` (and β = 0), C = α·op(A)·op(B) + 1·biasᵀ: the bias row is added to each tile as
    /// it is stored, by the thread that computes it (a Dense layer's x·Wᵀ + b in one pass over C).
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil) {
        if m == 0 || n == 0 { return }
        precondition(bias == nil || beta == 0, "a GEMM with a bias row takes β = 0")
        if let bias, n <= 4 || k == 0 || alpha == 0 {     // no tiles to add it in: rows of C start as it
            fillRows(c, m: m, n: n, ldc: ldc, with: bias)
            sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: 1, c: c, ldc: ldc)
            return
        }
        if k == 0 || alpha == 0 { scale(c, m: m, n: n, ldc: ldc, by: beta); return }
        if n <= 4 { skinny(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc); return }
        let pool = WorkerPool.shared
        while buffers.count < pool.threads { buffers.append(Buffers()) }
        // Split columns into 16-aligned chunks when the product is big enough to pay for waking.
        let flops = 2 * m * n * k
        // Inside a pool job (a batch-parallel recurrence) each thread multiplies alone, with
        // its own buffers.
        let parts = flops < 1 << 21 || pool.busy ? 1 : min(pool.threads, (n + nr - 1) / nr)
        if parts == 1 {
            serial(transA, transB, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, buffers[WorkerPool.currentIndex])
            return
        }
        let panels = (n + nr - 1) / nr
        pool.run(parts: parts) { t in
            let j0 = min(n, panels * t / parts * nr), j1 = min(n, panels * (t + 1) / parts * nr)
            if j1 > j0 { serial(transA, transB, m, j0, j1, k, alpha, a, lda, b, ldb, beta, c, ldc, bias, buffers[t]) }
        }
    }

    /// Products with at most 4 columns (a regression head, a narrow input's gradient), where a register tile
    /// would be mostly padding: with op(A)'s rows contiguous each output is a dot product (op(B)'s
    /// columns gathered first); with op(A) transposed, one axpy sweep per depth step along A's
    /// contiguous rows. One thread: these are memory-bound passes over A.
    private static func skinny(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                               _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
        func opB(_ p: Int, _ j: Int) -> Float { transB ? b[j * ldb + p] : b[p * ldb + j] }
        func put(_ i: Int, _ j: Int, _ v: Float) {
            let x = alpha * v
            c[i * ldc + j] = beta == 0 ? x : x + beta * c[i * ldc + j]
        }
        if transA {
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n * m) { acc in
                let t = acc.baseAddress!
                t.initialize(repeating: 0, count: n * m)
                for p in 0..<k {
                    let row = a + p * lda
                    for j in 0..<n {
                        let s = opB(p, j), out = t + j * m
                        for i in 0..<m { out[i] = out[i].plusProduct(row[i], s) }
                    }
                }
                for i in 0..<m { for j in 0..<n { put(i, j, t[j * m + i]) } }
            }
            return
        }
        // Four gathered columns (the unused ones zero), two vectors each: eight independent chains.
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * k) { cols in
            let t = cols.baseAddress!
            for j in 0..<4 { for p in 0..<k { t[j * k + p] = j < n ? opB(p, j) : 0 } }
            let w = V.scalarCount
            func load(_ q: UnsafePointer<Float>) -> V { UnsafeRawPointer(q).loadUnaligned(as: V.self) }
            for i in 0..<m {
                let row = a + i * lda
                var s0 = V(), s1 = V(), s2 = V(), s3 = V(), u0 = V(), u1 = V(), u2 = V(), u3 = V()
                var p = 0
                while p + 2 * w <= k {
                    let x0 = load(row + p), x1 = load(row + p + w)
                    s0 = s0.plusProduct(x0, load(t + p)); u0 = u0.plusProduct(x1, load(t + p + w))
                    s1 = s1.plusProduct(x0, load(t + k + p)); u1 = u1.plusProduct(x1, load(t + k + p + w))
                    s2 = s2.plusProduct(x0, load(t + 2 * k + p)); u2 = u2.plusProduct(x1, load(t + 2 * k + p + w))
                    s3 = s3.plusProduct(x0, load(t + 3 * k + p)); u3 = u3.plusProduct(x1, load(t + 3 * k + p + w))
                    p &+= 2 * w
                }
                var r0 = (s0 + u0).sum(), r1 = (s1 + u1).sum(), r2 = (s2 + u2).sum(), r3 = (s3 + u3).sum()
                while p < k {
                    let x = row[p]
                    r0 = r0.plusProduct(x, t[p]); r1 = r1.plusProduct(x, t[k + p])
                    r2 = r2.plusProduct(x, t[2 * k + p]); r3 = r3.plusProduct(x, t[3 * k + p])
                    p &+= 1
                }
                put(i, 0, r0)
                if n > 1 { put(i, 1, r1) }
                if n > 2 { put(i, 2, r2) }
                if n > 3 { put(i, 3, r3) }
            }
        }
    }

    /// op(B) packed once for many products with the same right operand (the recurrent weights
    /// at every step of a sequence): depth blocks of `kc`, each as `nr`-column strips over all of
    /// n — the layout `macroKernel` reads, so the per-call packing pass disappears.
    final class PackedB: @unchecked Sendable {
        let k: Int, n: Int, strips: Int
        let data: UnsafeMutablePointer<Float>

        init(transB: Bool, k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int) {
            self.k = k; self.n = n; strips = (n + nr - 1) / nr
            data = UnsafeMutableRawPointer.allocate(byteCount: 4 * Swift.max(1, k * strips * nr), alignment: 64)
                .bindMemory(to: Float.self, capacity: Swift.max(1, k * strips * nr))
            var pc = 0
            while pc < k {
                packB(transB, b, ldb, pc, min(kc, k - pc), 0, n, data + pc * strips * nr)
                pc &+= kc
            }
            // Per-thread buffers exist before any thread multiplies with this operand.
            while buffers.count < WorkerPool.shared.threads { buffers.append(Buffers()) }
        }
        deinit { UnsafeMutableRawPointer(data).deallocate() }
    }

    /// C[m×n] = α·op(A)·B̄ + β·C with B̄ packed by `PackedB`, on the calling thread (with its own
    /// buffers): the same instruction sequence per element as `sgemm`, so the same numbers.
    static func sgemm(transA: Bool, m: Int, a: UnsafePointer<Float>, lda: Int, packed: PackedB,
                      alpha: Float, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let (n, k) = (packed.n, packed.k)
        if m == 0 || n == 0 { return }
        if k == 0 || alpha == 0 { scale(c, m: m, n: n, ldc: ldc, by: beta); return }
        let buf = buffers[WorkerPool.currentIndex]
        if beta != 0 && beta != 1 { for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } } }
        let (rs, cs) = transA ? (1, lda) : (lda, 1)
        var pc = 0
        while pc < k {
            let kb = min(kc, k - pc)
            var ic = 0
            while ic < m {
                macroKernel(min(mc, m - ic), n, kb, a + ic * rs + pc * cs, rs, cs, alpha, packed.data + pc * packed.strips * nr,
                            c + ic * ldc, ldc, pc > 0 || beta != 0, nil, buf)
                ic &+= mc
            }
            pc &+= kc
        }
    }

    private static func scale(_ c: UnsafeMutablePointer<Float>, m: Int, n: Int, ldc: Int, by beta: Float) {
        for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
    }

    /// Columns j0..<j1 of C.
    private static func serial(_ transA: Bool, _ transB: Bool, _ m: Int, _ j0: Int, _ j1: Int, _ k: Int,
                               _ alpha: Float, _ a: UnsafePointer<Float>, _ lda: Int,
                               _ b: UnsafePointer<Float>, _ ldb: Int,
                               _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ bias: UnsafePointer<Float>?,
                               _ buf: Buffers) {
        if beta != 0 && beta != 1 {
            for i in 0..<m { for j in j0..<j1 { c[i * ldc + j] *= beta } }
        }
        // op(A)(i, p) = a[i*rs + p*cs]
        let (rs, cs) = transA ? (1, lda) : (lda, 1)
        var jc = j0
        while jc < j1 {
            let nb = min(nc, j1 - jc)
            var pc = 0
            while pc < k {
                let kb = min(kc, k - pc)
                let accumulate = pc > 0 || beta != 0
                packB(transB, b, ldb, pc, kb, jc, nb, buf.b)
                var ic = 0
                while ic < m {
                    let mb = min(mc, m - ic)
                    macroKernel(mb, nb, kb, a + ic * rs + pc * cs, rs, cs, alpha, buf.b, c + ic * ldc + jc, ldc, accumulate,
                                accumulate ? nil : bias.map { $0 + jc }, buf)
                    ic &+= mc
                }
                pc &+= kc
            }
            jc &+= nc
        }
    }

    /// Packs op(B)[pc..<pc+kb, jc..<jc+nb] as `nr`-column strips, depth-major within a strip.
    @inline(__always)
    private static func packB(_ trans: Bool, _ b: UnsafePointer<Float>, _ ldb: Int, _ pc: Int, _ kb: Int,
                              _ jc: Int, _ nb: Int, _ out: UnsafeMutablePointer<Float>) {
        let full = nb / nr
        if trans {
            // op(B)(p, j) = b[j·ldb + p]: 8×8 blocks transposed in registers (in C, for the shuffles).
            for s in 0..<full {
                gradlab_pack_transposed(b + ((jc &+ s &* nr) &* ldb &+ pc), ldb, kb, nr, out + s &* nr &* kb)
            }
        } else if full > 0 {
            // Row by row: each source row is read once, in memory order.
            for p in 0..<kb {
                let src = b + ((pc &+ p) &* ldb &+ jc), dst = out + p &* nr
                for s in 0..<full { (dst + s &* nr &* kb).update(from: src + s &* nr, count: nr) }
            }
        }
        let cols = nb - full * nr
        if cols > 0 {     // a ragged last strip, zero-padded
            let dst = out + full * nr * kb, j0 = jc + full * nr
            for p in 0..<kb {
                for jj in 0..<nr { dst[p * nr + jj] = jj >= cols ? 0 : trans ? b[(j0 + jj) * ldb + pc + p] : b[(pc + p) * ldb + j0 + jj] }
            }
        }
    }

    @inline(__always)
    private static func macroKernel(_ mb: Int, _ nb: Int, _ kb: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int,
                                    _ alpha: Float, _ pb: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ ldc: Int,
                                    _ accumulate: Bool, _ bias: UnsafePointer<Float>?, _ buf: Buffers) {
        // A is read in place, a ragged last strip (< mr rows) by a tile with that many rows.
        var j = 0
        while j < nb {
            let cols = min(nr, nb - j)
            let bStrip = pb + j * kb
            var i = 0
            while i < mb {
                // A tile of one or two rows keeps too few accumulators to cover the FMA latency,
                // so a remainder of mr+1 or mr+2 rows is split into two middling tiles instead.
                let rest = mb - i
                let rows = rest > mr && rest <= mr + 2 ? (rest + 1) / 2 : min(mr, rest)
                let aStrip = a + i * rs
                if cols == nr {
                    microKernel(rows: rows, kb, aStrip, rs, cs, bStrip, alpha, c + i * ldc + j, ldc, accumulate, bias.map { $0 + j })
                } else {
                    microKernel(rows: rows, kb, aStrip, rs, cs, bStrip, alpha, buf.c, nr, false, nil)
                    for r in 0..<rows {
                        let dst = c + (i + r) * ldc + j, t = buf.c + r * nr
                        if accumulate { for q in 0..<cols { dst[q] += t[q] } }
                        else if let bias { for q in 0..<cols { dst[q] = t[q] + bias[j + q] } }
                        else { for q in 0..<cols { dst[q] = t[q] } }
                    }
                }
                i &+= rows
            }
            j &+= nr
        }
    }

    /// The micro-kernel for `rows` ≤ mr rows. The row count is a type, so each variant is its own
    /// specialization with the unused accumulators and loads folded away even where the compiler
    /// declines to inline it (a run-time count kept all 16 accumulators live, spilling them).
    @inline(__always)
    private static func microKernel(rows: Int, _ kb: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int, _ b: UnsafePointer<Float>,
                                    _ alpha: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
                                    _ bias: UnsafePointer<Float>?) {
        switch rows {
        #if GRADLAB_AVX512
        case 8: tile(Rows8.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 7: tile(Rows7.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        #endif
        case 6: tile(Rows6.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 1: tile(Rows1.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 2: tile(Rows2.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 3: tile(Rows3.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 4: tile(Rows4.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        case 5: tile(Rows5.self, kb, a, rs, cs, b, alpha, c, ldc, accumulate, bias)
        default: preconditionFailure("micro-tile of \(rows) rows")
        }
    }

    /// C[rows × 2·V.scalarCount] (+)= α·A[rows×kb]·B̄[kb × 2·V.scalarCount]: A read through strides
    /// (one broadcast per row and depth step), B̄ packed (two vector loads per depth step), two
    /// accumulators per row kept in registers — 8×32 with 16-lane vectors on AVX-512 (16 of its 32
    /// registers), 6×16 with 8-lane vectors elsewhere (12 of 16). Every element of C gets the same
    /// instruction sequence whatever `rows` is, so edge tiles match full ones bit for bit.
    @inline(__always)
    private static func tile<R: TileRows>(_: R.Type, _ kb: Int, _ a: UnsafePointer<Float>, _ rs: Int, _ cs: Int, _ b: UnsafePointer<Float>,
                             _ alpha: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool,
                             _ bias: UnsafePointer<Float>?) {
        let rows = R.count
        // C's rows sit ldc apart, often a multiple of 4 KiB, and by the time the tile adds into
        // them a whole pass over C has evicted them: fetch them now, behind the multiply (large
        // products lost ~15% waiting for C at every tile's end).
        for r in 0..<rows {
            gradlab_prefetch(c + r &* ldc)
            gradlab_prefetch(c + (r &* ldc &+ 2 &* V.scalarCount &- 1))
        }
        var c00 = V(), c01 = V(), c10 = V(), c11 = V(), c20 = V(), c21 = V(), c30 = V(), c31 = V()
        var c40 = V(), c41 = V(), c50 = V(), c51 = V(), c60 = V(), c61 = V(), c70 = V(), c71 = V()
        let w = MemoryLayout<V>.size
        var pa = a
        var pb = UnsafeRawPointer(b)
        var p = 0
        while p < kb {
            let b0 = pb.loadUnaligned(as: V.self)
            let b1 = pb.loadUnaligned(fromByteOffset: w, as: V.self)
            var av = V(repeating: pa[0])
            c00 = c00.plusProduct(av, b0); c01 = c01.plusProduct(av, b1)
            if rows > 1 { av = V(repeating: pa[1 * rs]); c10 = c10.plusProduct(av, b0); c11 = c11.plusProduct(av, b1) }
            if rows > 2 { av = V(repeating: pa[2 * rs]); c20 = c20.plusProduct(av, b0); c21 = c21.plusProduct(av, b1) }
            if rows > 3 { av = V(repeating: pa[3 * rs]); c30 = c30.plusProduct(av, b0); c31 = c31.plusProduct(av, b1) }
            if rows > 4 { av = V(repeating: pa[4 * rs]); c40 = c40.plusProduct(av, b0); c41 = c41.plusProduct(av, b1) }
            if rows > 5 { av = V(repeating: pa[5 * rs]); c50 = c50.plusProduct(av, b0); c51 = c51.plusProduct(av, b1) }
            if rows > 6 { av = V(repeating: pa[6 * rs]); c60 = c60.plusProduct(av, b0); c61 = c61.plusProduct(av, b1) }
            if rows > 7 { av = V(repeating: pa[7 * rs]); c70 = c70.plusProduct(av, b0); c71 = c71.plusProduct(av, b1) }
            pa += cs
            pb += 2 * w
            p &+= 1
        }
        if alpha != 1 {
            let s = V(repeating: alpha)
            c00 *= s; c01 *= s; c10 *= s; c11 *= s; c20 *= s; c21 *= s; c30 *= s; c31 *= s
            c40 *= s; c41 *= s; c50 *= s; c51 *= s; c60 *= s; c61 *= s; c70 *= s; c71 *= s
        }
        if let bias {
            let b0 = UnsafeRawPointer(bias).loadUnaligned(as: V.self), b1 = UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: w, as: V.self)
            c00 += b0; c01 += b1; c10 += b0; c11 += b1; c20 += b0; c21 += b1; c30 += b0; c31 += b1
            c40 += b0; c41 += b1; c50 += b0; c51 += b1; c60 += b0; c61 += b1; c70 += b0; c71 += b1
        }
        store(c, 0, ldc, accumulate, c00, c01)
        if rows > 1 { store(c, 1, ldc, accumulate, c10, c11) }
        if rows > 2 { store(c, 2, ldc, accumulate, c20, c21) }
        if rows > 3 { store(c, 3, ldc, accumulate, c30, c31) }
        if rows > 4 { store(c, 4, ldc, accumulate, c40, c41) }
        if rows > 5 { store(c, 5, ldc, accumulate, c50, c51) }
        if rows > 6 { store(c, 6, ldc, accumulate, c60, c61) }
        if rows > 7 { store(c, 7, ldc, accumulate, c70, c71) }
    }

    /// Writes (or adds) one row of a micro-tile: two vectors side by side.
    @inline(__always)
    private static func store(_ c: UnsafeMutablePointer<Float>, _ row: Int, _ ldc: Int, _ accumulate: Bool, _ lo: V, _ hi: V) {
        let dst = UnsafeMutableRawPointer(c + row * ldc)
        let w = MemoryLayout<V>.size
        if accumulate {
            dst.storeBytes(of: dst.loadUnaligned(as: V.self) + lo, as: V.self)
            dst.storeBytes(of: dst.loadUnaligned(fromByteOffset: w, as: V.self) + hi, toByteOffset: w, as: V.self)
        } else {
            dst.storeBytes(of: lo, as: V.self)
            dst.storeBytes(of: hi, toByteOffset: w, as: V.self)
        }
    }
}

/// Row counts of the GEMM's micro-tiles, as types (see `PackedGemm.microKernel`).
protocol TileRows { static var count: Int { get } }
enum Rows1: TileRows { static var count: Int { 1 } }
enum Rows2: TileRows { static var count: Int { 2 } }
enum Rows3: TileRows { static var count: Int { 3 } }
enum Rows4: TileRows { static var count: Int { 4 } }
enum Rows5: TileRows { static var count: Int { 5 } }
enum Rows6: TileRows { static var count: Int { 6 } }
enum Rows7: TileRows { static var count: Int { 7 } }
enum Rows8: TileRows { static var count: Int { 8 } }
