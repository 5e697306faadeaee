import Foundation
/// The bot's German texts (seed 002 §4); each can be replaced under `texts:` in the plugin config.
/// `{{name}}`, `{{link}}`, `{{slot1}}` … are filled in when sent.
enum Texts {
    static let defaults: [String: String] = [
        "q1": "Super! Erste Frage: Schaltest du aktuell Ads?",
        "q1_clarify": "Nur damit ich dich richtig verstehe: Laufen bei dir gerade bezahlte Anzeigen (z. B. Meta oder Google Ads)? Ja oder nein?",
        "q2": "Wie viele Leads generierst du ca. pro Monat?",
        "q2_clarify": "Magst du mir eine ungefähre Zahl nennen? Z. B. „ca. 50“, „so 150“ oder „über 300“ Leads im Monat.",
        "welcome_clarify": "Ich hätte nur 2 kurze Fragen. Passt das für dich? Antworte einfach mit Ja oder Nein.",
        "declined": "Alles klar, kein Problem! Wenn du später Fragen hast, schreib mir einfach.",
        "disqualify_no_ads": "Danke für deine Offenheit! Ohne laufende Ads können wir dir aktuell noch nicht sinnvoll helfen.{{link}} Melde dich gern, sobald du Ads schaltest.",
        "disqualify_low_volume": "Danke dir! Bei unter 100 Leads im Monat lohnt sich unser System noch nicht für dich. Melde dich gern später wieder, sobald dein Volumen wächst!",
        "qualified": "Klingt richtig gut, das passt! Lass uns in einem kurzen Call schauen, wie wir deine Leads automatisch qualifizieren.",
        "offer_slots": "Ich hätte zwei Termine frei:\n1) {{slot1}}\n2) {{slot2}}\nAntworte einfach mit 1 oder 2.",
        "no_slots": "Gerade finde ich keinen freien Termin. Das Team meldet sich mit Vorschlägen bei dir.",
        "slot_clarify": "Welcher Termin passt dir: 1 oder 2?",
        "booked": "Perfekt, dein Termin ist gebucht: {{slot}}. Hier ist dein Link: {{meeting_link}}. Ich erinnere dich vorher noch einmal.",
        "cancelled": "Alles klar, ich habe deinen Termin abgesagt. Wenn du einen neuen möchtest, schreib einfach „Termin“.",
        "handover": "Ich gebe es ans Team weiter. Eine Kollegin oder ein Kollege meldet sich gleich persönlich bei dir.",
        "optout": "Verstanden, du bekommst von uns keine Nachrichten mehr. Alles Gute!",
        "rag_suffix": "\n\n(Quelle: {{source}})",
    ]

    /// The text `key` from `texts` with its placeholders replaced.
    static func render(_ texts: [String: String], _ key: String, _ values: [String: String] = [:]) -> String {
        var text = texts[key] ?? defaults[key] ?? key
        for (name, value) in values { text = text.replacingOccurrences(of: "{{\(name)}}", with: value) }
        return text
    }
}
