import Foundation

/// German tokenisation and a light stemmer, shared by retrieval, the answer parser and the sentiment scorer.
enum GermanText {
    /// Lower-cased words and numbers; umlauts folded (ä→ae is avoided so "Preise" and "preis" meet: ä→a, ß→ss).
    static func words(_ text: String) -> [String] {
        let folded = text.lowercased()
            .replacingOccurrences(of: "ä", with: "a").replacingOccurrences(of: "ö", with: "o")
            .replacingOccurrences(of: "ü", with: "u").replacingOccurrences(of: "ß", with: "ss")
        return folded.split { !($0.isLetter || $0.isNumber) }.map(String.init)
    }

    static let stopwords: Set<String> = [
        "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder", "aber",
        "ich", "du", "er", "sie", "es", "wir", "ihr", "mir", "mich", "dir", "dich", "uns", "euch", "mein", "dein", "ist",
        "sind", "bin", "bist", "war", "hat", "habe", "hast", "haben", "wird", "werden", "kann", "kannst", "konnen", "mit",
        "von", "vom", "zu", "zum", "zur", "im", "in", "an", "am", "auf", "fur", "bei", "aus", "nach", "als", "auch", "so",
        "wie", "was", "wer", "wo", "wann", "warum", "welche", "welcher", "welches", "nicht", "noch", "nur", "schon", "mal",
        "denn", "dass", "wenn", "ob", "es", "gibt", "euer", "eure", "ihr", "man", "da", "hier", "bitte", "danke", "hallo", "hi",
        "ja", "nein", "gerne", "gern", "kurz", "eigentlich", "ca", "etwa",
    ]

    /// Strips common German inflection suffixes, keeping at least four letters.
    static func stem(_ word: String) -> String {
        guard word.count > 4, word.first?.isLetter == true else { return word }
        for suffix in ["ungen", "ern", "em", "en", "er", "es", "e", "n", "s"] where word.hasSuffix(suffix) && word.count - suffix.count >= 4 {
            return String(word.dropLast(suffix.count))
        }
        return word
    }

    /// The stemmed content words of a text: what retrieval indexes and matches.
    static func terms(_ text: String) -> [String] {
        words(text).filter { !stopwords.contains($0) }.map(stem)
    }
}
