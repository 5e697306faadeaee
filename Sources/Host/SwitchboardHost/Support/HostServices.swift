import Logging

/// The shared services of one host process, handed to tenants and plugin instances.
public struct HostServices: Sendable {
    public let database: Database
    public let records: RecordStore
    public let contacts: ContactStore
    public let jobs: JobStore
    public let messages: MessageStore
    public let audit: AuditLog
    public let events: EventBus
    public let http: HTTPClient
    public let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.records = RecordStore(database: database)
        self.contacts = ContactStore(database: database)
        self.jobs = JobStore(database: database)
        self.messages = MessageStore(database: database)
        self.audit = AuditLog(database: database)
        self.events = EventBus()
        self.http = HTTPClient()
        self.logger = logger
    }
}
