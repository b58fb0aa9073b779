import Foundation

/// The one JSON spelling of GradLab's records (metrics, probe streams, results, reports):
/// sorted keys, ISO-8601 dates, and non-finite numbers as the strings "NaN", "Infinity" and
/// "-Infinity" — never dropped, and read back by `JSONDecoder.records`.
extension JSONEncoder {
    public static var records: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        e.dateEncodingStrategy = .iso8601
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return e
    }
}

extension JSONDecoder {
    public static var records: JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return d
    }
}
