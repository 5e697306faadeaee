import Foundation
import PluginAPI

/// Lead upserts, activities and handovers posted to the configured CRM webhook (`crm.url`), each as a
/// plugin job so a failure is retried with backoff and ends in the dead-letter list. With `crm.secret`
/// the body is signed: `X-Signature: sha256=<hex>`, the scheme of the MrDJCRM intake.
extension LeadQualifierPlugin {
    func sendToCRM(_ type: String, _ data: JSON) throws {
        guard config.crmURL != nil else { return }
        try host.scheduleJob(kind: JobKind.crm, runAt: host.now, payload: ["type": .string(type), "data": data, "at": .number(Double(nowMillis))])
    }

    func runCRMJob(_ job: Job) throws {
        guard let url = config.crmURL else { return }
        let body = try JSON.object([
            "type": job.payload["type"] ?? .null, "source": "leadqualifier", "event_id": .string(job.id),
            "occurred_at": job.payload["at"] ?? .null, "data": job.payload["data"] ?? .null,
        ]).serialized()
        var headers: [String: JSON] = ["Content-Type": "application/json", "Idempotency-Key": .string(job.id)]
        if let secret = config.crmSecret {
            headers["X-Signature"] = .string("sha256=" + HMAC.hex(HMAC.sha256(key: Array(secret.utf8), data: Array(body.utf8))))
        }
        let reply = try host.httpRequest(["method": "POST", "url": .string(url), "headers": .object(headers), "body": .string(body), "timeout_ms": .number(Double(config.crmTimeoutMillis))])
        let status = Int(reply["status"]?.doubleValue ?? 0)
        guard (200..<300).contains(status) else {
            throw PluginError(.retry, code: "crm_failed", message: "the CRM answered \(status)")
        }
    }
}
