import HTTPTypes

/// The header names the host reads or writes beyond the standard ones.
extension HTTPField.Name {
    static let xRequestID = Self("X-Request-ID")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let host = Self("Host")!
    static let xHubSignature256 = Self("X-Hub-Signature-256")!
    static let xTwilioSignature = Self("X-Twilio-Signature")!
    static let xSignature = Self("X-Signature")!
}
