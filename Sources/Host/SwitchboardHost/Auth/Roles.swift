/// The permissions of the built-in roles, and the tenant's extra roles from its manifest.
public struct RoleBook: Sendable {
    /// Every permission the core API and the bundled plugins name.
    public static let permissions: [String] = [
        "contacts:read", "contacts:write", "conversations:read", "conversations:write", "messages:send",
        "labels:write", "tasks:read", "tasks:write", "templates:read", "templates:write", "automation:read",
        "automation:write", "audit:read", "jobs:read", "jobs:write", "crm:read", "crm:write", "projects:read",
        "analytics:read", "calendar:read", "calendar:write", "tenant:admin",
    ]

    /// The built-in roles. `admin` holds every permission.
    public static let builtIn: [String: Set<String>] = [
        "admin": ["*"],
        "sales": [
            "contacts:read", "contacts:write", "conversations:read", "conversations:write", "messages:send",
            "labels:write", "tasks:read", "tasks:write", "templates:read", "crm:read", "crm:write", "projects:read",
            "analytics:read", "calendar:read", "calendar:write",
        ],
        "marketing": [
            "contacts:read", "conversations:read", "labels:write", "templates:read", "templates:write", "crm:read",
            "analytics:read", "automation:read",
        ],
        "operations": [
            "contacts:read", "conversations:read", "tasks:read", "tasks:write", "crm:read", "projects:read",
            "analytics:read", "jobs:read", "calendar:read", "calendar:write",
        ],
        "agent": [
            "contacts:read", "contacts:write", "conversations:read", "conversations:write", "messages:send",
            "labels:write", "tasks:read", "tasks:write", "templates:read", "calendar:read", "calendar:write",
        ],
        "viewer": [
            "contacts:read", "conversations:read", "tasks:read", "templates:read", "crm:read", "projects:read",
            "analytics:read", "calendar:read",
        ],
    ]

    public let roles: [String: Set<String>]

    /// The built-in roles plus the manifest's extra ones.
    public init(extra: [String: [String]]) {
        var roles = Self.builtIn
        for (name, permissions) in extra where roles[name] == nil { roles[name] = Set(permissions) }
        self.roles = roles
    }

    public func permissions(of role: String) -> Set<String>? { roles[role] }

    /// Whether `granted` covers `permission`: an exact match, `*`, or `area:*`.
    public static func allows(_ granted: Set<String>, _ permission: String) -> Bool {
        if granted.contains("*") || granted.contains(permission) { return true }
        guard let area = permission.split(separator: ":").first else { return false }
        return granted.contains("\(area):*")
    }
}

/// Who is calling: a user or an API token of the request's tenant.
public struct Identity: Sendable, Encodable {
    public enum Kind: String, Sendable, Encodable { case token, user }
    public let kind: Kind
    public let id: String
    public let name: String
    public let role: String
    public let permissions: Set<String>

    public func can(_ permission: String) -> Bool { RoleBook.allows(permissions, permission) }

    /// How the audit log names this caller.
    public var actor: String { "\(kind.rawValue):\(name)" }
}
