import Foundation

extension SVG {
    /// One panel of a heat map: labelled rows (top to bottom) × columns at x values (steps, time).
    package struct HeatPanel {
        package var title: String?
        package var rows: [String]
        package var columns: [Int]
        /// values[row][column]; rows may be shorter than `columns` (missing cells stay blank).
        package var values: [[Double]]
        package init(title: String? = nil, rows: [String], columns: [Int], values: [[Double]]) {
            self.title = title; self.rows = rows; self.columns = columns; self.values = values
        }
    }

    /// Heat maps of log10(value), one panel under another, on ONE colour scale with one colour
    /// bar, so panels compare cell by cell (before/after, steps of training). Non-finite cells are
    /// red and counted under the bar; zeros are grey. With `sharedX` the panels also share one x
    /// scale: a panel spanning fewer steps is drawn narrower.
    package static func heatmap(title: String, panels: [HeatPanel], unit: String, xLabel: String = "step", sharedX: Bool = false,
                               width: Int = 760) -> String {
        let allRows = panels.flatMap(\.rows)
        let l = Swift.min(220, (allRows.map { textWidth($0, size: 10) }.max() ?? 20) + 14), r = 110.0, t = 30.0
        let pw = Double(width) - l - r
        let logs = panels.flatMap { $0.values.flatMap { $0 } }.filter { $0.isFinite && $0 > 0 }.map { Foundation.log10($0) }
        let lo = logs.min() ?? 0, hi = Swift.max(logs.max() ?? 1, lo + 1e-9)
        // Cell height: panels share one; 360 px of cells in all at most, 3 px per row at least.
        let cellH = Swift.max(3, Swift.min(18, 360 / Swift.max(allRows.count, 1)))
        // A panel's extent in x: its span plus one column's spacing (the columns are cell centres).
        func extent(_ c: [Int]) -> Double {
            guard let a = c.first, let z = c.last, c.count > 1 else { return 1 }
            return Double(z - a) * Double(c.count) / Double(c.count - 1)
        }
        let widest = panels.map { extent($0.columns) }.max() ?? 1
        var out = "", y = t, nonFinite = 0, zeros = 0
        for panel in panels {
            if let pt = panel.title { out += text(l, y + 13, fit(pt, width: pw, size: 11), size: 11); y += 18 }
            let cw = (sharedX ? pw * extent(panel.columns) / widest : pw) / Double(Swift.max(panel.columns.count, 1))
            for (ri, row) in panel.values.enumerated() {
                let top = y + Double(ri * cellH)
                for (ci, v) in row.enumerated() {
                    let fill: String
                    if !v.isFinite { fill = "#ff0000"; nonFinite += 1 } else if v <= 0 { fill = "#bbbbbb"; zeros += 1 } else {
                        fill = colour((Foundation.log10(v) - lo) / (hi - lo))
                    }
                    out += rect(l + Double(ci) * cw, top, cw + 0.3, Double(cellH) + 0.3, fill: fill, extra: " class=\"cell\"")
                }
            }
            // Row labels at least 12 px apart (every k-th row), always the first and last.
            let every = Swift.max(1, Int(Foundation.ceil(12 / Double(cellH))))
            for (ri, name) in panel.rows.enumerated() where ri % every == 0 || (ri == panel.rows.count - 1 && ri % every >= every / 2 + 1) {
                out += text(l - 5, y + (Double(ri) + 0.5) * Double(cellH) + 3.5, name, size: 10, anchor: "end")
            }
            y += Double(cellH * panel.rows.count)
            out += columnTicks(panel.columns, left: l, cellWidth: cw, y: y + 14, width: Double(width))
            y += 24
        }
        y += 4
        out += text(l + pw / 2, y + 8, xLabel, anchor: "middle")
        let (bar, barBottom) = colourBar(x: l + pw + 15, top: t, height: Swift.min(220, Swift.max(60, y - t - 40)), lo: lo, hi: hi,
                                         unit: unit, nonFinite: nonFinite, zeros: zeros, room: r - 20)
        out += bar
        let height = Int(Swift.max(y + 16, barBottom + 4).rounded(.up))
        return open(width: width, height: height, title: title, left: l) + out + "</svg>"
    }

    /// Tick labels under a row of cells at x values `columns`: round values placed between the
    /// cells they fall between, thinned so no two labels touch.
    static func columnTicks(_ columns: [Int], left: Double, cellWidth cw: Double, y: Double, width: Double) -> String {
        guard let first = columns.first, let last = columns.last else { return "" }
        func position(_ v: Int) -> Double? {
            guard let j = columns.firstIndex(where: { $0 >= v }) else { return nil }
            if columns[j] == v || j == 0 { return left + (Double(j) + 0.5) * cw }
            let f = Double(v - columns[j - 1]) / Double(columns[j] - columns[j - 1])
            return left + (Double(j) - 0.5 + f) * cw
        }
        let candidates = columns.count <= 12 ? columns : Array(Set([first] + integerTicks(first, last) + [last])).sorted()
        let ticks = candidates.compactMap { v in position(v).map { (x: $0, label: "\(v)") } }
        return thinned(ticks, size: 10, minX: 0, maxX: width).map { text($0.x, y, $0.label, size: 10, anchor: "middle") }.joined()
    }

    /// The one colour bar of a heat map: viridis over log10 [lo, hi], labelled in decades (or two
    /// end values when the range is under a decade), with the red and grey cells explained; returns
    /// the SVG and the lowest point its text reaches.
    static func colourBar(x: Double, top: Double, height: Double, lo: Double, hi: Double, unit: String,
                          nonFinite: Int, zeros: Int, room: Double) -> (svg: String, bottom: Double) {
        var out = ""
        for k in 0..<40 {
            out += rect(x, top + height * Double(39 - k) / 40, 12, height / 40 + 0.3, fill: colour((Double(k) + 0.5) / 40))
        }
        func y(_ v: Double) -> Double { top + (1 - (v - lo) / (hi - lo)) * height }
        var labels: [(Double, String)] = []
        if hi - lo >= 1 {
            let every = Swift.max(1, Int(Foundation.ceil((hi - lo) / 6)))
            labels = stride(from: Int(Foundation.ceil(lo)), through: Int(Foundation.floor(hi)), by: every).map { (y(Double($0)), logLabel(1, $0)) }
        } else {
            labels = [(y(hi), String(format: "%.2g", Foundation.pow(10, hi))), (y(lo), String(format: "%.2g", Foundation.pow(10, lo)))]
        }
        var last = -Double.infinity
        for (ly, s) in labels.sorted(by: { $0.0 < $1.0 }) where ly - last >= 12 {
            out += line(x + 12, ly, x + 15, ly, stroke: "#333") + text(x + 17, ly + 3.5, s, size: 9)
            last = ly
        }
        var ny = top + height + 16
        for s in wrap(unit + " (log)", width: room, size: 9) { out += text(x, ny, s, size: 9); ny += 11 }
        if nonFinite > 0 { out += text(x, ny, "red: \(nonFinite) NaN/Inf", size: 9, extra: " fill=\"#cc0000\""); ny += 11 }
        if zeros > 0 { out += text(x, ny, "grey: \(zeros) zero", size: 9, extra: " fill=\"#666666\""); ny += 11 }
        return (out, ny - 8)
    }
}
