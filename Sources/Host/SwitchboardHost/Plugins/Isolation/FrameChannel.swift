import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One end of the Unix socket between the host and a plugin worker.
///
/// A frame is a 4-byte big-endian length, then its fields, each a 4-byte big-endian length and its bytes.
/// The first field names the operation (`create`, `call`, `destroy`, `host`, `reply`, `result`); the others
/// are its arguments: plain JSON bytes, as on the C ABI, or a decimal status.
final class FrameChannel: @unchecked Sendable {
    let descriptor: Int32
    /// The largest frame either side accepts.
    static let maxFrameBytes = 64 << 20

    enum Failure: Error, CustomStringConvertible {
        case closed
        case timedOut
        case malformed(String)

        var description: String {
            switch self {
            case .closed: "the worker closed the connection"
            case .timedOut: "the worker did not answer in time"
            case .malformed(let reason): "malformed frame: \(reason)"
            }
        }
    }

    init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    func send(_ fields: [[UInt8]]) throws(Failure) {
        var frame: [UInt8] = []
        frame.reserveCapacity(4 + fields.reduce(0) { $0 + 4 + $1.count })
        Self.appendLength(fields.reduce(0) { $0 + 4 + $1.count }, to: &frame)
        for field in fields {
            Self.appendLength(field.count, to: &frame)
            frame += field
        }
        var sent = 0
        while sent < frame.count {
            let count = frame[sent...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw .closed }
            sent += count
        }
    }

    /// Reads one frame, waiting at most `timeout` (forever when `nil`).
    func receive(timeout: Duration? = nil) throws(Failure) -> [[UInt8]] {
        let deadline = timeout.map { ContinuousClock.now + $0 }
        let header = try read(4, deadline: deadline)
        let length = Self.length(header[...])
        guard length <= Self.maxFrameBytes else { throw .malformed("\(length) bytes is over the limit") }
        let body = try read(length, deadline: deadline)
        var fields: [[UInt8]] = []
        var offset = 0
        while offset < body.count {
            guard offset + 4 <= body.count else { throw .malformed("a field length is cut short") }
            let size = Self.length(body[offset..<offset + 4])
            offset += 4
            guard size <= body.count - offset else { throw .malformed("a field runs past the frame") }
            fields.append(Array(body[offset..<offset + size]))
            offset += size
        }
        guard !fields.isEmpty else { throw .malformed("a frame without an operation") }
        return fields
    }

    private func read(_ count: Int, deadline: ContinuousClock.Instant?) throws(Failure) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            try wait(until: deadline)
            let got = bytes[filled...].withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if got < 0 && (errno == EINTR || errno == EAGAIN) { continue }
            guard got > 0 else { throw .closed }
            filled += got
        }
        return bytes
    }

    /// Blocks until the socket is readable, or throws `.timedOut` at the deadline.
    private func wait(until deadline: ContinuousClock.Instant?) throws(Failure) {
        guard let deadline else { return }
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .timedOut }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(left.inMilliseconds + 1, Int64(Int32.max))))
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw .closed }
        }
    }

    private static func appendLength(_ length: Int, to bytes: inout [UInt8]) {
        let value = UInt32(length)
        bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }

    private static func length(_ bytes: ArraySlice<UInt8>) -> Int {
        bytes.reduce(0) { $0 << 8 | Int($1) }
    }
}

extension [UInt8] {
    /// A status or number as the decimal text a frame carries.
    init(decimal value: some BinaryInteger) { self = Array(String(value).utf8) }

    /// The decimal number this field carries, or `nil`.
    var decimal: Int64? { Int64(String(decoding: self, as: UTF8.self)) }
}
