/// Where a tenant's plugin runs, from the manifest's `isolation:` (default `inline`).
public enum PluginIsolation: Sendable, Equatable, Encodable {
    /// Inside the host process: the fastest, but a crash takes the host down.
    case inline
    /// In a worker process of its own; a call that takes longer than `timeout` (default: the host's) kills it.
    case process(timeout: Duration?)

    public var name: String {
        switch self {
        case .inline: "inline"
        case .process: "process"
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// How the host runs `isolation: process` plugins.
public struct IsolationSettings: Sendable {
    /// The `switchboard` binary whose hidden `plugin-worker` command runs a worker (default: this executable).
    public var workerExecutable: String = HostConfiguration.executablePath
    /// How long a worker may take to answer a call (or make its next host call) before it is killed
    /// (`SWITCHBOARD_PLUGIN_TIMEOUT_MS`; a manifest's `timeout_ms` overrides it per plugin).
    public var callTimeout: Duration = .seconds(10)
    /// The wait before restarting a crashed or hung worker, growing with each failure in a row up to the cap.
    public var restartBackoff = Backoff(base: .milliseconds(250), cap: .seconds(30))
    /// The clock (epoch ms) the restart backoff is measured on; tests move their own.
    public var now: @Sendable () -> Int64 = { Clock.nowMillis() }

    public init() {}
}
