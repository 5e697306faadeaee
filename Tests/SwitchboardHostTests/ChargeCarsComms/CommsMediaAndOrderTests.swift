import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// Seed 004 "Media Messages" (files in tenant-scoped storage, metadata on the message) and the order store
/// that inbound messages are linked to.
@Suite("ChargeCarsComms: media and orders", .serialized)
struct CommsMediaAndOrderTests {
    static let pdf = Array("%PDF-1.4 factuur 20451".utf8)
    static let photo: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0x42, count: 300)

    /// WhatsApp's media endpoints: `GET /{media-id}` answers the download URL, which serves the bytes; both need the token.
    static func whatsAppMedia(_ router: Router<BasicRequestContext>) {
        let files: [String: (String, [UInt8], Int)] = [
            "MEDIA1": ("application/pdf", pdf, pdf.count), "MEDIA2": ("image/jpeg", photo, 17 << 20),
        ]
        router.get("/v21.0/:media") { request, context in
            let id = context.parameters.get("media") ?? ""
            guard request.headers[.authorization] == "Bearer EAAG-token", let file = files[id] else {
                return try fakeJSON(["error": ["code": 100, "message": "Unsupported get request."]], status: .badRequest)
            }
            return try fakeJSON([
                "messaging_product": "whatsapp", "id": .string(id), "mime_type": .string(file.0), "file_size": .number(Double(file.2)),
                "sha256": .string(Crypto.sha256Hex(file.1)), "url": .string("http://\(request.head.authority ?? "")/download/\(id)"),
            ])
        }
        router.get("/download/:media") { request, context in
            guard request.headers[.authorization] == "Bearer EAAG-token", let file = files[context.parameters.get("media") ?? ""] else {
                return Response(status: .unauthorized)
            }
            return Response(status: .ok, headers: [.contentType: file.0], body: .init(byteBuffer: ByteBuffer(bytes: file.1)))
        }
    }

    static func document(id: String, media: String, filename: String) -> String {
        """
        {"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"value":{"messaging_product":"whatsapp",\
        "metadata":{"display_phone_number":"15550783881","phone_number_id":"\(ChannelTests.phoneNumberID)"},\
        "contacts":[{"profile":{"name":"Dana"},"wa_id":"31612345678"}],\
        "messages":[{"from":"31612345678","id":"\(id)","timestamp":"\(Clock.nowMillis() / 1000)","type":"document",\
        "document":{"caption":"Factuur","filename":"\(filename)","mime_type":"application/pdf","id":"\(media)"}}]},"field":"messages"}]}]}
        """
    }

    /// The bytes of a stored attachment, read from the tenant's folder under the host's data directory.
    static func stored(_ cc: CommsHarness, _ attachment: JSON) throws -> [UInt8] {
        let path = try #require(attachment["path"]?.stringValue)
        let root = URL(fileURLWithPath: cc.host.configuration.dataDirectory).appendingPathComponent("files/lq")
        return Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    @Test("WhatsApp media is downloaded with the token into the tenant's folder; a traversing name stays inside; an oversized file is not fetched")
    func whatsAppMedia() async throws {
        try await CommsHarness.run(routes: Self.whatsAppMedia) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                try await cc.whatsAppWebhook(client, Self.document(id: "wamid.M1", media: "MEDIA1", filename: "../../etc/passwd"))
                try await cc.whatsAppWebhook(client, Self.document(id: "wamid.M2", media: "MEDIA2", filename: "foto.jpg"))
                let thread = try #require(try await cc.api(client).get("/api/communication/threads?filter=whatsapp").json["data"]?.arrayValue?.first)
                let messages = try await cc.api(client).get("/api/communication/messages?thread_id=\(thread["id"]?.stringValue ?? "")").json["data"]?.arrayValue ?? []
                let attachments = messages.filter { $0["message_type"] == "incoming" }.compactMap { $0["attachments"]?.arrayValue?.first }
                #expect(attachments.count == 2)

                let document = try #require(attachments.first)
                #expect(document["name"] == "../../etc/passwd" && document["mime_type"] == "application/pdf")
                #expect(document["size"] == .number(Double(Self.pdf.count)) && document["sha256"] == .string(Crypto.sha256Hex(Self.pdf)))
                let path = try #require(document["path"]?.stringValue)
                #expect(path.range(of: #"^media/\d{4}/[0-9a-f-]{36}-passwd$"#, options: .regularExpression) != nil)
                #expect(try Self.stored(cc, document) == Self.pdf)

                let photo = try #require(attachments.last)
                #expect(photo["error"] == "too_large" && photo["path"] == nil && photo["size"] == .number(Double(17 << 20)))
                #expect(cc.server.requests("GET", "/download/").map(\.path) == ["/download/MEDIA1"])
            }
        }
    }

    @Test("Outlook file attachments are stored with their metadata; an attached mail item is listed, not stored")
    func outlookAttachments() async throws {
        let mail = OutlookChannelTests.mail(
            id: "AAMkF1", conversation: "AAQkF", from: "dana@driver.example", subject: "Offerte", html: "<p>Zie bijlage.</p>"
        ).merging(["hasAttachments": true])
        let attachments: JSON = ["value": [
            ["@odata.type": "#microsoft.graph.fileAttachment", "id": "AT1", "name": "..\\offerte.pdf", "contentType": "application/pdf",
             "size": .number(Double(Self.pdf.count)), "isInline": false, "contentBytes": .string(Data(Self.pdf).base64EncodedString())],
            ["@odata.type": "#microsoft.graph.itemAttachment", "id": "AT2", "name": "Doorgestuurd", "contentType": "message/rfc822", "size": 900],
        ]]
        let routes: (Router<BasicRequestContext>) -> Void = { router in
            router.get("/v1.0/users/:mailbox/messages/:id/attachments") { request, context in
                guard context.parameters.get("id") == "AAMkF1", request.headers[.authorization] == "Bearer graph-token-1" else {
                    return try fakeJSON(["error": ["code": "ErrorItemNotFound", "message": "Not found."]], status: .notFound)
                }
                return try fakeJSON(attachments)
            }
        }
        try await CommsHarness.run(mails: ["AAMkF1": mail], routes: routes) { cc in
            try await cc.host.buildApplication().test(.router) { client in
                try await cc.outlook("AAMkF1")
                let thread = try #require(try await cc.api(client).get("/api/communication/threads?filter=email").json["data"]?.arrayValue?.first)
                let messages = try await cc.api(client).get("/api/communication/messages?thread_id=\(thread["id"]?.stringValue ?? "")").json["data"]?.arrayValue ?? []
                let incoming = try #require(messages.first { $0["message_type"] == "incoming" })
                #expect(incoming["subject"] == "Offerte" && incoming["message_html"] == "<p>Zie bijlage.</p>")
                let stored = incoming["attachments"]?.arrayValue ?? []
                #expect(stored.count == 2)
                #expect(stored.first?["name"] == "..\\offerte.pdf" && stored.first?["sha256"] == .string(Crypto.sha256Hex(Self.pdf)))
                #expect(stored.first?["path"]?.stringValue?.hasSuffix("-offerte.pdf") == true)
                #expect(try Self.stored(cc, try #require(stored.first)) == Self.pdf)
                #expect(stored.last?["name"] == "Doorgestuurd" && stored.last?["error"] == "not_a_file")
                // The host keeps subject, HTML and attachments; the plugin's record of the message holds none of them.
                let scope = RecordStore.Scope(tenantID: "lq", pluginID: "chargecars-comms")
                let records = try cc.host.services.records.query(scope, collection: "thread_messages", .init(prefix: thread["id"]?.stringValue))
                let own = try #require(records.records.first { $0.value["message_type"] == "incoming" }?.value)
                #expect(own["subject"] == nil && own["message_html"] == nil && own["message_content"] == nil && own["attachments"] == [])
            }
        }
    }

    @Test("orders are created and listed; a message is linked to the order it names, or else to the sender's only order")
    func orders() async throws {
        try await CommsHarness.run { cc in
            try await cc.host.buildApplication().test(.router) { client in
                let api = cc.api(client)
                let mine = try await api.post("/api/orders", ["number": "55501", "customer_phone": "+31612345678", "organization_id": "org-1"])
                #expect(mine.status == .created)
                #expect(try await api.post("/api/orders", ["number": "55502", "customer_email": "Sam@Fleet.example"]).status == .created)
                #expect(try await api.post("/api/orders", ["number": "55501"]).status == .unprocessableContent)
                let bad = try await api.post("/api/orders", ["number": "../55"])
                #expect(bad.status == .unprocessableContent && bad.headers[.contentType] == "application/problem+json")
                #expect(try await api.get("/api/orders").json["data"]?.arrayValue?.compactMap { $0["number"]?.stringValue } == ["55501", "55502"])

                // No number in the text: the sender's phone finds their only order.
                try await cc.whatsApp(client, "Waar blijft mijn laadpaal?", id: "wamid.O1")
                let thread = try #require(try await api.get("/api/communication/threads?filter=whatsapp").json["data"]?.arrayValue?.first)
                #expect(thread["order_id"] == mine.json["id"] && thread["order_number"] == "55501" && thread["customer_organization_id"] == "org-1")

                // A thread created by hand naming another order is linked to that one; an unknown number links nothing.
                let named = try await api.post("/api/communication/threads", ["thread_subject": "Levering bestelling 55502"])
                #expect(named.json["order_number"] == "55502")
                let unknown = try await api.post("/api/communication/threads", ["thread_subject": "Vraag over bestelling 99999"])
                #expect(unknown.status == .created && unknown.json["order_id"] == nil)
            }
        }
    }
}
