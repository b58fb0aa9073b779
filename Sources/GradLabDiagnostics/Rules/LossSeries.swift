import Foundation
import GradLab

/// Loss series the trend rules read from the probed stream.
enum LossSeries {
    /// The training loss averaged over steps[i−4...i] (5 checks; fewer at the start).
    static func smoothed(_ steps: [ProbeStep], upTo i: Int) -> Double {
        let w = steps[Swift.max(0, i - 4)...i].map(\.loss)
        return w.reduce(0, +) / Double(w.count)
    }

    /// The fixed-batch losses of steps[...i] as (step, loss) points, from the probed steps that
    /// carry one (the probe measures it on request: `Probe.Options.fixedBatchEvery`).
    /// Mini-batch losses are not used: at small batch sizes their noise alone flips direction
    /// half the time and swings far from the level, which is what rule 13 looks for.
    static func fixedLosses(_ steps: [ProbeStep], upTo i: Int) -> [(step: Int, loss: Double)] {
        steps[...i].compactMap { s in s.fixedLoss.map { (s.step, $0) } }
    }
}
