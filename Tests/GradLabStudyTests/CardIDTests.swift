import XCTest
@testable import GradLabStudy

final class CardIDTests: XCTestCase {
    func testDerivedIDIgnoresCaseAndSpacing() {
        XCTAssertEqual(CardID.derived(from: "What is  the\nproduct?"), CardID.derived(from: "what is the product?"))
        XCTAssertNotEqual(CardID.derived(from: "what is the product?"), CardID.derived(from: "what is the sum?"))
    }
}
