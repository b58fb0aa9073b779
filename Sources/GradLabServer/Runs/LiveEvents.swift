import Foundation
import GradLab
import GradLabDiagnostics

/// One probed step as the live view draws it: the probe's `ProbeStep` cut to what the page shows
/// (a few numbers per layer, so a long run's backlog stays small for a late-joining tab).
/// `layers[i]` is the i-th probed linear map, input side first.
struct LiveStep: Codable, Sendable {
    struct Layer: Codable, Sendable {
        var g: Double        // ‖∇W_l‖
        var d: Double        // ‖δ_l‖ at the layer's output
        var gain: Double?    // ‖δ_l‖/‖δ_{l+1}‖
        var prod: Double     // running product of the gains from the top
        var ur: Double       // ‖ΔW‖/‖W‖
        var sat: Double?, dead: Double?
        var am: Double, `as`: Double
    }
    struct Time: Codable, Sendable { var name: String; var grad: [Double] }
    var step: Int
    var loss: Double
    var accuracy: Double?
    var gradNorm: Double
    var layers: [Layer]
    var time: [Time]

    init(_ s: ProbeStep) {
        step = s.step; loss = s.loss; accuracy = s.accuracy; gradNorm = s.gradNorm
        layers = s.layers.map {
            Layer(g: $0.gradNorm, d: $0.deltaNorm, gain: $0.gain, prod: $0.gainProduct, ur: $0.updateRatio,
                  sat: $0.saturatedFraction, dead: $0.deadFraction, am: $0.activationMean, as: $0.activationStd)
        }
        time = s.time.map { Time(name: $0.name, grad: $0.gradNormByTime) }
    }
}

/// A verdict as the page shows it: its one-line summary included, layers as 0-based indices
/// into the run's `layers` (the probe and the verdict texts count from 1).
struct VerdictView: Codable, Sendable {
    var kind: String, layers: [Int], firstStep: Int, predicted: Bool
    var evidence: String, explanation: String, remedies: [String], cause: String?, line: String

    init(_ v: Verdict) {
        kind = v.kind.rawValue; layers = v.layers.map { $0 - 1 }; firstStep = v.firstStep; predicted = v.predicted
        evidence = v.evidence; explanation = v.explanation; remedies = v.remedies; cause = v.cause?.rawValue; line = v.line
    }
}

/// Where NaN or Inf first showed up in a probed step: the forward pass runs input to output, so
/// the lowest layer with a non-finite activation; else backward, which runs output to input, so
/// the highest layer with a non-finite δ; else a weight gradient; else only the loss.
struct NonFiniteOrigin: Codable, Sendable, Equatable {
    var step: Int, layer: String?, what: String

    init?(_ s: ProbeStep) {
        step = s.step
        if let l = s.layers.first(where: { $0.activationNonFinite > 0 }) { layer = l.name; what = "activation" }
        else if let l = s.layers.last(where: { $0.deltaNonFinite > 0 }) { layer = l.name; what = "delta" }
        else if let l = s.layers.first(where: { $0.gradNonFinite > 0 }) { layer = l.name; what = "gradient" }
        else if !s.loss.isFinite { layer = nil; what = "loss" }
        else { return nil }
    }
}

/// Everything a live view is sent. Each event is encoded once, when it happens, and kept in the
/// run's log: a tab that connects late replays the log.
enum LiveEvent {
    struct Start: Encodable {
        let type = "start"
        var config: RunConfig, layers: [String], recurrent: Bool, steps: Int, storeID: Int64?, baseline: TaskBaseline
    }
    struct Prediction: Encodable {
        struct MeanField: Encodable { var layer: Int, measured: Double, predicted: Double }
        let type = "prediction"
        var verdicts: [VerdictView], step0: LiveStep, meanField: [MeanField]?
    }
    /// An event whose fields are another record's (a step, a state, where NaN appeared), with its
    /// `type` added.
    struct Flat<Body: Encodable>: Encodable {
        let type: String
        let body: Body
        func encode(to encoder: Encoder) throws {
            try body.encode(to: encoder)
            var c = encoder.container(keyedBy: TypeKey.self)
            try c.encode(type, forKey: .type)
        }
    }
    static func step(_ s: LiveStep) -> Flat<LiveStep> { Flat(type: "step", body: s) }
    static func state(_ s: RunState) -> Flat<RunState> { Flat(type: "state", body: s) }
    static func nonFinite(_ o: NonFiniteOrigin) -> Flat<NonFiniteOrigin> { Flat(type: "nonfinite", body: o) }
    struct Eval: Encodable { let type = "eval"; var step: Int, loss: Double, accuracy: Double? }
    struct Fired: Encodable { let type = "verdict"; var verdict: VerdictView }
    struct End: Encodable {
        struct Final: Encodable { var loss: Double?, accuracy: Double? }
        let type = "end"
        var status: String, message: String?, verdicts: [VerdictView], final: Final, report: String?
    }
    enum TypeKey: String, CodingKey { case type }

    /// One event as a JSON object (non-finite numbers as strings, as every GradLab record).
    static func encode(_ event: some Encodable) -> Data {
        (try? JSONEncoder.records.encode(event)) ?? Data(#"{"type":"error","error":"an event could not be encoded"}"#.utf8)
    }
}
