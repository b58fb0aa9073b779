import CGradLabSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where single-precision matrix multiplies run.
///
/// `.swift` (default) is GradLab's own packed kernel and needs nothing installed. `.openblas`
/// (Linux: Debian's `libopenblas0`) and `.accelerate` (macOS) are loaded at run time with
/// `dlopen`, so the package builds everywhere and a missing library is a clear error, not a
/// link failure. They serve as optional backends and as references in tests and benchmarks.
public struct Backend: Sendable, CustomStringConvertible {
    public enum Kind: String, CaseIterable, Sendable { case swift, openblas, accelerate }
    public let kind: Kind
    private let cblas: CBLASSgemm?

    nonisolated(unsafe) public private(set) static var current = Backend(kind: .swift, cblas: nil)

    /// Selects the backend for all later Float matrix multiplies.
    public static func use(_ kind: Kind) throws {
        current = try load(kind)
        setThreads(threads)
    }

    /// Loads a backend without selecting it (e.g. as a reference to compare against).
    public static func load(_ kind: Kind) throws -> Backend {
        switch kind {
        case .swift: return Backend(kind: .swift, cblas: nil)
        case .openblas:
            return Backend(kind: kind, cblas: try CBLASSgemm(libraries: ["libopenblas.so.0", "libopenblas.so", "libopenblas.dylib"],
                                                             threadSetter: "openblas_set_num_threads",
                                                             hint: "install it with `apt-get install libopenblas0`"))
        case .accelerate:
            return Backend(kind: kind, cblas: try CBLASSgemm(libraries: ["/System/Library/Frameworks/Accelerate.framework/Accelerate"],
                                                             threadSetter: nil, hint: "Accelerate exists on macOS only"))
        }
    }

    /// Flush subnormal floats to zero in GradLab's threads (default on, as in JAX and oneDNN):
    /// values below 1.2e-38 become 0 instead of costing a ~100× slower microcode path per
    /// operation. Turn off to study gradients that small; it applies to threads from then on.
    nonisolated(unsafe) public static var flushDenormals = true {
        didSet { applyFloatingPointMode() }
    }

    /// Applies `flushDenormals` to the calling thread (cheap; called by tapes and workers).
    @inline(__always)
    static func applyFloatingPointMode() {
        let want: Int32 = flushDenormals ? 1 : 0
        if gradlab_flush_denormals() != want { _ = gradlab_set_flush_denormals(want) }
    }

    nonisolated(unsafe) public private(set) static var threads = 1
    /// Threads used by matrix multiplies (GradLab's pool, or the BLAS library's own).
    public static func setThreads(_ n: Int) {
        threads = n
        WorkerPool.shared.setThreads(n)
        current.cblas?.setThreads?(Int32(n))
    }

    /// C = α·op(A)·op(B) + β·C; with `bias` (β must be 0), C = α·op(A)·op(B) + 1·biasᵀ, which the
    /// Swift kernels add as they store each tile and a BLAS library gets as rows of C with β = 1.
    public func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
                      alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int,
                      beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, bias: UnsafePointer<Float>? = nil) {
        precondition(bias == nil || beta == 0, "a GEMM with a bias row takes β = 0")
        if let cblas, m > 0, n > 0 {
            if let bias { fillRows(c, m: m, n: n, ldc: ldc, with: bias) }
            cblas.sgemm(101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(n), Int32(k), alpha,
                        a, Int32(max(lda, 1)), b, Int32(max(ldb, 1)), bias == nil ? beta : 1, c, Int32(max(ldc, 1)))
        } else {
            PackedGemm.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda,
                             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc, bias: bias)
        }
    }

    /// The instruction set the Swift kernels were compiled for.
    public static var isa: String {
        #if arch(x86_64) && GRADLAB_AVX512
        return "x86-64 AVX-512 (16-lane kernels)"
        #elseif arch(x86_64) && GRADLAB_AVX2
        return "x86-64 AVX2+FMA (8-lane kernels)"
        #elseif arch(x86_64)
        return "x86-64 SSE2 (portable build)"
        #elseif arch(arm64)
        return "arm64 NEON"
        #else
        return "generic"
        #endif
    }

    public var description: String { kind == .swift ? "swift (packed SIMD GEMM, \(Backend.isa))" : kind.rawValue }
}

private struct CBLASSgemm: @unchecked Sendable {
    typealias Fn = @convention(c) (Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                   UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    let sgemm: Fn
    let setThreads: (@convention(c) (Int32) -> Void)?

    init(libraries: [String], threadSetter: String?, hint: String) throws {
        guard let handle = libraries.lazy.compactMap({ dlopen($0, RTLD_NOW) }).first else {
            throw GradLabError.unavailable("BLAS library not found (\(libraries.joined(separator: ", "))): \(hint)")
        }
        guard let sym = dlsym(handle, "cblas_sgemm") else { throw GradLabError.unavailable("cblas_sgemm missing in \(libraries[0])") }
        sgemm = unsafeBitCast(sym, to: Fn.self)
        setThreads = threadSetter.flatMap { dlsym(handle, $0) }.map { unsafeBitCast($0, to: (@convention(c) (Int32) -> Void).self) }
    }
}
