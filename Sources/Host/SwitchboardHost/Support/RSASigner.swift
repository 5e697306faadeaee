import COpenSSL
import Foundation

/// RSASSA-PKCS1-v1_5 with SHA-256 (JWT's RS256) through OpenSSL's libcrypto.
public enum RSASigner {
    /// Signs `message` with the private key in `pem` (PKCS#8 `BEGIN PRIVATE KEY` or PKCS#1 `BEGIN RSA PRIVATE KEY`).
    public static func signSHA256(_ message: [UInt8], privateKeyPEM pem: String) throws -> [UInt8] {
        let key = try privateKey(pem)
        defer { EVP_PKEY_free(key) }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else { throw CryptoError("the private key is not an RSA key") }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else { throw CryptoError("EVP_DigestSignInit failed") }
        var length = 0
        let signed: Int32 = message.withUnsafeBufferPointer { input in
            guard EVP_DigestSign(context, nil, &length, input.baseAddress, input.count) == 1 else { return 0 }
            return 1
        }
        guard signed == 1 else { throw CryptoError("EVP_DigestSign could not size the signature") }
        var signature = [UInt8](repeating: 0, count: length)
        let result = message.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &length, input.baseAddress, input.count) }
        }
        guard result == 1 else { throw CryptoError("EVP_DigestSign failed") }
        return Array(signature.prefix(length))
    }

    private static func privateKey(_ pem: String) throws -> OpaquePointer {
        let bytes = Array(pem.utf8)
        let key: OpaquePointer? = bytes.withUnsafeBufferPointer { buffer in
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            // An encrypted key fails instead of prompting on the terminal.
            return PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil)
        }
        guard let key else { throw CryptoError("the private key is not a readable PEM key") }
        return key
    }
}
