import Foundation
import HTTPTypes
import Hummingbird
import SwitchboardJSON

/// `GET /api/v1/messages/{id}/attachments/{index}`: a message's stored file (the `index`-th of its
/// `attachments`), streamed from the tenant's media folder with its MIME type and file name.
struct AttachmentRoutes {
    private struct Download: Sendable {
        let path: String
        let name: String
        let mimeType: String
    }

    func register(_ api: APIRoutes) {
        api.add(.get, "/api/v1/messages/{id}/attachments/{index}", "Download a stored attachment of a message, by its position in the attachments",
                tag: "messages", permission: "conversations:read", response: OpenAPIDocument.fileResponse) { _, context in
            let id = try context.parameter("id"), position = try context.parameter("index")
            let download = try await context.perform { tenant -> Download? in
                guard let index = Int(position), index >= 0,
                    let attachments = try tenant.services.conversations.attachments(tenantID: tenant.slug, messageID: id), index < attachments.count,
                    let path = attachments[index]["path"]?.stringValue,
                    let file = try tenant.services.media?.file(tenantID: tenant.slug, path: path)
                else { return nil }
                let attachment = attachments[index]
                return Download(path: file.path, name: attachment["name"]?.stringValue ?? file.lastPathComponent,
                                mimeType: attachment["mime_type"]?.stringValue ?? "")
            }
            guard let download else { throw Problem.notFound("Attachment \(position) of message \(id)") }
            let body = try await FileIO().loadFile(path: download.path, context: context)
            return Response(status: .ok, headers: [
                .contentType: Self.safeMimeType(download.mimeType),
                .contentDisposition: Self.disposition(download.name),
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            ], body: body)
        }
    }

    /// The stored MIME type when it is a plain `type/subtype`, else `application/octet-stream`.
    static func safeMimeType(_ mimeType: String) -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$&-^_.+"))
        let parts = mimeType.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy { $0.isASCII && allowed.contains($0) } }) else {
            return "application/octet-stream"
        }
        return mimeType
    }

    /// `attachment` with an ASCII `filename` and the exact name as `filename*` (RFC 6266).
    static func disposition(_ name: String) -> String {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
        return "attachment; filename=\"\(MediaStore.sanitised(name))\"; filename*=UTF-8''\(encoded)"
    }
}
