import CPluginABI
import Foundation
import SwitchboardJSON

#if canImport(Glibc)
import Glibc
#endif

/// Opens plugin libraries and checks them before anything else touches them.
///
/// Libraries are opened `RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE` and never closed:
/// Swift code cannot be unloaded safely, so a newer version is loaded beside the old one.
public enum PluginLoader {
    /// The descriptor size of ABI 1.0; older plugins are never smaller than this.
    static let descriptorSizeV1_0 = 96

    public static func load(path: String) throws(PluginLoadError) -> LoadedPlugin {
        // dlopen searches the system library path for a bare file name: always hand it a full path.
        let path = URL(fileURLWithPath: path).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw .notALibrary(path: path, reason: "no such file")
        }
        _ = dlerror()
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE) else {
            let reason = dlerror().map { String(cString: $0) } ?? "dlopen failed"
            throw .notALibrary(path: path, reason: reason)
        }
        guard let symbol = dlsym(handle, SB_PLUGIN_ENTRY_SYMBOL) else {
            throw .missingEntrySymbol(path: path, symbol: SB_PLUGIN_ENTRY_SYMBOL)
        }
        let entry = unsafeBitCast(symbol, to: sb_plugin_entry_fn.self)
        guard let descriptor = entry(UInt16(SB_ABI_MAJOR), UInt16(SB_ABI_MINOR)) else {
            throw .entryReturnedNull(path: path)
        }
        return try check(descriptor, path: path)
    }

    /// Validates a descriptor: ABI version, size, required functions, capabilities and routes.
    static func check(_ descriptor: UnsafePointer<sb_plugin_descriptor>, path: String) throws(PluginLoadError) -> LoadedPlugin {
        let d = descriptor.pointee
        guard Int32(d.abi_major) == SB_ABI_MAJOR else {
            throw .abiMismatch(path: path, plugin: "\(d.abi_major).\(d.abi_minor)", hostMajor: Int(SB_ABI_MAJOR), hostMinor: Int(SB_ABI_MINOR))
        }
        guard Int(d.struct_size) >= descriptorSizeV1_0 else {
            throw .descriptorTooSmall(path: path, size: Int(d.struct_size), required: descriptorSizeV1_0)
        }
        let required: [(String, Bool)] = [
            ("create_instance", d.create_instance != nil), ("destroy_instance", d.destroy_instance != nil),
            ("handle_event", d.handle_event != nil), ("free_bytes", d.free_bytes != nil),
            ("plugin_id", d.plugin_id != nil), ("plugin_version", d.plugin_version != nil),
        ]
        if let missing = required.first(where: { !$0.1 }) {
            throw .missingFunction(path: path, name: missing.0)
        }
        let id = String(cString: d.plugin_id)
        guard id.range(of: #"^[a-z0-9][a-z0-9-]{0,62}$"#, options: .regularExpression) != nil else {
            throw .invalidDescriptor(path: path, reason: "plugin id \"\(id)\" must be lowercase letters, digits and '-'")
        }
        let capabilities = PluginCapabilities(rawValue: d.capabilities)
        let needs: [(PluginCapabilities, String, String, Bool)] = [
            (.httpRoutes, "http_routes", "handle_http", d.handle_http != nil),
            (.jobs, "jobs", "run_job", d.run_job != nil),
            (.analytics, "analytics", "query_analytics", d.query_analytics != nil),
        ]
        for (capability, name, function, present) in needs where capabilities.contains(capability) && !present {
            throw .capabilityWithoutFunction(path: path, capability: name, function: function)
        }
        let routes = try parseRoutes(d.routes_json, path: path)
        if !routes.isEmpty && !capabilities.contains(.httpRoutes) {
            throw .invalidDescriptor(path: path, reason: "it declares routes without the http_routes capability")
        }
        let minHostMinor = covers(descriptor, \.min_host_minor) ? Int(d.min_host_minor) : 0
        if minHostMinor > Int(SB_ABI_MINOR) {
            throw .needsNewerHost(path: path, minor: minHostMinor, hostMajor: Int(SB_ABI_MAJOR), hostMinor: Int(SB_ABI_MINOR))
        }
        let declared = covers(descriptor, \.subscriptions_json) ? d.subscriptions_json : nil
        let subscription = try parseSubscriptions(declared, path: path) ?? .legacy(flows: capabilities.contains(.flows))
        return LoadedPlugin(path: path, descriptor: descriptor, routes: routes, subscription: subscription, minHostMinor: minHostMinor)
    }

    /// Whether the descriptor, as large as the plugin compiled it, has `member` (`SB_HAS_MEMBER`).
    private static func covers<T>(_ descriptor: UnsafePointer<sb_plugin_descriptor>, _ member: KeyPath<sb_plugin_descriptor, T>) -> Bool {
        guard let offset = MemoryLayout<sb_plugin_descriptor>.offset(of: member) else { return false }
        return Int(descriptor.pointee.struct_size) >= offset + MemoryLayout<T>.size
    }

    /// The events a 1.3 plugin subscribed to; nil when it left `subscriptions_json` NULL.
    private static func parseSubscriptions(_ json: UnsafePointer<CChar>?, path: String) throws(PluginLoadError) -> EventSubscription? {
        guard let json else { return nil }
        guard let patterns = (try? JSON.parse(String(cString: json)))?.arrayValue?.map(\.stringValue), patterns.allSatisfy({ $0 != nil }) else {
            throw .invalidDescriptor(path: path, reason: "subscriptions_json is not a JSON list of event names")
        }
        do {
            return try EventSubscription(patterns: patterns.compactMap { $0 })
        } catch {
            throw .invalidDescriptor(path: path, reason: error.description)
        }
    }

    private static func parseRoutes(_ json: UnsafePointer<CChar>?, path: String) throws(PluginLoadError) -> [PluginRoute] {
        guard let json else { return [] }
        let routes: [PluginRoute]
        do {
            routes = try JSONDecoder().decode([PluginRoute].self, from: Data(String(cString: json).utf8))
        } catch {
            throw .invalidDescriptor(path: path, reason: "routes_json is not a list of {method, path, permission}: \(error)")
        }
        for route in routes {
            if let problem = route.problem { throw .invalidDescriptor(path: path, reason: problem) }
        }
        return routes
    }
}
