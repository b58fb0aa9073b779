import Foundation

/// A card's `claim:` line, parsed: one or more comparisons joined by `and`, each between two
/// arithmetic expressions over measured quantities.
///
/// Grammar (whitespace is free between tokens; `#` is not special):
///
///     claim      := comparison ("and" comparison)*
///     comparison := sum op sum                      op: <  <=  >  >=  (also ≤ ≥)
///     sum        := product (("+" | "-" | "−") product)*
///     product    := unary (("*" | "×" | "/" | "÷") unary)*
///     unary      := ("-" | "−") unary | primary
///     primary    := number | "(" sum ")" | quantity
///     quantity   := name [ "(" argument ("," argument)* ")" ]
///     argument   := run-name | verdict-kind | "layer" (integer | "last")
///     name       := letter (letter | digit | "_")*    (verdict kinds take "_" for "-": dead_relu)
///     number     := digits ["." digits] [("e" | "E") ["+" | "-"] digits]      e.g. 0.5, 1e-3
///
/// Precedence is the usual one: unary minus binds tightest, then × ÷, then + −, then the
/// comparison, then `and`; operators of one level associate to the left (8 / 4 / 2 = 1).
/// What names and arguments mean is `Quantity`'s business, checked against the experiment by
/// `CardExperiment.check`. Errors are `DeckError`s with file "" and line 0 and `column` the
/// 1-based column in the claim text (the deck reader re-bases them onto the file).
public struct Claim: Equatable, Sendable {
    public var comparisons: [Comparison]

    public struct Comparison: Equatable, Sendable {
        public var left: ClaimExpr
        public var op: ComparisonOp
        public var right: ClaimExpr
        /// The comparison as written (trimmed), for results.
        public var text: String
    }

    public static func parse(_ text: String) throws -> Claim {
        var p = ClaimParser(try ClaimLexer.tokens(text), text: text)
        return try p.claim()
    }
}

public enum ComparisonOp: String, Equatable, Sendable {
    case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="

    public func holds(_ a: Double, _ b: Double) -> Bool {
        switch self {
        case .less: return a < b
        case .lessOrEqual: return a <= b
        case .greater: return a > b
        case .greaterOrEqual: return a >= b
        }
    }
}

/// One argument of a quantity: a bare name (a run or a verdict kind) or a layer.
public enum ClaimArgument: Equatable, Sendable {
    case name(String)
    case layer(Int)
    case lastLayer
}

/// An arithmetic expression of a claim. `column` is where the node starts (1-based).
public indirect enum ClaimExpr: Equatable, Sendable {
    case number(Double)
    case quantity(name: String, arguments: [ClaimArgument], column: Int, argumentColumns: [Int])
    case negate(ClaimExpr)
    case binary(ClaimExpr, ArithmeticOp, ClaimExpr)

    /// Every quantity in the expression, left to right.
    public var quantities: [(name: String, arguments: [ClaimArgument], column: Int, argumentColumns: [Int])] {
        switch self {
        case .number: return []
        case let .quantity(name, arguments, column, argumentColumns): return [(name, arguments, column, argumentColumns)]
        case .negate(let e): return e.quantities
        case let .binary(a, _, b): return a.quantities + b.quantities
        }
    }
}

public enum ArithmeticOp: String, Equatable, Sendable {
    case add = "+", subtract = "−", multiply = "×", divide = "÷"
}

struct ClaimToken: Equatable {
    enum Kind: Equatable { case number(Double), name(String), op(String), open, close, comma, end }
    var kind: Kind
    var column: Int
}

enum ClaimLexer {
    static func error(_ column: Int, _ problem: String, _ fix: String) -> DeckError {
        DeckError(file: "", line: 0, column: column, problem: problem, fix: fix)
    }

    static func tokens(_ text: String) throws -> [ClaimToken] {
        let chars = Array(text)
        var out: [ClaimToken] = [], i = 0
        while i < chars.count {
            let c = chars[i], column = i + 1
            if c.isWhitespace { i += 1; continue }
            if c.isNumber || (c == "." && i + 1 < chars.count && chars[i + 1].isNumber) {
                var j = i
                while j < chars.count && (chars[j].isNumber || chars[j] == ".") { j += 1 }
                if j < chars.count && (chars[j] == "e" || chars[j] == "E") {
                    var k = j + 1
                    if k < chars.count && (chars[k] == "+" || chars[k] == "-") { k += 1 }
                    guard k < chars.count && chars[k].isNumber else {
                        throw error(column, "number '\(String(chars[i..<min(k, chars.count)]))' has no exponent digits", "write the exponent in full, e.g. 1e-3")
                    }
                    while k < chars.count && chars[k].isNumber { k += 1 }
                    j = k
                }
                let literal = String(chars[i..<j])
                guard let v = Double(literal), v.isFinite else {
                    throw error(column, "'\(literal)' is not a number", "write a number such as 0.5, 3 or 1e-3")
                }
                if j < chars.count && (chars[j].isLetter || chars[j] == "_") {
                    throw error(j + 1, "a name cannot follow the number \(literal) directly", "put an operator between them, e.g. \(literal) × name")
                }
                out.append(ClaimToken(kind: .number(v), column: column)); i = j; continue
            }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count && (chars[j].isLetter || chars[j].isNumber || chars[j] == "_") { j += 1 }
                out.append(ClaimToken(kind: .name(String(chars[i..<j])), column: column)); i = j; continue
            }
            let two = i + 1 < chars.count ? String(chars[i...i + 1]) : ""
            switch c {
            case "(": out.append(ClaimToken(kind: .open, column: column))
            case ")": out.append(ClaimToken(kind: .close, column: column))
            case ",": out.append(ClaimToken(kind: .comma, column: column))
            case "<", ">":
                if two == "<=" || two == ">=" { out.append(ClaimToken(kind: .op(two), column: column)); i += 2; continue }
                out.append(ClaimToken(kind: .op(String(c)), column: column))
            case "≤": out.append(ClaimToken(kind: .op("<="), column: column))
            case "≥": out.append(ClaimToken(kind: .op(">="), column: column))
            case "+": out.append(ClaimToken(kind: .op("+"), column: column))
            case "-", "−": out.append(ClaimToken(kind: .op("−"), column: column))
            case "*", "×", "·": out.append(ClaimToken(kind: .op("×"), column: column))
            case "/", "÷": out.append(ClaimToken(kind: .op("÷"), column: column))
            case "=":
                let fix = two == "==" ? "GradLab claims compare with < <= > >=; state a margin, e.g. x > 0.9" : "compare with < <= > >= (measured numbers are never exactly equal)"
                throw error(column, "'\(two == "==" ? "==" : "=")' is not a comparison of the claim language", fix)
            default:
                throw error(column, "unexpected character '\(c)'", "claims use names, numbers, ( ) , + − × ÷ and < <= > >=")
            }
            i += 1
        }
        out.append(ClaimToken(kind: .end, column: chars.count + 1))
        return out
    }
}

struct ClaimParser {
    var tokens: [ClaimToken]
    var at = 0
    let text: String
    init(_ tokens: [ClaimToken], text: String) { self.tokens = tokens; self.text = text }

    var current: ClaimToken { tokens[at] }
    func describe(_ t: ClaimToken) -> String {
        switch t.kind {
        case .number(let v): return "the number \(Self.format(v))"
        case .name(let n): return "'\(n)'"
        case .op(let o): return "'\(o)'"
        case .open: return "'('"
        case .close: return "')'"
        case .comma: return "','"
        case .end: return "the end of the claim"
        }
    }
    static func format(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)" }

    mutating func claim() throws -> Claim {
        guard current.kind != .end else {
            throw ClaimLexer.error(1, "the claim is empty", "state what the experiment measures, e.g. grad_norm(layer 1) < grad_norm(layer last)")
        }
        var comparisons = [try comparison()]
        while case .name("and") = current.kind {
            at += 1
            comparisons.append(try comparison())
        }
        guard current.kind == .end else {
            let fix = current.kind == .close ? "remove it or add the matching '('" : "join comparisons with 'and'"
            throw ClaimLexer.error(current.column, "found \(describe(current)) after a complete comparison", fix)
        }
        return Claim(comparisons: comparisons)
    }

    mutating func comparison() throws -> Claim.Comparison {
        let start = current.column
        let left = try sum()
        guard case .op(let o) = current.kind, let op = ComparisonOp(rawValue: o) else {
            throw ClaimLexer.error(current.column, "expected a comparison (< <= > >=) but found \(describe(current))",
                                   "a claim compares two sides, e.g. test_accuracy(good) > 0.9")
        }
        at += 1
        let right = try sum()
        if case .op(let o) = current.kind, ComparisonOp(rawValue: o) != nil {
            throw ClaimLexer.error(current.column, "comparisons cannot be chained", "write 'a < b and b < c'")
        }
        let chars = Array(text), end = current.column - 1
        let written = String(chars[(start - 1)..<Swift.min(end, chars.count)]).trimmingCharacters(in: .whitespaces)
        return Claim.Comparison(left: left, op: op, right: right, text: written)
    }

    mutating func sum() throws -> ClaimExpr {
        var e = try product()
        while case .op(let o) = current.kind, o == "+" || o == "−" {
            at += 1
            e = .binary(e, o == "+" ? .add : .subtract, try product())
        }
        return e
    }

    mutating func product() throws -> ClaimExpr {
        var e = try unary()
        while case .op(let o) = current.kind, o == "×" || o == "÷" {
            at += 1
            e = .binary(e, o == "×" ? .multiply : .divide, try unary())
        }
        return e
    }

    mutating func unary() throws -> ClaimExpr {
        if case .op("−") = current.kind { at += 1; return .negate(try unary()) }
        return try primary()
    }

    mutating func primary() throws -> ClaimExpr {
        let t = current
        switch t.kind {
        case .number(let v): at += 1; return .number(v)
        case .open:
            at += 1
            let e = try sum()
            guard current.kind == .close else {
                throw ClaimLexer.error(current.column, "expected ')' to close the '(' at column \(t.column) but found \(describe(current))", "add the missing ')'")
            }
            at += 1
            return e
        case .name(let name):
            at += 1
            guard current.kind == .open else { return .quantity(name: name, arguments: [], column: t.column, argumentColumns: []) }
            at += 1
            var arguments: [ClaimArgument] = [], columns: [Int] = []
            repeat {
                if current.kind == .comma { at += 1 }
                columns.append(current.column)
                arguments.append(try argument())
            } while current.kind == .comma
            guard current.kind == .close else {
                throw ClaimLexer.error(current.column, "expected ',' or ')' in the arguments of \(name) but found \(describe(current))",
                                       "arguments are a run name and 'layer N', e.g. \(name)(bad, layer 1)")
            }
            at += 1
            return .quantity(name: name, arguments: arguments, column: t.column, argumentColumns: columns)
        default:
            throw ClaimLexer.error(t.column, "expected a number, a quantity or '(' but found \(describe(t))",
                                   "write a value here, e.g. grad_norm(layer 1) or 1e-3")
        }
    }

    mutating func argument() throws -> ClaimArgument {
        let t = current
        guard case .name(let n) = t.kind else {
            throw ClaimLexer.error(t.column, "expected an argument (a run name or 'layer N') but found \(describe(t))",
                                   "e.g. grad_norm(bad, layer 1)")
        }
        at += 1
        guard n == "layer" else { return .name(n) }
        switch current.kind {
        case .number(let v) where v == v.rounded() && v >= 1 && v < 1e9: at += 1; return .layer(Int(v))
        case .name("last"): at += 1; return .lastLayer
        default:
            throw ClaimLexer.error(current.column, "'layer' needs a layer number (1 = the input layer) or 'last' but found \(describe(current))",
                                   "write e.g. layer 1 or layer last")
        }
    }
}
