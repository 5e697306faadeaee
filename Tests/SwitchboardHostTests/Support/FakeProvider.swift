import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import SwitchboardJSON

@testable import SwitchboardHost

/// One request a fake provider received.
struct RecordedRequest: Sendable {
    let method: String
    let path: String
    let query: String
    /// Header names in lowercase.
    let headers: [String: String]
    let body: [UInt8]

    var json: JSON { (try? JSON.parse(bytes: body)) ?? .null }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// A fake provider API on 127.0.0.1: a Hummingbird application on a free port that answers through the
/// routes a test gives it, in the provider's wire format, and records every request it gets.
final class FakeProvider: Sendable {
    let port: Int
    private let log: RequestLog

    var baseURL: String { "http://127.0.0.1:\(port)" }
    var requests: [RecordedRequest] { log.entries.withLock { $0 } }

    /// The requests with this method whose path starts with `prefix`.
    func requests(_ method: String, _ prefix: String) -> [RecordedRequest] {
        requests.filter { $0.method == method && $0.path.hasPrefix(prefix) }
    }

    private init(port: Int, log: RequestLog) {
        self.port = port
        self.log = log
    }

    /// Runs `body` against a fake provider serving `routes`, then shuts the server down gracefully.
    static func run<T>(
        routes: (Router<BasicRequestContext>) -> Void, _ body: (FakeProvider) async throws -> T
    ) async throws -> T {
        let log = RequestLog()
        let router = Router()
        router.add(middleware: Recorder(log: log))
        routes(router)
        let (ports, found) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "fake-provider"),
            onServerRunning: { channel in
                found.yield(channel.localAddress?.port ?? 0)
                found.finish()
            },
            logger: TestEnvironment.logger)
        let group = ServiceGroup(services: [app], logger: TestEnvironment.logger)
        let server = Task { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        let provider = FakeProvider(port: await iterator.next() ?? 0, log: log)
        do {
            let result = try await body(provider)
            await group.triggerGracefulShutdown()
            try await server.value
            return result
        } catch {
            await group.triggerGracefulShutdown()
            _ = try? await server.value
            throw error
        }
    }

    /// The requests received so far.
    private final class RequestLog: Sendable {
        let entries = Mutex<[RecordedRequest]>([])
    }

    /// Records each request, body included, before the routes answer it.
    private struct Recorder: RouterMiddleware {
        typealias Context = BasicRequestContext
        let log: RequestLog

        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            let recorded = RecordedRequest(
                method: request.method.rawValue, path: request.uri.path, query: request.uri.query ?? "", headers: headers,
                body: Array(body.readableBytesView))
            log.entries.withLock { $0.append(recorded) }
            return try await next(request, context)
        }
    }
}

/// A JSON answer from a fake provider.
func fakeJSON(_ value: JSON, status: HTTPResponse.Status = .ok) throws -> Response {
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try value.serializedBytes())))
}

/// Sets an environment variable with a name no other test uses, for an `env:` secret; returns the name.
func uniqueSecret(_ value: String) -> String {
    let name = "SB_TEST_" + UUID().uuidString.replacingOccurrences(of: "-", with: "_")
    SecretEnvironment.set(name, value)
    return name
}

/// Runs blocking work (a libcurl call) on a thread pool thread. The fake providers' handlers run on the
/// cooperative pool, so a call blocking that pool while it waits for them could starve them.
func offloaded<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
}
