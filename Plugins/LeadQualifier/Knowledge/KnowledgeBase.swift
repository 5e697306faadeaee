import Foundation
import PluginAPI

/// The approved knowledge files (seed 002 §7), read through `files.list` / `files.read` from the
/// tenant's knowledge folder and indexed with BM25; re-indexed when a file's `modified_at` changes.
final class KnowledgeBase {
    private let host: PluginAPI.Host
    private let folder: String
    private let approved: [String]
    private var versions: [String: Double] = [:]
    private(set) var index = BM25(passages: [])

    init(host: PluginAPI.Host, folder: String, approved: [String]) {
        self.host = host
        self.folder = folder
        self.approved = approved
    }

    /// Re-reads the files when any was added, changed or removed since the last index.
    func refresh() throws {
        let listed = try host.call("files.list", ["path": .string(folder)] as JSON)["files"]?.arrayValue ?? []
        var current: [String: Double] = [:]
        for file in listed {
            guard let name = file["name"]?.stringValue, approved.contains(name) else { continue }
            current[name] = file["modified_at"]?.doubleValue ?? 0
        }
        guard current != versions else { return }
        var passages: [BM25.Passage] = []
        for name in current.keys.sorted() {
            let content = try host.call("files.read", ["path": .string("\(folder)/\(name)")] as JSON)["content"]?.stringValue ?? ""
            passages += Self.passages(of: content, source: name)
        }
        index = BM25(passages: passages)
        versions = current
        host.log(.info, "knowledge indexed: \(passages.count) passages from \(current.count) files")
    }

    /// Paragraphs, each prefixed with the heading it sits under so the heading's words count.
    static func passages(of markdown: String, source: String) -> [BM25.Passage] {
        var passages: [BM25.Passage] = []
        var heading = ""
        for block in markdown.components(separatedBy: "\n\n") {
            let text = block.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            if text.hasPrefix("#") {
                let lines = text.split(separator: "\n", maxSplits: 1).map(String.init)
                heading = lines[0].trimmingCharacters(in: CharacterSet(charactersIn: "# "))
                guard lines.count > 1 else { continue }
                passages.append(passage(lines[1], heading: heading, source: source))
            } else {
                passages.append(passage(text, heading: heading, source: source))
            }
        }
        return passages
    }

    private static func passage(_ text: String, heading: String, source: String) -> BM25.Passage {
        BM25.Passage(source: source, text: text, terms: GermanText.terms(heading + " " + text))
    }
}
