/// Load-time checks of a card's `experiment:` and `claim:` lines: `CardExperiment`'s errors,
/// which point into the line's value, re-based onto the deck file's line and column.
enum CardExperimentCheck {
    static func check(experiment: ExtraLine, claim: ExtraLine?, file: String) throws {
        func rebased(_ e: DeckError, on extra: ExtraLine) -> DeckError {
            DeckError(file: file, line: extra.line, column: extra.column + e.column - 1, problem: e.problem, fix: e.fix)
        }
        do { _ = try ExperimentSpec.parse(experiment.value) } catch let e as DeckError { throw rebased(e, on: experiment) }
        guard let claim else { return }
        do { try CardExperiment.check(experiment: experiment.value, claim: claim.value) } catch let e as DeckError { throw rebased(e, on: claim) }
    }
}
