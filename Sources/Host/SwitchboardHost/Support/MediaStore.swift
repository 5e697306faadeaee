import Foundation
import SwitchboardJSON

/// Tenant-scoped file storage on local disk for inbound media: `<root>/<tenant>/media/<yyyy>/<uuid>-<name>`.
/// The stored name is sanitised to letters, digits, `.`, `-` and `_`, so no name a sender chooses can
/// leave the tenant's folder; the path in the metadata is relative to that folder.
public struct MediaStore: Sendable {
    /// The largest file stored; bigger ones keep their metadata with `error: too_large`.
    public static let maxBytes = 16 << 20

    public let root: String

    public init(root: String) { self.root = root }

    /// What a message's `attachments` hold for one stored file.
    public struct StoredFile: Codable, Sendable, Equatable {
        public let name: String
        public let mimeType: String
        public let size: Int
        public let sha256: String
        /// Relative to the tenant's folder: `media/2026/<uuid>-invoice.pdf`.
        public let path: String

        enum CodingKeys: String, CodingKey { case name, size, sha256, path, mimeType = "mime_type" }
    }

    public struct TooLarge: Error {}

    /// Writes `bytes` for the tenant and returns the metadata; `name` is the sender's file name.
    public func store(tenantID: String, name: String, mimeType: String, bytes: [UInt8], now: Int64 = Clock.nowMillis()) throws -> StoredFile {
        guard bytes.count <= Self.maxBytes else { throw TooLarge() }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let year = calendar.component(.year, from: Date(timeIntervalSince1970: Double(now) / 1000))
        let relative = "media/\(year)/\(UUID().uuidString.lowercased())-\(Self.sanitised(name))"
        let file = try folder(tenantID).appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file, options: .withoutOverwriting)
        return StoredFile(name: name, mimeType: mimeType, size: bytes.count, sha256: Crypto.sha256Hex(bytes), path: relative)
    }

    /// The stored file at `path` (relative to the tenant's folder, as in the metadata), or nil when there is
    /// no such regular file or the path, symbolic links resolved, leads outside the tenant's `media` folder.
    public func file(tenantID: String, path: String) throws -> URL? {
        let media = try folder(tenantID).appendingPathComponent("media").resolvingSymlinksInPath().standardizedFileURL
        guard !path.hasPrefix("/") else { return nil }
        let target = try folder(tenantID).appendingPathComponent(path).resolvingSymlinksInPath().standardizedFileURL
        guard target.path.hasPrefix(media.path + "/"),
            (try? FileManager.default.attributesOfItem(atPath: target.path)[.type]) as? FileAttributeType == .typeRegular
        else { return nil }
        return target
    }

    /// A tenant id that is not a plain slug.
    public struct OutsideTenant: Error {}

    /// `<root>/<tenant>`; a tenant id is a slug, anything else is refused.
    private func folder(_ tenantID: String) throws -> URL {
        guard !tenantID.isEmpty, tenantID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw OutsideTenant()
        }
        return URL(fileURLWithPath: root).appendingPathComponent(tenantID)
    }

    /// A file name safe on disk: other characters become `_`, leading dots go, at most 100 characters.
    static func sanitised(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let safe = String(last.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        let trimmed = String(safe.drop { $0 == "." }.suffix(100))
        return trimmed.isEmpty ? "file" : trimmed
    }
}
