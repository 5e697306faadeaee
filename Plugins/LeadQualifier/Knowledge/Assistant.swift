import Foundation
import PluginAPI

/// Answers a free-text question from the knowledge base only (seed 002 §7, §12): below the
/// confidence threshold it does not guess; otherwise the best passage, trimmed, or, with an
/// OpenAI-compatible endpoint configured, the model's answer if it names a retrieved source.
struct Assistant {
    enum Answer {
        case answered(text: String, sources: [String], confidence: Double, via: String)
        case unsure(confidence: Double)
    }

    /// Seed 002 §12, the system rules of every model call.
    static let systemRules = """
        Du bist der WhatsApp-Assistent eines Teams. Regeln:
        1. Antworte präzise, freundlich, kurz.
        2. Nutze nur Fakten aus den freigegebenen Quellen unten.
        3. Bei Unsicherheit: transparente Eskalation ("Ich gebe es ans Team weiter").
        4. Keine Rechts-/Vertragsberatung über den freigegebenen Rahmen hinaus.
        5. Respektiere Sendezeit und Policy-Grenzen.
        Nenne am Ende die genutzte Quelle als [dateiname.md].
        """

    let host: PluginAPI.Host
    let knowledge: KnowledgeBase
    let config: Config

    func answer(_ question: String) throws -> Answer {
        try knowledge.refresh()
        let hits = knowledge.index.search(question)
        guard let best = hits.first, best.confidence >= config.retrievalConfidence else {
            return .unsure(confidence: hits.first?.confidence ?? 0)
        }
        if let llm = config.llm, let text = try? modelAnswer(question, hits: hits, llm: llm) {
            let named = Set(hits.map(\.passage.source)).filter { text.contains($0) }
            if !named.isEmpty { return .answered(text: text, sources: named.sorted(), confidence: best.confidence, via: "llm") }
            host.log(.warning, "model answer rejected: it names no retrieved source")
        }
        return .answered(text: Self.trim(best.passage.text), sources: [best.passage.source], confidence: best.confidence, via: "extractive")
    }

    /// The passage without markdown bullets, at most about 400 characters, cut at a sentence end.
    static func trim(_ text: String) -> String {
        let plain = text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "-* ")) }.joined(separator: " ")
        guard plain.count > 400 else { return plain }
        let head = String(plain.prefix(400))
        if let end = head.lastIndex(where: { ".!?".contains($0) }) { return String(head[...end]) }
        return head + "…"
    }

    private func modelAnswer(_ question: String, hits: [BM25.Hit], llm: Config.LLMSettings) throws -> String? {
        let sources = hits.map { "[\($0.passage.source)]\n\($0.passage.text)" }.joined(separator: "\n\n")
        let body: JSON = [
            "model": .string(llm.model), "temperature": 0,
            "messages": [
                ["role": "system", "content": .string(Self.systemRules + "\n\nQuellen:\n" + sources)],
                ["role": "user", "content": .string(question)],
            ],
        ]
        let reply = try host.httpRequest([
            "method": "POST", "url": .string(llm.url), "timeout_ms": 15000, "body": .string(try body.serialized()),
            "headers": ["Content-Type": "application/json", "Authorization": .string("Bearer \(llm.apiKey)")],
        ])
        guard reply["status"]?.doubleValue == 200, let encoded = reply["body_base64"]?.stringValue,
            let data = Data(base64Encoded: encoded), let parsed = try? JSON.parse(bytes: Array(data))
        else { return nil }
        return parsed["choices"]?.arrayValue?.first?["message"]?["content"]?.stringValue
    }
}
