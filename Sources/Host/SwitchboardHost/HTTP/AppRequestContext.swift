import Hummingbird
import NIOCore

/// Per-request state: the tenant the Host header selected and the peer address.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `TenantMiddleware` on tenant-scoped paths.
    public var tenant: Tenant?
    /// Set by `AuthMiddleware` from a valid bearer token of this tenant.
    public var identity: Identity?
    /// Set by `ConsoleSessionMiddleware` from this tenant's console session cookie.
    public var consoleSession: ConsoleSessions.Session?
    /// The TCP peer; `X-Forwarded-Host` is honoured only when it is a trusted proxy.
    public let remoteAddress: SocketAddress?
    /// The client's IP: the peer's, or the last `X-Forwarded-For` entry when the peer is a trusted proxy
    /// (set by `TenantMiddleware`); nil when unknown, as for in-process test requests.
    public var clientIP: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.tenant = nil
        self.identity = nil
        self.consoleSession = nil
        self.remoteAddress = source.channel.remoteAddress
        self.clientIP = remoteAddress?.ipAddress
    }

    /// Who the changes of this request are recorded as: the bearer token's identity, else the console user's.
    public var actor: Actor {
        Actor(identity?.actor ?? consoleSession?.identity.actor ?? "api")
    }

    /// Request bodies larger than this are refused with 413.
    public var maxUploadSize: Int { 1024 * 1024 }

    /// The tenant, or a 404 problem when the route needs one and none was resolved.
    public func requireTenant() throws -> Tenant {
        guard let tenant else { throw Problem(status: .notFound, title: "Unknown tenant", detail: "No tenant is served at this host.") }
        return tenant
    }
}
