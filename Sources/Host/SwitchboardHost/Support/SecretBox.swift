import COpenSSL
import Foundation

/// AES-256-GCM through OpenSSL, for secrets stored at rest (channel credentials a tenant enters
/// through the API). The key comes from `SWITCHBOARD_MASTER_KEY` (32 bytes, base64). A sealed value
/// is `v1:` + base64(nonce ‖ ciphertext ‖ tag), bound to its tenant as additional data, so one
/// tenant's ciphertext does not open under another's name.
public struct SecretBox: Sendable {
    private let key: [UInt8]

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The box of `SWITCHBOARD_MASTER_KEY`, or a failure saying how to set it.
    public static func fromEnvironment(_ environment: [String: String] = SecretEnvironment.current) throws -> SecretBox {
        guard let encoded = environment["SWITCHBOARD_MASTER_KEY"], let key = Data(base64Encoded: encoded), key.count == 32 else {
            throw Failure(description: "SWITCHBOARD_MASTER_KEY must hold 32 random bytes, base64-encoded (openssl rand -base64 32)")
        }
        return SecretBox(key: Array(key))
    }

    public init(key: [UInt8]) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        self.key = key
    }

    public func seal(_ plaintext: String, tenantID: String) throws -> String {
        let nonce = try Crypto.randomBytes(12)
        let (ciphertext, tag) = try crypt(encrypt: true, Array(plaintext.utf8), nonce: nonce, aad: Array(tenantID.utf8), tag: nil)
        return "v1:" + Data(nonce + ciphertext + tag).base64EncodedString()
    }

    public func open(_ sealed: String, tenantID: String) throws -> String {
        guard sealed.hasPrefix("v1:"), let data = Data(base64Encoded: String(sealed.dropFirst(3))), data.count >= 28 else {
            throw Failure(description: "not a sealed secret")
        }
        let bytes = Array(data)
        let nonce = Array(bytes[0..<12]), tag = Array(bytes[(bytes.count - 16)...]), ciphertext = Array(bytes[12..<(bytes.count - 16)])
        let (plaintext, _) = try crypt(encrypt: false, ciphertext, nonce: nonce, aad: Array(tenantID.utf8), tag: tag)
        guard let text = String(bytes: plaintext, encoding: .utf8) else { throw Failure(description: "the secret is not UTF-8") }
        return text
    }

    private func crypt(encrypt: Bool, _ input: [UInt8], nonce: [UInt8], aad: [UInt8], tag: [UInt8]?) throws -> ([UInt8], [UInt8]) {
        guard let context = EVP_CIPHER_CTX_new() else { throw Failure(description: "OpenSSL could not allocate a cipher context") }
        defer { EVP_CIPHER_CTX_free(context) }
        var output = [UInt8](repeating: 0, count: input.count + 16)
        var length: Int32 = 0, total: Int32 = 0
        let initialise = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex
        let update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate
        guard initialise(context, EVP_aes_256_gcm(), nil, nil, nil) == 1,
            EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_IVLEN, Int32(nonce.count), nil) == 1,
            initialise(context, nil, nil, key, nonce) == 1,
            update(context, nil, &length, aad, Int32(aad.count)) == 1,
            update(context, &output, &length, input, Int32(input.count)) == 1
        else { throw Failure(description: "AES-256-GCM failed") }
        total = length
        var tagBytes = tag ?? [UInt8](repeating: 0, count: 16)
        if !encrypt {
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_SET_TAG, 16, &tagBytes) == 1 else { throw Failure(description: "AES-256-GCM failed") }
        }
        let final = output.withUnsafeMutableBufferPointer { buffer in
            (encrypt ? EVP_EncryptFinal_ex : EVP_DecryptFinal_ex)(context, buffer.baseAddress! + Int(total), &length)
        }
        guard final == 1 else { throw Failure(description: encrypt ? "AES-256-GCM failed" : "the secret does not authenticate (wrong key or tenant, or tampered)") }
        total += length
        if encrypt {
            guard EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_GCM_GET_TAG, 16, &tagBytes) == 1 else { throw Failure(description: "AES-256-GCM failed") }
        }
        return (Array(output.prefix(Int(total))), tagBytes)
    }
}
