import Foundation
import SwitchboardJSON

/// Twilio's Messages API: `POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json`, form-encoded, basic auth.
struct TwilioSender: ChannelSender {
    static let defaultBase = "https://api.twilio.com"
    /// "whatsapp" prefixes both numbers with `whatsapp:`; "sms" sends them as they are.
    let medium: String

    func deliver(_ envelope: OutboundEnvelope, config: ChannelConfig, http: HTTPClient) async throws -> String {
        let sid = config["account_sid"] ?? ""
        let token = try config.secret("auth_token")
        let base = config["api_base"] ?? Self.defaultBase
        let prefix = medium == "whatsapp" ? "whatsapp:" : ""
        var from = config["from"] ?? ""
        if medium == "whatsapp", !from.hasPrefix("whatsapp:") { from = prefix + from }
        let form = FormEncoding.encode([("To", prefix + envelope.to), ("From", from), ("Body", envelope.renderedText)])
        let credentials = Data("\(sid):\(token)".utf8).base64EncodedString()
        let response = try await http.providerCall(.init(
            method: "POST", url: "\(base)/2010-04-01/Accounts/\(sid)/Messages.json",
            headers: ["Authorization": "Basic \(credentials)", "Content-Type": "application/x-www-form-urlencoded"],
            body: Array(form.utf8)))
        let reply = (try? JSON.parse(bytes: response.body)) ?? .null
        guard response.status < 400 else {
            let code = reply["code"].map(ConditionEvaluator.text) ?? String(response.status)
            throw DeliveryError.permanent(code: code, message: reply["message"]?.stringValue ?? "HTTP \(response.status)")
        }
        guard let id = reply["sid"]?.stringValue else { throw DeliveryError.transient("Twilio answered without a sid") }
        return id
    }
}

/// `application/x-www-form-urlencoded`, as Twilio sends and expects it.
enum FormEncoding {
    static let allowed: CharacterSet = {
        var set = CharacterSet.alphanumerics
        set.insert(charactersIn: "-._~")
        return set
    }()

    static func encode(_ pairs: [(String, String)]) -> String {
        pairs.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// Parses a form body into ordered pairs (`+` is a space).
    static func decode(_ body: String) -> [(String, String)] {
        body.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ part: Substring) -> String {
                String(part).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(part)
            }
            return (unescape(parts[0]), parts.count > 1 ? unescape(parts[1]) : "")
        }
    }
}
