import ArgumentParser
import Foundation
import Logging

struct TenantsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tenants", abstract: "List, validate and apply tenant manifests.",
        subcommands: [List.self, Validate.self, Apply.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the stored tenants with their status and plugins.")
        @OptionGroup var options: HostOptions

        func run() throws {
            let host = try SwitchboardHost.start(try options.configuration(), logger: quietLogger())
            let statuses = try host.registry.statuses()
            if statuses.isEmpty { print("no tenants") }
            for status in statuses {
                let state = status.status == "active" ? (status.running ? "active" : "FAILING") : status.status
                print("\(status.slug.padding(toLength: 16, withPad: " ", startingAt: 0)) \(state.padding(toLength: 9, withPad: " ", startingAt: 0)) \(status.domains.joined(separator: ","))  [\(status.plugins.joined(separator: ", "))]")
                if let problem = status.problem { print("    \(problem)") }
            }
        }
    }

    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check manifests: schema, plugin ids, domains, timezone; every error with its path and line.")
        @OptionGroup var options: HostOptions
        @Argument(help: "Manifest files to check.") var files: [String]

        func run() throws {
            var configuration = try options.configuration()
            configuration.tenantsDirectory = nil
            let host = try SwitchboardHost.start(configuration, logger: quietLogger())
            let validator = try host.registry.validator()
            var failed = false
            for file in files {
                guard let yaml = try? String(contentsOfFile: file, encoding: .utf8) else {
                    print("\(file): cannot read the file")
                    failed = true
                    continue
                }
                do {
                    let manifest = try validator.validate(yaml: yaml)
                    print("\(file): ok (\(manifest.slug): \(manifest.domains.joined(separator: ", ")))")
                } catch let error as ManifestValidationError {
                    failed = true
                    for issue in error.issues { print("\(file):\(issue)") }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Validate a manifest and store it; running hosts pick it up within a second.")
        @OptionGroup var options: HostOptions
        @Argument(help: "Manifest file to apply.") var file: String

        func run() throws {
            var configuration = try options.configuration()
            configuration.tenantsDirectory = nil
            let host = try SwitchboardHost.start(configuration, logger: quietLogger())
            let yaml = try String(contentsOfFile: file, encoding: .utf8)
            do {
                let tenant = try host.registry.onboard(yaml: yaml, actor: "cli")
                print("applied \(tenant.slug): \(tenant.manifest.domains.joined(separator: ", "))")
            } catch let error as ManifestValidationError {
                for issue in error.issues { print("\(file):\(issue)") }
                throw ExitCode(1)
            }
        }
    }
}

/// A logger for CLI commands: warnings and worse, on stderr.
func quietLogger() -> Logger {
    var logger = Logger(label: "switchboard") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .warning
    return logger
}
