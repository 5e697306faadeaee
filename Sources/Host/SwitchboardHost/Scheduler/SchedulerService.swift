import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The durable scheduler. `concurrency` workers claim due jobs under a lease and run them, one at a time
/// each, and a rescuer makes the jobs of a host that died claimable again once their lease runs out.
///
/// On graceful shutdown it stops claiming. Jobs in flight get `shutdownGrace` to finish; then they are
/// cancelled and handed back, pending again. Host job handlers see the cancellation; a plugin call cannot be
/// interrupted, so the service waits for it to return and drops its outcome. A failing tick is logged and
/// the service goes on.
public struct SchedulerService: Service {
    public let settings: SchedulerSettings
    /// How this host's claims are named in `locked_by`.
    public let workerID: String
    let runner: JobRunner
    private let store: JobStore
    private let events: EventLog
    /// This host's running jobs by tenant, for `settings.perTenant`.
    private let slots = TenantSlots()
    private let now: @Sendable () -> Int64
    private let logger: Logger

    /// A scheduler for the registry's tenants. `now` (epoch ms) is injectable so tests can drive time.
    public init(
        registry: TenantRegistry, settings: SchedulerSettings, workerID: String = SchedulerService.hostWorkerID(),
        now: @escaping @Sendable () -> Int64 = Clock.nowMillis
    ) {
        var logger = registry.services.logger
        logger[metadataKey: "worker"] = "\(workerID)"
        self.settings = settings
        self.workerID = workerID
        self.runner = JobRunner(registry: registry, settings: settings, now: now, logger: logger)
        self.store = registry.services.jobs
        self.events = registry.services.events
        self.now = now
        self.logger = logger
    }

    /// `host:pid:random`, unique to one run of one process.
    public static func hostWorkerID() -> String {
        let process = ProcessInfo.processInfo
        return "\(process.hostName):\(process.processIdentifier):\(UUID().uuidString.prefix(8).lowercased())"
    }

    public func run() async {
        await withDiscardingTaskGroup { group in
            group.addTask { await rescueUntilShutdown() }
            group.addTask { await sweepUntilShutdown() }
            group.addTask { await workUntilShutdown() }
        }
    }

    /// Claims up to `limit` due jobs, of tenants running fewer than `settings.perTenant` jobs here, and runs them side
    /// by side. Returns how many it claimed.
    @discardableResult
    public func runDue(limit: Int) async -> Int {
        let jobs: [ClaimedJob]
        let busy = slots.full(at: settings.perTenant)
        do {
            jobs = try await store.database.perform { [store, workerID, settings, now] in
                try store.claim(
                    workerID: workerID, limit: limit, now: now(), lease: settings.lease, excludingTenants: busy, perTenant: settings.perTenant)
            }
        } catch {
            logger.error("claiming due jobs failed", metadata: ["error": "\(error)"])
            return 0
        }
        // One claim may bring more of a tenant's jobs than it has slots left: those go back, pending, for later.
        let (accepted, over) = jobs.reduce(into: ([ClaimedJob](), [ClaimedJob]())) { split, job in
            if slots.take(job.tenantID, limit: settings.perTenant) { split.0.append(job) } else { split.1.append(job) }
        }
        if !over.isEmpty { await handBack(over) }
        await withDiscardingTaskGroup { group in
            for job in accepted {
                group.addTask {
                    await runner.run(job)
                    // Workers idle because this tenant had no slot left may claim its next job now.
                    if slots.give(job.tenantID, limit: settings.perTenant) { store.wakeups.wakeOne(dueAt: now()) }
                }
            }
        }
        return accepted.count
    }

    /// Returns claimed jobs unrun: pending again, their attempt not counted.
    private func handBack(_ jobs: [ClaimedJob]) async {
        do {
            try await store.database.perform { [store, now] in
                for job in jobs { _ = try store.release(job, now: now()) }
            }
        } catch {
            logger.error("handing back jobs over a tenant's share failed; they run when their lease expires", metadata: ["error": "\(error)"])
        }
    }

    /// Makes running jobs whose lease expired claimable again. Returns how many.
    @discardableResult
    public func rescueExpiredLeases() async -> Int {
        do {
            let rescued = try await store.database.perform { [store, now] in try store.rescueExpired(now: now()) }
            if rescued > 0 { logger.warning("rescued jobs whose lease expired", metadata: ["count": "\(rescued)"]) }
            return rescued
        } catch {
            logger.error("rescuing expired leases failed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    // MARK: Loops

    /// Runs the workers until graceful shutdown, then gives the jobs in flight `shutdownGrace` before cancelling them.
    private func workUntilShutdown() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withDiscardingTaskGroup { workers in
                    for _ in 0..<max(settings.concurrency, 1) { workers.addTask { await work() } }
                }
            }
            group.addTask {
                // Ends `shutdownGrace` after graceful shutdown starts, or at once when cancelled.
                try? await gracefulShutdown()
                try? await Task.sleep(for: settings.shutdownGrace)
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// One worker: runs due jobs one at a time. When none is due it sleeps until the next pending job is due,
    /// at most `pollInterval` (jobs scheduled by other hosts are found then), and sooner when this host commits
    /// a job due before that (`JobWakeups`).
    private func work() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let seen = store.wakeups.current
            if await runDue(limit: 1) == 0 {
                let idle = await idleTime()
                try? await cancelWhenGracefulShutdown { [store, now] in
                    await store.wakeups.sleep(for: idle, now: now(), unlessWokenSince: seen)
                }
            }
        }
    }

    /// How long an idle worker sleeps: until the soonest pending job of a tenant with a free slot is due, between 1 ms
    /// and `pollInterval`. A tenant's freed slot wakes the workers (`runDue`).
    private func idleTime() async -> Duration {
        let busy = slots.full(at: settings.perTenant)
        guard let next = try? await store.database.perform({ [store] in try store.nextDue(excludingTenants: busy) }) else {
            return settings.pollInterval
        }
        return min(max(.milliseconds(next - now()), .milliseconds(1)), settings.pollInterval)
    }

    /// Deletes finished jobs and recorded events older than `settings.retention`; returns how many of each.
    @discardableResult
    public func sweep() async -> (jobs: Int, events: Int) {
        let before = now() - settings.retention.inMilliseconds
        do {
            let swept = try await store.database.perform { [store, events] in
                (try store.sweep(finishedBefore: before), try events.sweep(recordedBefore: before))
            }
            if swept.0 + swept.1 > 0 {
                logger.info("swept out old jobs and events", metadata: ["jobs": "\(swept.0)", "events": "\(swept.1)"])
            }
            return swept
        } catch {
            logger.error("sweeping out old jobs and events failed", metadata: ["error": "\(error)"])
            return (0, 0)
        }
    }

    /// Sweeps at start, then every `sweepInterval`.
    private func sweepUntilShutdown() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await sweep()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.sweepInterval) }
        }
    }

    /// Rescues expired leases at start, then every half lease.
    private func rescueUntilShutdown() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await rescueExpiredLeases()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.lease / 2) }
        }
    }
}

/// How many jobs of each tenant this host is running.
final class TenantSlots: Sendable {
    private let running = Mutex<[String: Int]>([:])

    /// Takes a slot of the tenant if it runs fewer than `limit` jobs; false when it does not.
    func take(_ tenantID: String, limit: Int) -> Bool {
        running.withLock { counts in
            guard counts[tenantID, default: 0] < limit else { return false }
            counts[tenantID, default: 0] += 1
            return true
        }
    }

    /// Gives a slot back; true when the tenant had used all `limit` of them.
    func give(_ tenantID: String, limit: Int) -> Bool {
        running.withLock { counts in
            let running = counts[tenantID] ?? 1
            counts[tenantID] = running > 1 ? running - 1 : nil
            return running >= limit
        }
    }

    /// The tenants running `limit` jobs or more.
    func full(at limit: Int) -> [String] {
        running.withLock { $0.filter { $0.value >= limit }.map(\.key) }
    }
}
