import Foundation
import Synchronization

/// Where `env:VARIABLE` references are looked up: the process environment, plus values set at run time
/// with `set(_:_:)` (by an embedding program or a test). Setting them here instead of with `setenv`
/// avoids mutating the C environment while other threads read it.
public enum SecretEnvironment {
    private static let overlay = Mutex<[String: String]>([:])

    /// Makes `name` resolve to `value` from now on.
    public static func set(_ name: String, _ value: String) {
        overlay.withLock { $0[name] = value }
    }

    /// The process environment with the values set here on top.
    public static var current: [String: String] {
        let added = overlay.withLock { $0 }
        return ProcessInfo.processInfo.environment.merging(added) { _, set in set }
    }
}
