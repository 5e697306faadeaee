import HTTPTypes
import CPluginABI
import Foundation
import Hummingbird
import NIOCore
import SwitchboardJSON

/// Serves the routes a tenant's plugins declare, at the paths they declare, on the tenant's domains.
/// A request no plugin route matches goes on to the host's own router.
struct PluginRouteMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let tenant = context.tenant else { return try await next(request, context) }
        guard let (route, instance, parameters) = tenant.route(method: request.method.rawValue, path: request.uri.path) else {
            if tenant.hasRoute(path: request.uri.path) {
                throw Problem(status: .methodNotAllowed, title: "Method Not Allowed", detail: "\(request.method) is not served at \(request.uri.path).")
            }
            return try await next(request, context)
        }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        var session: ConsoleSessions.Session?
        let identity: Identity?
        if route.isConsolePage {
            session = try await ConsolePageAccess.session(request, tenant: tenant, permission: route.permission, body: body)
            identity = session?.identity
        } else {
            // A `public` route (a provider webhook, a form post) authenticates the caller itself, e.g. by HMAC.
            identity = route.permission == PluginRoute.publicPermission ? context.identity : try context.require(route.permission)
        }
        var headers: [String: String] = [:]
        for field in request.headers where field.name != .authorization && field.name != .cookie {
            headers[field.name.canonicalName] = field.value
        }
        var query: [String: String] = [:]
        for (key, value) in request.uri.queryParameters { query[String(key)] = String(value) }
        let input: JSON = .object([
            "method": .string(request.method.rawValue),
            "path": .string(request.uri.path),
            "route": .string(route.path),
            "params": .object(parameters.mapValues(JSON.string)),
            "query": .object(query.mapValues(JSON.string)),
            "headers": .object(headers.mapValues(JSON.string)),
            "body_base64": .string(Data(body.readableBytesView).base64EncodedString()),
            "identity": (try? JSON(encoding: identity)) ?? .null,
            "console": session.map { ["csrf": .string($0.csrfToken), "user": .string($0.identity.name)] } ?? .null,
        ])
        // A request waits no longer than the plugin's budget for its turn, and for an inline plugin's answer; a worker
        // process that outlives its budget is killed, which answers the request.
        let inline = if case .inline = instance.isolation { true } else { false }
        let result = await instance.call(.handleHTTP, input, turnWithin: instance.budget, answerWithin: inline ? instance.budget : nil)
        guard result.ok else {
            let timedOut = result.json["code"]?.stringValue == PluginInstance.timeoutCode
            throw Problem(
                status: timedOut ? .gatewayTimeout : Self.status(for: result.status), title: "Plugin error",
                detail: "\(instance.plugin.id): \(result.errorMessage)", retryAfterSeconds: result.status == SB_RETRY ? 1 : nil)
        }
        if let session, let content = result.json["page"] {
            let status = HTTPResponse.Status(code: Int(result.json["status"]?.doubleValue ?? 200))
            return page(
                tenant, html: content["html"]?.stringValue ?? "", title: content["title"]?.stringValue ?? "", session: session,
                current: route.path, status: status)
        }
        return try Self.response(from: result.json, plugin: instance.plugin.id)
    }

    /// The HTTP status for a failed plugin call.
    static func status(for status: sb_status) -> HTTPResponse.Status {
        switch status {
        case SB_NOT_FOUND: .notFound
        case SB_BAD_ARGUMENT: .unprocessableContent
        case SB_DENIED: .forbidden
        case SB_UNSUPPORTED: .notImplemented
        case SB_RETRY: .serviceUnavailable
        default: .badGateway
        }
    }

    /// Builds the response a plugin described: `{status, headers?, body? | body_base64? | json?}`.
    static func response(from reply: JSON, plugin: String) throws -> Response {
        guard let code = reply["status"]?.doubleValue, (100...599).contains(Int(code)) else {
            throw Problem(status: .badGateway, title: "Plugin error", detail: "\(plugin) returned a response without a valid status")
        }
        var headers = HTTPFields()
        var bytes: [UInt8] = []
        if let json = reply["json"] {
            bytes = try json.serializedBytes()
            headers[.contentType] = "application/json"
        } else if let text = reply["body"]?.stringValue {
            bytes = Array(text.utf8)
            headers[.contentType] = "text/plain; charset=utf-8"
        } else if let encoded = reply["body_base64"]?.stringValue, let data = Data(base64Encoded: encoded) {
            bytes = Array(data)
            headers[.contentType] = "application/octet-stream"
        }
        for (name, value) in reply["headers"]?.objectValue ?? [:] {
            if let fieldName = HTTPField.Name(name), let text = value.stringValue { headers[fieldName] = text }
        }
        return Response(
            status: HTTPResponse.Status(code: Int(code)), headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
