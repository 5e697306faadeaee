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
    /// Moves up to `limit` due pending jobs of any tenant but those in `excludingTenants`, soonest first, to `running`
    /// under a lease held by `workerID` until `now + lease`, counting the attempt, and returns them. A job in a lane is
    /// only claimed when no earlier job of its lane is pending or running. On SQLite the single writer makes this
    /// atomic; on PostgreSQL `SKIP LOCKED` lets several hosts claim side by side, each job once, and a lane's next job
    /// stays blocked while another host's claim of the one before it is uncommitted.
    public func claim(workerID: String, limit: Int, now: Int64, lease: Duration, excludingTenants: [String] = []) throws -> [ClaimedJob] {
        let rows = try database.transaction { connection in
            try connection.query(
                Self.claimStatement(database.dialect),
                [.text(workerID), .integer(now + lease.inMilliseconds), .integer(now), .integer(Int64(max(limit, 0))),
                 .text(try JSON.array(excludingTenants.map(JSON.string)).serialized())])
        }
        return rows.map { ClaimedJob(tenantID: $0.string("tenant_id") ?? "", record: JobRecord(row: $0), workerID: workerID) }
            .sorted { $0.record.runAt < $1.record.runAt }
    }

    /// When the soonest claimable pending job of a tenant not in `excludingTenants` is due (epoch ms), whether or not
    /// that is past; `nil` when none is pending. A job held back by an earlier one of its lane does not count: the
    /// worker that finishes the earlier one claims the next.
    public func nextDue(excludingTenants: [String] = []) throws -> Int64? {
        try database.read { connection in
            try connection.query(
                """
                SELECT run_at FROM jobs j WHERE status = 'pending' AND (lane IS NULL OR \(Self.laneIsFree))
                  AND tenant_id NOT IN (\(Self.skippedTenants(database.dialect, parameter: 1)))
                ORDER BY run_at LIMIT 1
                """,
                [.text(try JSON.array(excludingTenants.map(JSON.string)).serialized())]
            ).first?.int("run_at")
        }
    }

    /// The claim statement: `$1` worker, `$2` lease end, `$3` now, `$4` limit, `$5` a JSON array of tenants to skip. Its
    /// subquery is meant to be served by the `jobs_claim` index, whatever the number of pending jobs (the benchmark
    /// checks the plan), and a lane's test by `jobs_lane`.
    public static func claimStatement(_ dialect: SQLDialect) -> String {
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return """
            UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
            WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM jobs j WHERE status = 'pending' AND run_at <= $3
                  AND (lane IS NULL OR \(laneIsFree))
                  AND tenant_id NOT IN (\(skippedTenants(dialect, parameter: 5)))
                ORDER BY run_at LIMIT $4\(skipLocked)
            )
            RETURNING *
            """
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

    /// Deletes up to `limit` jobs of any tenant that finished (done or cancelled) before `before`; returns how many.
    public func sweep(finishedBefore before: Int64, limit: Int = 10_000) throws -> Int {
        try database.transaction { connection in
            try connection.execute(
                """
                DELETE FROM jobs WHERE (tenant_id, id) IN (
                    SELECT tenant_id, id FROM jobs WHERE status IN ('done', 'cancelled') AND updated_at < $1 LIMIT $2)
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
