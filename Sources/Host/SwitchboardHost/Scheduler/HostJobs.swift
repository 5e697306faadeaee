import Synchronization

/// The handlers of host jobs, the jobs without a plugin, by kind. Host code registers its kinds when the
/// host starts, then schedules jobs with `services.jobs.schedule(tenantID:pluginID: nil, kind:…)`:
///
/// ```swift
/// host.services.hostJobs.register(kind: "graph.renew_subscription") { job, tenant in
///     try await renew(job.payload, for: tenant)
/// }
/// ```
public final class HostJobs: Sendable {
    /// Runs one job for its tenant. Returning finishes the job; throwing fails it (see `JobFailure`).
    public typealias Handler = @Sendable (JobRecord, Tenant) async throws -> Void

    private let handlers = Mutex<[String: Handler]>([:])

    public init() {}

    /// Registers the handler of `kind`, replacing any earlier one.
    public func register(kind: String, _ handler: @escaping Handler) {
        handlers.withLock { $0[kind] = handler }
    }

    public func handler(for kind: String) -> Handler? {
        handlers.withLock { $0[kind] }
    }
}

/// What a job handler throws to say how it failed. Any other error counts as a retry.
public struct JobFailure: Error, CustomStringConvertible {
    public let message: String
    /// Whether to skip the remaining attempts and go straight to the dead-letter list.
    public let isPermanent: Bool
    /// The earliest retry, in milliseconds from now, when the failed service said (e.g. `Retry-After`).
    public var retryAfterMillis: Int64? = nil

    /// Try again after backoff, or after `afterMillis` when that is later, while attempts remain.
    public static func retry(_ message: String, afterMillis: Int64? = nil) -> JobFailure {
        JobFailure(message: message, isPermanent: false, retryAfterMillis: afterMillis)
    }
    /// Do not try again: the job goes to the dead-letter list.
    public static func permanent(_ message: String) -> JobFailure { JobFailure(message: message, isPermanent: true) }

    public var description: String { message }
}
