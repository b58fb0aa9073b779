import Foundation

/// The result of a sweep over its swept settings: one grid per final metric (test accuracy, final
/// training loss), x and y the two settings with the most values, one panel per value of any
/// further setting; each cell the mean ± sample standard deviation over the seeds of its point.
///
/// The settings come from the runs' recorded configs (`RunIdentity.settings`, `seed` apart). Two
/// settings that determine each other (variants: `activation` sigmoid always with `init` normal)
/// share one axis, "activation / init".
package enum SweepView {
    /// A swept axis: one or more config keys and their values in order (numeric order when every
    /// value is a number, else the order of the runs).
    struct Axis { var keys: [String]; var values: [String]; var name: String { keys.joined(separator: " / ") } }

    /// The mean, spread and count of one metric over the runs of one point.
    struct Cell {
        var mean: Double, spread: Double?, n: Int, nonFinite: Int
        init?(_ values: [Double]) {
            guard !values.isEmpty else { return nil }
            let finite = values.filter(\.isFinite)
            n = values.count; nonFinite = values.count - finite.count
            mean = finite.isEmpty ? .nan : finite.reduce(0, +) / Double(finite.count)
            spread = finite.count >= 2 ? (finite.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(finite.count - 1)).squareRoot() : nil
        }
    }

    /// The sweep view's HTML (figures and caption), or "" when fewer than two points differ in
    /// anything but the seed.
    package static func html(_ runs: [StoredRun], _ ids: [RunIdentity]) -> String {
        let settings = ids.map { Dictionary(uniqueKeysWithValues: $0.settings.filter { $0.key != "seed" }.map { ($0.key, $0.value) }) }
        let axes = self.axes(settings, keys: ids.first?.settings.map(\.key).filter { $0 != "seed" } ?? [])
        guard let x = axes.first else { return "" }
        let y = axes.count > 1 ? axes[1] : nil, rest = Array(axes.dropFirst(2))
        func value(_ run: Int, _ axis: Axis) -> String { axis.keys.map { settings[run][$0] ?? "" }.joined(separator: " / ") }
        let seeds = Dictionary(grouping: runs.indices) { i in axes.map { value(i, $0) } }.values.map(\.count)
        let spread = (seeds.max() ?? 1) > 1
            ? " Each cell: the mean ± sample standard deviation over the point's \(seeds.min() == seeds.max() ? "\(seeds.max()!)" : "\(seeds.min()!)–\(seeds.max()!)") seeds."
            : " One run per point (no seeds to average)."
        // Panels: every combination of the further axes' values that has runs.
        let combos = rest.reduce([[String]]([[]])) { acc, axis in acc.flatMap { c in axis.values.map { c + [$0] } } }
        var out = "<h2>Sweep</h2><p>The final result at every point of the sweep: \(SVG.escape(x.name)) across"
        out += (y.map { ", \(SVG.escape($0.name)) down" } ?? "") + "."
        out += rest.isEmpty ? "" : " One panel per \(rest.map { SVG.escape($0.name) }.joined(separator: " × "))."
        out += spread + " Colour follows the value (viridis: dark low, yellow high); red: the run diverged.</p>"
        let metrics: [(title: String, percent: Bool, log: Bool, value: (StoredRun) -> Double?)] = [
            ("Test accuracy at the end", true, false, { $0.evals.last?.accuracy }),
            ("Final training loss", false, true, { $0.steps.last?.loss }),
        ]
        for m in metrics where runs.contains(where: { m.value($0) != nil }) {
            var panels: [(title: String?, cells: [[Cell?]])] = []
            for combo in combos {
                let members = runs.indices.filter { i in zip(rest, combo).allSatisfy { value(i, $0.0) == $0.1 } }
                guard !members.isEmpty else { continue }
                let cells = (y?.values ?? [""]).map { yv in
                    x.values.map { xv in
                        Cell(members.filter { i in value(i, x) == xv && (y.map { value(i, $0) == yv } ?? true) }.compactMap { m.value(runs[$0]) })
                    }
                }
                panels.append((combo.isEmpty ? nil : zip(rest, combo).map { "\($0.0.name) = \($0.1)" }.joined(separator: ", "), cells))
            }
            out += "<figure>" + grid(title: m.title, x: x, y: y, panels: panels, percent: m.percent, log: m.log) + "</figure>"
        }
        return out
    }

    /// The swept axes: keys in config order, merged where their values determine each other,
    /// then ordered by how many values they take (most first).
    static func axes(_ settings: [[String: String]], keys: [String]) -> [Axis] {
        var groups: [[String]] = []
        for k in keys {
            if let g = groups.firstIndex(where: { g in
                let pairs = Set(settings.map { s in g.map { s[$0] ?? "" }.joined(separator: "\u{1}") + "\u{2}" + (s[k] ?? "") })
                let left = Set(settings.map { s in g.map { s[$0] ?? "" }.joined(separator: "\u{1}") }), right = Set(settings.map { $0[k] ?? "" })
                return pairs.count == left.count && pairs.count == right.count
            }) { groups[g].append(k) } else { groups.append([k]) }
        }
        let axes = groups.map { keys -> Axis in
            var seen: [String] = []
            for s in settings { let v = keys.map { s[$0] ?? "" }.joined(separator: " / "); if !seen.contains(v) { seen.append(v) } }
            let numbers = seen.map(Double.init)
            if numbers.allSatisfy({ $0 != nil }) { seen = zip(seen, numbers).sorted { $0.1! < $1.1! }.map(\.0) }
            return Axis(keys: keys, values: seen)
        }
        return axes.enumerated().sorted { ($0.element.values.count, -$0.offset) > ($1.element.values.count, -$1.offset) }.map(\.element)
            .filter { $0.values.count > 1 }
    }

    /// One metric's grid: a panel per combination of further settings, cells coloured by the mean
    /// (one scale across panels) and labelled with mean ± spread; column labels wrap, never cut.
    static func grid(title: String, x: Axis, y: Axis?, panels: [(title: String?, cells: [[Cell?]])], percent: Bool, log: Bool,
                     width: Int = 760) -> String {
        let rowLabels = y?.values ?? [""]
        let l = 34 + (rowLabels.map { SVG.textWidth($0, size: 10) }.max() ?? 0), r = 20.0, t = 30.0
        let cw = Swift.min(130, (Double(width) - l - r) / Double(x.values.count))
        let means = panels.flatMap { $0.cells.flatMap { $0.compactMap { $0?.mean } } }.filter { $0.isFinite && (!log || $0 > 0) }
        let scaled = means.map { log ? Foundation.log10($0) : $0 }
        let lo = scaled.min() ?? 0, hi = Swift.max(scaled.max() ?? 1, lo + 1e-12)
        func format(_ v: Double) -> String { percent ? String(format: "%.1f", v * 100) : String(format: "%.3g", v) }
        func label(_ cell: Cell) -> [String] {
            var text = cell.mean.isFinite ? format(cell.mean) + (cell.spread.map { " ± " + format($0) } ?? "") + (percent ? "%" : "") : "diverged"
            if cell.nonFinite > 0 && cell.mean.isFinite { text += " (\(cell.nonFinite)/\(cell.n) diverged)" }
            return SVG.wrap(text, width: cw - 6, size: 10)
        }
        let ch = Swift.max(34, Double(panels.flatMap { $0.cells.flatMap { $0.compactMap { $0.map { label($0).count } } } }.max() ?? 1) * 12 + 10)
        let columnLines = x.values.map { SVG.wrap($0, width: cw - 6, size: 10) }
        let headerLines = columnLines.map(\.count).max() ?? 1
        var out = "", top = t
        for panel in panels {
            if let pt = panel.title { out += SVG.text(l, top + 13, pt, size: 11); top += 18 }
            for (ci, lines) in columnLines.enumerated() {
                for (k, s) in lines.enumerated() { out += SVG.text(l + (Double(ci) + 0.5) * cw, top + 11 + Double(k) * 12, s, size: 10, anchor: "middle") }
            }
            top += Double(headerLines) * 12 + 4
            for (ri, row) in panel.cells.enumerated() {
                let cy = top + Double(ri) * ch
                out += SVG.text(l - 6, cy + ch / 2 + 3.5, rowLabels[ri], size: 10, anchor: "end")
                for (ci, cell) in row.enumerated() {
                    let cx = l + Double(ci) * cw
                    guard let cell else { out += SVG.rect(cx, cy, cw - 1, ch - 1, fill: "#eeeeee", extra: " class=\"sweep-cell\""); continue }
                    let u = cell.mean.isFinite && (!log || cell.mean > 0) ? ((log ? Foundation.log10(cell.mean) : cell.mean) - lo) / (hi - lo) : .nan
                    out += SVG.rect(cx, cy, cw - 1, ch - 1, fill: u.isFinite ? SVG.colour(u) : "#ff0000", extra: " class=\"sweep-cell\"")
                    let ink = u.isFinite ? SVG.ink(onViridis: u) : "#ffffff"
                    let lines = label(cell)
                    for (k, s) in lines.enumerated() {
                        out += SVG.text(cx + cw / 2, cy + ch / 2 + 3.5 + (Double(k) - Double(lines.count - 1) / 2) * 12, s, size: 10, anchor: "middle",
                                        extra: " fill=\"\(ink)\"")
                    }
                }
            }
            top += Double(panel.cells.count) * ch + 10
        }
        out += SVG.text(l + cw * Double(x.values.count) / 2, top + 8, x.name, anchor: "middle")
        if let y { out += SVG.yAxisLabel(y.name, x: 14, top: t, height: top - t) }
        let height = Int(top + 18)
        return SVG.open(width: width, height: height, title: title, left: l) + out + "</svg>"
    }
}
