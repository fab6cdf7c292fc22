import XCTest
@testable import AssentCore

/// The accounts half of the API, used as an iOS app would (same flows as the
/// Kotlin tests in bindings/kotlin).
final class AccountsTests: XCTestCase {
    // RFC 6238 appendix B, SHA-1, 8 digits.
    let rfc = "otpauth://totp/RFC:sha1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8&issuer=RFC"
    let hotp = "otpauth://hotp/Ex:h?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0"

    var storage = SwiftStorage()
    let keys = SwiftKeyStore()
    let clock = FixedClock(59)
    let device = DeviceInfo(platform: .ios, name: "Test iPhone", pushToken: "")

    func open() throws -> Assent {
        try Assent(storage: storage, keyStore: keys, device: device, clock: clock)
    }

    func testCodesMatchRfc6238AtFixedTimes() throws {
        let assent = try open()
        let id = try assent.addUri(uri: rfc)
        let view = try assent.code(accountId: id)
        XCTAssertEqual(view.code, "94287082")
        XCTAssertEqual(view.secondsLeft, 1)
        XCTAssertEqual(view.periodSeconds, 30)
        clock.now = 1_111_111_109
        XCTAssertEqual(try assent.codes().map(\.code), ["07081804"])
    }

    func testHotpAdvancesOnlyOnRequest() throws {
        let assent = try open()
        let id = try assent.addUri(uri: hotp)
        XCTAssertEqual(try assent.code(accountId: id).code, "755224")
        let next = try assent.nextHotpCode(accountId: id)
        XCTAssertEqual(next.code, "287082")
        XCTAssertEqual(next.counter, 1)
    }

    func testRenameReorderRemovePersistAcrossRestart() throws {
        let assent = try open()
        let a = try assent.addUri(uri: rfc)
        let b = try assent.addUri(uri: hotp)
        try assent.rename(accountId: a, name: "  Work  ")
        try assent.reorder(accountIds: [b, a])
        XCTAssertEqual(try assent.accounts().map(\.id), [b, a])
        try assent.moveAccount(accountId: a, index: 0)
        let c = try assent.addUri(uri: rfc)
        try assent.remove(accountId: c)

        let again = try open().accounts()
        XCTAssertEqual(again.map(\.id), [a, b])
        XCTAssertEqual(again[0].name, "Work")
        XCTAssertNil(again[0].push)
    }

    func testBadInputIsATypedError() throws {
        let assent = try open()
        XCTAssertThrowsError(try assent.addUri(uri: "otpauth://totp/x?secret=!!")) { error in
            guard case AssentError.InvalidInput(let reason) = error else {
                return XCTFail("unexpected \(error)")
            }
            XCTAssertTrue(reason.contains("otpauth"))
        }
        XCTAssertThrowsError(try assent.code(accountId: "nope")) { error in
            guard case AssentError.NotFound = error else { return XCTFail("unexpected \(error)") }
        }
    }

    func testFailingHostStorageLeavesVaultUnchanged() throws {
        let assent = try open()
        let id = try assent.addUri(uri: rfc)
        storage.failWrites = true
        XCTAssertThrowsError(try assent.rename(accountId: id, name: "x"))
        storage.failWrites = false
        XCTAssertEqual(try assent.accounts().first?.name, "RFC: sha1")
    }

    func testVaultWithoutItsKeyIsRefused() throws {
        _ = try open().addUri(uri: rfc)
        storage.remove("vault.key")
        XCTAssertThrowsError(try open())
    }

    func testAsyncCallsFailTyped() async throws {
        let assent = try open()
        do {
            _ = try await assent.enrollUri(uri: "assent://enroll?nonsense")
            XCTFail("accepted a bad offer")
        } catch AssentError.InvalidInput {}
        let pending = try await assent.pending()
        XCTAssertTrue(pending.shown.isEmpty && pending.refused.isEmpty)
    }
}
