import Foundation
import Logging
import SwitchboardJSON

/// What an `sb_host_ctx *` points at: one plugin instance's binding to one tenant.
///
/// Every host API call derives the tenant from here, never from anything the plugin passes.
final class HostContext: @unchecked Sendable {
    let tenantID: String
    let pluginID: String
    let egress: EgressPolicy
    let services: HostServices
    let logger: Logger
    /// Finds the running tenant, for calls that need its manifest (sending through the policy).
    let tenant: @Sendable () -> Tenant?
    /// How long one call of the instance may take; an outbound `http_request` gets no longer than that.
    var callBudget: Duration = .seconds(10)

    init(tenantID: String, pluginID: String, egress: EgressPolicy, services: HostServices, tenant: @escaping @Sendable () -> Tenant?) {
        self.tenantID = tenantID
        self.pluginID = pluginID
        self.egress = egress
        self.services = services
        self.tenant = tenant
        var logger = services.logger
        logger[metadataKey: "tenant"] = "\(tenantID)"
        logger[metadataKey: "plugin"] = "\(pluginID)"
        self.logger = logger
    }

    var recordScope: RecordStore.Scope { RecordStore.Scope(tenantID: tenantID, pluginID: pluginID) }

    /// The plugin, as the events of its changes name it.
    var actor: Actor { .plugin(pluginID) }

    /// A plugin's job unique key, namespaced so two plugins of one tenant never share one.
    func pluginUniqueKey(_ key: String) -> String { "\(pluginID):\(key)" }
}

/// The hosts a tenant's plugins may reach, from the manifest's `egress` list.
struct EgressPolicy: Sendable {
    let allowed: [String]

    /// Whether `url` is http(s) to an allowed host (`*.example.com` allows its subdomains). An entry
    /// without a port allows the scheme's default port only; `host:port` allows that port.
    func permits(_ url: String) -> Bool {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host?.lowercased()
        else { return false }
        let defaultPort = scheme == "https" ? 443 : 80
        let port = components.port ?? defaultPort
        return allowed.contains { entry in
            var entry = entry.lowercased()
            var entryPort = defaultPort
            if let colon = entry.lastIndex(of: ":"), let number = Int(entry[entry.index(after: colon)...]) {
                entryPort = number
                entry = String(entry[..<colon])
            }
            guard port == entryPort else { return false }
            if entry.hasPrefix("*.") { return host.hasSuffix(String(entry.dropFirst(1))) }
            return entry == host
        }
    }
}
