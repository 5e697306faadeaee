import SwitchboardJSON

/// A job a worker has claimed. Its lease is the pair (worker, attempt): every later write about the
/// job is conditional on both, so a worker whose lease expired, and whose job was claimed again,
/// changes nothing.
public struct ClaimedJob: Sendable {
    public let tenantID: String
    public let record: JobRecord
    public let workerID: String

    /// The attempt this claim started: 1 for the first run.
    public var attempt: Int { record.attempts }
}

/// How a claimed job ended.
public enum JobResolution: Sendable, Equatable {
    case done
    /// Back to `pending`, due at `at` (epoch ms), with the error kept in `last_error`.
    case retry(at: Int64, error: String)
    /// Into the dead-letter list (`dead`), with the error kept in `last_error`.
    case dead(error: String)

    /// `done`, `retry` or `dead`.
    public var name: String {
        switch self {
        case .done: "done"
        case .retry: "retry"
        case .dead: "dead"
        }
    }
}

/// The scheduler's side of the job store: claims under a lease, heartbeats, outcomes and rescue.
extension JobStore {
    /// Moves up to `limit` due pending jobs to `running` under a lease held by `workerID` until `now + lease`, counting
    /// the attempt, and returns them: at most `perTenant` of one tenant, none of `excludingTenants`. It visits the
    /// tenants whose queue is due, the one waiting longest first, and claims each one's jobs in the order they are
    /// due, so what it costs does not depend on how many jobs wait for the tenants it skips. A job in a lane is only
    /// claimed when no earlier job of its lane is pending or running. On SQLite the single writer makes this atomic;
    /// on PostgreSQL `SKIP LOCKED` lets several hosts claim side by side, each job once, and a lane's next job stays
    /// blocked while another host's claim of the one before it is uncommitted.
    public func claim(
        workerID: String, limit: Int, now: Int64, lease: Duration, excludingTenants: [String] = [], perTenant: Int = .max
    ) throws -> [ClaimedJob] {
        var claimed: [ClaimedJob] = []
        var skipped = excludingTenants
        // One visit: the tenant due longest, its due jobs, or its queue put forward when it has none (so the visits end).
        let visit = { (connection: SQLConnection) throws -> Bool in
            guard let tenantID = try dueTenant(now: now, excluding: skipped, in: connection) else { return false }
            skipped.append(tenantID)
            let jobs = try claim(
                tenantID: tenantID, limit: min(limit - claimed.count, perTenant), workerID: workerID, now: now, lease: lease, in: connection)
            if jobs.isEmpty { try putQueueForward(tenantID: tenantID, in: connection) }
            claimed += jobs
            return true
        }
        // On SQLite the visits share one transaction (one writer: nothing to deadlock on, and a commit saved per tenant);
        // on PostgreSQL each has its own, so no host holds one tenant's queue while it waits for another's.
        if database.dialect == .sqlite {
            try database.transaction { connection in
                for _ in 0..<Self.maxVisitsPerClaim where claimed.count < limit {
                    guard try visit(connection) else { break }
                }
            }
        } else {
            for _ in 0..<Self.maxVisitsPerClaim where claimed.count < limit {
                guard try database.transaction(visit) else { break }
            }
        }
        return claimed.sorted { $0.record.runAt < $1.record.runAt }
    }

    static let maxVisitsPerClaim = 32

    /// The tenant not in `excluding` whose queue has been due longest, if any is due at `now`.
    private func dueTenant(now: Int64, excluding: [String], in connection: SQLConnection) throws -> String? {
        try connection.query(
            Self.dueTenantStatement(database.dialect), [.integer(now), .text(try JSON.array(excluding.map(JSON.string)).serialized())]
        ).first?.string("tenant_id")
    }

    /// `$1` now, `$2` a JSON array of tenants to skip: served by `job_queues_due`, passing over the skipped only.
    public static func dueTenantStatement(_ dialect: SQLDialect) -> String {
        """
        SELECT tenant_id FROM job_queues WHERE next_run_at <= $1
          AND tenant_id NOT IN (\(skippedTenants(dialect, parameter: 2)))
        ORDER BY next_run_at LIMIT 1
        """
    }

    /// Claims up to `limit` due jobs of one tenant, and moves its queue on to the last of them: the tenant's
    /// remaining claimable jobs are due no sooner, and the queue stays due, so nothing committed meanwhile is missed.
    private func claim(
        tenantID: String, limit: Int, workerID: String, now: Int64, lease: Duration, in connection: SQLConnection
    ) throws -> [ClaimedJob] {
        let rows = try connection.query(
            Self.tenantClaimStatement(database.dialect),
            [.text(tenantID), .text(workerID), .integer(now + lease.inMilliseconds), .integer(now), .integer(Int64(max(limit, 0)))])
        let jobs = rows.map { ClaimedJob(tenantID: tenantID, record: JobRecord(row: $0), workerID: workerID) }
        if let last = jobs.map(\.record.runAt).max() {
            try connection.execute(
                "UPDATE job_queues SET next_run_at = $2 WHERE tenant_id = $1 AND next_run_at < $2", [.text(tenantID), .integer(last)])
        }
        return jobs
    }

    /// The claim of one tenant's jobs: `$1` tenant, `$2` worker, `$3` lease end, `$4` now, `$5` limit. Its subquery
    /// is served by `jobs_due` (tenant, status, run_at), a lane's test by `jobs_lane`.
    public static func tenantClaimStatement(_ dialect: SQLDialect) -> String {
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return """
            UPDATE jobs SET status = 'running', locked_by = $2, locked_until = $3, attempts = attempts + 1, updated_at = $4
            WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM jobs j WHERE tenant_id = $1 AND status = 'pending' AND run_at <= $4
                  AND (lane IS NULL OR \(laneIsFree))
                ORDER BY run_at LIMIT $5\(skipLocked)
            )
            RETURNING *
            """
    }

    /// Sets a tenant's queue to its earliest claimable pending job (none: `NULL`), after a claim found none due. On
    /// PostgreSQL it first takes the tenant's queue lock, which every transaction making one of its jobs pending
    /// holds shared until it commits (the `jobs_queue_due` trigger), and reads the jobs after that: a job committed
    /// meanwhile is seen, and one still uncommitted moves the queue back itself once this one is done.
    func putQueueForward(tenantID: String, in connection: SQLConnection) throws {
        if database.dialect == .postgres {
            _ = try connection.query("SELECT pg_advisory_xact_lock(\(Migrations.postgresQueueLock("$1")))", [.text(tenantID)])
        }
        try connection.execute(
            """
            UPDATE job_queues SET next_run_at = (
                SELECT run_at FROM jobs j WHERE tenant_id = $1 AND status = 'pending' AND (lane IS NULL OR \(Self.laneIsFree))
                ORDER BY run_at LIMIT 1)
            WHERE tenant_id = $1
            """,
            [.text(tenantID)])
    }

    /// When the soonest queue of a tenant not in `excludingTenants` is due (epoch ms), whether or not that is past;
    /// `nil` when no tenant has a job pending. A job held back by an earlier one of its lane does not count once a
    /// claim found it so: the queue moves back when the earlier one finishes.
    public func nextDue(excludingTenants: [String] = []) throws -> Int64? {
        try database.read { connection in
            try connection.query(
                """
                SELECT next_run_at FROM job_queues WHERE next_run_at IS NOT NULL
                  AND tenant_id NOT IN (\(Self.skippedTenants(database.dialect, parameter: 1)))
                ORDER BY next_run_at LIMIT 1
                """,
                [.text(try JSON.array(excludingTenants.map(JSON.string)).serialized())]
            ).first?.int("next_run_at")
        }
    }

    /// True for a job `j` that no earlier job of its lane holds back.
    private static let laneIsFree = """
        NOT EXISTS (SELECT 1 FROM jobs e WHERE e.tenant_id = j.tenant_id AND e.lane = j.lane AND e.lane_seq < j.lane_seq
                    AND e.status IN ('pending', 'running'))
        """

    /// The tenants of the JSON array in parameter `$parameter`, as a subquery.
    private static func skippedTenants(_ dialect: SQLDialect, parameter: Int) -> String {
        dialect == .postgres ? "SELECT jsonb_array_elements_text($\(parameter)::jsonb)" : "SELECT value FROM json_each($\(parameter))"
    }

    /// Claims the next job of one lane of a tenant when it is due and nothing earlier holds it back; nil otherwise.
    /// A request uses it to run the rules of its own change before it answers (`AutomationEngine.settle`).
    public func claimLaneHead(tenantID: String, lane: String, workerID: String, now: Int64, lease: Duration) throws -> ClaimedJob? {
        let skipLocked = database.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let row = try database.transaction { connection in
            try connection.query(
                """
                UPDATE jobs SET status = 'running', locked_by = $3, locked_until = $4, attempts = attempts + 1, updated_at = $5
                WHERE (tenant_id, id) IN (
                    SELECT tenant_id, id FROM jobs j WHERE tenant_id = $1 AND lane = $2 AND status = 'pending' AND run_at <= $5
                      AND \(Self.laneIsFree)
                    ORDER BY lane_seq LIMIT 1\(skipLocked)
                )
                RETURNING *
                """,
                [.text(tenantID), .text(lane), .text(workerID), .integer(now + lease.inMilliseconds), .integer(now)]
            ).first
        }
        return row.map { ClaimedJob(tenantID: tenantID, record: JobRecord(row: $0), workerID: workerID) }
    }

    /// Extends a running job's lease to `now + lease`. False when the lease is lost: it expired and the job
    /// was rescued, or it was released.
    public func extendLease(_ job: ClaimedJob, now: Int64, lease: Duration) throws -> Bool {
        try whileLeased(job, set: "locked_until = $5, updated_at = $6", [.integer(now + lease.inMilliseconds), .integer(now)])
    }

    /// Records how a claimed job ended and drops its lease. False when the lease was lost and nothing was written.
    public func resolve(_ job: ClaimedJob, as resolution: JobResolution, now: Int64) throws -> Bool {
        let status: String, runAt: Int64?, error: String?
        switch resolution {
        case .done: (status, runAt, error) = ("done", nil, nil)
        case .retry(let at, let message): (status, runAt, error) = ("pending", at, message)
        case .dead(let message): (status, runAt, error) = ("dead", nil, message)
        }
        return try whileLeased(
            job,
            set: """
                status = $5, run_at = COALESCE($6, run_at), last_error = COALESCE($7, last_error),
                locked_by = NULL, locked_until = NULL, updated_at = $8
                """,
            [.text(status), runAt.map(SQLValue.integer) ?? .null, .text(error), .integer(now)])
    }

    /// Hands a claimed job back unfinished: `pending` again, its attempt not counted.
    public func release(_ job: ClaimedJob, now: Int64) throws -> Bool {
        try whileLeased(
            job, set: "status = 'pending', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, updated_at = $5",
            [.integer(now)])
    }

    /// Makes running jobs whose lease ran out before `now` claimable again: their worker stopped without
    /// finishing them, most likely because its host died. A job with no attempts left goes to the
    /// dead-letter list instead. Returns how many jobs it moved.
    public func rescueExpired(now: Int64) throws -> Int {
        try database.transaction { connection in
            try connection.execute(
                """
                UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END,
                    last_error = 'the lease of ' || locked_by || ' expired before it finished attempt ' || CAST(attempts AS TEXT),
                    locked_by = NULL, locked_until = NULL, updated_at = $1
                WHERE status = 'running' AND locked_until < $1
                """,
                [.integer(now)])
        }
    }

    /// Deletes up to `limit` jobs of any tenant that finished (done or cancelled) and last ran before `before` (their
    /// `run_at`: when they were last due, so served by `jobs_claim`); returns how many.
    public func sweep(finishedBefore before: Int64, limit: Int = 10_000) throws -> Int {
        try database.transaction { connection in
            try connection.execute(
                """
                DELETE FROM jobs WHERE (tenant_id, id) IN (
                    SELECT tenant_id, id FROM jobs WHERE status IN ('done', 'cancelled') AND run_at < $1 LIMIT $2)
                """,
                [.integer(before), .integer(Int64(limit))])
        }
    }

    /// Runs `UPDATE jobs SET <set>` on the job only while `job`'s lease holds. Parameters `$1`–`$4` name the
    /// job and its lease; `extra` follows from `$5`.
    private func whileLeased(_ job: ClaimedJob, set: String, _ extra: [SQLValue]) throws -> Bool {
        try database.transaction { connection in
            try connection.execute(
                """
                UPDATE jobs SET \(set)
                WHERE tenant_id = $1 AND id = $2 AND status = 'running' AND locked_by = $3 AND attempts = $4
                """,
                [.text(job.tenantID), .text(job.record.id), .text(job.workerID), .integer(Int64(job.attempt))] + extra) > 0
        }
    }
}
