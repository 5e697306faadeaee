import ArgumentParser

struct MigrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Apply the database migrations that are not applied yet.")

    @OptionGroup var options: HostOptions

    func run() throws {
        let configuration = try options.configuration()
        print("migrating \(configuration.database)")
        let database = try configuration.database.open(poolSize: configuration.databasePoolSize) { print("  \($0)") }
        let versions = try database.read { try $0.query("SELECT version FROM schema_migrations ORDER BY version") }
        print("schema is at version \(versions.last?.int("version") ?? 0)")
    }
}
