import Logging

/// The shared services of one host process, handed to tenants and plugin instances.
public struct HostServices: Sendable {
    public let database: Database
    public let records: RecordStore
    public let contacts: ContactStore
    public let jobs: JobStore
    /// The handlers of jobs without a plugin, by kind.
    public let hostJobs: HostJobs
    public let conversations: ConversationStore
    public let tasks: TaskStore
    public let templates: TemplateStore
    public let labels: LabelStore
    public let calendar: CalendarStore
    public let automation: AutomationStore
    public let credentials: CredentialStore
    public let audit: AuditLog
    /// Records every change as an event and queues its deliveries; `events.live` carries them to the live streams.
    public let events: EventLog
    public let http: HTTPClient
    /// The threads that blocking work runs on: plugin calls, provider calls, SMTP.
    public let blocking: BlockingExecutor
    /// Counts failed sign-ins per account and IP for the console login forms.
    public let loginThrottle: LoginThrottle
    public let logger: Logger

    /// The folder holding each tenant's read-only files (`<root>/<slug>/…`), usually the tenants directory.
    public let tenantFilesRoot: String?
    /// Where inbound media is stored per tenant; none, and media keeps only its metadata.
    public let media: MediaStore?

    public init(
        database: Database, logger: Logger, providerTimeoutMillis: Int = 10_000, tenantFilesRoot: String? = nil, mediaRoot: String? = nil
    ) {
        self.tenantFilesRoot = tenantFilesRoot
        self.media = mediaRoot.map(MediaStore.init(root:))
        self.database = database
        self.records = RecordStore(database: database)
        self.jobs = JobStore(database: database)
        self.automation = AutomationStore(database: database)
        self.audit = AuditLog(database: database)
        self.events = EventLog(jobs: jobs, automation: automation, live: EventBus())
        self.contacts = ContactStore(database: database, jobs: jobs, events: events, audit: audit)
        self.hostJobs = HostJobs()
        self.conversations = ConversationStore(database: database, events: events)
        self.tasks = TaskStore(database: database, events: events)
        self.templates = TemplateStore(database: database)
        self.labels = LabelStore(database: database)
        self.calendar = CalendarStore(database: database, events: events)
        self.credentials = CredentialStore(database: database, audit: audit)
        self.http = HTTPClient(defaultTimeoutMillis: providerTimeoutMillis)
        self.blocking = BlockingExecutor()
        self.loginThrottle = LoginThrottle()
        self.logger = logger
    }
}
