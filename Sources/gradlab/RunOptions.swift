import ArgumentParser
import Foundation
import GradLab
import GradLabTheory

/// The run-config keys as flags (`--depth 20`, `--lr=-1`, `--standardize`), read through the key
/// table `RunConfig.keys`: no key is declared here. `GradLabCLI.main` rewrites each such flag after
/// a command that takes run options into a hidden `--set KEY=VALUE`, so the value that follows a
/// flag is its value (even `-1`; a Bool key takes a following `true`/`false`, else is set), and the
/// key table alone checks names, types and ranges.
struct RunOptions: ParsableArguments {
    @Option(help: "JSON config file with the run-config keys below as keys (e.g. {\"depth\": 20, \"activation\": \"tanh\"}); flags override it.")
    var config: String?
    @Option(name: .customLong("set"), parsing: .singleValue, help: .hidden) var settings: [String] = []

    /// Commands whose arguments include these options.
    static let commands: Set<String> = ["train", "diagnose", "repair"]

    /// The keys as help text, for the commands' discussions.
    static let help: String = "Run-config keys (flags, JSON config keys and experiment YAML keys alike):\n"
        + RunConfig.keys.map { k in "  --\(k.name)\(k.isFlag ? "" : " <value>")\n" + wrap(k.help, indent: 8, width: 78) }.joined(separator: "\n")

    /// `text` in lines of at most `width` columns, each indented (help is wrapped here, so the
    /// terminal's wrapping does not break the layout).
    static func wrap(_ text: String, indent: Int, width: Int) -> String {
        var lines: [String] = [], line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && indent + line.count + 1 + word.count > width { lines.append(line); line = "" }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }

    /// `args` (without the program name) with every run-config flag after a command in
    /// `commands` written as `--set KEY=VALUE`.
    static func rewrite(_ args: [String]) -> [String] {
        guard let command = args.first, commands.contains(command) else { return args }
        var out = [command], i = 1
        while i < args.count {
            let a = args[i]
            if a == "--" { out += args[i...]; break }
            let body = a.hasPrefix("--") ? a.dropFirst(2) : ""
            let parts = body.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first.map(String.init), let key = RunConfig.key(name) else { out.append(a); i += 1; continue }
            if parts.count == 2 { out += ["--set", "\(name)=\(parts[1])"]; i += 1 }
            else if key.isFlag {
                let explicit = i + 1 < args.count && (args[i + 1] == "true" || args[i + 1] == "false")
                out += ["--set", "\(name)=\(explicit ? args[i + 1] : "true")"]; i += explicit ? 2 : 1
            }
            else if i + 1 < args.count { out += ["--set", "\(name)=\(args[i + 1])"]; i += 2 }
            else { throwMissing(name) }
        }
        return out
    }

    static func throwMissing(_ name: String) -> Never {
        GradLabCLI.fail("--\(name) needs a value (\(RunConfig.key(name)!.expected))", code: 2)
    }

    /// True if the key was given as a flag.
    func isSet(_ key: String) -> Bool { settings.contains { $0.hasPrefix(key + "=") } }

    /// The config from these flags, reading `file` when no --config was given.
    func resolve(orFile file: String?) throws -> RunConfig {
        var opts = self
        if opts.config == nil { opts.config = file }
        return try opts.resolve()
    }

    /// The config file, then each flag in order, resolved (edge-of-chaos σ_w², …) and validated.
    func resolve() throws -> RunConfig {
        var c = try config.map(RunConfig.load) ?? RunConfig()
        for s in settings {
            let parts = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2, let key = RunConfig.key(parts[0]) else { throw GradLabError.invalid("--set takes KEY=VALUE with a run-config key, got '\(s)'") }
            try key.set(JSONValue(text: parts[1]), in: &c)
        }
        return try c.resolved()
    }
}
