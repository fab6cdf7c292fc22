import CryptoKit
import Foundation
@testable import AssentCore

/// What an iOS app provides: secure blob storage (in a real app, Keychain
/// items); here a dictionary, with a switch that makes writes fail.
final class SwiftStorage: SecureStorage, @unchecked Sendable {
    private let lock = NSLock()
    private(set) var blobs: [String: Data] = [:]
    var failWrites = false

    func get(name: String) throws -> Data? {
        lock.withLock { blobs[name] }
    }

    func put(name: String, bytes: Data) throws {
        if failWrites { throw AssentError.Storage(reason: "disk full") }
        lock.withLock { blobs[name] = bytes }
    }

    func delete(name: String) throws {
        _ = lock.withLock { blobs.removeValue(forKey: name) }
    }

    func remove(_ name: String) {
        _ = lock.withLock { blobs.removeValue(forKey: name) }
    }
}

/// A device key store over CryptoKit P-256, shaped like the Secure Enclave
/// version (SecureEnclave.P256.Signing.PrivateKey with an access control
/// when user verification is required).
final class SwiftKeyStore: DeviceKeyStore, @unchecked Sendable {
    private let lock = NSLock()
    private var keys: [String: P256.Signing.PrivateKey] = [:]

    func create(alias: String, requireUserVerification: Bool) throws -> Data {
        let key = P256.Signing.PrivateKey()
        lock.withLock { keys[alias] = key }
        return key.publicKey.x963Representation  // 0x04 || X || Y
    }

    func sign(alias: String, message: Data) throws -> Data {
        guard let key = lock.withLock({ keys[alias] }) else {
            throw AssentError.NotFound(reason: "no key \(alias)")
        }
        return try key.signature(for: message).derRepresentation
    }

    func delete(alias: String) throws {
        _ = lock.withLock { keys.removeValue(forKey: alias) }
    }
}

/// A clock the test sets.
final class FixedClock: Clock, @unchecked Sendable {
    var now: Int64
    init(_ now: Int64) { self.now = now }
    func nowUnix() -> Int64 { now }
}
