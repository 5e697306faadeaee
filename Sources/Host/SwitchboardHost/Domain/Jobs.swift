import SwitchboardJSON

/// A durable job: what to run, for which tenant and plugin, and when.
public struct JobRecord: Codable, Sendable {
    public var id: String
    public var pluginID: String?
    public var kind: String
    public var payload: JSON
    public var runAt: Int64
    public var status: String
    public var attempts: Int
    public var maxAttempts: Int
    public var lastError: String?
    public var uniqueKey: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    /// Every status a job can be in. `dead` is the dead-letter list.
    public static let statuses: Set<String> = ["pending", "running", "done", "cancelled", "failed", "dead"]

    enum CodingKeys: String, CodingKey {
        case id, kind, payload, status, attempts
        case pluginID = "plugin_id", runAt = "run_at", maxAttempts = "max_attempts"
        case lastError = "last_error", uniqueKey = "unique_key", createdAt = "created_at", updatedAt = "updated_at"
    }

    init(row: Row) {
        id = row.string("id") ?? ""
        pluginID = row.string("plugin_id")
        kind = row.string("kind") ?? ""
        payload = (try? JSON.parse(row.string("payload") ?? "null")) ?? .null
        runAt = row.int("run_at") ?? 0
        status = row.string("status") ?? ""
        attempts = Int(row.int("attempts") ?? 0)
        maxAttempts = Int(row.int("max_attempts") ?? 0)
        lastError = row.string("last_error")
        uniqueKey = row.string("unique_key")
        createdAt = row.int("created_at") ?? 0
        updatedAt = row.int("updated_at") ?? 0
    }
}

/// Tenant-scoped job storage: schedule, cancel, list and retry. The scheduler's side is in JobQueue.swift.
public struct JobStore: Sendable {
    public let database: Database
    /// Wakes this host's idle scheduler workers when a job due before their next look commits.
    public let wakeups = JobWakeups()

    public struct Scheduled: Encodable, Sendable {
        public let id: String
        public let created: Bool
    }

    /// Schedules a job. With a `uniqueKey` that is already pending or running, returns that job instead.
    public func schedule(
        tenantID: String, pluginID: String?, kind: String, runAt: Int64, payload: JSON,
        uniqueKey: String?, maxAttempts: Int
    ) throws -> Scheduled {
        try database.transaction { connection in
            try schedule(
                tenantID: tenantID, pluginID: pluginID, kind: kind, runAt: runAt, payload: payload, uniqueKey: uniqueKey,
                maxAttempts: maxAttempts, in: connection)
        }
    }

    /// Schedules a job inside the caller's transaction, so it commits (or not) with the caller's writes.
    /// A job in a `lane` is not claimed while a job of the same lane with a lower `laneSeq` is pending or running:
    /// the lanes keep each subscriber's events of one contact in order (`EventLog`).
    public func schedule(
        tenantID: String, pluginID: String?, kind: String, runAt: Int64, payload: JSON,
        uniqueKey: String?, maxAttempts: Int, lane: String? = nil, laneSeq: Int64? = nil, in connection: SQLConnection
    ) throws -> Scheduled {
        let id = Identifier.make()
        let now = Clock.nowMillis()
        let inserted = try connection.execute(
            """
            INSERT INTO jobs (tenant_id, id, plugin_id, kind, payload, run_at, status, max_attempts, unique_key, created_at, updated_at,
                              lane, lane_seq)
            VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $9, $10, $11)
            ON CONFLICT DO NOTHING
            """,
            [.text(tenantID), .text(id), .text(pluginID), .text(kind), .text(try payload.serialized()),
             .integer(runAt), .integer(Int64(maxAttempts)), .text(uniqueKey), .integer(now), .text(lane),
             laneSeq.map(SQLValue.integer) ?? .null])
        if inserted > 0 {
            if wakeups.wouldWake(runAt: runAt) {
                connection.afterCommit { [wakeups] in wakeups.wakeOne(dueAt: runAt) }
            }
            return Scheduled(id: id, created: true)
        }
        let existing = try connection.query(
            """
            SELECT id FROM jobs WHERE tenant_id = $1 AND unique_key = $2 AND status IN ('pending', 'running')
            """,
            [.text(tenantID), .text(uniqueKey)])
        guard let existingID = existing.first?.string("id") else {
            throw DatabaseError(kind: .constraint, message: "job \(kind) could not be scheduled")
        }
        return Scheduled(id: existingID, created: false)
    }

    /// Cancels pending jobs of one plugin by id or unique key; returns how many. A plugin's event deliveries are the
    /// host's to run, not the plugin's to cancel.
    public func cancel(tenantID: String, pluginID: String?, id: String?, uniqueKey: String?) throws -> Int {
        try database.transaction { connection in
            let column = id != nil ? "id" : "unique_key"
            return try connection.execute(
                """
                UPDATE jobs SET status = 'cancelled', updated_at = $4
                WHERE tenant_id = $1 AND \(column) = $2 AND status = 'pending' AND kind <> '\(EventLog.deliverKind)'
                  AND (plugin_id = $3 OR ($3 IS NULL AND plugin_id IS NULL))
                """,
                [.text(tenantID), .text(id ?? uniqueKey), .text(pluginID), .integer(Clock.nowMillis())])
        }
    }

    /// Jobs of a tenant (and plugin, when given), soonest first. A plugin's list leaves its event deliveries out.
    public func list(tenantID: String, pluginID: String?, status: String?, kind: String?, limit: Int = 200) throws -> [JobRecord] {
        var sql = "SELECT * FROM jobs WHERE tenant_id = $1"
        if pluginID != nil, kind != EventLog.deliverKind { sql += " AND kind <> '\(EventLog.deliverKind)'" }
        var parameters: [SQLValue] = [.text(tenantID)]
        for (column, value) in [("plugin_id", pluginID), ("status", status), ("kind", kind)] {
            guard let value else { continue }
            parameters.append(.text(value))
            sql += " AND \(column) = $\(parameters.count)"
        }
        sql += " ORDER BY run_at, id LIMIT \(max(1, min(limit, 1000)))"
        return try database.read { try $0.query(sql, parameters) }.map(JobRecord.init(row:))
    }

    /// One page of a tenant's jobs, newest first, optionally of one status and kind.
    public func page(tenantID: String, status: String?, kind: String?, page: PageRequest) throws -> Page<JobRecord> {
        var sql = "SELECT * FROM jobs WHERE tenant_id = $1"
        var parameters: [SQLValue] = [.text(tenantID)]
        for (column, value) in [("status", status), ("kind", kind)] {
            guard let value else { continue }
            parameters.append(.text(value))
            sql += " AND \(column) = $\(parameters.count)"
        }
        return try database.read { try page.fetch(sql: sql, parameters: parameters, in: $0, JobRecord.init(row:)) }
    }

    /// What became of a request to retry a job.
    public enum RetryResult: Sendable {
        case retried(JobRecord)
        case notFound
        /// Only `dead` and `failed` jobs can be retried.
        case notRetryable(status: String)
        /// Another pending or running job of the tenant holds the job's unique key.
        case uniqueKeyTaken
    }

    /// Sends a dead or failed job back to `pending`, due at `now`, with its attempts reset; audited as `job_retried`.
    public func retry(tenantID: String, id: String, actor: String, now: Int64) throws -> RetryResult {
        do {
            return try database.transaction { connection in
                let rows = try connection.query("SELECT * FROM jobs WHERE tenant_id = $1 AND id = $2", [.text(tenantID), .text(id)])
                guard let job = rows.first.map(JobRecord.init(row:)) else { return .notFound }
                guard job.status == "dead" || job.status == "failed" else { return .notRetryable(status: job.status) }
                let updated = try connection.query(
                    """
                    UPDATE jobs SET status = 'pending', run_at = $3, attempts = 0, updated_at = $3
                    WHERE tenant_id = $1 AND id = $2 RETURNING *
                    """,
                    [.text(tenantID), .text(id), .integer(now)])
                try AuditLog(database: database).record(
                    tenantID: tenantID, actor: actor, action: "job_retried", subject: id,
                    details: ["kind": .string(job.kind), "previous_status": .string(job.status),
                              "last_error": job.lastError.map(JSON.string) ?? .null],
                    in: connection)
                return .retried(JobRecord(row: updated[0]))
            }
        } catch let error as DatabaseError where error.kind == .constraint {
            return .uniqueKeyTaken
        }
    }
}
