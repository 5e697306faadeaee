import Logging
import Metrics
import Synchronization
import SwitchboardJSON

/// Runs one claimed job: hands it to its plugin's `run_job`, or to the host handler of its kind, renews
/// its lease while it runs, and records the outcome: done, a retry after backoff, or dead.
struct JobRunner: Sendable {
    let registry: TenantRegistry
    let settings: SchedulerSettings
    let now: @Sendable () -> Int64
    let logger: Logger

    private var store: JobStore { registry.services.jobs }

    /// What the job's code came to, before attempts and backoff are considered.
    enum Outcome: Sendable {
        case succeeded
        case failed(String, permanent: Bool, retryAfterMillis: Int64? = nil)
    }

    /// Runs the job and returns the resolution it recorded. Returns nil when nothing was recorded: the lease
    /// was lost, or the task was cancelled (at shutdown) and the job was handed back unfinished.
    @discardableResult
    func run(_ job: ClaimedJob) async -> JobResolution? {
        let handedBack = Mutex(false)
        let outcome = await withTaskCancellationHandler {
            // Cancelled before it started: already handed back, so do not run it.
            handedBack.withLock { $0 } ? nil : await runHoldingLease(job)
        } onCancel: {
            handedBack.withLock { $0 = true }
            handBack(job)
        }
        guard let outcome, !handedBack.withLock({ $0 }) else { return nil }
        let resolution = resolution(of: outcome, for: job)
        return await record(resolution, for: job) ? resolution : nil
    }

    /// Done on success; after a failure, a retry after backoff (or the service's `Retry-After`, when later)
    /// while attempts remain, otherwise dead.
    func resolution(of outcome: Outcome, for job: ClaimedJob) -> JobResolution {
        switch outcome {
        case .succeeded:
            return .done
        case .failed(let message, let permanent, let retryAfter):
            if permanent || job.attempt >= job.record.maxAttempts { return .dead(error: message) }
            let wait = max(settings.backoff.delay(afterAttempt: job.attempt).inMilliseconds, retryAfter ?? 0)
            return .retry(at: now() + wait, error: message)
        }
    }

    // MARK: Running

    /// Runs the job's code while renewing its lease. Nil if the lease was lost first: the outcome no longer counts.
    private func runHoldingLease(_ job: ClaimedJob) async -> Outcome? {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await execute(job) }
            group.addTask {
                await renewLease(job)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// Renews the lease every third of its length until cancelled. Returns early when the lease is lost.
    private func renewLease(_ job: ClaimedJob) async {
        while (try? await Task.sleep(for: settings.lease / 3)) != nil {
            do {
                let held = try await store.database.perform { [store, settings, now] in
                    try store.extendLease(job, now: now(), lease: settings.lease)
                }
                if !held {
                    logger.warning("lost the lease of a running job; its outcome will be dropped", metadata: metadata(job))
                    return
                }
            } catch {
                // The lease may still hold: try again at the next beat.
                logger.error("renewing a job lease failed", metadata: metadata(job, ["error": "\(error)"]))
            }
        }
    }

    /// Event deliveries go to their plugin's `handle_event` or to the rules; plugin jobs to the tenant's instance of
    /// their plugin; host jobs to the handler of their kind.
    private func execute(_ job: ClaimedJob) async -> Outcome {
        guard let tenant = registry.tenant(slug: job.tenantID) else {
            return .failed("tenant \(job.tenantID) is not running on this host", permanent: false)
        }
        switch (job.record.kind, job.record.pluginID) {
        case (EventLog.deliverKind, let pluginID?):
            return await EventDelivery(services: registry.services, logger: logger).deliver(job, to: pluginID, tenant: tenant)
        case (EventLog.rulesKind, nil):
            return await runRules(job, tenant: tenant)
        default:
            break
        }
        if let pluginID = job.record.pluginID {
            return await executePluginJob(job, pluginID: pluginID, tenant: tenant)
        }
        guard let handler = registry.services.hostJobs.handler(for: job.record.kind) else {
            return .failed("no host job handler for kind \"\(job.record.kind)\"", permanent: true)
        }
        do {
            try await handler(job.record, tenant)
            return .succeeded
        } catch let failure as JobFailure {
            return .failed(failure.message, permanent: failure.isPermanent, retryAfterMillis: failure.retryAfterMillis)
        } catch {
            return .failed("\(error)", permanent: false)
        }
    }

    /// Calls the plugin's `run_job` with `{id, kind, payload, attempt}`. SB_OK finishes the job; SB_RETRY
    /// or any other status fails it with the plugin's error message.
    private func executePluginJob(_ job: ClaimedJob, pluginID: String, tenant: Tenant) async -> Outcome {
        guard let instance = tenant.instance(of: pluginID) else {
            return .failed("plugin \(pluginID) is not running for tenant \(tenant.slug)", permanent: false)
        }
        guard instance.plugin.capabilities.contains(.jobs) else {
            return .failed("plugin \(pluginID) does not declare the jobs capability", permanent: true)
        }
        let input: JSON = [
            "id": .string(job.record.id), "kind": .string(job.record.kind), "payload": job.record.payload,
            "attempt": .number(Double(job.attempt)),
        ]
        let result = await instance.call(.runJob, input)
        return result.ok ? .succeeded : .failed("\(pluginID): \(result.errorMessage)", permanent: false)
    }

    /// Runs one event through the tenant's automation rules (`event.rules`).
    private func runRules(_ job: ClaimedJob, tenant: Tenant) async -> Outcome {
        guard let eventID = job.record.payload["event_id"]?.stringValue else { return .failed("no event_id in the payload", permanent: true) }
        do {
            try await registry.services.blocking.run { try tenant.automation.process(eventID: eventID, tenant: tenant) }
            return .succeeded
        } catch {
            return .failed("rules: \(error)", permanent: false)
        }
    }

    // MARK: Recording

    /// Writes the resolution while the lease holds; false if it did not.
    private func record(_ resolution: JobResolution, for job: ClaimedJob) async -> Bool {
        do {
            let written = try await store.database.perform { [store, now] in try store.resolve(job, as: resolution, now: now()) }
            guard written else {
                logger.warning("a job finished after its lease was lost; its outcome is dropped", metadata: metadata(job))
                return false
            }
            Counter(label: "switchboard_jobs", dimensions: [("kind", job.record.kind), ("outcome", resolution.name)]).increment()
            switch resolution {
            case .done: logger.debug("job done", metadata: metadata(job))
            case .retry(let at, let error): logger.info("job failed; retrying", metadata: metadata(job, ["error": "\(error)", "run_at": "\(at)"]))
            case .dead(let error): logger.warning("job dead", metadata: metadata(job, ["error": "\(error)"]))
            }
            return true
        } catch {
            logger.error("recording a job's outcome failed; it runs again when its lease expires", metadata: metadata(job, ["error": "\(error)"]))
            return false
        }
    }

    /// Gives the job back unfinished, so that another host, or this one after a restart, runs it.
    private func handBack(_ job: ClaimedJob) {
        do {
            if try store.release(job, now: now()) { logger.info("job handed back unfinished", metadata: metadata(job)) }
        } catch {
            logger.error("handing a job back failed; it runs again when its lease expires", metadata: metadata(job, ["error": "\(error)"]))
        }
    }

    private func metadata(_ job: ClaimedJob, _ extra: Logger.Metadata = [:]) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "tenant": "\(job.tenantID)", "job": "\(job.record.id)", "kind": "\(job.record.kind)", "attempt": "\(job.attempt)",
        ]
        if let pluginID = job.record.pluginID { metadata["plugin"] = "\(pluginID)" }
        return metadata.merging(extra) { $1 }
    }
}
