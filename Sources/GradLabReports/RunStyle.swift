import Foundation
import GradLab

/// How one run is drawn in every chart of a report: the same colour and dash everywhere.
///
/// Colours: the Okabe–Ito palette without its yellow (too pale on white), then Paul Tol's muted
/// colours that differ from those: 13 distinct hues; run 14 onwards repeats them with a dash
/// pattern, so (colour, dash) stays unique for 13 × 4 runs.
package struct RunStyle: Equatable, Sendable {
    package var colour: String
    /// SVG `stroke-dasharray`, nil for a solid line.
    package var dash: String?

    package static let palette = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
                                  "#882255", "#999933", "#332288", "#661100", "#AA4499", "#888888"]
    static let dashes: [String?] = [nil, "6,3", "2,2", "8,3,2,3"]

    /// The style of the `index`-th run (0-based).
    package init(index: Int) {
        colour = Self.palette[index % Self.palette.count]
        dash = Self.dashes[(index / Self.palette.count) % Self.dashes.count]
    }

    package init(colour: String, dash: String?) { self.colour = colour; self.dash = dash }

    /// The stroke attributes of a line in this style.
    var stroke: String { "stroke=\"\(colour)\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") }

    /// An HTML swatch (a short line in the run's colour and dash) for tables.
    package var swatch: String { "<span class=\"swatch\" style=\"border-top-color:\(colour);border-top-style:\(dash == nil ? "solid" : "dashed")\"></span>" }
}

/// The runs of one report, each with its key (`#1`, `#2`, …), style and the settings that tell it
/// apart from the others, read from the configs the runs recorded (never from folder names).
package struct RunIdentity: Sendable {
    package var key: String
    package var style: RunStyle
    /// (config key, value as written) for each key whose value differs between the runs.
    package var settings: [(key: String, value: String)]
    /// The run's directory name, shown when no setting differs (a single run).
    package var name: String

    /// "depth=30, sigma-w2=4, seed=0" (or the name when nothing differs).
    package var settingsText: String { settings.isEmpty ? name : settings.map { "\($0.key)=\($0.value)" }.joined(separator: ", ") }
    /// The legend entry: key and every distinguishing setting.
    package var legend: String { "\(key) \(settingsText)" }

    /// One identity per config, in order: keys whose values differ, in `RunConfig.keys` order.
    package static func of(_ configs: [RunConfig], names: [String]) -> [RunIdentity] {
        let values = configs.map(\.values)
        let differing = RunConfig.keyNames.filter { k in Set(values.map { $0[k].map(\.text) ?? "unset" }).count > 1 }
        return configs.indices.map { i in
            RunIdentity(key: "#\(i + 1)", style: RunStyle(index: i),
                        settings: differing.map { ($0, values[i][$0].map(\.text) ?? "unset") }, name: names[i])
        }
    }
}
