/// The prediction templates as a deck of three cards, so the store schedules them like any card.
extension PredictionTemplate {
    public static var deck: Deck {
        Deck(id: "predict", title: "Predict, then run", description: "Questions drawn afresh each time; the template is the card.",
             cards: allCases.map { Card(id: $0.rawValue, kind: .basic, front: $0.summary, back: "measured by running it", section: ["Predict"], tags: ["predict"]) },
             source: "builtin:predict")
    }

    /// What the template asks, in a line.
    public var summary: String {
        switch self {
        case .outcome: return "A drawn network at step 0: vanishing, healthy or exploding?"
        case .magnitude: return "A drawn network at step 0: the power of ten of the gradient ratio between its ends?"
        case .race: return "Two drawn networks: which reaches the target loss first?"
        }
    }
}
