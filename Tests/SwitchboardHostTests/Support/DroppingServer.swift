import NIOCore
import NIOPosix
import Synchronization

/// A provider that drops every connection: it accepts, reads the first bytes of the request and closes
/// without an answer, the way a crashing proxy or a reset load balancer looks to the client.
final class DroppingServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let counter: Counter

    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Connections dropped so far.
    var dropped: Int { counter.value.withLock { $0 } }

    /// Runs `body` against a dropping server on a free port, then closes it.
    static func run<T>(_ body: (DroppingServer) async throws -> T) async throws -> T {
        let counter = Counter()
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in channel.pipeline.addHandler(CloseOnRead(counter: counter)) }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = DroppingServer(port: channel.localAddress?.port ?? 0, channel: channel, counter: counter)
        defer { channel.close(promise: nil) }
        return try await body(server)
    }

    private init(port: Int, channel: any Channel, counter: Counter) {
        self.port = port
        self.channel = channel
        self.counter = counter
    }

    private final class Counter: Sendable {
        let value = Mutex(0)
    }

    private final class CloseOnRead: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let counter: Counter
        init(counter: Counter) { self.counter = counter }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            counter.value.withLock { $0 += 1 }
            context.close(promise: nil)
        }
    }
}
