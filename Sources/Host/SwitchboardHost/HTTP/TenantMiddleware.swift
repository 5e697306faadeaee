import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Selects the tenant from the `Host` header (or `X-Forwarded-Host` from a trusted proxy).
/// Paths that belong to the platform rather than a tenant pass through without one.
struct TenantMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let registry: TenantRegistry
    /// Peer IP addresses whose `X-Forwarded-Host` is believed.
    let trustedProxies: Set<String>

    static let platformPaths = ["/healthz", "/readyz", "/admin/"]
    /// Provider webhooks may arrive on one shared platform URL; their adapters find the tenant in the payload.
    static let sharedPaths = ["/webhooks/"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
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
        var context = context
        context.tenant = tenant
        context.logger[metadataKey: "tenant"] = "\(tenant.slug)"
        return try await next(request, context)
    }

    private func effectiveHost(_ request: Request, _ context: Context) -> String {
        if let forwarded = request.headers[.xForwardedHost], let peer = context.remoteAddress?.ipAddress,
            trustedProxies.contains(peer)
        {
            return forwarded.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? forwarded
        }
        // The HTTP/1 server turns Host into the authority; a request built in-process may still carry the field.
        return request.headers[.host] ?? request.head.authority ?? ""
    }
}
