import Foundation
import Logging

/// Every plugin library found in the plugins directory, by id and version.
public final class PluginCatalog: @unchecked Sendable {
    public let directory: String
    /// The libraries that loaded, newest version last per id.
    public private(set) var plugins: [String: [LoadedPlugin]] = [:]
    /// The libraries that were refused, with the reason.
    public private(set) var failures: [(path: String, error: PluginLoadError)] = []

    /// Loads every `*.so` in `directory`. A refused library is logged and skipped; the others still load.
    public init(directory: String, logger: Logger) {
        self.directory = directory
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".so") {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let plugin = try PluginLoader.load(path: path)
                plugins[plugin.id, default: []].append(plugin)
                logger.info("loaded plugin", metadata: ["plugin": "\(plugin.id)", "version": "\(plugin.version)", "path": "\(path)"])
            } catch {
                failures.append((path, error))
                logger.warning("refused plugin library: \(error)")
            }
        }
        for (id, versions) in plugins {
            plugins[id] = versions.sorted { Self.compareVersions($0.version, $1.version) }
        }
    }

    /// The plugin with `id`, at `version` if given, else the newest.
    public func resolve(id: String, version: String? = nil) -> LoadedPlugin? {
        guard let versions = plugins[id] else { return nil }
        guard let version else { return versions.last }
        return versions.last { $0.version == version }
    }

    /// All loaded plugins, sorted by id then version.
    public var all: [LoadedPlugin] {
        plugins.keys.sorted().flatMap { plugins[$0] ?? [] }
    }

    /// Semantic-version order of "1.2.10" and "1.10.0".
    static func compareVersions(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: ".").map { Int($0) ?? 0 }, right = b.split(separator: ".").map { Int($0) ?? 0 }
        for (x, y) in zip(left, right) where x != y { return x < y }
        return left.count < right.count
    }
}
