import XCTest
import Foundation
import GradLab
import GradLabDiagnostics
import GradLabReports

/// Decodes what `TensorBoardWriter` wrote, independently of its encoder: TFRecord framing with
/// both CRCs checked, and the few protobuf fields of Event / Summary / HistogramProto.
struct EventFileReader {
    struct Value { var tag = ""; var scalar: Float?; var histogram: [Int: [Double]]? }
    struct Event { var wallTime = 0.0; var step: Int64 = 0; var fileVersion: String?; var values: [Value] = [] }

    struct Proto {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: ArraySlice<UInt8>) { self.bytes = Array(bytes) }
        var atEnd: Bool { i >= bytes.count }
        mutating func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard i < bytes.count, shift < 64 else { throw GradLabError.data("bad varint") }
                let b = bytes[i]; i += 1
                v |= UInt64(b & 0x7F) << shift; shift += 7
                if b < 0x80 { return v }
            }
        }
        mutating func fixed(_ n: Int) throws -> UInt64 {
            guard i + n <= bytes.count else { throw GradLabError.data("truncated fixed field") }
            defer { i += n }
            return bytes[i..<(i + n)].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        /// (field, wire type, payload for length-delimited, raw value otherwise)
        mutating func next() throws -> (field: Int, wire: Int, raw: UInt64, payload: ArraySlice<UInt8>) {
            let key = try varint()
            let field = Int(key >> 3), wire = Int(key & 7)
            switch wire {
            case 0: return (field, wire, try varint(), [])
            case 1: return (field, wire, try fixed(8), [])
            case 5: return (field, wire, try fixed(4), [])
            case 2:
                let n = Int(try varint())
                guard i + n <= bytes.count else { throw GradLabError.data("truncated field \(field)") }
                defer { i += n }
                return (field, wire, 0, bytes[i..<(i + n)])
            default: throw GradLabError.data("wire type \(wire)")
            }
        }
    }

    static func records(_ data: [UInt8]) throws -> [ArraySlice<UInt8>] {
        var out: [ArraySlice<UInt8>] = [], i = 0
        func u32(_ at: Int) -> UInt32 { data[at..<(at + 4)].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        while i < data.count {
            guard i + 12 <= data.count else { throw GradLabError.data("truncated header at \(i)") }
            let length = Int(data[i..<(i + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            guard u32(i + 8) == CRC32C.maskedChecksum(data[i..<(i + 8)]) else { throw GradLabError.data("length CRC at \(i)") }
            let start = i + 12, end = start + length
            guard end + 4 <= data.count else { throw GradLabError.data("truncated record at \(i)") }
            guard u32(end) == CRC32C.maskedChecksum(data[start..<end]) else { throw GradLabError.data("data CRC at \(i)") }
            out.append(data[start..<end]); i = end + 4
        }
        return out
    }

    static func event(_ bytes: ArraySlice<UInt8>) throws -> Event {
        var e = Event(), p = Proto(bytes)
        while !p.atEnd {
            let f = try p.next()
            switch f.field {
            case 1: e.wallTime = Double(bitPattern: f.raw)
            case 2: e.step = Int64(bitPattern: f.raw)
            case 3: e.fileVersion = String(decoding: f.payload, as: UTF8.self)
            case 5:
                var s = Proto(f.payload)
                while !s.atEnd {
                    let v = try s.next()
                    XCTAssertEqual(v.field, 1)
                    e.values.append(try value(v.payload))
                }
            default: XCTFail("unexpected Event field \(f.field)")
            }
        }
        return e
    }

    static func value(_ bytes: ArraySlice<UInt8>) throws -> Value {
        var v = Value(), p = Proto(bytes)
        while !p.atEnd {
            let f = try p.next()
            switch f.field {
            case 1: v.tag = String(decoding: f.payload, as: UTF8.self)
            case 2: XCTAssertEqual(f.wire, 5); v.scalar = Float(bitPattern: UInt32(f.raw))
            case 5:
                var h: [Int: [Double]] = [:], q = Proto(f.payload)
                while !q.atEnd {
                    let g = try q.next()
                    if g.wire == 1 { h[g.field] = [Double(bitPattern: g.raw)]; continue }
                    XCTAssertEqual(g.wire, 2, "repeated doubles are packed")
                    var r = Proto(g.payload), list: [Double] = []
                    while !r.atEnd { list.append(Double(bitPattern: try r.fixed(8))) }
                    h[g.field] = list
                }
                v.histogram = h
            default: XCTFail("unexpected Value field \(f.field)")
            }
        }
        return v
    }

    static func read(_ path: String) throws -> [Event] {
        try records(Array(try Data(contentsOf: URL(fileURLWithPath: path)))).map(event)
    }
}

final class TensorBoardTests: XCTestCase {
    func logDir(_ name: String) -> String {
        let dir = tempPath("tb-\(name)")
        try? FileManager.default.removeItem(atPath: dir)
        return dir
    }

    func testCRC32CKnownVectors() {
        XCTAssertEqual(CRC32C.checksum(Array("123456789".utf8)), 0xE306_9283)
        XCTAssertEqual(CRC32C.checksum([UInt8]()), 0)
        // RFC 3720 §B.4.
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0, count: 32)), 0x8A91_36AA)
        XCTAssertEqual(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)), 0x62A8_AB43)
        XCTAssertEqual(CRC32C.checksum((0..<32).map { UInt8($0) }), 0x46DD_794E)
    }

    func testMaskedCRC() {
        // Values from TensorBoard's own masked_crc32c.
        XCTAssertEqual(CRC32C.maskedChecksum(Array("123456789".utf8)), 0xC78A_B0E5)
        XCTAssertEqual(CRC32C.masked(0), 0xA282_EAD8)
        withUnsafeBytes(of: UInt64(24).littleEndian) { XCTAssertEqual(CRC32C.maskedChecksum($0), 0x224B_7FA3) }
        let c: UInt32 = 0xE306_9283
        XCTAssertEqual(CRC32C.masked(c), ((c >> 15) | (c << 17)) &+ 0xA282_EAD8)
    }

    func testDefaultBucketsMatchTensorFlow() {
        let limits = TensorBoardHistogram.defaultBucketLimits
        XCTAssertEqual(limits.count, 1551)
        XCTAssertEqual(limits.first, -.greatestFiniteMagnitude)
        XCTAssertEqual(limits.last, .greatestFiniteMagnitude)
        XCTAssertEqual(limits[775], 0)
        XCTAssertEqual(limits[776], 1e-12)
        XCTAssertTrue(zip(limits, limits.dropFirst()).allSatisfy { $0 < $1 })
    }

    func testHistogramCountsFiniteValuesAndNonFiniteSeparately() {
        let values: [Float] = [0, 1, 1, -2.5, 3e30, .nan, .infinity, -.infinity, 1e-20]
        let h = TensorBoardHistogram(values)
        XCTAssertEqual(h.num, 6); XCTAssertEqual(h.nonFinite, 3)
        XCTAssertEqual(h.min, -2.5); XCTAssertEqual(h.max, Double(Float(3e30)))
        XCTAssertEqual(h.sum, 0 + 1 + 1 - 2.5 + Double(Float(3e30)) + Double(Float(1e-20)), accuracy: 1e17)
        XCTAssertEqual(h.bucketCounts.reduce(0, +), 6)
        XCTAssertEqual(h.bucketLimits.count, h.bucketCounts.count)
        XCTAssertTrue(zip(h.bucketLimits, h.bucketLimits.dropFirst()).allSatisfy { $0 < $1 })
        // Each value lies in its bucket [previous limit, limit).
        for v in values where v.isFinite {
            let x = Double(v)
            let b = h.bucketLimits.firstIndex { $0 > x }!
            XCTAssertGreaterThan(h.bucketCounts[b], 0, "value \(x)")
            if b > 0 { XCTAssertLessThanOrEqual(h.bucketLimits[b - 1], x) }
        }
        // 0 and 1e-20 share the bucket [0, 1e-12); the two 1s share one.
        XCTAssertEqual(h.bucketCounts[h.bucketLimits.firstIndex { $0 > 0 }!], 2)
        XCTAssertEqual(h.bucketCounts[h.bucketLimits.firstIndex { $0 > 1 }!], 2)
        XCTAssertGreaterThan(h.bucketCounts.first!, 0, "no empty bucket below the smallest value")
        XCTAssertGreaterThan(h.bucketCounts.last!, 0, "no empty bucket above the largest value")
        // Empty runs are merged: far fewer buckets than the 1,551 defaults.
        XCTAssertLessThan(h.bucketLimits.count, 20)

        let empty = TensorBoardHistogram([Float.nan])
        XCTAssertEqual(empty.num, 0); XCTAssertEqual(empty.nonFinite, 1); XCTAssertTrue(empty.bucketLimits.isEmpty)
    }

    func testRoundTripScalarsAndHistogram() throws {
        let dir = logDir("roundtrip")
        var clock = 1_700_000_000.25
        let w = try TensorBoardWriter(directory: dir, clock: { clock += 1; return clock })
        XCTAssertTrue(URL(fileURLWithPath: w.path).lastPathComponent.hasPrefix("events.out.tfevents.1700000001."))
        try w.scalar("train/loss", 2.5, step: 0)
        try w.scalars(["train/loss": 1.25, "train/lr": 0.1], step: 1)
        try w.scalar("big/step", -.infinity, step: 1 << 40)
        let values = (0..<100).map { Float($0) / 10 - 5 } + [.nan]
        try w.histogram("weights/w", values: Tensor(values), step: 7)
        try w.close()
        XCTAssertThrowsError(try w.scalar("late", 1, step: 9))

        let events = try EventFileReader.read(w.path)
        XCTAssertEqual(events.count, 5)
        XCTAssertEqual(events[0].fileVersion, "brain.Event:2")
        XCTAssertEqual(events[0].wallTime, 1_700_000_001.25)
        XCTAssertEqual(events[1].wallTime, 1_700_000_002.25)
        XCTAssertEqual(events.map(\.step), [0, 0, 1, 1 << 40, 7])
        XCTAssertEqual(events[1].values.map(\.tag), ["train/loss"])
        XCTAssertEqual(events[1].values[0].scalar, 2.5)
        XCTAssertEqual(events[2].values.map(\.tag), ["train/loss", "train/lr"])
        XCTAssertEqual(events[2].values.map(\.scalar), [1.25, Float(0.1)])
        XCTAssertEqual(events[3].values[0].scalar, -.infinity)

        let hv = events[4].values
        XCTAssertEqual(hv.map(\.tag), ["weights/w", "weights/w/nonfinite"])
        XCTAssertEqual(hv[1].scalar, 1)
        let h = try XCTUnwrap(hv[0].histogram)
        let expected = TensorBoardHistogram(values)
        XCTAssertEqual(h[1], [-5]); XCTAssertEqual(h[2], [expected.max]); XCTAssertEqual(h[3], [100])
        XCTAssertEqual(h[4]![0], expected.sum); XCTAssertEqual(h[5]![0], expected.sumSquares)
        XCTAssertEqual(h[6], expected.bucketLimits); XCTAssertEqual(h[7], expected.bucketCounts)
        XCTAssertEqual(h[7]!.reduce(0, +), 100)
    }

    /// Every event is on disk when its call returns, whole; a torn tail does not harm the rest.
    func testRecordsAreWrittenThroughAndTornTailKeepsEarlierOnes() throws {
        let dir = logDir("durable")
        let w = try TensorBoardWriter(directory: dir)
        for s in 0..<3 { try w.scalar("x", Double(s), step: s) }
        XCTAssertEqual(try EventFileReader.read(w.path).count, 4, "written before close")
        let second = try TensorBoardWriter(directory: dir)
        XCTAssertNotEqual(second.path, w.path, "a second writer in the same second gets its own file")
        try second.close()
        try w.close()

        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: w.path)))
        let whole = bytes.count
        bytes += TensorBoardEvent.record(TensorBoardEvent.encode(wallTime: 0, step: 3)).prefix(10)
        XCTAssertThrowsError(try EventFileReader.records(bytes))
        XCTAssertEqual(try EventFileReader.records(Array(bytes.prefix(whole))).count, 4)
    }

    func testEmptyTagIsRejected() throws {
        let w = try TensorBoardWriter(directory: logDir("badtag"))
        XCTAssertThrowsError(try w.scalar("", 1, step: 0)) { XCTAssertTrue("\($0)".contains("empty tag")) }
    }

    /// A small classifier with a probe: the tags the logger promises, at the steps it promises.
    func trainLogged(_ dir: String, steps: Int = 6, histogramEvery: Int = 2) throws -> (TensorBoardWriter, [StepRecord], Probe) {
        var rng = SeededRandom(seed: 11)
        let model = Sequential<Float>([Dense<Float>(2, 8, rng: &rng), Activation<Float>(.tanh), Dense<Float>(8, 3, rng: &rng)])
        let data: Dataset<Float> = SyntheticData.blobs(samples: 64, classes: 3, seed: 5)
        let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.1), parameters: model.namedParameters),
                              batchSize: 16, seed: 0)
        let probe = try Probe(model: model, options: .init(every: 3))
        probe.attach(to: trainer)
        let logger = try TrainingLogger(trainer: trainer, probe: probe, directory: dir, histogramEvery: histogramEvery)
        let history = try trainer.fit(data, steps: steps)
        try logger.close()
        return (logger.writer, history.steps, probe)
    }

    func testTrainingLoggerWritesScalarsProbeStatsAndHistograms() throws {
        let (w, history, probe) = try trainLogged(logDir("logger"))
        let events = try EventFileReader.read(w.path)
        var scalars: [String: [Int64: Float]] = [:], histograms: [String: Set<Int64>] = [:]
        for e in events {
            for v in e.values {
                if let s = v.scalar { scalars[v.tag, default: [:]][e.step] = s }
                if let h = v.histogram { histograms[v.tag, default: []].insert(e.step); XCTAssertGreaterThan(h[3]![0], 0) }
            }
        }
        for r in history {
            XCTAssertEqual(scalars["train/loss"]?[Int64(r.step)], Float(r.loss))
            XCTAssertEqual(scalars["train/accuracy"]?[Int64(r.step)], Float(r.accuracy!))
            XCTAssertEqual(scalars["train/grad_norm"]?[Int64(r.step)], Float(r.gradNorm))
            XCTAssertEqual(scalars["train/learning_rate"]?[Int64(r.step)], Float(r.learningRate))
        }
        XCTAssertEqual(probe.steps.map(\.step), [0, 3])
        for name in ["01 · layers.0", "02 · layers.2"] {
            XCTAssertEqual(Set(scalars["grad_norm/\(name)"]!.keys), [0, 3])
            XCTAssertEqual(Set(scalars["update_ratio/\(name)"]!.keys), [0, 3])
        }
        XCTAssertEqual(Set(scalars["gain/01 · layers.0"]!.keys), [0, 3])
        XCTAssertNil(scalars["gain/02 · layers.2"], "the top layer has no gain")
        XCTAssertEqual(scalars["grad_norm/02 · layers.2"]![3], Float(probe.steps[1].layers[1].gradNorm))
        for p in ["01 · layers.0.weight", "02 · layers.2.weight"] {
            XCTAssertEqual(histograms["gradients/\(p)"], [0, 2, 4])
            XCTAssertEqual(histograms["weights/\(p)"], [0, 2, 4])
        }
        XCTAssertNil(histograms["weights/01 · layers.0.bias"], "biases are not histogrammed")
    }

    /// TensorBoard's own reader (Python) must accept the files and read back the same numbers.
    func testRealTensorBoardReaderAcceptsFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/check_tensorboard.py").path
        func python(_ args: [String]) throws -> (status: Int32, output: String) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["python3"] + args
            let out = Pipe()
            p.standardOutput = out; p.standardError = out
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return (p.terminationStatus, String(decoding: data, as: UTF8.self))
        }
        guard let probe = try? python(["-c", "import tensorboard.backend.event_processing.event_file_loader"]), probe.status == 0 else {
            throw XCTSkip("python3 with the tensorboard package is not available (pip install tensorboard)")
        }
        let dir = logDir("python")
        let (_, history, _) = try trainLogged(dir)
        let w = try TensorBoardWriter(directory: dir + "-extra")
        try w.histogram("h", values: [1, 2, 3, .nan, .infinity] as [Float], step: 5)
        try w.scalar("s", .nan, step: 1)
        try w.close()

        var expect: [String: Any] = ["tags": ["train/accuracy", "grad_norm/01 · layers.0", "update_ratio/02 · layers.2", "gain/01 · layers.0"],
                                     "min_events": 1 + 6 + 2]
        var loss: [String: Double] = [:]
        for r in history { loss["\(r.step)"] = Double(Float(r.loss)) }
        expect["scalars"] = ["train/loss": loss, "train/learning_rate": ["5": 0.1]]
        expect["histograms"] = ["weights/01 · layers.0.weight": ["0": 16, "4": 16], "gradients/02 · layers.2.weight": ["2": 24]]
        let file = tempPath("tb-expect.json")
        try JSONSerialization.data(withJSONObject: expect).write(to: URL(fileURLWithPath: file))

        let ok = try python([script, dir, "--expect", file])
        XCTAssertEqual(ok.status, 0, ok.output)
        let extra = try python([script, dir + "-extra", "--histogram", "h=5:3", "--scalar", "h/nonfinite=5:2", "--scalar", "s=1:nan"])
        XCTAssertEqual(extra.status, 0, extra.output)
        let wrong = try python([script, dir, "--scalar", "train/loss=0:123", "--tag", "missing/tag"])
        XCTAssertEqual(wrong.status, 1, wrong.output)
        XCTAssertTrue(wrong.output.contains("expected 123.0"), wrong.output)
        XCTAssertTrue(wrong.output.contains("missing/tag not found"), wrong.output)
    }

    // MARK: CSV / JSON Lines export

    func testMetricsExportCSVAndJSONLines() throws {
        // StepRecord has no public initializer; it decodes.
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let steps = try decoder.decode([StepRecord].self, from: Data("""
            [{"step": 0, "epoch": 0, "loss": 2.5, "accuracy": 0.25, "gradNorm": "inf", "learningRate": 0.1},
             {"step": 1, "epoch": 0, "loss": "nan", "gradNorm": "-inf", "learningRate": 0}]
            """.utf8))
        let csvPath = tempPath("metrics.csv"), jsonlPath = tempPath("metrics.jsonl")
        try RunExport.writeMetrics(steps, to: csvPath)
        try RunExport.writeMetrics(steps, to: jsonlPath)
        let csv = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        XCTAssertEqual(csv, ["step,epoch,loss,accuracy,grad_norm,learning_rate", "0,0,2.5,0.25,Infinity,0.1", "1,0,NaN,,-Infinity,0.0", ""])
        let jsonl = try String(contentsOfFile: jsonlPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(jsonl.count, 2)
        XCTAssertEqual(jsonl[0], #"{"step":0,"epoch":0,"loss":2.5,"accuracy":0.25,"grad_norm":Infinity,"learning_rate":0.1}"#)
        XCTAssertEqual(jsonl[1], #"{"step":1,"epoch":0,"loss":NaN,"accuracy":null,"grad_norm":-Infinity,"learning_rate":0.0}"#)
        XCTAssertThrowsError(try RunExport.writeMetrics(steps, to: tempPath("metrics.txt"))) {
            XCTAssertTrue("\($0)".contains(".csv or .jsonl"))
        }
    }

    func testProbeExportOneRowPerStepAndLayer() throws {
        var rng = SeededRandom(seed: 2)
        let model = Sequential<Float>([Dense<Float>(2, 4, rng: &rng), Activation<Float>(.relu), Dense<Float>(4, 4, rng: &rng),
                                       Activation<Float>(.relu), Dense<Float>(4, 3, rng: &rng)])
        let data: Dataset<Float> = SyntheticData.blobs(samples: 32, classes: 3, seed: 1)
        let trainer = Trainer(model: model, optimizer: Optimizer(SGD(), schedule: .constant(0.1), parameters: model.namedParameters),
                              batchSize: 16, seed: 0)
        let probe = try Probe(model: model)
        probe.attach(to: trainer)
        _ = try trainer.fit(data, steps: 2)
        var steps = probe.steps
        steps[1].layers[0].name = "odd, \"name\""
        steps[1].layers[2].updateRatio = .infinity

        let csvPath = tempPath("probe.csv"), jsonlPath = tempPath("probe.ndjson")
        try RunExport.writeProbe(steps, to: csvPath)
        try RunExport.writeProbe(steps, to: jsonlPath)
        let csv = try String(contentsOfFile: csvPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 1 + 2 * 3)
        let header = csv[0].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(header.prefix(5)), ["step", "layer", "name", "activation", "grad_norm"])
        XCTAssertTrue(header.contains("update_ratio") && header.contains("gain") && header.contains("dead_fraction"))
        XCTAssertTrue(csv[1].hasPrefix("0,1,layers.0,relu,"), String(csv[1]))
        XCTAssertTrue(csv[4].hasPrefix(#"1,1,"odd, ""name""",relu,"#), String(csv[4]))
        let ratio = header.firstIndex(of: "update_ratio")!
        XCTAssertEqual(csv[6].split(separator: ",", omittingEmptySubsequences: false)[ratio], "Infinity")
        XCTAssertEqual(csv[3].split(separator: ",", omittingEmptySubsequences: false)[header.firstIndex(of: "gain")!], "",
                       "the top layer has no gain: empty field")

        let jsonl = try String(contentsOfFile: jsonlPath, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(jsonl.count, 6)
        XCTAssertTrue(jsonl[3].hasPrefix(#"{"step":1,"layer":1,"name":"odd, \"name\"","activation":"relu","#), String(jsonl[3]))
        XCTAssertTrue(jsonl[5].contains(#""update_ratio":Infinity"#))
        XCTAssertTrue(jsonl[2].contains(#""gain":null"#))
        // Finite rows are plain JSON.
        let row = try JSONSerialization.jsonObject(with: Data(jsonl[0].utf8)) as? [String: Any]
        XCTAssertEqual(row?["name"] as? String, "layers.0")
        XCTAssertEqual(row?.count, header.count)
    }
}
