import Foundation
import Hummingbird

/// Who may talk to the server, as Jupyter decides it: the random token printed with the URL
/// (or the cookie set from it on the first visit), a Host header naming this server (a page on
/// another name that resolves here — DNS rebinding — is refused), and, when the browser sends
/// one, an Origin that is this server (a page on another site or port is refused). Every request
/// and every WebSocket upgrade passes through it.
final class AccessPolicy: @unchecked Sendable {
    let token: String
    /// Host names this server answers to: the loopback names, or the one asked for with --host.
    let hostnames: Set<String>
    private let lock = NSLock()
    private var boundPort: Int?

    init(token: String, hostnames: Set<String>) {
        self.token = token; self.hostnames = Set(hostnames.map { $0.lowercased() })
    }

    static func randomToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<24).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    /// The port the server bound (known once it runs; `--port 0` picks a free one).
    var port: Int? {
        get { lock.lock(); defer { lock.unlock() }; return boundPort }
        set { lock.lock(); boundPort = newValue; lock.unlock() }
    }

    var cookieName: String { "gradlab_token_\(port ?? 0)" }

    /// The Host header's name and port, if it is one of ours ("127.0.0.1:8600", "[::1]:8600").
    func allows(host: String?) -> Bool {
        guard let host = host?.lowercased(), !host.isEmpty else { return false }
        let (name, port) = Self.split(host)
        guard hostnames.contains(name) else { return false }
        return port == nil || self.port == nil || port == self.port
    }

    /// A browser's Origin is `http://name:port` of the page; it must be this server's. Non-browser
    /// WebSocket clients send `ws://name` (no browser page has a ws: origin), which is accepted for
    /// our names: such clients need the token all the same.
    func allows(origin: String) -> Bool {
        guard let url = URL(string: origin.lowercased()), let name = url.host else { return false }
        let bare = name.hasPrefix("[") ? String(name.dropFirst().dropLast()) : name
        guard hostnames.contains(bare) || hostnames.contains(name) else { return false }
        switch url.scheme {
        case "http": return port == nil || (url.port ?? 80) == port
        case "ws": return url.port == nil || url.port == port
        default: return false
        }
    }

    static func split(_ host: String) -> (name: String, port: Int?) {
        if host.hasPrefix("["), let close = host.firstIndex(of: "]") {
            let name = String(host[host.index(after: host.startIndex)..<close])
            let rest = host[host.index(after: close)...]
            return (name, rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil)
        }
        if let colon = host.lastIndex(of: ":"), host.filter({ $0 == ":" }).count == 1 {
            return (String(host[..<colon]), Int(host[host.index(after: colon)...]))
        }
        return (host, nil)
    }

    /// Compares without stopping at the first difference, so timing tells nothing of the token.
    func matches(_ candidate: Substring) -> Bool {
        let a = Array(candidate.utf8), b = Array(token.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

struct AccessGuard<Context: RequestContext>: RouterMiddleware {
    let policy: AccessPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard policy.allows(host: request.head.authority) else {
            throw APIError(.forbidden, "the Host '\(request.head.authority ?? "")' is not this server; open the URL that gradlab serve printed")
        }
        if let origin = request.headers[.origin], !policy.allows(origin: origin) {
            throw APIError(.forbidden, "requests from \(origin) are refused; use the page this server serves")
        }
        if let given = request.uri.queryParameters["token"] {
            guard policy.matches(given) else { throw APIError(.forbidden, "the token is wrong; open the URL that gradlab serve printed") }
            var response: Response
            if request.method == .get, !request.uri.path.hasPrefix("/api/") {
                // Drop the token from the address bar (and from links copied from it).
                let rest = (request.uri.query ?? "").split(separator: "&").filter { !$0.hasPrefix("token=") }.joined(separator: "&")
                response = Response(status: .seeOther, headers: [.location: request.uri.path + (rest.isEmpty ? "" : "?" + rest)])
            } else {
                response = try await next(request, context)
            }
            response.setCookie(Cookie(name: policy.cookieName, value: policy.token, path: "/", httpOnly: true, sameSite: .strict))
            return response
        }
        guard let cookie = request.cookies[policy.cookieName], policy.matches(Substring(cookie.value)) else {
            throw APIError(.forbidden, "no token: open the URL that gradlab serve printed (it carries the token)")
        }
        return try await next(request, context)
    }
}
