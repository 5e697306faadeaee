import Foundation
import Logging
import SwitchboardHost
import SwitchboardJSON

/// Scheduler throughput on SQLite: jobs dispatched per second through claim, run and resolve.
enum SchedulerBench {
    static func run(logger: Logger, directory: URL) async throws -> [BenchResult] {
        var configuration = HostConfiguration()
        configuration.database = .sqlite(path: directory.appendingPathComponent("scheduler.sqlite").path)
        configuration.tenantsDirectory = nil
        configuration.pluginsDirectory = directory.path
        let host = try SwitchboardHost.start(configuration, logger: logger)
        // Spread over enough tenants that their share (4 jobs each at once) is not what limits a claim of 100.
        let tenants = (0..<25).map { "bench\($0)" }
        for tenant in tenants {
            _ = try host.registry.onboard(yaml: "slug: \(tenant)\nname: Bench\ndomains: [\(tenant).localhost]\n", actor: "bench")
        }
        host.services.hostJobs.register(kind: "noop") { _, _ in }
        let jobs = 20_000
        try host.services.database.transaction { connection in
            for index in 0..<jobs {
                _ = try host.services.jobs.schedule(
                    tenantID: tenants[index % tenants.count], pluginID: nil, kind: "noop", runAt: 0, payload: ["n": .number(Double(index))],
                    uniqueKey: nil, maxAttempts: 3, in: connection)
            }
        }
        var settings = configuration.scheduler
        settings.concurrency = 8
        let scheduler = SchedulerService(registry: host.registry, settings: settings, workerID: "bench")
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        while true {
            let claimed = await scheduler.runDue(limit: 100)
            if claimed == 0 { break }
            done += claimed
        }
        let seconds = Double((clock.now - start).components.seconds) + Double((clock.now - start).components.attoseconds) / 1e18
        let rate = Double(done) / seconds
        return [BenchResult("scheduler: jobs dispatched per second (SQLite, \(jobs) jobs of \(tenants.count) tenants)", rate, "jobs/s", target: "≥ 5,000/s", met: rate >= 5000)]
    }
}
