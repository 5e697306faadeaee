import Foundation
import SwitchboardJSON

/// Downloads an inbound message's files into the tenant's `MediaStore` before plugins see the message:
/// WhatsApp media by id (`GET {api_base}/{media-id}` gives a `url`, fetched with the same access token) and
/// Outlook attachments (`GET /users/{mailbox}/messages/{id}/attachments`). Their metadata is written into
/// the message's details as `attachments`, once: a retried dispatch finds it there and fetches nothing.
/// An unavailable provider is retried with the dispatch; a refused or oversized file keeps its metadata with an `error`.
struct MediaFetcher {
    let services: HostServices

    /// `details` with `attachments` added, stored on the message; unchanged when there is nothing to fetch.
    func attach(messageID: String, channel: String, details: JSON, tenant: Tenant) async throws -> JSON {
        guard details["attachments"] == nil else { return details }
        let attachments: [JSON]
        if channel == "whatsapp", let media = details["media"], let id = media["id"]?.stringValue, let config = tenant.manifest.channels["whatsapp"] {
            attachments = [try await whatsApp(id: id, media: media, config: config, tenantID: tenant.slug)]
        } else if channel == "email", details["has_attachments"]?.boolValue == true, let id = details["reply_id"]?.stringValue,
            let config = tenant.manifest.channels["outlook"]
        {
            attachments = try await outlook(messageID: id, config: config, tenantID: tenant.slug)
        } else {
            return details
        }
        var updated = details.objectValue ?? [:]
        updated["attachments"] = .array(attachments)
        let stored = JSON.object(updated)
        let text = try stored.serialized()
        try await services.database.perform {
            try services.database.transaction { connection in
                try connection.execute(
                    "UPDATE messages SET variables = $3, updated_at = $4 WHERE tenant_id = $1 AND id = $2",
                    [.text(tenant.slug), .text(messageID), .text(text), .integer(Clock.nowMillis())])
            }
        }
        return stored
    }

    private func whatsApp(id: String, media: JSON, config: ChannelConfig, tenantID: String) async throws -> JSON {
        let headers = ["Authorization": "Bearer \(try config.secret("access_token"))"]
        let name = media["filename"]?.stringValue ?? id
        let lookup = try await services.http.providerCall(.init(url: "\(config["api_base"] ?? WhatsAppSender.defaultBase)/\(FormEncoding.escape(id))", headers: headers))
        let info = (try? JSON.parse(bytes: lookup.body)) ?? .null
        let mimeType = info["mime_type"]?.stringValue ?? media["mime_type"]?.stringValue ?? "application/octet-stream"
        guard lookup.status < 400, let url = info["url"]?.stringValue else { return Self.failed(name, mimeType, "unavailable") }
        if let size = info["file_size"]?.doubleValue, Int(size) > MediaStore.maxBytes { return Self.failed(name, mimeType, "too_large", size: Int(size)) }
        let download = try await services.http.providerCall(.init(url: url, headers: headers))
        guard download.status < 400 else { return Self.failed(name, mimeType, "unavailable") }
        return try store(tenantID: tenantID, name: name, mimeType: mimeType, bytes: download.body)
    }

    private func outlook(messageID: String, config: ChannelConfig, tenantID: String) async throws -> [JSON] {
        let graph = GraphAPI(config: config, http: services.http)
        let response = try await graph.call("GET", "/users/\(graph.mailbox)/messages/\(GraphAPI.segment(messageID))/attachments")
        guard response.status < 400 else { return [Self.failed("attachments", "", "unavailable")] }
        return try ((try? JSON.parse(bytes: response.body))?["value"]?.arrayValue ?? []).map { item in
            let name = item["name"]?.stringValue ?? "attachment", mimeType = item["contentType"]?.stringValue ?? "application/octet-stream"
            guard item["@odata.type"]?.stringValue == "#microsoft.graph.fileAttachment" else { return Self.failed(name, mimeType, "not_a_file") }
            let size = Int(item["size"]?.doubleValue ?? 0)
            guard size <= MediaStore.maxBytes else { return Self.failed(name, mimeType, "too_large", size: size) }
            guard let bytes = item["contentBytes"]?.stringValue.flatMap({ Data(base64Encoded: $0) }) else { return Self.failed(name, mimeType, "unavailable") }
            return try store(tenantID: tenantID, name: name, mimeType: mimeType, bytes: Array(bytes))
        }
    }

    private func store(tenantID: String, name: String, mimeType: String, bytes: [UInt8]) throws -> JSON {
        guard let media = services.media else { return Self.failed(name, mimeType, "no_file_storage", size: bytes.count) }
        do {
            return try JSON(encoding: try media.store(tenantID: tenantID, name: name, mimeType: mimeType, bytes: bytes))
        } catch is MediaStore.TooLarge {
            return Self.failed(name, mimeType, "too_large", size: bytes.count)
        }
    }

    /// The metadata of a file that was not stored, with the reason.
    private static func failed(_ name: String, _ mimeType: String, _ error: String, size: Int? = nil) -> JSON {
        ["name": .string(name), "mime_type": .string(mimeType), "size": size.map { .number(Double($0)) } ?? .null, "error": .string(error)]
    }
}
