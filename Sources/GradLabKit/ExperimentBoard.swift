import Foundation
import GradLab
import GradLabExperiments
import GradLabReports

/// An experiment's own TensorBoard record: the HParams plugin's experiment (the settings its
/// points vary, with their values, and the metrics to compare) in an event file at the
/// experiment's folder, so `tensorboard --logdir runs/<experiment>` lists the sweep in its
/// HPARAMS tab. Each point's event file holds its own values (`TrainingLogger`'s `hparams`).
package enum ExperimentBoard {
    /// Writes the record once: a rerun (resuming the sweep) finds it and leaves it.
    package static func write(name: String, hparams: [(name: String, values: [JSONValue])], layout: RunLayout) throws {
        guard !hparams.isEmpty else { return }
        let dir = layout.experimentDir(name)
        if (try? FileManager.default.contentsOfDirectory(atPath: dir))?.contains(where: { $0.contains("tfevents") }) == true { return }
        let writer = try TensorBoardWriter(directory: dir)
        try writer.write(TensorBoardHParams.experiment(hparams), step: 0)
        try writer.close()
    }
}
