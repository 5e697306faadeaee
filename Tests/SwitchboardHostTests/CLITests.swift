import Foundation
import SwitchboardJSON
import Testing

@testable import SwitchboardHost

/// The `switchboard` executable, run as an operator runs it.
@Suite("The command line")
struct CLITests {
    struct Run {
        let status: Int32
        let output: String
        /// What the command wrote to standard error (progress, diagnostics).
        var errors = ""
    }

    /// Runs the built `switchboard` with `arguments` against a fresh SQLite file and the demo tenants.
    static func run(_ arguments: [String], database: String, input: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestEnvironment.pluginsDirectory + "/switchboard")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["SWITCHBOARD_DATABASE_URL"] = "sqlite://" + database
        environment["SWITCHBOARD_TENANTS_DIR"] = TestEnvironment.repositoryRoot.appendingPathComponent("tenants").path
        environment["SWITCHBOARD_PLUGINS_DIR"] = TestEnvironment.pluginsDirectory
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        let errors = Pipe()
        process.standardError = errors
        let stdin = Pipe()
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try stdin.fileHandleForWriting.close()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let diagnostics = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: text, errors: diagnostics)
    }

    @Test("migrate, tenants list, tokens create/list/revoke, users create and plugins call work from the shell")
    func operatorCommands() throws {
        let database = try TestEnvironment.temporaryDirectory().appendingPathComponent("cli.sqlite").path
        let migrate = try Self.run(["migrate"], database: database)
        #expect(migrate.status == 0 && migrate.output.contains("schema is at version"))
        let list = try Self.run(["tenants", "list"], database: database)
        #expect(list.status == 0 && list.output.contains("mrdj") && list.output.contains("mr-dj.rentguy.nl"))

        let created = try Self.run(["tokens", "create", "--tenant", "mrdj", "--role", "sales", "--name", "website"], database: database)
        #expect(created.status == 0)
        let secret = try #require(created.output.split(separator: "\n").last.map(String.init))
        #expect(secret.hasPrefix("sbt_"))
        let prefix = String(secret.prefix(12))
        #expect(try Self.run(["tokens", "list", "--tenant", "mrdj"], database: database).output.contains(prefix))
        #expect(!(try Self.run(["tokens", "list", "--tenant", "mrdj"], database: database).output.contains(secret)), "a secret is shown once")
        #expect(try Self.run(["tokens", "create", "--tenant", "mrdj", "--role", "emperor", "--name", "x"], database: database).status != 0)
        #expect(try Self.run(["tokens", "revoke", "--tenant", "mrdj", prefix], database: database).status == 0)

        let user = try Self.run(["users", "create", "--tenant", "mrdj", "--email", "bart@mr-dj.nl", "--name", "Bart", "--role", "sales"], database: database, input: "a long enough password\n")
        #expect(user.status == 0 && user.output.contains("created user bart@mr-dj.nl"))

        let audit = try Self.run(["plugins", "call", "--tenant", "tutorbot", "GET", "/api/tutorbot/audit"], database: database)
        #expect(audit.status == 0)
        #expect((try? JSON.parse(audit.output))?["checked"] != nil, "the TutorBot attribute audit as JSON: \(audit.output)")
        #expect(try Self.run(["plugins", "call", "--tenant", "tutorbot", "GET", "/api/nope"], database: database).status != 0)
    }
}
