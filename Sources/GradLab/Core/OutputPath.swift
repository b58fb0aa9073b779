import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A path a command will write to, checked before any work starts, so a long run never ends in a
/// write error. A file output must not be a directory; a directory output must not be a file;
/// missing folders on the way are created later, so the nearest one that exists must be a
/// writable directory (and no file may sit where a folder is needed). Every refusal is one line
/// naming the flag, the path and the fix.
public struct OutputPath: Sendable {
    public enum Kind: Sendable {
        /// One file, replaced atomically if it exists (`--out report.html`).
        case file
        /// A folder that gets files inside it (`--out repair`, `--tensorboard logs`).
        case directory
    }

    public let path: String
    public let kind: Kind
    /// The option that gave the path (`--out`), for messages; nil for a path the program chose.
    public let option: String?

    public init(_ path: String, _ kind: Kind, option: String? = nil) {
        self.path = path; self.kind = kind; self.option = option
    }

    public static func file(_ path: String, option: String? = nil) -> OutputPath { OutputPath(path, .file, option: option) }
    public static func directory(_ path: String, option: String? = nil) -> OutputPath { OutputPath(path, .directory, option: option) }

    /// Checks every output a command was given (nil: not given), in order.
    public static func check(_ outputs: OutputPath?...) throws {
        for o in outputs { try o?.check() }
    }

    /// Throws `GradLabError.io` when the path cannot be written as `kind`.
    public func check() throws {
        let name = option.map { "\($0) \(path)" } ?? path
        guard !path.isEmpty else { throw GradLabError.invalid("\(option ?? "the output path") is empty; give a path") }
        switch (kind, Self.entry(path)) {
        case (.file, .directory):
            throw GradLabError.io("\(name) is a directory; give a file path (a new file name inside it, for example)")
        case (.directory, .file):
            throw GradLabError.io("\(name) is a file, not a directory; give a directory path or move the file away")
        case (.directory, .directory):
            try Self.writable(path, name)
            return
        case (.file, .file):
            // Replaced by a rename, so what matters is the folder; an unwritable file is refused too.
            guard access(path, W_OK) == 0 else { throw GradLabError.io("\(name) exists and is not writable; choose another path or change its permissions") }
        case (_, .missing):
            break
        }
        // The nearest folder on the way that exists: it must be a writable directory.
        var parent = (path as NSString).deletingLastPathComponent
        if parent.isEmpty { parent = "." }
        while true {
            switch Self.entry(parent) {
            case .directory:
                try Self.writable(parent, name)
                return
            case .file:
                throw GradLabError.io("cannot write \(name): \(parent) is a file, not a directory; choose another path")
            case .missing:
                let up = (parent as NSString).deletingLastPathComponent
                parent = up.isEmpty ? "." : up
            }
        }
    }

    enum Entry { case missing, file, directory }

    static func entry(_ path: String) -> Entry {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .missing }
        return isDirectory.boolValue ? .directory : .file
    }

    /// A directory new files can be created in (write and search permission).
    static func writable(_ directory: String, _ name: String) throws {
        guard access(directory, W_OK | X_OK) == 0 else {
            throw GradLabError.io("cannot write \(name): the directory \(directory) is not writable; choose another path or change its permissions")
        }
    }
}
