import Foundation
import Logging

// `make bench`: every figure as a table, each against its target with ✓ or ✗, and all of them in
// bench/results.json. Run on the release build; the comparisons are ratios measured in this one run.
// Arguments name the sections to run (abi, scheduler, slots, startup, webhook, tenants, fairness); none runs all.
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
let sections = Set(CommandLine.arguments.dropFirst())
func runs(_ section: String) -> Bool { sections.isEmpty || sections.contains(section) }
if runs("abi") {
    print("==> plugin call overhead")
    results += try ABIBench.run(pluginsDirectory: binDirectory, logger: logger)
}
if runs("scheduler") {
    print("==> scheduler throughput")
    results += try await SchedulerBench.run(logger: logger, directory: work)
    print("==> scheduler firing lag with 1,000,000 pending jobs")
    results += try await SchedulerLagBench.run(logger: logger, directory: work)
}
if runs("slots") {
    print("==> suggest_slots")
    results += try SuggestSlotsBench.run(executable: ProcessInfo.processInfo.environment["SWITCHBOARD_BENCH_TUTORBOT"])
}
let binary = binDirectory + "/switchboard"
if runs("startup") {
    print("==> start-up and memory")
    results += try StartupBench.run(binary: binary, pluginsDirectory: binDirectory, demoTenants: repository + "/tenants", directory: work)
}
// scripts/with-postgres.sh (which `make bench` runs this under) exports the throwaway server's URL.
let postgres = ProcessInfo.processInfo.environment["SWITCHBOARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
func sqlite(_ file: String) -> WebhookBench.Store { .init(label: "SQLite", url: "sqlite://\(work.appendingPathComponent(file).path)") }
if runs("webhook") {
    print("==> webhook path under load (wrk)")
    for (store, port) in [(sqlite("webhook.sqlite"), 18183)] + (postgres.map { [(WebhookBench.Store(label: "PostgreSQL", url: $0), 18184)] } ?? []) {
        results += try WebhookBench.run(binary: binary, pluginsDirectory: binDirectory, directory: work, store: store, port: port)
    }
    if postgres == nil {
        results.append(BenchResult("webhook (PostgreSQL): not run, no SWITCHBOARD_TEST_POSTGRES_URL (use scripts/with-postgres.sh)", 0, "", target: "runs", met: false))
    }
}
if runs("tenants") {
    print("==> one host, \(ManyTenantsBench.tenantCount) generated tenants")
    // On PostgreSQL in a schema of its own, so the webhook runs' tenant and messages stay out of these figures.
    let manyTenantStores = [(sqlite("many.sqlite"), 18185)]
        + (try postgres.map { [(WebhookBench.Store(label: "PostgreSQL", url: try PostgresSchema.create("many_tenants", in: $0)), 18186)] } ?? [])
    for (store, port) in manyTenantStores {
        results += try ManyTenantsBench.run(binary: binary, pluginsDirectory: binDirectory, directory: work, store: store, port: port)
    }
}
if runs("fairness") {
    print("==> fairness: one tenant's plugin stalls, another's webhooks are measured")
    results += try FairnessBench.run(binary: binary, repository: repository, directory: work, port: 18187)
}
results.append(BenchResult("machine: load average (1 min) at the end", MachineLoad.oneMinute(), ""))

print("")
print(BenchResult.table(results))
let encoder = JSONEncoder()
encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
try FileManager.default.createDirectory(atPath: repository + "/bench", withIntermediateDirectories: true)
try encoder.encode(results).write(to: URL(fileURLWithPath: repository + "/bench/results.json"))
print("\nwritten to bench/results.json")
