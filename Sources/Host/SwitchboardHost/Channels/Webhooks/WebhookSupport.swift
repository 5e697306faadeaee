import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import SwitchboardJSON

/// What every webhook adapter shares: the raw body, the tenant, signature failures and the commit.
struct WebhookSupport: Sendable {
    let registry: TenantRegistry

    var services: HostServices { registry.services }

    /// The raw request body, read before anything parses it (signatures cover the raw bytes).
    static func rawBody(_ request: Request, _ context: AppRequestContext) async throws -> [UInt8] {
        var request = request
        return Array(try await request.collectBody(upTo: context.maxUploadSize).readableBytesView)
    }

    /// The running tenants that enable a channel kind: the one the Host header chose, or, on the
    /// platform's shared webhook URL, every tenant with that channel.
    func candidates(_ context: AppRequestContext, kind: String) -> [Tenant] {
        if let tenant = context.tenant { return tenant.manifest.channels[kind] != nil ? [tenant] : [] }
        return registry.active.filter { $0.manifest.channels[kind] != nil }
    }

    /// The candidates whose channel secret signed `body` as `sha256=<hex HMAC-SHA256>` in `header`.
    /// A missing header or no match is a 401, audited for every candidate.
    func tenantsSigningSHA256(
        _ body: [UInt8], header: String?, kind: String, secretKey: String, candidates: [Tenant], context: AppRequestContext
    ) throws -> [Tenant] {
        guard let header, header.hasPrefix("sha256=") else { throw rejectSignature(kind, tenants: candidates, context: context) }
        let given = Array(header.dropFirst("sha256=".count).lowercased().utf8)
        let signed = try candidates.filter { tenant in
            let secret = try Self.secret(tenant.manifest.channels[kind]!, secretKey)
            return Crypto.constantTimeEqual(Array(Crypto.hex(Crypto.hmacSHA256(key: Array(secret.utf8), data: body)).utf8), given)
        }
        guard !signed.isEmpty else { throw rejectSignature(kind, tenants: candidates, context: context) }
        return signed
    }

    /// Audits a forged or missing signature and answers 401.
    func rejectSignature(_ kind: String, tenants: [Tenant], context: AppRequestContext) -> Problem {
        for tenant in tenants {
            try? services.audit.record(
                tenantID: tenant.slug, actor: "webhook:\(kind)", action: "webhook_signature_invalid", subject: kind,
                details: ["request_id": .string(context.id), "peer": .string(context.remoteAddress?.ipAddress ?? "")])
        }
        context.logger.warning("webhook signature invalid", metadata: ["channel": "\(kind)"])
        return Problem(status: .unauthorized, title: "Invalid signature", detail: "The \(kind) webhook signature does not match.")
    }

    /// Commits inbound messages and receipts for a tenant, all or nothing; only after this returns may the
    /// webhook answer 2xx. Webhooks arriving together share one commit (`Database.sharedTransaction`).
    /// Messages are committed, and so numbered and delivered, in the order their senders sent them, and receipts
    /// in the order the provider stamped them; the outcomes come back in the order `messages` listed them.
    func commit(_ messages: [InboundMessage], _ receipts: [DeliveryStatus], tenant: Tenant) async throws -> [InboundProcessor.Outcome] {
        let processor = InboundProcessor(services: services)
        let now = Clock.nowMillis()
        let ordered = InboundMessage.inProviderOrder(Array(messages.enumerated()))
        let stamped = receipts.enumerated().sorted { ($0.element.timestamp ?? 0, $0.offset) < ($1.element.timestamp ?? 0, $1.offset) }.map(\.element)
        return try await tenant.database.sharedTransaction { connection in
            var outcomes = [InboundProcessor.Outcome?](repeating: nil, count: messages.count)
            for (index, message) in ordered { outcomes[index] = try processor.ingest(message, tenant: tenant, now: now, in: connection) }
            for receipt in stamped { try processor.apply(receipt, tenant: tenant, in: connection) }
            return outcomes.compactMap { $0 }
        }
    }

    /// Opens the contact and conversation of a thread that has no message yet.
    func open(_ message: InboundMessage, tenant: Tenant) async throws -> InboundProcessor.Outcome {
        let processor = InboundProcessor(services: services)
        return try await tenant.database.perform { try processor.open(message, tenant: tenant) }
    }

    static func text(_ body: String, status: HTTPResponse.Status = .ok, contentType: String = "text/plain; charset=utf-8") -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// A configured secret, or a 503: the provider should retry once the operator sets it.
    static func secret(_ config: ChannelConfig, _ key: String) throws -> String {
        do {
            return try config.secret(key)
        } catch {
            throw Problem(status: .serviceUnavailable, title: "Channel not configured", detail: "\(error)")
        }
    }
}
