import GradLab

/// Wrong options for a multiple-choice question.
///
/// The card's own `distractors:` come first; if they are fewer than needed, answers of sibling
/// cards (same section, same kind) fill in, in a seeded order. An option never repeats (compared
/// case- and space-insensitively) and is never the answer itself.
public enum Distractors {
    public static func pick(for card: Card, in deck: Deck, count: Int, random: inout SeededRandom) -> [String] {
        let answer = AnswerMatch.key(card.back)
        var seen: Set<String> = [answer]
        var chosen: [String] = []
        func offer(_ option: String) {
            let key = AnswerMatch.key(option)
            guard chosen.count < count, !key.isEmpty, seen.insert(key).inserted else { return }
            chosen.append(option)
        }
        for option in card.distractors.shuffled(using: &random) { offer(option) }
        let siblings = deck.cards.filter { $0.section == card.section && $0.kind == card.kind && $0.noteID != card.noteID }
        for sibling in siblings.shuffled(using: &random) { offer(sibling.back) }
        return chosen
    }
}
