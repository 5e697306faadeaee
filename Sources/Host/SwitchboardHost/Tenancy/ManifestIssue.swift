/// One problem found in a manifest, with the path of the offending node and, where known, its line.
public struct ManifestIssue: Error, Sendable, Encodable, Equatable, CustomStringConvertible {
    /// A path such as `plugins[0].id`; empty for the document itself.
    public let path: String
    /// 1-based line and column in the YAML text.
    public let line: Int?
    public let column: Int?
    public let message: String

    public var description: String {
        let location = line.map { "\($0):\(column ?? 1): " } ?? ""
        return "\(location)\(path.isEmpty ? "(document)" : path): \(message)"
    }
}

/// A manifest that failed validation, with every problem found.
public struct ManifestValidationError: Error, CustomStringConvertible {
    public let issues: [ManifestIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
