import Foundation

/// Reading customer text: language, names, menu choices, yes/no, phone numbers. Pure, so it is unit-tested.
enum Intents {
    static let dutchWords: Set<String> = [
        "hallo", "hoi", "goedemorgen", "goedemiddag", "goedenavond", "dag", "ik", "ben", "wil", "graag", "bijles", "een",
        "het", "de", "ja", "nee", "mijn", "naam", "is", "heet", "voor", "met", "les", "wiskunde", "dank", "je", "jij",
    ]
    static let englishWords: Set<String> = [
        "hello", "hi", "hey", "good", "morning", "i", "am", "want", "would", "like", "please", "tutoring", "a", "the",
        "yes", "no", "my", "name", "is", "for", "with", "lesson", "maths", "math", "thanks", "you", "need",
    ]

    /// nl or en, by counting words typical of each; a tie gives `fallback`.
    static func language(of text: String, fallback: String = "nl") -> String {
        let words = self.words(text)
        let dutch = words.filter { dutchWords.contains($0) && !englishWords.contains($0) }.count
        let english = words.filter { englishWords.contains($0) && !dutchWords.contains($0) }.count
        if dutch == english { return fallback }
        return dutch > english ? "nl" : "en"
    }

    /// A first name from "Ik ben eva", "my name is Eva", "Eva de Vries": the first remaining word, capitalised.
    static func firstName(from text: String) -> String? {
        let fillers: Set<String> = ["ik", "ben", "heet", "mijn", "naam", "is", "my", "name", "i", "am", "i'm", "im", "hoi", "hallo", "hi", "hello", "it's", "dit", "this"]
        let candidate = text.split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "." || $0 == "!" })
            .map(String.init).first { !fillers.contains($0.lowercased()) }
        guard let name = candidate, name.count <= 40, name.allSatisfy({ $0.isLetter || $0 == "-" || $0 == "'" }) else { return nil }
        return name.prefix(1).uppercased() + name.dropFirst().lowercased()
    }

    /// true for ja/yes, false for nee/no, nil otherwise.
    static func yesNo(_ text: String) -> Bool? {
        let words = Set(self.words(text))
        let yes = !words.isDisjoint(with: ["ja", "yes", "yep", "jazeker", "jawel", "ok", "akkoord", "y", "j"])
        let no = !words.isDisjoint(with: ["nee", "no", "nope", "n"])
        return yes == no ? nil : yes
    }

    /// A menu number 1…`count` given as a digit, or as one of the option's `keywords`.
    static func choice(_ text: String, count: Int, keywords: [Int: [String]] = [:]) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.punctuationCharacters))
        if let number = Int(trimmed), (1...count).contains(number) { return number }
        let lower = text.lowercased()
        return keywords.filter { $0.key <= count }.sorted { $0.key < $1.key }
            .first { $0.value.contains { lower.contains($0) } }?.key
    }

    /// online or offline, from a format answer.
    static func format(_ text: String) -> String? {
        let lower = text.lowercased()
        if lower.contains("online") || lower.contains("video") { return "online" }
        let offline = ["offline", "locatie", "location", "fysiek", "thuis", "aan huis", "in person", "person", "live"]
        return offline.contains { lower.contains($0) } ? "offline" : nil
    }

    /// An E.164 number from "+31 6 1234 5678" or a Dutch mobile "06-12345678".
    static func phone(_ text: String) -> String? {
        var digits = text.filter { $0.isNumber || $0 == "+" }
        if digits.hasPrefix("00") { digits = "+" + digits.dropFirst(2) }
        if digits.hasPrefix("06"), digits.count == 10 { digits = "+31" + digits.dropFirst() }
        guard digits.hasPrefix("+"), (8...16).contains(digits.count), digits.dropFirst().allSatisfy(\.isNumber) else { return nil }
        return digits
    }

    static func words(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !$0.isLetter && $0 != "'" }).map(String.init)
    }
}
