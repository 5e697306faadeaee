import Foundation
import Logging

/// Every plugin library found in the plugins directory, by id and version.
public final class PluginCatalog: @unchecked Sendable {
    public let directory: String
    /// The libraries that were refused, with the reason.
    public private(set) var failures: [(path: String, error: PluginLoadError)] = []
    private let lock = NSLock()
    private var versions: [String: [LoadedPlugin]] = [:]
    /// The file in `directory` that provided each plugin id's newest version: what `reload` reads again.
    private var sources: [String: String] = [:]

    /// Loads every `*.so` in `directory`. A refused library is logged and skipped; the others still load.
    public init(directory: String, logger: Logger) {
        self.directory = directory
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".so") {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                let plugin = try PluginLoader.load(path: path)
                versions[plugin.id, default: []].append(plugin)
                logger.info("loaded plugin", metadata: ["plugin": "\(plugin.id)", "version": "\(plugin.version)", "path": "\(path)"])
            } catch {
                failures.append((path, error))
                logger.warning("refused plugin library: \(error)")
            }
        }
        for (id, loaded) in versions {
            versions[id] = loaded.sorted { Self.compareVersions($0.version, $1.version) }
            sources[id] = versions[id]?.last?.path
        }
    }

    /// The libraries that loaded, newest version last per id.
    public var plugins: [String: [LoadedPlugin]] {
        lock.withLock { versions }
    }

    /// The plugin with `id`, at `version` if given, else the newest.
    public func resolve(id: String, version: String? = nil) -> LoadedPlugin? {
        guard let versions = plugins[id] else { return nil }
        guard let version else { return versions.last }
        return versions.last { $0.version == version }
    }

    /// All loaded plugins, sorted by id then version.
    public var all: [LoadedPlugin] {
        let plugins = self.plugins
        return plugins.keys.sorted().flatMap { plugins[$0] ?? [] }
    }

    /// Loads the file that provided plugin `id` again, e.g. after a new build was moved over it, and makes it the
    /// entry for its version. The file is copied to a unique temporary path first: `dlopen` caches libraries by
    /// path, and the old code stays mapped (libraries are never closed) for instances still using it.
    public func reload(id: String) throws(PluginLoadError) -> LoadedPlugin {
        guard let source = lock.withLock({ sources[id] }) else {
            throw .notALibrary(path: directory, reason: "no library in the plugins directory provided plugin \(id)")
        }
        let copies = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-plugins")
        let copy = copies.appendingPathComponent("\(UUID().uuidString)-\((source as NSString).lastPathComponent)").path
        do {
            try FileManager.default.createDirectory(at: copies, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source, toPath: copy)
        } catch {
            throw .notALibrary(path: source, reason: "it could not be copied for loading: \(error.localizedDescription)")
        }
        let plugin = try PluginLoader.load(path: copy)
        guard plugin.id == id else {
            throw .invalidDescriptor(path: source, reason: "it now declares plugin \(plugin.id), not \(id)")
        }
        lock.withLock {
            versions[id] = ((versions[id] ?? []).filter { $0.version != plugin.version } + [plugin])
                .sorted { Self.compareVersions($0.version, $1.version) }
        }
        return plugin
    }

    /// Semantic-version order of "1.2.10" and "1.10.0".
    static func compareVersions(_ a: String, _ b: String) -> Bool {
        let left = a.split(separator: ".").map { Int($0) ?? 0 }, right = b.split(separator: ".").map { Int($0) ?? 0 }
        for (x, y) in zip(left, right) where x != y { return x < y }
        return left.count < right.count
    }
}
