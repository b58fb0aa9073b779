import Foundation
import GradLab
import GradLabDiagnostics

/// Where an experiment's runs live: `<root>/<experiment>/<index>-<point name>/`, each a
/// `RunDirectory` — a point is done exactly when its `result.json` exists.
public struct RunLayout: Sendable {
    public let root: String
    public init(root: String) { self.root = root }

    public func experimentDir(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
    public func point(_ experiment: String, _ point: Experiment.Point) -> RunDirectory { RunDirectory(pointDir(experiment, point)) }
    public func pointDir(_ experiment: String, _ point: Experiment.Point) -> String {
        let safe = point.name.map { $0.isLetter || $0.isNumber || "._-=,".contains($0) ? $0 : "_" }
        return (experimentDir(experiment) as NSString).appendingPathComponent(String(format: "%04d-", point.index) + String(safe))
    }
    public static func file(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
}
