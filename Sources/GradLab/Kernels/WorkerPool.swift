import Foundation
import Synchronization

/// A persistent pool of worker threads for data-parallel kernels.
///
/// `DispatchQueue.concurrentPerform` takes tens of microseconds to wake threads, longer than a
/// small GEMM runs, so workers spin briefly on an atomic generation counter after each job and
/// only then park on a condition variable (never a sleep-poll). The caller runs part 0 itself.
final class WorkerPool: @unchecked Sendable {
    static let shared = WorkerPool()

    /// Participants in each job, the calling thread included.
    private(set) var threads = 1
    private let generation = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    private let condition = NSCondition()
    private var task: ((Int) -> Void)?
    private var started = 0
    /// Spin iterations before a worker parks (~0.1–0.3 ms).
    private let spinLimit = 200_000

    /// Sets the number of participating threads (workers are started once and kept).
    func setThreads(_ n: Int) {
        precondition(n >= 1, "thread count must be ≥ 1")
        while started < n - 1 {
            started += 1
            let id = started
            // The worker must start from the generation current now, not when its thread first
            // runs: a job posted in between would otherwise be missed and the caller would wait forever.
            let start = generation.load(ordering: .sequentiallyConsistent)
            let t = Thread { [unowned self] in self.workerLoop(id: id, seen: start) }
            t.stackSize = 1 << 20
            t.start()
        }
        threads = n
    }

    /// True while a job runs: a kernel called from inside a job (e.g. a GEMM inside a
    /// batch-parallel recurrence) then runs its parts in the calling thread.
    private(set) var busy = false

    /// The calling thread's index in the pool: 0 for the thread that posts jobs, 1… for workers
    /// (for per-thread scratch buffers).
    static var currentIndex: Int { Int(bitPattern: pthread_getspecific(indexKey)) }
    private static let indexKey: pthread_key_t = {
        var key = pthread_key_t()
        pthread_key_create(&key, nil)
        return key
    }()

    /// Runs `body(i)` for i in 0..<parts, spread over the pool; returns when all are done.
    /// `parts` must not exceed `threads`.
    func run(parts: Int, _ body: (Int) -> Void) {
        precondition(parts <= threads)
        if parts <= 1 || busy { for i in 0..<parts { body(i) }; return }
        busy = true
        defer { busy = false }
        withoutActuallyEscaping(body) { job in
            task = { i in if i < parts { job(i) } }
            pending.store(threads - 1, ordering: .sequentiallyConsistent)
            generation.add(1, ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                condition.lock(); condition.broadcast(); condition.unlock()
            }
            job(0)
            var spins = 0
            while pending.load(ordering: .sequentiallyConsistent) > 0 {
                spins += 1
                if spins > 10_000 { sched_yield() }
            }
            task = nil
        }
    }

    /// Runs `body` over 0..<count split into one contiguous range per thread (boundaries on
    /// multiples of 16), or in one piece when `count < minimum`. For element-wise work only:
    /// every element sees the same instructions however the range is split.
    func parallelRanges(_ count: Int, minimum: Int = 1 << 14, _ body: (Range<Int>) -> Void) {
        let parts = count < minimum ? 1 : threads
        if parts == 1 { body(0..<count); return }
        let blocks = (count + 15) / 16
        run(parts: parts) { t in
            let lo = Swift.min(count, blocks * t / parts * 16), hi = Swift.min(count, blocks * (t + 1) / parts * 16)
            if hi > lo { body(lo..<hi) }
        }
    }

    private func workerLoop(id: Int, seen start: Int) {
        pthread_setspecific(WorkerPool.indexKey, UnsafeRawPointer(bitPattern: id))
        var seen = start
        while true {
            var spins = 0
            while generation.load(ordering: .sequentiallyConsistent) == seen {
                spins += 1
                if spins >= spinLimit {
                    sleepers.add(1, ordering: .sequentiallyConsistent)
                    condition.lock()
                    while generation.load(ordering: .sequentiallyConsistent) == seen { condition.wait() }
                    condition.unlock()
                    sleepers.subtract(1, ordering: .sequentiallyConsistent)
                }
            }
            seen = generation.load(ordering: .sequentiallyConsistent)
            if id < threads, let t = task { Backend.applyFloatingPointMode(); t(id) }
            pending.subtract(1, ordering: .sequentiallyConsistent)
        }
    }
}

/// glibc serves blocks ≥ 128 KiB with mmap and returns them on free, so every step's activation
/// tensors (e.g. 128×256 floats) would be page-faulted in afresh. Keeping them in the heap
/// removes that cost (≈ 10% of a W1 step). Runs once, on first use of a tape.
let allocatorTuned: Void = {
    #if os(Linux)
    // mallopt is not in Glibc's Swift module map; M_TRIM_THRESHOLD = -1, M_MMAP_THRESHOLD = -3.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    if let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(sym, to: Mallopt.self)
        _ = mallopt(-3, 64 << 20)
        _ = mallopt(-1, 128 << 20)
    }
    #endif
}()
