import ArgumentParser
import Foundation
import GradLab
import GradLabStudy

@main
struct GradLabCLI: ParsableCommand {
    static let version = GradLabVersion.string
    static let configuration = CommandConfiguration(
        commandName: "gradlab",
        abstract: "Train deep networks and watch their gradients vanish or explode.",
        discussion: """
        Examples:
          gradlab demo                               # a deep net trained badly and well, side by side
          gradlab train --data spirals --depth 4 --width 64 --activation tanh --steps 2000
          gradlab train --config run.json --checkpoint run.safetensors
          gradlab bench --workload W1 --threads 1 --json
        """,
        version: "gradlab \(version) — backend \(Backend.current), \(ProcessInfo.processInfo.activeProcessorCount) cores",
        subcommands: [Train.self, RunCommand.self, ReportCommand.self, Runs.self, Worker.self, Sweep.self, Diagnose.self, RepairCommand.self, Theory.self, Phase.self, Demo.self, Bench.self, Study.self, Quiz.self, DeckCommand.self, Serve.self])

    /// Parses and runs; any bad input becomes one line on stderr and exit code 2.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)   // keep stdout lines in order with stderr progress
        do {
            var command = try parseAsRoot(RunOptions.rewrite(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch let error as GradLabError {
            fail(error.description, code: 2)
        } catch let error as DeckError {
            fail(error.description, code: 2)
        } catch {
            let code = exitCode(for: error)
            if code == .success || error is CleanExit { exit(withError: error) }
            if let e = error as? ExitCode { Foundation.exit(e.rawValue) }
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail("\(first) (see 'gradlab help')", code: 2)
        }
    }

    static func fail(_ message: String, code: Int32) -> Never {
        FileHandle.standardError.write("error: \(message)\n".data(using: .utf8)!)
        Foundation.exit(code)
    }
}
