import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports
import GradLabStore

/// What a recorded run writes beside its records: rows in the run store and TensorBoard event
/// files, attached to a diagnostic session before it trains; and, for a run directory, the CSV
/// exports and the store's pointers to each file.
package final class RunOutputs {
    package let recorder: RunRecorder?
    /// The directory artifact paths are written relative to (the runs directory).
    let artifactRoot: String?
    let logger: TrainingLogger?

    /// - Parameters:
    ///   - store: the run store (a runs directory, or a postgres:// URL; see `StoreLocation`), or nil.
    ///   - tensorboard: a directory for TensorBoard event files, or nil.
    ///   - tags: labels recorded with the run in the store (`runs --tag`).
    ///   - hparams: the config keys a sweep varies, logged for TensorBoard's HParams view.
    package convenience init(session: DiagnosticSession, name: String, experiment: String? = nil, tags: [String] = [], hparams: [String] = [],
                             store: String?, tensorboard: String?) throws {
        let location = try store.map { try StoreLocation.parse($0) }
        let recorder = try location.map {
            try RunRecorder(store: try $0.open(), name: name, experiment: experiment, config: session.config, tags: tags)
        }
        try self.init(session: session, recorder: recorder, artifactRoot: location?.directory, hparams: hparams, tensorboard: tensorboard)
    }

    /// Records through `recorder` (a run already in a store, e.g. a queued point's).
    package init(session: DiagnosticSession, recorder: RunRecorder?, artifactRoot: String?, hparams: [String] = [], tensorboard: String?) throws {
        self.recorder = recorder
        self.artifactRoot = artifactRoot
        recorder?.attach(to: session.trainer); recorder?.attach(to: session.probe)
        let values = session.config.values
        logger = try tensorboard.map {
            try TrainingLogger(trainer: session.trainer, probe: session.probe, directory: $0,
                               hparams: Dictionary(hparams.map { ($0, values[$0] ?? .null) }, uniquingKeysWith: { a, _ in a }))
        }
    }

    /// Closes the event files, writes the CSV exports into `directory` (when given) and the
    /// run's end into the store (`status`: as the history says, unless given).
    package func finish(_ run: DiagnosticRun, directory: RunDirectory? = nil, status: RunStatus? = nil) throws {
        try logger?.close(succeeded: run.history.stopReason == nil)
        if let directory {
            try RunExport.writeMetrics(run.history.steps, to: directory.file(.metricsCSV))
            try RunExport.writeProbe(run.probe.steps, to: directory.file(.probeCSV))
            if let recorder {
                for (kind, file) in [("tensorboard", RunDirectory.File.tensorboard), ("metrics", .metrics), ("probe", .probe), ("config", .config)] {
                    let path = directory.file(file)
                    try recorder.recordArtifact(kind: kind, path: artifactRoot.map { Self.relative(path, to: $0) } ?? path)
                }
            }
        }
        _ = try recorder?.finish(history: run.history, verdicts: run.all, status: status)
    }

    static func relative(_ path: String, to root: String) -> String {
        let r = (root as NSString).standardizingPath + "/", p = (path as NSString).standardizingPath
        return p.hasPrefix(r) ? String(p.dropFirst(r.count)) : p
    }
}
