import Foundation
import GradLab

/// The HParams plugin's records (tensorboard/plugins/hparams/plugin_data.proto and api.proto), so
/// TensorBoard's HPARAMS tab shows a sweep as a table and parallel-coordinates view: the setting
/// each run had and the metrics it reached.
///
/// - `experiment`: once per log root (`_hparams_/experiment`): every swept setting with its values
///   (`HParamInfo`, a discrete domain) and the metrics to show (`MetricInfo`, scalar tags).
/// - `sessionStart`: in each run's event file (`_hparams_/session_start_info`): its values.
/// - `sessionEnd`: when the run ends (`_hparams_/session_end_info`): success or failure.
///
/// All three are `HParamsPluginData { int32 version = 1; oneof data { Experiment experiment = 2;
/// SessionStartInfo session_start_info = 3; SessionEndInfo session_end_info = 4; } }`, version 0.
package enum TensorBoardHParams {
    static let pluginName = "hparams"
    package static let experimentTag = "_hparams_/experiment"
    package static let sessionStartTag = "_hparams_/session_start_info"
    package static let sessionEndTag = "_hparams_/session_end_info"

    /// The metrics a sweep's table shows: the last test-set values, then the training loss.
    package static let metrics = ["eval/loss", "eval/accuracy", "train/loss"]

    /// `Experiment { repeated HParamInfo hparam_infos = 4; repeated MetricInfo metric_infos = 5; }`
    /// with `HParamInfo { name = 1; DataType type = 4; ListValue domain_discrete = 5; }` and
    /// `MetricInfo { MetricName name = 1 { group = 1; tag = 2 } }`.
    package static func experiment(_ hparams: [(name: String, values: [JSONValue])], metrics: [String] = metrics) -> TensorBoardSummary {
        var data = ProtoEncoder()
        data.message(2) { e in
            for (name, values) in hparams {
                let type = dataType(values)
                e.message(4) { h in
                    h.string(1, name)
                    h.varint(4 << 3); h.varint(type.rawValue)
                    h.message(5) { list in
                        for v in distinct(values) { list.message(1) { encode(v, as: type, into: &$0) } }
                    }
                }
            }
            for m in metrics { e.message(5) { info in info.message(1) { $0.string(2, m) } } }
        }
        var s = TensorBoardSummary()
        s.plugin(experimentTag, name: pluginName, content: data.bytes)
        return s
    }

    /// `SessionStartInfo { map<string, google.protobuf.Value> hparams = 1; }`.
    package static func sessionStart(_ hparams: [String: JSONValue]) -> TensorBoardSummary {
        var data = ProtoEncoder()
        data.message(3) { info in
            for name in hparams.keys.sorted() {
                info.message(1) { entry in
                    entry.string(1, name)
                    entry.message(2) { encode(hparams[name]!, as: dataType([hparams[name]!]), into: &$0) }
                }
            }
        }
        var s = TensorBoardSummary()
        s.plugin(sessionStartTag, name: pluginName, content: data.bytes)
        return s
    }

    /// `SessionEndInfo { Status status = 1; }`: STATUS_SUCCESS = 1, STATUS_FAILURE = 2.
    package static func sessionEnd(succeeded: Bool) -> TensorBoardSummary {
        var data = ProtoEncoder()
        data.message(4) { info in info.varint(1 << 3); info.varint(succeeded ? 1 : 2) }
        var s = TensorBoardSummary()
        s.plugin(sessionEndTag, name: pluginName, content: data.bytes)
        return s
    }

    /// api.proto's `DataType`: numbers are FLOAT64, true/false BOOL, anything else STRING.
    enum DataType: UInt64 { case string = 1, bool = 2, float64 = 3 }

    static func dataType(_ values: [JSONValue]) -> DataType {
        if values.allSatisfy({ $0.double != nil }) { return .float64 }
        if values.allSatisfy({ if case .bool = $0 { return true } else { return false } }) { return .bool }
        return .string
    }

    static func distinct(_ values: [JSONValue]) -> [JSONValue] {
        var seen = Set<JSONValue>()
        return values.filter { seen.insert($0).inserted }
    }

    /// `google.protobuf.Value { double number_value = 2; string string_value = 3; bool bool_value = 4; }`.
    static func encode(_ value: JSONValue, as type: DataType, into v: inout ProtoEncoder) {
        switch (type, value) {
        case (.float64, _): v.double(2, value.double ?? .nan)
        case (.bool, .bool(let b)): v.varint(4 << 3); v.varint(b ? 1 : 0)
        default: v.string(3, value.text)
        }
    }
}
