import Foundation
import GradLab
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The values of one TensorBoard event: a `Summary` (tensorboard/compat/proto/summary.proto,
/// `Summary { repeated Value value = 1 }`, `Value { tag = 1; simple_value = 2; histo = 5 }`).
/// Everything added here is written at one step in one record.
package struct TensorBoardSummary: Sendable {
    package enum Value: Equatable, Sendable {
        /// TensorBoard keeps scalars as 32-bit floats: beyond ±3.4e38 a value reads back as ±Inf.
        case scalar(Float)
        case histogram(TensorBoardHistogram)
        /// A plugin's own record (e.g. the HParams plugin's), as `SummaryMetadata.plugin_data`
        /// with a null tensor (field `metadata = 9`, `tensor = 8`).
        case plugin(name: String, content: [UInt8])
    }

    package private(set) var values: [(tag: String, value: Value)] = []

    package init() {}

    package var isEmpty: Bool { values.isEmpty }

    package mutating func scalar(_ tag: String, _ value: Double) { values.append((tag, .scalar(Float(value)))) }

    /// Adds the histogram of `values`' finite entries and, when some are NaN or ±Inf, their count
    /// as the scalar `<tag>/nonfinite` (see `TensorBoardHistogram`).
    package mutating func histogram<C: Collection>(_ tag: String, values: C) where C.Element == Float {
        let h = TensorBoardHistogram(values)
        self.values.append((tag, .histogram(h)))
        if h.nonFinite > 0 { scalar(tag + "/nonfinite", Double(h.nonFinite)) }
    }

    package mutating func histogram(_ tag: String, values: Tensor<Float>) { histogram(tag, values: values.scalars) }

    package mutating func plugin(_ tag: String, name: String, content: [UInt8]) { values.append((tag, .plugin(name: name, content: content))) }

    func encode(into e: inout ProtoEncoder) {
        for (tag, value) in values {
            e.message(1) { v in
                v.string(1, tag)
                switch value {
                case .scalar(let x): v.float(2, x)
                case .histogram(let h): v.message(5) { h.encode(into: &$0) }
                case let .plugin(name, content):
                    v.message(9) { m in m.message(1) { d in d.string(1, name); d.bytes(2, content) } }
                    // TensorProto { dtype = DT_FLOAT (1); tensor_shape = {} (a scalar); float_val = [0] }
                    v.message(8) { t in t.varint(1 << 3); t.varint(1); t.message(2) { _ in }; t.float(5, 0) }
                }
            }
        }
    }
}

/// TensorBoard's on-disk format: TFRecords of `Event` protos (tensorboard/compat/proto/event.proto,
/// `Event { double wall_time = 1; int64 step = 2; oneof what { string file_version = 3;
/// Summary summary = 5; ... } }`).
package enum TensorBoardEvent {
    /// The first record of every event file; version 2 tells readers not to purge steps that arrive
    /// out of order (they would otherwise take them for a restarted run).
    package static let fileVersion = "brain.Event:2"

    /// One serialized `Event`.
    package static func encode(wallTime: Double, step: Int, fileVersion: String? = nil, summary: TensorBoardSummary? = nil) -> [UInt8] {
        var e = ProtoEncoder()
        e.double(1, wallTime)
        e.int64(2, Int64(step))
        if let fileVersion { e.string(3, fileVersion) }
        if let summary { e.message(5) { summary.encode(into: &$0) } }
        return e.bytes
    }

    /// TFRecord framing (tensorflow/core/lib/io/record_writer.cc): uint64 length (little endian),
    /// masked CRC32C of those 8 bytes, the data, masked CRC32C of the data.
    package static func record(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 16)
        withUnsafeBytes(of: UInt64(data.count).littleEndian) { out.append(contentsOf: $0) }
        withUnsafeBytes(of: CRC32C.maskedChecksum(out).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: data)
        withUnsafeBytes(of: CRC32C.maskedChecksum(data).littleEndian) { out.append(contentsOf: $0) }
        return out
    }
}

/// Writes a TensorBoard event file, `events.out.tfevents.<unix seconds>.<hostname>` in
/// `directory` (created if missing; a `.1`, `.2`… suffix if that name is taken). Point
/// `tensorboard --logdir` at the directory.
///
/// Durability: each event (a scalar, a histogram, or a `TensorBoardSummary` of many) is one
/// `pwrite` of whole records, with no buffering in the process: once a call returns, a crash of
/// the process loses nothing, and a crash during a call can at worst leave a torn last record,
/// which readers take for a truncated file — every earlier record stays readable. A failed write
/// is cut off again so later records stay aligned. The file is fsynced (safe from power loss) on
/// `flush()`, `close()`, and when an event is written `syncInterval` seconds after the last fsync.
///
/// Not thread-safe: write from one thread (the trainer's callbacks run on its own thread).
package final class TensorBoardWriter {
    package let directory: String
    /// The event file.
    package let path: String
    /// Seconds between fsyncs as events are written; 0: fsync after every event.
    package var syncInterval: Double = 5
    private var fd: Int32
    private var size: off_t = 0
    private var lastSync: Double
    private let clock: () -> Double

    /// - Parameter clock: seconds since 1970 for `wall_time` (and the file name); tests pin it.
    package init(directory: String, clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) throws {
        self.directory = directory; self.clock = clock
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GradLabError.io("cannot create TensorBoard log directory \(directory): \(error.localizedDescription); choose a writable directory")
        }
        let now = clock()
        let base = URL(fileURLWithPath: directory).appendingPathComponent("events.out.tfevents.\(Int(now)).\(Self.hostname())").path
        var candidate = base, attempt = 0, opened: Int32 = -1
        while true {
            opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if opened >= 0 || errno != EEXIST || attempt >= 1000 { break }
            attempt += 1; candidate = base + ".\(attempt)"
        }
        guard opened >= 0 else {
            throw GradLabError.io("cannot create TensorBoard event file \(candidate): \(String(cString: strerror(errno))); choose a writable log directory")
        }
        fd = opened; path = candidate; lastSync = now
        try append(TensorBoardEvent.encode(wallTime: now, step: 0, fileVersion: TensorBoardEvent.fileVersion))
    }

    deinit { if fd >= 0 { _ = fsync(fd); _ = closeDescriptor(fd) } }

    /// Writes `summary` as one event at `step` (nothing when it is empty).
    package func write(_ summary: TensorBoardSummary, step: Int) throws {
        guard !summary.isEmpty else { return }
        if summary.values.contains(where: { $0.tag.isEmpty }) {
            throw GradLabError.invalid("a TensorBoard value has an empty tag; give every scalar and histogram a name")
        }
        let now = clock()
        try append(TensorBoardEvent.encode(wallTime: now, step: step, summary: summary))
        if now - lastSync >= syncInterval { try flush() }
    }

    package func scalar(_ tag: String, _ value: Double, step: Int) throws {
        var s = TensorBoardSummary(); s.scalar(tag, value)
        try write(s, step: step)
    }

    /// Several scalars at one step, in one event.
    package func scalars(_ values: KeyValuePairs<String, Double>, step: Int) throws {
        var s = TensorBoardSummary()
        for (tag, v) in values { s.scalar(tag, v) }
        try write(s, step: step)
    }

    /// See `TensorBoardHistogram` for the buckets and how NaN/Inf are counted.
    package func histogram<C: Collection>(_ tag: String, values: C, step: Int) throws where C.Element == Float {
        var s = TensorBoardSummary(); s.histogram(tag, values: values)
        try write(s, step: step)
    }

    package func histogram(_ tag: String, values: Tensor<Float>, step: Int) throws {
        try histogram(tag, values: values.scalars, step: step)
    }

    /// Forces everything written so far to disk (fsync).
    package func flush() throws {
        guard fd >= 0 else { throw closedError }
        guard fsync(fd) == 0 else { throw GradLabError.io("cannot sync \(path): \(String(cString: strerror(errno)))") }
        lastSync = clock()
    }

    /// Flushes and closes the file; later writes throw. Closing twice is harmless.
    package func close() throws {
        guard fd >= 0 else { return }
        defer { _ = closeDescriptor(fd); fd = -1 }
        try flush()
    }

    private var closedError: GradLabError {
        .invalid("the TensorBoard writer for \(path) is closed; create a new TensorBoardWriter to log more")
    }

    /// Whole records at the known end of the file; on failure the partial bytes are cut off again.
    private func append(_ bytes: [UInt8]) throws {
        guard fd >= 0 else { throw closedError }
        let record = TensorBoardEvent.record(bytes)
        var done = 0
        while done < record.count {
            let n = record.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, record.count - done, size + off_t(done)) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                _ = ftruncate(fd, size)
                throw GradLabError.io("cannot write to \(path): \(reason); free disk space or choose another log directory")
            }
            done += n
        }
        size += off_t(record.count)
    }

    private static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(cString: buffer).replacingOccurrences(of: "/", with: "_")
        return name.isEmpty ? "localhost" : name
    }
}

// `close` inside the class means the method; this names the C function.
private func closeDescriptor(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.close(fd)
    #else
    return Darwin.close(fd)
    #endif
}
