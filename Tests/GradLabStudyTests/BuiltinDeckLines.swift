import Foundation
import GradLabStudy

/// The built-in deck's experiment cards, read from the resource's lines: each `experiment:` line,
/// the `claim:` line after it and the nearest question line above.
enum BuiltinDeckLines {
    static func experiments() throws -> [(line: Int, question: String, experiment: String, claim: String?)] {
        let url = try XCTUnwrapResource()
        let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
        var out: [(Int, String, String, String?)] = []
        for (i, l) in lines.enumerated() where l.hasPrefix("experiment:") {
            let experiment = String(l.dropFirst("experiment:".count)).trimmingCharacters(in: .whitespaces)
            let next = lines[(i + 1)...].first { !$0.hasPrefix("explain:") && !$0.hasPrefix("distractors:") } ?? ""
            let claim = next.hasPrefix("claim:") ? String(next.dropFirst("claim:".count)).trimmingCharacters(in: .whitespaces) : nil
            let q = lines[..<i].last { !$0.isEmpty && !$0.contains(":") || $0.contains("::") || $0.contains("==") } ?? ""
            out.append((i + 1, q, experiment, claim))
        }
        return out
    }

    /// The deck as shipped, read from the module's sources (the resource is a copy of it).
    static func XCTUnwrapResource() throws -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/GradLabStudy/Resources/decks/gradients.md")
    }
}
