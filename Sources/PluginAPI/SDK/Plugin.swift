@_exported import SwitchboardJSON
import CPluginABI

/// What a plugin is: its id, version, capabilities, HTTP routes and the events it wants.
public struct PluginInfo: Sendable {
    public var id: String
    public var version: String
    public var capabilities: Capabilities
    public var routes: [Route]
    /// The events delivered to `handleEvent`: names (`EventType.messageReceived`), prefixes (`"message.*"`) or `"*"`.
    /// `nil` keeps the behaviour of ABI 1.2: `message.received` with `.flows`, and every event other plugins emit.
    public var subscriptions: [String]?
    /// The lowest host ABI minor the plugin runs on; the host refuses it below (`min_host_minor`).
    public var minHostMinor: UInt16

    public init(
        id: String, version: String, capabilities: Capabilities, routes: [Route] = [], subscriptions: [String]? = nil,
        minHostMinor: UInt16 = 0
    ) {
        self.id = id
        self.version = version
        self.capabilities = capabilities
        self.routes = routes
        self.subscriptions = subscriptions
        self.minHostMinor = minHostMinor
    }
}

/// The capability bits of `plugin_abi.h` (`SB_CAP_*`).
public struct Capabilities: OptionSet, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    public static let flows = Capabilities(rawValue: UInt64(SB_CAP_FLOWS))
    public static let templates = Capabilities(rawValue: UInt64(SB_CAP_TEMPLATES))
    public static let pipelines = Capabilities(rawValue: UInt64(SB_CAP_PIPELINES))
    public static let analytics = Capabilities(rawValue: UInt64(SB_CAP_ANALYTICS))
    public static let httpRoutes = Capabilities(rawValue: UInt64(SB_CAP_HTTP_ROUTES))
    public static let jobs = Capabilities(rawValue: UInt64(SB_CAP_JOBS))
}

/// An HTTP route a plugin serves on its tenants' domains, and the permission it requires.
/// A route under `/console/app/` is a console page; a GET page with a `nav` label is listed in the console's navigation.
public struct Route: Codable, Sendable {
    public var method: String
    public var path: String
    public var permission: String
    public var nav: String?
    /// `"<group> <command>"` to make this POST route a file command of the host's CLI
    /// (`switchboard <group> <command> --tenant … FILE`): the host sends the file in batches (docs/plugin-abi.md).
    public var cli: String?

    public init(_ method: String, _ path: String, permission: String, nav: String? = nil, cli: String? = nil) {
        self.method = method
        self.path = path
        self.permission = permission
        self.nav = nav
        self.cli = cli
    }
}

/// Everything an instance learns when it is created for one tenant.
public struct PluginContext {
    /// The host services, bound to this instance's tenant.
    public let host: Host
    /// The tenant: `slug`, `name`, `timezone`, `locale`, `branding`.
    public let tenant: JSON
    /// This plugin's `config` block from the tenant manifest.
    public let config: JSON
}

/// An event delivered to a plugin: its envelope (docs/plugin-abi.md). `EventType` names the host's events, and
/// `messageReceived`, `messageSent`, … read their data as types.
public struct Event: Codable, Sendable {
    public var type: String
    public var id: String
    public var occurredAt: Int64?
    public var data: JSON
    /// The plugin that emitted it, `automation:<rule>` for a rule's event, or nil for the host.
    public var source: String?
    /// Who caused it: `user:Ana`, `token:website`, `plugin:x`, `automation:<rule>`, `webhook:whatsapp`,
    /// `system:delivery`.
    public var actor: String?
    public var contactID: String?
    public var conversationID: String?
    /// Its place among the events of its contact: the host delivers them to a plugin in this order.
    public var sequence: Int64?
    /// 1 on the first delivery; higher when this plugin failed it before, or a host stopped while delivering it.
    /// Deduplicate by `id` where handling it twice would do harm.
    public var attempt: Int

    enum CodingKeys: String, CodingKey {
        case type, id, data, source, actor, sequence, attempt
        case occurredAt = "occurred_at", contactID = "contact_id", conversationID = "conversation_id"
    }

    public init(
        type: String, id: String, occurredAt: Int64? = nil, data: JSON, source: String? = nil, actor: String? = nil,
        contactID: String? = nil, conversationID: String? = nil, sequence: Int64? = nil, attempt: Int = 1
    ) {
        self.type = type
        self.id = id
        self.occurredAt = occurredAt
        self.data = data
        self.source = source
        self.actor = actor
        self.contactID = contactID
        self.conversationID = conversationID
        self.sequence = sequence
        self.attempt = attempt
    }

    /// Reads an event from its JSON form, as its `Decodable` conformance would.
    init(json: JSON) throws {
        guard let type = json["type"]?.stringValue, let id = json["id"]?.stringValue else {
            throw PluginError.badArgument("an event needs a string type and id")
        }
        self.init(
            type: type, id: id, occurredAt: try Self.whole(json["occurred_at"], "occurred_at"), data: json["data"] ?? .null,
            source: json["source"]?.stringValue, actor: json["actor"]?.stringValue, contactID: json["contact_id"]?.stringValue,
            conversationID: json["conversation_id"]?.stringValue, sequence: try Self.whole(json["sequence"], "sequence"),
            attempt: Int(try Self.whole(json["attempt"], "attempt") ?? 1))
    }

    private static func whole(_ value: JSON?, _ name: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .number(let number)? where number == number.rounded() && abs(number) < 9e15: return Int64(number)
        default: throw PluginError.badArgument("an event's \(name) must be a whole number")
        }
    }

    /// The event as JSON, as it is encoded (members without a value left out).
    public var json: JSON {
        var members: [String: JSON] = ["type": .string(type), "id": .string(id), "data": data, "attempt": .number(Double(attempt))]
        if let occurredAt { members["occurred_at"] = .number(Double(occurredAt)) }
        if let source { members["source"] = .string(source) }
        if let actor { members["actor"] = .string(actor) }
        if let contactID { members["contact_id"] = .string(contactID) }
        if let conversationID { members["conversation_id"] = .string(conversationID) }
        if let sequence { members["sequence"] = .number(Double(sequence)) }
        return .object(members)
    }
}

/// An HTTP request routed to a plugin.
public struct HTTPRequest: Codable, Sendable {
    public var method: String
    public var path: String
    /// The route pattern that matched, e.g. `/api/crm/leads/{id}`.
    public var route: String
    public var params: [String: String]
    public var query: [String: String]
    public var headers: [String: String]
    public var bodyBase64: String?
    /// Who is calling: `{"kind", "name", "role", "permissions"}` once authentication exists.
    public var identity: JSON?
    /// On a console page (`/console/app/…`): `{"csrf", "user"}` of the signed-in user's session.
    public var console: JSON?

    enum CodingKeys: String, CodingKey {
        case method, path, route, params, query, headers, identity, console
        case bodyBase64 = "body_base64"
    }

    /// The raw request body.
    public var body: [UInt8] {
        guard let bodyBase64, let data = Base64.decode(bodyBase64) else { return [] }
        return data
    }

    /// Whether the caller holds `permission` (`area:action`), as the host decides it: the permission itself,
    /// its area's wildcard (`area:*`) or `*`.
    public func can(_ permission: String) -> Bool {
        let granted = identity?["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let area = permission.split(separator: ":").first.map { "\($0):*" } ?? permission
        return granted.contains("*") || granted.contains(permission) || granted.contains(area)
    }

    /// Decodes the JSON body into `T`, or throws a `badArgument` error naming the problem.
    public func decodeBody<T: Decodable>(as type: T.Type = T.self) throws -> T {
        do {
            return try JSONCoding.decode(T.self, from: body)
        } catch {
            throw PluginError.badArgument("invalid JSON body: \(error)")
        }
    }
}

/// An HTTP response from a plugin.
public struct HTTPResponse: Encodable, Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: String?
    public var json: JSON?
    /// Binary content (a PDF, say), base64: sent as `application/octet-stream` unless `headers` say otherwise.
    public var bodyBase64: String?
    /// A console page `{"title", "html"}` for the host to wrap in the tenant's layout.
    public var page: JSON?

    enum CodingKeys: String, CodingKey {
        case status, headers, body, json, page
        case bodyBase64 = "body_base64"
    }

    public init(status: Int = 200, headers: [String: String] = [:], body: String? = nil, json: JSON? = nil, bodyBase64: String? = nil, page: JSON? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.json = json
        self.bodyBase64 = bodyBase64
        self.page = page
    }

    /// A response whose body is `value` encoded as JSON.
    public static func json(_ value: some Encodable, status: Int = 200) throws -> HTTPResponse {
        HTTPResponse(status: status, json: try JSON(encoding: value))
    }
}

/// A scheduled job handed back to the plugin that scheduled it.
public struct Job: Codable, Sendable {
    public var id: String
    public var kind: String
    public var payload: JSON
    public var attempt: Int
}

/// What a Swift plugin implements. Every method but `init` has a default, so a
/// plugin implements only what its capabilities promise.
///
/// The host serialises calls into one instance, so an implementation needs no locking.
public protocol Plugin: AnyObject {
    /// The plugin's identity, capabilities and routes.
    static var info: PluginInfo { get }

    /// Creates the instance for one tenant.
    init(context: PluginContext) throws

    /// Handles an event; the returned JSON, if any, goes back to the host.
    func handleEvent(_ event: Event) throws -> JSON?

    /// Serves one of `info.routes`.
    func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse

    /// Runs a job this plugin scheduled. Throw a `.retry` error to be retried with backoff.
    func runJob(_ job: Job) throws -> JSON?

    /// Answers an analytics query `{metric, from?, to?, params?}`.
    func queryAnalytics(_ query: JSON) throws -> JSON
}

extension Plugin {
    public func handleEvent(_ event: Event) throws -> JSON? { nil }

    public func handleHTTP(_ request: HTTPRequest) throws -> HTTPResponse {
        throw PluginError.unsupported("\(Self.info.id) serves no HTTP routes")
    }

    public func runJob(_ job: Job) throws -> JSON? {
        throw PluginError.unsupported("\(Self.info.id) runs no jobs")
    }

    public func queryAnalytics(_ query: JSON) throws -> JSON {
        throw PluginError.unsupported("\(Self.info.id) answers no analytics queries")
    }
}
