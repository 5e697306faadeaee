/// How this host runs jobs (`HostConfiguration.scheduler`).
public struct SchedulerSettings: Sendable {
    /// Whether this host runs jobs at all. Hosts that share a database can all run them.
    public var enabled = true
    /// How long an idle worker waits before it looks for due jobs again.
    public var pollInterval: Duration = .milliseconds(250)
    /// How long a claim holds a job. A running job's lease is renewed every third of this; a job whose
    /// lease ran out (its host died) is rescued and runs again.
    public var lease: Duration = .seconds(60)
    /// How many jobs this host runs at once. A job waiting on a plugin or a provider holds no thread while it
    /// waits for its turn, so this can be well above the number of cores.
    public var concurrency = 16
    /// How many of them may belong to one tenant (`SWITCHBOARD_JOB_CONCURRENCY_PER_TENANT`): a tenant whose plugin
    /// hangs keeps its own jobs waiting, not the other tenants'.
    public var perTenant = 4
    /// How long to wait before retrying a failed job.
    public var backoff = Backoff()
    /// How long finished jobs (done, cancelled) and recorded events are kept (`SWITCHBOARD_RETENTION_DAYS`). Dead
    /// jobs, the dead-letter list, are kept.
    public var retention: Duration = .seconds(30 * 86_400)
    /// How often a host sweeps out what is older than `retention`.
    public var sweepInterval: Duration = .seconds(3600)
    /// How long jobs in flight may run on after graceful shutdown starts. Then they are cancelled and
    /// handed back (pending again) for another host, or the next start, to run.
    public var shutdownGrace: Duration = .seconds(10)

    public init() {}
}
