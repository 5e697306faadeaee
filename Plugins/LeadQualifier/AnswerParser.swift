import Foundation

/// Understands the lead's free-text answers to the two questions (seed 002 §4):
/// "ja", "jo klar", "nein", "ca. 250", "so 80 im Monat", "über 300".
enum AnswerParser {
    enum YesNo: Equatable { case yes, no, unclear }

    static let yesWords: Set<String> = [
        "ja", "jo", "jap", "japp", "jep", "yes", "klar", "sicher", "genau", "natürlich", "naturlich", "logo", "passt",
        "okay", "ok", "gerne", "gern", "jawohl", "absolut", "selbstverstandlich", "selbstverständlich", "yep", "jup",
    ]
    static let noWords: Set<String> = ["nein", "nee", "ne", "nö", "no", "nicht", "keine", "kein", "nope", "leider", "nie"]

    static func yesNo(_ text: String) -> YesNo {
        let words = text.lowercased().split { !($0.isLetter || $0.isNumber) }.map(String.init)
        let yes = words.contains { yesWords.contains($0) }
        let no = words.contains { noWords.contains($0) }
        if yes && !no { return .yes }
        if no && !yes { return .no }
        return .unclear
    }

    /// A monthly lead count: the number named, or a bound for "über 300" / "unter 100".
    static func monthlyLeads(_ text: String) -> Int? {
        let lower = text.lowercased().replacingOccurrences(of: ".", with: "")
        let numbers = lower.split { !$0.isNumber }.compactMap { Int($0) }
        guard !numbers.isEmpty else { return nil }
        // A range ("100-200", "zwischen 80 und 120") counts as its middle.
        let value = numbers.count >= 2 ? (numbers[0] + numbers[1]) / 2 : numbers[0]
        if ["über", "uber", "mehr als", ">", "ueber"].contains(where: lower.contains) { return value + 1 }
        if ["unter", "weniger als", "<"].contains(where: lower.contains) { return max(value - 1, 0) }
        return value
    }

    /// seed 002 §3 `monthly_leads_bucket`: `<100|100-300|300+|unknown`.
    static func bucket(_ leads: Int?) -> String {
        guard let leads else { return "unknown" }
        if leads < 100 { return "<100" }
        return leads <= 300 ? "100-300" : "300+"
    }

    /// Whether the text is a question rather than an answer.
    static func isQuestion(_ text: String) -> Bool {
        let words = text.lowercased().split { !$0.isLetter }.map(String.init)
        let openers: Set<String> = ["was", "wie", "wo", "wann", "warum", "wieso", "weshalb", "welche", "welcher", "welches", "gibt", "kann", "kostet", "habt", "bietet", "muss"]
        return text.contains("?") || (words.first.map(openers.contains) ?? false)
    }

    /// Which of the offered slots (1-based) the lead picked.
    static func slotChoice(_ text: String, count: Int) -> Int? {
        let lower = text.lowercased()
        if let number = lower.split(whereSeparator: { !$0.isNumber }).compactMap({ Int($0) }).first, (1...count).contains(number) { return number }
        if lower.contains("erst") { return 1 }
        if lower.contains("zweit") || lower.contains("letzt") { return count >= 2 ? 2 : nil }
        return nil
    }
}
