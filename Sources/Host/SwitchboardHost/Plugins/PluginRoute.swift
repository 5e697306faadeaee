/// An HTTP route a plugin declares: a method, a path pattern with `{name}` segments, and a permission.
/// Routes under `/console/app/` are console pages: the signed-in user's session authenticates them, and
/// a GET page with a `nav` label gets an entry in the console's navigation.
public struct PluginRoute: Codable, Sendable, Hashable {
    public let method: String
    public let path: String
    public let permission: String
    public let nav: String?
    /// The shell command that feeds this route a file in batches, `"<group> <command>"` (e.g. `"crm import"`);
    /// see `PluginFileCommand` and docs/plugin-abi.md.
    public let cli: String?

    public init(method: String, path: String, permission: String, nav: String? = nil, cli: String? = nil) {
        self.method = method
        self.path = path
        self.permission = permission
        self.nav = nav
        self.cli = cli
    }

    /// The permission of a route anyone may call; the plugin authenticates such callers itself.
    public static let publicPermission = "public"

    /// Path prefixes that belong to the host; a plugin may not declare routes under them.
    static let reservedPrefixes = ["/api/v1/", "/admin/", "/webhooks/", "/healthz", "/readyz", "/metrics", "/console"]
    /// Where plugins' console pages live, inside the host's reserved `/console`.
    static let consolePagePrefix = "/console/app/"

    /// Whether this route is a console page, authenticated by the console session.
    var isConsolePage: Bool { path.hasPrefix(Self.consolePagePrefix) }

    /// Why this route is malformed, or `nil`.
    var problem: String? {
        let methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
        if !methods.contains(method) { return "method \(method) is not one of \(methods.joined(separator: ", "))" }
        if !path.hasPrefix("/") { return "path \(path) must start with /" }
        if !isConsolePage, let reserved = Self.reservedPrefixes.first(where: { path == $0 || path.hasPrefix($0) || path + "/" == $0 }) {
            return "path \(path) is under \(reserved), which the host reserves"
        }
        if permission.isEmpty { return "route \(method) \(path) names no permission" }
        if isConsolePage && permission == Self.publicPermission { return "console page \(path) cannot be public" }
        if nav != nil && !(isConsolePage && method == "GET") { return "route \(method) \(path) has a nav label, but only GET console pages (\(Self.consolePagePrefix)…) can" }
        if let cli {
            let words = cli.split(separator: " ", omittingEmptySubsequences: false)
            guard method == "POST", !path.contains("{"), words.count == 2, words.allSatisfy({ $0.range(of: "^[a-z][a-z0-9-]*$", options: .regularExpression) != nil }) else {
                return "route \(method) \(path): cli \"\(cli)\" must be \"<group> <command>\" in lowercase, on a POST route without parameters"
            }
        }
        return nil
    }

    /// The path parameters when `requestPath` matches this route's pattern.
    func match(_ requestPath: String) -> [String: String]? {
        let pattern = path.split(separator: "/", omittingEmptySubsequences: true)
        let actual = requestPath.split(separator: "/", omittingEmptySubsequences: true)
        guard pattern.count == actual.count else { return nil }
        var parameters: [String: String] = [:]
        for (expected, given) in zip(pattern, actual) {
            if expected.hasPrefix("{") && expected.hasSuffix("}") {
                parameters[String(expected.dropFirst().dropLast())] = String(given).removingPercentEncoding ?? String(given)
            } else if expected != given {
                return nil
            }
        }
        return parameters
    }

    /// Two routes clash when some request path and method would match both.
    func clashes(with other: PluginRoute) -> Bool {
        guard method == other.method else { return false }
        let mine = path.split(separator: "/"), theirs = other.path.split(separator: "/")
        guard mine.count == theirs.count else { return false }
        return zip(mine, theirs).allSatisfy { a, b in a == b || a.hasPrefix("{") || b.hasPrefix("{") }
    }
}
