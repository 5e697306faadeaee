import ArgumentParser
import Foundation
import SwitchboardJSON

/// `switchboard <group> <command> --tenant SLUG FILE`: a file command a plugin declares on one of its POST routes
/// (`cli: "<group> <command>"`, e.g. MrDJCRM's `crm import`). The host reads the CSV file, splits it into records
/// and posts them in batches (the header line first in each) to the route as the operator, drawing a progress bar
/// on standard error from the answers. Each answer is `{rows?, errors: [{line, field, reason}], <counters>}`; the
/// errors are printed by line and the counters summed. The exit code is 1 when any row failed.
/// The contract is in docs/plugin-abi.md ("File commands").
struct PluginFileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "file-command",
        abstract: "Feed a CSV file in batches to a plugin's file command; `switchboard crm import …` is short for `switchboard file-command crm import …`.")

    @OptionGroup var options: HostOptions
    @Argument(help: "The command group a plugin declares, e.g. crm.") var group: String
    @Argument(help: "The command, e.g. import.") var command: String
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The tenant's slug.") var tenant: String
    @Option(name: .customLong("map"), help: "Map a column to a field: --map Naam=name (repeatable).") var mappings: [String] = []
    @Flag(help: "Check every row, write nothing.") var dryRun = false
    @Option(help: "Rows per batch; each batch is written all or nothing.") var batchSize = 100

    func validate() throws {
        guard (1...1000).contains(batchSize) else { throw ValidationError("--batch-size must be 1 to 1000") }
        for mapping in mappings where mapping.split(separator: "=").count != 2 {
            throw ValidationError("--map takes column=field, not \(mapping)")
        }
    }

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: file).map(Array.init) else { throw ValidationError("cannot read \(file)") }
        var configuration = try options.configuration()
        configuration.tenantsDirectory = nil
        let host = try SwitchboardHost.start(configuration, logger: quietLogger())
        let running = try host.runningTenant(tenant)
        let name = "\(group) \(command)"
        guard let (route, instance) = running.routes.first(where: { $0.route.cli == name }) else {
            let offered = running.routes.compactMap(\.route.cli)
            throw ValidationError("no plugin of \(tenant) offers `\(name)`; it offers: \(offered.isEmpty ? "none" : offered.joined(separator: ", "))")
        }
        let records = CSVRecords.split(bytes)
        guard let header = records.first else { throw ValidationError("\(file) is empty") }
        let rows = Array(records.dropFirst())
        var query: [String: String] = [:]
        if dryRun { query["dry_run"] = "true" }
        if !mappings.isEmpty { query["map"] = mappings.map { $0.replacingOccurrences(of: "=", with: ":") }.joined(separator: ",") }

        var report = FileCommandReport(dryRun: dryRun)
        let progress = ProgressBar(total: rows.count)
        progress.draw(0)
        for start in stride(from: 0, to: rows.count, by: batchSize) {
            let batch = rows[start..<min(start + batchSize, rows.count)]
            query["first_line"] = String(batch.first?.line ?? 0)
            let result = instance.callAsOperator(
                method: route.method, path: route.path, route: route, query: query, body: Array(header.bytes) + batch.flatMap(\.bytes))
            let status = Int(result.json["status"]?.doubleValue ?? 0)
            if result.ok, (200..<300).contains(status), let answer = result.json["json"], answer.objectValue != nil {
                report.add(answer, rows: batch.count)
            } else {
                let reason = result.ok ? (result.json["json"]?["detail"] ?? result.json["json"]?["error"] ?? result.json["body"])?.stringValue ?? "status \(status)"
                    : result.errorMessage
                report.fail(lines: batch.map(\.line), reason: "batch not written: \(reason)")
            }
            progress.draw(start + batch.count)
        }
        print(report.text)
        if report.failedRows > 0 { throw ExitCode(1) }
    }
}

/// The totals of a file command's batch answers.
struct FileCommandReport {
    let dryRun: Bool
    var rows = 0
    var counters: [String: Double] = [:]
    var errors: [(line: Int, field: String, reason: String)] = []

    var failedRows: Int { Set(errors.map(\.line)).count }

    mutating func add(_ answer: JSON, rows sent: Int) {
        rows += answer["rows"]?.doubleValue.map { Int($0) } ?? sent
        for (key, value) in answer.objectValue ?? [:] where key != "rows" {
            if let number = value.doubleValue { counters[key, default: 0] += number }
        }
        for error in answer["errors"]?.arrayValue ?? [] {
            errors.append((Int(error["line"]?.doubleValue ?? 0), error["field"]?.stringValue ?? "", error["reason"]?.stringValue ?? ""))
        }
    }

    mutating func fail(lines: [Int], reason: String) {
        rows += lines.count
        errors += lines.map { ($0, "", reason) }
    }

    /// One `line N: field: reason` line per error, then the totals as one JSON object.
    var text: String {
        var summary: [String: JSON] = counters.mapValues(JSON.number)
        summary["rows"] = .number(Double(rows))
        summary["failed_rows"] = .number(Double(failedRows))
        summary["dry_run"] = .bool(dryRun)
        let lines = errors.sorted { $0.line < $1.line }.map { "line \($0.line): \($0.field.isEmpty ? "" : "\($0.field): ")\($0.reason)" }
        return (lines + [(try? JSON.object(summary).serialized()) ?? "{}"]).joined(separator: "\n")
    }
}
