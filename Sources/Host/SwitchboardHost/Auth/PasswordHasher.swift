import COpenSSL
import Foundation

/// Password hashing with OpenSSL's PBKDF2-HMAC-SHA256 and a random per-user salt.
/// Stored as `pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>`, so the cost can rise later.
public enum PasswordHasher {
    public static let defaultIterations = 210_000

    public static func hash(_ password: String, iterations: Int = defaultIterations) throws -> String {
        let salt = try Crypto.randomBytes(16)
        let derived = try derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256$\(iterations)$\(Data(salt).base64EncodedString())$\(Data(derived).base64EncodedString())"
    }

    /// Whether `password` matches a stored hash (in constant time).
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations > 0,
            let salt = Data(base64Encoded: parts[2]), let expected = Data(base64Encoded: parts[3]),
            let derived = try? derive(password, salt: Array(salt), iterations: iterations)
        else { return false }
        return Crypto.constantTimeEqual(derived, Array(expected))
    }

    private static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        let length = Int32(password.utf8.count)
        let ok = password.withCString { p in
            salt.withUnsafeBufferPointer { s in
                output.withUnsafeMutableBufferPointer { o in
                    PKCS5_PBKDF2_HMAC(p, length, s.baseAddress, Int32(s.count), Int32(iterations), EVP_sha256(), Int32(o.count), o.baseAddress)
                }
            }
        }
        guard ok == 1 else { throw CryptoError("PBKDF2 failed") }
        return output
    }
}

public struct CryptoError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
