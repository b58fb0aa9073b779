import Foundation

/// Writes `data` to `path` atomically: into a temporary file in the same directory, flushed to
/// disk, then renamed over the target. A crash leaves either the old file or the new one whole;
/// a failure removes the temporary file and throws one line (see `OutputPath`).
package func atomicWrite(_ data: Data, to path: String) throws {
    try OutputPath.file(path).check()
    let url = URL(fileURLWithPath: path)
    let dir = url.deletingLastPathComponent()
    let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
    var created = false
    defer { if created { unlink(tmp.path) } }   // any failure: no temporary file stays behind
    do {
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        created = FileManager.default.createFile(atPath: tmp.path, contents: nil)   // FileHandle below reports failure
        let handle = try FileHandle(forWritingTo: tmp)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(tmp.path, url.path) != 0 {
            throw GradLabError.io("cannot write \(path): \(String(cString: strerror(errno))); choose another path")
        }
        created = false
    } catch let e as GradLabError {
        throw e
    } catch {
        throw GradLabError.io("cannot write \(path): \(error.localizedDescription); choose another path")
    }
}
