import Foundation
import GradLab

/// The card files `gradlab deck import` reads, told apart by their extension.
public enum CardFileFormat: String, Sendable, CaseIterable {
    /// An Anki package.
    case apkg
    /// Comma-separated, RFC 4180.
    case csv
    /// Tab-separated (Quizlet's default export).
    case tsv
    /// Anki's "Notes in Plain Text" or a Quizlet export: separator from the header or the first row.
    case txt

    /// The format of a file from its extension (case-insensitive); nil for any other.
    public init?(path: String) {
        self.init(rawValue: (path as NSString).pathExtension.lowercased())
    }

    /// Reads a card file into a deck: `.apkg` through `AnkiPackage`, the others through `DelimitedCards`.
    public static func importDeck(path: String) throws -> Deck {
        guard let format = CardFileFormat(path: path) else {
            throw GradLabError.invalid("\(path): not a card file GradLab imports — give an .apkg, .csv, .tsv or .txt file")
        }
        return format == .apkg ? try AnkiPackage.importDeck(path: path) : try DelimitedCards.importDeck(path: path)
    }
}
