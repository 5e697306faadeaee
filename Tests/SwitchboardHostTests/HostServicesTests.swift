import CPluginABI
import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// The named host services of ABI 1.1 (`sb_host_api.call`), called through the C table as a plugin calls them.
@Suite("Host services for plugins (ABI 1.1)")
struct HostServicesTests {
    /// Calls `method` through the host table for tenant `slug` as plugin `hello-c`.
    static func call(_ host: SwitchboardHost, _ slug: String, _ method: String, _ request: JSON) throws -> (Int32, JSON) {
        let context = HostContext(
            tenantID: slug, pluginID: "hello-c", egress: EgressPolicy(allowed: []), services: host.services,
            tenant: { [registry = host.registry] in registry.tenant(slug: slug) })
        let retained = Unmanaged.passRetained(context)
        defer { retained.release() }
        let table = HostAPITable.shared.pointee
        #expect(Int(table.struct_size) == MemoryLayout<sb_host_api>.size)
        var out = sb_owned_bytes()
        let body = try request.serializedBytes()
        var name = method
        let status = name.withUTF8 { m in
            body.withUnsafeBufferPointer { b in
                table.call!(OpaquePointer(retained.toOpaque()), sb_bytes(ptr: m.baseAddress, len: m.count), sb_bytes(ptr: b.baseAddress, len: b.count), &out)
            }
        }
        defer { table.free_bytes(out) }
        let bytes = out.ptr.map { Array(UnsafeBufferPointer(start: $0, count: out.len)) } ?? []
        return (status, bytes.isEmpty ? .null : try JSON.parse(bytes: bytes))
    }

    @Test("calendar, tasks, conversations and templates through host_call, scoped to the calling tenant")
    func services() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost"), "b": manifest(slug: "tenant-b", domain: "b.localhost"),
        ])
        let start: Int64 = 1_795_438_800_000
        let (created, event) = try Self.call(host, "tenant-a", "calendar.create", ["title": "Proefles", "starts_at": .number(Double(start)), "ends_at": .number(Double(start + 3_600_000))])
        #expect(created == SB_OK)
        let id = try #require(event["id"]?.stringValue)
        let (_, listed) = try Self.call(host, "tenant-a", "calendar.events", ["from": .number(Double(start - 1)), "to": .number(Double(start + 1))])
        #expect(listed["events"]?.arrayValue?.count == 1)
        let (_, other) = try Self.call(host, "tenant-b", "calendar.events", ["from": .number(Double(start - 1)), "to": .number(Double(start + 1))])
        #expect(other["events"]?.arrayValue?.isEmpty == true, "tenant B sees none of A's events")
        let (moved, updated) = try Self.call(host, "tenant-a", "calendar.update", ["id": .string(id), "starts_at": .number(Double(start + 7_200_000)), "ends_at": .number(Double(start + 10_800_000))])
        #expect(moved == SB_OK && updated["sequence"] == .number(1))
        #expect(try Self.call(host, "tenant-b", "calendar.update", ["id": .string(id), "status": "cancelled"]).0 == SB_NOT_FOUND)

        let (_, ics) = try Self.call(host, "tenant-a", "calendar.ics", ["id": .string(id), "attendee": "kim@example.nl"])
        let text = try #require(ics["ics"]?.stringValue)
        #expect(text.hasPrefix("BEGIN:VCALENDAR\r\n") && text.hasSuffix("END:VCALENDAR\r\n"))
        #expect(text.contains("METHOD:REQUEST\r\n") && text.contains("DTSTART;TZID=Europe/Amsterdam:20261123T160000\r\n"))
        #expect(text.contains("UID:\(id)@a.localhost") && text.contains("SEQUENCE:1"))
        #expect(text.components(separatedBy: "\r\n").allSatisfy { $0.utf8.count <= 75 })

        let contact = try host.services.contacts.create(tenantID: "tenant-a", name: "Kim", phone: "+31600000001", email: nil)
        let (taskStatus, task) = try Self.call(host, "tenant-a", "tasks.create", ["title": "Bel Kim terug", "priority": "high", "contact_id": .string(contact.id)])
        #expect(taskStatus == SB_OK && task["created_by"] == "plugin:hello-c")
        #expect(try Self.call(host, "tenant-a", "tasks.create", ["title": "x", "priority": "whenever"]).0 == SB_BAD_ARGUMENT)

        let (_, template) = try Self.call(host, "tenant-a", "templates.upsert", ["name": "lead_welcome_v1", "channel": "whatsapp", "language": "de", "body": "Hallo {{name}}"])
        #expect(template["variables"] == ["name"] && template["approval_status"] == "pending")
        let (_, again) = try Self.call(host, "tenant-a", "templates.upsert", ["name": "lead_welcome_v1", "channel": "whatsapp", "language": "de", "body": "Hi {{first_name}}", "approval_status": "approved"])
        #expect(again["id"] == template["id"] && again["variables"] == ["first_name"])

        #expect(try Self.call(host, "tenant-a", "no.such.method", [:]).0 == SB_UNSUPPORTED)
        #expect(try Self.call(host, "tenant-a", "audit.record", ["action": "consent_granted", "subject": .string(contact.id)]).0 == SB_OK)
        #expect(try host.services.audit.entries(tenantID: "tenant-a", action: "consent_granted").first?.actor == "plugin:hello-c")
        #expect(try Self.call(host, "tenant-a", "contacts.delete", ["id": .string(contact.id)]).0 == SB_OK)
        #expect(try host.services.contacts.find(tenantID: "tenant-a", .id(contact.id)) == nil)
        #expect(try host.services.audit.entries(tenantID: "tenant-a", action: "data_deleted").count == 1)
    }

    @Test("tenant files are readable by the tenant's plugins only, and env: references in plugin config are resolved")
    func filesAndSecrets() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost"), "b": manifest(slug: "tenant-b", domain: "b.localhost"),
        ])
        let root = try #require(host.services.tenantFilesRoot)
        let knowledge = URL(fileURLWithPath: root).appendingPathComponent("tenant-a/knowledge")
        try FileManager.default.createDirectory(at: knowledge, withIntermediateDirectories: true)
        try "# FAQ\nWie viel kostet es?".write(to: knowledge.appendingPathComponent("faq.md"), atomically: true, encoding: .utf8)
        let (_, listed) = try Self.call(host, "tenant-a", "files.list", ["path": "knowledge"])
        #expect(listed["files"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["faq.md"])
        let (_, read) = try Self.call(host, "tenant-a", "files.read", ["path": "knowledge/faq.md"])
        #expect(read["content"]?.stringValue?.contains("kostet") == true)
        #expect(try Self.call(host, "tenant-b", "files.read", ["path": "knowledge/faq.md"]).0 == SB_NOT_FOUND)
        #expect(try Self.call(host, "tenant-b", "files.read", ["path": "../tenant-a/knowledge/faq.md"]).0 == SB_DENIED)

        SecretEnvironment.set("SB_TEST_PLUGIN_SECRET", "s3cr3t")
        let resolved = PluginInstance.resolvingSecrets(["api_key": "env:SB_TEST_PLUGIN_SECRET", "nested": ["x": "env:SB_TEST_UNSET_VARIABLE"], "plain": "env: not a ref"], logger: TestEnvironment.logger)
        #expect(resolved["api_key"] == "s3cr3t" && resolved["nested"]?["x"] == .null && resolved["plain"] == "env: not a ref")
    }

    @Test("pdf.render produces a real PDF that pdftotext reads back, with accents and the euro sign")
    func pdf() throws {
        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "tenant-a", domain: "a.localhost")])
        let document: JSON = [
            "title": "Offerte Bruiloft Jansen", "brand_color": "#d4af37",
            "blocks": [
                ["pairs": [["Datum", "12 juni 2027"], ["Locatie", "Kasteel Groeneveld"]]],
                ["text": "Beste Anna, hierbij ontvang je de offerte voor jullie feest. Wij kijken ernaar uit! Geïnteresseerd in een extra uur?"],
                ["table": ["columns": ["Pakket", "Prijs"], "rows": [["Gold: DJ, licht en geluid", "€ 1.250,00"]], "widths": [0.7, 0.3],
                           "align": ["left", "right"], "footer": [["Totaal incl. 21% btw", "€ 1.512,50"]]]],
            ],
        ]
        let (status, reply) = try Self.call(host, "tenant-a", "pdf.render", ["document": document])
        #expect(status == SB_OK)
        let bytes = try #require(reply["pdf_base64"]?.stringValue.flatMap { Data(base64Encoded: $0) })
        #expect(bytes.prefix(5) == Data("%PDF-".utf8))
        let file = try TestEnvironment.temporaryDirectory().appendingPathComponent("quote.pdf")
        try bytes.write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["pdftotext", "-layout", file.path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "pdftotext (poppler-utils) could not read the PDF")
        for expected in ["Offerte Bruiloft Jansen", "Kasteel Groeneveld", "Geïnteresseerd", "Gold: DJ, licht en geluid", "€ 1.512,50"] {
            #expect(text.contains(expected), "the PDF text lacks \(expected): \(text)")
        }
        #expect(try Self.call(host, "tenant-a", "pdf.render", [:]).0 == SB_BAD_ARGUMENT)
    }

    @Test("secrets are sealed with AES-256-GCM, open only for their tenant, and tampering is detected")
    func secrets() throws {
        let key = (0..<32).map { UInt8($0) }
        let box = SecretBox(key: key)
        let sealed = try box.seal("graph-client-secret", tenantID: "chargecars")
        #expect(sealed.hasPrefix("v1:") && !sealed.contains("graph-client-secret"))
        #expect(try box.open(sealed, tenantID: "chargecars") == "graph-client-secret")
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, tenantID: "mrdj") }
        var bytes = Array(Data(base64Encoded: String(sealed.dropFirst(3)))!)
        bytes[14] ^= 0x01
        #expect(throws: SecretBox.Failure.self) { try box.open("v1:" + Data(bytes).base64EncodedString(), tenantID: "chargecars") }
        #expect(try box.seal("x", tenantID: "t") != box.seal("x", tenantID: "t"), "a fresh nonce every time")

        let host = try TestEnvironment.host(manifests: ["a": manifest(slug: "tenant-a", domain: "a.localhost")])
        SecretEnvironment.set("SWITCHBOARD_MASTER_KEY", Data(key).base64EncodedString())
        let (_, sealedByHost) = try Self.call(host, "tenant-a", "secrets.seal", ["plaintext": "api-key-123"])
        let value = try #require(sealedByHost["sealed"]?.stringValue)
        #expect(try Self.call(host, "tenant-a", "secrets.open", ["sealed": .string(value)]).1["plaintext"] == "api-key-123")
        #expect(try Self.call(host, "tenant-b", "secrets.open", ["sealed": .string(value)]).0 == SB_DENIED)
    }

    @Test("a long ICS line folds at 75 octets without splitting a UTF-8 character")
    func folding() {
        let line = "DESCRIPTION:" + String(repeating: "ë", count: 60)
        let folded = ICalendar.fold(line)
        let pieces = folded.components(separatedBy: "\r\n")
        #expect(pieces.count > 1 && pieces.allSatisfy { $0.utf8.count <= 75 })
        #expect(pieces.dropFirst().allSatisfy { $0.hasPrefix(" ") })
        #expect(pieces.enumerated().map { $0.offset == 0 ? $0.element : String($0.element.dropFirst()) }.joined() == line)
    }
}
