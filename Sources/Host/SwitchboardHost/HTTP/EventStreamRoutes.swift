import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SwitchboardJSON

/// `GET /api/v1/stream` (WebSocket): a tenant's live events — new messages, status changes, plugin
/// events — as JSON text frames, for that tenant only. Browsers cannot set headers on a WebSocket,
/// so the token may come as `?access_token=`; it needs `conversations:read`. Tenants may mount the
/// same stream at the extra paths below.
struct EventStreamRoutes {
    let registry: TenantRegistry
    /// Extra paths that serve the same stream, e.g. ChargeCars' `/api/communication/stream`.
    static let paths = ["/api/v1/stream", "/api/communication/stream"]

    func router() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        for path in Self.paths {
            router.ws(RouterPath(path)) { request, _ in
                guard (try? await authorize(request)) != nil else { return .dontUpgrade }
                return .upgrade([:])
            } onUpgrade: { inbound, outbound, context in
                guard let tenant = try? await authorize(context.request) else { return }
                let events = registry.services.events.stream(tenantID: tenant.slug)
                // Forward events until the client goes away (its inbound side ends) or the server shuts down.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for try await _ in inbound {}
                    }
                    group.addTask {
                        for await event in events {
                            guard let text = try? event.json.serialized() else { continue }
                            try await outbound.write(.text(text))
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
            }
        }
        return router
    }

    /// The tenant of the Host header, if the bearer token (header or `access_token`) is one of its own with `conversations:read`.
    private func authorize(_ request: Request) async throws -> Tenant? {
        let host = request.headers[.host] ?? request.head.authority ?? ""
        guard let tenant = registry.tenant(forHost: host) else { return nil }
        var bearer = request.uri.queryParameters.get("access_token").map { String($0) }
        if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
            bearer = String(header.dropFirst("Bearer ".count))
        }
        guard let bearer else { return nil }
        let credentials = tenant.credentials, roles = tenant.roles
        let identity = try await tenant.database.perform { try credentials.authenticate(tenantID: tenant.slug, bearer: bearer, roles: roles) }
        guard let identity, identity.can("conversations:read") else { return nil }
        return tenant
    }
}
