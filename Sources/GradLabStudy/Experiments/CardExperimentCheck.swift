/// Load-time checks of a card's `experiment:` and `claim:` lines (filled in by the claim language).
enum CardExperimentCheck {
    static func check(experiment: ExtraLine, claim: ExtraLine?, file: String) throws {}
}
