/// The numbered schema migrations, the same set on SQLite and PostgreSQL.
///
/// Rules: every table carries `tenant_id`, and its primary key and indexes lead
/// with it (the exceptions serve the scheduler and the retention sweep across all tenants: `jobs_claim`,
/// `events_age`, `job_queues_due`); times are epoch
/// milliseconds (BIGINT); JSON is TEXT. A migration is never edited once
/// released: add a new one.
public enum Migrations {
    public struct Migration: Sendable {
        public let version: Int
        public let name: String
        public let statements: [String]
        /// Statements only one driver runs, after `statements`: triggers, whose languages differ.
        public var sqlite: [String] = []
        public var postgres: [String] = []

        /// The statements this migration runs on `dialect`.
        func statements(for dialect: SQLDialect) -> [String] {
            statements + (dialect == .postgres ? postgres : sqlite)
        }
    }

    public static let all: [Migration] = [
        Migration(version: 1, name: "core", statements: [
            """
            CREATE TABLE tenants (
                tenant_id TEXT NOT NULL PRIMARY KEY,
                manifest TEXT NOT NULL,
                status TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL
            )
            """,
            """
            CREATE TABLE plugin_records (
                tenant_id TEXT NOT NULL,
                plugin_id TEXT NOT NULL,
                collection TEXT NOT NULL,
                record_key TEXT NOT NULL,
                value TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, plugin_id, collection, record_key)
            )
            """,
            """
            CREATE TABLE contacts (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT,
                phone TEXT,
                email TEXT,
                attributes TEXT NOT NULL DEFAULT '{}',
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE UNIQUE INDEX contacts_phone ON contacts (tenant_id, phone)",
            "CREATE UNIQUE INDEX contacts_email ON contacts (tenant_id, email)",
            """
            CREATE TABLE contact_labels (
                tenant_id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, contact_id, label)
            )
            """,
            """
            CREATE TABLE jobs (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                plugin_id TEXT,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL DEFAULT 'null',
                run_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                max_attempts INTEGER NOT NULL DEFAULT 5,
                last_error TEXT,
                unique_key TEXT,
                locked_by TEXT,
                locked_until BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            """
            CREATE UNIQUE INDEX jobs_unique_active ON jobs (tenant_id, unique_key)
                WHERE unique_key IS NOT NULL AND status IN ('pending', 'running')
            """,
            "CREATE INDEX jobs_due ON jobs (tenant_id, status, run_at)",
            """
            CREATE TABLE messages (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                direction TEXT NOT NULL,
                channel TEXT NOT NULL,
                type TEXT NOT NULL,
                content TEXT,
                template_name TEXT,
                variables TEXT,
                status TEXT NOT NULL,
                provider_message_id TEXT,
                error_code TEXT,
                sent_by TEXT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX messages_contact ON messages (tenant_id, contact_id, created_at)",
            """
            CREATE TABLE audit_log (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                occurred_at BIGINT NOT NULL,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                subject TEXT,
                details TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX audit_log_time ON audit_log (tenant_id, occurred_at)",
        ]),
        Migration(version: 2, name: "rbac-and-core-domain", statements: [
            """
            CREATE TABLE users (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                email TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                password_hash TEXT NOT NULL,
                disabled_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE UNIQUE INDEX users_email ON users (tenant_id, email)",
            """
            CREATE TABLE api_tokens (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                role TEXT NOT NULL,
                prefix TEXT NOT NULL,
                token_hash TEXT NOT NULL,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                last_used_at BIGINT,
                revoked_at BIGINT,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (tenant_id, token_hash)",
            """
            CREATE TABLE conversations (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                contact_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                status TEXT NOT NULL,
                assignee TEXT,
                team TEXT,
                attributes TEXT NOT NULL DEFAULT '{}',
                last_inbound_at BIGINT,
                last_message_at BIGINT,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX conversations_contact ON conversations (tenant_id, contact_id, channel)",
            "CREATE INDEX conversations_recent ON conversations (tenant_id, last_message_at)",
            """
            CREATE TABLE conversation_labels (
                tenant_id TEXT NOT NULL,
                conversation_id TEXT NOT NULL,
                label TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, conversation_id, label)
            )
            """,
            "ALTER TABLE messages ADD COLUMN conversation_id TEXT",
            "CREATE INDEX messages_conversation ON messages (tenant_id, conversation_id, created_at)",
            "CREATE UNIQUE INDEX messages_provider_id ON messages (tenant_id, channel, provider_message_id)",
            """
            CREATE TABLE labels (
                tenant_id TEXT NOT NULL,
                name TEXT NOT NULL,
                color TEXT NOT NULL,
                description TEXT,
                created_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, name)
            )
            """,
            """
            CREATE TABLE tasks (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                title TEXT NOT NULL,
                description TEXT,
                task_type TEXT NOT NULL,
                priority TEXT NOT NULL,
                status TEXT NOT NULL,
                assignee TEXT,
                contact_id TEXT,
                conversation_id TEXT,
                due_at BIGINT,
                reminder_at BIGINT,
                completed_at BIGINT,
                created_by TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX tasks_open ON tasks (tenant_id, status, due_at)",
            """
            CREATE TABLE templates (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                channel TEXT NOT NULL,
                language TEXT NOT NULL,
                category TEXT NOT NULL,
                subject TEXT,
                body TEXT NOT NULL,
                html_body TEXT,
                variables TEXT NOT NULL DEFAULT '[]',
                approval_status TEXT NOT NULL,
                business_entity TEXT,
                active INTEGER NOT NULL DEFAULT 1,
                usage_count INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE UNIQUE INDEX templates_name ON templates (tenant_id, name, channel, language)",
            """
            CREATE TABLE automation_rules (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                name TEXT NOT NULL,
                event TEXT NOT NULL,
                definition TEXT NOT NULL,
                active INTEGER NOT NULL DEFAULT 1,
                source TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX automation_rules_event ON automation_rules (tenant_id, event, active)",
            """
            CREATE TABLE automation_runs (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                rule_id TEXT NOT NULL,
                event TEXT NOT NULL,
                subject TEXT,
                outcome TEXT NOT NULL,
                details TEXT NOT NULL DEFAULT '{}',
                occurred_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX automation_runs_rule ON automation_runs (tenant_id, rule_id, occurred_at)",
        ]),
        // The scheduler claims due jobs of every tenant at once (`status = 'pending' AND run_at <= now
        // ORDER BY run_at`), and its rescuer looks for `status = 'running'` jobs whose lease expired.
        // `jobs_due` leads with tenant_id, so it cannot serve a query over all tenants: without this
        // index each claim would scan the whole jobs table.
        Migration(version: 3, name: "scheduler", statements: [
            "CREATE INDEX jobs_claim ON jobs (status, run_at)",
        ]),
        Migration(version: 4, name: "channels-and-policy", statements: [
            "ALTER TABLE conversations ADD COLUMN last_outbound_at BIGINT",
            "ALTER TABLE conversations ADD COLUMN service_window_expires_at BIGINT",
            "ALTER TABLE conversations ADD COLUMN owner TEXT NOT NULL DEFAULT 'bot'",
            "ALTER TABLE conversations ADD COLUMN thread_key TEXT",
            "CREATE INDEX conversations_thread ON conversations (tenant_id, channel, thread_key)",
            "ALTER TABLE messages ADD COLUMN send_at BIGINT",
            "ALTER TABLE messages ADD COLUMN category TEXT",
            "ALTER TABLE messages ADD COLUMN attachments TEXT",
            "ALTER TABLE messages ADD COLUMN error_message TEXT",
            "ALTER TABLE messages ADD COLUMN recipient TEXT",
        ]),
        Migration(version: 5, name: "channel-subscriptions", statements: [
            """
            CREATE TABLE channel_subscriptions (
                tenant_id TEXT NOT NULL,
                channel TEXT NOT NULL,
                subscription_id TEXT NOT NULL,
                resource TEXT NOT NULL,
                expires_at BIGINT NOT NULL,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, channel)
            )
            """,
        ]),
        Migration(version: 6, name: "calendar", statements: [
            """
            CREATE TABLE calendar_events (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                title TEXT NOT NULL,
                description TEXT,
                location TEXT,
                starts_at BIGINT NOT NULL,
                ends_at BIGINT NOT NULL,
                status TEXT NOT NULL,
                contact_id TEXT,
                conversation_id TEXT,
                source TEXT NOT NULL,
                sequence INTEGER NOT NULL DEFAULT 0,
                created_at BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX calendar_events_time ON calendar_events (tenant_id, starts_at)",
        ]),
        Migration(version: 7, name: "console-sessions", statements: [
            """
            CREATE TABLE console_sessions (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                user_id TEXT NOT NULL,
                csrf_token TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, id)
            )
            """,
        ]),
        Migration(version: 8, name: "outbound-idempotency", statements: [
            "ALTER TABLE messages ADD COLUMN idempotency_key TEXT",
            "CREATE UNIQUE INDEX messages_idempotency ON messages (tenant_id, idempotency_key)",
        ]),
        Migration(version: 9, name: "plugin-reloads", statements: [
            """
            CREATE TABLE plugin_reloads (
                tenant_id TEXT NOT NULL,
                plugin_id TEXT NOT NULL,
                generation BIGINT NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (tenant_id, plugin_id)
            )
            """,
        ]),
        // The event pipeline: every change is recorded as an event in the same transaction (the outbox), and
        // each subscriber gets it through a job of its own. A job's `lane` (subscriber and contact) holds back a
        // later event until the earlier ones of that lane are finished; `contacts.event_seq` numbers a contact's
        // events in commit order, since updating it locks the contact's row until the commit.
        Migration(version: 10, name: "event-pipeline", statements: [
            """
            CREATE TABLE events (
                tenant_id TEXT NOT NULL,
                id TEXT NOT NULL,
                type TEXT NOT NULL,
                contact_id TEXT,
                conversation_id TEXT,
                sequence BIGINT,
                occurred_at BIGINT NOT NULL,
                recorded_at BIGINT NOT NULL,
                source TEXT,
                actor TEXT NOT NULL,
                cause_id TEXT,
                depth INTEGER NOT NULL DEFAULT 0,
                data TEXT NOT NULL DEFAULT '{}',
                PRIMARY KEY (tenant_id, id)
            )
            """,
            "CREATE INDEX events_recorded ON events (tenant_id, recorded_at)",
            // The retention sweep deletes old events of every tenant at once.
            "CREATE INDEX events_age ON events (recorded_at)",
            "CREATE INDEX jobs_finished ON jobs (status, updated_at)",
            "ALTER TABLE contacts ADD COLUMN event_seq BIGINT NOT NULL DEFAULT 0",
            "ALTER TABLE jobs ADD COLUMN lane TEXT",
            "ALTER TABLE jobs ADD COLUMN lane_seq BIGINT",
            """
            CREATE INDEX jobs_lane ON jobs (tenant_id, lane, lane_seq)
                WHERE lane IS NOT NULL AND status IN ('pending', 'running')
            """,
            "ALTER TABLE automation_runs ADD COLUMN event_id TEXT",
            "CREATE INDEX automation_runs_event ON automation_runs (tenant_id, event_id, rule_id)",
            "ALTER TABLE messages ADD COLUMN sent_at BIGINT",
        ]),
        // Per-tenant job queues: a claim picks a tenant whose queue is due, then that tenant's job that comes
        // first, so its cost does not grow with the backlog of tenants it skips (one whose plugin hangs with
        // thousands of events waiting, say). `next_run_at` is never later than the tenant's earliest claimable
        // pending job (it may be earlier: a claim that finds nothing puts it forward). The triggers keep that so
        // on every path that makes a job pending, and when a lane's job finishes and the next one may go.
        Migration(
            version: 11, name: "job-queues",
            statements: [
                """
                CREATE TABLE job_queues (
                    tenant_id TEXT NOT NULL PRIMARY KEY,
                    next_run_at BIGINT
                )
                """,
                "CREATE INDEX job_queues_due ON job_queues (next_run_at)",
                // Every claim, lease renewal and outcome moved a job in this index, for an hourly sweep that
                // `jobs_claim` (status, run_at) serves as well: a finished job's run_at is when it last ran.
                "DROP INDEX jobs_finished",
                """
                INSERT INTO job_queues (tenant_id, next_run_at)
                SELECT tenant_id, MIN(run_at) FROM jobs WHERE status = 'pending' GROUP BY tenant_id
                """,
            ],
            sqlite: [
                """
                CREATE TRIGGER jobs_queue_inserted AFTER INSERT ON jobs WHEN NEW.status = 'pending'
                BEGIN
                    \(sqliteQueueDue("NEW.run_at"));
                END
                """,
                """
                CREATE TRIGGER jobs_queue_pending AFTER UPDATE OF status, run_at ON jobs WHEN NEW.status = 'pending'
                BEGIN
                    \(sqliteQueueDue("NEW.run_at"));
                END
                """,
                """
                CREATE TRIGGER jobs_queue_lane_freed AFTER UPDATE OF status ON jobs
                WHEN NEW.lane IS NOT NULL AND OLD.status IN ('pending', 'running') AND NEW.status NOT IN ('pending', 'running')
                    AND EXISTS (SELECT 1 FROM jobs WHERE tenant_id = NEW.tenant_id AND lane = NEW.lane AND status = 'pending')
                BEGIN
                    \(sqliteQueueDue("(SELECT run_at FROM jobs WHERE tenant_id = NEW.tenant_id AND lane = NEW.lane AND status = 'pending' ORDER BY lane_seq LIMIT 1)"));
                END
                """,
            ],
            postgres: [
                // A claim that finds nothing puts the queue forward under the tenant's advisory lock (`JobStore`),
                // computing from a fresh snapshot; each transaction that makes a job pending holds the same lock,
                // shared, from then until it commits. So a job committed meanwhile is never left behind a queue put
                // past it, and these transactions do not wait for each other.
                """
                CREATE FUNCTION jobs_queue_due() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    due BIGINT;
                BEGIN
                    IF NEW.status = 'pending' THEN
                        due := NEW.run_at;
                    ELSIF TG_OP = 'UPDATE' AND NEW.lane IS NOT NULL AND OLD.status IN ('pending', 'running')
                        AND NEW.status NOT IN ('pending', 'running') THEN
                        SELECT run_at INTO due FROM jobs
                        WHERE tenant_id = NEW.tenant_id AND lane = NEW.lane AND status = 'pending' ORDER BY lane_seq LIMIT 1;
                    END IF;
                    IF due IS NULL THEN
                        RETURN NULL;
                    END IF;
                    INSERT INTO job_queues (tenant_id, next_run_at) VALUES (NEW.tenant_id, NULL) ON CONFLICT (tenant_id) DO NOTHING;
                    PERFORM pg_advisory_xact_lock_shared(\(postgresQueueLock("NEW.tenant_id")));
                    UPDATE job_queues SET next_run_at = due WHERE tenant_id = NEW.tenant_id AND (next_run_at IS NULL OR next_run_at > due);
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER jobs_queue_due AFTER INSERT OR UPDATE OF status, run_at ON jobs
                FOR EACH ROW EXECUTE FUNCTION jobs_queue_due()
                """,
            ]),
    ]

    /// SQLite: moves the job's tenant's queue to `due` if that is sooner (creating the queue).
    private static func sqliteQueueDue(_ due: String) -> String {
        """
        INSERT INTO job_queues (tenant_id, next_run_at) VALUES (NEW.tenant_id, \(due))
                    ON CONFLICT (tenant_id) DO UPDATE SET next_run_at = excluded.next_run_at
                    WHERE job_queues.next_run_at IS NULL OR job_queues.next_run_at > excluded.next_run_at
        """
    }

    /// PostgreSQL: the two keys of tenant `tenantID`'s queue lock, in this schema (tests share one server).
    static func postgresQueueLock(_ tenantID: String) -> String {
        "hashtext(current_schema()), hashtext(\(tenantID))"
    }

    /// Applies every migration not yet recorded in `schema_migrations`, each in its own
    /// transaction. Returns the versions applied.
    @discardableResult
    public static func apply(to database: Database, progress: (String) -> Void = { _ in }) throws -> [Int] {
        try database.transaction { connection in
            try lockOutOtherHosts(connection, database.dialect)
            try connection.execute("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    tenant_id TEXT NOT NULL DEFAULT '_system',
                    version INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    applied_at BIGINT NOT NULL,
                    PRIMARY KEY (tenant_id, version)
                )
                """)
        }
        var applied: [Int] = []
        for migration in all {
            let done = try database.transaction { connection -> Bool in
                try lockOutOtherHosts(connection, database.dialect)
                let rows = try connection.query(
                    "SELECT version FROM schema_migrations WHERE tenant_id = '_system' AND version = $1",
                    [.integer(Int64(migration.version))])
                if !rows.isEmpty { return true }
                for statement in migration.statements(for: database.dialect) { try connection.execute(statement) }
                try connection.execute(
                    "INSERT INTO schema_migrations (tenant_id, version, name, applied_at) VALUES ('_system', $1, $2, $3)",
                    [.integer(Int64(migration.version)), .text(migration.name), .integer(Clock.nowMillis())])
                return false
            }
            if !done {
                applied.append(migration.version)
                progress("applied migration \(migration.version) (\(migration.name))")
            }
        }
        return applied
    }

    /// The PostgreSQL advisory lock key hosts migrating the same database take turns on ("swbd").
    static let advisoryLockKey: Int64 = 0x7377_6264

    /// On PostgreSQL, waits until no other host is migrating; the lock ends with the transaction.
    /// SQLite needs none: a transaction there already holds the database's only write lock.
    private static func lockOutOtherHosts(_ connection: SQLConnection, _ dialect: SQLDialect) throws {
        guard dialect == .postgres else { return }
        _ = try connection.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
    }
}
