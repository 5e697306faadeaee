import Foundation
import PluginAPI
import Testing

/// `HTTPRequest.can`, which TutorBot's routes and MrDJCRM's console pages use, decides as the host's RBAC does.
@Suite("Plugin route permissions")
struct RoutePermissionTests {
    static func request(permissions: [String]) throws -> HTTPRequest {
        let json: JSON = [
            "method": "POST", "path": "/api/tutorbot/planning/now", "route": "/api/tutorbot/planning/now",
            "params": [:], "query": [:], "headers": [:],
            "identity": ["kind": "user", "name": "u", "role": "r", "permissions": .array(permissions.map { .string($0) })],
        ]
        return try JSONDecoder().decode(HTTPRequest.self, from: Data(json.serializedBytes()))
    }

    @Test("a permission is held as itself, through its area's wildcard, or through *", arguments: [
        (["tenant:admin"], true), (["tenant:*"], true), (["*"], true), (["crm:*", "tenant:read"], false), ([], false),
    ])
    func can(granted: [String], allowed: Bool) throws {
        #expect(try Self.request(permissions: granted).can("tenant:admin") == allowed)
    }

    @Test("a request without an identity holds nothing")
    func anonymous() throws {
        let json: JSON = ["method": "GET", "path": "/", "route": "/", "params": [:], "query": [:], "headers": [:]]
        #expect(try !JSONDecoder().decode(HTTPRequest.self, from: Data(json.serializedBytes())).can("crm:read"))
    }
}
