import Foundation
import Logging

// `make bench`: every figure as a table, each against its target with ✓ or ✗, and all of them in
// bench/results.json. Run on the release build; the comparisons are ratios measured in this one run.
var logger = Logger(label: "bench")
logger.logLevel = .critical
let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
let repository = FileManager.default.currentDirectoryPath
let work = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }

var results: [BenchResult] = [
    BenchResult("machine: cores", Double(ProcessInfo.processInfo.activeProcessorCount), "cores"),
    BenchResult("machine: load average (1 min) at the start", MachineLoad.oneMinute(), ""),
]
print("==> plugin call overhead")
results += try ABIBench.run(pluginsDirectory: binDirectory, logger: logger)
print("==> scheduler throughput")
results += try await SchedulerBench.run(logger: logger, directory: work)
print("==> scheduler firing lag with 1,000,000 pending jobs")
results += try await SchedulerLagBench.run(logger: logger, directory: work)
print("==> suggest_slots")
results += try SuggestSlotsBench.run(executable: ProcessInfo.processInfo.environment["SWITCHBOARD_BENCH_TUTORBOT"])
let binary = binDirectory + "/switchboard"
print("==> start-up and memory")
results += try StartupBench.run(binary: binary, pluginsDirectory: binDirectory, demoTenants: repository + "/tenants", directory: work)
print("==> webhook path under load (wrk)")
results += try WebhookBench.run(
    binary: binary, pluginsDirectory: binDirectory, directory: work,
    store: .init(label: "SQLite", url: "sqlite://\(work.appendingPathComponent("webhook.sqlite").path)"), port: 18183)
// scripts/with-postgres.sh (which `make bench` runs this under) exports the throwaway server's URL.
if let postgres = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"], !postgres.isEmpty {
    results += try WebhookBench.run(
        binary: binary, pluginsDirectory: binDirectory, directory: work, store: .init(label: "PostgreSQL", url: postgres), port: 18184)
} else {
    results.append(BenchResult("webhook (PostgreSQL): not run, no SWITCHBOARD_TEST_POSTGRES_URL (use scripts/with-postgres.sh)", 0, "", target: "runs", met: false))
}
print("==> one host, \(ManyTenantsBench.tenantCount) generated tenants")
results += try ManyTenantsBench.run(
    binary: binary, pluginsDirectory: binDirectory, directory: work,
    store: .init(label: "SQLite", url: "sqlite://\(work.appendingPathComponent("many.sqlite").path)"), port: 18185)
if let postgres = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"], !postgres.isEmpty {
    // A schema of its own, so the webhook runs' tenant and messages stay out of these figures.
    results += try ManyTenantsBench.run(
        binary: binary, pluginsDirectory: binDirectory, directory: work,
        store: .init(label: "PostgreSQL", url: try PostgresSchema.create("many_tenants", in: postgres)), port: 18186)
}
results.append(BenchResult("machine: load average (1 min) at the end", MachineLoad.oneMinute(), ""))

print("")
print(BenchResult.table(results))
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try FileManager.default.createDirectory(atPath: repository + "/bench", withIntermediateDirectories: true)
try encoder.encode(results).write(to: URL(fileURLWithPath: repository + "/bench/results.json"))
print("\nwritten to bench/results.json")
