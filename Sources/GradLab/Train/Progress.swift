import Foundation

/// A one-line terminal progress bar on stderr: `[██████░░░░] 60% 600/1000 loss 0.213 acc 93.8% 2.1 s`.
/// On a terminal it redraws in place; otherwise (logs, CI) it prints a line every 10%.
public final class ProgressBar {
    var total: Int
    let label: String
    let start = Date()
    let interactive = isatty(2) != 0
    var lastDecile = -1
    var lastDraw = Date.distantPast
    public var enabled: Bool

    public init(total: Int, label: String, enabled: Bool = true) {
        self.total = Swift.max(total, 1); self.label = label; self.enabled = enabled
    }

    /// Reports `done` of `total` (which may change, e.g. once a sweep knows its size).
    public func update(_ done: Int, _ info: String, total newTotal: Int? = nil) {
        if let newTotal { total = Swift.max(newTotal, 1) }
        guard enabled else { return }
        let frac = Double(done) / Double(total)
        let elapsed = Date().timeIntervalSince(start)
        if interactive {
            guard done == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = Date()
            let filled = Int(frac * 24)
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: 24 - filled)
            let eta = done > 0 && done < total ? String(format: " eta %.1fs", elapsed / frac - elapsed) : ""
            FileHandle.standardError.write("\r\(label) [\(bar)] \(Int(frac * 100))% \(done)/\(total) \(info) \(String(format: "%.1fs", elapsed))\(eta)\u{1B}[K".data(using: .utf8)!)
            if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
        } else {
            let decile = Int(frac * 10)
            guard decile != lastDecile else { return }
            lastDecile = decile
            let eta = done > 0 && done < total ? String(format: " eta %.1fs", elapsed / frac - elapsed) : ""
            FileHandle.standardError.write("\(label) \(Int(frac * 100))% \(done)/\(total) \(info) \(String(format: "%.1fs", elapsed))\(eta)\n".data(using: .utf8)!)
        }
    }
}
