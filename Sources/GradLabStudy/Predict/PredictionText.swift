import Foundation
import GradLabDiagnostics
import GradLabTheory

extension PredictionAnswer {
    /// The answer as the terminal shows it.
    public var text: String {
        switch self {
        case .outcome(let o): return o.rawValue
        case .decade(let k): return "ρ ≈ " + GradientRatio.decadeText(k)
        case .race(.first): return "A first"
        case .race(.second): return "B first"
        case .race(.tie): return "tie (same step)"
        case .race(.neither): return "neither"
        }
    }
}

extension PredictionQuestion {
    /// The prompt a learner reads before anything runs.
    public var prompt: String {
        switch template {
        case .outcome:
            let s = settings[0]
            return "Predict, then run: \(s.text).\nAt step 0, does the gradient vanish, stay healthy or explode between the ends of the net? "
                + "(ρ = \(GradientRatio.symbol(s)) over a fixed batch: vanishing below 0.1, exploding above 10)"
        case .magnitude:
            let s = settings[0]
            return "Predict, then run: \(s.text).\nTo the nearest power of ten, what is ρ = \(GradientRatio.symbol(s)) at step 0? (type the exponent, e.g. -3 for 10^-3)"
        case .race:
            let r = race!
            return "Predict, then run: two nets train with SGD (learning rate \(r.learningRate)) on digits.\n"
                + "  A: \(settings[0].text)\n  B: \(settings[1].text)\n"
                + String(format: "Which reaches a loss of %.3g on a fixed batch first (at most %d steps)?", r.target, r.maxSteps)
        }
    }

    /// The options, numbered as `answer(from:)` reads them.
    public var optionTexts: [String] { answers.enumerated().map { "\($0.offset + 1). \($0.element.text)" } }

    /// The question as the terminal prints it: prompt, then options (magnitude: the range).
    public var text: String {
        if template == .magnitude {
            return prompt + "\nAnswers from \(GradientRatio.decadeText(-GradientRatio.decadeLimit)) to \(GradientRatio.decadeText(GradientRatio.decadeLimit))."
        }
        return ([prompt] + optionTexts.map { "  " + $0 }).joined(separator: "\n")
    }
}

extension PredictionResult {
    /// Theory, learner and measurement side by side with the numbers, then the explanation.
    public var text: String {
        func mark(_ a: PredictionAnswer?) -> String { a == nil ? "" : (a == measured ? "  ✓" : "  ✗") }
        var lines = ["Measured: \(measured.text)  (\(measuredNumbers))",
                     "You:      \(learner?.text ?? "no answer")\(mark(learner))  score \(Int(learnerScore))",
                     "Theory:   " + (theory.map { "\($0.text)\(mark($0))  score \(Int(theoryScore ?? 0))" } ?? "no prediction — \(theoryReason ?? "")")]
        lines.append(contentsOf: theoryNumbers)
        lines.append("Why: " + explanation)
        return lines.joined(separator: "\n")
    }

    var measuredNumbers: String {
        switch measurement {
        case .stepZero(let m):
            var s = "\(GradientRatio.symbol(question.settings[0])) = \(Number.short(m.ratio))"
            if let w = m.weightRatio { s += ", ‖∇W₁‖/‖∇W_L‖ = \(Number.short(w))" }
            return s + String(format: ", %.2f s", m.seconds)
        case .race(let m):
            func at(_ i: Int) -> String { m.reached[i].map { "at step \($0)" } ?? "not in \(m.maxSteps) steps" }
            return "loss ≤ \(Number.short(m.target)): A \(at(0)), B \(at(1))" + String(format: ", %.2f s", m.seconds)
        }
    }

    /// One line per theory call: predicted ρ and the mean-field quantities behind it.
    var theoryNumbers: [String] {
        calls.enumerated().compactMap { i, c in
            guard let chi = c.chi1, let phase = c.phase else { return nil }
            let name = calls.count > 1 ? (i == 0 ? "A" : "B") + ": " : ""
            return "          \(name)predicted ρ = \(c.ratio.text()), χ₁ = \(Number.short(chi)), q* = \(c.qStar?.text() ?? "–"), ξ_∇ = \(c.xiGradient?.text() ?? "–"); phase \(phase.label)"
        }
    }

    /// Why the measured answer came out as it did, in a sentence or two.
    public var explanation: String {
        switch measurement {
        case .stepZero(let m):
            let setting = question.settings[0]
            var s: String
            if let chi = calls[0].chi1 {
                let steps = setting.isRecurrent ? "step back in time" : "layer back"
                s = "E‖δ‖² is multiplied by χ₁ ≈ \(Number.short(chi)) each \(steps) (σ_w²·E[φ'(h)²]), so the gradient at the input end is the top's times a product of such factors"
                    + (chi < 1 ? ": below 1, it shrinks geometrically." : chi > 1 ? ": above 1, it grows geometrically." : ".")
            } else {
                s = "The theory has no map here; the gates decide how much of the gradient each step back keeps."
            }
            if case .feedForward = setting, let w = m.weightRatio, m.outcome != .healthy, GradientRatio.outcome(w) == .healthy {
                s += " The weight gradients ‖∇W_l‖ = ‖δ_l·x_{l−1}ᵀ‖ look flat (\(Number.short(w))) because the forward signal x changes by the inverse factor; δ itself does not."
            }
            return s
        case .race(let m):
            let winner: String
            switch m.winner {
            case .first: winner = "A got there first"
            case .second: winner = "B got there first"
            case .tie: winner = "both got there at the same step"
            case .neither: winner = "neither got there in time"
            }
            return "Training speed at the start follows the gradient each layer receives: a net whose ρ stays near 1 updates every layer, one whose gradient vanishes leaves its early layers where they began and one whose gradient explodes overshoots; \(winner)."
        }
    }
}

extension PredictionSetting {
    var isRecurrent: Bool { if case .recurrent = self { return true }; return false }
}
