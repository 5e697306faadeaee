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
    /// Moves up to `limit` due pending jobs of any tenant, soonest first, to `running` under a lease held by
    /// `workerID` until `now + lease`, counting the attempt, and returns them. On SQLite the single writer
    /// makes this atomic; on PostgreSQL `SKIP LOCKED` lets several hosts claim side by side, each job once.
    public func claim(workerID: String, limit: Int, now: Int64, lease: Duration) throws -> [ClaimedJob] {
        let rows = try database.transaction { connection in
            try connection.query(
                Self.claimStatement(database.dialect),
                [.text(workerID), .integer(now + lease.inMilliseconds), .integer(now), .integer(Int64(max(limit, 0)))])
        }
        return rows.map { ClaimedJob(tenantID: $0.string("tenant_id") ?? "", record: JobRecord(row: $0), workerID: workerID) }
            .sorted { $0.record.runAt < $1.record.runAt }
    }

    /// When the soonest pending job is due (epoch ms), whether or not that is past; `nil` when none is pending.
    public func nextDue() throws -> Int64? {
        try database.read { connection in
            try connection.query("SELECT run_at FROM jobs WHERE status = 'pending' ORDER BY run_at LIMIT 1").first?.int("run_at")
        }
    }

    /// The claim statement: `$1` worker, `$2` lease end, `$3` now, `$4` limit. Its subquery is meant to be served by
    /// the `jobs_claim` index, whatever the number of pending jobs (the benchmark checks the plan).
    public static func claimStatement(_ dialect: SQLDialect) -> String {
        let skipLocked = dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        return """
            UPDATE jobs SET status = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3
            WHERE (tenant_id, id) IN (
                SELECT tenant_id, id FROM jobs WHERE status = 'pending' AND run_at <= $3
                ORDER BY run_at LIMIT $4\(skipLocked)
            )
            RETURNING *
            """
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
