import Foundation
import GradLab
import Hummingbird

/// Every refused request: a status and `{"error": "…", "key": "…"}`, the message one line that
/// names the problem and the fix, `key` the config key or field to blame (the page shows the
/// message beside that control).
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String
    let key: String?

    init(_ status: HTTPResponse.Status, _ message: String, key: String? = nil) {
        self.status = status; self.message = message; self.key = key
    }

    /// A GradLab error from checking input: 400, with the key it names.
    init(badInput error: Error) {
        if case let GradLabError.badValue(key, _, message) = error { self.init(.badRequest, message, key: key) }
        else { self.init(.badRequest, "\(error)") }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        // A person who opened a page gets the sentence as a page, not as JSON.
        if request.method == .get, !request.uri.path.hasPrefix("/api/"), !request.uri.path.hasPrefix("/static/") {
            let text = message.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            let html = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>GradLab web lab</title>"
                + "<body style=\"font:16px system-ui;margin:3em\"><h1>GradLab web lab</h1><p>\(text)</p></body></html>"
            return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
        }
        var body: [String: String] = ["error": message]
        if let key { body["key"] = key }
        return JSONBody.response(body, status: status)
    }
}

/// JSON in and out, with GradLab's record conventions (non-finite numbers as "NaN"/"Infinity").
enum JSONBody {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? JSONEncoder.records.encode(value)) ?? Data(#"{"error":"the response could not be encoded"}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// The request's body decoded as `T`, at most `limit` bytes: 413 beyond, 400 with the
    /// decoder's reason if it is not the JSON `T` wants.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, limit: Int, shape: String) async throws -> T {
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "the request body is over \(limit) bytes, the most this server reads; send less")
        }
        let data = Data(buffer.readableBytesView)
        guard !data.isEmpty else { throw APIError(.badRequest, "the request has no body; send \(shape)") }
        do { return try JSONDecoder.records.decode(T.self, from: data) } catch {
            throw APIError(.badRequest, "the body is not \(shape) (\(Self.problem(error)))")
        }
    }

    /// Runs blocking work (a theory plane, an experiment) on a global queue, so the server's own
    /// threads keep serving requests meanwhile.
    static func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    static func problem(_ error: Error) -> String {
        if case let DecodingError.dataCorrupted(ctx) = error {
            return (ctx.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String ?? ctx.debugDescription
        }
        if case let DecodingError.typeMismatch(_, ctx) = error { return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")): wrong type" }
        if case let DecodingError.keyNotFound(key, _) = error { return "\"\(key.stringValue)\" is missing" }
        if case let DecodingError.valueNotFound(_, ctx) = error { return "\(ctx.codingPath.map(\.stringValue).joined(separator: ".")) is null" }
        return "\(error)"
    }
}
