extension StringProtocol {
    /// Without leading and trailing spaces and tabs. Native, unlike Foundation's
    /// `trimmingCharacters(in:)`, which bridges through NSString and dominated deck parsing.
    var trimmed: String {
        guard let first = firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(self[first...last])
    }
}
