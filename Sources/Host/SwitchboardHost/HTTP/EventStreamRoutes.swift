import Foundation
import Hummingbird
import HummingbirdWebSocket
import NIOCore
import SwitchboardJSON

/// `GET /api/v1/stream` (WebSocket): a tenant's live events — new messages, status changes, plugin
/// events — as JSON text frames, for that tenant only. Browsers cannot set headers on a WebSocket,
/// so the token may come as `?access_token=`; it needs `conversations:read`. Tenants may mount the
/// same stream at the extra paths below. The console's pages listen at `/console/stream`, signed in by
/// their session cookie; a browser there must also send an `Origin` of the same host, so another site
/// cannot open the stream with the user's cookie.
struct EventStreamRoutes {
    let registry: TenantRegistry
    /// Extra paths that serve the same stream, e.g. ChargeCars' `/api/communication/stream`.
    static let paths = ["/api/v1/stream", "/api/communication/stream"]
    /// The console's stream, authenticated by the session cookie.
    static let consolePath = "/console/stream"

    func router() -> Router<BasicWebSocketRequestContext> {
        let router = Router(context: BasicWebSocketRequestContext.self)
        for path in Self.paths + [Self.consolePath] {
            router.ws(RouterPath(path)) { request, _ in
                guard (try? await authorize(request)) != nil else { return .dontUpgrade }
                return .upgrade([:])
            } onUpgrade: { inbound, outbound, context in
                guard let tenant = try? await authorize(context.request) else { return }
                let events = registry.services.events.live.stream(tenantID: tenant.slug)
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

    /// The tenant of the Host header, if the caller is one of its own with `conversations:read`: a bearer token
    /// (header or `access_token`) on the API paths, a console session cookie from a same-origin page on the console's.
    private func authorize(_ request: Request) async throws -> Tenant? {
        let host = request.headers[.host] ?? request.head.authority ?? ""
        guard let tenant = registry.tenant(forHost: host) else { return nil }
        let identity: Identity?
        if request.uri.path == Self.consolePath {
            let origins = request.headers[values: .origin]
            guard !origins.isEmpty, origins.allSatisfy({ URL(string: $0)?.host == TenantRegistry.hostName(host) }) else { return nil }
            identity = try await ConsoleSessions.session(of: request, tenant: tenant)?.identity
        } else {
            var bearer = request.uri.queryParameters.get("access_token").map { String($0) }
            if let header = request.headers[.authorization], header.hasPrefix("Bearer ") {
                bearer = String(header.dropFirst("Bearer ".count))
            }
            guard let bearer else { return nil }
            let credentials = tenant.credentials, roles = tenant.roles
            identity = try await tenant.database.perform { try credentials.authenticate(tenantID: tenant.slug, bearer: bearer, roles: roles) }
        }
        guard let identity, identity.can("conversations:read") else { return nil }
        return tenant
    }
}
