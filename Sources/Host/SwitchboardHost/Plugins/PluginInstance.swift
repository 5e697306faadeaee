import CPluginABI
import Foundation
import Logging
import SwitchboardJSON

/// One plugin's instance for one tenant. Calls into it are serialised, and every
/// buffer it returns is copied and handed back to its own `free_bytes`.
public final class PluginInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    public let tenantID: String
    private let handle: OpaquePointer
    private let context: Unmanaged<HostContext>
    private let lock = NSLock()

    /// The result of a call: the ABI status and the JSON (or error body) the plugin returned.
    public struct CallResult: Sendable {
        public let status: Int32
        public let body: [UInt8]
        public var ok: Bool { status == SB_OK }

        /// The body as JSON; `null` when empty or not JSON.
        public var json: JSON { body.isEmpty ? .null : (try? JSON.parse(bytes: body)) ?? .null }

        /// The error message of a failed call.
        public var errorMessage: String {
            json["message"]?.stringValue ?? "plugin call failed with status \(status)"
        }
    }

    /// Creates the instance for `tenant`, passing it the tenant's summary and this plugin's config.
    public init(
        plugin: LoadedPlugin, tenant: TenantManifest, config: JSON, services: HostServices,
        runningTenant: @escaping @Sendable () -> Tenant? = { nil }
    ) throws(PluginInstanceError) {
        let hostContext = HostContext(
            tenantID: tenant.slug, pluginID: plugin.id, egress: EgressPolicy(allowed: tenant.egress), services: services,
            tenant: runningTenant)
        let retained = Unmanaged.passRetained(hostContext)
        let tenantJSON = (try? JSON.object([
            "slug": .string(tenant.slug), "name": .string(tenant.name), "timezone": .string(tenant.timezone),
            "locale": .string(tenant.locale), "branding": JSON(encoding: tenant.branding),
        ]).serializedBytes()) ?? []
        let configJSON = (try? Self.resolvingSecrets(config, logger: hostContext.logger).serializedBytes()) ?? []
        var instance: OpaquePointer?
        var error = sb_owned_bytes()
        let status = tenantJSON.withUnsafeBufferPointer { t in
            configJSON.withUnsafeBufferPointer { c in
                plugin.descriptor.pointee.create_instance(
                    HostAPITable.shared, OpaquePointer(retained.toOpaque()),
                    sb_bytes(ptr: t.baseAddress, len: t.count), sb_bytes(ptr: c.baseAddress, len: c.count),
                    &instance, &error)
            }
        }
        let errorBody = Self.take(&error, plugin)
        guard status == SB_OK, let instance else {
            retained.release()
            let message = (try? JSON.parse(bytes: errorBody))?["message"]?.stringValue ?? "status \(status)"
            throw PluginInstanceError(pluginID: plugin.id, tenantID: tenant.slug, message: message)
        }
        self.plugin = plugin
        self.tenantID = tenant.slug
        self.handle = instance
        self.context = retained
    }

    /// The config with every `env:VARIABLE` string replaced by the variable's value, so secrets reach the
    /// plugin without being written in the manifest. An unset variable becomes `null`, with a warning.
    static func resolvingSecrets(_ config: JSON, logger: Logger, environment: [String: String] = SecretEnvironment.current) -> JSON {
        switch config {
        case .string(let text) where ManifestParser.isEnvReference(text):
            let variable = String(text.dropFirst("env:".count))
            guard let value = environment[variable] else {
                logger.warning("plugin config names an unset environment variable", metadata: ["variable": "\(variable)"])
                return .null
            }
            return .string(value)
        case .array(let items): return .array(items.map { resolvingSecrets($0, logger: logger, environment: environment) })
        case .object(let members): return .object(members.mapValues { resolvingSecrets($0, logger: logger, environment: environment) })
        default: return config
        }
    }

    deinit {
        lock.withLock { plugin.descriptor.pointee.destroy_instance(handle) }
        context.release()
    }

    public func handleEvent(_ event: JSON) -> CallResult {
        call(plugin.descriptor.pointee.handle_event, event)
    }

    public func handleHTTP(_ request: JSON) -> CallResult {
        call(plugin.descriptor.pointee.handle_http, request)
    }

    public func runJob(_ job: JSON) -> CallResult {
        call(plugin.descriptor.pointee.run_job, job)
    }

    public func queryAnalytics(_ query: JSON) -> CallResult {
        call(plugin.descriptor.pointee.query_analytics, query)
    }

    public typealias PluginFunction = @convention(c) (OpaquePointer?, sb_bytes, UnsafeMutablePointer<sb_owned_bytes>?) -> sb_status

    private func call(_ function: PluginFunction?, _ input: JSON) -> CallResult {
        guard let function else {
            return CallResult(status: SB_UNSUPPORTED, body: Array(#"{"code":"unsupported","message":"the plugin does not implement this call"}"#.utf8))
        }
        let bytes = (try? input.serializedBytes()) ?? []
        var out = sb_owned_bytes()
        let status = lock.withLock {
            bytes.withUnsafeBufferPointer { function(handle, sb_bytes(ptr: $0.baseAddress, len: $0.count), &out) }
        }
        return CallResult(status: status, body: Self.take(&out, plugin))
    }

    /// Copies a plugin-owned buffer and frees it through the plugin's own `free_bytes`.
    private static func take(_ buffer: inout sb_owned_bytes, _ plugin: LoadedPlugin) -> [UInt8] {
        defer {
            if buffer.ptr != nil { plugin.descriptor.pointee.free_bytes(buffer) }
            buffer = sb_owned_bytes()
        }
        guard let ptr = buffer.ptr, buffer.len > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: ptr, count: buffer.len))
    }
}

/// A plugin refused to create its instance for a tenant.
public struct PluginInstanceError: Error, CustomStringConvertible, Sendable {
    public let pluginID: String
    public let tenantID: String
    public let message: String
    public var description: String { "plugin \(pluginID) could not start for tenant \(tenantID): \(message)" }
}
