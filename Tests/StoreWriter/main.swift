import Foundation
import GradLab
import GradLabStore

// Test support: writes RUNS runs of STEPS metric rows each into the run store in DIR, in
// transactions of BATCH rows, as a parallel sweep worker would, so a test can run several
// writers as separate processes against one database.
//   gradlab-store-writer DIR WRITER RUNS STEPS BATCH
let args = CommandLine.arguments
guard args.count == 6, let runs = Int(args[3]), let steps = Int(args[4]), let batch = Int(args[5]), runs >= 1, steps >= 1, batch >= 1 else {
    FileHandle.standardError.write(Data("usage: gradlab-store-writer DIR WRITER RUNS STEPS BATCH (counts ≥ 1)\n".utf8))
    exit(2)
}
let (dir, writer) = (args[1], args[2])
do {
    let store = try SQLiteRunStore(directory: dir)
    for i in 0..<runs {
        let id = try store.createRun(NewRun(name: "\(writer)-\(i)", experiment: "stress",
                                            configJSON: "{\"writer\": \"\(writer)\", \"index\": \(i), \"lr\": 0.001}", tags: [writer]))
        for start in stride(from: 0, to: steps, by: batch) {
            try store.appendMetrics(id, (start..<min(start + batch, steps)).map {
                MetricRow(step: $0, loss: 1 / Double($0 + 1), accuracy: nil, gradNorm: Double(i), learningRate: 0.001)
            })
        }
        try store.recordArtifact(id, Artifact(kind: "note", path: "\(writer)/\(i).txt"))
        try store.finishRun(id, status: .finished, final: FinalMetrics(loss: 1 / Double(steps), wallSeconds: 0))
    }
} catch {
    FileHandle.standardError.write(Data("gradlab-store-writer: \(error)\n".utf8))
    exit(1)
}
