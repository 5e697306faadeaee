/// A small German lexicon scorer for negative sentiment (seed 002 §4 handover trigger).
/// The score is the summed weight of the negative cues found, capped at 1.0.
enum Sentiment {
    /// Stems (after `GermanText.words`) and their weights.
    static let negative: [String: Double] = [
        "scheiss": 1.0, "scheisse": 1.0, "verarsch": 1.0, "abzock": 1.0, "betrug": 1.0, "frechheit": 0.8,
        "unverschamt": 0.8, "nervig": 0.6, "nerv": 0.6, "genervt": 0.6, "spam": 0.7, "belastig": 0.8, "aufhoren": 0.4,
        "schlecht": 0.4, "schlimm": 0.4, "argerlich": 0.6, "sauer": 0.5, "wutend": 0.8, "enttauscht": 0.6, "mist": 0.5,
        "katastrophe": 0.8, "unzufrieden": 0.6, "unserios": 0.7, "lacherlich": 0.6, "furchtbar": 0.6, "schrecklich": 0.6,
        "beschwerde": 0.6, "anwalt": 0.7, "nervt": 0.6, "blod": 0.5, "dumm": 0.5,
    ]

    static func score(_ text: String) -> Double {
        let words = GermanText.words(text)
        var total = 0.0
        for word in words {
            if let weight = negative[word] ?? negative.first(where: { word.hasPrefix($0.key) && $0.key.count >= 5 })?.value { total += weight }
        }
        if text.filter({ $0 == "!" }).count >= 3 { total += 0.2 }
        return min(total, 1.0)
    }
}
