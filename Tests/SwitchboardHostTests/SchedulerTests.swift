import CPluginABI
import Foundation
import HummingbirdTesting
import ServiceLifecycle
import ServiceLifecycleTestKit
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Durable scheduler")
struct SchedulerTests {
    /// Tenants alpha and beta (both running hello-c). The host's own scheduler is off: each test drives one.
    static func host(_ configure: (inout SchedulerSettings) -> Void = { _ in }) throws -> SwitchboardHost {
        try TestEnvironment.host(manifests: [
            "alpha": manifest(slug: "alpha", domain: "alpha.localhost"),
            "beta": manifest(slug: "beta", domain: "beta.localhost"),
        ]) { configuration in
            configuration.scheduler.enabled = false
            configure(&configuration.scheduler)
        }
    }

    static func scheduler(
        _ host: SwitchboardHost, clock: TestClock? = nil, workerID: String = "worker-a",
        _ configure: (inout SchedulerSettings) -> Void = { _ in }
    ) -> SchedulerService {
        var settings = host.configuration.scheduler
        configure(&settings)
        guard let clock else { return SchedulerService(registry: host.registry, settings: settings, workerID: workerID) }
        return SchedulerService(registry: host.registry, settings: settings, workerID: workerID, now: { clock.now })
    }

    /// Schedules a job of alpha (a host job unless `plugin` is given); returns its id.
    @discardableResult
    static func schedule(
        _ host: SwitchboardHost, _ kind: String, at runAt: Int64, tenant: String = "alpha", plugin: String? = nil,
        uniqueKey: String? = nil, maxAttempts: Int = 5
    ) throws -> String {
        try host.services.jobs.schedule(
            tenantID: tenant, pluginID: plugin, kind: kind, runAt: runAt, payload: ["n": 1], uniqueKey: uniqueKey,
            maxAttempts: maxAttempts
        ).id
    }

    static func job(_ host: SwitchboardHost, _ id: String, tenant: String = "alpha") throws -> JobRecord {
        try #require(try host.services.jobs.list(tenantID: tenant, pluginID: nil, status: nil, kind: nil).first { $0.id == id })
    }

    /// Registers a host job kind that counts its executions.
    static func counting(_ host: SwitchboardHost, kind: String = "count") -> Executions {
        let executions = Executions()
        host.services.hostJobs.register(kind: kind) { job, _ in
            executions.begin(job.id)
            executions.end()
        }
        return executions
    }

    // MARK: Claiming

    @Test("a due job is claimed once and runs; a future job waits for its time")
    func dueJobsRunOnce() async throws {
        let host = try Self.host()
        let clock = TestClock()
        let executions = Self.counting(host)
        let due = try Self.schedule(host, "count", at: clock.now)
        let later = try Self.schedule(host, "count", at: clock.now + 60_000)
        let scheduler = Self.scheduler(host, clock: clock)

        #expect(await scheduler.runDue(limit: 10) == 1)
        #expect(await scheduler.runDue(limit: 10) == 0)
        #expect(executions.counts == [due: 1])
        let done = try Self.job(host, due)
        #expect(done.status == "done" && done.attempts == 1)
        let waiting = try Self.job(host, later)
        #expect(waiting.status == "pending" && waiting.attempts == 0)

        clock.advance(by: .seconds(60))
        #expect(await scheduler.runDue(limit: 10) == 1)
        #expect(executions.counts == [due: 1, later: 1])
    }

    @Test("a claim reads the tenants' queues on job_queues_due and one tenant's jobs on jobs_due: it never scans the jobs of the tenants it passes over")
    func claimUsesItsIndexes() throws {
        let host = try Self.host()
        func plan(_ sql: String, _ parameters: [SQLValue]) throws -> [String] {
            try host.services.database.read { try $0.query("EXPLAIN QUERY PLAN " + sql, parameters) }.compactMap { $0.string("detail") }
        }
        let tenants = try plan(JobStore.dueTenantStatement(.sqlite), [.integer(1), .text("[\"alpha\"]")])
        #expect(tenants.contains { $0.contains("USING INDEX job_queues_due") }, "\(tenants)")
        let jobs = try plan(
            JobStore.tenantClaimStatement(.sqlite), [.text("alpha"), .text("w"), .integer(2), .integer(1), .integer(1)])
        #expect(jobs.contains { $0.contains("USING INDEX jobs_due") }, "\(jobs)")
        #expect(!(tenants + jobs).contains { $0.hasPrefix("SCAN") && !$0.contains("json_each") }, "\(tenants + jobs)")
    }

    @Test("per-tenant queues: a claim passes over a skipped tenant's backlog; a queue found with nothing claimable moves on, and back when a lane's job finishes or a job retries",
          arguments: StorageDriver.allCases)
    func tenantQueues(driver: StorageDriver) async throws {
        try await driver.withHost(manifests: [
            "alpha": manifest(slug: "alpha", domain: "alpha.localhost"), "beta": manifest(slug: "beta", domain: "beta.localhost"),
        ]) { host in
            let jobs = host.services.jobs, now: Int64 = 1_000_000
            func claim(excluding: [String] = [], limit: Int = 10) throws -> [ClaimedJob] {
                try jobs.claim(workerID: "w", limit: limit, now: now, lease: .seconds(30), excludingTenants: excluding)
            }
            try host.services.database.transaction { connection in
                for index in 0..<300 {
                    _ = try jobs.schedule(
                        tenantID: "alpha", pluginID: nil, kind: "count", runAt: now - 1000 + Int64(index), payload: [:], uniqueKey: nil,
                        maxAttempts: 5, in: connection)
                }
            }
            let later = try Self.schedule(host, "count", at: now, tenant: "beta")
            #expect(try claim(excluding: ["alpha"]).map(\.record.id) == [later], "beta's job, behind 300 of alpha's")
            #expect(try claim(excluding: ["alpha"]).isEmpty)

            // beta's lane: the second job waits for the first; a claim that finds only it puts beta's queue forward.
            let (first, second) = try host.services.database.transaction { connection in
                (try jobs.schedule(tenantID: "beta", pluginID: nil, kind: "count", runAt: now, payload: [:], uniqueKey: nil, maxAttempts: 5,
                                   lane: "x", laneSeq: 1, in: connection).id,
                 try jobs.schedule(tenantID: "beta", pluginID: nil, kind: "count", runAt: now, payload: [:], uniqueKey: nil, maxAttempts: 5,
                                   lane: "x", laneSeq: 2, in: connection).id)
            }
            let running = try claim(excluding: ["alpha"])
            #expect(running.map(\.record.id) == [first])
            #expect(try claim(excluding: ["alpha"]).isEmpty)
            #expect(try jobs.nextDue(excludingTenants: ["alpha"]) == nil, "nothing claimable: beta's queue moved on")
            #expect(try jobs.resolve(running[0], as: .done, now: now))
            #expect(try jobs.nextDue(excludingTenants: ["alpha"]) == now, "the lane's next job may go")
            let next = try claim(excluding: ["alpha"])
            #expect(next.map(\.record.id) == [second])

            // A retry with backoff moves the queue back to its time.
            #expect(try jobs.resolve(next[0], as: .retry(at: now + 5000, error: "later"), now: now))
            #expect(try claim(excluding: ["alpha"]).isEmpty)
            #expect(try jobs.nextDue(excludingTenants: ["alpha"]) == now + 5000)
            #expect(try claim(limit: 400).count == 300, "alpha's backlog, once no longer skipped")
        }
    }

    @Test("unique keys still deduplicate pending and running jobs, and a cancelled job never runs")
    func uniqueKeysAndCancel() async throws {
        let host = try Self.host()
        let clock = TestClock()
        let executions = Self.counting(host)
        let scheduler = Self.scheduler(host, clock: clock)
        let first = try Self.schedule(host, "count", at: clock.now, uniqueKey: "reminder-1")
        #expect(try Self.schedule(host, "count", at: clock.now, uniqueKey: "reminder-1") == first)

        let claimed = try host.services.jobs.claim(workerID: "worker-a", limit: 10, now: clock.now, lease: .seconds(30))
        #expect(claimed.map(\.record.id) == [first])
        #expect(try Self.schedule(host, "count", at: clock.now, uniqueKey: "reminder-1") == first)
        #expect(await scheduler.runner.run(claimed[0]) == .done)

        let second = try Self.schedule(host, "count", at: clock.now, uniqueKey: "reminder-1")
        #expect(second != first)
        #expect(try host.services.jobs.cancel(tenantID: "alpha", pluginID: nil, id: second, uniqueKey: nil) == 1)
        #expect(await scheduler.runDue(limit: 10) == 0)
        #expect(executions.counts == [first: 1])
        #expect(try Self.job(host, second).status == "cancelled")
    }

    // MARK: Retries and the dead-letter list

    @Test("a failing job retries with growing backoff, lands in dead, is listed and retried through the API, then succeeds")
    func retriesBackoffAndDeadLetters() async throws {
        let host = try Self.host()
        let clock = TestClock()
        let failing = Shared(true)
        host.services.hostJobs.register(kind: "send_email") { _, _ in
            if failing.value { throw JobFailure.retry("smtp unavailable") }
        }
        let id = try Self.schedule(host, "send_email", at: clock.now, maxAttempts: 3)
        let scheduler = Self.scheduler(host, clock: clock)

        var previousDelay: Int64 = 0
        for attempt in 1...2 {
            let start = clock.now
            #expect(await scheduler.runDue(limit: 10) == 1)
            let job = try Self.job(host, id)
            #expect(job.status == "pending" && job.attempts == attempt && job.lastError == "smtp unavailable")
            // Base 2 s: attempt n waits between half and all of 2^n s.
            let delay = job.runAt - start, ceiling = Int64(2000 << (attempt - 1))
            #expect(delay >= ceiling / 2 && delay <= ceiling, "attempt \(attempt) waits \(delay) ms")
            #expect(delay >= previousDelay)
            previousDelay = delay
            #expect(await scheduler.runDue(limit: 10) == 0, "not due before its backoff has passed")
            clock.advance(to: job.runAt)
        }
        #expect(await scheduler.runDue(limit: 10) == 1)
        let dead = try Self.job(host, id)
        #expect(dead.status == "dead" && dead.attempts == 3 && dead.lastError == "smtp unavailable")

        let admin = try host.token("alpha", role: "admin")
        let betaAdmin = try host.token("beta", role: "admin")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: admin)
            let letters = try await api.get("/api/v1/jobs?status=dead")
            #expect(letters.status == .ok)
            #expect(letters.json["data"]?.arrayValue?.count == 1)
            let letter = try #require(letters.json["data"]?.arrayValue?.first)
            #expect(letter["id"] == .string(id) && letter["attempts"] == 3 && letter["last_error"] == "smtp unavailable")
            #expect(letter["kind"] == "send_email" && letter["max_attempts"] == 3)
            #expect(try await api.get("/api/v1/jobs?status=pending").json["data"] == [])
            #expect(try await api.get("/api/v1/jobs?kind=send_email").json["data"]?.arrayValue?.count == 1)
            #expect(try await api.get("/api/v1/jobs?status=undead").status == .unprocessableContent)

            // Another tenant neither sees nor retries it.
            let beta = APIClient(client: client, host: "beta.localhost", token: betaAdmin)
            #expect(try await beta.get("/api/v1/jobs").json["data"] == [])
            #expect(try await beta.post("/api/v1/jobs/\(id)/retry", [:]).status == .notFound)

            let retried = try await api.post("/api/v1/jobs/\(id)/retry", [:])
            #expect(retried.status == .ok)
            #expect(retried.json["status"] == "pending" && retried.json["attempts"] == 0)
            let again = try await api.post("/api/v1/jobs/\(id)/retry", [:])
            #expect(again.status == .conflict)
            #expect(again.json["detail"]?.stringValue?.contains("pending") == true)
            #expect(try await api.post("/api/v1/jobs/nope/retry", [:]).status == .notFound)

            let audit = try await api.get("/api/v1/audit?action=job_retried").json["data"]?.arrayValue ?? []
            #expect(audit.count == 1 && audit.first?["subject"] == .string(id))
        }

        failing.value = false
        clock.advance(to: Clock.nowMillis())
        #expect(await scheduler.runDue(limit: 10) == 1)
        let done = try Self.job(host, id)
        #expect(done.status == "done" && done.attempts == 1)
    }

    @Test("a permanent failure, an unknown kind and a stopped tenant each fail with a clear message")
    func failuresExplainThemselves() async throws {
        let host = try Self.host()
        let clock = TestClock()
        host.services.hostJobs.register(kind: "charge_card") { _, _ in throw JobFailure.permanent("card declined") }
        let declined = try Self.schedule(host, "charge_card", at: clock.now)
        let unknown = try Self.schedule(host, "mystery", at: clock.now)
        let orphan = try Self.schedule(host, "count", at: clock.now, tenant: "ghost", plugin: "hello-c")
        let absentPlugin = try Self.schedule(host, "count", at: clock.now, plugin: "tutorbot")
        let refused = try Self.schedule(host, "paint", at: clock.now, plugin: "hello-c", maxAttempts: 1)

        #expect(await Self.scheduler(host, clock: clock).runDue(limit: 10) == 5)
        let outcomes = try [declined, unknown, absentPlugin, refused].map { try Self.job(host, $0) }.map { "\($0.status): \($0.lastError ?? "")" }
        #expect(outcomes == [
            "dead: card declined",
            "dead: no host job handler for kind \"mystery\"",
            "pending: plugin tutorbot is not running for tenant alpha",
            "dead: hello-c: HelloC runs count and flaky jobs",
        ])
        let stranded = try Self.job(host, orphan, tenant: "ghost")
        #expect(stranded.status == "pending" && stranded.lastError == "tenant ghost is not running on this host")
    }

    // MARK: Leases

    @Test("a job whose worker died is rescued after its lease expires and runs exactly once more")
    func leaseExpiryRecovery() async throws {
        let host = try Self.host { $0.lease = .seconds(30) }
        let clock = TestClock()
        let executions = Self.counting(host)
        let id = try Self.schedule(host, "count", at: clock.now)
        let lastChance = try Self.schedule(host, "count", at: clock.now, maxAttempts: 1)

        // Worker A claims both, then its host dies.
        let abandoned = try host.services.jobs.claim(workerID: "worker-a", limit: 10, now: clock.now, lease: .seconds(30))
        #expect(abandoned.count == 2)

        let workerB = Self.scheduler(host, clock: clock, workerID: "worker-b")
        let workerC = Self.scheduler(host, clock: clock, workerID: "worker-c")
        clock.advance(by: .seconds(29))
        #expect(await workerB.rescueExpiredLeases() == 0)
        #expect(await workerB.runDue(limit: 10) == 0)

        clock.advance(by: .seconds(2))
        #expect(await workerB.rescueExpiredLeases() == 2)
        async let ranOnB = workerB.runDue(limit: 10)
        async let ranOnC = workerC.runDue(limit: 10)
        #expect(await ranOnB + ranOnC == 1)
        #expect(await workerC.rescueExpiredLeases() == 0)
        #expect(await workerC.runDue(limit: 10) == 0)
        #expect(executions.counts == [id: 1])

        let rescued = try Self.job(host, id)
        #expect(rescued.status == "done" && rescued.attempts == 2)
        #expect(rescued.lastError == "the lease of worker-a expired before it finished attempt 1")
        let exhausted = try Self.job(host, lastChance)
        #expect(exhausted.status == "dead" && exhausted.lastError?.contains("lease of worker-a expired") == true)

        // Worker A comes back to life: its late writes change nothing.
        let late = try #require(abandoned.first { $0.record.id == id })
        #expect(try !host.services.jobs.extendLease(late, now: clock.now, lease: .seconds(30)))
        #expect(try !host.services.jobs.resolve(late, as: .dead(error: "too late"), now: clock.now))
        #expect(try Self.job(host, id).status == "done")
    }

    @Test("a running job's lease is renewed past its first expiry, so the rescuer leaves it alone")
    func heartbeatRenewsTheLease() async throws {
        let host = try Self.host { $0.lease = .milliseconds(300) }
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let (finish, finishSignal) = AsyncStream<Void>.makeStream()
        host.services.hostJobs.register(kind: "long") { _, _ in
            startedSignal.yield()
            for await _ in finish { break }
        }
        let id = try Self.schedule(host, "long", at: Clock.nowMillis())
        let scheduler = Self.scheduler(host)
        let lockedUntil = {
            try host.services.database.read { try $0.query("SELECT locked_until FROM jobs WHERE id = $1", [.text(id)]) }.first?.int("locked_until") ?? 0
        }

        let running = Task { await scheduler.runDue(limit: 1) }
        for await _ in started { break }
        let firstExpiry = try lockedUntil()
        let deadline = ContinuousClock.now + .seconds(30)
        while try lockedUntil() <= firstExpiry, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(try lockedUntil() > firstExpiry, "the lease was renewed while the job ran")
        #expect(try host.services.jobs.rescueExpired(now: firstExpiry + 1) == 0)
        finishSignal.yield()
        #expect(await running.value == 1)
        #expect(try Self.job(host, id).status == "done")
    }

    // MARK: The service

    @Test("on graceful shutdown the scheduler stops claiming and lets a job in flight finish")
    func gracefulShutdownFinishesTheJobInFlight() async throws {
        let host = try Self.host { $0.pollInterval = .milliseconds(10) }
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        let (finish, finishSignal) = AsyncStream<Void>.makeStream()
        host.services.hostJobs.register(kind: "long") { _, _ in
            startedSignal.yield()
            for await _ in finish { break }
        }
        let inFlight = try Self.schedule(host, "long", at: Clock.nowMillis())
        let scheduler = Self.scheduler(host) { $0.concurrency = 1 }

        try await testGracefulShutdown { trigger in
            let service = Task { await scheduler.run() }
            for await _ in started { break }
            trigger.triggerGracefulShutdown()
            let queued = try Self.schedule(host, "long", at: Clock.nowMillis())
            #expect(try Self.job(host, inFlight).status == "running")
            finishSignal.yield()
            await service.value
            #expect(try Self.job(host, queued).status == "pending", "nothing is claimed after shutdown starts")
        }
        #expect(try Self.job(host, inFlight).status == "done")
    }

    @Test("an idle worker wakes when the next job is due, and when this host commits a due job, not at its next poll")
    func idleWorkerWakesForDueJobs() async throws {
        let host = try Self.host { $0.pollInterval = .seconds(3600) }
        _ = Self.counting(host)
        let scheduler = Self.scheduler(host) { $0.concurrency = 1 }
        func done(_ id: String) async throws -> Bool {
            try await eventually { try Self.job(host, id).status == "done" }
        }
        let timed = try Self.schedule(host, "count", at: Clock.nowMillis() + 300)

        try await testGracefulShutdown { trigger in
            let service = Task { await scheduler.run() }
            // Nothing was due at start: the worker slept until the job's time, not for the hour-long poll.
            #expect(try await done(timed))
            let wakeups = host.services.jobs.wakeups
            #expect(try await eventually { wakeups.wouldWake(runAt: Clock.nowMillis() + 60_000) }, "the worker is asleep for the poll interval")
            let now = try Self.schedule(host, "count", at: Clock.nowMillis())
            #expect(try await done(now), "the commit woke it")
            trigger.triggerGracefulShutdown()
            await service.value
        }
    }

    @Test("a job that overruns the shutdown grace is cancelled and handed back, its attempt not counted")
    func gracefulShutdownHandsBackAnOverrunningJob() async throws {
        let host = try Self.host {
            $0.pollInterval = .milliseconds(10)
            $0.shutdownGrace = .milliseconds(100)
        }
        let (started, startedSignal) = AsyncStream<Void>.makeStream()
        host.services.hostJobs.register(kind: "stuck") { _, _ in
            startedSignal.yield()
            try await Task.sleep(for: .seconds(3600))
        }
        let id = try Self.schedule(host, "stuck", at: Clock.nowMillis())
        let scheduler = Self.scheduler(host)

        let shutdownStarted = ContinuousClock.now
        await testGracefulShutdown { trigger in
            let service = Task { await scheduler.run() }
            for await _ in started { break }
            trigger.triggerGracefulShutdown()
            await service.value
        }
        // The job would sleep an hour: shutdown must not wait for it (a generous bound, so a loaded machine passes).
        #expect(ContinuousClock.now - shutdownStarted < .seconds(60))
        let job = try Self.job(host, id)
        #expect(job.status == "pending" && job.attempts == 0)
        let lock = try host.services.database.read { try $0.query("SELECT locked_by FROM jobs WHERE id = $1", [.text(id)]) }
        #expect(lock.first?.string("locked_by") == nil)
    }

    @Test("200 jobs on two schedulers with two runners each run exactly once, at most four at a time")
    func concurrentRunnersRunEachJobOnce() async throws {
        let host = try Self.host {
            $0.pollInterval = .milliseconds(10)
            $0.concurrency = 2
        }
        let executions = Executions()
        host.services.hostJobs.register(kind: "tally") { job, _ in
            executions.begin(job.id)
            try await Task.sleep(for: .milliseconds(2))
            executions.end()
        }
        let now = Clock.nowMillis()
        let ids = try (0..<200).map { _ in try Self.schedule(host, "tally", at: now) }
        let schedulers = [Self.scheduler(host, workerID: "host-1"), Self.scheduler(host, workerID: "host-2")]

        try await testGracefulShutdown { trigger in
            let services = schedulers.map { scheduler in Task { await scheduler.run() } }
            let deadline = ContinuousClock.now + .seconds(60)
            while try host.services.jobs.list(tenantID: "alpha", pluginID: nil, status: "done", kind: nil, limit: 1000).count < 200,
                ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            trigger.triggerGracefulShutdown()
            for service in services { await service.value }
        }
        #expect(executions.counts.count == 200)
        #expect(Set(executions.counts.keys) == Set(ids))
        #expect(executions.counts.values.allSatisfy { $0 == 1 })
        #expect(executions.peak <= 4)
        #expect(executions.peak > 1, "the runners worked side by side")
    }

    // MARK: Plugin jobs

    @Test("a job HelloC schedules through the host API runs in its instance; flaky retries once, then succeeds")
    func pluginJobsRunThroughRunJob() async throws {
        let host = try Self.host()
        let clock = TestClock()
        let context = HostContext(tenantID: "alpha", pluginID: "hello-c", egress: EgressPolicy(allowed: []), services: host.services, tenant: { nil })
        func scheduleJob(_ request: JSON) throws -> String {
            let bytes = try request.serializedBytes()
            var out = sb_owned_bytes()
            let status = bytes.withUnsafeBufferPointer {
                HostAPITable.shared.pointee.schedule_job(
                    OpaquePointer(Unmanaged.passUnretained(context).toOpaque()), sb_bytes(ptr: $0.baseAddress, len: $0.count), &out)
            }
            defer { HostAPITable.shared.pointee.free_bytes(out) }
            #expect(status == SB_OK)
            return try JSON.parse(bytes: Array(UnsafeBufferPointer(start: out.ptr, count: out.len)))["id"]?.stringValue ?? ""
        }
        let count = try scheduleJob(["kind": "count", "run_at": .number(Double(clock.now))])
        let flaky = try scheduleJob(["kind": "flaky", "run_at": .number(Double(clock.now))])
        let scheduler = Self.scheduler(host, clock: clock)
        let counter = { try host.services.records.get(.init(tenantID: "alpha", pluginID: "hello-c"), collection: "counters", key: "jobs") }

        #expect(await scheduler.runDue(limit: 10) == 2)
        #expect(try Self.job(host, count).status == "done")
        #expect(try counter() == "1")
        let retrying = try Self.job(host, flaky)
        #expect(retrying.status == "pending" && retrying.attempts == 1)
        #expect(retrying.lastError == "hello-c: flaky fails its first attempt")

        clock.advance(to: retrying.runAt)
        #expect(await scheduler.runDue(limit: 10) == 1)
        let succeeded = try Self.job(host, flaky)
        #expect(succeeded.status == "done" && succeeded.attempts == 2)
        #expect(try counter() == "2")
        // Beta's HelloC counted nothing.
        #expect(try host.services.records.get(.init(tenantID: "beta", pluginID: "hello-c"), collection: "counters", key: "jobs") == nil)
    }

    @Test("the application runs the scheduler: a scheduled plugin job is done without anyone driving it")
    func applicationRunsTheScheduler() async throws {
        let host = try TestEnvironment.host(manifests: ["alpha": manifest(slug: "alpha", domain: "alpha.localhost")]) {
            $0.scheduler.enabled = true
            $0.scheduler.pollInterval = .milliseconds(20)
        }
        let id = try Self.schedule(host, "count", at: Clock.nowMillis(), plugin: "hello-c")
        let token = try host.token("alpha", role: "operations")
        try await host.buildApplication().test(.router) { client in
            let api = APIClient(client: client, host: "alpha.localhost", token: token)
            let deadline = ContinuousClock.now + .seconds(30)
            var done: [JSON] = []
            while done.isEmpty, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
                done = try await api.get("/api/v1/jobs?status=done").json["data"]?.arrayValue ?? []
            }
            #expect(done.first?["id"] == .string(id))
            #expect(try await api.post("/api/v1/jobs/\(id)/retry", [:]).status == .forbidden, "operations may read jobs, not retry them")
        }
    }

    // MARK: Backoff

    @Test("backoff doubles from its base up to its cap, with jitter in the upper half")
    func backoffGrowsToItsCap() {
        let backoff = Backoff(base: .seconds(2), cap: .seconds(3600))
        #expect(backoff.delay(afterAttempt: 1, jitter: 1) == .seconds(2))
        #expect(backoff.delay(afterAttempt: 1, jitter: 0) == .seconds(1))
        #expect(backoff.delay(afterAttempt: 4, jitter: 1) == .seconds(16))
        #expect(backoff.delay(afterAttempt: 12, jitter: 1) == .seconds(3600))
        #expect(backoff.delay(afterAttempt: 10_000, jitter: 0) == .seconds(1800))
        for attempt in 1...15 {
            let ceiling = min(Duration.seconds(3600), .seconds(2) * (1 << (attempt - 1)))
            let delay = backoff.delay(afterAttempt: attempt)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }
}
