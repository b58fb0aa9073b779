import Foundation
import Hummingbird
import HummingbirdWebSocket

/// The pages and their files: HTML, CSS and ES modules from the package's resources (or a folder
/// given with --web-root, to edit the front end without rebuilding). Nothing is fetched from
/// elsewhere, so the lab works offline.
struct PageRoutes {
    let webRoot: String

    static let pages = ["/": "lab.html", "/phase": "phase.html", "/runs": "runs.html", "/study": "study.html", "/quiz": "quiz.html"]
    static let types = ["html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
                        "svg": "image/svg+xml", "png": "image/png", "json": "application/json", "ico": "image/x-icon"]

    func add(to router: Router<BasicWebSocketRequestContext>) {
        let root = webRoot
        for (path, file) in Self.pages {
            router.get(RouterPath(path)) { _, _ in try Self.file(file, root: root) }
        }
        router.get("/static/**") { request, _ in
            try Self.file(String(request.uri.path.dropFirst("/static/".count)), root: root)
        }
    }

    /// A file under the web root; paths that climb out of it, hidden files and unknown types are 404.
    static func file(_ relative: String, root: String) throws -> Response {
        let parts = relative.split(separator: "/")
        let ext = (relative as NSString).pathExtension.lowercased()
        guard !parts.isEmpty, !parts.contains(where: { $0 == ".." || $0.hasPrefix(".") }), let type = types[ext],
              let data = FileManager.default.contents(atPath: (root as NSString).appendingPathComponent(relative)) else {
            throw APIError(.notFound, "no page or file /\(relative) here")
        }
        return Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The built-in copy of the front end.
    static var builtIn: String? { Bundle.module.resourceURL?.appendingPathComponent("web").path }
}
