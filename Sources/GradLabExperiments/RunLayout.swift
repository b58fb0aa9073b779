import Foundation
import GradLab
import GradLabDiagnostics

/// Where an experiment's runs live: `<root>/<experiment>/<index>-<point name>/`, each a
/// `RunDirectory` — a point is done exactly when its `result.json` exists. In the folder name the
/// point name's commas become '_' and anything but ASCII letters, digits, '.', '-' and '=' becomes
/// '_' (`0003-relu_depth=10_sigma-w2=1.76_seed=0`): no comma or colon, which
/// `tensorboard --logdir_spec name:path,name:path` would split on, and no '/'.
package struct RunLayout: Sendable {
    package let root: String
    package init(root: String) { self.root = root }

    package func experimentDir(_ name: String) -> String { (root as NSString).appendingPathComponent(name) }
    package func point(_ experiment: String, _ point: Experiment.Point) -> RunDirectory { RunDirectory(pointDir(experiment, point)) }
    package func pointDir(_ experiment: String, _ point: Experiment.Point) -> String {
        let safe = point.name.map { $0.isASCII && ($0.isLetter || $0.isNumber) || "._-=".contains($0) ? $0 : "_" }
        return (experimentDir(experiment) as NSString).appendingPathComponent(String(format: "%04d-", point.index) + String(safe))
    }
    package static func file(_ dir: String, _ name: String) -> String { (dir as NSString).appendingPathComponent(name) }
}
