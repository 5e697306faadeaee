import CPluginABI
import Foundation
import Logging
import Metrics
import SwitchboardJSON

/// One plugin's instance for one tenant, running inside the host (`isolation: inline`) or in a worker
/// process (`isolation: process`); callers cannot tell the difference.
///
/// The host calls it through `call`: one call at a time, in the order they came, each on a thread of the host's
/// `BlockingExecutor`, so callers waiting for their turn hold no thread and a hung call holds only its own.
public final class PluginInstance: @unchecked Sendable {
    public let plugin: LoadedPlugin
    public let tenantID: String
    public let isolation: PluginIsolation
    /// How long one call may take (`timeout_ms`, else the host's call timeout).
    public let budget: Duration
    private let backend: any PluginBackend
    private let gate = InstanceGate()
    private let executor: BlockingExecutor
    private let logger: Logger

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
        isolation: PluginIsolation = .inline(budget: nil), settings: IsolationSettings = IsolationSettings()
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
        self.budget = isolation.budget(default: settings.callTimeout)
        self.executor = services.blocking
        self.logger = hostContext.logger
        hostContext.callBudget = budget
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

    /// Calls the instance when its turn comes. `turnWithin` gives up waiting for an earlier call to finish (`SB_RETRY`,
    /// code `plugin_busy`); `answerWithin` stops waiting for this call's answer (`SB_RETRY`, code `plugin_timeout`)
    /// while the call itself runs on. An inline call still running after `budget` is logged and counted in
    /// `switchboard_plugin_call_overruns`: C code cannot be interrupted, so that is all the host can do.
    public func call(_ entry: PluginEntry, _ input: JSON, turnWithin: Duration? = nil, answerWithin: Duration? = nil) async -> CallResult {
        let bytes = (try? input.serializedBytes()) ?? []
        guard await gate.enter(timeout: turnWithin) else {
            return .failure(
                SB_RETRY, code: "plugin_busy",
                message: "plugin \(plugin.id) is still busy with an earlier call after \(turnWithin.map { "\($0)" } ?? "")")
        }
        let promise = Promise<CallResult>()
        let watchdog = watch(entry)
        executor.submit { [backend, gate, logger, plugin] in
            let started = ContinuousClock.now
            let result = backend.call(entry, bytes)
            gate.leave()
            if let watchdog {
                watchdog.cancel()
                let took = ContinuousClock.now - started
                if took > watchdog.budget {
                    logger.warning("plugin call finished over its budget", metadata: [
                        "call": "\(entry.rawValue)", "took_ms": "\(took.inMilliseconds)", "budget_ms": "\(watchdog.budget.inMilliseconds)",
                        "plugin": "\(plugin.id)",
                    ])
                }
            }
            promise.fulfil(result)
        }
        guard let result = await promise.wait(timeout: answerWithin) else {
            return .failure(
                SB_RETRY, code: Self.timeoutCode,
                message: "plugin \(plugin.id) did not answer within \(answerWithin.map { "\($0.inMilliseconds) ms" } ?? "")")
        }
        return result
    }

    /// The error code of a call whose caller stopped waiting for the answer.
    public static let timeoutCode = "plugin_timeout"

    /// For an inline instance, a task that logs and counts the call once it has run for `budget`; a worker process is
    /// killed at its budget instead.
    private func watch(_ entry: PluginEntry) -> Watchdog? {
        guard case .inline = isolation else { return nil }
        let budget = budget, logger = logger, pluginID = plugin.id
        let task = Task {
            try await Task.sleep(for: budget)
            Counter(label: "switchboard_plugin_call_overruns", dimensions: [("plugin", pluginID), ("call", entry.rawValue)]).increment()
            logger.warning("plugin call is still running after its budget; inline calls cannot be stopped", metadata: [
                "call": "\(entry.rawValue)", "budget_ms": "\(budget.inMilliseconds)", "plugin": "\(pluginID)",
            ])
        }
        return Watchdog(task: task, budget: budget)
    }

    private struct Watchdog: Sendable {
        let task: Task<Void, any Error>
        let budget: Duration
        func cancel() { task.cancel() }
    }

    /// Calls `handle_event` directly on the calling thread, past the turn order (tests, benchmarks, the CLI).
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
