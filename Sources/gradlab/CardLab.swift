import Foundation
import GradLabStudy

/// Runs a card's experiment for the study screen (`e`), cached per engine version.
struct CardLab {
    let cacheDirectory: String

    /// The measured numbers, the claim checked ✓/✗ and the gradient chart; or why it could not run.
    func explainRun(_ card: Card) -> String {
        guard let experiment = card.experiment else { return "this card has no experiment" }
        do {
            return try CardExperiment.run(experiment: experiment, claim: card.claim, version: GradLabCLI.version, cacheDirectory: cacheDirectory).text
        } catch {
            return "the experiment could not run: \(error)"
        }
    }
}
