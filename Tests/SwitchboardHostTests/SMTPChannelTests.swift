import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("Email over SMTP through libcurl")
struct SMTPChannelTests {
    static func setup(port: Int, outlook: Bool = false) throws -> SwitchboardHost {
        var channels = """
              smtp:
                url: smtp://127.0.0.1:\(port)
                from: "Mr. DJ <bookings@mrdj.example>"
            """
        if outlook {
            channels += """

                  outlook:
                    tenant_id: t
                    client_id: c
                    client_secret: env:\(uniqueSecret("s"))
                    mailbox: m@example.com
                    client_state: env:\(uniqueSecret("cs"))
                """
        }
        return try TestEnvironment.host(manifests: ["mrdj": manifest(slug: "mrdj", domain: "mrdj.localhost", channels: channels)])
    }

    /// The headers of a recorded message, by lowercase name, and its body.
    static func parse(_ data: String) -> (headers: [String: String], body: String) {
        let parts = data.components(separatedBy: "\r\n\r\n")
        var headers: [String: String] = [:]
        for line in parts[0].components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    @Test("the SMTP sender hands an RFC 5322 plain-text message to the server; Graph is preferred when configured")
    func sender() async throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let host = try Self.setup(port: server.port)
        let tenant = try #require(host.registry.tenant(slug: "mrdj"))
        let contact = try host.services.contacts.create(tenantID: "mrdj", name: "Bo", phone: "+31622222222", email: "bo@example.com")
        let request = try JSON.object([
            "contact_id": .string(contact.id), "channel": "email", "type": "session_text", "variables": ["subject": "Uw boeking"],
            "text": "Bedankt voor uw boeking.\n.Tot dan!",
        ]).decode(as: Outbound.Request.self)
        let stored = try Outbound(services: host.services).send(request, tenant: tenant, actor: "test")
        let outcome = try await OutboundDelivery(services: host.services).deliver(messageID: stored.messageID, tenant: tenant, attempt: 1, maxAttempts: 3)

        let received = try #require(server.messages.first)
        #expect(received.mailFrom == "<bookings@mrdj.example>")
        #expect(received.recipients == ["<bo@example.com>"])
        #expect(received.commands.contains { $0.hasPrefix("EHLO") })
        let (headers, body) = Self.parse(received.data)
        #expect(headers["from"] == "Mr. DJ <bookings@mrdj.example>")
        #expect(headers["to"] == "bo@example.com")
        #expect(headers["subject"] == "Uw boeking")
        #expect(headers["mime-version"] == "1.0")
        #expect(headers["content-type"] == "text/plain; charset=utf-8")
        #expect(headers["date"].map { $0.range(of: #"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$"#, options: .regularExpression) != nil } == true)
        let messageID = try #require(headers["message-id"])
        #expect(messageID.hasPrefix("<") && messageID.hasSuffix("@mrdj.example>"))
        #expect(outcome == .sent(providerID: messageID))
        #expect(body == "Bedankt voor uw boeking.\r\n.Tot dan!")

        let both = try Self.setup(port: server.port, outlook: true)
        #expect(try ChannelRouter.sender(for: "email", tenant: try #require(both.registry.tenant(slug: "mrdj"))).0 is GraphMailSender)
    }

    @Test("attachments go as multipart/mixed base64 parts; a non-ASCII subject is RFC 2047 encoded")
    func attachments() async throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let pdf = Array("%PDF-1.4 offerte \u{00e9}\n".utf8) + [0, 255, 10, 13]
        var message = MailMessage(
            from: "bookings@mrdj.example", to: ["bo@example.com", "Planner <plan@mrdj.example>"], subject: "Offerte café",
            text: "Zie bijlage.\r\nGroet")
        message.attachments = [.init(filename: "offerte.pdf", contentType: "application/pdf", data: pdf)]
        try await SMTPClient().send(message, via: .init(url: "smtp://127.0.0.1:\(server.port)"))

        let received = try #require(server.messages.first)
        #expect(received.recipients == ["<bo@example.com>", "<plan@mrdj.example>"])
        let (headers, body) = Self.parse(received.data)
        #expect(headers["subject"] == "=?UTF-8?B?\(Data("Offerte café".utf8).base64EncodedString())?=")
        let contentType = try #require(headers["content-type"])
        #expect(contentType.hasPrefix("multipart/mixed; boundary=\""))
        let boundary = String(contentType.split(separator: "\"")[1])
        let parts = body.components(separatedBy: "--\(boundary)")
        #expect(parts.count == 4)
        #expect(parts.last?.hasPrefix("--") == true)
        let text = Self.parse(parts[1].trimmingPrefix("\r\n").description)
        #expect(text.headers["content-type"] == "text/plain; charset=utf-8")
        #expect(text.body.trimmingCharacters(in: .newlines) == "Zie bijlage.\r\nGroet")
        let file = Self.parse(parts[2].trimmingPrefix("\r\n").description)
        #expect(file.headers["content-disposition"] == "attachment; filename=\"offerte.pdf\"")
        #expect(file.headers["content-transfer-encoding"] == "base64")
        #expect(file.body.components(separatedBy: "\r\n").allSatisfy { $0.count <= 76 })
        let decoded = Data(base64Encoded: file.body.replacingOccurrences(of: "\r\n", with: ""))
        #expect(decoded.map(Array.init) == pdf)
    }

    @Test("a message's subject and attachments go through the policy path to SMTP, and into Graph's sendMail body")
    func policyPathAttachments() async throws {
        let server = try FakeSMTPServer()
        defer { server.stop() }
        let host = try Self.setup(port: server.port)
        let tenant = try #require(host.registry.tenant(slug: "mrdj"))
        let contact = try host.services.contacts.create(tenantID: "mrdj", name: "Bo", phone: nil, email: "bo@example.com")
        let pdf = Data("%PDF-1.4 brochure".utf8).base64EncodedString()
        let request = try JSON.object([
            "contact_id": .string(contact.id), "channel": "email", "type": "session_text", "subject": "Uw brochure", "text": "Zie bijlage.",
            "attachments": [["filename": "brochure.pdf", "content_type": "application/pdf", "content_base64": .string(pdf)]],
        ]).decode(as: Outbound.Request.self)
        let stored = try Outbound(services: host.services).send(request, tenant: tenant, actor: "test")
        _ = try await OutboundDelivery(services: host.services).deliver(messageID: stored.messageID, tenant: tenant, attempt: 1, maxAttempts: 3)

        let (headers, body) = Self.parse(try #require(server.messages.first).data)
        #expect(headers["subject"] == "Uw brochure")
        #expect(headers["content-type"]?.hasPrefix("multipart/mixed") == true)
        #expect(body.contains("filename=\"brochure.pdf\""))
        #expect(body.contains(pdf))

        let sandbox = try JSON.object([
            "contact_id": .string(contact.id), "channel": "sms", "type": "session_text", "text": "x",
            "attachments": [["filename": "a.pdf", "content_type": "application/pdf", "content_base64": .string(pdf)]],
        ]).decode(as: Outbound.Request.self)
        #expect(throws: Outbound.Invalid.self) { try Outbound(services: host.services).send(sandbox, tenant: tenant, actor: "test") }

        var envelope = OutboundEnvelope(
            messageID: "m1", to: "bo@example.com", type: "session_text", text: "Hallo", template: nil, variables: [:], interactive: nil,
            threadKey: nil, language: "nl")
        envelope.attachments = [.init(filename: "brochure.pdf", contentType: "application/pdf", contentBase64: pdf)]
        let graph = GraphMailSender.sendMailBody(envelope)
        #expect(graph["message"]?["attachments"]?.arrayValue?.first?["contentBytes"]?.stringValue == pdf)
        #expect(graph["message"]?["attachments"]?.arrayValue?.first?["@odata.type"]?.stringValue == "#microsoft.graph.fileAttachment")
    }

    @Test("a 5xx SMTP reply fails the message permanently; an unreachable server is retried")
    func failures() async throws {
        let server = try FakeSMTPServer(rejectRecipients: true)
        defer { server.stop() }
        let host = try Self.setup(port: server.port)
        let tenant = try #require(host.registry.tenant(slug: "mrdj"))
        let contact = try host.services.contacts.create(tenantID: "mrdj", name: "Bo", phone: nil, email: "nobody@example.com")
        let request = try JSON.object(["contact_id": .string(contact.id), "channel": "email", "type": "session_text", "text": "Hallo"])
            .decode(as: Outbound.Request.self)
        let stored = try Outbound(services: host.services).send(request, tenant: tenant, actor: "test")
        let outcome = try await OutboundDelivery(services: host.services).deliver(messageID: stored.messageID, tenant: tenant, attempt: 1, maxAttempts: 3)
        #expect(outcome == .failed(code: "smtp_550"))

        let closed = try FakeSMTPServer()
        closed.stop()
        let config = try #require(tenant.manifest.channels["smtp"])
        let envelope = OutboundEnvelope(
            messageID: "m1", to: "bo@example.com", type: "session_text", text: "Hallo", template: nil, variables: [:], interactive: nil,
            threadKey: nil, language: "nl")
        let unreachable = ChannelConfig(kind: "smtp", values: config.values.merging(["url": "smtp://127.0.0.1:\(closed.port)"]) { $1 })
        do {
            _ = try await SMTPSender().deliver(envelope, config: unreachable, http: HTTPClient())
            Issue.record("an unreachable server must fail the send")
        } catch DeliveryError.transient {
        } catch {
            Issue.record("expected a transient failure, got \(error)")
        }
    }
}
