import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Selects the tenant from the `Host` header (or `X-Forwarded-Host` from a trusted proxy), and the client IP
/// (the last `X-Forwarded-For` hop from a trusted proxy). Platform paths pass through without a tenant.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: TenantRegistry
    /// Peer IP addresses whose `X-Forwarded-Host` is believed.
    let trustedProxies: Set<String>

    static let platformPaths = ["/healthz", "/readyz", "/metrics", "/admin/"]
    /// Provider webhooks may arrive on one shared platform URL; their adapters find the tenant in the payload.
    static let sharedPaths = ["/webhooks/"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        var context = context
        if let forwarded = request.headers[.xForwardedFor], isFromTrustedProxy(context),
            let hop = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !hop.isEmpty
        {
            context.clientIP = hop
        }
        if Self.platformPaths.contains(where: { path == $0 || path.hasPrefix($0) }) {
            return try await next(request, context)
        }
        let host = effectiveHost(request, context)
        let resolved = registry.tenant(forHost: host)
        if resolved == nil, Self.sharedPaths.contains(where: { path.hasPrefix($0) }) {
            return try await next(request, context)
        }
        guard let tenant = resolved else {
            throw Problem(status: .notFound, title: "Unknown tenant", detail: "No tenant is served at host \"\(TenantRegistry.hostName(host))\".")
        }
        context.tenant = tenant
        context.logger[metadataKey: "tenant"] = "\(tenant.slug)"
        return try await next(request, context)
    }

    private func effectiveHost(_ request: Request, _ context: Context) -> String {
        if let forwarded = request.headers[.xForwardedHost], isFromTrustedProxy(context) {
            return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? forwarded
        }
        // The HTTP/1 server turns Host into the authority; a request built in-process may still carry the field.
        return request.headers[.host] ?? request.head.authority ?? ""
    }

    private func isFromTrustedProxy(_ context: Context) -> Bool {
        context.remoteAddress?.ipAddress.map(trustedProxies.contains) ?? false
    }
}
