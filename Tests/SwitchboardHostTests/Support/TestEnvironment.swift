import Foundation
import Logging
import Testing

@testable import SwitchboardHost

/// Paths and builders shared by the tests.
enum TestEnvironment {
    /// The repository root, found from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the plugin libraries were built: `make test` passes it; a plain `swift build` puts them in .build/debug.
    static var pluginsDirectory: String {
        if let directory = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_PLUGINS_DIR"], !directory.isEmpty {
            return directory
        }
        return repositoryRoot.appendingPathComponent(".build/debug").path
    }

    static let abiInclude = repositoryRoot.appendingPathComponent("Sources/PluginAPI/CPluginABI/include").path
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures")

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    /// A fresh, empty temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A host on a fresh SQLite file, with the built plugins and the given manifests as its tenants directory.
    /// `configure` adjusts the configuration last, e.g. the scheduler settings.
    static func host(
        manifests: [String: String], adminToken: String? = "test-admin-token",
        configure: (inout HostConfiguration) -> Void = { _ in }
    ) throws -> SwitchboardHost {
        let directory = try temporaryDirectory()
        let tenants = directory.appendingPathComponent("tenants")
        try FileManager.default.createDirectory(at: tenants, withIntermediateDirectories: true)
        for (name, yaml) in manifests {
            try yaml.write(to: tenants.appendingPathComponent("\(name).yaml"), atomically: true, encoding: .utf8)
        }
        var configuration = HostConfiguration()
        configuration.database = .sqlite(path: directory.appendingPathComponent("test.sqlite").path)
        configuration.tenantsDirectory = tenants.path
        configuration.dataDirectory = directory.appendingPathComponent("data").path
        configuration.pluginsDirectory = pluginsDirectory
        configuration.adminToken = adminToken
        configuration.port = 0
        // Tests drive the scheduler themselves (`SchedulerService.runDue`), so a background one never races them;
        // a test of the running application turns it back on.
        configuration.scheduler.enabled = false
        // `isolation: process` plugins run in the built `switchboard` binary, not in the test runner.
        configuration.isolation.workerExecutable = pluginsDirectory + "/switchboard"
        configure(&configuration)
        return try SwitchboardHost.start(configuration, logger: logger)
    }

    /// A host serving the four demo manifests from `tenants/`.
    static func demoHost() throws -> SwitchboardHost {
        var manifests: [String: String] = [:]
        for name in ["tutorbot", "leadqualifier", "mrdj", "chargecars"] {
            manifests[name] = try String(
                contentsOf: repositoryRoot.appendingPathComponent("tenants/\(name).yaml"), encoding: .utf8)
        }
        return try host(manifests: manifests)
    }

    /// Compiles a C fixture into a shared library with the system C compiler; returns its path.
    /// `defines` are passed as `-D` flags, e.g. `VERSION="2.0.0"`; `flags` as they are. `library` names the output
    /// (`lib<library>.so`), for two builds of one fixture in one plugins directory.
    static func compileFixture(_ name: String, defines: [String] = [], flags: [String] = [], library: String? = nil) throws -> String {
        let output = try temporaryDirectory().appendingPathComponent("lib\(library ?? name).so").path
        let source = fixtures.appendingPathComponent("plugins/\(name).c").path
        let process = Process()
        let diagnostics = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["cc", "-shared", "-fPIC", "-I", abiInclude] + flags + defines.map { "-D" + $0 } + [source, "-o", output]
        process.standardError = diagnostics
        try process.run()
        let message = String(decoding: diagnostics.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError(message: "cc failed to build \(name).c: \(message)") }
        return output
    }

    struct FixtureError: Error { let message: String }
}

/// A minimal manifest for a test tenant running the given plugins.
func manifest(slug: String, domain: String, plugins: [String] = ["hello-c"], egress: [String] = []) -> String {
    """
    slug: \(slug)
    name: Tenant \(slug)
    domains: [\(domain)]
    timezone: Europe/Amsterdam
    plugins:
    \(plugins.map { "  - id: \($0)" }.joined(separator: "\n"))
    egress: [\(egress.joined(separator: ", "))]
    """
}

/// A test tenant's manifest with a `channels:` section (YAML, indented two spaces under `channels:`).
func manifest(slug: String, domain: String, channels: String) -> String {
    manifest(slug: slug, domain: domain) + "\nchannels:\n" + channels
}
