import Foundation
import GradLab

/// Measured experiments on disk, one JSON file per (engine version, experiment text), so a card's
/// experiment runs once per GradLab version. The claim is not part of the key: a reworded claim
/// is checked against the same measurement. Files are written atomically; an entry whose stored
/// version or text differs (a hash collision, a file from another version) is a miss.
package struct ExperimentCache {
    let directory: String
    let version: String

    package init(directory: String, version: String) { self.directory = directory; self.version = version }

    struct Entry: Codable {
        var version: String
        var experiment: String
        var runs: [RunMeasurement]
    }

    /// `<directory>/<16 hex digits of FNV-1a over version and text>.json`.
    package func path(experiment: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in (version + "\n" + experiment).utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return (directory as NSString).appendingPathComponent(String(format: "%016llx.json", hash))
    }

    package func read(experiment: String) -> [RunMeasurement]? {
        guard let data = FileManager.default.contents(atPath: path(experiment: experiment)),
              let entry = try? JSONDecoder.records.decode(Entry.self, from: data),
              entry.version == version, entry.experiment == experiment else { return nil }
        return entry.runs
    }

    package func write(_ runs: [RunMeasurement], experiment: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw GradLabError.io("cannot create the experiment cache directory \(directory): \(error.localizedDescription); choose a writable directory")
        }
        try atomicWrite(try JSONEncoder.records.encode(Entry(version: version, experiment: experiment, runs: runs)), to: path(experiment: experiment))
    }
}
