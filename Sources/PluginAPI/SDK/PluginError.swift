import CPluginABI

/// An error a plugin or the host reports across the ABI: a status plus a JSON body `{code, message}`.
public struct PluginError: Error, Codable, Sendable, CustomStringConvertible {
    /// The ABI status this error travels as.
    public enum Status: Int32, Codable, Sendable {
        case error = 1, notFound = 2, unsupported = 3, denied = 4, badArgument = 5, retry = 6
    }

    public var status: Status
    public var code: String
    public var message: String

    public init(_ status: Status, code: String, message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    public static func badArgument(_ message: String) -> PluginError {
        PluginError(.badArgument, code: "bad_argument", message: message)
    }

    public static func notFound(_ message: String) -> PluginError {
        PluginError(.notFound, code: "not_found", message: message)
    }

    public static func unsupported(_ message: String) -> PluginError {
        PluginError(.unsupported, code: "unsupported", message: message)
    }

    enum CodingKeys: String, CodingKey { case code, message }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.status = .error
        self.code = try container.decodeIfPresent(String.self, forKey: .code) ?? "error"
        self.message = try container.decodeIfPresent(String.self, forKey: .message) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(message, forKey: .message)
    }
}
