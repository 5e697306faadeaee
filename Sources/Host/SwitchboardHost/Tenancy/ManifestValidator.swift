import Yams

/// Checks a parsed manifest against the running host: its plugins must be loaded,
/// its domains free, and its plugins' routes must not clash.
public struct ManifestValidator {
    public let catalog: PluginCatalog
    /// Domains already served, mapped to the tenant that owns them.
    public var takenDomains: [String: String]

    public init(catalog: PluginCatalog, takenDomains: [String: String]) {
        self.catalog = catalog
        self.takenDomains = takenDomains
    }

    /// Parses and validates YAML; throws `ManifestValidationError` with every problem.
    public func validate(yaml: String) throws -> TenantManifest {
        let parsed = ManifestParser.parseCollectingIssues(yaml)
        guard let manifest = parsed.manifest else { throw ManifestValidationError(issues: parsed.issues) }
        let marks = parsed.marks
        var issues = parsed.issues
        func issue(_ path: String, _ message: String) {
            let mark = marks[path]
            issues.append(ManifestIssue(path: path, line: mark?.line, column: mark?.column, message: message))
        }
        for (index, domain) in manifest.domains.enumerated() {
            if let owner = takenDomains[domain], owner != manifest.slug {
                issue("domains[\(index)]", "\(domain) is already served by tenant \(owner)")
            }
        }
        var claimed: [(route: PluginRoute, plugin: String)] = []
        for (index, reference) in manifest.plugins.enumerated() {
            guard let plugin = catalog.resolve(id: reference.id, version: reference.version) else {
                let known = catalog.plugins.keys.sorted().joined(separator: ", ")
                let versions = catalog.plugins[reference.id]?.map(\.version).joined(separator: ", ")
                let message =
                    versions.map { "plugin \(reference.id) has no version \(reference.version ?? "") (loaded: \($0))" }
                    ?? "unknown plugin \"\(reference.id)\" (loaded: \(known.isEmpty ? "none" : known))"
                issue(reference.version != nil && versions != nil ? "plugins[\(index)].version" : "plugins[\(index)].id", message)
                continue
            }
            for route in plugin.routes {
                if let other = claimed.first(where: { $0.route.clashes(with: route) }) {
                    issue("plugins[\(index)].id", "route \(route.method) \(route.path) of \(plugin.id) clashes with \(other.route.path) of \(other.plugin)")
                }
                claimed.append((route, plugin.id))
            }
        }
        guard issues.isEmpty else {
            throw ManifestValidationError(issues: issues.sorted { ($0.line ?? 0, $0.column ?? 0) < ($1.line ?? 0, $1.column ?? 0) })
        }
        return manifest
    }
}
