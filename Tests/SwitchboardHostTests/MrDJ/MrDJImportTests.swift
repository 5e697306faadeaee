import CPluginABI
import Foundation
import NIOCore
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

@Suite("MrDJCRM import: `switchboard crm import` in batches, uploads, and store.batch")
struct MrDJImportTests {
    /// BOM, semicolons, a quoted field over two lines, `""` quotes, a Windows-1252 byte and three bad rows.
    static let file: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((
        "Naam;Contact;Telefoon;Pijplijn;Opmerking\r\n"
            + "Anna;anna@example.com;;Bruiloften;\"twee\r\nregels\"\r\n"
            + "Bram;geen-mail;;Zakelijk;\r\n"
            + "Carla;carla@example.com;0612345679;Onbekend;\r\n"
            + "\"Dirk \"\"DJ\"\" Caf").utf8) + [0xE9] + Array((
        "\";dirk@example.com;;Zakelijk;\r\n"
            + "Eva;eva@example.com;06 1234;;\r\n"
            + "Anna;ANNA@example.com;;Bruiloften;nog een keer\r\n").utf8)

    @Test("the CLI maps columns, draws progress, reports every bad row by its line and exits 1; dry-run writes nothing; a re-import adds nothing")
    func commandLine() throws {
        let folder = try TestEnvironment.temporaryDirectory()
        let database = folder.appendingPathComponent("import.sqlite").path, csv = folder.appendingPathComponent("leads.csv").path
        try Data(Self.file).write(to: URL(fileURLWithPath: csv))
        #expect(try CLITests.run(["tenants", "list"], database: database).status == 0, "stores the demo tenants")
        func leads() throws -> [JSON] {
            let listed = try CLITests.run(["plugins", "call", "--tenant", "mrdj", "GET", "/api/crm/leads"], database: database)
            return try JSON.parse(listed.output)["data"]?.arrayValue ?? []
        }
        let arguments = ["crm", "import", "--tenant", "mrdj", csv, "--map", "Contact=email", "--batch-size", "2"]

        let dry = try CLITests.run(arguments + ["--dry-run"], database: database)
        #expect(dry.status == 1)
        let drySummary = try JSON.parse(try #require(dry.output.split(separator: "\n").last.map(String.init)))
        #expect(drySummary["dry_run"] == true && drySummary["imported"] == 3 && drySummary["failed_rows"] == 3)
        #expect(try leads().isEmpty, "a dry run writes nothing")

        let run = try CLITests.run(arguments, database: database)
        #expect(run.status == 1, "rows failed")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(Array(lines.dropLast()) == [
            "line 4: email: not an email address", "line 5: pipeline: unknown pipeline Onbekend", "line 7: phone: not a phone number",
        ])
        let summary = try JSON.parse(try #require(lines.last))
        #expect(summary["rows"] == 6 && summary["imported"] == 2 && summary["duplicates"] == 1 && summary["failed_rows"] == 3)
        #expect(run.errors.contains("] 2/6 rows 33%") && run.errors.contains("[##############################] 6/6 rows 100%"), "progress: \(run.errors)")
        let imported = try leads()
        #expect(imported.compactMap { $0["email"]?.stringValue } == ["anna@example.com", "dirk@example.com"])
        #expect(imported.first?["message"] == "twee\r\nregels" || imported.first?["message"] == "twee\nregels")
        #expect(imported.last?["name"] == "Dirk \"DJ\" Caf\u{E9}", "Windows-1252 and doubled quotes")

        let again = try CLITests.run(arguments, database: database)
        let repeated = try JSON.parse(try #require(again.output.split(separator: "\n").last.map(String.init)))
        #expect(repeated["imported"] == 0 && repeated["duplicates"] == 3)
        #expect(try leads().count == 2)

        let clean = folder.appendingPathComponent("clean.csv").path
        try Data("email,name\nfleur@example.com,Fleur\n".utf8).write(to: URL(fileURLWithPath: clean))
        #expect(try CLITests.run(["crm", "import", "--tenant", "mrdj", clean], database: database).status == 0)
        let unknown = try CLITests.run(["crm", "export", "--tenant", "mrdj", clean], database: database)
        #expect(unknown.status != 0 && unknown.errors.contains("offers: crm import"))
    }

    @Test("the API takes text/csv, a multipart form's file and JSON {csv}; first_line numbers the rows of a part")
    func uploads() async throws {
        try await MrDJHarness.run { harness in
            try await harness.host.buildApplication().test(.router) { client in
                let sales = try harness.api(client)
                let boundary = "----sb-test"
                let form = "--\(boundary)\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhallo\r\n"
                    + "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n"
                    + "email;naam\r\nform@example.com;Form\r\n\r\n--\(boundary)--\r\n"
                let multipart = try await sales.send(.post, "/api/crm/import", raw: ByteBuffer(string: form), contentType: "multipart/form-data; boundary=\(boundary)")
                #expect(multipart.json["imported"] == 1 && multipart.json["errors"]?.arrayValue?.isEmpty == true)

                let json = try await sales.post("/api/crm/import", ["csv": "email,name\njson@example.com,Json\n"])
                #expect(json.json["imported"] == 1)
                #expect(try await sales.post("/api/crm/import", ["text": "x"]).status == .unprocessableContent)

                let part = try await sales.send(.post, "/api/crm/import?first_line=41", raw: ByteBuffer(string: "email\nnope\nok@example.com\n"), contentType: "text/csv")
                #expect(part.json["errors"]?.arrayValue?.first?["line"] == 41)
                let names = try await sales.get("/api/crm/leads").json["data"]?.arrayValue?.compactMap { $0["email"]?.stringValue }
                #expect(names == ["form@example.com", "json@example.com", "ok@example.com"])
            }
        }
    }

    @Test("store.batch writes and deletes in one transaction, scoped to the calling tenant; a bad write fails the whole batch")
    func storeBatch() throws {
        let host = try TestEnvironment.host(manifests: [
            "a": manifest(slug: "tenant-a", domain: "a.localhost"), "b": manifest(slug: "tenant-b", domain: "b.localhost"),
        ])
        let scope = RecordStore.Scope(tenantID: "tenant-a", pluginID: "hello-c")
        try host.services.records.put(scope, collection: "leads", key: "old", value: "{}")
        let (status, reply) = try HostServicesTests.call(host, "tenant-a", "store.batch", ["writes": [
            ["collection": "leads", "key": "l1", "value": ["name": "Ann"]],
            ["collection": "counters", "key": "lead", "value": 1],
            ["collection": "leads", "key": "old", "delete": true],
        ]])
        #expect(status == SB_OK && reply["written"] == 3)
        #expect(try host.services.records.get(scope, collection: "leads", key: "l1") == #"{"name":"Ann"}"#)
        #expect(try host.services.records.get(scope, collection: "counters", key: "lead") == "1")
        #expect(try host.services.records.get(scope, collection: "leads", key: "old") == nil)
        #expect(try host.services.records.get(RecordStore.Scope(tenantID: "tenant-b", pluginID: "hello-c"), collection: "leads", key: "l1") == nil)

        let (refused, _) = try HostServicesTests.call(host, "tenant-a", "store.batch", ["writes": [
            ["collection": "leads", "key": "l2", "value": ["name": "Bo"]],
            ["collection": "leads", "value": ["name": "no key"]],
        ]])
        #expect(refused == SB_BAD_ARGUMENT)
        #expect(try host.services.records.get(scope, collection: "leads", key: "l2") == nil, "nothing of a refused batch is written")
        #expect(try HostServicesTests.call(host, "tenant-a", "store.batch", ["writes": "x"]).0 == SB_BAD_ARGUMENT)
    }

    @Test("CSV records split on line feeds outside quotes, keep their first line, skip blank lines; the progress bar and the command routing")
    func recordsAndRouting() {
        let records = CSVRecords.split(Array("a,b\r\n\"x\ny\",1\n\n2,\"\"\"q\"\"\"\n3,z".utf8))
        #expect(records.map(\.line) == [1, 2, 5, 6])
        #expect(records.map { String(decoding: $0.bytes, as: UTF8.self) } == ["a,b\r\n", "\"x\ny\",1\n", "2,\"\"\"q\"\"\"\n", "3,z"])
        #expect(ProgressBar(total: 4).line(2) == "[" + String(repeating: "#", count: 15) + String(repeating: "-", count: 15) + "] 2/4 rows 50%")
        #expect(ProgressBar(total: 0).line(0).hasSuffix("0/0 rows 100%"))
        #expect(SwitchboardCommand.routingPluginCommands(["crm", "import", "f.csv"]) == ["file-command", "crm", "import", "f.csv"])
        #expect(SwitchboardCommand.routingPluginCommands(["tenants", "list"]) == ["tenants", "list"])
        #expect(SwitchboardCommand.routingPluginCommands(["--help"]) == ["--help"])
        #expect(PluginRoute(method: "GET", path: "/api/crm/import", permission: "crm:write", cli: "crm import").problem != nil)
        #expect(PluginRoute(method: "POST", path: "/api/crm/import", permission: "crm:write", cli: "crm import").problem == nil)
    }
}
