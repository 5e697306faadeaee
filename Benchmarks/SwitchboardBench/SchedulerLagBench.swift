import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import SwitchboardHost

/// The scheduler's firing lag with 1,000,000 jobs pending on SQLite: the pending jobs are due in a year, then a
/// stream of jobs due over a few seconds runs through the real `SchedulerService` loop with the host's default
/// settings (poll interval, concurrency). Lag = when the job's handler starts − its `run_at`.
enum SchedulerLagBench {
    static let pendingJobs = 1_000_000
    static let streamJobs = 2_000
    /// The stream's jobs are due one every this many ms, starting a second after they are scheduled.
    static let streamSpacingMillis: Int64 = 2

    static func run(logger: Logger, directory: URL) async throws -> [BenchResult] {
        var configuration = HostConfiguration()
        configuration.database = .sqlite(path: directory.appendingPathComponent("scheduler-lag.sqlite").path)
        configuration.tenantsDirectory = nil
        configuration.pluginsDirectory = directory.path
        let host = try SwitchboardHost.start(configuration, logger: logger)
        _ = try host.registry.onboard(yaml: "slug: bench\nname: Bench\ndomains: [bench.localhost]\n", actor: "bench")
        let jobs = host.services.jobs

        print("    inserting \(pendingJobs) pending jobs due in a year (one transaction)")
        let farFuture = Clock.nowMillis() + 365 * 86_400_000
        let progress = ProgressBar(total: pendingJobs)
        try host.services.database.transaction { connection in
            for index in 0..<pendingJobs {
                _ = try jobs.schedule(
                    tenantID: "bench", pluginID: nil, kind: "bench.idle", runAt: farFuture + Int64(index), payload: .null, uniqueKey: nil,
                    maxAttempts: 3, in: connection)
                if index % 50_000 == 0 || index == pendingJobs - 1 { progress.draw(index + 1) }
            }
        }
        let usesIndex = try claimUsesIndex(host.services.database)

        let lags = Lags()
        host.services.hostJobs.register(kind: "bench.lag") { job, _ in lags.record(Clock.nowMillis() - job.runAt) }
        let start = Clock.nowMillis() + 1000
        try host.services.database.transaction { connection in
            for index in 0..<streamJobs {
                _ = try jobs.schedule(
                    tenantID: "bench", pluginID: nil, kind: "bench.lag", runAt: start + Int64(index) * streamSpacingMillis, payload: .null,
                    uniqueKey: nil, maxAttempts: 3, in: connection)
            }
        }
        let settings = configuration.scheduler
        print("    running the scheduler loop (poll interval \(settings.pollInterval), \(settings.concurrency) workers) over \(streamJobs) jobs due in \(Int64(streamJobs) * streamSpacingMillis) ms")
        let group = ServiceGroup(
            services: [SchedulerService(registry: host.registry, settings: settings, workerID: "bench")], gracefulShutdownSignals: [],
            cancellationSignals: [], logger: logger)
        let service = Task { try await group.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while lags.count < streamJobs, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        await group.triggerGracefulShutdown()
        try await service.value

        let sorted = lags.sorted
        func percentile(_ p: Double) -> Double {
            sorted.isEmpty ? .infinity : Double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)])
        }
        let p99 = percentile(0.99)
        return [
            BenchResult("scheduler: claim reads job_queues_due and jobs_due with \(pendingJobs) pending (EXPLAIN QUERY PLAN)", usesIndex ? 1 : 0, "yes=1", target: "uses it", met: usesIndex),
            BenchResult("scheduler: jobs of the stream that ran", Double(sorted.count), "jobs", target: "\(streamJobs)", met: sorted.count == streamJobs),
            BenchResult("scheduler: firing lag p50 with \(pendingJobs) pending (SQLite)", percentile(0.5), "ms"),
            BenchResult("scheduler: firing lag p99 with \(pendingJobs) pending (SQLite)", p99, "ms", target: "< 250 ms", met: p99 < 250),
        ]
    }

    /// Whether SQLite plans the claim's two statements on their indexes: the due tenant's queue on `job_queues_due`,
    /// that tenant's due jobs on `jobs_due`, neither scanning the jobs table.
    static func claimUsesIndex(_ database: Database) throws -> Bool {
        func plan(_ sql: String, _ parameters: [SQLValue]) throws -> [String] {
            try database.read { try $0.query("EXPLAIN QUERY PLAN " + sql, parameters) }.compactMap { $0.string("detail") }
        }
        let now = Clock.nowMillis()
        let tenants = try plan(JobStore.dueTenantStatement(database.dialect), [.integer(now), .text("[]")])
        let jobs = try plan(
            JobStore.tenantClaimStatement(database.dialect), [.text("bench"), .text("bench"), .integer(now), .integer(now), .integer(1)])
        print("    claim plan: " + (tenants + jobs).joined(separator: " | "))
        return tenants.contains { $0.contains("USING INDEX job_queues_due") } && jobs.contains { $0.contains("USING INDEX jobs_due") }
            && !(tenants + jobs).contains { $0.hasPrefix("SCAN jobs") }
    }
}

/// The lags (ms) the stream's job handlers saw, from whichever worker ran them.
private final class Lags: Sendable {
    private let values = Mutex<[Int64]>([])

    func record(_ lag: Int64) { values.withLock { $0.append(lag) } }
    var count: Int { values.withLock { $0.count } }
    var sorted: [Int64] { values.withLock { $0 }.sorted() }
}
