/// Skip-step with learning-rate back-off, the loss-scaling recipe of mixed-precision training
/// applied to the learning rate: a step whose loss or gradient norm is NaN or ±Inf is not applied,
/// and the learning-rate scale is multiplied by `backoff`; after `recoverAfter` consecutive good
/// steps the scale doubles again, up to 1.
///
/// Call `check` after backward (and before clipping and the update) with the global gradient
/// norm and the loss; on `.apply` update with learning rate × `lrScale`, on `.skip` drop the
/// gradients. Pure value logic, so it can be checkpointed (Codable) and tested alone.
public struct NonFiniteGuard: Equatable, Sendable, Codable {
    public enum Decision: Equatable, Sendable {
        /// Apply the update, at learning rate × `lrScale`.
        case apply
        /// Skip this step; later steps use learning rate × `newLRScale`.
        case skip(newLRScale: Double)
    }

    /// Factor applied to the scale on every skipped step, in (0, 1).
    public let backoff: Double
    /// Consecutive good steps before the scale doubles.
    public let recoverAfter: Int
    /// The multiplier for the learning rate, in (0, 1].
    public private(set) var lrScale = 1.0
    /// Good steps since the last skip or recovery.
    public private(set) var goodSteps = 0
    /// Steps skipped in a row (a run that never recovers should stop; the caller decides when).
    public private(set) var consecutiveSkips = 0
    /// Steps skipped in total.
    public private(set) var totalSkips = 0

    public init(backoff: Double = 0.5, recoverAfter: Int = 100) throws {
        guard backoff > 0, backoff < 1 else {
            throw GradLabError.invalid("non-finite guard backoff \(backoff) must be in (0, 1), e.g. 0.5")
        }
        guard recoverAfter >= 1 else {
            throw GradLabError.invalid("non-finite guard recovery needs at least 1 good step, got \(recoverAfter)")
        }
        self.backoff = backoff
        self.recoverAfter = recoverAfter
    }

    /// Decides whether the step with this gradient norm and loss is applied, updating the scale.
    public mutating func check(gradNorm: Double, loss: Double) -> Decision {
        guard gradNorm.isFinite, loss.isFinite else {
            lrScale *= backoff
            goodSteps = 0
            consecutiveSkips += 1
            totalSkips += 1
            return .skip(newLRScale: lrScale)
        }
        consecutiveSkips = 0
        goodSteps += 1
        if goodSteps >= recoverAfter {
            goodSteps = 0
            lrScale = Swift.min(1, lrScale * 2)
        }
        return .apply
    }
}
