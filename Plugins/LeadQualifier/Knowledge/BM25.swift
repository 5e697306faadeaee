import Foundation

/// Okapi BM25 over passages (k1 = 1.2, b = 0.75).
struct BM25 {
    struct Passage {
        var source: String
        var text: String
        var terms: [String]
    }

    struct Hit {
        var passage: Passage
        var score: Double
        /// The idf-weighted share of the query's terms the passage contains, 0…1.
        var confidence: Double
    }

    let passages: [Passage]
    private let documentFrequency: [String: Int]
    private let averageLength: Double
    private let k1 = 1.2, b = 0.75

    init(passages: [Passage]) {
        self.passages = passages
        var frequency: [String: Int] = [:]
        for passage in passages { for term in Set(passage.terms) { frequency[term, default: 0] += 1 } }
        documentFrequency = frequency
        averageLength = passages.isEmpty ? 1 : Double(passages.reduce(0) { $0 + $1.terms.count }) / Double(passages.count)
    }

    func idf(_ term: String) -> Double {
        let n = Double(passages.count), df = Double(documentFrequency[term] ?? 0)
        return log(1 + (n - df + 0.5) / (df + 0.5))
    }

    /// The passages matching `query`, best first.
    func search(_ query: String, limit: Int = 3) -> [Hit] {
        let queryTerms = Array(Set(GermanText.terms(query)))
        guard !queryTerms.isEmpty else { return [] }
        let totalWeight = queryTerms.reduce(0) { $0 + idf($1) }
        var hits: [Hit] = []
        for passage in passages {
            var counts: [String: Int] = [:]
            for term in passage.terms { counts[term, default: 0] += 1 }
            var score = 0.0, matchedWeight = 0.0
            for term in queryTerms {
                guard let f = counts[term].map(Double.init) else { continue }
                let length = Double(passage.terms.count)
                score += idf(term) * f * (k1 + 1) / (f + k1 * (1 - b + b * length / averageLength))
                matchedWeight += idf(term)
            }
            if score > 0 { hits.append(Hit(passage: passage, score: score, confidence: totalWeight > 0 ? matchedWeight / totalWeight : 0)) }
        }
        return Array(hits.sorted { $0.score > $1.score }.prefix(limit))
    }
}
