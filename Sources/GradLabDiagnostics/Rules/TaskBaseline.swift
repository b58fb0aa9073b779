import Foundation
import GradLab

/// What a model that learned nothing scores on a task: the loss and accuracy of the best constant
/// answer, measured on the training data. A run is judged against these, not against its own
/// starting loss (a badly initialized net starts far above them, falls to them, and stays).
///
/// - Classification (cross-entropy): the constant answer is the class frequencies p_c, with loss
///   H(p) = −Σ_c p_c ln p_c (ln C for balanced classes) and accuracy max_c p_c (chance).
/// - Regression (mean squared error over every output): the constant answer is each output's
///   mean, with loss the targets' variance averaged over outputs (e.g. 1/6 ≈ 0.167 for the adding
///   problem, whose target is the sum of two U(0, 1) draws); there is no accuracy.
public struct TaskBaseline: Codable, Equatable, Sendable {
    public var loss: Double
    /// Accuracy of always answering the most frequent class; nil for regression.
    public var accuracy: Double?
    public var classes: Int?

    public init(loss: Double, accuracy: Double? = nil, classes: Int? = nil) {
        self.loss = loss; self.accuracy = accuracy; self.classes = classes
    }

    public init<S: Scalar>(of data: Dataset<S>) {
        switch data.targets {
        case let .classes(labels, classes), let .sequenceClasses(labels, classes, _):
            var counts = [Int](repeating: 0, count: classes)
            for l in labels { counts[l] += 1 }
            let n = Double(Swift.max(labels.count, 1))
            let entropy = counts.reduce(0.0) { h, c in c == 0 ? h : h - Double(c) / n * Foundation.log(Double(c) / n) }
            self.init(loss: entropy, accuracy: Double(counts.max() ?? 0) / n, classes: classes)
        case let .values(t):
            let rows = t.shape[0], cols = t.shape[1]
            var total = 0.0
            for j in 0..<cols {
                var mean = 0.0, m2 = 0.0
                for i in 0..<rows {
                    let x = Double(t.scalars[i * cols + j]), d = x - mean
                    mean += d / Double(i + 1)
                    m2 += d * (x - mean)
                }
                total += m2 / Double(Swift.max(rows, 1))
            }
            self.init(loss: total / Double(Swift.max(cols, 1)))
        }
    }

    /// "loss 2.30 (the class frequencies' entropy), accuracy 10% (always the most frequent class)".
    public var description: String {
        if let accuracy {
            return String(format: "loss %.3g (guessing the class frequencies), accuracy %.1f%% (always the most frequent class)", loss, accuracy * 100)
        }
        return String(format: "loss %.3g (predicting the mean target)", loss)
    }
}
