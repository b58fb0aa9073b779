import Foundation
import GradLab
import GradLabReports

/// What the review log says: reviews per day, true retention, and when cards fall due.
///
/// True retention is Anki's: among reviews of cards in the review state (not new, not in a
/// learning step), the share not rated Again. The forecast counts active seen cards by the day
/// they fall due; cards already overdue count on day 0.
public struct StudyStats: Sendable {
    public struct Day: Sendable, Hashable {
        public var date: Date
        public var learned: Int      // reviews of new or learning cards
        public var reviewed: Int     // reviews of cards in review
        public var passed: Int       // of those, not Again
        public var relearned: Int    // reviews of lapsed cards
        public var total: Int { learned + reviewed + relearned }
    }

    /// The last `days` days, oldest first, today last.
    public var history: [Day]
    /// Cards due on each of the next `days` days, today first (overdue included today).
    public var forecast: [Int]
    /// True retention over the whole history shown; nil without a review-state review.
    public var retention: Double?
    public var totalReviews: Int

    public init(store: StudyStore, deck: String?, now: Date, days: Int = 30, calendar: Calendar = .current) throws {
        guard days >= 1 else { throw GradLabError.invalid("--days \(days): give at least 1 day") }
        let today = calendar.startOfDay(for: now)
        let start = calendar.date(byAdding: .day, value: -(days - 1), to: today)!
        history = (0..<days).map { Day(date: calendar.date(byAdding: .day, value: $0, to: start)!, learned: 0, reviewed: 0, passed: 0, relearned: 0) }
        let log = try store.reviews(deck: deck, since: start)
        for r in log {
            let i = calendar.dateComponents([.day], from: start, to: calendar.startOfDay(for: r.time)).day ?? -1
            guard history.indices.contains(i) else { continue }
            switch r.before.state {
            case .review:
                history[i].reviewed += 1
                if r.rating != .again { history[i].passed += 1 }
            case .relearning: history[i].relearned += 1
            case .new, .learning: history[i].learned += 1
            }
        }
        let reviewed = history.reduce(0) { $0 + $1.reviewed }
        retention = reviewed == 0 ? nil : Double(history.reduce(0) { $0 + $1.passed }) / Double(reviewed)
        totalReviews = log.count
        forecast = Array(repeating: 0, count: days)
        for due in try store.dueDates(deck: deck) {
            let d = max(0, calendar.dateComponents([.day], from: today, to: calendar.startOfDay(for: due)).day ?? 0)
            if d < days { forecast[d] += 1 }
        }
    }

    /// Terminal charts: one bar row per day.
    public func text(width: Int = 40) -> String {
        let f = DateFormatter()
        f.dateFormat = "MM-dd"
        func bars(_ rows: [(String, Int)]) -> String {
            let top = max(rows.map(\.1).max() ?? 1, 1)
            return rows.map { label, v in label + " " + String(repeating: "█", count: Int((Double(v) / Double(top) * Double(width)).rounded())) + " \(v)" }
                .joined(separator: "\n")
        }
        var out = "Reviews per day (last \(history.count) days): \(totalReviews) in all; true retention "
        out += retention.map { String(format: "%.1f%%", $0 * 100) } ?? "– (no card in review yet)"
        out += "\n" + bars(history.map { (f.string(from: $0.date), $0.total) })
        out += "\n\nDue in the next \(forecast.count) days (day 0 = today, overdue included):\n"
        out += bars(forecast.enumerated().map { (String(format: "+%2dd ", $0.offset), $0.element) })
        return out
    }

    /// A self-contained HTML page with the same two charts as SVG.
    public func html(title: String) -> String {
        let f = DateFormatter()
        f.dateFormat = "MM-dd"
        let days = history.map { f.string(from: $0.date) }
        let perDay = SVG.countChart(title: "Reviews per day", categories: days, xLabel: "day", series: [
            ("new / learning", "#4c78a8", history.map(\.learned)),
            ("review", "#54a24b", history.map(\.reviewed)),
            ("relearning", "#e45756", history.map(\.relearned))], yLabel: "reviews")
        let due = SVG.countChart(title: "Due forecast", categories: forecast.indices.map { "+\($0)" }, xLabel: "days from today",
                                 series: [("cards due", "#f58518", forecast)], yLabel: "cards")
        let summary = "<p>\(totalReviews) reviews in the last \(history.count) days. True retention: "
            + (retention.map { String(format: "<b>%.1f%%</b>", $0 * 100) } ?? "– (no card in review yet)") + "</p>"
        return SVG.page(title: title, body: "<h1>\(SVG.escape(title))</h1>\n" + summary + "\n<figure>" + perDay + "</figure>\n<figure>" + due + "</figure>")
    }
}
