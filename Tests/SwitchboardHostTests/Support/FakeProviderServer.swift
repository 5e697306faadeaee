import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Runs blocking work (a libcurl call to a fake provider) off Swift's cooperative threads, which the
/// fake provider's own handlers need: blocking them all would starve the server the test talks to.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}

/// A provider's API played on 127.0.0.1 for a test: a real HTTP server on a free port that
/// answers with the provider's wire format and records every request it received.
final class FakeProviderServer: Sendable {
    struct Recorded: Sendable {
        let method: String
        let path: String
        let headers: [String: String]
        let body: String
    }

    let port: Int
    private let recorder: Recorder
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [Recorded] { recorder.all }

    /// Starts a server whose routes `configure` adds; every request is recorded before it is answered.
    static func start(_ configure: @Sendable (Router<BasicRequestContext>) -> Void) async throws -> FakeProviderServer {
        let recorder = Recorder()
        let router = Router()
        router.add(middleware: RecordingMiddleware(recorder: recorder))
        configure(router)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "fake-provider")
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        let task = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw FakeServerError() }
        return FakeProviderServer(port: port, recorder: recorder, group: group, task: task)
    }

    private init(port: Int, recorder: Recorder, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
        self.recorder = recorder
    }

    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    struct FakeServerError: Error {}

    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Recorded] = []
        func append(_ item: Recorded) { lock.withLock { items.append(item) } }
        var all: [Recorded] { lock.withLock { items } }
    }

    struct RecordingMiddleware: RouterMiddleware {
        typealias Context = BasicRequestContext
        let recorder: Recorder
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            recorder.append(Recorded(method: request.method.rawValue, path: request.uri.description, headers: headers, body: String(buffer: body)))
            return try await next(request, context)
        }
    }
}
