import ArgumentParser

/// `switchboard plugin-worker`: the process an `isolation: process` plugin runs in. The host starts it; it is
/// not for people to run.
struct PluginWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugin-worker", abstract: "Run one plugin instance for the host (internal).", shouldDisplay: false)

    @Option(help: "The plugin library to load.") var library: String
    @Option(help: "The descriptor of the socket to the host.") var fd: Int32 = WorkerProcess.workerDescriptor

    func run() throws {
        PluginWorker.run(library: library, descriptor: fd)
    }
}
