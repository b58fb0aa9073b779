import Foundation
import GradLabDiagnostics

/// The heat-map panels every report draws from probe records, labelled the one way layers are
/// shown everywhere (`LayerLabel.text`: 1-based index from the input, then the dotted name).
enum LayerPictures {
    /// ‖∂L/∂W‖ per linear layer (rows, input layer on top) × probed step (columns).
    static func gradientPanel(_ steps: [ProbeStep], title: String? = nil) -> SVG.HeatPanel? {
        let probed = steps.filter { !$0.layers.isEmpty }
        guard let first = probed.first else { return nil }
        let values = first.layers.indices.map { l in probed.map { $0.layers.indices.contains(l) ? $0.layers[l].gradNorm : .nan } }
        return SVG.HeatPanel(title: title, rows: first.layers.map(\.label.text), columns: probed.map(\.step), values: values)
    }

    /// ‖∂L/∂h_t‖ per recurrent layer (rows, input side on top) × time step t = 1…T (columns) at
    /// one probed step.
    static func timePanel(_ step: ProbeStep, title: String? = nil) -> SVG.HeatPanel? {
        guard let T = step.time.map(\.gradNormByTime.count).max(), T > 0 else { return nil }
        return SVG.HeatPanel(title: title, rows: step.time.indices.map { recurrentLabel($0, step.time[$0].name) },
                             columns: Array(1...T), values: step.time.map(\.gradNormByTime))
    }

    /// A recurrent layer: its 1-based place among the recurrent layers and its dotted name.
    static func recurrentLabel(_ i: Int, _ name: String) -> String { LayerLabel(index: i + 1, name: name).text }

    /// Up to three probed steps to show: the first, the middle and the last.
    static func picks<T>(_ steps: [T]) -> [T] {
        guard !steps.isEmpty else { return [] }
        return Array(Set([0, steps.count / 2, steps.count - 1])).sorted().map { steps[$0] }
    }

    /// How the k-th of `n` chosen steps is drawn in a run's colour: early dotted and faint,
    /// the last solid (line dash, bar opacity).
    static func stepDash(_ k: Int, of n: Int) -> String? { k == n - 1 ? nil : (k == 0 ? "2,3" : "6,3") }
    static func stepOpacity(_ k: Int, of n: Int) -> Double { n <= 1 ? 1 : 0.35 + 0.65 * Double(k) / Double(n - 1) }
}
