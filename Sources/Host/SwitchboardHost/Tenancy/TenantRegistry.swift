import Foundation
import Logging
import SwitchboardJSON

/// The tenants this host serves, found by domain.
///
/// The database's `tenants` table is the source of truth: manifests from the
/// tenants directory are applied to it at start, the admin API and
/// `switchboard tenants apply` write to it, and `sync()` picks up what other
/// hosts or the CLI changed. A tenant whose manifest or plugins fail is
/// reported and skipped; the others keep running.
public final class TenantRegistry: @unchecked Sendable {
    public let catalog: PluginCatalog
    public let services: HostServices
    /// How `isolation: process` plugins run.
    public let isolation: IsolationSettings
    private let logger: Logger
    private let lock = NSLock()
    private var bySlug: [String: Tenant] = [:]
    private var byDomain: [String: Tenant] = [:]
    /// Why a stored tenant is not running, by slug.
    private var problems: [String: String] = [:]
    /// The `updated_at` of the stored manifest that last failed to start, by slug: not retried until it changes.
    private var failedAt: [String: Int64] = [:]
    /// How far back each sync looks before the newest change it has seen.
    static let syncOverlapMillis: Int64 = 10_000
    /// The newest `updated_at` this host has applied.
    private var syncedThrough: Int64 = -1
    private let reloadLog: PluginReloadLog
    /// The reload generation of each tenant's plugin this host runs (`PluginReloadLog.Entry.key`).
    private var runningGenerations: [String: Int64] = [:]
    /// The newest reload this host has applied; `nil` before the first sync.
    private var reloadsSyncedThrough: Int64?

    public init(catalog: PluginCatalog, services: HostServices, isolation: IsolationSettings = IsolationSettings()) {
        self.catalog = catalog
        self.services = services
        self.isolation = isolation
        self.logger = services.logger
        self.reloadLog = PluginReloadLog(database: services.database)
        services.events.route { [weak self] slug in self?.tenant(slug: slug)?.eventSubscribers ?? [] }
    }

    // MARK: Lookup

    /// The active tenant that serves `host` (a Host header value; any port is ignored).
    public func tenant(forHost host: String) -> Tenant? {
        let name = Self.hostName(host)
        return lock.withLock { byDomain[name] }
    }

    public func tenant(slug: String) -> Tenant? {
        lock.withLock { bySlug[slug] }
    }

    public var active: [Tenant] {
        lock.withLock { bySlug.values.sorted { $0.slug < $1.slug } }
    }

    /// Lowercases a Host header value and strips its port.
    static func hostName(_ host: String) -> String {
        var name = host.lowercased()
        if name.hasPrefix("[") { return name }  // IPv6 literal: never a tenant domain
        if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        return name.hasSuffix(".") ? String(name.dropLast()) : name
    }

    /// A validator that knows the domains of every stored tenant.
    public func validator() throws -> ManifestValidator {
        var taken: [String: String] = [:]
        for row in try storedTenants() where row.status == "active" {
            guard let manifest = try? ManifestParser.parse(row.manifest).0 else { continue }
            for domain in manifest.domains { taken[domain] = manifest.slug }
        }
        return ManifestValidator(catalog: catalog, takenDomains: taken)
    }

    // MARK: Changes

    /// Stores every `*.yaml` manifest in `directory` (keeping a disabled tenant disabled), then activates
    /// all stored tenants. Returns the problems found, by file or slug.
    @discardableResult
    public func bootstrap(directory: String?) throws -> [String: String] {
        var report: [String: String] = [:]
        if let directory {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            // One validator for the whole directory, told of each stored manifest's domains as it goes.
            var validator = try self.validator()
            for file in files.sorted() where file.hasSuffix(".yaml") || file.hasSuffix(".yml") {
                let path = (directory as NSString).appendingPathComponent(file)
                do {
                    let yaml = try String(contentsOfFile: path, encoding: .utf8)
                    let manifest = try validator.validate(yaml: yaml)
                    try store(manifest, actor: "system:tenants-dir", keepStatus: true)
                    for domain in manifest.domains { validator.takenDomains[domain] = manifest.slug }
                } catch {
                    report[path] = "\(error)"
                    logger.error("tenant manifest refused", metadata: ["file": "\(path)", "error": "\(error)"])
                }
            }
        }
        try sync()
        lock.withLock { for (slug, problem) in problems { report[slug] = problem } }
        return report
    }

    /// Validates, stores and activates a manifest at once. Throws `ManifestValidationError` or
    /// `PluginInstanceError`; on any error nothing is stored.
    @discardableResult
    public func onboard(yaml: String, actor: String) throws -> Tenant {
        let manifest = try validator().validate(yaml: yaml)
        let tenant = try start(manifest)
        try store(manifest, actor: actor, keepStatus: false)
        activate(tenant)
        return tenant
    }

    /// Disables a tenant: it stops answering on its domains at once. Returns false if unknown.
    @discardableResult
    public func disable(slug: String, actor: String) throws -> Bool {
        let changed = try services.database.transaction { connection in
            let count = try connection.execute(
                "UPDATE tenants SET status = 'disabled', updated_at = $2 WHERE tenant_id = $1",
                [.text(slug), .integer(Clock.nowMillis())])
            if count > 0 {
                try services.audit.record(tenantID: slug, actor: actor, action: "tenant_disabled", subject: slug, in: connection)
            }
            return count > 0
        }
        if changed { deactivate(slug: slug) }
        return changed
    }

    /// Applies tenants stored or changed since the last sync (by this host, another host or the CLI).
    public func sync() throws {
        let since = lock.withLock { syncedThrough }
        // Look a little further back than the newest change seen: another host's transaction can commit
        // after one with a later timestamp. Rows this host already runs unchanged are skipped below.
        let rows = try storedTenants(updatedAfter: since - Self.syncOverlapMillis)
        for row in rows {
            if row.status != "active" {
                deactivate(slug: row.slug)
                continue
            }
            if let running = tenant(slug: row.slug), running.manifest.source == row.manifest { continue }
            if lock.withLock({ failedAt[row.slug] }) == row.updatedAt { continue }
            do {
                let manifest = try ManifestParser.parse(row.manifest).0
                activate(try start(manifest))
                lock.withLock { _ = problems.removeValue(forKey: row.slug) }
            } catch {
                lock.withLock {
                    problems[row.slug] = "\(error)"
                    failedAt[row.slug] = row.updatedAt
                }
                logger.error("tenant not started", metadata: ["tenant": "\(row.slug)", "error": "\(error)"])
            }
        }
        if let newest = rows.map(\.updatedAt).max() {
            lock.withLock { syncedThrough = max(syncedThrough, newest) }
        }
        try syncReloads()
    }

    /// Hot swap: loads the current build of `pluginID` from the plugins directory and switches the running tenant to a
    /// new instance of it, without a restart. Requests already inside the old instance finish there; it is destroyed
    /// when the last of them lets go of it. Throws `PluginLoadError` or `PluginInstanceError`; on error nothing changes.
    /// The reload is recorded in the database, and every other host sharing it reloads the plugin at its next sync.
    @discardableResult
    public func reload(_ running: Tenant, pluginID: String, actor: String) throws -> PluginInstance {
        let (instance, previous) = try swap(running, pluginID: pluginID)
        let generation = try services.database.transaction { connection in
            try audit(reloadOf: instance, previous: previous, tenantID: running.slug, actor: actor, in: connection)
            try services.events.record(
                EventDraft(
                    EventCatalogue.pluginReloaded,
                    data: ["plugin": .string(pluginID), "from": .string(previous), "to": .string(instance.plugin.version)]),
                tenantID: running.slug, actor: Actor(actor), in: connection)
            return try reloadLog.recordReload(tenantID: running.slug, pluginID: pluginID, in: connection)
        }
        lock.withLock { runningGenerations[PluginReloadLog.Entry.key(tenantID: running.slug, pluginID: pluginID)] = generation }
        return instance
    }

    /// Switches `running` to a new instance of the plugins directory's current build of `pluginID`.
    /// Returns the instance and the version it replaced.
    private func swap(_ running: Tenant, pluginID: String) throws -> (PluginInstance, previous: String) {
        guard let reference = running.manifest.plugins.first(where: { $0.id == pluginID }) else {
            throw PluginInstanceError(pluginID: pluginID, tenantID: running.slug, message: "the tenant does not run this plugin")
        }
        let plugin = try catalog.reload(id: pluginID)
        if let pinned = reference.version, pinned != plugin.version {
            throw PluginInstanceError(
                pluginID: pluginID, tenantID: running.slug, message: "the manifest pins version \(pinned), but the library is \(plugin.version)")
        }
        let instance = try makeInstance(plugin, reference, manifest: running.manifest)
        let swapped = running.replacing(instance)
        let current = lock.withLock {
            guard bySlug[running.slug] === running else { return false }
            bySlug[running.slug] = swapped
            for domain in running.manifest.domains where byDomain[domain] === running { byDomain[domain] = swapped }
            return true
        }
        guard current else {
            throw PluginInstanceError(pluginID: pluginID, tenantID: running.slug, message: "the tenant changed during the reload; try again")
        }
        return (instance, running.instance(of: pluginID)?.plugin.version ?? "")
    }

    private func audit(reloadOf instance: PluginInstance, previous: String, tenantID: String, actor: String, in connection: SQLConnection) throws {
        try services.audit.record(
            tenantID: tenantID, actor: actor, action: "plugin_reloaded", subject: instance.plugin.id,
            details: ["from": .string(previous), "to": .string(instance.plugin.version), "isolation": .string(instance.isolation.name)],
            in: connection)
        logger.info("plugin reloaded", metadata: [
            "tenant": "\(tenantID)", "plugin": "\(instance.plugin.id)", "from": "\(previous)", "to": "\(instance.plugin.version)",
        ])
    }

    /// Reloads the plugins another host reloaded since the last sync, as `PluginReloadLog` records them.
    /// The first sync only notes the generations: the tenants it started loaded the current libraries.
    private func syncReloads() throws {
        let since = lock.withLock { reloadsSyncedThrough }
        let entries = try reloadLog.entries(updatedAfter: (since ?? 0) - Self.syncOverlapMillis)
        for entry in entries where lock.withLock({ (runningGenerations[entry.key] ?? 0) < entry.generation }) {
            if since != nil, let running = tenant(slug: entry.tenantID), running.instance(of: entry.pluginID) != nil {
                do {
                    let (instance, previous) = try swap(running, pluginID: entry.pluginID)
                    try services.database.transaction { connection in
                        try audit(reloadOf: instance, previous: previous, tenantID: entry.tenantID, actor: "platform-admin (through another host)", in: connection)
                    }
                } catch {
                    logger.error("could not reload a plugin another host reloaded", metadata: [
                        "tenant": "\(entry.tenantID)", "plugin": "\(entry.pluginID)", "error": "\(error)",
                    ])
                }
            }
            lock.withLock { runningGenerations[entry.key] = entry.generation }
        }
        let newest = entries.map(\.updatedAt).max() ?? 0
        lock.withLock { reloadsSyncedThrough = max(reloadsSyncedThrough ?? 0, newest) }
    }

    // MARK: Status

    /// One stored tenant as the admin API lists it.
    public struct Status: Encodable, Sendable {
        public let slug: String
        public let name: String
        public let domains: [String]
        public let status: String
        public let running: Bool
        public let plugins: [String]
        public let problem: String?
    }

    /// Every stored tenant's status. A running tenant's manifest is the parsed one it runs; only the others
    /// are parsed again, so the list costs no YAML parsing for a host whose tenants all run.
    public func statuses() throws -> [Status] {
        try storedTenants().map(status)
    }

    /// One stored tenant's status, or `nil` for an unknown slug.
    public func status(slug: String) throws -> Status? {
        try storedTenants(slug: slug).first.map(status)
    }

    /// Why active tenants are not running, by slug: what `/readyz` reports, without reading the database.
    public var startProblems: [String: String] {
        lock.withLock { problems }
    }

    private func status(_ row: StoredTenant) -> Status {
        let running = tenant(slug: row.slug)
        let manifest = running.flatMap { $0.manifest.source == row.manifest ? $0.manifest : nil }
            ?? (try? ManifestParser.parse(row.manifest).0)
        return Status(
            slug: row.slug, name: manifest?.name ?? row.slug, domains: manifest?.domains ?? [], status: row.status,
            running: running != nil,
            plugins: running?.instances.map { "\($0.plugin.id)@\($0.plugin.version)" } ?? [],
            problem: lock.withLock { problems[row.slug] })
    }

    // MARK: Internals

    private struct StoredTenant {
        let slug: String
        let manifest: String
        let status: String
        let updatedAt: Int64
    }

    /// The stored tenants changed after `updatedAfter`, or the one with `slug` (whenever it changed).
    private func storedTenants(updatedAfter: Int64 = -1, slug: String? = nil) throws -> [StoredTenant] {
        let columns = "SELECT tenant_id, manifest, status, updated_at FROM tenants"
        return try services.database.read { connection in
            if let slug {
                return try connection.query("\(columns) WHERE tenant_id = $1", [.text(slug)])
            }
            return try connection.query("\(columns) WHERE updated_at > $1 ORDER BY tenant_id", [.integer(updatedAfter)])
        }.map {
            StoredTenant(
                slug: $0.string("tenant_id") ?? "", manifest: $0.string("manifest") ?? "",
                status: $0.string("status") ?? "disabled", updatedAt: $0.int("updated_at") ?? 0)
        }
    }

    /// Upserts a manifest. With `keepStatus`, an existing tenant keeps its status; otherwise it becomes active.
    private func store(_ manifest: TenantManifest, actor: String, keepStatus: Bool) throws {
        try services.database.transaction { connection in
            let existing = try connection.query(
                "SELECT manifest, status FROM tenants WHERE tenant_id = $1", [.text(manifest.slug)]
            ).first
            if keepStatus, existing?.string("manifest") == manifest.source { return }
            let now = Clock.nowMillis()
            let status = keepStatus ? (existing?.string("status") ?? "active") : "active"
            try connection.execute(
                """
                INSERT INTO tenants (tenant_id, manifest, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)
                ON CONFLICT (tenant_id) DO UPDATE SET manifest = excluded.manifest, status = excluded.status,
                    updated_at = excluded.updated_at
                """,
                [.text(manifest.slug), .text(manifest.source), .text(status), .integer(now)])
            try services.audit.record(
                tenantID: manifest.slug, actor: actor, action: existing == nil ? "tenant_onboarded" : "tenant_updated",
                subject: manifest.slug,
                details: .object(["plugins": .array(manifest.plugins.map { .string($0.id) }), "status": .string(status)]),
                in: connection)
        }
    }

    /// Creates the plugin instances of a manifest. Nothing is registered yet.
    private func start(_ manifest: TenantManifest) throws -> Tenant {
        var instances: [PluginInstance] = []
        for reference in manifest.plugins {
            guard let plugin = catalog.resolve(id: reference.id, version: reference.version) else {
                throw PluginInstanceError(pluginID: reference.id, tenantID: manifest.slug, message: "the plugin is not loaded on this host")
            }
            instances.append(try makeInstance(plugin, reference, manifest: manifest))
        }
        return Tenant(manifest: manifest, instances: instances, services: services)
    }

    private func makeInstance(_ plugin: LoadedPlugin, _ reference: TenantManifest.PluginReference, manifest: TenantManifest) throws -> PluginInstance {
        let slug = manifest.slug
        return try PluginInstance(
            plugin: plugin, tenant: manifest, config: reference.config, services: services,
            runningTenant: { [weak self] in self?.tenant(slug: slug) }, isolation: reference.isolation, settings: isolation)
    }

    private func activate(_ tenant: Tenant) {
        do {
            try services.automation.syncManifestRules(tenantID: tenant.slug, rules: tenant.manifest.automationRules)
        } catch {
            logger.error("manifest automation rules not stored", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
        }
        do {
            try OutlookSubscriptionJob.bootstrap(tenant: tenant, services: services)
        } catch {
            logger.error("Outlook subscription job not queued", metadata: ["tenant": "\(tenant.slug)", "error": "\(error)"])
        }
        lock.withLock {
            if let old = bySlug[tenant.slug] {
                for domain in old.manifest.domains where byDomain[domain] === old { byDomain[domain] = nil }
            }
            bySlug[tenant.slug] = tenant
            for domain in tenant.manifest.domains { byDomain[domain] = tenant }
            problems[tenant.slug] = nil
        }
        logger.info("tenant active", metadata: [
            "tenant": "\(tenant.slug)", "domains": "\(tenant.manifest.domains.joined(separator: ","))",
            "plugins": "\(tenant.instances.map { $0.plugin.id }.joined(separator: ","))",
        ])
    }

    private func deactivate(slug: String) {
        lock.withLock {
            guard let old = bySlug.removeValue(forKey: slug) else { return }
            for domain in old.manifest.domains where byDomain[domain] === old { byDomain[domain] = nil }
            problems[slug] = nil
        }
    }
}
