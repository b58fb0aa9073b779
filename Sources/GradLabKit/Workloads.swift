import Foundation
import GradLab
import GradLabDiagnostics

/// The peer workloads (see the shared bench-peers README for their exact definitions).
package enum BenchWorkload: String, CaseIterable {
    case w1 = "mlp-tanh-20x256", w2 = "mlp-relu-100x64", w3 = "lstm-128-T100", w3p = "w3-probe-paired", w4 = "w4-vs-w1-paired", w5 = "gemm"

    static let aliases: [String: BenchWorkload] = ["W1": .w1, "W2": .w2, "W3": .w3, "W3P": .w3p, "W4": .w4, "W4AB": .w4, "W5": .w5]

    package static func parse(_ list: String) throws -> [BenchWorkload] {
        if list == "all" { return allCases }
        return try list.split(separator: ",").map { s in
            let s = String(s)
            guard let w = aliases[s.uppercased()] ?? BenchWorkload(rawValue: s) else {
                throw GradLabError.invalid("workload '\(s)' is not known; allowed: W1, W2, W3, W3P, W4, W5, \(allCases.map(\.rawValue).joined(separator: ", ")), all")
            }
            return w
        }
    }

    package func run(threads: Int, steps: Int?, sizes: [GemmShape]) throws -> [BenchResult] {
        switch self {
        case .w1: return [mlp(threads: threads, width: 256, depth: 20, batch: 128, activation: .tanh, steps: steps ?? 200, flops: 0.967e9)]
        case .w2: return [mlp(threads: threads, width: 64, depth: 100, batch: 64, activation: .relu, steps: steps ?? 200, flops: 0.157e9)]
        case .w3: return [lstm(threads: threads, steps: steps ?? 50)]
        // Short blocks, many groups: medians of many short blocks shrug off this VM's bursts of noise.
        case .w3p:
            let (model, pool) = lstmSetup()
            return [try paired(threads: threads, model: model, pool: pool, rule: Adam(), lr: 1e-3, blockSteps: steps ?? 5, groups: 10, warmup: 5)]
        case .w4:
            let (model, pool) = w1Setup()
            return [try paired(threads: threads, model: model, pool: pool, rule: SGD(), lr: 0.01, blockSteps: steps ?? 10, groups: 40, warmup: 20)]
        case .w5: return sizes.map { gemm($0, threads: threads) }
        }
    }

    /// W1/W2: Linear(64, width) → φ, (depth − 1) × [Linear(width, width) → φ], Linear(width, 10);
    /// PyTorch-default init U(±1/√fan_in); x ~ N(0,1) [batch, 64], labels uniform in 0..<10;
    /// 8 pre-generated batches cycled; softmax cross-entropy (mean); SGD lr 0.01; 20 warm-up steps.
    private func mlp(threads: Int, width: Int, depth: Int, batch: Int, activation: ActivationKind, steps: Int, flops: Double) -> BenchResult {
        var rng = SeededRandom(seed: 0)
        let model = Sequential<Float>.mlp(inputs: 64, width: width, depth: depth, outputs: 10, activation: activation,
                                          initializer: .torchDefault, rng: &rng)
        var data = SeededRandom(seed: 1)
        let pool = (0..<8).map { _ in (Tensor<Float>.normal([batch, 64], rng: &data), (0..<batch).map { _ in data.int(below: 10) }) }
        let opt = Optimizer<Float>(SGD(), schedule: .constant(0.01), parameters: model.namedParameters)
        var lastLoss: Var<Float>?
        func step(_ i: Int) {
            let (x, y) = pool[i % 8]
            opt.zeroGrad()
            let tape = Tape<Float>()
            let loss = model(tape.constant(x)).softmaxCrossEntropy(labels: y)
            tape.backward(from: loss)
            opt.update()
            lastLoss = loss
        }
        for i in 0..<20 { step(i) }
        let t0 = now()
        for i in 20..<(20 + steps) { step(i) }
        let dt = now() - t0
        return BenchResult(["workload": rawValue, "framework": "gradlab", "threads": threads, "steps": steps,
                            "ms_per_step": 1000 * dt / Double(steps), "steps_per_s": Double(steps) / dt,
                            "achieved_gflops": flops * Double(steps) / dt / 1e9, "final_loss": Double(lastLoss!.value.item),
                            "peak_rss_mb": peakRSSMB(), "backend": "\(Backend.current)"])
    }

    /// W3: the adding problem (values U[0,1), one marker in each half, target their sum),
    /// batch 32, T = 100; LSTM(2 → 128) with PyTorch's init, Linear(128, 1) on h_T; MSE; Adam
    /// 1e-3; 8 pre-generated batches cycled; 5 warm-up steps. Batch-first here, sequence-first
    /// in the peer script: the same numbers laid out differently.
    private func lstmSetup() -> (Sequential<Float>, [Dataset<Float>]) {
        var rng = SeededRandom(seed: 0)
        let model = Sequential<Float>.recurrent(.lstm, features: 2, steps: 100, hidden: 128, outputs: 1, rng: &rng)
        let pool = (0..<8).map { i in SequenceTask.adding.generate(samples: 32, length: 100, seed: UInt64(i)) as Dataset<Float> }
        return (model, pool)
    }

    private func lstm(threads: Int, steps: Int) -> BenchResult {
        let (model, pool) = lstmSetup()
        let trainer = Trainer(model: model, optimizer: Optimizer<Float>(Adam(), schedule: .constant(1e-3), parameters: model.namedParameters),
                              batchSize: 32, seed: 0)
        var last = 0.0
        for i in 0..<5 { _ = trainer.step(pool[i % 8], epoch: 0) }
        let t0 = now()
        for i in 5..<(5 + steps) { last = trainer.step(pool[i % 8], epoch: 0).loss }
        let dt = now() - t0
        return BenchResult(["workload": rawValue, "framework": "gradlab", "threads": threads, "steps": steps,
                            "ms_per_step": 1000 * dt / Double(steps), "steps_per_s": Double(steps) / dt,
                            "achieved_gflops": 1.267 * Double(steps) / dt, "final_loss": last,
                            "peak_rss_mb": peakRSSMB(), "backend": "\(Backend.current)"])
    }

    private func w1Setup() -> (Sequential<Float>, [Dataset<Float>]) {
        var rng = SeededRandom(seed: 0)
        let model = Sequential<Float>.mlp(inputs: 64, width: 256, depth: 20, outputs: 10, activation: .tanh,
                                          initializer: .torchDefault, rng: &rng)
        var data = SeededRandom(seed: 1)
        let pool = (0..<8).map { _ in try! Dataset<Float>(name: "w1", features: Tensor<Float>.normal([128, 64], rng: &data),
                                                          targets: .classes((0..<128).map { _ in data.int(below: 10) }, classes: 10)) }
        return (model, pool)
    }

    /// W4ab (W1's model and data) and W3p (W3's): warm-up steps, then 4·`groups` blocks of
    /// `blockSteps` steps in ABBA order, A = plain steps, B = steps with the gradient probe
    /// measuring every step at norm level (per-layer gradient, weight and update norms,
    /// activation statistics, δ and gains, and through time for recurrent layers; no Jacobians).
    /// Reports the median block time of each and the overhead.
    private func paired(threads: Int, model: Sequential<Float>, pool: [Dataset<Float>], rule: any UpdateRule, lr: Double,
                        blockSteps: Int, groups: Int, warmup: Int) throws -> BenchResult {
        let opt = Optimizer<Float>(rule, schedule: .constant(lr), parameters: model.namedParameters)
        let plain = Trainer(model: model, optimizer: opt, batchSize: pool[0].count, seed: 0)
        let probed = Trainer(model: model, optimizer: opt, batchSize: pool[0].count, seed: 0)
        let probe = try Probe(model: model)
        probe.attach(to: probed)
        var i = 0
        var updateSeconds = [0.0, 0.0], updates = [0, 0]
        func block(_ t: Trainer<Float>) -> Double {
            let t0 = now()
            let k = t === probed ? 1 : 0
            for _ in 0..<blockSteps { _ = t.step(pool[i % 8], epoch: 0); i += 1; updateSeconds[k] += opt.lastUpdateSeconds; updates[k] += 1 }
            return (now() - t0) / Double(blockSteps)
        }
        for _ in 0..<warmup { _ = plain.step(pool[i % 8], epoch: 0); i += 1 }
        var a: [Double] = [], b: [Double] = []
        for k in 0..<groups {   // ABBA, BAAB, …
            if k % 2 == 0 { a.append(block(plain)); b.append(block(probed)); b.append(block(probed)); a.append(block(plain)) }
            else { b.append(block(probed)); a.append(block(plain)); a.append(block(plain)); b.append(block(probed)) }
        }
        func median(_ x: [Double]) -> Double { let s = x.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
        let (ma, mb) = (median(a), median(b))
        // The peer's figure compares the two medians; the paired one takes each group's own ratio
        // first, so slow drifts of the machine's speed cancel within the group.
        var groupRatios: [Double] = []
        for g in 0..<groups { groupRatios.append((b[2 * g] + b[2 * g + 1]) / (a[2 * g] + a[2 * g + 1])) }
        let pairedPct = (median(groupRatios) - 1) * 100
        // The probe's own CPU time: its callbacks plus what measuring the update added to the
        // optimizer (what the activation ops measure for it inside their sweep is not separable).
        let probeAlone = probe.busySeconds / Double(updates[1]) + (updateSeconds[1] / Double(updates[1]) - updateSeconds[0] / Double(updates[0]))
        var r: [String: Any] = ["workload": rawValue, "framework": "gradlab", "threads": threads, "steps": blockSteps * groups * 4,
                            "plain_ms_per_step": ma * 1000, "probed_ms_per_step": mb * 1000, "ms_per_step": mb * 1000, "steps_per_s": 1 / mb,
                            "overhead_pct": (mb / ma - 1) * 100 as Double, "overhead_paired_pct": pairedPct,
                            "probe_records": probe.steps.count,
                            "probe_alone_ms": probeAlone * 1000, "probe_callbacks_ms": probe.busySeconds / Double(updates[1]) * 1000,
                            "update_measure_ms": (updateSeconds[1] / Double(updates[1]) - updateSeconds[0] / Double(updates[0])) * 1000, "probe_alone_pct": probeAlone / ma * 100,
                            "peak_rss_mb": peakRSSMB(), "backend": "\(Backend.current)"]
        // W4 also carries the peer script's names for the two medians (its W4ab record).
        if self == .w4 { r["w1_ms_per_step"] = ma * 1000; r["w4_ms_per_step"] = mb * 1000 }
        return BenchResult(r)
    }

    /// W5: C = op(A)·op(B) [m×n], A, B ~ N(0,1), C preallocated; best of 7 trials, each repeating
    /// the call max(1, ⌊0.25 s / t_single⌋) times; 3 untimed calls first. GFLOP/s = 2mnk/t.
    private func gemm(_ s: GemmShape, threads: Int) -> BenchResult {
        var rng = SeededRandom(seed: 0)
        let a = Tensor<Float>.normal([s.m * s.k], rng: &rng), b = Tensor<Float>.normal([s.k * s.n], rng: &rng)
        var c = [Float](repeating: 0, count: s.m * s.n)
        let best: Double = a.scalars.withUnsafeBufferPointer { pa in b.scalars.withUnsafeBufferPointer { pb in c.withUnsafeMutableBufferPointer { pc in
            func call() { Float.gemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k, alpha: 1, a: pa.baseAddress!,
                                     lda: s.transA ? s.m : s.k, b: pb.baseAddress!, ldb: s.transB ? s.k : s.n,
                                     beta: 0, c: pc.baseAddress!, ldc: s.n) }
            for _ in 0..<3 { call() }
            var t = now(); call(); let single = now() - t
            let reps = Swift.max(1, Int(0.25 / Swift.max(single, 1e-9)))
            var best = Double.infinity
            for _ in 0..<7 {
                t = now()
                for _ in 0..<reps { call() }
                best = Swift.min(best, (now() - t) / Double(reps))
            }
            return best
        } } }
        var r: [String: Any] = ["workload": s.name, "framework": "gradlab", "threads": threads,
                                "gflops": 2 * Double(s.m * s.n * s.k) / best / 1e9, "ms_per_step": best * 1000, "steps_per_s": 1 / best,
                                "peak_rss_mb": peakRSSMB(), "backend": "\(Backend.current)"]
        if s.isSquare { r["n"] = s.n }
        return BenchResult(r)
    }
}

/// One W5 product: square n (the peer's `gemm-n<n>`) or m×n×k with op(A)/op(B) transposed or not.
package struct GemmShape {
    package let m: Int, n: Int, k: Int, transA: Bool, transB: Bool

    package init(parsing text: String) throws {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        let dims = parts[0].split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        let ops = parts.count > 1 ? parts[1].uppercased() : "NN"
        guard dims.count == 1 || dims.count == 3, dims.allSatisfy({ $0 != nil && (1...8192).contains($0!) }),
              ["NN", "NT", "TN", "TT"].contains(ops) else {
            throw GradLabError.invalid("GEMM size '\(text)' must be n or MxNxK (each in 1…8192), optionally followed by :NN, :NT, :TN or :TT")
        }
        let d = dims.map { $0! }
        (m, n, k) = d.count == 1 ? (d[0], d[0], d[0]) : (d[0], d[1], d[2])
        transA = ops.first == "T"; transB = ops.last == "T"
    }

    package var isSquare: Bool { m == n && n == k && !transA && !transB }
    package var name: String { isSquare ? "gemm-n\(n)" : "gemm-\(m)x\(n)x\(k)-\(transA ? "T" : "N")\(transB ? "T" : "N")" }
}

package struct BenchResult {
    package var fields: [String: Any]
    package init(_ f: [String: Any]) { fields = f }
    package init?(jsonLine: String) {
        guard let o = try? JSONSerialization.jsonObject(with: Data(jsonLine.utf8)) as? [String: Any] else { return nil }
        fields = o
    }
    package var jsonLine: String {
        String(data: try! JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys]), encoding: .utf8)!
    }
    package var tableRow: String {
        let w = (fields["workload"] as? String ?? "?").padding(toLength: 24, withPad: " ", startingAt: 0)
        let t = fields["threads"] as? Int ?? 0
        let rss = String(format: "peak RSS %5.1f MB", fields["peak_rss_mb"] as? Double ?? 0)
        if let o = fields["overhead_pct"] as? Double {
            return "\(w) \(t)T  \(String(format: "plain %6.2f ms/step, with probe %6.2f ms/step: overhead %+.1f%% (paired %+.1f%%; probe's own time %.3f ms = %.1f%%)", fields["plain_ms_per_step"] as? Double ?? 0, fields["probed_ms_per_step"] as? Double ?? 0, o, fields["overhead_paired_pct"] as? Double ?? o, fields["probe_alone_ms"] as? Double ?? 0, fields["probe_alone_pct"] as? Double ?? 0))  \(rss)"
        }
        if let g = fields["gflops"] as? Double {
            return "\(w) \(t)T  \(String(format: "%7.1f GFLOP/s  %8.3f ms/call", g, fields["ms_per_step"] as? Double ?? 0))  \(rss)"
        }
        return "\(w) \(t)T  \(String(format: "%7.2f ms/step  %7.1f steps/s  %6.1f GFLOP/s", fields["ms_per_step"] as? Double ?? 0, fields["steps_per_s"] as? Double ?? 0, fields["achieved_gflops"] as? Double ?? 0))  \(rss)"
    }
}

/// Peak resident set (VmHWM) of this process in MB.
package func peakRSSMB() -> Double {
    guard let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kb / 1024
}

package func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
