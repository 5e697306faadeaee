import Hummingbird
import HTTPTypes
import SwitchboardJSON

/// One documented core route: what the OpenAPI document says about it.
public struct APIRouteDescription: Sendable {
    public let method: HTTPRequest.Method
    public let path: String
    public let summary: String
    public let tag: String
    /// The permission it needs; `nil` for public routes.
    public let permission: String?
    /// The component schema of the request body, if it takes one.
    public let requestSchema: String?
    /// The component schema of the success response.
    public let responseSchema: String?
    public let successStatus: Int
}

/// Registers the core API's routes on the router and records each for the OpenAPI document.
/// A route with a permission checks it before the handler runs: 401 without a valid token, 403 without the permission.
final class APIRoutes: @unchecked Sendable {
    let router: Router<AppRequestContext>
    private(set) var described: [APIRouteDescription] = []

    init(router: Router<AppRequestContext>) {
        self.router = router
    }

    func add(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, tag: String, permission: String?,
        request: String? = nil, response: String? = nil, status: Int = 200,
        handler: @escaping @Sendable (Request, AppRequestContext) async throws -> Response
    ) {
        described.append(APIRouteDescription(
            method: method, path: path, summary: summary, tag: tag, permission: permission, requestSchema: request,
            responseSchema: response, successStatus: status))
        router.on(RouterPath(path), method: method) { request, context in
            if let permission { try context.require(permission) }
            return try await handler(request, context)
        }
    }
}
