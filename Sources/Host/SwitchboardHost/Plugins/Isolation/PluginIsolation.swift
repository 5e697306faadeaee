/// Where a tenant's plugin runs, from the manifest's `isolation:` (default `inline`).
public enum PluginIsolation: Sendable, Equatable, Encodable {
    /// Inside the host process: the fastest, but a crash takes the host down. A call that takes longer than `budget`
    /// (default: the host's call timeout) cannot be stopped; it is logged and counted, and an HTTP caller gets a 504.
    case inline(budget: Duration?)
    /// In a worker process of its own; a call that takes longer than `timeout` (default: the host's) kills it.
    case process(timeout: Duration?)

    /// The time one call may take: the manifest's `timeout_ms`, else the host's default.
    func budget(default fallback: Duration) -> Duration {
        switch self {
        case .inline(let budget): budget ?? fallback
        case .process(let timeout): timeout ?? fallback
        }
    }

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
    /// How long a plugin call may take (`SWITCHBOARD_PLUGIN_TIMEOUT_MS`; a manifest's `timeout_ms` overrides it per
    /// plugin): a worker that neither answers nor makes its next host call within it is killed; an inline call over
    /// it is logged and counted, and its HTTP request answered 504.
    public var callTimeout: Duration = .seconds(10)
    /// The wait before restarting a crashed or hung worker, growing with each failure in a row up to the cap.
    public var restartBackoff = Backoff(base: .milliseconds(250), cap: .seconds(30))
    /// The clock (epoch ms) the restart backoff is measured on; tests move their own.
    public var now: @Sendable () -> Int64 = { Clock.nowMillis() }

    public init() {}
}
