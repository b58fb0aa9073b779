import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keys and lines from the learner. On a terminal, single keys without echo, drawn in place on the
/// alternate screen; without one (a pipe, a script, a test), one line of stdin per command.
final class Keyboard {
    let interactive: Bool
    private var saved = termios()
    private var raw = false
    private var signalSources: [DispatchSourceSignal] = []

    init() { interactive = isatty(0) != 0 && isatty(1) != 0 }

    /// Raw mode and the alternate screen; the terminal is restored by `restore()`, at exit, and on
    /// SIGINT/SIGTERM (which then exit: every rating is already committed).
    func start() {
        guard interactive, tcgetattr(0, &saved) == 0 else { return }
        var t = saved
        t.c_lflag &= ~tcflag_t(ICANON | ECHO)
        withUnsafeMutableBytes(of: &t.c_cc) { cc in cc[Int(VMIN)] = 1; cc[Int(VTIME)] = 0 }
        tcsetattr(0, TCSAFLUSH, &t)
        raw = true
        write("\u{1B}[?1049h\u{1B}[?25l")
        for sig in [SIGINT, SIGTERM, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                self?.restore()
                FileHandle.standardError.write("stopped: every rating so far is saved\n".data(using: .utf8)!)
                exit(128 + sig)
            }
            source.resume()
            signalSources.append(source)
        }
    }

    func restore() {
        guard raw else { return }
        raw = false
        write("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(0, TCSAFLUSH, &saved)
    }

    deinit { restore() }

    /// The next key on a terminal; elsewhere the first character of the next line (" " for an empty
    /// line, which flips like enter). Nil at end of input.
    func next() -> Character? {
        if interactive {
            var byte: UInt8 = 0
            while true {
                let n = read(0, &byte, 1)
                if n == 1 { break }
                if n < 0 && errno == EINTR { continue }
                return nil
            }
            switch byte {
            case 10, 13, 32: return " "
            case 3, 4: return "q"
            default: return Character(UnicodeScalar(byte))
            }
        }
        guard let line = readLine() else { return nil }
        return line.trimmingCharacters(in: .whitespaces).lowercased().first ?? " "
    }

    /// A whole line (typed answers); on a terminal, echoed while typed.
    func line(prompt: String) -> String? {
        write(prompt)
        if interactive {
            var t = termios()
            tcgetattr(0, &t)
            var echo = t
            echo.c_lflag |= tcflag_t(ICANON | ECHO)
            tcsetattr(0, TCSANOW, &echo)
            write("\u{1B}[?25h")
            defer { tcsetattr(0, TCSANOW, &t); write("\u{1B}[?25l") }
            return readLine()
        }
        return readLine()
    }

    /// Shows a screen: on a terminal it replaces the previous one, its lines wrapped at spaces to the
    /// window's width; elsewhere it is printed after it.
    func show(_ text: String) {
        guard interactive else { return write(text + "\n") }
        var size = winsize()
        let columns = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) - 1 : 79
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { Self.wrap(String($0), width: columns) }
        write("\u{1B}[H\u{1B}[2J" + lines.joined(separator: "\r\n") + "\r\n")
    }

    /// One line as lines of at most `width` characters, broken at spaces where there are any.
    static func wrap(_ line: String, width: Int) -> [String] {
        guard line.count > width else { return [line] }   // keeps charts' column alignment
        var out: [String] = [], current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current.count + 1 + word.count > width {
                out.append(current); current = ""
            }
            current += (current.isEmpty ? "" : " ") + word
            while current.count > width { out.append(String(current.prefix(width))); current = String(current.dropFirst(width)) }
        }
        return out + [current]
    }

    func write(_ text: String) {
        FileHandle.standardOutput.write(text.data(using: .utf8)!)
    }
}
