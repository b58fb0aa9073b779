import Foundation
import GradLab

/// The decks shipped with GradLab, read from the module's resources.
public enum BuiltinDeck: String, CaseIterable, Sendable {
    /// "Vanishing and exploding gradients": the deck GradLab grew from, and beyond.
    case gradients

    public var text: String {
        get throws {
            guard let url = Bundle.module.url(forResource: rawValue, withExtension: "md", subdirectory: "decks"),
                  let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw GradLabError.unavailable("the built-in deck '\(rawValue)' is missing from the installation — reinstall GradLab")
            }
            return text
        }
    }

    public func load() throws -> Deck { try DeckParser.parse(text, file: "builtin:\(rawValue)") }

    /// A deck named on the command line: a built-in name, or a path to a Markdown file.
    public static func resolve(_ nameOrPath: String?) throws -> Deck {
        guard let name = nameOrPath else { return try BuiltinDeck.gradients.load() }
        if let builtin = BuiltinDeck(rawValue: name), !FileManager.default.fileExists(atPath: name) { return try builtin.load() }
        return try DeckParser.load(path: name)
    }
}
