import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle

/// An assembled host: storage, the plugin catalog and the tenants, ready to serve.
public struct SwitchboardHost: Sendable {
    public let configuration: HostConfiguration
    public let services: HostServices
    public let registry: TenantRegistry

    /// Opens the database (applying migrations), loads the plugins and starts the tenants.
    /// A tenant that fails is logged and skipped; the host still starts.
    public static func start(_ configuration: HostConfiguration, logger: Logger) throws -> SwitchboardHost {
        let database = try configuration.database.open(poolSize: configuration.databasePoolSize) { logger.info("\($0)") }
        let services = HostServices(
            database: database, logger: logger, providerTimeoutMillis: configuration.providerTimeoutMillis,
            tenantFilesRoot: configuration.tenantsDirectory, mediaRoot: configuration.dataDirectory + "/files")
        ChannelJobs.register(services)
        AutomationEngine.registerJobs(services)
        let catalog = PluginCatalog(directory: configuration.pluginsDirectory, logger: logger)
        let registry = TenantRegistry(catalog: catalog, services: services, isolation: configuration.isolation)
        try registry.bootstrap(directory: configuration.tenantsDirectory)
        return SwitchboardHost(configuration: configuration, services: services, registry: registry)
    }

    /// The HTTP router: platform routes, tenant routes and the plugins' routes.
    public func buildRouter() -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        _ = HostMetrics.registry  // swift-metrics reports into it from the first request on
        router.addMiddleware {
            MetricsMiddleware()
            RequestLogMiddleware()
            ProblemMiddleware()
            TenantMiddleware(registry: registry, trustedProxies: configuration.trustedProxies)
            AuthMiddleware()
            PluginRouteMiddleware()
        }
        HealthRoutes(registry: registry).register(on: router)
        MetricsRoutes(adminToken: configuration.adminToken).register(on: router)
        AdminRoutes(registry: registry, adminToken: configuration.adminToken).register(on: router)
        AdminConsoleRoutes(registry: registry, adminToken: configuration.adminToken).register(on: router)
        let api = APIRoutes(router: router)
        TenantRoutes().register(api)
        ContactRoutes().register(api)
        ConversationRoutes().register(api)
        LabelRoutes().register(api)
        TaskRoutes().register(api)
        TemplateRoutes().register(api)
        AutomationRoutes().register(api)
        AuditRoutes().register(api)
        AccessRoutes().register(api)
        JobRoutes().register(api)
        MessageRoutes().register(api)
        AttachmentRoutes().register(api)
        CalendarRoutes().register(api)
        ConsoleRoutes().register(on: router)
        ConsoleAssets.register(on: router)
        let webhooks = WebhookSupport(registry: registry)
        SandboxWebhook(support: webhooks).register(on: router)
        WhatsAppWebhook(support: webhooks).register(on: router)
        TwilioWebhook(support: webhooks).register(on: router)
        ChatwootWebhook(support: webhooks).register(on: router)
        OutlookWebhook(support: webhooks).register(on: router)
        SMSWebhook(support: webhooks).register(on: router)
        return router
    }

    /// The application: the router plus the host's background services (tenant sync, unless disabled the scheduler,
    /// and on PostgreSQL the relay that shares events with the other hosts).
    public func buildApplication() -> some ApplicationProtocol {
        var background: [any Service] = [TenantSyncService(registry: registry, interval: configuration.tenantSyncInterval)]
        if configuration.scheduler.enabled {
            background.append(SchedulerService(registry: registry, settings: configuration.scheduler))
        }
        if case .postgres(let url) = configuration.database {
            background.append(PostgresEventRelay(url: url, database: services.database, events: services.events.live, logger: services.logger))
        }
        return Application(
            router: buildRouter(),
            server: .http1WebSocketUpgrade(webSocketRouter: EventStreamRoutes(registry: registry).router()),
            configuration: .init(address: .hostname(configuration.bindHost, port: configuration.port), serverName: "switchboard"),
            services: background,
            logger: services.logger)
    }
}

/// Picks up tenants onboarded, changed or disabled by another host or by the CLI.
struct TenantSyncService: Service {
    let registry: TenantRegistry
    let interval: Duration

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            do {
                try await registry.services.database.perform { try registry.sync() }
            } catch {
                registry.services.logger.error("tenant sync failed: \(error)")
            }
        }
    }
}
