import CPluginABI
import Foundation
import Logging
import SwitchboardJSON

/// One plugin's instance for one tenant, running inside the host (`isolation: inline`) or in a worker
/// process (`isolation: process`); callers cannot tell the difference.
public final class PluginInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    public let tenantID: String
    public let isolation: PluginIsolation
    private let backend: any PluginBackend

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

        /// A failed call with `{code, message}` as its body.
        static func failure(_ status: Int32, code: String, message: String) -> CallResult {
            CallResult(status: status, body: (try? JSON.object(["code": .string(code), "message": .string(message)]).serializedBytes()) ?? [])
        }

        static let unsupported = failure(SB_UNSUPPORTED, code: "unsupported", message: "the plugin does not implement this call")
    }

    /// Creates the instance for `tenant`, passing it the tenant's summary and this plugin's config.
    /// With `.process` isolation the instance lives in a worker process started from `settings.workerExecutable`.
    public init(
        plugin: LoadedPlugin, tenant: TenantManifest, config: JSON, services: HostServices,
        runningTenant: @escaping @Sendable () -> Tenant? = { nil },
        isolation: PluginIsolation = .inline, settings: IsolationSettings = IsolationSettings()
    ) throws(PluginInstanceError) {
        let hostContext = HostContext(
            tenantID: tenant.slug, pluginID: plugin.id, egress: EgressPolicy(allowed: tenant.egress), services: services,
            tenant: runningTenant)
        let tenantJSON = (try? JSON.object([
            "slug": .string(tenant.slug), "name": .string(tenant.name), "timezone": .string(tenant.timezone),
            "locale": .string(tenant.locale), "branding": JSON(encoding: tenant.branding),
        ]).serializedBytes()) ?? []
        let configJSON = (try? Self.resolvingSecrets(config, logger: hostContext.logger).serializedBytes()) ?? []
        switch isolation {
        case .inline:
            backend = try InlineBackend(plugin: plugin, context: hostContext, tenant: tenantJSON, config: configJSON)
        case .process(let timeout):
            backend = try WorkerBackend(
                plugin: plugin, context: hostContext, tenant: tenantJSON, config: configJSON,
                settings: settings, callTimeout: timeout ?? settings.callTimeout)
        }
        self.plugin = plugin
        self.tenantID = tenant.slug
        self.isolation = isolation
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

    public func handleEvent(_ event: JSON) -> CallResult {
        call(.handleEvent, event)
    }

    public func handleHTTP(_ request: JSON) -> CallResult {
        call(.handleHTTP, request)
    }

    public func runJob(_ job: JSON) -> CallResult {
        call(.runJob, job)
    }

    public func queryAnalytics(_ query: JSON) -> CallResult {
        call(.queryAnalytics, query)
    }

    private func call(_ entry: PluginEntry, _ input: JSON) -> CallResult {
        backend.call(entry, (try? input.serializedBytes()) ?? [])
    }
}

/// A plugin refused to create its instance for a tenant.
public struct PluginInstanceError: Error, CustomStringConvertible, Sendable {
    public let pluginID: String
    public let tenantID: String
    public let message: String
    public var description: String { "plugin \(pluginID) could not start for tenant \(tenantID): \(message)" }
}
