import ArgumentParser
import Foundation
import GradLab
import GradLabKit

/// `gradlab bench`: the peer workloads of the shared bench-peers suite, with the same definitions,
/// so GradLab and PyTorch/JAX/NumPy can be run side by side in one session. Each workload and
/// thread count runs in a fresh child process, so peak RSS belongs to that workload alone.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the speed benchmarks (build with -c release).",
        discussion: """
        Workloads (same definitions as the peer scripts):
          W1  mlp-tanh-20x256   20 tanh layers of 256, batch 128, SGD — ms/step
          W2  mlp-relu-100x64   100 ReLU layers of 64, batch 64, SGD — ms/step (overhead-bound)
          W3  lstm-128-T100     LSTM(2 → 128) on the adding problem, T = 100, batch 32, Adam — ms/step
          W3P w3-probe-paired   W3 with and without the through-time probe, 40 ABBA blocks of 5 steps — overhead %
          W4  w4-vs-w1-paired   W1 with and without the gradient probe on every step, 160 ABBA blocks of 10 steps — overhead %
          W5  gemm              C = A·B, n = 256, 512, 1024, 2048 — GFLOP/s
        Examples:
          gradlab bench                              # all workloads, 1 and 2 threads, a table
          gradlab bench --workload W1 --threads 1 --json
          gradlab bench --workload W5 --backend openblas
          gradlab bench --workload W5 --sizes 128x256x256:NT,256x256x128:TN   # W1's layer products
        """)

    @Option(help: "Workloads, comma-separated: W1, W2, W3, W3P, W4, W5 or their peer names, or 'all'.") var workload = "all"
    @Option(help: "Thread counts, comma-separated.") var threads = "1,2"
    @Option(help: "Timed steps (default: the peer's S).") var steps: Int?
    @Option(help: "GEMM sizes for W5: n (square), or MxNxK with an optional :TN, :NT or :TT (op(A), op(B) transposed), e.g. 128x256x256:NT.") var sizes = "256,512,1024,2048"
    @Option(help: "Matrix-multiply backend: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", ")).") var backend = "swift"
    @Flag(help: "One JSON object per line with the peer script's keys.") var json = false
    @Flag(help: .hidden) var child = false

    func run() throws {
        let names = try BenchWorkload.parse(workload)
        let threadCounts = try threads.split(separator: ",").map { s -> Int in
            guard let t = Int(s), t >= 1, t <= 256 else { throw GradLabError.invalid("threads '\(s)' must be a whole number in 1…256") }
            return t
        }
        let sizeList = try sizes.split(separator: ",").map { try GemmShape(parsing: String($0)) }
        guard let kind = Backend.Kind(rawValue: backend) else {
            throw GradLabError.invalid("backend '\(backend)' is not known; allowed: \(Backend.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let steps, steps < 1 { throw GradLabError.invalid("steps \(steps) must be ≥ 1") }
        if child {
            try Backend.use(kind)
            Backend.setThreads(threadCounts[0])
            for r in try names[0].run(threads: threadCounts[0], steps: steps, sizes: sizeList) { print(r.jsonLine) }
            return
        }
        let selected = try Backend.load(kind)   // fail early with a clear message if the library is missing
        if !json { print("gradlab \(GradLabCLI.version) bench — backend \(selected), \(ProcessInfo.processInfo.activeProcessorCount) cores\n") }
        for w in names { for t in threadCounts {
            var args = ["bench", "--child", "--workload", w.rawValue, "--threads", "\(t)", "--sizes", sizes, "--backend", backend]
            if let steps { args += ["--steps", "\(steps)"] }
            let out = try runSelf(args)
            for line in out.split(separator: "\n") {
                if json { print(line) } else if let r = BenchResult(jsonLine: String(line)) { print(r.tableRow) }
            }
        } }
    }

    private func runSelf(_ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        if !FileManager.default.fileExists(atPath: p.executableURL!.path) { p.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]) }
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw GradLabError.io("benchmark child \(args.joined(separator: " ")) failed with status \(p.terminationStatus)") }
        return String(data: data, encoding: .utf8) ?? ""
    }
}
