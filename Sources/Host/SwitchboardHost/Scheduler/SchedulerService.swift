import Foundation
import Logging
import ServiceLifecycle

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
            group.addTask { await workUntilShutdown() }
        }
    }

    /// Claims up to `limit` due jobs and runs them side by side. Returns how many it claimed.
    @discardableResult
    public func runDue(limit: Int) async -> Int {
        let jobs: [ClaimedJob]
        do {
            jobs = try await store.database.perform { [store, workerID, settings, now] in
                try store.claim(workerID: workerID, limit: limit, now: now(), lease: settings.lease)
            }
        } catch {
            logger.error("claiming due jobs failed", metadata: ["error": "\(error)"])
            return 0
        }
        await withDiscardingTaskGroup { group in
            for job in jobs { group.addTask { await runner.run(job) } }
        }
        return jobs.count
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

    /// How long an idle worker sleeps: until the soonest pending job is due, between 1 ms and `pollInterval`.
    private func idleTime() async -> Duration {
        guard let next = try? await store.database.perform({ [store] in try store.nextDue() }) else { return settings.pollInterval }
        return min(max(.milliseconds(next - now()), .milliseconds(1)), settings.pollInterval)
    }

    /// Rescues expired leases at start, then every half lease.
    private func rescueUntilShutdown() async {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await rescueExpiredLeases()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: settings.lease / 2) }
        }
    }
}
