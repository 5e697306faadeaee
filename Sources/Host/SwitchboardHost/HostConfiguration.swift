import Foundation

/// How a host process is configured: flags first, then `SWITCHBOARD_*` environment variables, then defaults.
public struct HostConfiguration: Sendable {
    public var bindHost: String = "127.0.0.1"
    public var port: Int = 8080
    public var database: DatabaseLocation = .default
    /// Connections to PostgreSQL (`SWITCHBOARD_DB_POOL_SIZE`).
    public var databasePoolSize: Int = PostgresDatabase.defaultPoolSize
    /// Manifests applied at start; `nil` to use only the stored tenants.
    public var tenantsDirectory: String? = "tenants"
    public var pluginsDirectory: String = HostConfiguration.executableDirectory
    /// The host's own files, such as inbound media in `<data>/files/<tenant>/media/…` (`SWITCHBOARD_DATA_DIR`).
    public var dataDirectory: String = "data"
    /// `SWITCHBOARD_ADMIN_TOKEN`; the admin API is off without it.
    public var adminToken: String?
    /// Proxy IPs whose `X-Forwarded-Host` is honoured (`SWITCHBOARD_TRUSTED_PROXIES`, comma-separated).
    public var trustedProxies: Set<String> = []
    /// How long an outbound provider call may take before it counts as a timeout (and is retried).
    public var providerTimeoutMillis = 10_000
    /// How often to pick up tenants changed and plugins reloaded by other hosts or the CLI (`SWITCHBOARD_TENANT_SYNC_INTERVAL_MS`).
    public var tenantSyncInterval: Duration = .seconds(1)
    /// How this host runs the durable jobs; `SWITCHBOARD_JOB_LEASE_MS` sets the lease and
    /// `SWITCHBOARD_JOB_CONCURRENCY` how many jobs run at once.
    public var scheduler = SchedulerSettings()
    /// How `isolation: process` plugins run.
    public var isolation = IsolationSettings()

    public init() {}

    /// Reads the `SWITCHBOARD_*` variables over the defaults.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> HostConfiguration {
        var configuration = HostConfiguration()
        if let url = environment["SWITCHBOARD_DATABASE_URL"], !url.isEmpty {
            configuration.database = try DatabaseLocation(url: url)
        }
        if let count = try positiveNumber("SWITCHBOARD_DB_POOL_SIZE", environment) {
            configuration.databasePoolSize = count
        }
        if let millis = try positiveNumber("SWITCHBOARD_TENANT_SYNC_INTERVAL_MS", environment) {
            configuration.tenantSyncInterval = .milliseconds(millis)
        }
        if let millis = try positiveNumber("SWITCHBOARD_JOB_LEASE_MS", environment) {
            configuration.scheduler.lease = .milliseconds(millis)
        }
        if let count = try positiveNumber("SWITCHBOARD_JOB_CONCURRENCY", environment) {
            configuration.scheduler.concurrency = count
        }
        if let count = try positiveNumber("SWITCHBOARD_JOB_CONCURRENCY_PER_TENANT", environment) {
            configuration.scheduler.perTenant = count
        }
        if let days = try positiveNumber("SWITCHBOARD_RETENTION_DAYS", environment) {
            configuration.scheduler.retention = .seconds(days * 86_400)
        }
        if let directory = environment["SWITCHBOARD_TENANTS_DIR"], !directory.isEmpty {
            configuration.tenantsDirectory = directory
        }
        if let directory = environment["SWITCHBOARD_PLUGINS_DIR"], !directory.isEmpty {
            configuration.pluginsDirectory = directory
        }
        if let directory = environment["SWITCHBOARD_DATA_DIR"], !directory.isEmpty {
            configuration.dataDirectory = directory
        }
        configuration.adminToken = environment["SWITCHBOARD_ADMIN_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        if let proxies = environment["SWITCHBOARD_TRUSTED_PROXIES"] {
            configuration.trustedProxies = Set(proxies.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        if let timeout = environment["SWITCHBOARD_PLUGIN_TIMEOUT_MS"], !timeout.isEmpty {
            guard let millis = Int(timeout), millis > 0 else {
                throw ConfigurationError("SWITCHBOARD_PLUGIN_TIMEOUT_MS must be a positive whole number (got \(timeout))")
            }
            configuration.isolation.callTimeout = .milliseconds(millis)
        }
        return configuration
    }

    /// The value of the variable `name` as a positive whole number, or `nil` when it is unset or empty.
    private static func positiveNumber(_ name: String, _ environment: [String: String]) throws -> Int? {
        guard let text = environment[name], !text.isEmpty else { return nil }
        guard let number = Int(text), number > 0 else {
            throw ConfigurationError("\(name) must be a positive whole number (got \(text))")
        }
        return number
    }

    /// The directory of the running executable, where SwiftPM builds the plugin libraries beside it.
    public static var executableDirectory: String {
        URL(fileURLWithPath: executablePath).deletingLastPathComponent().path
    }

    /// The running executable's path.
    public static var executablePath: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
