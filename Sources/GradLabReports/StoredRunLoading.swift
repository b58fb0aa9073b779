import Foundation
import GradLab

extension StoredRun {
    /// Every run under `paths` that reads. A run that does not (a record that is not valid, no
    /// metrics yet) is left out and named through `warn` with the reason, so one broken run never
    /// sinks the report of a whole experiment. Throws when no run reads: the error of the only
    /// run, or a line naming how many failed and the first reason.
    package static func loadReadable(_ paths: [String], warn: (String) -> Void) throws -> [StoredRun] {
        let dirs = try paths.flatMap { try directories($0) }
        var runs: [StoredRun] = [], failures: [Error] = []
        for dir in dirs {
            do { runs.append(try load(dir)) } catch {
                failures.append(error)
                warn("\(dir) left out of the report: \(error)")
            }
        }
        if runs.isEmpty, let first = failures.first {
            if failures.count == 1 { throw first }
            throw GradLabError.data("none of the \(failures.count) runs could be read; the first: \(first)")
        }
        return runs
    }
}
