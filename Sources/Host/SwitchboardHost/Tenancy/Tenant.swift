import Foundation
import SwitchboardJSON

/// A tenant as the host serves it: its manifest and its running plugin instances.
public final class Tenant: Sendable {
    public let manifest: TenantManifest
    public let instances: [PluginInstance]
    public let services: HostServices
    /// The built-in roles plus the manifest's.
    public let roles: RoleBook
    /// Every plugin route of this tenant, with the instance that serves it.
    let routes: [(route: PluginRoute, instance: PluginInstance)]
    /// The tenant folder's `logo.svg` or `logo.png`, found when the tenant starts (a new logo shows after
    /// the tenant's next change or restart).
    public let logoFile: String?
    /// Each plugin and the events it subscribed to: who gets an event recorded for this tenant.
    let eventSubscribers: [EventSubscriber]

    public var slug: String { manifest.slug }

    init(manifest: TenantManifest, instances: [PluginInstance], services: HostServices) {
        self.manifest = manifest
        self.instances = instances
        self.services = services
        self.roles = RoleBook(extra: manifest.roles)
        self.routes = instances.flatMap { instance in instance.plugin.routes.map { ($0, instance) } }
        self.eventSubscribers = instances.map { EventSubscriber(pluginID: $0.plugin.id, subscription: $0.plugin.subscription) }
        self.logoFile = services.tenantFilesRoot.flatMap { root in
            ["logo.svg", "logo.png"].map { "\(root)/\(manifest.slug)/\($0)" }.first { FileManager.default.fileExists(atPath: $0) }
        }
    }

    /// The plugin route matching a request, with its path parameters.
    func route(method: String, path: String) -> (route: PluginRoute, instance: PluginInstance, parameters: [String: String])? {
        for (route, instance) in routes where route.method == method {
            if let parameters = route.match(path) { return (route, instance, parameters) }
        }
        return nil
    }

    /// Whether any plugin route has this path under another method (for 405 answers).
    func hasRoute(path: String) -> Bool {
        routes.contains { $0.route.match(path) != nil }
    }

    public var database: Database { services.database }
    public var credentials: CredentialStore { services.credentials }
    public var automation: AutomationEngine { AutomationEngine(services: services) }

    /// The same tenant with `instance` in place of the one of its plugin (a hot swap).
    func replacing(_ instance: PluginInstance) -> Tenant {
        Tenant(manifest: manifest, instances: instances.map { $0.plugin.id == instance.plugin.id ? instance : $0 }, services: services)
    }

    /// The instance of plugin `id`, if this tenant runs it.
    public func instance(of pluginID: String) -> PluginInstance? {
        instances.first { $0.plugin.id == pluginID }
    }
}
