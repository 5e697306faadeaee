import Foundation
import HTTPTypes
import HummingbirdTesting
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// `GET /api/v1/messages/{id}/attachments/{index}`: stored inbound files, served only from the tenant's own media folder.
@Suite("Message attachment downloads")
struct AttachmentDownloadTests {
    static let invoice = Array("%PDF-1.4 factuur 20451".utf8)

    /// An inbound message row whose details carry `attachments`.
    static func insertMessage(_ host: SwitchboardHost, tenant: String, id: String, attachments: [JSON]) throws {
        try host.services.database.transaction { connection in
            try connection.execute(
                """
                INSERT INTO messages (tenant_id, id, contact_id, direction, channel, type, variables, status, created_at, updated_at)
                VALUES ($1, $2, 'contact-1', 'inbound', 'whatsapp', 'document', $3, 'received', 1, 1)
                """,
                [.text(tenant), .text(id), .text(try JSON.object(["attachments": .array(attachments)]).serialized())])
        }
    }

    @Test("a stored file streams with its type and name; unknown, unstored, out-of-range and traversing ones are problem+json 404; other tenants get 404 or 401")
    func download() async throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "alpha", domain: "alpha.localhost"), "b": manifest(slug: "beta", domain: "beta.localhost"),
        ])
        let media = try #require(host.services.media)
        let stored = try media.store(tenantID: "alpha", name: "Factuur mei é.pdf", mimeType: "application/pdf", bytes: Self.invoice)
        let secret = try media.store(tenantID: "beta", name: "secret.txt", mimeType: "text/plain", bytes: Array("beta only".utf8))
        let outside = URL(fileURLWithPath: media.root).appendingPathComponent("alpha/notes.txt")
        try Data("not media".utf8).write(to: outside)
        try Self.insertMessage(host, tenant: "alpha", id: "msg-a", attachments: [
            try JSON(encoding: stored),
            ["name": "foto.jpg", "mime_type": "image/jpeg", "error": "too_large"],
            ["name": "x.txt", "mime_type": "text/plain", "path": .string("../beta/\(secret.path)")],
            ["name": "y.txt", "mime_type": "text/plain", "path": "media/../notes.txt"],
            ["name": "z.txt", "mime_type": "text/plain", "path": .string(outside.path)],
            ["name": "w.html", "mime_type": "text/html\r\nX-Evil: 1", "path": .string(stored.path)],
        ])
        try Self.insertMessage(host, tenant: "beta", id: "msg-b", attachments: [try JSON(encoding: secret)])

        try await host.buildApplication().test(.router) { client in
            let alpha = APIClient(client: client, host: "alpha.localhost", token: try host.token("alpha", role: "viewer"))
            let file = try await alpha.get("/api/v1/messages/msg-a/attachments/0")
            #expect(file.status == .ok && Array(file.text.utf8) == Self.invoice)
            #expect(file.headers[.contentType] == "application/pdf" && file.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            #expect(file.headers[.contentDisposition] == "attachment; filename=\"Factuur_mei__.pdf\"; filename*=UTF-8''Factuur%20mei%20%C3%A9.pdf")
            let odd = try await alpha.get("/api/v1/messages/msg-a/attachments/5")
            #expect(odd.status == .ok && odd.headers[.contentType] == "application/octet-stream", "a malformed stored type is not echoed")

            for index in ["1", "2", "3", "4", "6", "-1", "x"] {
                let missing = try await alpha.get("/api/v1/messages/msg-a/attachments/\(index)")
                #expect(missing.status == .notFound && missing.headers[.contentType] == "application/problem+json", "attachment \(index)")
            }
            #expect(try await alpha.get("/api/v1/messages/nope/attachments/0").status == .notFound)
            #expect(try await alpha.get("/api/v1/messages/msg-b/attachments/0").status == .notFound, "beta's message is not alpha's")

            let betaToken = try host.token("beta", role: "admin")
            #expect(try await alpha.send(.get, "/api/v1/messages/msg-a/attachments/0", token: .some(betaToken)).status == .unauthorized)
            #expect(try await alpha.send(.get, "/api/v1/messages/msg-a/attachments/0", token: .some(nil)).status == .unauthorized)
            let beta = APIClient(client: client, host: "beta.localhost", token: betaToken)
            #expect(try await beta.get("/api/v1/messages/msg-a/attachments/0").status == .notFound)
            #expect(try await beta.get("/api/v1/messages/msg-b/attachments/0").text == "beta only")

            let document = try await alpha.get("/api/v1/openapi.json").json
            let operation = try #require(document["paths"]?["/api/v1/messages/{id}/attachments/{index}"]?["get"])
            #expect(operation["x-permission"] == "conversations:read")
            #expect(operation["responses"]?["200"]?["content"]?["application/octet-stream"]?["schema"]?["format"] == "binary")
        }
    }
}
